import type { CheckpointSigner } from './signer.ts';

/** Where the root keys live: the embedded local keyring, a PKCS#11 token, or a Vault transit engine. */
export type KeyProviderKind = 'local' | 'pkcs11' | 'vault-transit';

/**
 * A root-key holder. It wraps and unwraps data keys (never secret values) with AES-256-GCM bound
 * to an AAD, under a numbered root key version, and signs audit checkpoints with a key it holds.
 * Which version is current and which are retired is keyring state in the store, shared by every
 * node; the provider only makes sure a version exists and uses the one it is told to.
 *
 * @example
 * const blob = await provider.wrap(dataKey, aad, 2)
 * const again = await provider.unwrap(blob, aad, 2) // equals dataKey; throws DecryptionError if blob or aad changed
 */
export interface KeyProvider {
  readonly kind: KeyProviderKind;
  /** Human description for status output (module and token label, Vault address…); never a secret. */
  readonly description: string;
  /** Signs audit checkpoints with the provider's Ed25519 key. */
  readonly signer: CheckpointSigner;
  /** Versions the provider holds, ascending. */
  versions(): Promise<number[]>;
  /** Creates root key `version` unless it exists (idempotent, so a crash between steps is harmless). */
  ensureVersion(version: number): Promise<void>;
  /** Encrypts a data key under root key `version`, authenticated together with `aad`. */
  wrap(dataKey: Buffer, aad: Buffer, version: number): Promise<Buffer>;
  /** Reverses {@link wrap}; throws {@link DecryptionError} when the blob, the AAD or the version do not match. */
  unwrap(wrapped: Buffer, aad: Buffer, version: number): Promise<Buffer>;
  /** Wraps, unwraps and signs a probe; throws when any step fails. */
  selfTest(version: number): Promise<void>;
  close(): Promise<void>;
}

/** The provider cannot be reached or refused the session (network, token removed, PIN…). */
export class ProviderUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ProviderUnavailableError';
  }
}

/** A wrapped key or ciphertext did not authenticate: tampered, moved to another row, or another key. */
export class DecryptionError extends Error {
  constructor(message = 'ciphertext did not authenticate') {
    super(message);
    this.name = 'DecryptionError';
  }
}
