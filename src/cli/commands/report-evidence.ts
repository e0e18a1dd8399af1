import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import type { EvidenceReport } from '@clavis/sdk';
import type { Command } from 'commander';
import { formatBundle, verifyBundle, type BundleReport } from '../../core/audit/bundle.ts';
import { ClavisError } from '../../core/errors/registry.ts';
import type { StoredAuditEvent } from '../../core/model.ts';
import { toCsv } from '../../reports/csv.ts';
import { parseEvidenceRange } from '../../reports/evidence-range.ts';
import { clientOf, jsonOf, type CliContext } from '../context.ts';
import { CliError, EXIT_CHECK_FAILED } from '../io.ts';
import { emit, formatRecord, formatTable, note } from '../output.ts';
import { alertsCsv, hygieneCsv, inventoryCsv, lifecycleCsv } from '../report-csv.ts';
import { logEventOf } from '../views.ts';
import { fetchSnapshot, progress, type LogSnapshot } from './audit-export.ts';

/** `--format` of the report commands. */
export function reportFormat(format: string): 'table' | 'json' | 'csv' {
  if (format === 'table' || format === 'json' || format === 'csv') return format;
  throw new CliError(`--format must be table, json or csv, not ${format}`);
}

/** Version of the pack's layout, in manifest.json. */
export const EVIDENCE_PACK_FORMAT = 'clavis-evidence-pack/1';

/** Every file of a pack and what it is (README.txt and manifest.json say the same). */
const FILES = {
  'README.txt': 'what each file is and how to verify the pack',
  'evidence.json': 'everything below except the audit bundle, as the server answered GET /v1/reports/evidence',
  'inventory.csv': 'keys that existed at some time in the period, in their state at generation (display start only, never a key or its hash)',
  'lifecycle-events.csv': 'audit events of the period on keys, admin tokens, users, MFA and offboarded owners, with the leaf hash of each in the audit bundle',
  'alerts.csv': 'alerts open at some time in the period (their evidence, which holds client addresses, as a SHA-256)',
  'hygiene.csv': 'keys with hygiene findings at generation: no expiry, rotation overdue, unused, over-privileged, high-risk unprotected',
  'audit-bundle.jsonl': 'the workspace audit log up to a checkpoint signed for this pack: verify it offline with `clavis audit verify`',
  'audit-checkpoint.txt': 'the signed checkpoint (C2SP signed note) that covers the bundle',
  'verifier-key.txt': "the server's checkpoint verifier key, as the server gave it (compare it with the one you trust)",
  'audit-verification.json': 'the offline verifier run on the bundle when the pack was written, and the check that each lifecycle event is in it',
} as const;
type PackFile = keyof typeof FILES;

/** What the verifier found, and whether every lifecycle event of the report is the same event in the bundle. */
interface PackVerification {
  ok: boolean;
  verifiedAt: string;
  verifierKey: string;
  verifierKeySource: string;
  bundle: BundleReport & { treeSize: number; rootHash: string | null };
  lifecycleEvents: { checked: number; notInBundle: number[]; leafHashMismatch: number[] };
  problems: string[];
}

interface ManifestFile {
  path: PackFile;
  sha256: string;
  bytes: number;
  description: string;
}

const sha256 = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex');

/** Runs the offline verifier on the bundle and ties each lifecycle event of the report to its line. */
function verifyPack(doc: EvidenceReport, snap: LogSnapshot, bundle: string): PackVerification {
  const check = verifyBundle(bundle, { verifierKey: snap.verifierKey });
  const leaves = new Map(snap.events.map((e) => [e.seq, e.leafHash]));
  const notInBundle: number[] = [];
  const leafHashMismatch: number[] = [];
  for (const e of doc.lifecycleEvents) {
    const leaf = leaves.get(e.seq);
    if (leaf === undefined) notInBundle.push(e.seq);
    else if (leaf !== e.leafHash) leafHashMismatch.push(e.seq);
  }
  const problems: string[] = check.problems.map((p) => `audit-bundle.jsonl line ${p.line}: ${p.kind}: ${p.message}`);
  if (doc.auditLog.verifierKey !== snap.verifierKey) problems.push('the evidence report and the checkpoint list name different verifier keys');
  if (notInBundle.length > 0) problems.push(`${notInBundle.length} lifecycle event(s) are not in the bundle (seq ${notInBundle.slice(0, 5).join(', ')}…)`);
  if (leafHashMismatch.length > 0) problems.push(`${leafHashMismatch.length} lifecycle event(s) differ from the bundle's (seq ${leafHashMismatch.slice(0, 5).join(', ')}…)`);
  const newest = snap.checkpoints.at(-1);
  return {
    ok: problems.length === 0,
    verifiedAt: new Date().toISOString(),
    verifierKey: snap.verifierKey,
    verifierKeySource: 'the server (GET /v1/audit/checkpoints): this proves the bundle is intact and complete up to the checkpoint, not who signed it; verify again with the key you trust',
    bundle: { ...check, treeSize: newest?.treeSize ?? 0, rootHash: newest?.rootHash ?? null },
    lifecycleEvents: { checked: doc.lifecycleEvents.length, notInBundle, leafHashMismatch },
    problems,
  };
}

