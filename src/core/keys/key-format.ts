import { hash, randomBytes } from 'node:crypto';
import { crc32 } from 'node:zlib';
import { BASE62_ALPHABET, encodeBase62 } from '../encoding/base62.ts';

/** Environments a key can belong to; a key verifies only in its own. */
export const ENVIRONMENTS = ['live', 'test', 'dev'] as const;
export type Environment = (typeof ENVIRONMENTS)[number];

/** The type segment of admin tokens, which share the key format. */
export const ADMIN_TOKEN_TYPE = 'adm';
export type CredentialType = Environment | typeof ADMIN_TOKEN_TYPE;

export const BODY_BYTES = 32;
export const BODY_LENGTH = 43;
export const CHECK_LENGTH = 6;
/** How many leading characters of a credential are kept for display (prefix, type and 4 of the body). */
export const DISPLAY_BODY_CHARS = 4;

export const PREFIX_PATTERN = /^[a-z]{2,8}$/;

/**
 * The published pattern of a Clavis API key: `<prefix>_<env>_<43 base62><6 base62 CRC32>`.
 * Scanners (gitleaks, secretlint) can use it as is; the checksum then confirms a match.
 */
export const KEY_REGEX_SOURCE = '\\b([a-z]{2,8})_(live|test|dev)_([0-9A-Za-z]{43})([0-9A-Za-z]{6})\\b';

const TYPES = new Set<string>(['live', 'test', 'dev', ADMIN_TOKEN_TYPE]);

/** Lookup table: base62 digit value + 1 per character code (0 = not base62). */
const DIGIT_PLUS_ONE = new Uint8Array(128);
for (let i = 0; i < BASE62_ALPHABET.length; i += 1) DIGIT_PLUS_ONE[BASE62_ALPHABET.charCodeAt(i)] = i + 1;

/** Longest string that can be a credential; anything longer is rejected before any regex runs. */
export const MAX_CREDENTIAL_LENGTH = 8 + 1 + 4 + 1 + BODY_LENGTH + CHECK_LENGTH;

export interface ParsedCredential {
  prefix: string;
  type: CredentialType;
}

/** CRC32 (IEEE, as zlib computes it) of `text`, as 6 base62 characters. */
export function checksum(text: string): string {
  // A CRC32 fits a double exactly, so plain arithmetic beats BigInt on this hot path.
  let n = crc32(text);
  let out = '';
  for (let i = 0; i < CHECK_LENGTH; i += 1) {
    out = BASE62_ALPHABET.charAt(n % 62) + out;
    n = Math.floor(n / 62);
  }
  return out;
}

/**
 * Generates a credential from the OS CSPRNG.
 *
 * @example generateCredential('clv', 'live') // 'clv_live_3x…(43)…Ab12Cd'
 */
export function generateCredential(prefix: string, type: CredentialType, random: (n: number) => Buffer = randomBytes): string {
  if (!PREFIX_PATTERN.test(prefix)) throw new RangeError(`invalid key prefix: must match ${PREFIX_PATTERN.source}`);
  const head = `${prefix}_${type}_${encodeBase62(random(BODY_BYTES), BODY_LENGTH)}`;
  return head + checksum(head);
}

/**
 * Checks shape and checksum without any lookup. Returns null for anything malformed.
 *
 * @example parseCredential('clv_live_…') // { prefix: 'clv', type: 'live' }
 */
export function parseCredential(text: string): ParsedCredential | null {
  return parseCredentialShape(text, true);
}

/**
 * The shape check of {@link parseCredential}, with the CRC32 optional: the verifier skips it for
 * a key already in its cache (only well-formed keys ever get there, and any other string has
 * another hash) and runs it before any store lookup.
 */
export function parseCredentialShape(text: string, verifyChecksum: boolean): ParsedCredential | null {
  // Equivalent to /^([a-z]{2,8})_(live|test|dev|adm)_([0-9A-Za-z]{49})$/ plus the checksum, by
  // hand: this runs on every verify, so it avoids the regex engine and allocations.
  if (text.length > MAX_CREDENTIAL_LENGTH) return null;
  const first = text.indexOf('_');
  if (first < 2 || first > 8) return null;
  for (let i = 0; i < first; i += 1) {
    const c = text.charCodeAt(i);
    if (c < 97 || c > 122) return null;
  }
  const second = text.indexOf('_', first + 1);
  if (second < 0) return null;
  const type = text.slice(first + 1, second);
  if (!TYPES.has(type)) return null;
  const bodyStart = second + 1;
  if (text.length - bodyStart !== BODY_LENGTH + CHECK_LENGTH) return null;
  const cut = text.length - CHECK_LENGTH;
  let check = 0;
  for (let i = bodyStart; i < text.length; i += 1) {
    const c = text.charCodeAt(i);
    const d = c < 128 ? (DIGIT_PLUS_ONE[c] ?? 0) : 0;
    if (d === 0) return null;
    if (i >= cut) check = check * 62 + (d - 1);
  }
  if (verifyChecksum && crc32(text.slice(0, cut)) !== check) return null;
  return { prefix: text.slice(0, first), type: type as CredentialType };
}

/** SHA-256 of the whole credential, hex. High entropy, so no salt or slow hash is needed. */
export function hashCredential(text: string): string {
  // One-shot hash: about three times cheaper than a Hash object for a short input, and every
  // verify and admin request hashes one or two credentials.
  return hash('sha256', text, 'hex');
}

/** The part of a credential kept for display: prefix, type and the first characters of the body. */
export function displayStart(text: string): string {
  const second = text.indexOf('_', text.indexOf('_') + 1);
  return text.slice(0, second + 1 + DISPLAY_BODY_CHARS);
}
