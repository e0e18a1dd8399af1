import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Environment } from '../types.ts';
import { emptyBodySha256, recordedBodySha256 } from './consumer-request.ts';
import { checkConsumer } from './edge-check.ts';
import { attachIdentity } from './identity.ts';
import type { RemoteVerifier } from './verifier.ts';

// Typed against node's IncomingMessage and ServerResponse, which Express's Request and Response
// extend: the same function is Express middleware and a plain node:http step, and the SDK needs
// no dependency on express.

/** Express's `next`, or any callback that runs the rest of the request. */
export type NextLike = (err?: unknown) => void;

export interface ClavisExpressOptions {
  verifier: Pick<RemoteVerifier, 'verify'>;
  /** The scope the route needs, or a function choosing it per request (undefined: no scope check). */
  scope: string | ((req: IncomingMessage) => string | undefined);
  /** The environment the service serves (`live` in production): keys of another are refused. */
  environment?: Environment;
  /**
   * The client address; default Express's `req.ip` (which honours `trust proxy`), else the
   * socket's peer address. X-Forwarded-For is never read by default: anyone can send it.
   */
  getIp?: (req: IncomingMessage) => string | undefined;
  /** Units the request costs against the key's rate limits and credits; default 1. */
  cost?: number | ((req: IncomingMessage) => number);
  /**
   * SHA-256 hex of the raw body, for signed requests. Default: what {@link recordRawBody}
   * recorded (`express.json({ verify: recordRawBody })`), or `req.body` when it is a Buffer
   * (`express.raw()`), or the empty body's hash when none was sent.
   */
  getBodySha256?: (req: IncomingMessage) => string | undefined;
  /** Base of the problem `type` links; default `/docs/errors.md` as the Clavis server sends it. */
  errorsDocUrl?: string;
  /** Send RateLimit, Retry-After and Clavis-Credits-* headers (default true). */
  rateLimitHeaders?: boolean;
}

/** A `(req, res, next)` middleware. */
export type ClavisExpressMiddleware = (req: IncomingMessage, res: ServerResponse, next: NextLike) => void;

/**
 * Express-style middleware that lets a request through only when Clavis verifies its key (see
 * `clavisFastify` for what is checked). A refusal is answered with problem+json and `next` is not
 * called; on success `req.clavis` (and {@link clavisIdentity}) holds the key's identity and
 * `next()` runs the route.
 *
 * @example
 * app.use(express.json({ verify: recordRawBody }))
 * app.get('/v1/prices', clavisExpress({ verifier, scope: 'prices:read', environment: 'live' }), (req, res) => res.json(prices(clavisIdentity(req))))
 */
export function clavisExpress(opts: ClavisExpressOptions): ClavisExpressMiddleware {
  const sendHeaders = opts.rateLimitHeaders ?? true;
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<boolean> => {
    const decision = await checkConsumer(opts.verifier, {
      method: req.method ?? 'GET',
      url: originalUrl(req),
      headers: req.headers,
      ip: opts.getIp !== undefined ? opts.getIp(req) : defaultIp(req),
      bodySha256: () => (opts.getBodySha256 !== undefined ? opts.getBodySha256(req) : defaultBodySha256(req)),
      scope: typeof opts.scope === 'function' ? opts.scope(req) : opts.scope,
      environment: opts.environment,
      cost: typeof opts.cost === 'function' ? opts.cost(req) : opts.cost,
      errorsDocUrl: opts.errorsDocUrl,
    });
    for (const [name, value] of Object.entries(decision.headers)) {
      if (sendHeaders || (!decision.allowed && name === 'Retry-After')) res.setHeader(name, value);
    }
    if (decision.allowed) {
      attachIdentity(req, decision.identity);
      return true;
    }
    const body = JSON.stringify(decision.problem);
    res.statusCode = decision.problem.status;
    res.setHeader('Content-Type', 'application/problem+json; charset=utf-8');
    res.setHeader('Content-Length', Buffer.byteLength(body));
    res.end(body);
    return false;
  };
  return (req, res, next) => {
    handle(req, res).then((passed) => {
      if (passed) next();
    }, next);
  };
}

/** Express strips a mount path from `req.url`; the consumer signed the URL it sent. */
function originalUrl(req: IncomingMessage): string {
  const original: unknown = Reflect.get(req, 'originalUrl');
  return typeof original === 'string' ? original : (req.url ?? '');
}

function defaultIp(req: IncomingMessage): string | undefined {
  const ip: unknown = Reflect.get(req, 'ip');
  return typeof ip === 'string' ? ip : req.socket.remoteAddress;
}

function defaultBodySha256(req: IncomingMessage): string | undefined {
  const recorded = recordedBodySha256(req);
  if (recorded !== undefined) return recorded;
  const body: unknown = Reflect.get(req, 'body');
  if (Buffer.isBuffer(body)) return createHash('sha256').update(body).digest('hex');
  return emptyBodySha256(req.headers);
}