function readme(doc: EvidenceReport, snap: LogSnapshot, v: PackVerification): string {
  const width = Math.max(...Object.keys(FILES).map((f) => f.length));
  const title = `Clavis evidence pack (${EVIDENCE_PACK_FORMAT})`;
  return `${title}
${'='.repeat(title.length)}

Workspace:  ${doc.workspaceId}
Period:     ${doc.from} (inclusive) to ${doc.to} (exclusive)
Generated:  ${doc.generatedAt}
Audit log:  ${snap.origin}, ${v.bundle.treeSize} events under the checkpoint signed for this pack
Self-check: ${v.ok ? 'OK' : 'FAILED'} (audit-verification.json)

Files
-----
${Object.entries(FILES).map(([f, d]) => `${f.padEnd(width)}  ${d}`).join('\n')}
manifest.json${' '.repeat(Math.max(0, width - 13))}  SHA-256 and size of every file above

Tables are CSV (RFC 4180 quoting, UTF-8, CRLF); a cell that would start with = + - @ gets a
leading apostrophe so that a spreadsheet does not run it as a formula. Times are ISO 8601 UTC.
The inventory and the hygiene report describe the keys at generation time; lifecycle events and
alerts cover the period.

How to verify
-------------
1. The files are those that were written: compare each file's SHA-256 with manifest.json
   (sha256sum FILE), and keep the SHA-256 of manifest.json itself with your review record.
2. The audit log is complete, in order, unaltered and signed:
     clavis audit verify audit-bundle.jsonl --verifier-key '<the key you trust>'
   Obtain the key from the operator or from GET /v1/audit/checkpoints (field verifierKey) out of
   band; verifier-key.txt holds the key the server gave when the pack was written, and trusting
   it proves only that the bundle is self-consistent. No server is needed to verify.
3. Each row of lifecycle-events.csv is an event of the bundle: its seq is its position and its
   leafHash the hash recorded on that line of audit-bundle.jsonl (checked when the pack was
   written: audit-verification.json, lifecycleEvents).
4. audit-checkpoint.txt is the signed note covering the bundle; its root hash and tree size are
   those the verifier recomputes from the events.

Nothing in the pack is a secret: keys show only their display start, admin tokens never appear,
alert evidence (client addresses) is represented by its SHA-256.
`;
}

