import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AuditEvent, CreatedKey, PageOf } from '@clavis/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeVerifierKey, ed25519PublicKeyRaw } from '../../src/core/audit/signed-note.ts';
import type { Problem } from '../../src/core/audit/bundle.ts';
import { parseJson, runCli, startServer, type CliResult, type TestServer } from './harness.ts';

interface VerifyOutput {
  ok: boolean;
  events: number;
  checkpoints: number;
  verifierKey: string;
  verifierKeySource: 'bundle' | 'option';
  firstProblem: Problem | null;
  otherProblems: number;
}

let server: TestServer;
let dir: string;
let bundlePath: string;
let bundle: string;
let verifierKey: string;

beforeAll(async () => {
  server = await startServer();
  dir = await mkdtemp(join(tmpdir(), 'clavis-cli-audit-'));
  for (let i = 0; i < 4; i++) {
    const key = parseJson<CreatedKey>(await server.cli(['keys', 'create', '--name', `k${i}`, '--env', 'test', '--scope', 'prices:read', '--json']));
    if (i % 2 === 0) expect((await server.cli(['keys', 'suspend', key.id])).code).toBe(0);
  }
  // A first export signs a checkpoint partway, so the final bundle holds more than one.
  expect((await server.cli(['audit', 'export', '--out', join(dir, 'early.jsonl')])).code).toBe(0);
  await server.cli(['tokens', 'create', '--name', 'later', '--role', 'auditor']);
  await server.cli(['keys', 'create', '--name', 'late', '--env', 'dev', '--scope', 'signals:read']);

  bundlePath = join(dir, 'audit.jsonl');
  const exported = await server.cli(['audit', 'export', '--out', bundlePath]);
  expect(exported.code, exported.stderr).toBe(0);
  bundle = await readFile(bundlePath, 'utf8');
  verifierKey = (JSON.parse(bundle.split('\n')[0] ?? '') as { verifierKey: string }).verifierKey;
});

afterAll(async () => {
  await server.close();
  await rm(dir, { recursive: true, force: true });
});

/** Writes a tampered copy of the bundle and verifies it against the trusted key. */
async function verifyTampered(name: string, edit: (lines: string[]) => string[]): Promise<{ r: CliResult; json: VerifyOutput; text: CliResult }> {
  const lines = bundle.trimEnd().split('\n');
  const path = join(dir, `${name}.jsonl`);
  await writeFile(path, `${edit([...lines]).join('\n')}\n`);
  const r = await server.cli(['audit', 'verify', path, '--verifier-key', verifierKey, '--json']);
  const text = await server.cli(['audit', 'verify', path, '--verifier-key', verifierKey]);
  return { r, json: parseJson<VerifyOutput>(r), text };
}

/** Index in the bundle's lines of the event line with this seq (line number = index + 1). */
function lineOfSeq(lines: readonly string[], seq: number): number {
  const i = lines.findIndex((l) => l.includes(`"seq":${seq},`));
  if (i < 0) throw new Error(`no event seq ${seq}`);
  return i;
}

