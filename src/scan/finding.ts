/** How bad a finding is: a live credential is `high`; a string that only looks like one is `low`. */
export type Severity = 'high' | 'medium' | 'low';

/** What the server says about a found Clavis key (`clavis scan` with a server configured). */
export type KeyLookupStatus = 'live' | 'revoked' | 'suspended' | 'expired' | 'unknown';

/**
 * One secret found. Lines and columns are 1-based; the column counts UTF-16 code units, as
 * SARIF's default `columnKind` does. `secret` is the matched secret itself: reporters print
 * `redacted` unless the user asked for the secret.
 */
export interface Finding {
  ruleId: string;
  description: string;
  severity: Severity;
  file: string;
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
  secret: string;
  redacted: string;
  /** Stable across line moves: sha256 of rule, file and secret. Used by baselines and SARIF. */
  fingerprint: string;
  commit?: string;
  author?: string;
  date?: string;
  verified?: KeyLookupStatus;
  /** Set when `--revoke` revoked the key: the key id. */
  revoked?: string;
}

/** Counters of one scan, for the summary line and the JSON `stats`. */
export interface ScanStats {
  filesScanned: number;
  bytesScanned: number;
  commitsScanned: number;
  skippedBinary: number;
  skippedTooLarge: number;
  skippedAllowlisted: number;
  skippedUnreadable: number;
  /** Matches dropped by an inline `clavis:allow` comment or a rule/global allowlist. */
  allowed: number;
  /** Findings dropped because the baseline lists them. */
  baselined: number;
  findings: number;
  durationMs: number;
}

export function emptyStats(): ScanStats {
  return {
    filesScanned: 0,
    bytesScanned: 0,
    commitsScanned: 0,
    skippedBinary: 0,
    skippedTooLarge: 0,
    skippedAllowlisted: 0,
    skippedUnreadable: 0,
    allowed: 0,
    baselined: 0,
    findings: 0,
    durationMs: 0,
  };
}

/** Findings in a stable order: file, commit, line, column, rule. */
export function sortFindings(findings: Finding[]): Finding[] {
  return findings.sort(
    (a, b) =>
      cmp(a.file, b.file) || cmp(a.commit ?? '', b.commit ?? '') || a.line - b.line || a.column - b.column || cmp(a.ruleId, b.ruleId),
  );
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
