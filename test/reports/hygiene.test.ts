import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { OVER_PRIVILEGE_LIMITATION } from '../../src/reports/hygiene-report.ts';
import { hygieneCsv } from '../../src/cli/report-csv.ts';
import { SCOPE_NOT_RECORDED } from '../../src/core/ports/monitor-store.ts';
import type { HygieneReport } from '@clavis/sdk';
import { DAY_MS, bearer, makeHarness, type Harness } from '../support/harness.ts';
import { startServer, type TestServer } from '../cli/harness.ts';
import { STORES, dropSchemas, removeFiles } from './report-stores.ts';

let h: Harness | undefined;
let server: TestServer | undefined;

afterEach(async () => {
  await h?.close();
  await server?.close();
  h = undefined;
  server = undefined;
});

afterAll(async () => {
  await dropSchemas();
  removeFiles();
});

const MINUTE = 60_000;

for (const c of STORES) {
  describe.skipIf(c.skip)(`hygiene report (${c.name})`, () => {
    it('flags no expiry, rotation overdue, unused (never used counts from creation) and unprotected high-risk keys', async () => {
      h = await makeHarness({ store: await c.open() });
      const acting = { workspaceId: h.workspaceId, actor: { type: 'system' as const, id: 't' } };
      const old = await h.services.keys.create(acting, { name: 'old', environment: 'test', scopes: ['prices:read'] });
      const oldUsed = await h.services.keys.create(acting, { name: 'old-used', environment: 'test', scopes: ['prices:read'] });
      const rotated = await h.services.keys.create(acting, { name: 'rotated', environment: 'test', scopes: ['prices:read'] });
      // Its own policy (a year) wins over the report's 90 days: not overdue at 100 days.
      await h.services.keys.create(acting, { name: 'yearly', environment: 'test', scopes: ['prices:read'], rotation: { everyDays: 365, graceHours: 24, mode: 'notify' } });
      h.clock.advance(100 * DAY_MS);
      const forever = await h.services.keys.create(acting, { name: 'forever', environment: 'dev', scopes: ['prices:read'] });
      const fresh = await h.services.keys.create(acting, { name: 'fresh', environment: 'test', scopes: ['prices:read'] });
      // A high-risk key from before the policy (or another tool): no allowlist, no signing.
      await h.store.transact((tx) => tx.keys.insert({ ...fresh.record, id: 'key_0000000000000000000099', hash: createHash('sha256').update('legacy').digest('hex'), name: 'legacy-trader', scopes: ['portfolio:trade'] }));
      const revoked = await h.services.keys.create(acting, { name: 'gone', environment: 'dev', scopes: ['prices:read'] });
      await h.services.keys.revoke(acting, revoked.record.id, 'x');
      await h.services.keys.rotate(acting, rotated.record.id, 60);
      await h.store.transact((tx) => tx.usage.recordLastUse([{ keyId: oldUsed.record.id, workspaceId: h?.workspaceId ?? '', at: (h?.clock.now() ?? 0) - DAY_MS, ip: '203.0.113.9', country: 'GB' }]));
      // old-used exercised its one scope yesterday: not over-privileged.
      const yesterday = h.clock.now() - DAY_MS;
      await h.store.transact((tx) => tx.usage.addBuckets([{ workspaceId: h?.workspaceId ?? '', keyId: oldUsed.record.id, minute: yesterday - (yesterday % MINUTE), route: 'verify-api', code: 'VALID', country: 'GB', scope: 'prices:read', count: 3 }]));

      const res = await h.app.inject({ url: '/v1/reports/hygiene', headers: bearer(h.owner.secret) });
      expect(res.statusCode, res.body).toBe(200);
      const r = res.json<HygieneReport>();
      const byName = new Map(r.keys.map((k) => [k.name, k.findings]));
      // Old and never used: it has not exercised prices:read in the last 30 days either.
      expect(byName.get('old')).toEqual(['rotation-overdue', 'unused', 'over-privileged']);
      expect(r.keys.find((k) => k.name === 'old')?.unusedScopes).toEqual(['prices:read']);
      expect(byName.get('old-used')).toEqual(['rotation-overdue']);
      expect(byName.get('forever')).toEqual(['no-expiry']);
      expect(byName.get('legacy-trader')).toEqual(['high-risk-unprotected']);
      expect(byName.has('fresh')).toBe(false);
      expect(byName.has('gone')).toBe(false);
      // Rotated: not overdue (it has a successor), but idle in its grace period; the successor is
      // new, and a key being replaced is not judged for over-privilege.
      expect(byName.get('rotated')).toEqual(['unused']);
      expect(byName.get('yearly')).toEqual(['unused', 'over-privileged']);
      expect(r.summary).toMatchObject({ flagged: 6, 'no-expiry': 1, 'rotation-overdue': 2, unused: 3, 'over-privileged': 2, 'high-risk-unprotected': 1 });
      expect(r).toMatchObject({ rotationDays: 90, unusedDays: 90, overPrivilegeDays: 30 });
      expect(r.limitations).toEqual([OVER_PRIVILEGE_LIMITATION]);
      expect(r.keys.find((k) => k.name === 'old-used')?.lastUsedAt).toBe(new Date(h.clock.now() - DAY_MS).toISOString());
      void old;
      void forever;

      // Shorter periods flag more.
      const strict = (await h.app.inject({ url: '/v1/reports/hygiene?rotationDays=1&unusedDays=1', headers: bearer(h.owner.secret) })).json<HygieneReport>();
      expect(strict.summary.unused).toBeGreaterThan(r.summary.unused);
      const bad = await h.app.inject({ url: '/v1/reports/hygiene?rotationDays=0', headers: bearer(h.owner.secret) });
      expect(bad.statusCode).toBe(400);
      const badScope = await h.app.inject({ url: '/v1/reports/hygiene?overPrivilegeDays=3651', headers: bearer(h.owner.secret) });
      expect(badScope.statusCode).toBe(400);
    });

    it('names the scopes an active key older than the window never exercised in it, and judges nothing it cannot know', async () => {
      h = await makeHarness({ store: await c.open() });
      const ws = h.workspaceId;
      const acting = { workspaceId: ws, actor: { type: 'system' as const, id: 't' } };
      const create = async (name: string, scopes: string[]) => (await h?.services.keys.create(acting, { name, environment: 'test', scopes }))?.record.id ?? '';
      const broad = await create('broad', ['prices:read', 'index:read', 'signals:read', 'portfolio:read']);
      const exact = await create('exact', ['prices:read', 'index:read']);
      const lapsed = await create('lapsed', ['prices:read', 'index:read']);
      const legacy = await create('legacy', ['prices:read', 'index:read']);
      const suspended = await create('suspended', ['prices:read', 'index:read']);
      await h.services.keys.suspend(acting, suspended, 'paused');
      h.clock.advance(40 * DAY_MS);
      const young = await create('young', ['prices:read', 'index:read']);
      const now = h.clock.now();
      const at = (daysAgo: number) => {
        const t = now - daysAgo * DAY_MS;
        return t - (t % MINUTE);
      };
      const use = (keyId: string, scope: string | null, daysAgo: number, code = 'VALID') => ({ workspaceId: ws, keyId, minute: at(daysAgo), route: 'gateway', code, country: null, scope, count: 2 });
      await h.store.transact((tx) =>
        tx.usage.addBuckets([
          use(broad, 'prices:read', 1),
          use(broad, 'index:read', 29),
          // Refused, or named no scope: not exercised.
          use(broad, 'signals:read', 2, 'INSUFFICIENT_SCOPE'),
          use(broad, null, 3),
          use(exact, 'prices:read', 5),
          use(exact, 'index:read', 6),
          // index:read last exercised before the 30-day window.
          use(lapsed, 'prices:read', 5),
          use(lapsed, 'index:read', 31),
          // Counted before scopes were: no verdict.
          use(legacy, SCOPE_NOT_RECORDED, 4),
          use(young, 'prices:read', 1),
        ]),
      );
      const get = async (query = '') => {
        const res = await h?.app.inject({ url: `/v1/reports/hygiene${query}`, headers: bearer(h.owner.secret) });
        expect(res?.statusCode, res?.body).toBe(200);
        return res?.json<HygieneReport>();
      };
      const r = await get();
      const over = Object.fromEntries((r?.keys ?? []).filter((k) => k.findings.includes('over-privileged')).map((k) => [k.name, k.unusedScopes]));
      expect(over).toEqual({ broad: ['signals:read', 'portfolio:read'], lapsed: ['index:read'] });
      expect(r?.summary['over-privileged']).toBe(2);
      expect(r?.keys.filter((k) => !k.findings.includes('over-privileged')).every((k) => k.unusedScopes.length === 0)).toBe(true);
      expect(r?.limitations).toEqual([OVER_PRIVILEGE_LIMITATION, expect.stringContaining('1 key(s) were not judged')]);

      // A 60-day window sees lapsed's old use, and no key is old enough to be judged.
      const wide = await get('?overPrivilegeDays=60');
      expect(wide?.summary['over-privileged']).toBe(0);
      // A 2-day window: broad used only prices:read, exact nothing (both scopes unused), young still too young.
      const narrow = await get('?overPrivilegeDays=2');
      const narrowOver = Object.fromEntries((narrow?.keys ?? []).filter((k) => k.findings.includes('over-privileged')).map((k) => [k.name, k.unusedScopes]));
      expect(narrowOver).toEqual({ broad: ['index:read', 'signals:read', 'portfolio:read'], exact: ['prices:read', 'index:read'], lapsed: ['prices:read', 'index:read'], legacy: ['prices:read', 'index:read'] });
      // Longer than usage retention (90 days by default): said, not hidden.
      expect((await get('?overPrivilegeDays=120'))?.limitations).toContainEqual(expect.stringContaining('longer than usage retention (90 days'));
    });
  });
}

