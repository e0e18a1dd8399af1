import { createPublicKey, verify, type KeyObject } from 'node:crypto';
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

/**
 * Checks an Ed25519 signature over the canonical string of `req`. Never throws.
 */
export function verifyEd25519Request(publicKey: KeyObject, req: SignedRequest): boolean {
  if (!BASE64.test(req.signature)) return false;
  const sig = Buffer.from(req.signature, 'base64');
  if (sig.length !== 64) return false;
  const message = Buffer.from(canonicalRequest({ method: req.method, url: req.url, timestamp: req.timestamp, nonce: req.nonce, bodySha256: req.bodySha256 }), 'utf8');
  try {
    return verify(null, message, publicKey, sig);
  } catch {
    return false;
  }
}
