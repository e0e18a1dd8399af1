import type { KeyringState } from '@clavis/sdk';
import type { Command } from 'commander';
import { clientOf, jsonOf, type CliContext } from '../context.ts';
import { CliError } from '../io.ts';
import { emit, formatRecord, note } from '../output.ts';
import { integer } from '../parsers.ts';
import { readPassphrase } from '../secret-input.ts';

function keyringRecord(k: KeyringState): string {
  return formatRecord([
    ['state', k.state],
    ['provider', k.description ?? k.provider],
    ['reason', k.reason],
    ['since', k.since],
    ['current version', k.currentVersion],
    ['min decryption version', k.minDecryptionVersion],
    ['data keys', k.dataKeys.map((d) => `v${d.keyVersion}: ${d.count}`)],
  ]);
}

/** `clavis keyring status|rotate|rewrap|retire|unseal`: master key management on a running server. */
export function registerKeyringCommands(keyring: Command, ctx: CliContext): void {
  keyring
    .command('status')
    .description('Seal state, root key versions and how many data keys each version wraps')
    .action(async (_opts: unknown, cmd: Command) => {
      const k = await clientOf(cmd, ctx).getKeyring();
      emit(ctx.io, jsonOf(cmd), k, () => keyringRecord(k));
    });

  keyring
    .command('rotate')
    .description('Add a master key version; new secrets are wrapped by it (then run rewrap)')
    .addHelpText('after', '\nExamples:\n  $ clavis keyring rotate && clavis keyring rewrap')
    .action(async (_opts: unknown, cmd: Command) => {
      const r = await clientOf(cmd, ctx).rotateKeyring();
      emit(ctx.io, jsonOf(cmd), r, () => formatRecord([['current version', r.version]]));
    });

  keyring
    .command('rewrap')
    .description('Move every stored data key to the current master key version (values are never decrypted); resumable')
    .option('--batch <n>', 'data keys per request', integer(1))
    .action(async (_opts: unknown, cmd: Command) => {
      const { batch } = cmd.opts<{ batch?: number }>();
      const client = clientOf(cmd, ctx);
      let total = 0;
      for (;;) {
        const r = await client.rewrapKeyring(batch);
        total += r.rewrapped;
        if (!jsonOf(cmd) && r.remaining > 0) note(ctx.io, `rewrapped ${total}, ${r.remaining} to go`);
        if (r.remaining === 0 || r.rewrapped === 0) {
          const out = { ...r, rewrapped: total };
          emit(ctx.io, jsonOf(cmd), out, () => formatRecord([['current version', r.currentVersion], ['rewrapped', total], ['remaining', r.remaining], ['stranded (retired versions)', r.stranded]]));
          if (r.remaining > 0) throw new CliError(`${r.remaining} data key(s) could not be moved: run rewrap again`);
          return;
        }
      }
    });

  keyring
    .command('retire')
    .description('Raise the minimum decryption version: data still wrapped by a lower version stops reading')
    .requiredOption('--min-version <n>', 'the new minimum decryption version', integer(1))
    .option('--force', 'retire even though some data is still wrapped by a lower version (it becomes unreadable)')
    .addHelpText('after', '\nExamples:\n  $ clavis keyring retire --min-version 2')
    .action(async (_opts: unknown, cmd: Command) => {
      const o = cmd.opts<{ minVersion: number; force?: boolean }>();
      const r = await clientOf(cmd, ctx).retireKeyringVersions(o.minVersion, o.force === true ? true : undefined);
      emit(ctx.io, jsonOf(cmd), r, () => formatRecord([['min decryption version', r.minDecryptionVersion], ['stranded data keys', r.stranded]]));
    });

  keyring
    .command('unseal')
    .description('Unseal a sealed local keyring: the passphrase is prompted for (or read from stdin)')
    .action(async (_opts: unknown, cmd: Command) => {
      const client = clientOf(cmd, ctx);
      const passphrase = await readPassphrase(ctx.io, { confirm: false, what: 'Master passphrase' });
      const k = await client.unsealKeyring(passphrase);
      emit(ctx.io, jsonOf(cmd), k, () => keyringRecord(k));
    });
}
