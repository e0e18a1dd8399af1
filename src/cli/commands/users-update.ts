import type { Role } from '@clavis/sdk';
import { Option, type Command } from 'commander';
import { clientOf, jsonOf, type CliContext } from '../context.ts';
import { CliError } from '../io.ts';
import { emit, formatRecord } from '../output.ts';
import { ROLE_CHOICES, userRecord } from './users-views.ts';

/** `clavis users update ID`: renames a user or changes its role. */
export function registerUsersUpdate(users: Command, ctx: CliContext): void {
  users
    .command('update')
    .description("Rename a user or change its role (a critical operation; a lower role revokes the user's tokens above it)")
    .argument('<id>', 'user id (usr_…)')
    .option('--name <name>', 'new display name')
    .addOption(new Option('--role <role>', 'new role').choices(ROLE_CHOICES))
    .addHelpText('after', '\nExamples:\n  $ clavis users update usr_01J9Z… --role auditor --mfa 123456')
    .action(async (id: string, _opts: unknown, cmd: Command) => {
      const o = cmd.opts<{ name?: string; role?: Role }>();
      if (o.name === undefined && o.role === undefined) throw new CliError('nothing to change: give --name and/or --role');
      const user = await clientOf(cmd, ctx).updateUser(id, { ...(o.name !== undefined ? { name: o.name } : {}), ...(o.role !== undefined ? { role: o.role } : {}) });
      emit(ctx.io, jsonOf(cmd), user, () => formatRecord(userRecord(user)));
    });
}
