import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { ConfigError, loadConfig } from '../../config.ts';
import { encodeVerifierKey } from '../../core/audit/signed-note.ts';
import { systemClock } from '../../core/clock.ts';
import { openKeyProvider } from '../../keyring/open-provider.ts';
import { openStore } from '../../storage/open-store.ts';
import { jsonOf, type CliContext } from '../context.ts';
import { CliError } from '../io.ts';
import { emit, formatRecord, note } from '../output.ts';
import { readPassphrase } from '../secret-input.ts';

/**
 * `clavis init`: creates the master keyring in the configured store (no server needed): with the
 * local provider a random root key sealed by the passphrase (CLAVIS_MASTER_PASSPHRASE, its file,
 * a prompt, or stdin); with PKCS#11 or Vault the keys are made in the provider.
 */
export function registerInit(program: Command, ctx: CliContext): void {
  program
    .command('init')
    .description('Create the master keyring (root key and audit signing key) before the first start')
    .option('--dev', 'no passphrase: seal the local keyring with a generated root key file (development only)')
    .addHelpText(
      'after',
      `
Reads the same CLAVIS_* settings as the server (data folder, database URL, key provider).
The passphrase is never an argument: set CLAVIS_MASTER_PASSPHRASE(_FILE), type it at the
prompt, or pipe it on stdin.

Examples:
  $ clavis init                                      # prompts for the passphrase twice
  $ CLAVIS_KEY_PROVIDER=pkcs11 CLAVIS_PKCS11_MODULE=/usr/lib/softhsm/libsofthsm2.so \\
    CLAVIS_PKCS11_TOKEN_LABEL=clavis CLAVIS_PKCS11_PIN_FILE=/run/secrets/pin clavis init`,
    )
    .action(async (_opts: unknown, cmd: Command) => {
      const { dev } = cmd.opts<{ dev?: boolean }>();
      let config;
      try {
        config = loadConfig(ctx.io.env);
      } catch (err) {
        if (err instanceof ConfigError) throw new CliError(err.message);
        throw err;
      }
      mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
      const store = await openStore({ databaseUrl: config.databaseUrl, sqlitePath: join(config.dataDir, 'clavis.db'), sqliteSynchronous: config.sqliteSynchronous });
      try {
        const existing = await store.keyring.get();
        if (existing !== null) throw new CliError(`the keyring already exists (${existing.provider}, version ${existing.currentVersion}); use \`clavis keyring rotate\` to add a version`);
        const settings = config.keyProvider;
        let passphrase: string | undefined;
        if (settings.kind === 'local') {
          const configured = settings.passphrase !== undefined || settings.passphraseFile !== undefined;
          if (dev === true && configured) throw new CliError('--dev makes a root key file instead of a passphrase, but a passphrase is configured');
          if (dev !== true && !configured) passphrase = await readPassphrase(ctx.io, { confirm: true, what: 'New master passphrase' });
          if (passphrase !== undefined && passphrase.length < 12) throw new CliError('the master passphrase must be at least 12 characters');
        }
        const legacyPem = config.auditSigningKeyFileSet || existsSync(config.audit.signingKeyFile);
        const opened = await openKeyProvider(settings, { store, clock: systemClock, initialise: true, withSigningKey: !legacyPem, ...(passphrase !== undefined ? { passphrase } : {}) });
        try {
          if (opened.warning !== null) note(ctx.io, opened.warning);
          const verifierKey = legacyPem ? null : encodeVerifierKey(opened.provider.signer.keyName, opened.provider.signer.publicKeyRaw);
          const out = { provider: opened.provider.kind, description: opened.provider.description, version: 1, store: store.kind, auditSigner: legacyPem ? config.audit.signingKeyFile : 'key provider', verifierKey };
          emit(ctx.io, jsonOf(cmd), out, () =>
            formatRecord([
              ['keyring', `created (${out.description})`],
              ['root key version', 1],
              ['store', store.kind === 'sqlite' ? join(config.dataDir, 'clavis.db') : store.kind],
              ['audit signing key', out.auditSigner],
              ['verifier key', verifierKey],
            ]),
          );
        } finally {
          await opened.provider.close();
        }
      } finally {
        await store.close();
      }
    });
}
