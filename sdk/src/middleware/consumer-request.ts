import { createHash } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { SIGNATURE_HEADERS, sha256Hex } from '../signing.ts';

const BEARER = /^Bearer ([^\s]+)$/i;

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/**
 * The key a consumer sent: `X-Clavis-Key`, or else `Authorization: Bearer <key>`, the rule of the
 * Clavis data API and gateway (the scheme matched case-insensitively, as RFC 9110 has it).
 *
 * @example consumerKey({ authorization: 'Bearer clv_live_…' }) // 'clv_live_…'
 */
export function consumerKey(headers: IncomingHttpHeaders): string | undefined {
  const explicit = header(headers, SIGNATURE_HEADERS.key);
  if (explicit !== undefined && explicit !== '') return explicit;
  return BEARER.exec(header(headers, 'authorization') ?? '')?.[1];
}

/** The signature headers, when all three were sent; a request with fewer is an unsigned one. */
export function signatureHeaders(headers: IncomingHttpHeaders): { timestamp: string; nonce: string; signature: string } | undefined {
  const timestamp = header(headers, SIGNATURE_HEADERS.timestamp);
  const nonce = header(headers, SIGNATURE_HEADERS.nonce);
  const signature = header(headers, SIGNATURE_HEADERS.signature);
  return timestamp !== undefined && nonce !== undefined && signature !== undefined ? { timestamp, nonce, signature } : undefined;
}

/** SHA-256 hex of each request's raw body, recorded by whatever read the body. */
const bodyHashes = new WeakMap<object, string>();

/**
 * Records the raw body of a request so the middleware can check its signature. Its signature is
 * that of the `verify` option of Express's body parsers, so it plugs in there; a plain
 * `node:http` server calls it after reading the body.
 *
 * @example app.use(express.json({ verify: recordRawBody }))
 * @example recordRawBody(req, res, Buffer.concat(chunks))
 */
export function recordRawBody(req: object, _res: unknown, body: Uint8Array | string): void {
  bodyHashes.set(req, sha256Hex(body));
}

/** Records a body hash computed elsewhere (the Fastify preParsing hook hashes as it streams). */
export function recordBodySha256(req: object, sha256: string): void {
  bodyHashes.set(req, sha256);
}

export function recordedBodySha256(req: object): string | undefined {
  return bodyHashes.get(req);
}

const EMPTY_SHA256 = createHash('sha256').digest('hex');

/**
 * The body hash of a request that carries no body at all (no Content-Length above 0, no
 * Transfer-Encoding): the empty string's hash, as the consumer signed it. Undefined when a body
 * was sent but nobody recorded it.
 */
export function emptyBodySha256(headers: IncomingHttpHeaders): string | undefined {
  const length = header(headers, 'content-length');
  const hasBody = header(headers, 'transfer-encoding') !== undefined || (length !== undefined && length !== '0');
  return hasBody ? undefined : EMPTY_SHA256;
}
