import { createHash } from 'node:crypto';
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { Transform, pipeline, type Readable } from 'node:stream';
import type { Environment } from '../types.ts';
import { emptyBodySha256, recordBodySha256, recordedBodySha256 } from './consumer-request.ts';
import { checkConsumer } from './edge-check.ts';
import { attachIdentity, type ClavisIdentity } from './identity.ts';
import type { RemoteVerifier } from './verifier.ts';

// Typed structurally (the parts of FastifyRequest and FastifyReply used here), so the SDK needs
// no dependency on fastify and importing it costs nothing to apps that do not use Fastify.

/** The part of a FastifyRequest the middleware reads. */
export interface FastifyRequestLike {
  headers: IncomingHttpHeaders;
  method: string;
  /** Fastify's client address: honours the app's `trustProxy` setting. */
  ip: string;
  raw: IncomingMessage;
  body?: unknown;
  /** Set by the middleware once the key is verified. */
  clavis?: ClavisIdentity | null;
}

/** The part of a FastifyReply the middleware calls. */
export interface FastifyReplyLike {
  code(statusCode: number): unknown;
  header(name: string, value: string): unknown;
  type(contentType: string): unknown;
  send(payload: string): unknown;
}

export interface ClavisFastifyOptions {
  verifier: Pick<RemoteVerifier, 'verify'>;
  /** The scope the route needs, or a function choosing it per request (undefined: no scope check). */
  scope: string | ((request: FastifyRequestLike) => string | undefined);
  /** The environment the service serves (`live` in production): keys of another are refused. */
  environment?: Environment;
  /** The client address; default `request.ip`. */
  getIp?: (request: FastifyRequestLike) => string | undefined;
  /** Units the request costs against the key's rate limits and credits; default 1. */
  cost?: number | ((request: FastifyRequestLike) => number);
  /**
   * SHA-256 hex of the raw body, for signed requests. Default: what {@link clavisBodyHash}
   * recorded, or the body itself when a content-type parser kept it as a Buffer.
   */
  getBodySha256?: (request: FastifyRequestLike) => string | undefined;
  /** Base of the problem `type` links; default `/docs/errors.md` as the Clavis server sends it. */
  errorsDocUrl?: string;
  /** Send RateLimit, Retry-After and Clavis-Credits-* headers (default true). */
  rateLimitHeaders?: boolean;
}

/** A Fastify preHandler hook. */
export type ClavisFastifyHook = (request: FastifyRequestLike, reply: FastifyReplyLike) => Promise<void>;

/**
 * Fastify preHandler that lets a request through only when Clavis verifies its key: the key from
 * `X-Clavis-Key` or `Authorization: Bearer`, the signature headers with the raw body's SHA-256,
 * the client IP and the route's scope. A refusal is answered with problem+json (401, 403 or 429
 * with Retry-After; 503 when Clavis cannot be reached), and on success `request.clavis` (and
 * {@link clavisIdentity}) holds `{ keyId, ownerId, scopes, environment, metadata }`.
 *
 * For signed requests add {@link clavisBodyHash} as a preParsing hook, so the body is hashed as
 * it streams in, whatever parses it afterwards.
 *
 * @example
 * app.decorateRequest('clavis', null)
 * app.addHook('preParsing', clavisBodyHash)
 * app.get('/v1/prices', { preHandler: clavisFastify({ verifier, scope: 'prices:read', environment: 'live' }) }, async (req) => prices(req.clavis))
 */
export function clavisFastify(opts: ClavisFastifyOptions): ClavisFastifyHook {
  const sendHeaders = opts.rateLimitHeaders ?? true;
  return async (request, reply) => {
    const decision = await checkConsumer(opts.verifier, {
      method: request.method,
      // The URL as the consumer sent it, before any rewriting: that is what it signed.
      url: request.raw.url ?? '',
      headers: request.headers,
      ip: opts.getIp !== undefined ? opts.getIp(request) : request.ip,
      bodySha256: () => (opts.getBodySha256 !== undefined ? opts.getBodySha256(request) : defaultBodySha256(request)),
      scope: typeof opts.scope === 'function' ? opts.scope(request) : opts.scope,
      environment: opts.environment,
      cost: typeof opts.cost === 'function' ? opts.cost(request) : opts.cost,
      errorsDocUrl: opts.errorsDocUrl,
    });
    for (const [name, value] of Object.entries(decision.headers)) {
      if (sendHeaders || (!decision.allowed && name === 'Retry-After')) reply.header(name, value);
    }
    if (decision.allowed) {
      attachIdentity(request, decision.identity);
      return;
    }
    reply.code(decision.problem.status);
    reply.type('application/problem+json; charset=utf-8');
    reply.send(JSON.stringify(decision.problem));
  };
}

function defaultBodySha256(request: FastifyRequestLike): string | undefined {
  const recorded = recordedBodySha256(request);
  if (recorded !== undefined) return recorded;
  if (Buffer.isBuffer(request.body)) return createHash('sha256').update(request.body).digest('hex');
  return emptyBodySha256(request.headers);
}

/**
 * Fastify preParsing hook that hashes the raw body as it streams to the content-type parser, so
 * {@link clavisFastify} can check signatures without a parser that keeps the bytes.
 *
 * @example app.addHook('preParsing', clavisBodyHash)
 */
export async function clavisBodyHash(request: object, _reply: unknown, payload: Readable): Promise<Readable> {
  const hash = createHash('sha256');
  const tee = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      hash.update(chunk);
      done(null, chunk);
    },
    flush(done) {
      recordBodySha256(request, hash.digest('hex'));
      done();
    },
  });
  // pipeline, not pipe: an aborted upload destroys the tee too, so the parser sees the error.
  return pipeline(payload, tee, () => undefined);
}
