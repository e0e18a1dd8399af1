import { randomBytes } from 'node:crypto';
import { ClavisError } from '../errors/registry.ts';
import { DecryptionError, ProviderUnavailableError, type KeyProvider } from '../ports/key-provider.ts';
import type { KeyringRecord, Store } from '../ports/store.ts';
import { newDataKey, openWithKey, sealWithKey } from './envelope.ts';
import type { Keyring } from './keyring.ts';

/** A small secret sealed under the keyring: the vault's envelope (decision 0005) for one value. */
export interface SealedValue {
  ciphertext: Buffer;
  wrappedKey: Buffer;
  keyVersion: number;
}

export interface KeyringBoxOptions {
  /** Builds the AAD of the value and of its wrapped data key, bound to the owner of the value. */
  aad: (purpose: 'secret' | 'data-key', workspaceId: string, ownerId: string) => Buffer;
  /** What is sealed, for error messages: `TOTP secret`, `webhook secret`. */
  what: string;
  /** What to do when the value was wrapped by a retired master key version. */
  retiredAdvice: string;
  random?: (n: number) => Buffer;
}

/**
 * Seals small secrets (TOTP secrets, webhook signing secrets) the way the vault seals its values:
 * a fresh AES-256-GCM data key per value, wrapped by the current master key version, both bound
 * by AAD to (workspace, owner). A sealed keyring answers SEALED; a provider failure seals it.
 *
 * @example const box = new KeyringBox(store, keyring, { aad: totpAad, what: 'TOTP secret', retiredAdvice: 'enrol again' })
 */
export class KeyringBox {
  readonly #store: Pick<Store, 'keyring'>;
  readonly #keyring: Keyring;
  readonly #o: KeyringBoxOptions;
  readonly #random: (n: number) => Buffer;

  constructor(store: Pick<Store, 'keyring'>, keyring: Keyring, opts: KeyringBoxOptions) {
    this.#store = store;
    this.#keyring = keyring;
    this.#o = opts;
    this.#random = opts.random ?? randomBytes;
  }

  async #state(): Promise<KeyringRecord> {
    this.#keyring.provider();
    const state = await this.#store.keyring.get();
    if (state === null) throw new ClavisError('SEALED', 'the keyring is not initialised (run `clavis init`)');
    return state;
  }

  #undecryptable(): ClavisError {
    return new ClavisError('DECRYPTION_FAILED', `a stored ${this.#o.what} did not authenticate: it was altered, moved to another owner, or wrapped by another key`);
  }

  async #call<T>(fn: (p: KeyProvider) => Promise<T>): Promise<T> {
    const provider = this.#keyring.provider();
    try {
      return await fn(provider);
    } catch (err) {
      if (err instanceof DecryptionError) throw this.#undecryptable();
      if (err instanceof ProviderUnavailableError) {
        void this.#keyring.seal(`the key provider failed: ${err.message}`)?.close().catch(() => undefined);
        throw new ClavisError('SEALED', `the key provider failed: ${err.message}`);
      }
      throw err;
    }
  }

  /** Seals `plaintext` under a fresh data key wrapped by the current master key version. */
  async seal(workspaceId: string, ownerId: string, plaintext: Buffer): Promise<SealedValue> {
    const state = await this.#state();
    const dataKey = newDataKey(this.#random);
    try {
      const ciphertext = sealWithKey(dataKey, plaintext, this.#o.aad('secret', workspaceId, ownerId), this.#random);
      const wrappedKey = await this.#call((p) => p.wrap(dataKey, this.#o.aad('data-key', workspaceId, ownerId), state.currentVersion));
      return { ciphertext, wrappedKey, keyVersion: state.currentVersion };
    } finally {
      dataKey.fill(0);
    }
  }

  /** The plaintext of a sealed value; the caller zeroes it after use. */
  async open(workspaceId: string, ownerId: string, sealed: SealedValue): Promise<Buffer> {
    const state = await this.#state();
    if (sealed.keyVersion < state.minDecryptionVersion) {
      throw new ClavisError('KEY_VERSION_RETIRED', `the ${this.#o.what} is wrapped by master key version ${sealed.keyVersion}, below the minimum decryption version ${state.minDecryptionVersion}: ${this.#o.retiredAdvice}`);
    }
    const dataKey = await this.#call((p) => p.unwrap(sealed.wrappedKey, this.#o.aad('data-key', workspaceId, ownerId), sealed.keyVersion));
    try {
      return openWithKey(dataKey, sealed.ciphertext, this.#o.aad('secret', workspaceId, ownerId));
    } catch (err) {
      if (err instanceof DecryptionError) throw this.#undecryptable();
      throw err;
    } finally {
      dataKey.fill(0);
    }
  }
}
