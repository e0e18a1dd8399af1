import type { Command } from 'commander';
import { clientOf, jsonOf, type CliContext } from '../context.ts';
import { emit, formatRecord } from '../output.ts';
import { keyRecord } from '../views.ts';

/** `clavis keys resume ID`: lets a suspended key work again. */
export function registerKeysResume(keys: Command, ctx: CliContext): void {
  keys
    .command('resume')
    .description('Resume a suspended key')
    .argument('<id>', 'key id (key_…)')
    .addHelpText('after', '\nExamples:\n  $ clavis keys resume key_01J9Z…')
    .action(async (id: string, _opts: unknown, cmd: Command) => {
      const key = await clientOf(cmd, ctx).resumeKey(id);
      emit(ctx.io, jsonOf(cmd), key, () => formatRecord(keyRecord(key)));
    });
}
