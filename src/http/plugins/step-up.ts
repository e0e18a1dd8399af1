import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AuthContext } from '../../core/auth/token-service.ts';
import { StepUpError } from '../../core/mfa/mfa-service.ts';
import { authOf } from './auth.ts';

/** Whether a route is critical: always, or as decided from the validated request. */
export type Criticality = boolean | ((request: FastifyRequest, auth: AuthContext) => boolean | Promise<boolean>);

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * A critical operation: when the caller's user has TOTP, it needs a fresh code in
     * X-Clavis-MFA (and a workspace with requireMfa refuses callers without). A function decides
     * per request, after validation (keys-create: only live keys with a high-risk scope).
     */
    critical?: Criticality;
  }
  interface FastifyInstance {
    /** Every critical route, for the route-security suite and docs. */
    criticalRoutes: CriticalRouteInfo[];
  }
}

export interface CriticalRouteInfo {
  method: string;
  url: string;
  critical: 'always' | 'conditional';
}

/** The request header that carries the step-up code (a TOTP or a recovery code). */
export const MFA_HEADER = 'x-clavis-mfa';

/** What the step-up plugin needs from the MFA service. */
export interface StepUpChecker {
  stepUp(ctx: AuthContext, presented: string | undefined, operation: string): Promise<void>;
}

const HEADER_SCHEMA = {
  type: 'object',
  properties: {
    [MFA_HEADER]: { type: 'string', maxLength: 64, description: 'Step-up code: a fresh 6-digit TOTP code or a recovery code. Needed when the calling user has TOTP (see docs/guides/mfa.md).' },
  },
};

/**
 * Step-up MFA for critical operations, enforced in one place: a preHandler (after authentication
 * and validation, so a function of the validated body can decide) that asks the MFA service. A
 * critical route must declare a permission; the X-Clavis-MFA header is documented on each.
 */
export function registerStepUp(app: FastifyInstance, mfa: StepUpChecker): void {
  const table: CriticalRouteInfo[] = [];
  app.decorate('criticalRoutes', table);
  app.addHook('onRoute', (route) => {
    const critical = route.config?.critical;
    if (critical === undefined || critical === false) return;
    if (route.config?.permission === null || route.config?.permission === undefined) throw new Error(`route ${route.method.toString()} ${route.url} is critical but declares no permission`);
    const kind = critical === true ? 'always' : 'conditional';
    for (const method of [route.method].flat()) if (method !== 'HEAD') table.push({ method, url: route.url, critical: kind });
    const schema = route.schema ?? {};
    route.schema = {
      ...schema,
      headers: schema.headers ?? HEADER_SCHEMA,
      description: `${typeof schema.description === 'string' ? `${schema.description}\n\n` : ''}**Critical operation** (${kind === 'always' ? 'always' : 'depending on the request'}): a caller whose user has TOTP sends a fresh code in \`X-Clavis-MFA\`; a workspace with requireMfa refuses callers without confirmed TOTP.`,
    };
    // Route-level and first in line: only critical routes pay for the check.
    route.preHandler = [stepUpFor(critical, route.url), ...[route.preHandler ?? []].flat()];
  });
  const stepUpFor = (critical: Exclude<Criticality, false>, path: string) => async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const auth = authOf(request);
    if (critical !== true && !(await critical(request, auth))) return;
    const header = request.headers[MFA_HEADER];
    const presented = Array.isArray(header) ? header.join(',') : header;
    try {
      await mfa.stepUp(auth, presented, `${request.method} ${path}`);
    } catch (err) {
      if (err instanceof StepUpError && err.retryAfterSeconds !== null) void reply.header('Retry-After', String(err.retryAfterSeconds));
      throw err;
    }
  };
}
