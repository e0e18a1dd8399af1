import type { Command } from 'commander';
import { clientOf, jsonOf, type CliContext } from '../context.ts';
import { emit, formatRecord } from '../output.ts';
import { userRecord } from './users-views.ts';

/** `clavis users reset-mfa ID --mfa CODE`: for a user who lost their device and recovery codes. */
export function registerUsersResetMfa(users: Command, ctx: CliContext): void {
  users
    .command('reset-mfa')
    .description("Remove a user's TOTP and recovery codes (lost device), so they enrol again; critical, needs --mfa when you have TOTP")
    .argument('<id>', 'user id (usr_…)')
    .addHelpText('after', '\nExamples:\n  $ clavis users reset-mfa usr_01J9Z… --mfa 123456')
    .action(async (id: string, _opts: unknown, cmd: Command) => {
      const user = await clientOf(cmd, ctx).resetUserMfa(id);
      emit(ctx.io, jsonOf(cmd), user, () => formatRecord(userRecord(user)));
    });
}
