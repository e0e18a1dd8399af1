import type { Command } from 'commander';
import { clientOf, jsonOf, type CliContext } from '../context.ts';
import { emit, formatRecord } from '../output.ts';
import { keyRecord } from '../views.ts';

/** `clavis keys suspend ID`: stops a key until it is resumed. */
export function registerKeysSuspend(keys: Command, ctx: CliContext): void {
  keys
    .command('suspend')
    .description('Suspend a key until `clavis keys resume`')
    .argument('<id>', 'key id (key_…)')
    .option('--reason <text>', 'why, recorded in the audit log')
    .addHelpText('after', "\nExamples:\n  $ clavis keys suspend key_01J9Z… --reason 'unusual traffic'")
    .action(async (id: string, _opts: unknown, cmd: Command) => {
      const { reason } = cmd.opts<{ reason?: string }>();
      const key = await clientOf(cmd, ctx).suspendKey(id, reason);
      emit(ctx.io, jsonOf(cmd), key, () => formatRecord(keyRecord(key)));
    });
}
