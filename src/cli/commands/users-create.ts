import type { Role } from '@clavis/sdk';
import { Option, type Command } from 'commander';
import { clientOf, jsonOf, type CliContext } from '../context.ts';
import { emit, formatRecord } from '../output.ts';
import { ROLE_CHOICES, userRecord } from './users-views.ts';

/** `clavis users create`: adds a person to the workspace. */
export function registerUsersCreate(users: Command, ctx: CliContext): void {
  users
    .command('create')
    .description('Create a user (never above your own role); then issue it a token with `clavis tokens create --user`')
    .requiredOption('--email <email>', 'unique in the workspace (stored in lower case)')
    .requiredOption('--name <name>', 'display name')
    .addOption(new Option('--role <role>', 'the most its tokens may do (owner or admin: a critical operation, needs --mfa when you have TOTP)').choices(ROLE_CHOICES).default('read-only'))
    .addHelpText('after', '\nExamples:\n  $ clavis users create --email ada@example.com --name Ada --role developer\n  $ clavis users create --email ops@example.com --name Ops --role admin --mfa 123456')
    .action(async (_opts: unknown, cmd: Command) => {
      const o = cmd.opts<{ email: string; name: string; role: Role }>();
      const user = await clientOf(cmd, ctx).createUser({ email: o.email, name: o.name, role: o.role });
      emit(ctx.io, jsonOf(cmd), user, () => formatRecord(userRecord(user)));
    });
}
