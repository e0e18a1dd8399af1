import type { Command } from 'commander';
import { clientOf, jsonOf, type CliContext } from '../context.ts';
import { emit, formatRecord } from '../output.ts';
import { userRecord } from './users-views.ts';

/** `clavis users disable ID`: offboards a person. */
export function registerUsersDisable(users: Command, ctx: CliContext): void {
  users
    .command('disable')
    .description('Disable a user: every token issued for it is revoked at once, and it gets no new one')
    .argument('<id>', 'user id (usr_…)')
    .addHelpText('after', '\nExamples:\n  $ clavis users disable usr_01J9Z…')
    .action(async (id: string, _opts: unknown, cmd: Command) => {
      const r = await clientOf(cmd, ctx).disableUser(id);
      emit(ctx.io, jsonOf(cmd), r, () => formatRecord([...userRecord(r.user), ['tokens revoked', r.revokedTokens]]));
    });
}
