import type { UsageSink } from '../monitor/usage-event.ts';
import { request as httpRequest, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { FastifyBaseLogger } from 'fastify';
import { ClavisError } from '../core/errors/registry.ts';
import type { IdGenerator } from '../core/ids.ts';
import type { IpMatcher } from '../core/keys/ip-allowlist.ts';
import type { KeyVerifier } from '../core/keys/verify.ts';
import type { ApiKeyRecord } from '../core/model.ts';
import { consumerKey } from '../http/consumer-auth.ts';
import { admit } from './admission.ts';
import { clientIp } from './client-ip.ts';
import { downstreamHeaders, upstreamHeaders } from './forward-headers.ts';
import { writeRawProblem } from './raw-problem.ts';
import { matchRoute } from './route-match.ts';
import type { RouteTable } from './routes-file.ts';

/** Largest body of an upstream's refusal of an upgrade that is relayed to the client. */
const REFUSAL_BODY_LIMIT = 64 * 1024;

export interface UpgradeProxyDeps {
  routes: RouteTable;
  /** null: verification switched off (benchmark only). */
  verifier: KeyVerifier | null;
  usage?: UsageSink;
  ids: IdGenerator;
  trusted: IpMatcher | null;
  upstream: URL;
  proto: 'http' | 'https';
  log: FastifyBaseLogger;
  /** Tunnels open now (client and upstream sockets), destroyed when the gateway closes. */
  tunnels: Set<Duplex>;
}

/**
 * The `key` query parameter of a websocket URL (browsers cannot set headers on a websocket), and
 * the URL without it, so the key never reaches the upstream.
 */
export function takeQueryKey(url: string): { key: string | undefined; url: string } {
  const q = url.indexOf('?');
  if (q < 0) return { key: undefined, url };
  let key: string | undefined;
  const kept: string[] = [];
  for (const pair of url.slice(q + 1).split('&')) {
    const eq = pair.indexOf('=');
    const name = eq < 0 ? pair : pair.slice(0, eq);
    if (name === 'key' && key === undefined) {
      try {
        key = decodeURIComponent(pair.slice(eq + 1).replace(/\+/g, ' '));
      } catch {
        key = '';
      }
      continue;
    }
    kept.push(pair);
  }
  const path = url.slice(0, q);
  return { key, url: kept.length === 0 ? path : `${path}?${kept.join('&')}` };
}

function rawHeaderLines(headers: Record<string, string | string[]>): string[] {
  const lines: string[] = [];
  for (const [name, value] of Object.entries(headers)) for (const v of Array.isArray(value) ? value : [value]) lines.push(`${name}: ${v}`);
  return lines;
}

/** Joins two sockets both ways; either closing or failing closes both. */
function tunnel(a: Duplex, b: Duplex, tunnels: Set<Duplex>): void {
  tunnels.add(a);
  tunnels.add(b);
  const close = (): void => {
    a.destroy();
    b.destroy();
    tunnels.delete(a);
    tunnels.delete(b);
  };
  for (const s of [a, b]) {
    s.on('error', close);
    s.on('close', close);
  }
  a.pipe(b);
  b.pipe(a);
}

/** Relays an upstream's answer other than 101 (a refusal of the upgrade) and closes the socket. */
function relayRefusal(socket: Duplex, res: IncomingMessage, extra: Record<string, string>): void {
  const chunks: Buffer[] = [];
  let size = 0;
  res.on('data', (c: Buffer) => {
    size += c.length;
    if (size <= REFUSAL_BODY_LIMIT) chunks.push(c);
  });
  res.on('error', () => socket.destroy());
  res.on('end', () => {
    const body = Buffer.concat(chunks);
    const headers = downstreamHeaders(res.headers);
    delete headers['content-length'];
    const head = [`HTTP/1.1 ${res.statusCode ?? 502} ${res.statusMessage ?? ''}`, ...rawHeaderLines({ ...headers, ...extra }), `content-length: ${body.length}`, 'connection: close'];
    socket.end(Buffer.concat([Buffer.from(`${head.join('\r\n')}\r\n\r\n`, 'latin1'), body]));
  });
}

/**
 * Handles the `upgrade` event of the gateway's server: the request is matched and verified as an
 * HTTP request would be (the key from a header, or `?key=` when the route file allows it), then
 * the upgrade is forwarded and, on the upstream's 101, the two sockets are joined. Refusals are
 * problem+json written to the socket.
 *
 * @example server.on('upgrade', (req, socket, head) => handleUpgrade(deps, req, socket, head))
 */
export function handleUpgrade(deps: UpgradeProxyDeps, req: IncomingMessage, socket: Duplex, head: Buffer): void {
  const requestId = deps.ids('req');
  const url = req.url ?? '/';
  const method = req.method ?? 'GET';
  socket.on('error', () => socket.destroy());
  const refuse = (code: Parameters<typeof writeRawProblem>[1]['code'], detail: string, headers: Record<string, string> = {}): void =>
    writeRawProblem(socket, { code, detail, url, requestId, headers });

  const match = matchRoute(deps.routes, method, url);
  if (match.route === null) return refuse('ROUTE_NOT_FOUND', match.reason);
  const route = match.route;
  const ip = clientIp(req.socket.remoteAddress, req.headers['x-forwarded-for'], deps.trusted);

  // The key travels in a header when the client can set one; a browser's websocket cannot.
  let headers: IncomingHttpHeaders = req.headers;
  let forwardUrl = url;
  if (deps.routes.websocketQueryKey && consumerKey(req.headers) === undefined) {
    const taken = takeQueryKey(url);
    if (taken.key !== undefined) {
      headers = { ...req.headers, 'x-clavis-key': taken.key };
      forwardUrl = taken.url;
    }
  }

  const verified: Promise<{ key: ApiKeyRecord | null; limits: Record<string, string> } | null> =
    deps.verifier === null
      ? Promise.resolve({ key: null, limits: {} })
      : admit(deps.verifier, deps.routes, route, { method, url, headers, ip }, deps.usage).then((a) => {
          if (a.admitted) return { key: a.key, limits: a.limitHeaders };
          refuse(a.code, a.detail, a.limitHeaders);
          return null;
        });

  verified
    .then((ok) => {
      if (ok === null || socket.destroyed) return;
      const target = deps.upstream;
      const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
      const base = target.pathname.replace(/\/$/, '');
      const upReq = send({
        hostname: target.hostname.replace(/^\[|\]$/g, ''),
        port: target.port === '' ? undefined : Number(target.port),
        method,
        path: `${base}${forwardUrl}`,
        headers: upstreamHeaders(headers, { key: ok.key, clientIp: ip, proto: deps.proto, requestId, upgrade: true }),
        agent: false,
      });
      socket.once('close', () => upReq.destroy());
      upReq.on('upgrade', (res: IncomingMessage, upSocket: Socket, upHead: Buffer) => {
        const lines = [`HTTP/1.1 101 ${res.statusMessage ?? 'Switching Protocols'}`];
        for (let i = 0; i + 1 < res.rawHeaders.length; i += 2) lines.push(`${res.rawHeaders[i] ?? ''}: ${res.rawHeaders[i + 1] ?? ''}`);
        lines.push(...rawHeaderLines(ok.limits));
        socket.write(`${lines.join('\r\n')}\r\n\r\n`);
        if (upHead.length > 0) socket.write(upHead);
        if (head.length > 0) upSocket.write(head);
        tunnel(socket, upSocket, deps.tunnels);
      });
      upReq.on('response', (res: IncomingMessage) => relayRefusal(socket, res, ok.limits));
      upReq.on('error', (err) => {
        deps.log.warn({ requestId, err: { message: err.message } }, 'gateway: upstream upgrade failed');
        refuse('GATEWAY_UPSTREAM_UNAVAILABLE', `the upstream did not accept the connection: ${errorReason(err)}`);
      });
      upReq.end();
    })
    .catch((err: unknown) => {
      if (err instanceof ClavisError) return refuse(err.code, err.message);
      deps.log.error({ requestId, err: { message: err instanceof Error ? err.message : String(err) } }, 'gateway: upgrade failed');
      refuse('INTERNAL_ERROR', 'an unexpected error occurred; quote the requestId when reporting it');
    });
}

/** A short reason from a network error (ECONNREFUSED, a timeout…), never a stack. */
export function errorReason(err: unknown): string {
  if (typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'string') return err.code;
  return err instanceof Error ? err.message : String(err);
}