describe('clavis audit events and proof', () => {
  it('lists events as a table and as JSON, filtered', async () => {
    const table = await server.cli(['audit', 'events', '--action', 'key.created']);
    expect(table.code).toBe(0);
    expect(table.stdout.split('\n')[0]).toMatch(/^SEQ\s+TIME\s+ACTOR\s+ACTION\s+TARGET\s+DATA$/);
    const json = parseJson<PageOf<AuditEvent>>(await server.cli(['audit', 'events', '--action', 'key.created', '--json']));
    expect(json.data.length).toBe(5);
    expect(json.data.every((e) => e.action === 'key.created')).toBe(true);
    const paged = await server.cli(['audit', 'events', '--limit', '2']);
    expect(paged.stderr).toContain('--cursor');
    const all = parseJson<PageOf<AuditEvent>>(await server.cli(['audit', 'events', '--limit', '2', '--all', '--from-seq', '1', '--json']));
    expect(all.data.map((e) => e.seq)).toEqual(Array.from({ length: all.data.length }, (_, i) => i + 1));
  });

  it('proves an event locally: OK with the server key, FAIL with another', async () => {
    const ok = await server.cli(['audit', 'proof', '3']);
    expect(ok.code, ok.stdout + ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/^event hash\s+OK/m);
    expect(ok.stdout).toMatch(/^checkpoint signature\s+OK/m);
    expect(ok.stdout).toMatch(/^inclusion proof\s+OK/m);
    expect(ok.stdout).toMatch(/^result\s+OK:/m);

    const other = encodeVerifierKey('clavis-audit', ed25519PublicKeyRaw(generateKeyPairSync('ed25519').publicKey));
    const fail = await server.cli(['audit', 'proof', '3', '--verifier-key', other, '--json']);
    expect(fail.code).toBe(1);
    const json = parseJson<{ ok: boolean; checks: { check: string; ok: boolean }[] }>(fail);
    expect(json.ok).toBe(false);
    expect(json.checks.find((c) => c.check === 'checkpoint signature')?.ok).toBe(false);
  });

  it('reports an event no checkpoint covers yet as an API error', async () => {
    await server.cli(['keys', 'create', '--name', 'uncovered', '--env', 'dev', '--scope', 'prices:read']);
    const events = parseJson<PageOf<AuditEvent>>(await server.cli(['audit', 'events', '--all', '--json']));
    const last = events.data.at(-1)?.seq ?? -1;
    const r = await server.cli(['audit', 'proof', String(last)]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('CHECKPOINT_NOT_FOUND');
  });
});

describe('clavis audit export', () => {
  it('writes a bundle of every covered event and all checkpoints, without temp files left over', async () => {
    const lines = bundle.trimEnd().split('\n');
    expect(JSON.parse(lines[0] ?? '')).toMatchObject({ type: 'clavis.audit.bundle', version: 1, workspaceId: server.workspaceId, origin: `clavis.test/${server.workspaceId}` });
    const checkpoints = lines.filter((l) => l.startsWith('{"type":"checkpoint"'));
    expect(checkpoints.length).toBeGreaterThanOrEqual(2);
    const newest = JSON.parse(checkpoints.at(-1) ?? '') as { treeSize: number };
    expect(lines.filter((l) => l.startsWith('{"type":"event"')).length).toBe(newest.treeSize);
    expect((await readdir(dir)).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('prints a summary, JSON with --json, and progress only on a terminal', async () => {
    const path = join(dir, 'again.jsonl');
    const r = await server.cli(['audit', 'export', '--out', path, '--json'], { stderrIsTty: true });
    expect(r.code, r.stderr).toBe(0);
    expect(parseJson<{ selfCheck: string; verifierKey: string }>(r)).toMatchObject({ selfCheck: 'ok', verifierKey });
    expect(r.stderr).toContain('fetching events');
    const quiet = await server.cli(['audit', 'export', '--out', path]);
    expect(quiet.stderr).not.toContain('fetching events');
    expect(quiet.stdout).toMatch(/^events\s+\d+ \(seq 0–\d+\)$/m);
  });

  it('writes the csv spreadsheet view', async () => {
    const path = join(dir, 'audit.csv');
    expect((await server.cli(['audit', 'export', '--out', path, '--format', 'csv'])).code).toBe(0);
    const rows = (await readFile(path, 'utf8')).trimEnd().split('\r\n');
    expect(rows[0]).toBe('seq,time,actor,action,target,data-json');
    expect(rows[1]).toMatch(/^0,[^,]+,system:bootstrap,workspace\.created,workspace:ws_/);
  });

  it('fails with exit 2 when the file cannot be written', async () => {
    const r = await server.cli(['audit', 'export', '--out', join(dir, 'no-such-dir', 'x.jsonl')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('cannot write');
  });
});

describe('clavis audit verify', () => {
  it('accepts the intact bundle against the trusted key', async () => {
    const r = await server.cli(['audit', 'verify', bundlePath, '--verifier-key', verifierKey]);
    expect(r.code, r.stdout).toBe(0);
    expect(r.stdout).toMatch(/^result\s+OK: intact$/m);
    expect(r.stdout).toMatch(/^key from\s+--verifier-key$/m);
    expect(r.stderr).not.toContain('warning');
  });

  it('needs no server, and warns when it trusts the bundle own key', async () => {
    const r = await runCli(['audit', 'verify', bundlePath, '--json'], { env: {} });
    expect(r.code).toBe(0);
    const json = parseJson<VerifyOutput>(r);
    expect(json).toMatchObject({ ok: true, verifierKey, verifierKeySource: 'bundle', firstProblem: null });
    expect(json.checkpoints).toBeGreaterThanOrEqual(2);
    expect(r.stderr).toContain('warning: no --verifier-key given');
  });

  it('reads the bundle from stdin with -', async () => {
    const r = await runCli(['audit', 'verify', '-', '--verifier-key', verifierKey], { env: {}, stdin: bundle });
    expect(r.code, r.stdout).toBe(0);
  });

  it('names the altered event when a field of one event line changed', async () => {
    let line = 0;
    const { r, json, text } = await verifyTampered('altered', (lines) => {
      line = lineOfSeq(lines, 3);
      lines[line] = (lines[line] ?? '').replace('"action":"', '"action":"x');
      return lines;
    });
    expect(r.code).toBe(1);
    expect(json.firstProblem).toMatchObject({ line: line + 1, seq: 3, kind: 'altered' });
    expect(text.stdout).toMatch(/^result\s+FAIL: not intact$/m);
    expect(text.stdout).toMatch(new RegExp(`^line\\s+${line + 1}$`, 'm'));
    expect(text.stdout).toMatch(/^seq\s+3$/m);
    expect(text.stdout).toMatch(/^kind\s+altered$/m);
    expect(text.stdout).toMatch(/^message\s+event seq 3 was altered/m);
    expect(text.stdout).toMatch(/^\d+ other problem\(s\)/m);
  });

  it('finds a deleted event line as a gap', async () => {
    let line = 0;
    const { r, json } = await verifyTampered('deleted', (lines) => {
      line = lineOfSeq(lines, 3);
      lines.splice(line, 1);
      return lines;
    });
    expect(r.code).toBe(1);
    expect(json.firstProblem).toMatchObject({ line: line + 1, seq: 4, kind: 'gap' });
    expect(json.otherProblems).toBeGreaterThan(0);
  });

  it('finds two swapped event lines as out of order', async () => {
    let line = 0;
    const { r, json } = await verifyTampered('swapped', (lines) => {
      line = lineOfSeq(lines, 3);
      const a = lines[line] ?? '';
      lines[line] = lines[line + 1] ?? '';
      lines[line + 1] = a;
      return lines;
    });
    expect(r.code).toBe(1);
    expect(json.firstProblem).toMatchObject({ line: line + 1, seq: 4, kind: 'out-of-order' });
  });

  it('finds an inserted copy of a line as a duplicate', async () => {
    let line = 0;
    const { r, json } = await verifyTampered('inserted', (lines) => {
      line = lineOfSeq(lines, 3);
      lines.splice(line + 1, 0, lines[line] ?? '');
      return lines;
    });
    expect(r.code).toBe(1);
    expect(json.firstProblem).toMatchObject({ line: line + 2, seq: 3, kind: 'duplicate' });
  });

  it("finds a corrupted signature in the last checkpoint's note", async () => {
    let line = 0;
    const { r, json } = await verifyTampered('bad-signature', (lines) => {
      line = lines.length - 1;
      const cp = JSON.parse(lines[line] ?? '') as { note: string };
      const sigLine = cp.note.trimEnd().split('\n').at(-1) ?? '';
      const at = sigLine.length - 20;
      const flipped = sigLine.slice(0, at) + (sigLine[at] === 'A' ? 'B' : 'A') + sigLine.slice(at + 1);
      cp.note = cp.note.replace(sigLine, flipped);
      lines[line] = JSON.stringify(cp);
      return lines;
    });
    expect(r.code).toBe(1);
    expect(json.firstProblem).toMatchObject({ line: line + 1, kind: 'bad-signature' });
    expect(json.firstProblem?.message).toContain('does not verify');
  });

  it('fails against a verifier key other than the signer', async () => {
    const other = encodeVerifierKey('clavis-audit', ed25519PublicKeyRaw(generateKeyPairSync('ed25519').publicKey));
    const r = await runCli(['audit', 'verify', bundlePath, '--verifier-key', other, '--json'], { env: {} });
    expect(r.code).toBe(1);
    const json = parseJson<VerifyOutput>(r);
    expect(json).toMatchObject({ ok: false, verifierKey: other, verifierKeySource: 'option' });
    expect(json.firstProblem).toMatchObject({ line: 1, kind: 'bad-signature' });
    expect(json.otherProblems).toBeGreaterThanOrEqual(json.checkpoints);
  });

  it('exits 2 on a malformed --verifier-key or an unreadable file', async () => {
    const bad = await runCli(['audit', 'verify', bundlePath, '--verifier-key', 'not-a-key'], { env: {} });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--verifier-key: verifier key');
    const missing = await runCli(['audit', 'verify', join(dir, 'missing.jsonl')], { env: {} });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('cannot read');
  });
});
