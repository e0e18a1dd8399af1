import type { Command } from 'commander';
import type { HygieneReport } from '@clavis/sdk';
import { clientOf, jsonOf, type CliContext } from '../context.ts';
import { CliError } from '../io.ts';
import { emit, formatTable } from '../output.ts';

/** One CSV field (RFC 4180): quoted when it holds a comma, quote or line break; formula starts defused. */
function csvField(value: string): string {
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}

/** The report's flagged keys as CSV, one row per key, findings joined with `;`. */
export function hygieneCsv(r: HygieneReport): string {
  const header = ['keyId', 'name', 'environment', 'status', 'ownerId', 'scopes', 'createdAt', 'expiresAt', 'lastUsedAt', 'findings'];
  const rows = r.keys.map((k) => [k.keyId, k.name, k.environment, k.status, k.ownerId ?? '', k.scopes.join(';'), k.createdAt, k.expiresAt ?? '', k.lastUsedAt ?? '', k.findings.join(';')]);
  return `${[header, ...rows].map((row) => row.map(csvField).join(',')).join('\r\n')}\r\n`;
}

function hygieneText(r: HygieneReport): string {
  const s = r.summary;
  const head = `Key hygiene: ${s.flagged} of ${s.keys} key(s) flagged — no expiry ${s['no-expiry']}, rotation overdue (> ${r.rotationDays} d) ${s['rotation-overdue']}, unused (${r.unusedDays} d) ${s.unused}, high-risk unprotected ${s['high-risk-unprotected']}`;
  const table = formatTable(['key', 'name', 'env', 'owner', 'last used', 'findings'], r.keys.map((k) => [k.keyId, k.name, k.environment, k.ownerId ?? '', k.lastUsedAt ?? 'never', k.findings.join(', ')]));
  return `${head}\n${table}\n${r.limitations.map((l) => `Note: ${l}`).join('\n')}\n`;
}

const days = (v: string): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 3650) throw new CliError(`expected a number of days from 1 to 3650, got ${v}`);
  return n;
};

/** `clavis report hygiene [--format table|json|csv]`. */
export function registerReport(program: Command, ctx: CliContext): void {
  const report = program.command('report').description('Reports on the keys of the workspace').addHelpText('after', '\nExamples:\n  $ clavis report hygiene\n  $ clavis report hygiene --format csv > hygiene.csv');
  report
    .command('hygiene')
    .description('Keys without expiry, overdue for rotation, unused, or high-risk without an IP allowlist or signing')
    .option('--format <format>', 'table, json or csv', 'table')
    .option('--rotation-days <n>', 'rotation period in days', days)
    .option('--unused-days <n>', 'idle period in days', days)
    .action(async (_opts: unknown, cmd: Command) => {
      const o = cmd.opts<{ format: string; rotationDays?: number; unusedDays?: number }>();
      if (!['table', 'json', 'csv'].includes(o.format)) throw new CliError(`--format must be table, json or csv, not ${o.format}`);
      const r = await clientOf(cmd, ctx).getHygieneReport({ ...(o.rotationDays !== undefined ? { rotationDays: o.rotationDays } : {}), ...(o.unusedDays !== undefined ? { unusedDays: o.unusedDays } : {}) });
      if (o.format === 'csv') ctx.io.stdout(hygieneCsv(r));
      else emit(ctx.io, jsonOf(cmd) || o.format === 'json', r, () => hygieneText(r));
    });
}
