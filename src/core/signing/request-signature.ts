import { createHmac, createPublicKey, timingSafeEqual, verify, type KeyObject } from 'node:crypto';
import { NONCE_PATTERN, canonicalRequest } from '@clavis/sdk/signing';

/** What a signed request carries besides the key: enough to rebuild the canonical string. */
export interface SignedRequest {
  method: string;
  /** Path and query exactly as sent. */
  url: string;
  /** Epoch ms from X-Clavis-Timestamp. */
  timestamp: number;
  nonce: string;
  /** Base64 signature from X-Clavis-Signature. */
  signature: string;
  /** SHA-256 hex of the raw body (of the empty string for none). */
  bodySha256: string;
}

const ED25519_SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/**
 * Parses a base64 raw Ed25519 public key into a KeyObject, or null when it is not one.
 *
 * @example ed25519FromBase64(publicKey.export({ format: 'der', type: 'spki' }).subarray(12).toString('base64'))
 */
export function ed25519FromBase64(text: string): KeyObject | null {
  if (!BASE64.test(text)) return null;
  const raw = Buffer.from(text, 'base64');
  if (raw.length !== 32) return null;
  try {
    return createPublicKey({ key: Buffer.concat([ED25519_SPKI_PREFIX, raw]), format: 'der', type: 'spki' });
  } catch {
    return null;
  }
}

/** Whether the nonce has the accepted shape (16–64 URL-safe characters). */
export function isWellFormedNonce(nonce: string): boolean {
  return NONCE_PATTERN.test(nonce);
}

/** The signature bytes of `req` when they are base64 of exactly `length` bytes, else null. */
function signatureBytes(req: SignedRequest, length: number): Buffer | null {
  // Base64 of n bytes is at most 4·⌈n/3⌉ characters (padded): anything longer is refused unread.
  if (req.signature.length > 4 * Math.ceil(length / 3) || !BASE64.test(req.signature)) return null;
  const sig = Buffer.from(req.signature, 'base64');
  return sig.length === length ? sig : null;
}

function canonicalBytes(req: SignedRequest): Buffer {
  return Buffer.from(canonicalRequest({ method: req.method, url: req.url, timestamp: req.timestamp, nonce: req.nonce, bodySha256: req.bodySha256 }), 'utf8');
}

/**
 * Checks an Ed25519 signature over the canonical string of `req`. Never throws.
 *
 * @example verifyEd25519Request(ed25519FromBase64(publicKey), { method: 'GET', url: '/v1/prices', timestamp, nonce, signature, bodySha256 })
 */
export function verifyEd25519Request(publicKey: KeyObject, req: SignedRequest): boolean {
  const sig = signatureBytes(req, 64);
  if (sig === null) return false;
  try {
    return verify(null, canonicalBytes(req), publicKey, sig);
  } catch {
    return false;
  }
}

/**
 * Checks an HMAC-SHA256 signature over the canonical string of `req`, comparing the 32-byte MACs
 * in constant time (only the length, which is public, decides early). Never throws.
 *
 * @example verifyHmacRequest(createSecretKey(secretBytes), { method: 'POST', url: '/v1/orders', timestamp, nonce, signature, bodySha256 })
 */
export function verifyHmacRequest(secret: KeyObject, req: SignedRequest): boolean {
  const sig = signatureBytes(req, 32);
  if (sig === null) return false;
  try {
    return timingSafeEqual(createHmac('sha256', secret).update(canonicalBytes(req)).digest(), sig);
  } catch {
    return false;
  }
}
