import type { Clock } from '../clock.ts';
import { ClavisError } from '../errors/registry.ts';
import type { KeyProvider, KeyProviderKind } from '../ports/key-provider.ts';
import type { CheckpointSigner } from '../ports/signer.ts';

/** What health checks and `clavis keyring status` show. */
export interface KeyringStatus {
  state: 'sealed' | 'unsealed';
  provider: KeyProviderKind | null;
  description: string | null;
  /** Why the keyring is sealed; null when unsealed. */
  reason: string | null;
  /** Epoch ms of the last change of state. */
  since: number;
}

/**
 * The process's hold on the key provider: sealed (no provider; nothing that needs a secret
 * works) or unsealed. Opening a provider is the caller's job (it needs drivers); this only keeps
 * the state, so the domain can ask for the provider and fail with SEALED when there is none.
 *
 * @example const keyring = new Keyring(systemClock, 'starting'); keyring.unseal(provider); keyring.provider()
 */
export class Keyring {
  readonly #clock: Clock;
  #provider: KeyProvider | null = null;
  #reason: string;
  #since: number;
  readonly #listeners = new Set<(status: KeyringStatus) => void>();

  constructor(clock: Clock, reason: string) {
    this.#clock = clock;
    this.#reason = reason;
    this.#since = clock.now();
  }

  get sealed(): boolean {
    return this.#provider === null;
  }

  /** The unsealed provider; throws SEALED otherwise. */
  provider(): KeyProvider {
    if (this.#provider === null) throw new ClavisError('SEALED', `the keyring is sealed: ${this.#reason}`);
    return this.#provider;
  }

  unseal(provider: KeyProvider): void {
    this.#provider = provider;
    this.#since = this.#clock.now();
    this.#notify();
  }

  /** Drops the provider (it failed or is being replaced); returns it so the caller can close it. */
  seal(reason: string): KeyProvider | null {
    const old = this.#provider;
    this.#provider = null;
    this.#reason = reason;
    this.#since = this.#clock.now();
    this.#notify();
    return old;
  }

  status(): KeyringStatus {
    const p = this.#provider;
    return { state: p === null ? 'sealed' : 'unsealed', provider: p?.kind ?? null, description: p?.description ?? null, reason: p === null ? this.#reason : null, since: this.#since };
  }

  /** Called on every seal and unseal (the unsealer uses it to start retrying). */
  onChange(listener: (status: KeyringStatus) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #notify(): void {
    const status = this.status();
    for (const l of this.#listeners) l(status);
  }
}

/**
 * A checkpoint signer that signs with whichever key holds the audit key: a legacy PEM signer when
 * one is given (existing data folders keep their verifier key), else the unsealed provider's key.
 * While sealed, provider-backed signing throws SEALED.
 */
export function keyringSigner(keyring: Keyring, legacy: CheckpointSigner | null): CheckpointSigner {
  if (legacy !== null) return legacy;
  return {
    get keyName() {
      return keyring.provider().signer.keyName;
    },
    get publicKeyRaw() {
      return keyring.provider().signer.publicKeyRaw;
    },
    sign: async (message) => keyring.provider().signer.sign(message),
  };
}
