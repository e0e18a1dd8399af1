import type { Command } from 'commander';
import { clientOf, jsonOf, type CliContext } from '../context.ts';
import { emit, formatRecord } from '../output.ts';
import { keyRecord } from '../views.ts';

/** `clavis keys get ID`: every field of one key (never the key itself). */
export function registerKeysGet(keys: Command, ctx: CliContext): void {
  keys
    .command('get')
    .description('Show one key (its metadata; the key itself is never stored)')
    .argument('<id>', 'key id (key_…)')
    .addHelpText('after', '\nExamples:\n  $ clavis keys get key_01J9Z…\n  $ clavis keys get key_01J9Z… --json | jq .status')
    .action(async (id: string, _opts: unknown, cmd: Command) => {
      const key = await clientOf(cmd, ctx).getKey(id);
      emit(ctx.io, jsonOf(cmd), key, () => formatRecord(keyRecord(key)));
    });
}
