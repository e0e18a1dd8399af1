import type { FastifyInstance, FastifyRequest } from 'fastify';
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

const BEARER = /^Bearer ([^\s]+)$/;

/**
 * Authenticates every route that declares a permission, before the body is read: no trusted
 * network, no default token. A route without a `permission` setting fails closed at start-up.
 */
export function registerAuth(app: FastifyInstance, tokens: TokenService): void {
  app.decorateRequest('auth', null);
  const table: RouteInfo[] = [];
  app.decorate('routeTable', table);
  app.addHook('onRoute', (route) => {
    const permission = route.config?.permission;
    if (permission === undefined && !route.url.startsWith('/docs')) {
      throw new Error(`route ${route.method.toString()} ${route.url} declares no permission (use null for a public route)`);
    }
    for (const method of [route.method].flat()) {
      if (method !== 'HEAD') table.push({ method, url: route.url, permission: permission ?? null, consumerScope: route.config?.consumerScope ?? null });
    }
  });
  app.addHook('onRequest', async (request) => {
    const permission = request.routeOptions.config.permission;
    if (permission === null || permission === undefined) return;
    const header = request.headers.authorization;
    if (header === undefined || header === '') throw new ClavisError('AUTH_REQUIRED', 'send Authorization: Bearer <admin token>');
    const m = BEARER.exec(header);
    if (m?.[1] === undefined) throw new ClavisError('AUTH_INVALID', 'the Authorization header must be "Bearer <admin token>"');
    const ctx = await tokens.authenticate(m[1]);
    if (!can(ctx.role, permission)) throw new ClavisError('PERMISSION_DENIED', `the ${ctx.role} role lacks ${permission}`);
    request.auth = ctx;
  });
}
