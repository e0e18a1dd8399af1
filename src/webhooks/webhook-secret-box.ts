import { randomBytes } from 'node:crypto';
import { ClavisError } from '../core/errors/registry.ts';
import { DecryptionError, ProviderUnavailableError, type KeyProvider } from '../core/ports/key-provider.ts';
import type { KeyringRecord, Store, WebhookEndpointRecord } from '../core/ports/store.ts';
import { newDataKey, openWithKey, sealWithKey } from '../core/vault/envelope.ts';
import type { WrappedDataKeys } from '../core/vault/keyring-admin.ts';
import type { Keyring } from '../core/vault/keyring.ts';

/**
 * The AAD of an endpoint's signing secret: ciphertext and wrapped data key are both bound to
 * (workspace, endpoint), each under its own label — the vault's envelope (decision 0005), so a
 * row copied to another endpoint or workspace fails to decrypt.
 *
 * @example webhookAad('secret', 'ws_…', 'whk_…')
 */
export function webhookAad(purpose: 'secret' | 'data-key', workspaceId: string, endpointId: string): Buffer {
  return Buffer.from(JSON.stringify([`clavis.webhook.${purpose}.v1`, workspaceId, endpointId]), 'utf8');
}

export interface SealedWebhookSecret {
  ciphertext: Buffer;
  wrappedKey: Buffer;
  keyVersion: number;
}

/** Encrypts and decrypts webhook signing secrets through the keyring; a sealed keyring answers SEALED. */
export class WebhookSecretBox {
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
      if (err instanceof DecryptionError) throw new ClavisError('DECRYPTION_FAILED', 'a stored webhook secret did not authenticate');
      if (err instanceof ProviderUnavailableError) {
        void this.#keyring.seal(`the key provider failed: ${err.message}`)?.close().catch(() => undefined);
        throw new ClavisError('SEALED', `the key provider failed: ${err.message}`);
      }
      throw err;
    }
  }

  /** Seals `secret` under a fresh data key wrapped by the current root key version. */
  async seal(workspaceId: string, endpointId: string, secret: string): Promise<SealedWebhookSecret> {
    const state = await this.#state();
    const dataKey = newDataKey(this.#random);
    try {
      const ciphertext = sealWithKey(dataKey, Buffer.from(secret, 'utf8'), webhookAad('secret', workspaceId, endpointId), this.#random);
      const wrappedKey = await this.#call((p) => p.wrap(dataKey, webhookAad('data-key', workspaceId, endpointId), state.currentVersion));
      return { ciphertext, wrappedKey, keyVersion: state.currentVersion };
    } finally {
      dataKey.fill(0);
    }
  }

  /** The `whsec_…` secret of an endpoint. */
  async open(e: WebhookEndpointRecord): Promise<string> {
    const state = await this.#state();
    if (e.keyVersion < state.minDecryptionVersion) throw new ClavisError('KEY_VERSION_RETIRED', `the webhook secret is wrapped by master key version ${e.keyVersion}, below the minimum decryption version: delete and re-create the endpoint`);
    const dataKey = await this.#call((p) => p.unwrap(e.wrappedKey, webhookAad('data-key', e.workspaceId, e.id), e.keyVersion));
    try {
      const plain = openWithKey(dataKey, e.ciphertext, webhookAad('secret', e.workspaceId, e.id));
      const secret = plain.toString('utf8');
      plain.fill(0);
      return secret;
    } catch (err) {
      if (err instanceof DecryptionError) throw new ClavisError('DECRYPTION_FAILED', 'a stored webhook secret did not authenticate');
      throw err;
    } finally {
      dataKey.fill(0);
    }
  }
}

/**
 * The data keys of webhook secrets as master key rotation sees them: rewrap moves them with the
 * vault's, and retire counts them, so no endpoint is stranded under a retired version.
 */
export function webhookDataKeys(store: Pick<Store, 'webhooks'>): WrappedDataKeys {
  return {
    countByKeyVersion: () => store.webhooks.countByKeyVersion(),
    wrappedBetween: async (from, to, limit) =>
      (await store.webhooks.wrappedBetween(from, to, limit)).map((e) => ({
        keyVersion: e.keyVersion,
        wrappedKey: e.wrappedKey,
        aad: webhookAad('data-key', e.workspaceId, e.id),
        rewrap: (toVersion: number, wrapped: Buffer) => store.webhooks.rewrap(e.id, e.keyVersion, toVersion, wrapped),
      })),
  };
}
