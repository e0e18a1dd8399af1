import { randomBytes } from 'node:crypto';
import { rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { AuditCheckpoint, AuditEvent, ClavisClient } from '@clavis/sdk';
import { ClavisApiError } from '@clavis/sdk';
import { Option, type Command } from 'commander';
import { formatBundle, verifyBundle } from '../../core/audit/bundle.ts';
import type { StoredAuditEvent } from '../../core/model.ts';
import { clientOf, jsonOf, type CliContext } from '../context.ts';
import { CliError, EXIT_CHECK_FAILED, type CliIo } from '../io.ts';
import { emit, formatRecord, note } from '../output.ts';
import { logEventOf, refText } from '../views.ts';

/** Largest page the audit endpoints serve. */
const PAGE = 1000;

/** Everything a bundle holds, fetched from the server. */
export interface LogSnapshot {
  workspaceId: string;
  origin: string;
  verifierKey: string;
  /** Oldest first, as the bundle lists them. */
  checkpoints: AuditCheckpoint[];
  /** seq 0 … newest checkpoint's treeSize - 1. */
  events: AuditEvent[];
  /** Size of the log when the checkpoints were listed: events past the checkpoint are left out. */
  logSize: number;
}

/** A line on stderr that redraws itself, only on a terminal. */
export function progress(io: CliIo): { update(text: string): void; done(): void } {
  let drawn = false;
  return {
    update(text) {
      if (!io.stderrIsTty) return;
      io.stderr(`\r${text}\u001b[K`);
      drawn = true;
    },
    done() {
      if (drawn) io.stderr('\r\u001b[K');
    },
  };
}

/**
 * Signs a fresh checkpoint and fetches every checkpoint and every event it covers (also used by
 * `clavis report evidence`); progress on stderr when it is a terminal.
 */
export async function fetchSnapshot(client: ClavisClient, io: CliIo): Promise<LogSnapshot> {
  const bar = progress(io);
  try {
    bar.update('signing a checkpoint…');
    try {
      await client.createCheckpoint();
    } catch (error) {
      if (error instanceof ClavisApiError && error.code === 'CHECKPOINT_NOT_FOUND') throw new CliError('the audit log is empty: nothing to export');
      throw error;
    }

    bar.update('fetching checkpoints…');
    const first = await client.listCheckpoints({ limit: PAGE });
    const checkpoints = [...first.data];
    let page = first.data;
    while (page.length === PAGE) {
      const before = Math.min(...page.map((c) => c.treeSize));
      page = (await client.listCheckpoints({ limit: PAGE, beforeTreeSize: before })).data;
      if (page.some((c) => c.treeSize >= before)) throw new CliError('the server paged checkpoints inconsistently (beforeTreeSize was not honoured)');
      checkpoints.push(...page);
    }
    checkpoints.sort((a, b) => a.treeSize - b.treeSize);
    const newest = checkpoints.at(-1);
    if (newest === undefined) throw new CliError('the server lists no checkpoint although it just signed one');

    const { workspace } = await client.getWorkspace();

    // Only events the newest checkpoint covers: later ones carry no signature yet.
    const events: AuditEvent[] = [];
    let cursor: string | undefined;
    do {
      bar.update(`fetching events ${events.length}/${newest.treeSize}…`);
      const p = await client.listAuditEvents({ fromSeq: 0, toSeq: newest.treeSize - 1, limit: PAGE, cursor });
      events.push(...p.data);
      cursor = p.nextCursor ?? undefined;
    } while (cursor !== undefined);
    return { workspaceId: workspace.id, origin: first.origin, verifierKey: first.verifierKey, checkpoints, events, logSize: first.treeSize };
  } finally {
    bar.done();
  }
}

/** Quotes a CSV field when needed and defuses spreadsheet formulas. */
export function csvField(text: string): string {
  // A leading = + - @ makes spreadsheets evaluate the cell; an apostrophe keeps it text.
  const safe = /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
  return /[",\r\n]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}

/** The spreadsheet view: seq,time,actor,action,target,data-json. */
export function formatCsv(events: readonly AuditEvent[]): string {
  const lines = ['seq,time,actor,action,target,data-json'];
  for (const e of events) {
    lines.push([String(e.seq), e.time, refText(e.actor), e.action, refText(e.target), JSON.stringify(e.data)].map(csvField).join(','));
  }
  return `${lines.join('\r\n')}\r\n`;
}

/** Writes next to the target and renames, so a reader never sees a half-written file. */
async function writeAtomically(path: string, text: string): Promise<void> {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    await writeFile(tmp, text, { flag: 'wx' });
    await rename(tmp, path);
  } catch (error) {
    await rm(tmp, { force: true });
    throw new CliError(`cannot write ${path}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** `clavis audit export`: a signed, offline-verifiable copy of the workspace audit log. */
export function registerAuditExport(audit: Command, ctx: CliContext): void {
  audit
    .command('export')
    .description('Export the audit log as a bundle that `clavis audit verify` checks offline')
    .requiredOption('--out <file>', 'file to write (replaced whole, never left half-written)')
    .addOption(new Option('--format <format>', 'jsonl: the verifiable bundle; csv: a spreadsheet view').choices(['jsonl', 'csv']).default('jsonl'))
    .addHelpText(
      'after',
      `
The export first asks the server to sign a fresh checkpoint, then writes every checkpoint and
every event the newest one covers (events logged after it are left out: no signature covers
them yet). jsonl is the bundle format: a header, the events, then the signed checkpoints.

--format csv writes seq,time,actor,action,target,data-json for spreadsheets. It carries no hashes
or signatures and CANNOT be verified; keep the jsonl bundle as the evidence.

Examples:
  $ clavis audit export --out audit-2025-06.jsonl
  $ clavis audit verify audit-2025-06.jsonl --verifier-key 'clavis-audit+1a2b3c4d+AR…'
  $ clavis audit export --out audit.csv --format csv`,
    )
    .action(async (_opts: unknown, cmd: Command) => {
      const o = cmd.opts<{ out: string; format: 'jsonl' | 'csv' }>();
      const snap = await fetchSnapshot(clientOf(cmd, ctx), ctx.io);
      const stored: StoredAuditEvent[] = snap.events.map((e) => ({ event: logEventOf(e), leafHash: e.leafHash }));
      const bundle = formatBundle(
        { workspaceId: snap.workspaceId, origin: snap.origin, verifierKey: snap.verifierKey, exportedAt: new Date().toISOString() },
        stored,
        snap.checkpoints,
      );
      await writeAtomically(o.out, o.format === 'csv' ? formatCsv(snap.events) : bundle);

      // Checked against the server's own key: this catches a server serving an inconsistent log
      // now, rather than the auditor later. It proves nothing about who signed.
      const check = verifyBundle(bundle, { verifierKey: snap.verifierKey });
      const newest = snap.checkpoints.at(-1)?.treeSize ?? 0;
      const result = {
        file: o.out,
        format: o.format,
        workspaceId: snap.workspaceId,
        origin: snap.origin,
        verifierKey: snap.verifierKey,
        events: snap.events.length,
        checkpoints: snap.checkpoints.length,
        treeSize: newest,
        notCovered: Math.max(0, snap.logSize - newest),
        selfCheck: check.ok ? 'ok' : 'failed',
        problems: check.problems,
      };
      emit(ctx.io, jsonOf(cmd), result, () =>
        formatRecord([
          ['file', o.out],
          ['format', o.format === 'csv' ? 'csv (spreadsheet view, not verifiable)' : 'jsonl bundle'],
          ['workspace', snap.workspaceId],
          ['events', `${snap.events.length} (seq 0–${newest - 1})`],
          ['checkpoints', snap.checkpoints.length],
          ['verifier key', snap.verifierKey],
        ]),
      );
      if (result.notCovered > 0) note(ctx.io, `${result.notCovered} newer event(s) were left out: no checkpoint covers them yet.`);
      if (!check.ok) {
        const p = check.problems[0];
        note(ctx.io, `error: the exported log does not verify against the server's own key${p === undefined ? '' : ` (line ${p.line}: ${p.kind}: ${p.message})`}`);
        ctx.exitCode = EXIT_CHECK_FAILED;
      } else if (!jsonOf(cmd) && o.format === 'jsonl') {
        note(ctx.io, `Verify it offline with: clavis audit verify ${o.out} --verifier-key '${snap.verifierKey}'`);
      }
    });
}
