import { createHash, createPrivateKey, createPublicKey, sign as edSign, verify as edVerify } from 'node:crypto';
import type { KeyObject } from 'node:crypto';

/** Signature type byte of Ed25519 in the C2SP signed-note registry. */
const ED25519_TYPE = 0x01;
const ED25519_PUBLIC_KEY_SIZE = 32;
const ED25519_SIGNATURE_SIZE = 64;
const KEY_ID_SIZE = 4;
const ROOT_HASH_SIZE = 32;
/** U+2014 EM DASH then a space: how every signature line starts. */
const SIGNATURE_PREFIX = '\u2014 ';
// Bounds on untrusted input so a hostile note cannot make us hash or verify without end. The
// spec asks verifiers to accept at least 16 signatures.
const MAX_NOTE_LENGTH = 1_000_000;
const MAX_SIGNATURES = 100;

// DER prefixes that turn raw Ed25519 keys into SPKI / PKCS#8 for node:crypto (RFC 8410).
const SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');
const PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

/** A parsed verifier key: who signs (name and key id) and the Ed25519 public key. */
export interface VerifierKey {
  name: string;
  /** First four bytes of SHA-256(name || 0x0A || 0x01 || publicKeyRaw). */
  keyId: Buffer;
  /** The 32-byte RFC 8032 public key. */
  publicKeyRaw: Buffer;
  publicKey: KeyObject;
}

/** What {@link openNote} returns: the verified checkpoint, or why it was refused. */
export type OpenedCheckpoint =
  | { ok: true; origin: string; treeSize: number; rootHash: Buffer }
  | { ok: false; reason: string };

/** What {@link openSignedNote} returns: the verified note text, or why it was refused. */
export type OpenedNote = { ok: true; text: string } | { ok: false; reason: string };

const WHITESPACE = /\p{White_Space}/u;
// ASCII controls other than newline, and lone surrogates (which have no UTF-8 encoding).
const FORBIDDEN_IN_NOTE = /[\u0000-\u0009\u000b-\u001f]|\p{Cs}/u;
const STRICT_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const DECIMAL = /^(?:0|[1-9][0-9]*)$/;

/** Why `name` cannot be a key name, or null when it can. */
function nameProblem(name: string): string | null {
  if (name === '') return 'key name is empty';
  if (WHITESPACE.test(name)) return 'key name contains whitespace';
  if (name.includes('+')) return "key name contains '+'";
  if (FORBIDDEN_IN_NOTE.test(name)) return 'key name contains a control character';
  return null;
}

function assertName(name: string): void {
  const problem = nameProblem(name);
  if (problem !== null) throw new TypeError(`signed note: ${problem}`);
}

function assertPublicKey(publicKeyRaw: Uint8Array): void {
  if (publicKeyRaw.length !== ED25519_PUBLIC_KEY_SIZE) {
    throw new TypeError(`signed note: Ed25519 public key must be ${ED25519_PUBLIC_KEY_SIZE} bytes`);
  }
}

/** Standard base64 decoding that refuses what Buffer.from silently skips or accepts. */
function decodeBase64Strict(text: string): Buffer | null {
  if (!STRICT_BASE64.test(text)) return null;
  const bytes = Buffer.from(text, 'base64');
  // Rejects non-zero padding bits, so each byte string has exactly one accepted encoding.
  return bytes.toString('base64') === text ? bytes : null;
}

/**
 * The C2SP tlog-checkpoint note text: origin, decimal tree size and base64 root hash, each on
 * its own line. Throws on an origin that is empty or holds a newline or control character, a
 * size that is not a non-negative safe integer, or a root that is not 32 bytes.
 *
 * @example checkpointBody('clavis.example/ws_1', 3, root) // 'clavis.example/ws_1\n3\nrq2n…=\n'
 */
