import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ClavisError, ERROR_CODES } from '../../core/errors/registry.ts';
import { isScope, type Scope } from '../../core/keys/scopes.ts';
import type { VerifyCode } from '../../core/keys/verify.ts';
import { limitHeaders } from '../../core/limits/headers.ts';
import type { ApiKeyRecord } from '../../core/model.ts';
import type { Services } from '../../services.ts';
import { verifyConsumer } from '../consumer-auth.ts';
import { sendProblem } from './error-handler.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** The API key that passed the verify pipeline on a consumer (data API) route; null elsewhere. */
    consumer: ApiKeyRecord | null;
  }
}

/** SHA-256 hex of each consumer request's raw body, for the signature check. */
const bodyHashes = new WeakMap<FastifyRequest, string>();

/**
 * Gives a plugin scope a JSON parser that keeps the SHA-256 of the raw body, so signed requests
 * to its consumer routes can be verified over the bytes the client signed (re-serialising the
 * parsed JSON would not give them back). Call inside the scope that registers those routes.
 */
export function keepRawBodyHash(scope: FastifyInstance): void {
  scope.removeContentTypeParser('application/json');
  scope.addContentTypeParser('application/json', { parseAs: 'buffer' }, (req, body, done) => {
    const raw = Buffer.isBuffer(body) ? body : Buffer.from(body);
    bodyHashes.set(req, createHash('sha256').update(raw).digest('hex'));
    try {
      done(null, raw.length === 0 ? undefined : JSON.parse(raw.toString('utf8')));
    } catch {
      done(new ClavisError('INVALID_JSON', 'the body is not valid JSON'), undefined);
    }
  });
}

/** The key that called a consumer route (set by the guard before the handler runs). */
export function consumerOf(request: FastifyRequest): ApiKeyRecord {
  if (request.consumer === null) throw new ClavisError('MALFORMED', 'this route needs an API key');
  return request.consumer;
}

/** What a refused consumer reads: enough to fix the request, nothing about a key it did not send. */
function refusalDetail(code: VerifyCode, scope: string): string {
  switch (code) {
    case 'MALFORMED':
      return 'send your API key as Authorization: Bearer <key> (or X-Clavis-Key); this one is missing or malformed';
    case 'INSUFFICIENT_SCOPE':
      return `this route needs the scope ${scope}`;
    case 'ENV_MISMATCH':
      return 'the key belongs to another environment than this data API serves';
    case 'IP_NOT_ALLOWED':
      return "the request does not come from an address in the key's IP allowlist";
    case 'SIGNATURE_REQUIRED':
      return 'the key requires signed requests: send X-Clavis-Key, X-Clavis-Timestamp, X-Clavis-Nonce and X-Clavis-Signature';
    case 'SIGNATURE_INVALID':
      return 'the request signature does not verify over METHOD, path?sorted-query, timestamp, nonce and the SHA-256 of the body';
    case 'RATE_LIMITED':
      return 'a rate limit of the key is exhausted; RateLimit and Retry-After say when to retry';
    case 'QUOTA_EXCEEDED':
      return 'the key has no credits left for this request';
    default:
      return `the key was refused: ${code}`;
  }
}

/**
 * Runs the verify pipeline on every route that declares `config: { permission: null,
 * consumerScope }` (the data API), after the body is read (a signature covers its hash) and
 * before the schema is checked (an unauthenticated caller learns nothing about the input). The
 * key is taken from `Authorization: Bearer` or `X-Clavis-Key`, with the client address (through
 * CLAVIS_TRUST_PROXY), the route's scope, the signature headers and the data API's environment
 * (CLAVIS_DATA_API_ENVIRONMENT). A refusal is problem+json with the verify code and its registry
 * status; every answer carries the key's RateLimit headers (and Retry-After on a refusal that
 * waiting cures). On success the key is `request.consumer` (see {@link consumerOf}).
 *
 * @example app.get('/v1/prices', { config: { permission: null, consumerScope: 'prices:read' } }, async (req) => prices(consumerOf(req)))
 */
export function registerConsumerGuard(app: FastifyInstance, s: Services): void {
  app.decorateRequest('consumer', null);
  app.addHook('onRoute', (route) => {
    const scope = route.config?.consumerScope;
    if (scope === undefined) return;
    if (route.config?.permission !== null) throw new Error(`route ${route.method.toString()} ${route.url} declares a consumerScope, so its permission must be null`);
    if (!isScope(scope)) throw new Error(`route ${route.method.toString()} ${route.url} declares an unknown consumerScope ${String(scope)}`);
    // Route-level, so admin and public routes do not pay for it; made here with the route's scope
    // and path, because reading request.routeOptions builds a fresh object per request.
    route.preValidation = [guardFor(scope, route.url), ...[route.preValidation ?? []].flat()];
  });
  const guardFor = (scope: Scope, path: string) => async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> => {
    const bodySha256 = bodyHashes.get(request);
    const result = await verifyConsumer(
      s.verifier,
      { method: request.method, url: request.url, headers: request.headers, ip: s.clientIp(request.socket.remoteAddress, request.headers['x-forwarded-for']), ...(bodySha256 === undefined ? {} : { bodySha256 }) },
      { scope, environment: s.dataApi.environment, route: `${request.method} ${path}`, usage: s.usage },
    );
    reply.headers(limitHeaders({ limits: result.rateLimit, credits: result.credits }));
    if (result.valid && result.key !== undefined) {
      request.consumer = result.key;
      return;
    }
    const code = result.code === 'VALID' ? 'MALFORMED' : result.code;
    if (ERROR_CODES[code].status === 401) reply.header('WWW-Authenticate', 'Bearer realm="clavis-data-api"');
    return sendProblem(reply, request, code, refusalDetail(code, scope));
  };
}
