import { createSecretKey, randomBytes, type KeyObject } from 'node:crypto';
import { ClavisError } from '../errors/registry.ts';
import type { Store } from '../ports/store.ts';
import type { SigningSecretRecord } from '../ports/signing-secret-store.ts';
import { KeyringBox, type SealedValue } from '../vault/keyring-box.ts';
import type { WrappedDataKeys } from '../vault/keyring-admin.ts';
import type { Keyring } from '../vault/keyring.ts';

/** Bytes of an HMAC-SHA256 signing secret: the hash's block-size rule needs no more, 256 bits need no less. */
export const SIGNING_SECRET_BYTES = 32;

/**
 * The AAD of a key's signing secret: ciphertext and wrapped data key are both bound to
 * (workspace, key), each under its own label — the vault's envelope (decision 0005) — so a row
 * copied to another key or workspace fails to decrypt instead of verifying its signatures.
 *
 * @example signingSecretAad('secret', 'ws_…', 'key_…')
 */
export function signingSecretAad(purpose: 'secret' | 'data-key', workspaceId: string, keyId: string): Buffer {
  return Buffer.from(JSON.stringify([`clavis.key.signing-${purpose}.v1`, workspaceId, keyId]), 'utf8');
}

/** A freshly issued secret: the text shown once to the caller, and its row to store. */
export interface IssuedSigningSecret {
  /** Base64 of the 32 raw bytes: the HMAC key is those bytes, not this text. */
  text: string;
  record: SigningSecretRecord;
}

/**
 * Issues, seals and opens HMAC signing secrets of API keys through the keyring. Sealing and
 * opening call the key provider, which may be across a network: never inside a store
 * transaction. A sealed keyring answers SEALED.
 *
 * @example const issued = await box.issue('ws_…', 'key_…', now); await tx.signingSecrets.put(issued.record)
 */
export class SigningSecretBox {
  readonly #box: KeyringBox;
  readonly #random: (n: number) => Buffer;

  constructor(store: Pick<Store, 'keyring'>, keyring: Keyring, random?: (n: number) => Buffer) {
    this.#random = random ?? randomBytes;
    this.#box = new KeyringBox(store, keyring, {
      aad: signingSecretAad,
      what: 'key signing secret',
      retiredAdvice: 'give the key a new secret (PATCH signing to hmac-sha256) or rotate it',
      random: this.#random,
    });
  }

  /** 32 CSPRNG bytes sealed for (workspace, key); the plaintext leaves only as `text`. */
  async issue(workspaceId: string, keyId: string, now: number): Promise<IssuedSigningSecret> {
    const raw = this.#random(SIGNING_SECRET_BYTES);
    try {
      const sealed: SealedValue = await this.#box.seal(workspaceId, keyId, raw);
      return { text: raw.toString('base64'), record: { keyId, workspaceId, createdAt: now, ...sealed } };
    } finally {
      raw.fill(0);
    }
  }

  /**
   * The secret of a stored row as an HMAC key object. The raw bytes are zeroed at once; the
   * KeyObject keeps them outside the JS heap (no heap snapshot or stray string holds them).
   */
  async open(secret: SigningSecretRecord): Promise<KeyObject> {
    const raw = await this.#box.open(secret.workspaceId, secret.keyId, secret);
    try {
      if (raw.length !== SIGNING_SECRET_BYTES) throw new ClavisError('DECRYPTION_FAILED', 'a stored key signing secret has the wrong length');
      return createSecretKey(raw);
    } finally {
      raw.fill(0);
    }
  }
}

/**
 * Where the verify pipeline gets the HMAC key of a key that requires HMAC signatures: the row,
 * unsealed. null when the key has no stored secret (it then verifies no signature at all).
 *
 * @example const hmac = hmacKeySource(store, box); await hmac(record)
 */
export function hmacKeySource(store: Pick<Store, 'signingSecrets'>, box: Pick<SigningSecretBox, 'open'>): (key: { workspaceId: string; id: string }) => Promise<KeyObject | null> {
  return async (key) => {
    const row = await store.signingSecrets.find(key.workspaceId, key.id);
    return row === null ? null : box.open(row);
  };
}

/**
 * The data keys of key signing secrets as master key rotation sees them: rewrap moves them with
 * the vault's, and retire counts them, so no key is stranded under a retired version.
 */
export function signingSecretDataKeys(store: Pick<Store, 'signingSecrets'>): WrappedDataKeys {
  return {
    countByKeyVersion: () => store.signingSecrets.countByKeyVersion(),
    wrappedBetween: async (from, to, limit) =>
      (await store.signingSecrets.wrappedBetween(from, to, limit)).map((s) => ({
        keyVersion: s.keyVersion,
        wrappedKey: s.wrappedKey,
        aad: signingSecretAad('data-key', s.workspaceId, s.keyId),
        rewrap: (toVersion: number, wrapped: Buffer) => store.signingSecrets.rewrap(s.keyId, s.keyVersion, toVersion, wrapped),
      })),
  };
}
