import type { Store, TotpEnrolmentRecord } from '../ports/store.ts';
import { KeyringBox, type SealedValue } from '../vault/keyring-box.ts';
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

export type SealedTotpSecret = SealedValue;

/** Encrypts and decrypts TOTP secrets through the keyring; a sealed keyring answers SEALED. */
export class TotpSecretBox {
  readonly #box: KeyringBox;

  constructor(store: Pick<Store, 'keyring'>, keyring: Keyring, random?: (n: number) => Buffer) {
    this.#box = new KeyringBox(store, keyring, {
      aad: totpAad,
      what: 'TOTP secret',
      retiredAdvice: 'use a recovery code, then enrol again',
      ...(random !== undefined ? { random } : {}),
    });
  }

  /** Seals `secret` under a fresh data key wrapped by the current root key version. */
  seal(workspaceId: string, userId: string, secret: Buffer): Promise<SealedTotpSecret> {
    return this.#box.seal(workspaceId, userId, secret);
  }

  /** The plaintext secret of an enrolment; the caller zeroes it after use. */
  open(e: TotpEnrolmentRecord): Promise<Buffer> {
    return this.#box.open(e.workspaceId, e.userId, e);
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
