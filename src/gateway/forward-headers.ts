import type { IncomingHttpHeaders } from 'node:http';
import type { ApiKeyRecord } from '../core/model.ts';

/** Headers the gateway sets on every request it forwards; a client's own values are dropped. */
export const IDENTITY_HEADERS = {
  keyId: 'x-clavis-key-id',
  ownerId: 'x-clavis-owner-id',
  scopes: 'x-clavis-scopes',
  environment: 'x-clavis-environment',
  workspaceId: 'x-clavis-workspace-id',
  requestId: 'x-clavis-request-id',
} as const;

/** Connection-level headers (RFC 9110 section 7.6.1) that never cross a proxy. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'te', 'trailer', 'upgrade', 'proxy-authenticate', 'proxy-authorization']);

/**
 * Request headers replaced by the gateway: `host` becomes the upstream's, the forwarding headers
 * are rewritten from what the gateway itself saw (a client could write anything in them), and
 * `expect` is answered by the gateway's own server.
 */
const REPLACED = new Set(['host', 'expect', 'forwarded', 'x-forwarded-for', 'x-forwarded-host', 'x-forwarded-proto', 'x-real-ip']);

/** Header names a `Connection` header lists are hop-by-hop too. */
function connectionTokens(value: string | string[] | undefined): Set<string> {
  const text = Array.isArray(value) ? value.join(',') : (value ?? '');
  const out = new Set<string>();
  for (const t of text.split(',')) {
    const name = t.trim().toLowerCase();
    if (name !== '') out.add(name);
  }
  return out;
}

/**
 * An owner id as a header value: `%`, spaces, control characters and non-ASCII are
 * percent-encoded (UTF-8), so `decodeURIComponent` always gives the id back and a plain id such
 * as `user_42` or `alice@example.com` passes unchanged.
 */
export function headerSafe(value: string): string {
  return value.replace(/[^\x21-\x24\x26-\x7e]/gu, (c) =>
    [...Buffer.from(c, 'utf8')].map((b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`).join(''),
  );
}

export interface ForwardContext {
  /** The verified key; null when verification is switched off (benchmark only). */
  key: ApiKeyRecord | null;
  /** The client address as resolved through trusted proxies. */
  clientIp: string;
  /** The scheme the client used to reach the gateway. */
  proto: 'http' | 'https';
  requestId: string;
  /** A websocket (or other) upgrade: `Upgrade` is kept and `Connection: upgrade` set. */
  upgrade: boolean;
}

/**
 * The headers sent upstream: the client's, without the key (`X-Clavis-Key`, or `Authorization`
 * when it carried the key), the signature headers, any `X-Clavis-*` the client wrote and the
 * hop-by-hop headers; with the verified identity and `X-Forwarded-For/-Host/-Proto` added.
 *
 * @example upstreamHeaders(req.headers, { key, clientIp: '203.0.113.9', proto: 'https', requestId, upgrade: false })
 */
export function upstreamHeaders(incoming: IncomingHttpHeaders, ctx: ForwardContext): Record<string, string | string[]> {
  const dropped = connectionTokens(incoming.connection);
  const explicitKey = incoming['x-clavis-key'];
  // The key travels in X-Clavis-Key or, when that is absent, as `Authorization: Bearer`; an
  // Authorization header beside X-Clavis-Key belongs to the upstream and is kept.
  const authorizationIsKey = explicitKey === undefined || explicitKey === '';
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(incoming)) {
    if (value === undefined || HOP_BY_HOP.has(name) || REPLACED.has(name) || dropped.has(name)) continue;
    if (name.startsWith('x-clavis-')) continue;
    if (name === 'authorization' && authorizationIsKey && /^bearer\s/i.test(Array.isArray(value) ? (value[0] ?? '') : value)) continue;
    out[name] = value;
  }
  if (ctx.upgrade) {
    const upgrade = incoming.upgrade;
    if (upgrade !== undefined) out.upgrade = upgrade;
    out.connection = 'upgrade';
  }
  if (ctx.clientIp !== '') out['x-forwarded-for'] = ctx.clientIp;
  const host = incoming.host;
  if (host !== undefined) out['x-forwarded-host'] = host;
  out['x-forwarded-proto'] = ctx.proto;
  out[IDENTITY_HEADERS.requestId] = ctx.requestId;
  const key = ctx.key;
  if (key !== null) {
    out[IDENTITY_HEADERS.keyId] = key.id;
    out[IDENTITY_HEADERS.workspaceId] = key.workspaceId;
    out[IDENTITY_HEADERS.environment] = key.environment;
    out[IDENTITY_HEADERS.scopes] = key.scopes.join(',');
    if (key.ownerId !== null) out[IDENTITY_HEADERS.ownerId] = headerSafe(key.ownerId);
  }
  return out;
}

/**
 * The upstream's response headers as the client gets them: everything but the hop-by-hop headers.
 *
 * @example reply.headers(downstreamHeaders(res.headers))
 */
export function downstreamHeaders(upstream: IncomingHttpHeaders): Record<string, string | string[]> {
  const dropped = connectionTokens(upstream.connection);
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(upstream)) {
    if (value === undefined || HOP_BY_HOP.has(name) || dropped.has(name)) continue;
    out[name] = value;
  }
  return out;
}
