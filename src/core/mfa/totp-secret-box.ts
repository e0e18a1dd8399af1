import { randomBytes } from 'node:crypto';
import { ClavisError } from '../errors/registry.ts';
import { DecryptionError, ProviderUnavailableError, type KeyProvider } from '../ports/key-provider.ts';
import type { KeyringRecord, Store, TotpEnrolmentRecord } from '../ports/store.ts';
import { newDataKey, openWithKey, sealWithKey } from '../vault/envelope.ts';
import type { WrappedDataKeys } from '../vault/keyring-admin.ts';
import type { Keyring } from '../vault/keyring.ts';

/**
 * The AAD of a user's TOTP secret: the ciphertext and its wrapped data key are both bound to
 * (workspace, user), each under its own label, so an enrolment row copied to another user or
 * workspace fails to decrypt. Same construction as secret values (decision 0005).
 *
 * @example totpAad('secret', 'ws_…', 'usr_…')
 */
export function totpAad(purpose: 'secret' | 'data-key', workspaceId: string, userId: string): Buffer {
  return Buffer.from(JSON.stringify([`clavis.mfa.totp-${purpose}.v1`, workspaceId, userId]), 'utf8');
}

export interface SealedTotpSecret {
  ciphertext: Buffer;
  wrappedKey: Buffer;
  keyVersion: number;
}

/** Encrypts and decrypts TOTP secrets through the keyring; a sealed keyring answers SEALED. */
export class TotpSecretBox {
  readonly #store: Pick<Store, 'keyring'>;
  readonly #keyring: Keyring;
  readonly #random: (n: number) => Buffer;

  constructor(store: Pick<Store, 'keyring'>, keyring: Keyring, random: (n: number) => Buffer = randomBytes) {
    this.#store = store;
    this.#keyring = keyring;
    this.#random = random;
  }

  async #state(): Promise<KeyringRecord> {
    this.#keyring.provider();
    const state = await this.#store.keyring.get();
    if (state === null) throw new ClavisError('SEALED', 'the keyring is not initialised (run `clavis init`)');
    return state;
  }

  async #call<T>(fn: (p: KeyProvider) => Promise<T>): Promise<T> {
    const provider = this.#keyring.provider();
    try {
      return await fn(provider);
    } catch (err) {
      if (err instanceof DecryptionError) throw new ClavisError('DECRYPTION_FAILED', 'a stored TOTP secret did not authenticate: it was altered, moved to another user, or wrapped by another key');
      if (err instanceof ProviderUnavailableError) {
        void this.#keyring.seal(`the key provider failed: ${err.message}`)?.close().catch(() => undefined);
        throw new ClavisError('SEALED', `the key provider failed: ${err.message}`);
      }
      throw err;
    }
  }

  /** Seals `secret` under a fresh data key wrapped by the current root key version. */
  async seal(workspaceId: string, userId: string, secret: Buffer): Promise<SealedTotpSecret> {
    const state = await this.#state();
    const dataKey = newDataKey(this.#random);
    try {
      const ciphertext = sealWithKey(dataKey, secret, totpAad('secret', workspaceId, userId), this.#random);
      const wrappedKey = await this.#call((p) => p.wrap(dataKey, totpAad('data-key', workspaceId, userId), state.currentVersion));
      return { ciphertext, wrappedKey, keyVersion: state.currentVersion };
    } finally {
      dataKey.fill(0);
    }
  }

  /** The plaintext secret of an enrolment; the caller zeroes it after use. */
  async open(e: TotpEnrolmentRecord): Promise<Buffer> {
    const state = await this.#state();
    if (e.keyVersion < state.minDecryptionVersion) throw new ClavisError('KEY_VERSION_RETIRED', `the TOTP secret is wrapped by master key version ${e.keyVersion}, below the minimum decryption version ${state.minDecryptionVersion}: use a recovery code, then enrol again`);
    const dataKey = await this.#call((p) => p.unwrap(e.wrappedKey, totpAad('data-key', e.workspaceId, e.userId), e.keyVersion));
    try {
      return openWithKey(dataKey, e.ciphertext, totpAad('secret', e.workspaceId, e.userId));
    } catch (err) {
      if (err instanceof DecryptionError) throw new ClavisError('DECRYPTION_FAILED', 'a stored TOTP secret did not authenticate: it was altered, moved to another user, or wrapped by another key');
      throw err;
    } finally {
      dataKey.fill(0);
    }
  }
}

/**
 * The data keys of TOTP secrets as master key rotation sees them: rewrap moves them with the
 * secrets' data keys, and retire counts them, so no enrolment is stranded under a retired version.
 */
export function totpDataKeys(store: Pick<Store, 'mfa'>): WrappedDataKeys {
  return {
    countByKeyVersion: () => store.mfa.countByKeyVersion(),
    wrappedBetween: async (from, to, limit) =>
      (await store.mfa.wrappedBetween(from, to, limit)).map((e) => ({
        keyVersion: e.keyVersion,
        wrappedKey: e.wrappedKey,
        aad: totpAad('data-key', e.workspaceId, e.userId),
        rewrap: (toVersion: number, wrapped: Buffer) => store.mfa.rewrap(e.id, e.keyVersion, toVersion, wrapped),
      })),
  };
}
