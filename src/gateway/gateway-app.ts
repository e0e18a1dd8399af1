import { createHash } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { Duplex, Readable } from 'node:stream';
import { SIGNATURE_HEADERS } from '@clavis/sdk/signing';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest, type FastifyServerOptions } from 'fastify';
import { Pool, type Dispatcher } from 'undici';
import type { ApiKeyRecord } from '../core/model.ts';
import { sendProblem, registerErrorHandler } from '../http/plugins/error-handler.ts';
import { clientErrorHandler, frameworkErrors } from '../http/plugins/edge-errors.ts';
import { createRequestIdGenerator } from '../core/ids.ts';
import type { Services } from '../services.ts';
import { admit } from './admission.ts';
import { clientIp, trustedProxies } from './client-ip.ts';
import { downstreamHeaders, upstreamHeaders } from './forward-headers.ts';
import { matchRoute } from './route-match.ts';
import type { RouteTable } from './routes-file.ts';
import { errorReason, handleUpgrade } from './upgrade-proxy.ts';

/** Default largest body the gateway buffers to hash a signed request (unsigned bodies stream). */
export const DEFAULT_SIGNED_BODY_LIMIT_BYTES = 1024 * 1024;

export interface GatewayAppOptions {
  services: Pick<Services, 'verifier' | 'ids' | 'usage'>;
  routes: RouteTable;
  /** Base URL of the protected API (`http://` or `https://`); a path is prefixed to every request. */
  upstream: string | URL;
  /**
   * false forwards every matched request without checking any key — for the benchmark's
   * baseline only (`clavis gateway --no-verify --i-know`).
   */
  verify: boolean;
  /** Addresses or CIDR ranges of proxies whose X-Forwarded-For is believed; default none. */
  trustProxy?: readonly string[];
  /** pino options, or false for no logs (tests). */
  logger?: FastifyServerOptions['logger'];
  https?: { cert: Buffer; key: Buffer };
  /** Largest signed body buffered for its hash (413 BODY_TOO_LARGE above); default 1 MiB. */
  signedBodyLimitBytes?: number;
  /** How long the upstream may take to send its response headers; default 60 s. */
  upstreamHeadersTimeoutMs?: number;
}

function hasBody(headers: IncomingHttpHeaders): boolean {
  const length = headers['content-length'];
  return headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

function isSigned(headers: IncomingHttpHeaders): boolean {
  return headers[SIGNATURE_HEADERS.timestamp] !== undefined && headers[SIGNATURE_HEADERS.nonce] !== undefined && headers[SIGNATURE_HEADERS.signature] !== undefined;
}

/**
 * Reads a body of at most `limit` bytes, or answers null as soon as it is longer (the rest is
 * left unread: the refusal closes the connection).
 */
function readLimited(stream: Readable, limit: number): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const done = (): void => {
      stream.off('data', onData);
      stream.off('end', onEnd);
      stream.off('error', onError);
    };
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > limit) {
        done();
        stream.pause();
        resolve(null);
      } else chunks.push(chunk);
    };
    const onEnd = (): void => {
      done();
      resolve(Buffer.concat(chunks, size));
    };
    const onError = (err: Error): void => {
      done();
      reject(err);
    };
    stream.on('data', onData);
    stream.on('end', onEnd);
    stream.on('error', onError);
  });
}

/**
 * The gateway: every request is matched against the route file (fail closed), verified (key,
 * environment, workspace, IP, scope, signature, and limits once the verifier applies them) and
 * only then forwarded to the upstream with the key removed and the verified identity added; the
 * upstream's answer streams back with the RateLimit headers. Request bodies stream through
 * untouched unless the request is signed, when the body is buffered (up to a limit) to be
 * hashed. Websocket upgrades are verified the same way and then tunnelled. Registers everything;
 * never listens.
 *
 * @example const app = await buildGatewayApp({ services, routes: loadRoutesFile('routes.json'), upstream: 'http://127.0.0.1:3000', verify: true }); await app.listen({ port: 8421 })
 */
