import type { AuditEvent, AuditEventsQuery } from '@clavis/sdk';
import type { Command } from 'commander';
import { clientOf, jsonOf, type CliContext } from '../context.ts';
import { cell, emit, formatTable, note, truncate } from '../output.ts';
import { integer, isoDate } from '../parsers.ts';
import { refText } from '../views.ts';

interface Options {
  fromSeq?: number;
  toSeq?: number;
  action?: string;
  actor?: string;
  target?: string;
  since?: string;
  until?: string;
  limit?: number;
  cursor?: string;
  all?: boolean;
}

/** `clavis audit events`: the workspace audit log, in log order, filtered. */
export function registerAuditEvents(audit: Command, ctx: CliContext): void {
  audit
    .command('events')
    .description('List audit events in log order')
    .option('--from-seq <seq>', 'first seq (inclusive)', integer(0))
    .option('--to-seq <seq>', 'last seq (inclusive)', integer(0))
    .option('--action <action>', 'only this action, e.g. key.revoked')
    .option('--actor <id>', 'only events by this actor (token id)')
    .option('--target <id>', 'only events about this key, token or workspace id')
    .option('--since <time>', 'only events at or after this ISO 8601 time', isoDate)
    .option('--until <time>', 'only events at or before this ISO 8601 time', isoDate)
    .option('--limit <n>', 'events per page (1–1000, server default 100)', integer(1))
    .option('--cursor <cursor>', 'continue from the nextCursor of an earlier page')
    .option('--all', 'follow nextCursor and list every matching event')
    .addHelpText(
      'after',
      `
The table shortens the data column; --json shows every event whole.

Examples:
  $ clavis audit events --action key.revoked --since 2025-01-01
  $ clavis audit events --target key_01J9Z… --all --json`,
    )
    .action(async (_opts: unknown, cmd: Command) => {
      const o = cmd.opts<Options>();
      const client = clientOf(cmd, ctx);
      const query: AuditEventsQuery = {
        fromSeq: o.fromSeq,
        toSeq: o.toSeq,
        action: o.action,
        actor: o.actor,
        target: o.target,
        since: o.since,
        until: o.until,
        limit: o.limit,
        cursor: o.cursor,
      };
      const data: AuditEvent[] = [];
      let nextCursor: string | null;
      do {
        const page = await client.listAuditEvents(query);
        data.push(...page.data);
        nextCursor = page.nextCursor;
        query.cursor = nextCursor ?? undefined;
      } while (o.all === true && nextCursor !== null);
      const json = jsonOf(cmd);
      emit(ctx.io, json, { data, nextCursor }, () =>
        data.length === 0
          ? 'No events.\n'
          : formatTable(
              ['seq', 'time', 'actor', 'action', 'target', 'data'],
              data.map((e) => [e.seq, e.time, refText(e.actor), e.action, refText(e.target), truncate(cell(e.data), 80)]),
            ),
      );
      if (!json && nextCursor !== null) note(ctx.io, `More events: add --cursor ${nextCursor}, or --all for every page.`);
    });
}
