import type { Command } from 'commander';
import { clientOf, jsonOf, type CliContext } from '../context.ts';
import { emit, formatRecord } from '../output.ts';
import { tokenRecord } from '../views.ts';

/** `clavis tokens revoke ID`: ends an admin token. */
export function registerTokensRevoke(tokens: Command, ctx: CliContext): void {
  tokens
    .command('revoke')
    .description('Revoke an admin token')
    .argument('<id>', 'token id (tok_…)')
    .addHelpText('after', '\nExamples:\n  $ clavis tokens revoke tok_01J9Z…')
    .action(async (id: string, _opts: unknown, cmd: Command) => {
      const token = await clientOf(cmd, ctx).revokeToken(id);
      emit(ctx.io, jsonOf(cmd), token, () => formatRecord(tokenRecord(token)));
    });
}