describe('hygiene report output', () => {
  it('writes CSV that quotes commas, quotes and line breaks and defuses spreadsheet formulas', () => {
    const report: HygieneReport = {
      generatedAt: '2026-01-01T00:00:00.000Z', rotationDays: 90, unusedDays: 90, overPrivilegeDays: 30, limitations: [],
      summary: { keys: 1, flagged: 1, 'no-expiry': 1, 'rotation-overdue': 0, unused: 0, 'over-privileged': 1, 'high-risk-unprotected': 0 },
      keys: [{ keyId: 'key_1', name: '=HYPERLINK("x"), "y"\nz', environment: 'dev', status: 'active', ownerId: null, scopes: ['a', 'b'], createdAt: 'c', expiresAt: null, lastUsedAt: null, findings: ['no-expiry', 'over-privileged'], unusedScopes: ['b'] }],
    };
    expect(hygieneCsv(report)).toBe(
      'keyId,name,environment,status,ownerId,scopes,createdAt,expiresAt,lastUsedAt,findings,unusedScopes\r\n' +
        'key_1,"\'=HYPERLINK(""x""), ""y""\nz",dev,active,,a;b,c,,,no-expiry;over-privileged,b\r\n',
    );
  });

  it('clavis report hygiene prints a table, JSON and CSV', async () => {
    server = await startServer();
    await server.services.keys.create({ workspaceId: server.workspaceId, actor: { type: 'system', id: 't' } }, { name: 'forever', environment: 'dev', scopes: ['prices:read'] });
    const table = await server.cli(['report', 'hygiene']);
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout).toContain('1 of 1 key(s) flagged');
    expect(table.stdout).toContain('no-expiry');
    expect(table.stdout).toContain('over-privileged (30 d) 0');
    expect(table.stdout).toContain('Note: over-privileged');
    const json = await server.cli(['report', 'hygiene', '--format', 'json', '--over-privilege-days', '7']);
    expect(JSON.parse(json.stdout)).toMatchObject({ overPrivilegeDays: 7, summary: { keys: 1, 'no-expiry': 1 } });
    const csv = await server.cli(['report', 'hygiene', '--format', 'csv']);
    expect(csv.stdout.split('\r\n')[0]).toBe('keyId,name,environment,status,ownerId,scopes,createdAt,expiresAt,lastUsedAt,findings,unusedScopes');
    expect(csv.stdout).toContain(',forever,dev,active,');
    const wrong = await server.cli(['report', 'hygiene', '--format', 'xml']);
    expect(wrong.code).not.toBe(0);
    const badDays = await server.cli(['report', 'hygiene', '--over-privilege-days', '0']);
    expect(badDays.code).toBe(2);
  });
});
