import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AuthContext, TokenService } from '../../core/auth/token-service.ts';
import { can, type Permission } from '../../core/auth/permissions.ts';
import { ClavisError } from '../../core/errors/registry.ts';
import type { Scope } from '../../core/keys/scopes.ts';

declare module 'fastify' {
  interface FastifyRequest {
    auth: AuthContext | null;
  }
  interface FastifyInstance {
    /** Every route with the permission it needs (null: public), for the route-security suite and docs. */
    routeTable: RouteInfo[];
  }
  interface FastifyContextConfig {
    /** The permission a route needs; `null` marks a public route (health, docs). Required on every route. */
    permission?: Permission | null;
    /** With `permission: null`: the API key scope a data-API route needs (src/http/plugins/consumer-guard.ts). */
    consumerScope?: Scope;
  }
}

export interface RouteInfo {
  method: string;
  url: string;
  permission: Permission | null;
  /** The API key scope of a consumer (data API) route; null for admin and public routes. */
  consumerScope: Scope | null;
}

/** The authenticated caller of a route that declared a permission. */
export function authOf(request: FastifyRequest): AuthContext {
  if (request.auth === null) throw new ClavisError('AUTH_REQUIRED', 'this route needs an admin token');
  return request.auth;
}

const BEARER = /^Bearer ([^\s]+)$/i;

/**
 * Authenticates every route that declares a permission, before the body is read: no trusted
 * network, no default token. A route without a `permission` setting fails closed at start-up.
 */
export function registerAuth(app: FastifyInstance, tokens: TokenService): void {
  app.decorateRequest('auth', null);
  const table: RouteInfo[] = [];
  app.decorate('routeTable', table);
  // One hook per route, made at start-up with the route's permission: reading
  // `request.routeOptions` per request builds a fresh options object each time. A callback hook
  // that finishes synchronously for a cached token: an async hook would cost every admin request
  // a promise and a microtask turn, and no closure is made on that path either (tsx names every
  // closure it creates, which costs a defineProperty call each time).
  const authenticateFor =
    (permission: Permission) =>
    (request: FastifyRequest, _reply: FastifyReply, done: (err?: Error) => void): void => {
      const header = request.headers.authorization;
      if (header === undefined || header === '') return done(new ClavisError('AUTH_REQUIRED', 'send Authorization: Bearer <admin token>'));
      const m = BEARER.exec(header);
      if (m?.[1] === undefined) return done(new ClavisError('AUTH_INVALID', 'the Authorization header must be "Bearer <admin token>"'));
      let ctx: AuthContext | Promise<AuthContext>;
      try {
        ctx = tokens.authenticate(m[1]);
      } catch (err) {
        return done(asError(err));
      }
      if (!(ctx instanceof Promise)) return done(admit(request, ctx, permission));
      void ctx.then(
        (resolved) => done(admit(request, resolved, permission)),
        (err: unknown) => done(asError(err)),
      );
    };
  app.addHook('onRoute', (route) => {
    const permission = route.config?.permission;
    if (permission === undefined && !route.url.startsWith('/docs')) {
      throw new Error(`route ${route.method.toString()} ${route.url} declares no permission (use null for a public route)`);
    }
    for (const method of [route.method].flat()) {
      if (method !== 'HEAD') table.push({ method, url: route.url, permission: permission ?? null, consumerScope: route.config?.consumerScope ?? null });
    }
    // A route-level hook, first in line, and only where a permission is declared: a global hook
    // would cost every public and data-API request a promise and a tick for nothing.
    if (permission !== null && permission !== undefined) route.onRequest = [authenticateFor(permission), ...[route.onRequest ?? []].flat()];
  });
}

/** Sets the caller on the request, or says why its role may not use the route. */
function admit(request: FastifyRequest, ctx: AuthContext, permission: Permission): Error | undefined {
  if (!can(ctx.role, permission)) return new ClavisError('PERMISSION_DENIED', `the ${ctx.role} role lacks ${permission}`);
  request.auth = ctx;
  return undefined;
}

function asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}
