import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import type { Command } from 'commander';
import { BundleVerifier, type BundleReport } from '../../core/audit/bundle.ts';
import { parseVerifierKey } from '../../core/audit/signed-note.ts';
import { jsonOf, type CliContext } from '../context.ts';
import { CliError, EXIT_CHECK_FAILED } from '../io.ts';
import { emit, formatRecord, note } from '../output.ts';

/** What the header line says about the bundle, for the summary; null where it is unreadable. */
interface HeaderFacts {
  workspaceId: string | null;
  origin: string | null;
  exportedAt: string | null;
  verifierKey: string | null;
}

function headerFacts(line: string | undefined): HeaderFacts {
  const facts: HeaderFacts = { workspaceId: null, origin: null, exportedAt: null, verifierKey: null };
  if (line === undefined) return facts;
  try {
    const value: unknown = JSON.parse(line);
    if (typeof value !== 'object' || value === null) return facts;
    const h = value as Record<string, unknown>;
    const text = (v: unknown): string | null => (typeof v === 'string' ? v : null);
    return { workspaceId: text(h.workspaceId), origin: text(h.origin), exportedAt: text(h.exportedAt), verifierKey: text(h.verifierKey) };
  } catch {
    return facts;
  }
}

/**
 * Feeds a bundle to the verifier line by line, splitting on `\n` exactly as verifyBundle does, so
 * that a large bundle is checked without holding it in memory.
 */
async function verifyStream(stream: Readable, verifierKey: string | undefined): Promise<{ report: BundleReport; header: string | undefined }> {
  const verifier = new BundleVerifier(verifierKey === undefined ? {} : { verifierKey });
  let header: string | undefined;
  let rest = '';
  let lines = 0;
  const push = (line: string): void => {
    if (lines === 0) header = line;
    lines++;
    verifier.push(line);
  };
  stream.setEncoding('utf8');
  for await (const chunk of stream) {
    const parts = (rest + String(chunk)).split('\n');
    rest = parts.pop() ?? '';
    for (const line of parts) push(line);
  }
  // Like verifyBundle: a final newline ends the last line; a file that is only "" is one empty line.
  if (rest !== '' || lines === 0) push(rest);
  return { report: verifier.finish(), header };
}

/** `clavis audit verify FILE`: checks an exported bundle offline, without any server. */
export function registerAuditVerify(audit: Command, ctx: CliContext): void {
  audit
    .command('verify')
    .description('Verify an exported audit bundle offline (no server needed)')
    .argument('<file>', 'bundle written by `clavis audit export`, or - for stdin')
    .option('--verifier-key <key>', 'the verifier key you trust (name+keyid+key); default: the key inside the bundle')
    .addHelpText(
      'after',
      `
Checks that events are complete, in order and unaltered, and that every checkpoint is signed by
the verifier key and matches the events. Without --verifier-key the key written in the bundle is
used: that proves the bundle is intact relative to that key only, since whoever rewrote a bundle
could have re-signed it. Get the key to trust from your operator or once from
GET /v1/audit/checkpoints (field verifierKey), and pass it here.

Exit status: 0 when the bundle is intact, 1 when it is not (the first bad entry is printed),
2 on usage errors (unreadable file, malformed --verifier-key).

Examples:
  $ clavis audit verify audit-2025-06.jsonl --verifier-key 'clavis-audit+1a2b3c4d+AR…'
  $ clavis audit verify audit-2025-06.jsonl --json | jq .problems`,
    )
    .action(async (file: string, _opts: unknown, cmd: Command) => {
      const { verifierKey } = cmd.opts<{ verifierKey?: string }>();
      if (verifierKey !== undefined) {
        try {
          parseVerifierKey(verifierKey);
        } catch (error) {
          throw new CliError(`--verifier-key: ${error instanceof Error ? error.message : 'invalid'}`);
        }
      }
      let verified: Awaited<ReturnType<typeof verifyStream>>;
      try {
        verified = await verifyStream(file === '-' ? ctx.io.stdin() : createReadStream(file), verifierKey);
      } catch (error) {
        throw new CliError(`cannot read ${file}: ${error instanceof Error ? error.message : String(error)}`);
      }
      const { report, header } = verified;
      const facts = headerFacts(header);
      const keyUsed = verifierKey ?? facts.verifierKey;
      const source = verifierKey === undefined ? 'bundle' : 'option';
      const [first, ...others] = report.problems;
      const result = {
        file,
        ok: report.ok,
        events: report.events,
        checkpoints: report.checkpoints,
        workspaceId: facts.workspaceId,
        origin: facts.origin,
        exportedAt: facts.exportedAt,
        verifierKey: keyUsed,
        verifierKeySource: source,
        firstProblem: first ?? null,
        otherProblems: others.length,
        problems: report.problems,
      };
      emit(ctx.io, jsonOf(cmd), result, () => {
        let text = formatRecord([
          ['bundle', file],
          ['result', report.ok ? 'OK: intact' : 'FAIL: not intact'],
          ['workspace', facts.workspaceId],
          ['exported', facts.exportedAt],
          ['events', report.events],
          ['checkpoints', report.checkpoints],
          ['verifier key', keyUsed],
          ['key from', source === 'bundle' ? 'the bundle itself (not independently trusted)' : '--verifier-key'],
        ]);
        if (first !== undefined) {
          text += `\nfirst bad entry:\n${formatRecord([
            ['line', first.line],
            ['seq', first.seq ?? null],
            ['kind', first.kind],
            ['message', first.message],
          ])}`;
          text += `${others.length} other problem(s)${others.length > 0 ? ' (--json lists them all)' : ''}\n`;
        }
        return text;
      });
      if (source === 'bundle') {
        note(
          ctx.io,
          'warning: no --verifier-key given, so the key inside the bundle was trusted. This proves the bundle is intact only against that key, not who signed it; pass --verifier-key with the key you trust.',
        );
      }
      if (!report.ok) ctx.exitCode = EXIT_CHECK_FAILED;
    });
}
