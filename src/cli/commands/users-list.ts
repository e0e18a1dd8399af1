import type { User } from '@clavis/sdk';
import type { Command } from 'commander';
import { clientOf, jsonOf, type CliContext } from '../context.ts';
import { emit, formatTable } from '../output.ts';
import { integer } from '../parsers.ts';
import { USER_COLUMNS, userRow } from './users-views.ts';

/** `clavis users list`: every user of the workspace (all pages). */
export function registerUsersList(users: Command, ctx: CliContext): void {
  users
    .command('list')
    .description('List the users of the workspace, with their role and whether they have TOTP')
    .option('--limit <n>', 'users per request (1–200); every page is fetched', integer(1))
    .addHelpText('after', "\nExamples:\n  $ clavis users list\n  $ clavis users list --json | jq -r '.data[] | select(.mfaEnrolled | not) | .email'")
    .action(async (_opts: unknown, cmd: Command) => {
      const { limit } = cmd.opts<{ limit?: number }>();
      const client = clientOf(cmd, ctx);
      const data: User[] = [];
      let cursor: string | undefined;
      do {
        const page = await client.listUsers({ limit, cursor });
        data.push(...page.data);
        cursor = page.nextCursor ?? undefined;
      } while (cursor !== undefined);
      emit(ctx.io, jsonOf(cmd), { data, nextCursor: null }, () => formatTable(USER_COLUMNS, data.map(userRow)));
    });
}