export async function buildGatewayApp(opts: GatewayAppOptions): Promise<FastifyInstance> {
  const { services, routes } = opts;
  const upstream = new URL(opts.upstream);
  if (upstream.protocol !== 'http:' && upstream.protocol !== 'https:') throw new RangeError(`gateway upstream must be an http:// or https:// URL, got ${upstream.protocol}`);
  const basePath = upstream.pathname.replace(/\/$/, '');
  const trusted = trustedProxies(opts.trustProxy ?? []);
  const verifier = opts.verify ? services.verifier : null;
  const signedLimit = opts.signedBodyLimitBytes ?? DEFAULT_SIGNED_BODY_LIMIT_BYTES;
  const headersTimeout = opts.upstreamHeadersTimeoutMs ?? 60_000;
  const proto = opts.https === undefined ? 'http' : 'https';
  // Streams (server-sent events, long downloads) may pause for long: no body timeout.
  const pool = new Pool(upstream.origin, { headersTimeout, bodyTimeout: 0 });

  const requestIds = createRequestIdGenerator();
  const app = Fastify({
    logger: opts.logger ?? false,
    genReqId: requestIds,
    // Parser and router refusals answer problem+json with a registry code, like every other.
    clientErrorHandler: clientErrorHandler(requestIds),
    frameworkErrors,
    requestIdHeader: false,
    return503OnClosing: true,
    ...(opts.https !== undefined ? { https: opts.https } : {}),
  });
  registerErrorHandler(app);
  app.addHook('onSend', async (request, reply) => {
    // A proxied answer keeps the upstream's own request id when it has one.
    if (!reply.hasHeader('x-request-id')) reply.header('x-request-id', request.id);
  });

  const proxy = async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> => {
    const raw = request.raw;
    let body: Readable | Buffer | null = hasBody(raw.headers) ? raw : null;
    // A refused request's body is never read: close the connection rather than drain it.
    const refuse = (code: Parameters<typeof sendProblem>[2], detail: string): FastifyReply => {
      if (body === raw) reply.header('connection', 'close');
      return sendProblem(reply, request, code, detail);
    };
    const match = matchRoute(routes, request.method, request.url);
    if (match.route === null) return refuse('ROUTE_NOT_FOUND', match.reason);
    const ip = clientIp(raw.socket.remoteAddress, raw.headers['x-forwarded-for'], trusted);
    let key: ApiKeyRecord | null = null;
    let limits: Record<string, string> = {};
    if (verifier !== null) {
      let bodySha256: string | undefined;
      if (body !== null && isSigned(raw.headers)) {
        const declared = Number(raw.headers['content-length'] ?? '0');
        const buffered = declared > signedLimit ? null : await readLimited(raw, signedLimit);
        if (buffered === null) return refuse('BODY_TOO_LARGE', `a signed body is hashed before it is forwarded, so it may be at most ${signedLimit} bytes; unsigned bodies stream without a limit`);
        body = buffered;
        bodySha256 = createHash('sha256').update(buffered).digest('hex');
      }
      const admission = await admit(verifier, routes, match.route, { method: request.method, url: request.url, headers: raw.headers, ip, bodySha256 }, services.usage);
      if (!admission.admitted) {
        reply.headers(admission.limitHeaders);
        return refuse(admission.code, admission.detail);
      }
      key = admission.key;
      limits = admission.limitHeaders;
    }

    // A client that goes away stops the upstream's work on its behalf.
    const abort = new AbortController();
    reply.raw.once('close', () => {
      if (!reply.raw.writableFinished) abort.abort();
    });
    let res: Dispatcher.ResponseData;
    try {
      res = await pool.request({
        path: `${basePath}${request.url}`,
        // undici types list the common methods only; Node's parser has already checked the token.
        method: request.method as Dispatcher.HttpMethod,
        headers: upstreamHeaders(raw.headers, { key, clientIp: ip, proto, requestId: request.id, upgrade: false }),
        body,
        signal: abort.signal,
      });
    } catch (err) {
      if (abort.signal.aborted || raw.destroyed) return reply.hijack();
      request.log.warn({ err: { message: err instanceof Error ? err.message : String(err) } }, 'gateway: upstream request failed');
      return sendProblem(reply, request, 'GATEWAY_UPSTREAM_UNAVAILABLE', `the upstream did not answer: ${errorReason(err)}`);
    }
    reply.code(res.statusCode);
    reply.headers(downstreamHeaders(res.headers));
    reply.headers(limits);
    return reply.send(res.body);
  };
  // Everything happens before Fastify would parse a body: the body is streamed (or hashed) here,
  // and no content type is refused on the upstream's behalf.
  app.addHook('onRequest', proxy);

  const tunnels = new Set<Duplex>();
  app.server.on('upgrade', (req, socket: Duplex, head: Buffer) =>
    handleUpgrade({ routes, verifier, usage: services.usage, ids: services.ids, trusted, upstream, proto, log: app.log, tunnels }, req, socket, head),
  );
  app.addHook('preClose', async () => {
    for (const s of tunnels) s.destroy();
  });
  app.addHook('onClose', async () => pool.close());
  await app.ready();
  return app;
}
