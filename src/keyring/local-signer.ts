import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { CheckpointSigner } from '../core/ports/signer.ts';

/** Raw 32-byte Ed25519 public key of a KeyObject (the SPKI DER ends with it). */
function rawPublicKey(key: KeyObject): Buffer {
  const der = createPublicKey(key).export({ format: 'der', type: 'spki' });
  return der.subarray(der.length - 32);
}

/**
 * The audit checkpoint signer of the local keyring: an Ed25519 key in a PEM file readable only by
 * the owner, created on first use. An HSM-backed signer replaces it in a later release.
 *
 * @example const signer = openLocalSigner('/var/lib/clavis/audit-signing-key.pem')
 */
export function openLocalSigner(path: string, keyName = 'clavis-audit'): CheckpointSigner {
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(readFileSync(path));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    privateKey = generateKeyPairSync('ed25519').privateKey;
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    writeFileSync(path, privateKey.export({ format: 'pem', type: 'pkcs8' }), { mode: 0o600, flag: 'wx' });
  }
  if (privateKey.asymmetricKeyType !== 'ed25519') throw new Error(`${path} is not an Ed25519 private key`);
  const publicKeyRaw = rawPublicKey(privateKey);
  return {
    keyName,
    publicKeyRaw,
    sign: async (message) => sign(null, message, privateKey),
  };
}

/** An in-memory signer for tests and benchmarks. */
export function ephemeralSigner(keyName = 'clavis-audit'): CheckpointSigner {
  const { privateKey } = generateKeyPairSync('ed25519');
  return { keyName, publicKeyRaw: rawPublicKey(privateKey), sign: async (m) => sign(null, m, privateKey) };
}
