import type { Finding, ScanStats } from './finding.ts';

/** One finding as JSON prints it; `secret` only when the user asked to see secrets. */
export interface JsonFinding {
  ruleId: string;
  description: string;
  severity: Finding['severity'];
  file: string;
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
  commit?: string;
  author?: string;
  date?: string;
  redacted: string;
  secret?: string;
  fingerprint: string;
  verified?: Finding['verified'];
  revoked?: string;
}

export interface JsonReport {
  findings: JsonFinding[];
  stats: ScanStats;
}

/** The JSON report: `{findings, stats}`, lines and columns 1-based, secrets redacted unless `showSecrets`. */
export function jsonReport(findings: readonly Finding[], stats: ScanStats, showSecrets: boolean): JsonReport {
  return {
    findings: findings.map((f) => {
      const out: JsonFinding = {
        ruleId: f.ruleId,
        description: f.description,
        severity: f.severity,
        file: f.file,
        line: f.line,
        column: f.column,
        endLine: f.endLine,
        endColumn: f.endColumn,
        redacted: f.redacted,
        fingerprint: f.fingerprint,
      };
      if (f.commit !== undefined) out.commit = f.commit;
      if (f.author !== undefined) out.author = f.author;
      if (f.date !== undefined) out.date = f.date;
      if (showSecrets) out.secret = f.secret;
      if (f.verified !== undefined) out.verified = f.verified;
      if (f.revoked !== undefined) out.revoked = f.revoked;
      return out;
    }),
    stats,
  };
}
