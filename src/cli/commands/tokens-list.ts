import type { AdminToken } from '@clavis/sdk';
import type { Command } from 'commander';
import { clientOf, jsonOf, type CliContext } from '../context.ts';
import { emit, formatTable } from '../output.ts';
import { integer } from '../parsers.ts';
import { TOKEN_COLUMNS, tokenRow } from '../views.ts';

/** `clavis tokens list`: every admin token of the workspace (all pages). */
export function registerTokensList(tokens: Command, ctx: CliContext): void {
  tokens
    .command('list')
    .description('List the admin tokens of the workspace')
    .option('--limit <n>', 'tokens per request (1–1000); every page is fetched', integer(1))
    .addHelpText('after', "\nExamples:\n  $ clavis tokens list\n  $ clavis tokens list --json | jq -r '.data[] | select(.status == \"active\") | .id'")
    .action(async (_opts: unknown, cmd: Command) => {
      const { limit } = cmd.opts<{ limit?: number }>();
      const client = clientOf(cmd, ctx);
      // Token lists are short and an incomplete one misleads a review, so every page is fetched.
      const data: AdminToken[] = [];
      let cursor: string | undefined;
      do {
        const page = await client.listTokens({ limit, cursor });
        data.push(...page.data);
        cursor = page.nextCursor ?? undefined;
      } while (cursor !== undefined);
      emit(ctx.io, jsonOf(cmd), { data, nextCursor: null }, () => formatTable(TOKEN_COLUMNS, data.map(tokenRow)));
    });
}
