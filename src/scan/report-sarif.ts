import type { Finding, Severity } from './finding.ts';

/** Where SARIF 2.1.0 (OASIS standard, errata 01) publishes its schema. */
export const SARIF_SCHEMA_URI = 'https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json';

/** A rule as SARIF's `tool.driver.rules` lists it. */
export interface SarifRuleInfo {
  id: string;
  description: string;
  severity: Severity;
}

const LEVEL: Record<Severity, 'error' | 'warning' | 'note'> = { high: 'error', medium: 'warning', low: 'note' };
/** GitHub code scanning ranks security results by this property (0–10). */
const SECURITY_SEVERITY: Record<Severity, string> = { high: '8.9', medium: '6.5', low: '3.0' };

/** A repository-relative path as a URI reference: each segment percent-encoded. */
function uriOf(file: string): string {
  return file.split('/').map(encodeURIComponent).join('/');
}

/**
 * A SARIF 2.1.0 log with one run: the rules in force and one result per finding. Secrets are
 * never in it (the message names the rule and the redacted start); findings from git history
 * carry the commit and author in `properties`.
 *
 * @example JSON.stringify(sarifReport(findings, rules, '0.1.0'))
 */
export function sarifReport(findings: readonly Finding[], rules: readonly SarifRuleInfo[], version: string): Record<string, unknown> {
  const index = new Map(rules.map((r, i) => [r.id, i]));
  return {
    $schema: SARIF_SCHEMA_URI,
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'clavis-scan',
            semanticVersion: version,
            rules: rules.map((r) => ({
              id: r.id,
              name: r.id.replace(/(^|-)([a-z0-9])/g, (_m, _d: string, c: string) => c.toUpperCase()),
              shortDescription: { text: r.description },
              defaultConfiguration: { level: LEVEL[r.severity] },
              properties: { tags: ['security', 'secret'], 'security-severity': SECURITY_SEVERITY[r.severity] },
            })),
          },
        },
        columnKind: 'utf16CodeUnits',
        results: findings.map((f) => {
          const result: Record<string, unknown> = {
            ruleId: f.ruleId,
            level: LEVEL[f.severity],
            message: { text: `${f.description}: ${f.redacted}${f.commit !== undefined ? ` (commit ${f.commit.slice(0, 12)})` : ''}${f.verified !== undefined ? `; server says ${f.verified}` : ''}` },
            locations: [
              {
                physicalLocation: {
                  artifactLocation: { uri: uriOf(f.file), uriBaseId: '%SRCROOT%' },
                  region: { startLine: f.line, startColumn: f.column, endLine: f.endLine, endColumn: f.endColumn },
                },
              },
            ],
            partialFingerprints: { 'clavisSecret/v1': f.fingerprint },
            properties: {
              redacted: f.redacted,
              ...(f.commit !== undefined ? { commit: f.commit } : {}),
              ...(f.author !== undefined ? { author: f.author } : {}),
              ...(f.date !== undefined ? { date: f.date } : {}),
              ...(f.verified !== undefined ? { verified: f.verified } : {}),
              ...(f.revoked !== undefined ? { revokedKeyId: f.revoked } : {}),
            },
          };
          const i = index.get(f.ruleId);
          if (i !== undefined) result.ruleIndex = i;
          return result;
        }),
      },
    ],
  };
}
