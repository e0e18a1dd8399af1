import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import type { Clock } from '../core/clock.ts';
import type { KeyProvider } from '../core/ports/key-provider.ts';
import type { Store } from '../core/ports/store.ts';
import { initLocalKeyring, openLocalKeyring, type LocalSealing } from './local-keyring.ts';
import { openPkcs11Provider } from './pkcs11-provider.ts';
import type { KeyProviderSettings } from './settings.ts';
import { openVaultTransitProvider } from './vault-transit-provider.ts';

export interface OpenProviderOptions {
  store: Store;
  clock: Clock;
  /** Create the keyring when the store has none (first start, `clavis init`). */
  initialise: boolean;
  /** Whether the provider should hold the audit signing key (false while a legacy PEM file signs). */
  withSigningKey: boolean;
  /** A passphrase given at run time (`POST /v1/keyring/unseal`, a prompt), tried before the settings. */
  passphrase?: string;
}

export interface OpenedProvider {
  provider: KeyProvider;
  /** The keyring was created now. */
  initialised: boolean;
  /** Something the operator must hear (the development root key file). */
  warning: string | null;
}

function readSecretFile(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8').replace(/\r?\n$/, '');
  } catch (err) {
    throw new Error(`cannot read the ${what} file ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
}

function passphraseOf(settings: Extract<KeyProviderSettings, { kind: 'local' }>, given: string | undefined): string | undefined {
  if (given !== undefined && given !== '') return given;
  if (settings.passphraseFile !== undefined) return readSecretFile(settings.passphraseFile, 'passphrase');
  return settings.passphrase === '' ? undefined : settings.passphrase;
}

/** Reads the development root key file, creating it (mode 0600, never overwritten) when asked. */
function devRootKey(path: string, create: boolean): { key: Buffer; created: boolean } {
  try {
    return { key: Buffer.from(readFileSync(path, 'utf8').trim(), 'base64'), created: false };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || !create) throw new Error(`cannot read the root key file ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  const key = randomBytes(32);
  writeFileSync(path, `${key.toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
  return { key, created: true };
}

const DEV_WARNING = (path: string): string =>
  `WARNING: no CLAVIS_MASTER_PASSPHRASE is set, so the keyring is sealed by a generated root key in ${path} (mode 0600). Anyone who can read that file and the database can read every secret: fine for development, not for production (set a passphrase and run \`clavis init\` on a fresh data folder, or use PKCS#11 / Vault).`;

/**
 * Opens the configured key provider, creating the keyring on an empty store when asked, and
 * self-tests it at the current version. Throws with a message fit for the sealed reason.
 *
 * @example const { provider } = await openKeyProvider(settings, { store, clock, initialise: true, withSigningKey: true })
 */
export async function openKeyProvider(settings: KeyProviderSettings, opts: OpenProviderOptions): Promise<OpenedProvider> {
  const existing = await opts.store.keyring.get();
  if (existing !== null && existing.provider !== settings.kind) {
    throw new Error(`the keyring was created with the ${existing.provider} provider, but CLAVIS_KEY_PROVIDER is ${settings.kind}`);
  }
  let provider: KeyProvider;
  let initialised = false;
  let warning: string | null = null;

  if (settings.kind === 'local') {
    const passphrase = passphraseOf(settings, opts.passphrase);
    let sealing: LocalSealing;
    const sealedWith = existing === null ? null : (existing.providerData as { sealing?: string }).sealing;
    if (passphrase !== undefined && sealedWith !== 'key-file') {
      sealing = { kind: 'passphrase', passphrase };
    } else if (existing === null && !opts.initialise) {
      throw new Error('no keyring yet: run `clavis init` (or start the server once)');
    } else if (sealedWith === 'passphrase') {
      throw new Error('the keyring is sealed with a passphrase: set CLAVIS_MASTER_PASSPHRASE or CLAVIS_MASTER_PASSPHRASE_FILE, or unseal with `clavis keyring unseal`');
    } else {
      const dev = devRootKey(settings.rootKeyFile, existing === null);
      sealing = { kind: 'key-file', key: dev.key };
      warning = DEV_WARNING(settings.rootKeyFile);
    }
    if (existing === null) {
      initialised = await initLocalKeyring({ store: opts.store, sealing, clock: opts.clock, kdfLogN: settings.kdfLogN, withSigningKey: opts.withSigningKey });
    }
    provider = await openLocalKeyring({ store: opts.store, sealing, clock: opts.clock });
  } else {
    if (existing === null && !opts.initialise) throw new Error('no keyring yet: run `clavis init` (or start the server once)');
    provider =
      settings.kind === 'pkcs11'
        ? await openPkcs11Provider({
            module: settings.module,
            ...(settings.tokenLabel !== undefined ? { tokenLabel: settings.tokenLabel } : {}),
            ...(settings.slot !== undefined ? { slot: settings.slot } : {}),
            pin: settings.pinFile !== undefined ? readSecretFile(settings.pinFile, 'PIN') : (settings.pin ?? ''),
            keyLabel: settings.keyLabel,
            withSigningKey: opts.withSigningKey,
          })
        : await openVaultTransitProvider({
            address: settings.address,
            token: settings.tokenFile !== undefined ? readSecretFile(settings.tokenFile, 'Vault token') : (settings.token ?? ''),
            mount: settings.mount,
            keyName: settings.keyName,
            signingKeyName: settings.signingKeyName,
            withSigningKey: opts.withSigningKey,
            ...(settings.namespace !== undefined ? { namespace: settings.namespace } : {}),
          });
    if (existing === null) {
      try {
        await provider.ensureVersion(1);
        const now = opts.clock.now();
        initialised = await opts.store.keyring.create({ provider: settings.kind, currentVersion: 1, minDecryptionVersion: 1, providerData: {}, createdAt: now, updatedAt: now });
      } catch (err) {
        await provider.close();
        throw err;
      }
    }
  }

  try {
    const state = await opts.store.keyring.get();
    await provider.selfTest(state?.currentVersion ?? 1);
  } catch (err) {
    await provider.close();
    throw err;
  }
  return { provider, initialised, warning };
}
