import { existsSync } from 'node:fs';
import type { Clock } from '../core/clock.ts';
import { ClavisError } from '../core/errors/registry.ts';
import type { CheckpointSigner } from '../core/ports/signer.ts';
import type { Store } from '../core/ports/store.ts';
import { Keyring, keyringSigner } from '../core/vault/keyring.ts';
import { openLocalSigner } from './local-signer.ts';
import { KeyringUnlockError } from './local-keyring.ts';
import { openKeyProvider } from './open-provider.ts';
import type { KeyProviderSettings } from './settings.ts';
import { startUnsealer, type Unsealer } from './unsealer.ts';

export interface ServerKeyringOptions {
  store: Store;
  clock: Clock;
  settings: KeyProviderSettings;
  /** The audit signing PEM file; used (and kept) when `signingKeyFileSet` or when it already exists. */
  signingKeyFile: string;
  signingKeyFileSet: boolean;
  retryMs: number;
  /** Where operator warnings go (the development root key file, sealed start). */
  warn: (message: string) => void;
}

export interface ServerKeyring {
  keyring: Keyring;
  signer: CheckpointSigner;
  /** Present for the local keyring: unseals with a passphrase given at run time. */
  unseal: ((passphrase: string) => Promise<void>) | undefined;
  /** One start-up line: unsealed with which provider, or sealed and why. */
  line(): string;
  close(): Promise<void>;
}

/**
 * The keyring of a server process: opens the provider once at start (creating the keyring on an
 * empty store), starts sealed when that fails, and keeps retrying in the background until it
 * unseals. The audit signer is the provider's key, except in data folders whose existing PEM
 * signing key keeps signing so that old checkpoints and new ones share one verifier key.
 *
 * @example const kr = await startServerKeyring({ store, clock, settings: config.keyProvider, … })
 */
export async function startServerKeyring(opts: ServerKeyringOptions): Promise<ServerKeyring> {
  const legacy = opts.signingKeyFileSet || existsSync(opts.signingKeyFile) ? openLocalSigner(opts.signingKeyFile) : null;
  const keyring = new Keyring(opts.clock, 'starting');
  const open = async (passphrase?: string) => {
    const opened = await openKeyProvider(opts.settings, { store: opts.store, clock: opts.clock, initialise: true, withSigningKey: legacy === null, ...(passphrase !== undefined ? { passphrase } : {}) });
    if (opened.warning !== null) opts.warn(opened.warning);
    return opened.provider;
  };
  let lastFailure = '';
  const unsealer: Unsealer = startUnsealer({
    keyring,
    open: () => open(),
    intervalMs: opts.retryMs,
    onUnsealed: () => {
      if (lastFailure !== '') opts.warn('the keyring is unsealed now');
      lastFailure = '';
    },
    onFailed: (message) => {
      // Say it once per distinct reason, not every few seconds.
      if (message !== lastFailure) opts.warn(`the keyring is sealed: ${message} (retrying every ${Math.round(opts.retryMs / 1000)} s)`);
      lastFailure = message;
    },
  });
  await unsealer.attempt();

  const unseal =
    opts.settings.kind === 'local'
      ? async (passphrase: string): Promise<void> => {
          if (!keyring.sealed) return;
          try {
            keyring.unseal(await open(passphrase));
          } catch (err) {
            if (err instanceof KeyringUnlockError) throw new ClavisError('UNSEAL_FAILED', err.message);
            throw new ClavisError('UNSEAL_FAILED', err instanceof Error ? err.message : String(err));
          }
        }
      : undefined;

  return {
    keyring,
    signer: keyringSigner(keyring, legacy),
    unseal,
    line: () => {
      const st = keyring.status();
      return st.state === 'unsealed' ? `Keyring: unsealed (${st.description ?? st.provider ?? ''})` : `Keyring: SEALED: ${st.reason ?? ''}. Secrets answer 503 SEALED until it unseals (retrying every ${Math.round(opts.retryMs / 1000)} s, or \`clavis keyring unseal\`).`;
    },
    close: async () => {
      unsealer.stop();
      await keyring.seal('shutting down')?.close();
    },
  };
}
