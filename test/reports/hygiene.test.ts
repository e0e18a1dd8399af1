import { afterEach, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { OVER_PRIVILEGE_LIMITATION } from '../../src/reports/hygiene-report.ts';
import { hygieneCsv } from '../../src/cli/commands/report.ts';
import type { HygieneReport } from '@clavis/sdk';
import { DAY_MS, bearer, makeHarness, type Harness } from '../support/harness.ts';
import { startServer, type TestServer } from '../cli/harness.ts';

let h: Harness | undefined;
let server: TestServer | undefined;

afterEach(async () => {
  await h?.close();
  await server?.close();
  h = undefined;
  server = undefined;
});

describe('hygiene report', () => {
  it('flags no expiry, rotation overdue, unused (never used counts from creation) and unprotected high-risk keys', async () => {
    h = await makeHarness();
    const acting = { workspaceId: h.workspaceId, actor: { type: 'system' as const, id: 't' } };
    const old = await h.services.keys.create(acting, { name: 'old', environment: 'test', scopes: ['prices:read'] });
    const oldUsed = await h.services.keys.create(acting, { name: 'old-used', environment: 'test', scopes: ['prices:read'] });
    const rotated = await h.services.keys.create(acting, { name: 'rotated', environment: 'test', scopes: ['prices:read'] });
    h.clock.advance(100 * DAY_MS);
    const forever = await h.services.keys.create(acting, { name: 'forever', environment: 'dev', scopes: ['prices:read'] });
    const fresh = await h.services.keys.create(acting, { name: 'fresh', environment: 'test', scopes: ['prices:read'] });
    // A high-risk key from before the policy (or another tool): no allowlist, no signing.
    await h.store.transact((tx) => tx.keys.insert({ ...fresh.record, id: 'key_0000000000000000000099', hash: createHash('sha256').update('legacy').digest('hex'), name: 'legacy-trader', scopes: ['portfolio:trade'] }));
    const revoked = await h.services.keys.create(acting, { name: 'gone', environment: 'dev', scopes: ['prices:read'] });
    await h.services.keys.revoke(acting, revoked.record.id, 'x');
    await h.services.keys.rotate(acting, rotated.record.id, 60);
    await h.store.usage.recordLastUse([{ keyId: oldUsed.record.id, workspaceId: h.workspaceId, at: h.clock.now() - DAY_MS, ip: '203.0.113.9', country: 'GB' }]);

    const res = await h.app.inject({ url: '/v1/reports/hygiene', headers: bearer(h.owner.secret) });
    expect(res.statusCode, res.body).toBe(200);
    const r = res.json<HygieneReport>();
    const byName = new Map(r.keys.map((k) => [k.name, k.findings]));
    expect(byName.get('old')).toEqual(['rotation-overdue', 'unused']);
    expect(byName.get('old-used')).toEqual(['rotation-overdue']);
    expect(byName.get('forever')).toEqual(['no-expiry']);
    expect(byName.get('legacy-trader')).toEqual(['high-risk-unprotected']);
    expect(byName.has('fresh')).toBe(false);
    expect(byName.has('gone')).toBe(false);
    // Rotated: not overdue (it has a successor), but idle in its grace period; the successor is new.
    expect(byName.get('rotated')).toEqual(['unused']);
    expect(r.summary).toMatchObject({ flagged: 5, 'no-expiry': 1, 'rotation-overdue': 2, unused: 2, 'high-risk-unprotected': 1 });
    expect(r.limitations).toEqual([OVER_PRIVILEGE_LIMITATION]);
    expect(r.keys.find((k) => k.name === 'old-used')?.lastUsedAt).toBe(new Date(h.clock.now() - DAY_MS).toISOString());
    void old;
    void forever;

    // Shorter periods flag more.
    const strict = (await h.app.inject({ url: '/v1/reports/hygiene?rotationDays=1&unusedDays=1', headers: bearer(h.owner.secret) })).json<HygieneReport>();
    expect(strict.summary.unused).toBeGreaterThan(r.summary.unused);
    const bad = await h.app.inject({ url: '/v1/reports/hygiene?rotationDays=0', headers: bearer(h.owner.secret) });
    expect(bad.statusCode).toBe(400);
  });

  it('writes CSV that quotes commas and quotes and defuses spreadsheet formulas', () => {
    const report: HygieneReport = {
      generatedAt: '2026-01-01T00:00:00.000Z', rotationDays: 90, unusedDays: 90, limitations: [],
      summary: { keys: 1, flagged: 1, 'no-expiry': 1, 'rotation-overdue': 0, unused: 0, 'high-risk-unprotected': 0 },
      keys: [{ keyId: 'key_1', name: '=HYPERLINK("x"), "y"', environment: 'dev', status: 'active', ownerId: null, scopes: ['a', 'b'], createdAt: 'c', expiresAt: null, lastUsedAt: null, findings: ['no-expiry'] }],
    };
    expect(hygieneCsv(report)).toBe('keyId,name,environment,status,ownerId,scopes,createdAt,expiresAt,lastUsedAt,findings\r\nkey_1,"\'=HYPERLINK(""x""), ""y""",dev,active,,a;b,c,,,no-expiry\r\n');
  });

  it('clavis report hygiene prints a table, JSON and CSV', async () => {
    server = await startServer();
    await server.services.keys.create({ workspaceId: server.workspaceId, actor: { type: 'system', id: 't' } }, { name: 'forever', environment: 'dev', scopes: ['prices:read'] });
    const table = await server.cli(['report', 'hygiene']);
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout).toContain('1 of 1 key(s) flagged');
    expect(table.stdout).toContain('no-expiry');
    expect(table.stdout).toContain('Note: over-privileged');
    const json = await server.cli(['report', 'hygiene', '--format', 'json']);
    expect(JSON.parse(json.stdout)).toMatchObject({ summary: { keys: 1, 'no-expiry': 1 } });
    const csv = await server.cli(['report', 'hygiene', '--format', 'csv']);
    expect(csv.stdout.split('\r\n')[0]).toBe('keyId,name,environment,status,ownerId,scopes,createdAt,expiresAt,lastUsedAt,findings');
    expect(csv.stdout).toContain(',forever,dev,active,');
    const wrong = await server.cli(['report', 'hygiene', '--format', 'xml']);
    expect(wrong.code).not.toBe(0);
  });
});
