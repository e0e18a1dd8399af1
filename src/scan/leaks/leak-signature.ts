import { createPublicKey, verify, type KeyObject } from 'node:crypto';

/**
 * Parses the configured public keys of leak reporters: comma-separated `id=key` entries, the
 * key a PEM `PUBLIC KEY` block (real newlines or `\n` escapes, as environment variables often
 * need) or the base64 of a DER SubjectPublicKeyInfo. Only ECDSA P-256 keys are accepted: that is
 * what GitHub's secret scanning signs with. Throws a RangeError naming the bad entry.
 *
 * @example parseLeakPublicKeys('f952…=MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE…')
 */
export function parseLeakPublicKeys(text: string): Map<string, KeyObject> {
  const keys = new Map<string, KeyObject>();
  for (const raw of text.split(',')) {
    const entry = raw.trim();
    if (entry === '') continue;
    const eq = entry.indexOf('=');
    const id = entry.slice(0, eq).trim();
    const value = entry.slice(eq + 1).trim().replace(/\\n/g, '\n');
    if (eq <= 0 || !/^[A-Za-z0-9_.:-]{1,128}$/.test(id)) throw new RangeError(`entry ${keys.size + 1}: expected id=key with an id of letters, digits and _.:-`);
    let key: KeyObject;
    try {
      key = value.startsWith('-----BEGIN') ? createPublicKey(value) : createPublicKey({ key: Buffer.from(value, 'base64'), format: 'der', type: 'spki' });
    } catch {
      throw new RangeError(`key ${id}: not a PEM public key or base64 SubjectPublicKeyInfo`);
    }
    if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') throw new RangeError(`key ${id}: must be an ECDSA P-256 public key`);
    if (keys.has(id)) throw new RangeError(`key ${id}: given twice`);
    keys.set(id, key);
  }
  return keys;
}

/**
 * Whether `signature` (base64 DER ECDSA, as in the `Github-Public-Key-Signature` header) signs
 * the raw request body with SHA-256 under the key named by `keyId`. Unknown ids do not verify.
 */
export function verifyLeakSignature(keys: ReadonlyMap<string, KeyObject>, keyId: string, signature: string, body: Uint8Array): boolean {
  const key = keys.get(keyId);
  if (key === undefined || !/^[A-Za-z0-9+/]+={0,2}$/.test(signature)) return false;
  try {
    return verify('sha256', body, key, Buffer.from(signature, 'base64'));
  } catch {
    return false;
  }
}
