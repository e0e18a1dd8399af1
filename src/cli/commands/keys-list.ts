import type { ApiKey, Environment, ListKeysQuery } from '@clavis/sdk';
import { Option, type Command } from 'commander';
import { clientOf, jsonOf, type CliContext } from '../context.ts';
import { emit, formatTable, note } from '../output.ts';
import { integer } from '../parsers.ts';
import { KEY_COLUMNS, keyRow } from '../views.ts';

interface Options {
  env?: Environment;
  status?: 'active' | 'suspended' | 'revoked';
  owner?: string;
  limit?: number;
  cursor?: string;
  all?: boolean;
}

/** `clavis keys list`: one page of keys, or every page with --all. */
export function registerKeysList(keys: Command, ctx: CliContext): void {
  keys
    .command('list')
    .description('List keys, oldest first')
    .addOption(new Option('--env <environment>', 'only keys of this environment').choices(['live', 'test', 'dev']))
    .addOption(new Option('--status <status>', 'only keys in this state').choices(['active', 'suspended', 'revoked']))
    .option('--owner <id>', 'only keys of this owner')
    .option('--limit <n>', 'keys per page (1–1000, server default 50)', integer(1))
    .option('--cursor <cursor>', 'continue from the nextCursor of an earlier page')
    .option('--all', 'follow nextCursor and list every page')
    .addHelpText(
      'after',
      `
Examples:
  $ clavis keys list --env live --status active
  $ clavis keys list --owner user_42 --all --json | jq -r '.data[].id'`,
    )
    .action(async (_opts: unknown, cmd: Command) => {
      const o = cmd.opts<Options>();
      const client = clientOf(cmd, ctx);
      const query: ListKeysQuery = { environment: o.env, status: o.status, ownerId: o.owner, limit: o.limit, cursor: o.cursor };
      const data: ApiKey[] = [];
      let nextCursor: string | null;
      do {
        const page = await client.listKeys(query);
        data.push(...page.data);
        nextCursor = page.nextCursor;
        query.cursor = nextCursor ?? undefined;
      } while (o.all === true && nextCursor !== null);
      emit(ctx.io, jsonOf(cmd), { data, nextCursor }, () => (data.length === 0 ? 'No keys.\n' : formatTable(KEY_COLUMNS, data.map(keyRow))));
      if (!jsonOf(cmd) && nextCursor !== null) note(ctx.io, `More keys: add --cursor ${nextCursor}, or --all for every page.`);
    });
}
