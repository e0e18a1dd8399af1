import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { SecretRef } from '../ports/store.ts';
import { DecryptionError } from '../ports/key-provider.ts';

/** Format byte of a stored value: 0x01 = AES-256-GCM, 12-byte IV, 16-byte tag. */
const VALUE_FORMAT = 0x01;
const IV_BYTES = 12;
const TAG_BYTES = 16;
export const DATA_KEY_BYTES = 32;

/**
 * The AAD of a secret version. Both the value ciphertext and the wrapped data key are bound to
 * (workspace, environment, path, version), each under its own label, so a ciphertext or a wrapped
 * key copied to another row, another version or another workspace fails to authenticate. JSON
 * keeps the fields unambiguous whatever characters they hold.
 *
 * @example secretAad('value', { workspaceId: 'ws_…', environment: 'live', path: 'binance/api-key' }, 3)
 */
export function secretAad(purpose: 'value' | 'data-key', ref: SecretRef, version: number): Buffer {
  return Buffer.from(JSON.stringify([`clavis.secret.${purpose}.v1`, ref.workspaceId, ref.environment, ref.path, version]), 'utf8');
}

/** A fresh random AES-256 data key; one per secret version, never reused. */
export function newDataKey(random: (n: number) => Buffer = randomBytes): Buffer {
  return random(DATA_KEY_BYTES);
}

/**
 * Encrypts `plaintext` with AES-256-GCM under `key`: `0x01 || iv || ciphertext || tag`.
 *
 * @example const blob = sealWithKey(dataKey, Buffer.from('s3cret'), aad)
 */
export function sealWithKey(key: Buffer, plaintext: Buffer, aad: Buffer, random: (n: number) => Buffer = randomBytes): Buffer {
  if (key.length !== DATA_KEY_BYTES) throw new RangeError('AES-256-GCM needs a 32-byte key');
  const iv = random(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(aad);
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([Buffer.of(VALUE_FORMAT), iv, body, cipher.getAuthTag()]);
}

/** Reverses {@link sealWithKey}; throws {@link DecryptionError} on any mismatch. */
export function openWithKey(key: Buffer, blob: Buffer, aad: Buffer): Buffer {
  if (key.length !== DATA_KEY_BYTES || blob.length < 1 + IV_BYTES + TAG_BYTES || blob[0] !== VALUE_FORMAT) throw new DecryptionError('ciphertext has an unknown format');
  const iv = blob.subarray(1, 1 + IV_BYTES);
  const tag = blob.subarray(blob.length - TAG_BYTES);
  const body = blob.subarray(1 + IV_BYTES, blob.length - TAG_BYTES);
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
    decipher.setAAD(aad);
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(body), decipher.final()]);
  } catch {
    throw new DecryptionError();
  }
}
