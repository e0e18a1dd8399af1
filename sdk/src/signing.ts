import { createHash, createHmac, sign as edSign, type KeyObject } from 'node:crypto';

/**
 * Request signing, shared by consumers (who sign) and Clavis (which verifies): one definition
 * of the canonical string so both sides cannot drift.
 *
 * Canonical string (DESIGN.md section 3):
 * `METHOD\npath?sorted-query\ntimestamp-ms\nnonce\nsha256-hex(body)`
 * - METHOD upper-case; path exactly as sent (percent-encoding kept);
 * - the query's pairs are decoded, re-encoded with RFC 3986 rules (encodeURIComponent), sorted by
 *   key then value, joined with `&`; no `?` when there is no query;
 * - the body hash is of the raw bytes sent (the empty string's hash for no body).
 */
export const SIGNATURE_HEADERS = {
  key: 'x-clavis-key',
  timestamp: 'x-clavis-timestamp',
  nonce: 'x-clavis-nonce',
  signature: 'x-clavis-signature',
} as const;

export type SigningScheme = 'ed25519' | 'hmac-sha256';

export const NONCE_PATTERN = /^[A-Za-z0-9_-]{16,64}$/;

export interface CanonicalRequestParts {
  method: string;
  /** Path and query as sent, e.g. `/v1/prices?ids=bitcoin,ethereum&vs=usd`. */
  url: string;
  timestamp: number;
  nonce: string;
  /** Raw body bytes (or its SHA-256 hex when the caller already hashed it). */
  body?: Uint8Array | string;
  bodySha256?: string;
}

function encode(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function decode(s: string): string {
  try {
    return decodeURIComponent(s.replace(/\+/g, ' '));
  } catch {
    return s;
  }
}

/** The query part in canonical order. */
export function canonicalQuery(query: string): string {
  if (query === '') return '';
  return query
    .split('&')
    .filter((p) => p !== '')
    .map((p) => {
      const i = p.indexOf('=');
      const k = i < 0 ? p : p.slice(0, i);
      const v = i < 0 ? '' : p.slice(i + 1);
      return [encode(decode(k)), encode(decode(v))] as const;
    })
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
}

export function sha256Hex(body: Uint8Array | string): string {
  return createHash('sha256').update(body).digest('hex');
}

/**
 * The string a consumer signs.
 *
 * @example canonicalRequest({ method: 'GET', url: '/v1/prices?b=2&a=1', timestamp: 1700000000000, nonce: 'n0nce-n0nce-n0nce' })
 * // 'GET\n/v1/prices?a=1&b=2\n1700000000000\nn0nce-n0nce-n0nce\ne3b0c442…'
 */
export function canonicalRequest(parts: CanonicalRequestParts): string {
  const q = parts.url.indexOf('?');
  const path = q < 0 ? parts.url : parts.url.slice(0, q);
  const query = canonicalQuery(q < 0 ? '' : parts.url.slice(q + 1));
  const bodyHash = parts.bodySha256 ?? sha256Hex(parts.body ?? '');
  return `${parts.method.toUpperCase()}\n${path}${query === '' ? '' : `?${query}`}\n${parts.timestamp}\n${parts.nonce}\n${bodyHash}`;
}

/**
 * What signs a consumer's requests: its Ed25519 private key, or the HMAC-SHA256 signing secret
 * Clavis showed once when it issued the key (`signingSecret`). Give that secret as the base64
 * text exactly as shown (the HMAC key is the 32 bytes it encodes), or as those raw bytes.
 */
export type RequestSigner = { scheme: 'ed25519'; privateKey: KeyObject } | { scheme: 'hmac-sha256'; secret: Uint8Array | string };

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** The HMAC key bytes of a signer's secret; a string must be the base64 text of 32 bytes. */
function hmacKey(secret: Uint8Array | string): Uint8Array {
  if (typeof secret !== 'string') return secret;
  const bytes = BASE64.test(secret) ? Buffer.from(secret, 'base64') : Buffer.alloc(0);
  // Refused rather than used as text: an API key or a mangled copy would sign, and every request fail.
  if (bytes.length !== 32 || bytes.toString('base64').replace(/=+$/, '') !== secret.replace(/=+$/, '')) {
    throw new TypeError('the HMAC signing secret must be the base64 text Clavis returned as signingSecret (32 bytes)');
  }
  return bytes;
}

/**
 * Signs a request and returns the headers to send with it (key, timestamp, nonce, signature).
 *
 * @example const headers = signRequest({ key, signer: { scheme: 'ed25519', privateKey }, method: 'POST', url: '/v1/indices/ct100/quote', body })
 * @example const headers = signRequest({ key, signer: { scheme: 'hmac-sha256', secret: process.env.CLAVIS_SIGNING_SECRET ?? '' }, method: 'GET', url: '/v1/portfolio' })
 */
export function signRequest(opts: {
  key: string;
  signer: RequestSigner;
  method: string;
  url: string;
  body?: Uint8Array | string;
  timestamp?: number;
  nonce?: string;
}): Record<string, string> {
  const timestamp = opts.timestamp ?? Date.now();
  const nonce = opts.nonce ?? globalThis.crypto.randomUUID().replaceAll('-', '');
  const message = Buffer.from(canonicalRequest({ method: opts.method, url: opts.url, timestamp, nonce, body: opts.body }), 'utf8');
  const signature =
    opts.signer.scheme === 'ed25519' ? edSign(null, message, opts.signer.privateKey) : createHmac('sha256', hmacKey(opts.signer.secret)).update(message).digest();
  return {
    [SIGNATURE_HEADERS.key]: opts.key,
    [SIGNATURE_HEADERS.timestamp]: String(timestamp),
    [SIGNATURE_HEADERS.nonce]: nonce,
    [SIGNATURE_HEADERS.signature]: signature.toString('base64'),
  };
}