/** Writes the files into a fresh folder next to `out` and renames it into place: never half a pack. */
async function writePack(out: string, files: Record<PackFile, string>, manifestOf: (entries: ManifestFile[]) => string): Promise<ManifestFile[]> {
  const parent = dirname(out);
  const tmp = await mkdtemp(join(parent, `.${basename(out)}.tmp-`));
  try {
    const entries: ManifestFile[] = [];
    for (const [path, text] of Object.entries(files) as [PackFile, string][]) {
      await writeFile(join(tmp, path), text, { flag: 'wx' });
      entries.push({ path, sha256: sha256(text), bytes: Buffer.byteLength(text, 'utf8'), description: FILES[path] });
    }
    entries.sort((a, b) => (a.path < b.path ? -1 : 1));
    await writeFile(join(tmp, 'manifest.json'), manifestOf(entries), { flag: 'wx' });
    await rename(tmp, out);
    return entries;
  } catch (error) {
    await rm(tmp, { recursive: true, force: true });
    throw new CliError(`cannot write ${out}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** `clavis report evidence --from DATE --to DATE [--out DIR] [--format table|json|csv]`. */
export function registerReportEvidence(report: Command, ctx: CliContext): void {
  report
    .command('evidence')
    .description('Write an evidence pack for a period (SOC 2 / ISO 27001): inventory, lifecycle events, verified audit bundle, alerts, hygiene, manifest')
    .requiredOption('--from <date>', 'start of the period: a date (2026-01-01) or an ISO 8601 time with a zone')
    .requiredOption('--to <date>', 'end of the period: a date includes that whole day (UTC); a time is exclusive')
    .option('--out <dir>', 'folder to create (default evidence-<from>-<to>); it must not exist')
    .option('--format <format>', 'summary on stdout: table, json or csv (the pack itself is always CSV and JSON)', 'table')
    .addHelpText(
      'after',
      `
The pack is written into a new folder (renamed into place when complete, never half-written):
${Object.entries(FILES).map(([f, d]) => `  ${f}: ${d}`).join('\n')}
  manifest.json: SHA-256 and size of every file

The audit bundle holds the whole log up to a checkpoint signed now: a Merkle root can only be
recomputed from the first event, so the period's events are checked as part of it. The command
runs the offline verifier on it and exits 1 when it does not verify (the pack is still written).

Examples:
  $ clavis report evidence --from 2026-01-01 --to 2026-03-31
  $ clavis report evidence --from 2026-01-01 --to 2026-12-31 --out /audits/clavis-2026 --format json
  $ clavis audit verify evidence-2026-01-01-2026-03-31/audit-bundle.jsonl --verifier-key '…'`,
    )
    .action(async (_opts: unknown, cmd: Command) => {
      const o = cmd.opts<{ from: string; to: string; out?: string; format: string }>();
      const format = reportFormat(o.format);
      let label: string;
      try {
        label = parseEvidenceRange(o.from, o.to, Date.now()).label;
      } catch (error) {
        if (error instanceof ClavisError) throw new CliError(`--${error.errors[0]?.field.split('/').at(-1) ?? 'from'} ${error.message.replace(/^(from|to): /, '')}`);
        throw error;
      }
      const out = resolve(o.out ?? `evidence-${label}`);
      if (existsSync(out)) throw new CliError(`${out} already exists: an evidence pack is never written over another`);

      const client = clientOf(cmd, ctx);
      const bar = progress(ctx.io);
      bar.update('building the evidence report…');
      const doc = await client.getEvidenceReport({ from: o.from, to: o.to });
      bar.done();
      // After the report: the checkpoint signed now covers every event the report lists.
      const snap = await fetchSnapshot(client, ctx.io);
      bar.update(`verifying the audit bundle (${snap.events.length} events)…`);
      const stored: StoredAuditEvent[] = snap.events.map((e) => ({ event: logEventOf(e), leafHash: e.leafHash }));
      const bundle = formatBundle({ workspaceId: snap.workspaceId, origin: snap.origin, verifierKey: snap.verifierKey, exportedAt: new Date().toISOString() }, stored, snap.checkpoints);
      const verification = verifyPack(doc, snap, bundle);
      bar.update('writing the pack…');
      const newest = snap.checkpoints.at(-1);
      const files: Record<PackFile, string> = {
        'README.txt': readme(doc, snap, verification),
        'evidence.json': `${JSON.stringify(doc, null, 2)}\n`,
        'inventory.csv': inventoryCsv(doc.inventory),
        'lifecycle-events.csv': lifecycleCsv(doc.lifecycleEvents),
        'alerts.csv': alertsCsv(doc.alerts),
        'hygiene.csv': hygieneCsv(doc.hygiene),
        'audit-bundle.jsonl': bundle,
        'audit-checkpoint.txt': newest?.note ?? '',
        'verifier-key.txt': `${snap.verifierKey}\n`,
        'audit-verification.json': `${JSON.stringify(verification, null, 2)}\n`,
      };
      const entries = await writePack(out, files, (list) =>
        `${JSON.stringify(
          {
            format: EVIDENCE_PACK_FORMAT,
            workspaceId: doc.workspaceId,
            period: { from: doc.from, to: doc.to },
            generatedAt: doc.generatedAt,
            auditLog: { origin: snap.origin, verifierKey: snap.verifierKey, treeSize: verification.bundle.treeSize, rootHash: verification.bundle.rootHash },
            selfCheck: verification.ok ? 'ok' : 'failed',
            files: list,
          },
          null,
          2,
        )}\n`,
      );
      bar.done();

      const result = {
        out,
        workspaceId: doc.workspaceId,
        from: doc.from,
        to: doc.to,
        inventory: doc.inventory.length,
        lifecycleEvents: doc.lifecycleEvents.length,
        alerts: doc.alerts.length,
        flaggedKeys: doc.hygiene.summary.flagged,
        auditEvents: verification.bundle.events,
        checkpoints: verification.bundle.checkpoints,
        verifierKey: snap.verifierKey,
        selfCheck: verification.ok ? 'ok' : 'failed',
        problems: verification.problems,
        files: entries.map(({ path, sha256: hash, bytes }) => ({ path, sha256: hash, bytes })),
      };
      if (format === 'csv') ctx.io.stdout(toCsv(['path', 'sha256', 'bytes'], result.files.map((f) => [f.path, f.sha256, f.bytes])));
      else
        emit(ctx.io, jsonOf(cmd) || format === 'json', result, () =>
          formatRecord([
            ['pack', out],
            ['workspace', doc.workspaceId],
            ['period', `${doc.from} – ${doc.to}`],
            ['keys', doc.inventory.length],
            ['lifecycle events', doc.lifecycleEvents.length],
            ['alerts', doc.alerts.length],
            ['flagged keys', `${doc.hygiene.summary.flagged} of ${doc.hygiene.summary.keys}`],
            ['audit bundle', `${verification.bundle.events} events, ${verification.bundle.checkpoints} checkpoint(s)`],
            ['self-check', verification.ok ? 'OK: the bundle verifies and holds every lifecycle event' : 'FAILED (audit-verification.json)'],
          ]) + `\n${formatTable(['file', 'sha256', 'bytes'], result.files.map((f) => [f.path, f.sha256, f.bytes]))}`,
        );
      if (!verification.ok) {
        note(ctx.io, `error: ${verification.problems[0] ?? 'the pack did not verify'}`);
        ctx.exitCode = EXIT_CHECK_FAILED;
      } else if (format === 'table' && !jsonOf(cmd)) {
        note(ctx.io, `Verify it offline with: clavis audit verify ${join(out, 'audit-bundle.jsonl')} --verifier-key '<the key you trust>'`);
      }
    });
}
