import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import addFormats from 'ajv-formats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateCredential } from '../../src/core/keys/key-format.ts';
import type { JsonReport } from '../../src/scan/report-json.ts';
import { DEFAULT_MAX_FILE_SIZE, loadScanConfig, pathAllowlistOf, ruleSetOf } from '../../src/scan/scan-config.ts';
import { scanPaths } from '../../src/scan/scanner.ts';
import { clavis } from './cli-run.ts';
import { materialiseCorpus, type Planted } from './corpus.ts';
import { SARIF_2_1_0_SUBSET } from './sarif-schema.ts';

let dir: string;
let planted: Planted[];

beforeAll(() => {
  ({ dir, planted } = materialiseCorpus());
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

const where = (x: { ruleId: string; file: string; line: number; column: number }): string => `${x.ruleId} ${x.file}:${x.line}:${x.column}`;
/**
 * What must never be printed: a head of every real secret in the corpus longer than its
 * redacted start (Clavis keys show prefix, type and 4 body characters, as the server does).
 */
const heads = (): string[] => planted.filter((p) => p.kind !== 'noise').map((p) => p.value.slice(0, p.ruleId.startsWith('clavis-') ? 16 : 12));

describe('clavis scan on the corpus', () => {
  it('finds every planted secret with its rule, line and column, and nothing else', async () => {
    const { config } = loadScanConfig(dir);
    const r = await scanPaths(['.'], { ruleSet: ruleSetOf(config, false), maxFileSizeBytes: DEFAULT_MAX_FILE_SIZE, pathAllowlist: pathAllowlistOf(config), baseline: null, cwd: dir });
    const expected = planted.filter((p) => p.kind === 'plant').map(where).sort();
    expect(expected.length).toBeGreaterThanOrEqual(25);
    expect(r.findings.map(where).sort()).toEqual(expected);
    // Every rule of the list is exercised by at least one plant.
    const rules = new Set(planted.filter((p) => p.kind === 'plant').map((p) => p.ruleId));
    for (const id of ['clavis-api-key', 'clavis-admin-token', 'private-key', 'aws-access-key-id', 'aws-secret-access-key', 'gcp-api-key', 'azure-storage-account-key', 'jwt', 'github-token', 'github-fine-grained-token', 'gitlab-token', 'slack-token', 'slack-webhook-url', 'stripe-secret-key', 'crypto-exchange-credential', 'database-url-password', 'generic-secret-assignment', 'generic-secret-unquoted', 'acme-token']) {
      expect(rules, id).toContain(id);
    }
    // The secrets that must stay quiet were seen and let through, or never read.
    expect(r.stats.allowed).toBeGreaterThanOrEqual(2);
    expect(r.stats.skippedAllowlisted).toBeGreaterThanOrEqual(1);
    for (const f of r.findings) expect(f.file).not.toMatch(/^(ignored|vendor)\/|\.log$/);
  });

  it('finds the same on worker threads as on one thread', async () => {
    const { config } = loadScanConfig(dir);
    const base = { ruleSet: ruleSetOf(config, false), maxFileSizeBytes: DEFAULT_MAX_FILE_SIZE, pathAllowlist: pathAllowlistOf(config), baseline: null, cwd: dir };
    const serial = await scanPaths(['.'], base);
    const parallel = await scanPaths(['.'], { ...base, parallel: { config, reportMalformed: false, minBytes: 0, workers: 2 } });
    expect(parallel.findings).toEqual(serial.findings);
    expect({ ...parallel.stats, durationMs: 0 }).toEqual({ ...serial.stats, durationMs: 0 });
  });

  it('exits 1 and prints only redacted secrets as text, JSON and SARIF', () => {
    const text = clavis(['scan', '--no-progress'], { cwd: dir });
    expect(text.code, text.stderr).toBe(1);
    expect(text.stdout).toMatch(/^SEVERITY\s+RULE\s+LOCATION\s+SECRET/);
    expect(text.stdout).toContain('clavis-api-key');
    expect(text.stdout).toMatch(/\d+ finding\(s\)/);

    const json = clavis(['scan', '--format', 'json'], { cwd: dir });
    expect(json.code).toBe(1);
    const report = JSON.parse(json.stdout) as JsonReport;
    expect(report.findings.length).toBe(planted.filter((p) => p.kind === 'plant').length);
    for (const f of report.findings) {
      expect(f.line).toBeGreaterThanOrEqual(1);
      expect(f.column).toBeGreaterThanOrEqual(1);
      expect(f.redacted).toMatch(/…\(\d+ chars\)$/);
      expect(f).not.toHaveProperty('secret');
    }
    expect(report.stats.findings).toBe(report.findings.length);

    const sarif = clavis(['scan', '--format', 'sarif'], { cwd: dir });
    expect(sarif.code).toBe(1);
    const log: unknown = JSON.parse(sarif.stdout);
    const ajv = new Ajv({ allErrors: true, strict: false });
    addFormats.default(ajv);
    const valid = ajv.validate(SARIF_2_1_0_SUBSET, log);
    expect(ajv.errors ?? [], JSON.stringify(ajv.errors)).toEqual([]);
    expect(valid).toBe(true);
    const run = (log as { runs: { results: { ruleId: string; ruleIndex: number }[]; tool: { driver: { rules: { id: string }[] } } }[] }).runs[0];
    expect(run?.results.length).toBe(report.findings.length);
    for (const r of run?.results ?? []) expect(run?.tool.driver.rules[r.ruleIndex]?.id).toBe(r.ruleId);

    for (const out of [text.stdout, json.stdout, sarif.stdout]) for (const head of heads()) expect(out).not.toContain(head);
  });

  it('shows secrets only when asked', () => {
    const r = clavis(['scan', '--format', 'json', '--show-secrets'], { cwd: dir });
    const report = JSON.parse(r.stdout) as JsonReport;
    const values = new Set(planted.filter((p) => p.kind === 'plant').map((p) => p.value));
    expect(report.findings.every((f) => f.secret !== undefined && values.has(f.secret))).toBe(true);
  });

  it('keeps known findings quiet with a baseline, and reports new ones', () => {
    const baseline = join(dir, '..', `${dir.split('/').pop() ?? 'x'}-baseline.json`);
    const wrote = clavis(['scan', '--write-baseline', baseline], { cwd: dir });
    expect(wrote.code, wrote.stderr).toBe(0);
    const quiet = clavis(['scan', '--baseline', baseline, '--format', 'json'], { cwd: dir });
    expect(quiet.code, quiet.stdout).toBe(0);
    expect((JSON.parse(quiet.stdout) as JsonReport).stats.baselined).toBe(planted.filter((p) => p.kind === 'plant').length);
    // The baseline holds fingerprints, never a secret.
    for (const head of heads()) expect(readFileSync(baseline, 'utf8')).not.toContain(head);
    writeFileSync(join(dir, 'new.env'), `CLAVIS_API_KEY=${generateCredential('clv', 'live')}\n`);
    try {
      const fresh = clavis(['scan', '--baseline', baseline, '--format', 'json'], { cwd: dir });
      expect(fresh.code).toBe(1);
      expect((JSON.parse(fresh.stdout) as JsonReport).findings.map((f) => f.file)).toEqual(['new.env']);
    } finally {
      rmSync(join(dir, 'new.env'));
      rmSync(baseline);
    }
  });
});

describe('clavis scan inputs and exit codes', () => {
  let tmp: string;
  beforeAll(() => {
    tmp = mkdtempSync(join(tmpdir(), 'clavis-scan-'));
  });
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it('exits 0 on a clean folder and 2 on a missing path or a bad config', () => {
    writeFileSync(join(tmp, 'clean.ts'), "export const answer = 42;\nconst apiKey = process.env.API_KEY;\n");
    expect(clavis(['scan'], { cwd: tmp }).code).toBe(0);
    const missing = clavis(['scan', 'nope'], { cwd: tmp });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('nope');
    writeFileSync(join(tmp, 'bad.json'), JSON.stringify({ rules: [{ id: 'x-rule', description: 'x', keywords: [], regex: '(' }] }));
    const bad = clavis(['scan', '--config', 'bad.json'], { cwd: tmp });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('x-rule');
    rmSync(join(tmp, 'bad.json'));
  });

  it('reads stdin for -', () => {
    const key = generateCredential('clv', 'test');
    const r = clavis(['scan', '-', '--format', 'json'], { cwd: tmp, input: `line one\nexport KEY=${key}\n` });
    expect(r.code).toBe(1);
    const report = JSON.parse(r.stdout) as JsonReport;
    expect(report.findings.map((f) => [f.ruleId, f.file, f.line, f.column])).toEqual([['clavis-api-key', '(stdin)', 2, 12]]);
    expect(clavis(['scan', '-'], { cwd: tmp, input: 'nothing here\n' }).code).toBe(0);
  });

  it('skips binary files and files over the size limit, and reports malformed keys only when asked', () => {
    const key = generateCredential('clv', 'live');
    const sub = mkdtempSync(join(tmp, 'skip-'));
    writeFileSync(join(sub, 'image.dat.txt'), Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 0, 0, 0]), Buffer.from(key)]));
    writeFileSync(join(sub, 'big.txt'), `${'x'.repeat(2000)}\n${key}\n`);
    const malformed = `${key.slice(0, -1)}${key.endsWith('A') ? 'B' : 'A'}`;
    writeFileSync(join(sub, 'typo.md'), `old key: ${malformed}\n`);
    const r = clavis(['scan', sub, '--max-file-size', '1000', '--format', 'json'], { cwd: tmp });
    expect(r.code, r.stdout).toBe(0);
    const stats = (JSON.parse(r.stdout) as JsonReport).stats;
    expect(stats.skippedBinary).toBe(1);
    expect(stats.skippedTooLarge).toBe(1);
    const m = clavis(['scan', sub, '--max-file-size', '1000', '--malformed', '--format', 'json'], { cwd: tmp });
    expect(m.code).toBe(1);
    expect((JSON.parse(m.stdout) as JsonReport).findings.map((f) => [f.ruleId, f.severity])).toEqual([['clavis-malformed-key', 'low']]);
  });
});
