import type { Command } from 'commander';
import type { HygieneReport } from '@clavis/sdk';
import { clientOf, jsonOf, type CliContext } from '../context.ts';
import { CliError } from '../io.ts';
import { emit, formatTable } from '../output.ts';
import { hygieneCsv } from '../report-csv.ts';
import { registerReportEvidence, reportFormat } from './report-evidence.ts';

function hygieneText(r: HygieneReport): string {
  const s = r.summary;
  const head = `Key hygiene: ${s.flagged} of ${s.keys} key(s) flagged — no expiry ${s['no-expiry']}, rotation overdue (> ${r.rotationDays} d) ${s['rotation-overdue']}, unused (${r.unusedDays} d) ${s.unused}, over-privileged (${r.overPrivilegeDays} d) ${s['over-privileged']}, high-risk unprotected ${s['high-risk-unprotected']}`;
  const table = formatTable(
    ['key', 'name', 'env', 'owner', 'last used', 'findings', 'unused scopes'],
    r.keys.map((k) => [k.keyId, k.name, k.environment, k.ownerId ?? '', k.lastUsedAt ?? 'never', k.findings.join(', '), k.unusedScopes]),
  );
  return `${head}\n${table}\n${r.limitations.map((l) => `Note: ${l}`).join('\n')}\n`;
}

const days = (v: string): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 3650) throw new CliError(`expected a number of days from 1 to 3650, got ${v}`);
  return n;
};

/** `clavis report hygiene [--format table|json|csv]` and `clavis report evidence`. */
export function registerReport(program: Command, ctx: CliContext): void {
  const report = program
    .command('report')
    .description('Reports on the keys of the workspace')
    .addHelpText('after', '\nExamples:\n  $ clavis report hygiene\n  $ clavis report hygiene --format csv > hygiene.csv\n  $ clavis report evidence --from 2026-01-01 --to 2026-03-31');
  report
    .command('hygiene')
    .description('Keys without expiry, overdue for rotation, unused, over-privileged (scopes never exercised), or high-risk without an IP allowlist or signing')
    .option('--format <format>', 'table, json or csv', 'table')
    .option('--rotation-days <n>', 'rotation period in days (default: the server\'s CLAVIS_REPORT_ROTATION_DAYS, 90)', days)
    .option('--unused-days <n>', 'idle period in days (default: CLAVIS_REPORT_UNUSED_DAYS, 90)', days)
    .option('--over-privilege-days <n>', 'keys older than this with a scope not exercised in the last this-many days are over-privileged (default: CLAVIS_REPORT_OVER_PRIVILEGE_DAYS, 30)', days)
    .action(async (_opts: unknown, cmd: Command) => {
      const o = cmd.opts<{ format: string; rotationDays?: number; unusedDays?: number; overPrivilegeDays?: number }>();
      const format = reportFormat(o.format);
      const r = await clientOf(cmd, ctx).getHygieneReport({
        ...(o.rotationDays !== undefined ? { rotationDays: o.rotationDays } : {}),
        ...(o.unusedDays !== undefined ? { unusedDays: o.unusedDays } : {}),
        ...(o.overPrivilegeDays !== undefined ? { overPrivilegeDays: o.overPrivilegeDays } : {}),
      });
      if (format === 'csv') ctx.io.stdout(hygieneCsv(r));
      else emit(ctx.io, jsonOf(cmd) || format === 'json', r, () => hygieneText(r));
    });
  registerReportEvidence(report, ctx);
}
