import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EvidenceReport } from '@clavis/sdk';
import fc from 'fast-check';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { canonicalJson } from '../../src/core/audit/canonical-json.ts';
import { ClavisError } from '../../src/core/errors/registry.ts';
import { toCsv } from '../../src/reports/csv.ts';
import { MAX_EVIDENCE_DAYS, parseEvidenceRange } from '../../src/reports/evidence-range.ts';
import { startServer, type TestServer } from '../cli/harness.ts';
import { DAY_MS, bearer, makeHarness, type Harness } from '../support/harness.ts';
import { STORES, dropSchemas, removeFiles } from './report-stores.ts';

let h: Harness | undefined;
let server: TestServer | undefined;
const dirs: string[] = [];

afterEach(async () => {
  await h?.close();
  await server?.close();
  h = undefined;
  server = undefined;
});

afterAll(async () => {
  await dropSchemas();
  removeFiles();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const NOW = Date.UTC(2026, 0, 26, 12);

/** The code and message of what `fn` throws. */
function failure(fn: () => unknown): { code: string; message: string } {
  try {
    fn();
  } catch (e) {
    if (e instanceof ClavisError) return { code: e.code, message: e.message };
    throw e;
  }
  throw new Error('did not throw');
}

describe('evidence period', () => {
  it('takes dates as whole UTC days and times as given', () => {
    expect(parseEvidenceRange('2026-01-01', '2026-01-20', NOW)).toEqual({ from: Date.UTC(2026, 0, 1), to: Date.UTC(2026, 0, 21), label: '2026-01-01-2026-01-20' });
    expect(parseEvidenceRange('2026-01-01', '2026-01-01', NOW)).toEqual({ from: Date.UTC(2026, 0, 1), to: Date.UTC(2026, 0, 2), label: '2026-01-01-2026-01-01' });
    expect(parseEvidenceRange('2026-01-01T06:00:00Z', '2026-01-01T08:30:00.500+01:00', NOW)).toEqual({ from: Date.UTC(2026, 0, 1, 6), to: Date.UTC(2026, 0, 1, 7, 30, 0, 500), label: '20260101T060000Z-20260101T073000Z' });
    // A period may run into the future (it is still going on); it may not start there.
    expect(parseEvidenceRange('2026-01-01', '2026-12-31', NOW).to).toBe(Date.UTC(2027, 0, 1));
  });

  it('refuses bad bounds with EVIDENCE_RANGE_INVALID, naming the field', () => {
    const cases: [string, string, RegExp][] = [
      ['2026-02-30', '2026-03-01', /^from: 2026-02-30 is not a calendar date/],
      ['2026-1-1', '2026-03-01', /^from: expected a date/],
      ['yesterday', '2026-03-01', /^from: expected a date/],
      ['2026-01-01T00:00:00', '2026-01-02', /^from: expected a date .* with a zone/],
      ['2026-01-10', '2026-01-09', /^to: the period ends before it starts/],
      ['2026-01-10T00:00:00Z', '2026-01-10T00:00:00Z', /^to: the period ends before it starts/],
      ['2026-02-01', '2026-03-01', /^from: the period starts in the future/],
      ['2025-01-01', '2026-01-02', /^to: the period spans more than 366 days/],
      ['2026-01-01', '2026-01-01T00:00:00.000Z', /^to: the period ends before it starts/],
    ];
    for (const [from, to, message] of cases) {
      const f = failure(() => parseEvidenceRange(from, to, NOW));
      expect(f.code, `${from} ${to}`).toBe('EVIDENCE_RANGE_INVALID');
      expect(f.message, `${from} ${to}`).toMatch(message);
    }
    // Exactly 366 days is allowed.
    expect(parseEvidenceRange('2025-01-01', '2026-01-01T00:00:00Z', NOW).to - Date.UTC(2025, 0, 1)).toBe(365 * DAY_MS);
    expect(parseEvidenceRange('2024-01-01', '2024-12-31', NOW).to - Date.UTC(2024, 0, 1)).toBe(MAX_EVIDENCE_DAYS * DAY_MS);
  });

  it('accepts every pair of past calendar dates in order at most a year apart, and nothing else', () => {
    const day = fc.integer({ min: Date.UTC(2000, 0, 1) / DAY_MS, max: Math.floor(NOW / DAY_MS) - 1 });
    fc.assert(
      fc.property(day, day, (a, b) => {
        const [from, to] = [new Date(a * DAY_MS).toISOString().slice(0, 10), new Date(b * DAY_MS).toISOString().slice(0, 10)];
        const ok = b >= a && b - a + 1 <= MAX_EVIDENCE_DAYS;
        if (!ok) return failure(() => parseEvidenceRange(from, to, NOW)).code === 'EVIDENCE_RANGE_INVALID';
        const r = parseEvidenceRange(from, to, NOW);
        return r.from === a * DAY_MS && r.to === (b + 1) * DAY_MS && r.label === `${from}-${to}`;
      }),
    );
  });
});

describe('CSV', () => {
  it('quotes commas, quotes and line breaks (RFC 4180) and defuses formulas', () => {
    expect(toCsv(['a', 'b', 'c'], [['x,y', 'say "hi"', 'two\nlines'], ['=1+1', '-5', null], [1.5, '@SUM(A1)', 'plain\r']])).toBe(
      'a,b,c\r\n"x,y","say ""hi""","two\nlines"\r\n\'=1+1,\'-5,\r\n1.5,\'@SUM(A1),"plain\r"\r\n',
    );
  });
});

for (const c of STORES) {
  describe.skipIf(c.skip)(`GET /v1/reports/evidence (${c.name})`, () => {
    it('answers the inventory, lifecycle events and alerts of the period, and nothing secret', async () => {
      h = await makeHarness({ store: await c.open() });
      const ws = h.workspaceId;
      const acting = { workspaceId: ws, actor: { type: 'system' as const, id: 't' } };
      const at = (day: number) => {
        if (h !== undefined) h.clock.t = Date.UTC(2026, 0, day, 12);
      };
      // Before the period (from 2026-01-10 to 2026-01-20 inclusive).
      at(1);
      const longLived = await h.services.keys.create(acting, { name: 'long-lived', environment: 'test', scopes: ['prices:read'], ownerId: 'alice' });
      const gone = await h.services.keys.create(acting, { name: 'gone-before', environment: 'test', scopes: ['prices:read'] });
      const finding = (key: string, dedupe: string, day: number) => ({ type: 'rate-spike' as const, severity: 'high' as const, workspaceId: ws, keyId: key, dedupeKey: dedupe, summary: `spike ${dedupe}`, evidence: { ips: ['198.51.100.77'], count: 500 }, at: Date.UTC(2026, 0, day, 12) });
      at(2);
      const resolvedBefore = (await h.services.alerts.raise(finding(longLived.record.id, 'a1', 2))).alert;
      at(3);
      const stillOpen = (await h.services.alerts.raise(finding(longLived.record.id, 'a2', 3))).alert;
      at(4);
      await h.services.alerts.resolve(acting, resolvedBefore.id, 'fine');
      at(5);
      await h.services.keys.revoke(acting, gone.record.id, 'old');
      // In the period.
      at(12);
      const tricky = await h.services.keys.create(acting, { name: 'ops, "night"\nshift', environment: 'test', scopes: ['prices:read', 'index:read'] });
      const rotated = await h.services.keys.rotate(acting, longLived.record.id, 3600);
      await h.services.tokens.create({ tokenId: h.owner.record.id, workspaceId: ws, role: 'owner' }, { name: 'auditor', role: 'auditor' });
      const inPeriod = (await h.services.alerts.raise(finding(tricky.record.id, 'a3', 12))).alert;
      // Another workspace's key, events and alert: never in this workspace's evidence.
      const tenant = await h.services.workspaces.create({ tokenId: h.owner.record.id, workspaceId: ws, role: 'owner' }, 'tenant');
      const foreign = await h.services.keys.create({ workspaceId: tenant.workspace.id, actor: { type: 'system', id: 't' } }, { name: 'foreign', environment: 'test', scopes: ['prices:read'] });
      const foreignAlert = (await h.services.alerts.raise({ ...finding(foreign.record.id, 'f1', 12), workspaceId: tenant.workspace.id })).alert;
      at(15);
      await h.services.alerts.acknowledge(acting, inPeriod.id, 'looking');
      // After it.
      at(25);
      await h.services.keys.create(acting, { name: 'after', environment: 'test', scopes: ['prices:read'] });
      await h.services.keys.revoke(acting, tricky.record.id, 'rotated out');
      await h.services.audit.checkpoint(ws);
      at(26);

      const auditor = await h.tokenFor('auditor');
      const res = await h.app.inject({ url: '/v1/reports/evidence?from=2026-01-10&to=2026-01-20', headers: bearer(auditor) });
      expect(res.statusCode, res.body).toBe(200);
      const r = res.json<EvidenceReport>();
      expect(r).toMatchObject({ workspaceId: ws, from: '2026-01-10T00:00:00.000Z', to: '2026-01-21T00:00:00.000Z', generatedAt: '2026-01-26T12:00:00.000Z' });

      // Keys alive at some time in the period, in their state now (tricky was revoked after it).
      expect(r.inventory.map((k) => k.keyId).sort()).toEqual([longLived.record.id, tricky.record.id, rotated.record.id].sort());
      expect(r.inventory.find((k) => k.keyId === tricky.record.id)).toMatchObject({ name: 'ops, "night"\nshift', status: 'revoked', revokedAt: '2026-01-25T12:00:00.000Z', start: tricky.record.start, signingRequired: false });
      expect(r.inventory.find((k) => k.keyId === longLived.record.id)).toMatchObject({ ownerId: 'alice', replacedById: rotated.record.id });

      // Lifecycle events of the period only, each with its leaf hash.
      // The rotation creates the successor (key.created) and marks the old key (key.rotated).
      expect(r.lifecycleEvents.map((e) => e.action)).toEqual(['key.created', 'key.created', 'key.rotated', 'token.created']);
      for (const e of r.lifecycleEvents) {
        expect(e.time >= r.from && e.time < r.to).toBe(true);
        const stored = await h.store.audit.findBySeq(ws, e.seq);
        expect(stored?.leafHash).toBe(e.leafHash);
      }
      expect(r.auditLog.eventsInPeriod).toBeGreaterThan(r.lifecycleEvents.length);

      // Alerts open at some time in the period: not the one resolved before it.
      expect(r.alerts.map((a) => a.id)).toEqual([stillOpen.id, inPeriod.id]);
      expect(r.alerts[1]).toMatchObject({ status: 'acknowledged', acknowledgedAt: '2026-01-15T12:00:00.000Z', note: 'looking', evidenceSha256: createHash('sha256').update(canonicalJson(inPeriod.evidence)).digest('hex') });

      // Hygiene is of now: the keys not revoked (long-lived in its grace period, its successor, after).
      expect(r.hygiene.summary.keys).toBe(3);
      expect(r.auditLog.checkpoint?.note).toContain(`clavis.test/${ws}`);
      expect(r.auditLog.verifierKey).toBe(h.services.audit.verifierKey);

      // Never a key hash, a token, or the client addresses of alert evidence.
      const body = res.body;
      for (const k of [longLived, gone, tricky, rotated]) {
        expect(body).not.toContain(k.record.hash);
        expect(body).not.toContain(k.secret);
      }
      expect(body).not.toContain('198.51.100.77');
      expect(body).not.toContain(foreign.record.id);
      expect(body).not.toContain(foreignAlert.id);
      expect(body).not.toContain(auditor);
    });

    it('refuses a bad period with EVIDENCE_RANGE_INVALID and needs audit:read', async () => {
      h = await makeHarness({ store: await c.open() });
      const get = async (query: string, token = h?.owner.secret ?? '') => h?.app.inject({ url: `/v1/reports/evidence${query}`, headers: bearer(token) });
      for (const q of ['?from=2026-01-10&to=2026-01-05', '?from=2027-01-01&to=2027-01-02', '?from=2026-02-30&to=2026-03-01', '?from=2024-01-01&to=2025-12-31', '?from=now&to=later']) {
        const res = await get(q);
        expect(res?.statusCode, q).toBe(400);
        expect(res?.json<{ code: string }>().code, q).toBe('EVIDENCE_RANGE_INVALID');
      }
      expect((await get('?from=2025-12-01'))?.statusCode).toBe(400);
      expect((await get('?from=2025-12-01&to=2025-12-31', await h.tokenFor('developer')))?.statusCode).toBe(403);
      expect((await get('?from=2025-12-01&to=2025-12-31', await h.tokenFor('auditor')))?.statusCode).toBe(200);
    });
  });
}

/** RFC 4180 rows of a CSV document (quoted fields may hold commas, quotes and line breaks). */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i += 1) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i += 1;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      row.push(field);
      field = '';
    } else if (ch === '\r' && text[i + 1] === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      i += 1;
    } else field += ch;
  }
  return rows;
}

