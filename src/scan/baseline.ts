import { readFileSync, writeFileSync } from 'node:fs';
import { z } from 'zod';
import type { Finding } from './finding.ts';

/**
 * A baseline lists known findings by fingerprint (rule, file and a hash of the secret — never the
 * secret), so that a scan reports only new ones. The line is informational: fingerprints do not
 * depend on it, so a baseline survives edits that move the secret.
 */
export interface Baseline {
  version: 1;
  findings: { fingerprint: string; ruleId: string; file: string; line: number; commit?: string }[];
}

const BaselineSchema = z.object({
  version: z.literal(1),
  findings: z.array(z.object({ fingerprint: z.string().regex(/^[0-9a-f]{64}$/), ruleId: z.string(), file: z.string(), line: z.number().int(), commit: z.string().optional() }).passthrough()),
});

/** Reads a baseline file; throws an Error naming the file when it is missing or malformed. */
export function readBaseline(file: string): Set<string> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new Error(`baseline ${file}: ${error instanceof Error ? error.message : String(error)}`);
  }
  const r = BaselineSchema.safeParse(parsed);
  if (!r.success) throw new Error(`baseline ${file}: ${r.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`);
  return new Set(r.data.findings.map((f) => f.fingerprint));
}

/** The baseline of `findings`, one entry per fingerprint, in a stable order. */
export function baselineOf(findings: readonly Finding[]): Baseline {
  const seen = new Map<string, Baseline['findings'][number]>();
  for (const f of findings) {
    if (seen.has(f.fingerprint)) continue;
    const entry: Baseline['findings'][number] = { fingerprint: f.fingerprint, ruleId: f.ruleId, file: f.file, line: f.line };
    if (f.commit !== undefined) entry.commit = f.commit;
    seen.set(f.fingerprint, entry);
  }
  return { version: 1, findings: [...seen.values()] };
}

export function writeBaseline(file: string, findings: readonly Finding[]): void {
  writeFileSync(file, `${JSON.stringify(baselineOf(findings), null, 2)}\n`);
}
