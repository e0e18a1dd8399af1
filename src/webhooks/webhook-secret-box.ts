import type { Store, WebhookEndpointRecord } from '../core/ports/store.ts';
import { KeyringBox, type SealedValue } from '../core/vault/keyring-box.ts';
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

export type SealedWebhookSecret = SealedValue;

/** Encrypts and decrypts webhook signing secrets through the keyring; a sealed keyring answers SEALED. */
export class WebhookSecretBox {
  readonly #box: KeyringBox;

  constructor(store: Pick<Store, 'keyring'>, keyring: Keyring, random?: (n: number) => Buffer) {
    this.#box = new KeyringBox(store, keyring, {
      aad: webhookAad,
      what: 'webhook secret',
      retiredAdvice: 'delete and re-create the endpoint',
      ...(random !== undefined ? { random } : {}),
    });
  }

  /** Seals an endpoint's `whsec_…` secret under a fresh data key. */
  seal(workspaceId: string, endpointId: string, secret: string): Promise<SealedWebhookSecret> {
    return this.#box.seal(workspaceId, endpointId, Buffer.from(secret, 'utf8'));
  }

  /** The `whsec_…` secret of an endpoint. */
  async open(e: WebhookEndpointRecord): Promise<string> {
    const plain = await this.#box.open(e.workspaceId, e.id, e);
    const secret = plain.toString('utf8');
    plain.fill(0);
    return secret;
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