export function checkpointBody(origin: string, treeSize: number, rootHash: Uint8Array): string {
  if (origin === '' || origin.includes('\n') || FORBIDDEN_IN_NOTE.test(origin)) {
    throw new TypeError('checkpoint: origin must be a non-empty line without control characters');
  }
  if (!Number.isSafeInteger(treeSize) || treeSize < 0) throw new RangeError('checkpoint: bad tree size');
  if (rootHash.length !== ROOT_HASH_SIZE) throw new RangeError(`checkpoint: root hash must be ${ROOT_HASH_SIZE} bytes`);
  return `${origin}\n${treeSize}\n${Buffer.from(rootHash).toString('base64')}\n`;
}

/**
 * The C2SP key id of an Ed25519 key: the first four bytes of
 * SHA-256(name || 0x0A || 0x01 || publicKey). Throws on an invalid name or a key that is not
 * 32 bytes.
 *
 * @example keyId('PeterNeumann', pub).toString('hex') // 'c74f20a3'
 */
export function keyId(name: string, publicKeyRaw: Uint8Array): Buffer {
  assertName(name);
  assertPublicKey(publicKeyRaw);
  return createHash('sha256')
    .update(name, 'utf8')
    .update(Buffer.from([0x0a, ED25519_TYPE]))
    .update(publicKeyRaw)
    .digest()
    .subarray(0, KEY_ID_SIZE);
}

/**
 * Encodes a verifier key as `name+hex(keyId)+base64(0x01 || publicKey)`, the form Go's
 * `golang.org/x/mod/sumdb/note` and other C2SP tools read.
 *
 * @example encodeVerifierKey('clavis.example/ws_1', pub) // 'clavis.example/ws_1+1a2b3c4d+AR…'
 */
export function encodeVerifierKey(name: string, publicKeyRaw: Uint8Array): string {
  const id = keyId(name, publicKeyRaw);
  const key = Buffer.concat([Buffer.from([ED25519_TYPE]), publicKeyRaw]);
  return `${name}+${id.toString('hex')}+${key.toString('base64')}`;
}

/**
 * Parses an encoded verifier key (see {@link encodeVerifierKey}); throws a TypeError saying what
 * is wrong, including a key id that does not match the name and key.
 *
 * @example parseVerifierKey('PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW').name // 'PeterNeumann'
 */
export function parseVerifierKey(text: string): VerifierKey {
  // Split on the first two '+' only: the base64 key may itself contain '+'.
  const first = text.indexOf('+');
  const second = first < 0 ? -1 : text.indexOf('+', first + 1);
  if (second < 0) throw new TypeError('verifier key: expected name+keyid+key');
  const name = text.slice(0, first);
  const idHex = text.slice(first + 1, second);
  const keyB64 = text.slice(second + 1);
  const problem = nameProblem(name);
  if (problem !== null) throw new TypeError(`verifier key: ${problem}`);
  if (!/^[0-9a-f]{8}$/.test(idHex)) throw new TypeError('verifier key: key id must be 8 lowercase hex digits');
  const key = decodeBase64Strict(keyB64);
  if (key === null) throw new TypeError('verifier key: key is not canonical base64');
  if (key.length !== 1 + ED25519_PUBLIC_KEY_SIZE || key[0] !== ED25519_TYPE) {
    throw new TypeError('verifier key: not an Ed25519 key (type 0x01, 32 bytes)');
  }
  const publicKeyRaw = key.subarray(1);
  const id = keyId(name, publicKeyRaw);
  if (id.toString('hex') !== idHex) throw new TypeError('verifier key: key id does not match name and key');
  let publicKey: KeyObject;
  try {
    publicKey = ed25519PublicKey(publicKeyRaw);
  } catch {
    throw new TypeError('verifier key: not a valid Ed25519 public key');
  }
  return { name, keyId: id, publicKeyRaw: Buffer.from(publicKeyRaw), publicKey };
}

