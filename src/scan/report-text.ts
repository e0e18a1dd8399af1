import type { Finding, ScanStats } from './finding.ts';

/** Renders aligned columns (the CLI passes its own table formatter, which escapes control characters). */
export type TableFormatter = (headers: readonly string[], rows: readonly (readonly unknown[])[]) => string;

function location(f: Finding): string {
  return `${f.file}:${f.line}:${f.column}`;
}

function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

/** One line of counts for the end of a run. */
export function summaryLine(stats: ScanStats): string {
  const skipped = stats.skippedBinary + stats.skippedTooLarge + stats.skippedAllowlisted + stats.skippedUnreadable;
  const parts = [
    `${stats.findings} finding(s)`,
    stats.commitsScanned > 0 ? `${stats.commitsScanned} commit(s)` : null,
    `${stats.filesScanned} file(s), ${bytes(stats.bytesScanned)} scanned`,
    skipped > 0 ? `${skipped} skipped (${stats.skippedBinary} binary, ${stats.skippedTooLarge} too large, ${stats.skippedAllowlisted} allowlisted, ${stats.skippedUnreadable} unreadable)` : null,
    stats.allowed > 0 ? `${stats.allowed} allowed` : null,
    stats.baselined > 0 ? `${stats.baselined} in baseline` : null,
    `${(stats.durationMs / 1000).toFixed(2)} s`,
  ];
  return parts.filter((p) => p !== null).join(', ');
}

/**
 * The text report: a table of findings (secrets redacted unless `showSecrets`), then the summary.
 *
 * @example textReport(findings, stats, false, formatTable)
 */
export function textReport(findings: readonly Finding[], stats: ScanStats, showSecrets: boolean, table: TableFormatter): string {
  const summary = `${summaryLine(stats)}\n`;
  if (findings.length === 0) return `No secrets found.\n${summary}`;
  const history = findings.some((f) => f.commit !== undefined);
  const verified = findings.some((f) => f.verified !== undefined);
  const headers = ['severity', 'rule', 'location', ...(history ? ['commit', 'author'] : []), 'secret', ...(verified ? ['server'] : [])];
  const rows = findings.map((f) => [
    f.severity,
    f.ruleId,
    location(f),
    ...(history ? [f.commit?.slice(0, 12), f.author] : []),
    showSecrets ? f.secret : f.redacted,
    ...(verified ? [f.revoked !== undefined ? `revoked now (${f.revoked})` : f.verified] : []),
  ]);
  return `${table(headers, rows)}\n${summary}`;
}