describe('clavis report evidence', () => {
  const today = (): string => new Date().toISOString().slice(0, 10);
  const yesterday = (): string => new Date(Date.now() - DAY_MS).toISOString().slice(0, 10);

  it('writes a pack whose audit bundle verifies offline with clavis audit verify, and whose manifest hashes every file', async () => {
    server = await startServer();
    const acting = { workspaceId: server.workspaceId, actor: { type: 'system' as const, id: 't' } };
    const tricky = await server.services.keys.create(acting, { name: '=cmd|"/c calc", night\nshift', environment: 'test', scopes: ['prices:read'] });
    await server.services.keys.rotate(acting, tricky.record.id, 60);
    await server.services.keys.create(acting, { name: 'plain', environment: 'dev', scopes: ['index:read'] });
    const parent = mkdtempSync(join(tmpdir(), 'clavis-evidence-'));
    dirs.push(parent);
    const out = join(parent, 'q1');

    const run = await server.cli(['report', 'evidence', '--from', yesterday(), '--to', today(), '--out', out], { stderrIsTty: true });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toContain('building the evidence report');
    expect(run.stderr).toContain('fetching events');
    expect(run.stdout).toContain('OK: the bundle verifies and holds every lifecycle event');
    expect(run.stderr).toContain(`clavis audit verify ${join(out, 'audit-bundle.jsonl')}`);

    const files = readdirSync(out).sort();
    expect(files).toEqual(['README.txt', 'alerts.csv', 'audit-bundle.jsonl', 'audit-checkpoint.txt', 'audit-verification.json', 'evidence.json', 'hygiene.csv', 'inventory.csv', 'lifecycle-events.csv', 'manifest.json', 'verifier-key.txt']);
    // No temporary folder left beside it.
    expect(readdirSync(parent)).toEqual(['q1']);
    const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')) as { format: string; selfCheck: string; files: { path: string; sha256: string; bytes: number }[]; auditLog: { verifierKey: string; treeSize: number } };
    expect(manifest).toMatchObject({ format: 'clavis-evidence-pack/1', selfCheck: 'ok' });
    expect(manifest.files.map((f) => f.path)).toEqual(files.filter((f) => f !== 'manifest.json'));
    for (const f of manifest.files) {
      const bytes = readFileSync(join(out, f.path));
      expect(createHash('sha256').update(bytes).digest('hex'), f.path).toBe(f.sha256);
      expect(bytes.length).toBe(f.bytes);
    }

    // The inventory round-trips through a CSV parser: quoting kept the name whole, the formula is defused.
    const inventory = parseCsv(readFileSync(join(out, 'inventory.csv'), 'utf8'));
    const header = inventory[0] ?? [];
    const name = header.indexOf('name');
    expect(inventory.slice(1).map((r) => r[name]).sort()).toEqual(["'=cmd|\"/c calc\", night\nshift", "'=cmd|\"/c calc\", night\nshift", 'plain']);
    expect(inventory.slice(1).every((r) => r.length === header.length)).toBe(true);
    const lifecycle = parseCsv(readFileSync(join(out, 'lifecycle-events.csv'), 'utf8'));
    // The bootstrap's owner token, then the keys of the test.
    expect(lifecycle.slice(1).map((r) => r[3])).toEqual(['token.created', 'key.created', 'key.created', 'key.rotated', 'key.created']);
    const verification = JSON.parse(readFileSync(join(out, 'audit-verification.json'), 'utf8')) as { ok: boolean; lifecycleEvents: { checked: number } };
    expect(verification).toMatchObject({ ok: true, lifecycleEvents: { checked: 5 } });
    expect(readFileSync(join(out, 'README.txt'), 'utf8')).toContain('clavis audit verify audit-bundle.jsonl');
    expect(readFileSync(join(out, 'audit-checkpoint.txt'), 'utf8')).toContain(`clavis.test/${server.workspaceId}\n${manifest.auditLog.treeSize}\n`);
    // Nothing secret in any file.
    for (const f of files) expect(readFileSync(join(out, f), 'utf8'), f).not.toContain(tricky.record.hash);
    for (const f of files) expect(readFileSync(join(out, f), 'utf8'), f).not.toContain(tricky.secret);

    // The auditor's check, offline, against the key obtained out of band.
    const verifierKey = server.services.audit.verifierKey;
    const bundlePath = join(out, 'audit-bundle.jsonl');
    const verify = await server.cli(['audit', 'verify', bundlePath, '--verifier-key', verifierKey], { env: {} });
    expect(verify.code, verify.stdout + verify.stderr).toBe(0);
    expect(verify.stdout).toContain('OK: intact');

    // A key rotation rewritten in the bundle is caught.
    const tampered = join(parent, 'tampered.jsonl');
    const text = readFileSync(bundlePath, 'utf8');
    expect(text).toContain('"action":"key.rotated"');
    writeFileSync(tampered, text.replace('"action":"key.rotated"', '"action":"key.updated"'));
    const bad = await server.cli(['audit', 'verify', tampered, '--verifier-key', verifierKey], { env: {} });
    expect(bad.code).toBe(1);
    expect(bad.stdout).toContain('FAIL');

    // Never over an existing pack.
    const again = await server.cli(['report', 'evidence', '--from', yesterday(), '--to', today(), '--out', out]);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('already exists');
  });

  it('names the default folder after the period, prints the summary as JSON or CSV, and refuses bad dates before calling the server', async () => {
    server = await startServer();
    await server.services.keys.create({ workspaceId: server.workspaceId, actor: { type: 'system', id: 't' } }, { name: 'k', environment: 'test', scopes: ['prices:read'] });
    const parent = mkdtempSync(join(tmpdir(), 'clavis-evidence-'));
    dirs.push(parent);
    const cwd = process.cwd();
    process.chdir(parent);
    try {
      const json = await server.cli(['report', 'evidence', '--from', yesterday(), '--to', today(), '--format', 'json']);
      expect(json.code, json.stderr).toBe(0);
      const summary = JSON.parse(json.stdout) as { out: string; selfCheck: string; inventory: number; files: { path: string }[] };
      expect(summary).toMatchObject({ out: join(parent, `evidence-${yesterday()}-${today()}`), selfCheck: 'ok', inventory: 1 });
      expect(existsSync(join(summary.out, 'manifest.json'))).toBe(true);
      const csv = await server.cli(['report', 'evidence', '--from', today(), '--to', today(), '--format', 'csv']);
      expect(csv.code, csv.stderr).toBe(0);
      const rows = parseCsv(csv.stdout);
      expect(rows[0]).toEqual(['path', 'sha256', 'bytes']);
      expect(rows.map((r) => r[0])).toContain('audit-bundle.jsonl');
    } finally {
      process.chdir(cwd);
    }
    for (const [from, to, message] of [
      ['2026-13-01', today(), '--from'],
      [today(), yesterday(), '--to the period ends before it starts'],
    ] as const) {
      const r = await server.cli(['report', 'evidence', '--from', from, '--to', to, '--out', join(parent, 'x')]);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(message);
    }
    const format = await server.cli(['report', 'evidence', '--from', yesterday(), '--to', today(), '--format', 'xml']);
    expect(format.code).toBe(2);
  });
});