/** A node:crypto public KeyObject for a raw 32-byte Ed25519 public key. */
export function ed25519PublicKey(publicKeyRaw: Uint8Array): KeyObject {
  assertPublicKey(publicKeyRaw);
  return createPublicKey({ key: Buffer.concat([SPKI_PREFIX, publicKeyRaw]), format: 'der', type: 'spki' });
}

/** A node:crypto private KeyObject for a raw 32-byte Ed25519 seed (RFC 8032 private key). */
export function ed25519PrivateKey(seed: Uint8Array): KeyObject {
  if (seed.length !== 32) throw new TypeError('signed note: Ed25519 seed must be 32 bytes');
  return createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, seed]), format: 'der', type: 'pkcs8' });
}

/**
 * The raw 32-byte public key of an Ed25519 KeyObject (public or private).
 *
 * @example ed25519PublicKeyRaw(generateKeyPairSync('ed25519').publicKey).length // 32
 */
export function ed25519PublicKeyRaw(key: KeyObject): Buffer {
  const publicKey = key.type === 'private' ? createPublicKey(key) : key;
  if (publicKey.asymmetricKeyType !== 'ed25519') throw new TypeError('signed note: not an Ed25519 key');
  const der = publicKey.export({ format: 'der', type: 'spki' });
  return Buffer.from(der.subarray(der.length - ED25519_PUBLIC_KEY_SIZE));
}

/**
 * A `sign` callback for {@link signNote} backed by an in-process Ed25519 private key. Key
 * stores that keep the key elsewhere pass their own callback instead.
 */
export function ed25519Signer(privateKey: KeyObject): (message: Buffer) => Promise<Buffer> {
  return async (message) => edSign(null, message, privateKey);
}

/**
 * Signs a note text and returns the signed note: the text, a blank line, and the signature line
 * `— name base64(keyId || signature)`. The signature is checked against `publicKeyRaw` before the
 * note is returned, so a signer that does not hold that key fails here rather than producing
 * checkpoints nobody can verify.
 *
 * @example
 * const note = await signNote(checkpointBody(origin, size, root), origin, ed25519Signer(priv), pub);
 */
export async function signNote(
  body: string,
  keyName: string,
  sign: (message: Buffer) => Promise<Buffer>,
  publicKeyRaw: Uint8Array,
): Promise<string> {
  if (body === '' || !body.endsWith('\n')) throw new TypeError('signed note: text must be non-empty and end in a newline');
  if (FORBIDDEN_IN_NOTE.test(body)) throw new TypeError('signed note: text holds a control character or lone surrogate');
  const id = keyId(keyName, publicKeyRaw);
  const message = Buffer.from(body, 'utf8');
  const signature = await sign(message);
  if (signature.length !== ED25519_SIGNATURE_SIZE || !edVerify(null, message, ed25519PublicKey(publicKeyRaw), signature)) {
    throw new Error('signed note: signer produced a signature that does not verify under the given public key');
  }
  const line = `${SIGNATURE_PREFIX}${keyName} ${Buffer.concat([id, signature]).toString('base64')}\n`;
  return `${body}\n${line}`;
}

function toVerifierKey(verifierKey: string | VerifierKey): VerifierKey | string {
  if (typeof verifierKey !== 'string') return verifierKey;
  try {
    return parseVerifierKey(verifierKey);
  } catch (error) {
    return error instanceof Error ? error.message : 'verifier key: invalid';
  }
}

/**
 * Opens a C2SP signed note: checks its structure, finds the signature line of `verifierKey`
 * (matching both name and key id; other signatures, such as cosigners', are ignored as the spec
 * requires) and verifies it over the note text. Never throws.
 *
 * @example openSignedNote(note, 'PeterNeumann+c74f20a3+ARpc…') // { ok: true, text: 'If you think…\n' }
 */
