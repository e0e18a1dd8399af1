import type { Command } from 'commander';
import { clientOf, jsonOf, type CliContext } from '../context.ts';
import { emit, formatRecord } from '../output.ts';
import { keyRecord } from '../views.ts';

/** `clavis keys revoke ID --reason TEXT`: ends a key for good. */
export function registerKeysRevoke(keys: Command, ctx: CliContext): void {
  keys
    .command('revoke')
    .description('Revoke a key for good (it cannot be resumed)')
    .argument('<id>', 'key id (key_…)')
    .requiredOption('--reason <text>', 'why, recorded in the key and the audit log')
    .addHelpText('after', "\nExamples:\n  $ clavis keys revoke key_01J9Z… --reason 'leaked in a public repo'")
    .action(async (id: string, _opts: unknown, cmd: Command) => {
      const { reason } = cmd.opts<{ reason: string }>();
      const key = await clientOf(cmd, ctx).revokeKey(id, reason);
      emit(ctx.io, jsonOf(cmd), key, () => formatRecord(keyRecord(key)));
    });
}