export function openSignedNote(note: string, verifierKey: string | VerifierKey): OpenedNote {
  const key = toVerifierKey(verifierKey);
  if (typeof key === 'string') return { ok: false, reason: key };
  if (note.length > MAX_NOTE_LENGTH) return { ok: false, reason: 'note is too large' };
  if (FORBIDDEN_IN_NOTE.test(note)) return { ok: false, reason: 'note holds a control character or invalid UTF-16' };
  // The text ends at the last blank line; signature lines can never contain one.
  const split = note.lastIndexOf('\n\n');
  if (split < 0) return { ok: false, reason: 'note has no blank line before its signatures' };
  const text = note.slice(0, split + 1);
  const signatures = note.slice(split + 2);
  if (signatures === '' || !signatures.endsWith('\n')) return { ok: false, reason: 'note signatures must end in a newline' };
  const lines = signatures.slice(0, -1).split('\n');
  if (lines.length > MAX_SIGNATURES) return { ok: false, reason: 'note has too many signatures' };
  let ours: Buffer | null = null;
  for (const line of lines) {
    if (!line.startsWith(SIGNATURE_PREFIX)) return { ok: false, reason: 'malformed signature line' };
    const rest = line.slice(SIGNATURE_PREFIX.length);
    const space = rest.indexOf(' ');
    if (space < 0) return { ok: false, reason: 'malformed signature line' };
    const name = rest.slice(0, space);
    const blob = decodeBase64Strict(rest.slice(space + 1));
    if (nameProblem(name) !== null || blob === null || blob.length <= KEY_ID_SIZE) {
      return { ok: false, reason: 'malformed signature line' };
    }
    if (name !== key.name || !blob.subarray(0, KEY_ID_SIZE).equals(key.keyId)) continue;
    if (ours !== null) return { ok: false, reason: `more than one signature by ${key.name}` };
    ours = blob.subarray(KEY_ID_SIZE);
  }
  if (ours === null) {
    return { ok: false, reason: `no signature by ${key.name}+${key.keyId.toString('hex')}` };
  }
  if (ours.length !== ED25519_SIGNATURE_SIZE || !edVerify(null, Buffer.from(text, 'utf8'), key.publicKey, ours)) {
    return { ok: false, reason: `signature by ${key.name} does not verify` };
  }
  return { ok: true, text };
}

/**
 * Opens a signed checkpoint: {@link openSignedNote}, then a strict parse of the C2SP
 * tlog-checkpoint text — a non-empty origin, a decimal tree size without leading zeros that fits
 * a safe integer, and a canonical base64 32-byte root. Extension lines are refused: Clavis never
 * writes them, and signed text the verifier does not understand should not pass unnoticed.
 * Never throws.
 *
 * @example
 * const opened = openNote(note, verifierKey);
 * if (opened.ok) console.log(opened.treeSize, opened.rootHash.toString('hex'));
 */
export function openNote(note: string, verifierKey: string | VerifierKey): OpenedCheckpoint {
  const opened = openSignedNote(note, verifierKey);
  if (!opened.ok) return opened;
  const lines = opened.text.slice(0, -1).split('\n');
  const [origin, sizeText, rootText] = lines;
  if (origin === undefined || sizeText === undefined || rootText === undefined) {
    return { ok: false, reason: 'checkpoint needs origin, size and root lines' };
  }
  if (lines.length > 3) return { ok: false, reason: 'checkpoint has unexpected extension lines' };
  if (origin === '') return { ok: false, reason: 'checkpoint origin is empty' };
  if (!DECIMAL.test(sizeText)) return { ok: false, reason: 'checkpoint tree size is not a canonical decimal' };
  const treeSize = Number(sizeText);
  if (!Number.isSafeInteger(treeSize)) return { ok: false, reason: 'checkpoint tree size is too large' };
  const rootHash = decodeBase64Strict(rootText);
  if (rootHash === null || rootHash.length !== ROOT_HASH_SIZE) {
    return { ok: false, reason: 'checkpoint root hash is not 32 bytes of canonical base64' };
  }
  return { ok: true, origin, treeSize, rootHash };
}
