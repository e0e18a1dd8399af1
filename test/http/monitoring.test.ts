import { execFileSync, spawnSync } from 'node:child_process';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { IssuedToken } from '../../src/core/auth/token-service.ts';
import type { App } from '../../src/http/app-types.ts';
import { buildApp } from '../../src/http/app.ts';
import { verifyConsumer } from '../../src/http/consumer-auth.ts';
import { ephemeralSigner } from '../../src/keyring/local-signer.ts';
import type { GeoLocator } from '../../src/monitor/geo-locator.ts';
import { createServices, type MonitorOptions, type Services } from '../../src/services.ts';
import { createMemoryStore } from '../../src/storage/memory/memory-store.ts';
import { ManualClock, bearer } from '../support/harness.ts';

const GEO: Record<string, string> = { '203.0.113.9': 'GB', '198.51.100.7': 'JP', '192.0.2.50': 'DE' };
const fakeGeo: GeoLocator = { locate: (ip) => ({ country: GEO[ip] ?? null, point: null }) };

let app: App;
let services: Services;
let clock: ManualClock;
let owner: IssuedToken;
let workspaceId: string;

async function start(monitor: MonitorOptions = {}): Promise<void> {
  clock = new ManualClock(Date.UTC(2026, 0, 5, 12, 0, 30));
  services = createServices({
    store: createMemoryStore(),
    signer: ephemeralSigner(),
    clock,
    policy: { prefix: 'clv', maxTtlMs: { live: 90 * 86_400_000, test: null, dev: null }, defaultGraceMs: 0, highRisk: { requireIpAllowlist: true, requireSigning: true } },
    cache: { ttlMs: 5000, negativeTtlMs: 1000, maxEntries: 1000 },
    auditOrigin: 'clavis.test',
    monitor: { geo: fakeGeo, schedule: () => undefined, ...monitor },
  });
  const boot = await services.workspaces.bootstrap();
  if (boot === null) throw new Error('no bootstrap');
  owner = boot.ownerToken;
  workspaceId = boot.workspace.id;
  app = await buildApp({ services, logger: false });
}

async function createKey(body: Record<string, unknown> = {}): Promise<{ id: string; key: string }> {
  const res = await app.inject({ method: 'POST', url: '/v1/keys', headers: bearer(owner.secret), payload: { name: 'k', environment: 'test', scopes: ['prices:read'], ...body } });
  expect(res.statusCode).toBe(201);
  return res.json<{ id: string; key: string }>();
}

function verify(payload: Record<string, unknown>, headers: Record<string, string> = {}) {
  return app.inject({ method: 'POST', url: '/v1/keys/verify', headers: { ...bearer(owner.secret), ...headers }, payload });
}

async function tokenFor(role: 'developer' | 'read-only' | 'auditor'): Promise<string> {
  return (await services.tokens.create({ tokenId: owner.record.id, workspaceId, role: 'owner' }, { name: role, role })).secret;
}

beforeEach(async () => start());
afterEach(async () => {
  await app.close();
  await services.store.close();
});

describe('usage over HTTP', () => {
  it('counts verify calls per code, route and country; GET /v1/keys/{id}/usage answers time buckets', async () => {
    const k = await createKey();
    for (let i = 0; i < 3; i += 1) expect((await verify({ key: k.key, scope: 'prices:read', ip: '203.0.113.9' })).json<{ code: string }>().code).toBe('VALID');
    await verify({ key: k.key, scope: 'trade:write', ip: '198.51.100.7' });
    clock.advance(2 * 3_600_000);
    await verify({ key: k.key, ip: '192.0.2.1' });
    await services.usage.flush();
    const res = await app.inject({ url: `/v1/keys/${k.id}/usage?bucket=hour&from=2026-01-05T11:30:00Z&to=2026-01-05T14:10:00Z`, headers: bearer(owner.secret) });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      keyId: k.id,
      from: '2026-01-05T11:00:00.000Z',
      to: '2026-01-05T15:00:00.000Z',
      bucket: 'hour',
      total: 5,
      buckets: [
        { start: '2026-01-05T12:00:00.000Z', total: 4, codes: { INSUFFICIENT_SCOPE: 1, VALID: 3 }, routes: { 'verify-api': 4 }, countries: { GB: 3, JP: 1 } },
        { start: '2026-01-05T14:00:00.000Z', total: 1, codes: { VALID: 1 }, routes: { 'verify-api': 1 }, countries: { '??': 1 } },
      ],
    });
    const minutes = await app.inject({ url: `/v1/keys/${k.id}/usage?bucket=minute&from=2026-01-05T12:00:00Z&to=2026-01-05T12:01:00Z`, headers: bearer(owner.secret) });
    expect(minutes.json<{ buckets: { start: string; total: number }[] }>().buckets).toEqual([expect.objectContaining({ start: '2026-01-05T12:00:00.000Z', total: 4 })]);
    // Defaults: the last 24 hours in hour buckets.
    const byDefault = await app.inject({ url: `/v1/keys/${k.id}/usage`, headers: bearer(owner.secret) });
    expect(byDefault.json()).toMatchObject({ bucket: 'hour', total: 5, to: '2026-01-05T15:00:00.000Z', from: '2026-01-04T14:00:00.000Z' });
  });

  it('refuses a reversed range or too many buckets (USAGE_RANGE_INVALID), and an unknown key (KEY_NOT_FOUND)', async () => {
    const k = await createKey();
    const reversed = await app.inject({ url: `/v1/keys/${k.id}/usage?from=2026-01-05T12:00:00Z&to=2026-01-05T11:00:00Z`, headers: bearer(owner.secret) });
    expect(reversed.statusCode).toBe(400);
    expect(reversed.json<{ code: string }>().code).toBe('USAGE_RANGE_INVALID');
    const tooMany = await app.inject({ url: `/v1/keys/${k.id}/usage?bucket=minute&from=2026-01-01T00:00:00Z&to=2026-01-05T00:00:00Z`, headers: bearer(owner.secret) });
    expect(tooMany.json<{ code: string }>().code).toBe('USAGE_RANGE_INVALID');
    const bad = await app.inject({ url: `/v1/keys/${k.id}/usage?bucket=week`, headers: bearer(owner.secret) });
    expect(bad.json<{ code: string }>().code).toBe('VALIDATION_FAILED');
    const unknown = await app.inject({ url: '/v1/keys/key_0000000000000000000000/usage', headers: bearer(owner.secret) });
    expect(unknown.json<{ code: string }>().code).toBe('KEY_NOT_FOUND');
  });

  it('key views carry the last use: time and address of the latest verification', async () => {
    const k = await createKey();
    const fresh = await app.inject({ url: `/v1/keys/${k.id}`, headers: bearer(owner.secret) });
    expect(fresh.json()).toMatchObject({ lastUsedAt: null, lastUsedIp: null });
    await verify({ key: k.key, ip: '203.0.113.9' });
    clock.advance(5000);
    await verify({ key: k.key, ip: '198.51.100.7' });
    await services.usage.flush();
    const got = await app.inject({ url: `/v1/keys/${k.id}`, headers: bearer(owner.secret) });
    expect(got.json()).toMatchObject({ lastUsedAt: new Date(clock.now()).toISOString(), lastUsedIp: '198.51.100.7' });
    const list = await app.inject({ url: '/v1/keys', headers: bearer(owner.secret) });
    expect(list.json<{ data: { id: string; lastUsedIp: string | null }[] }>().data.find((x) => x.id === k.id)?.lastUsedIp).toBe('198.51.100.7');
  });

  it('without `ip`, locates the caller: X-Forwarded-For only from a trusted proxy', async () => {
    const k = await createKey();
    await verify({ key: k.key }, { 'x-forwarded-for': '203.0.113.9' });
    await services.usage.flush();
    expect((await services.store.usage.lastUse([k.id]))[0]?.ip).toBe('127.0.0.1');
    await app.close();
    await services.store.close();
    await start({ trustProxy: ['127.0.0.0/8'] });
    const k2 = await createKey();
    await verify({ key: k2.key }, { 'x-forwarded-for': '198.51.100.200, 203.0.113.9' });
    await services.usage.flush();
    expect((await services.store.usage.lastUse([k2.id]))[0]).toMatchObject({ ip: '203.0.113.9', country: 'GB' });
  });

  it('verifyConsumer counts under its route when given the usage sink, and stays as it was without', async () => {
    const k = await createKey();
    const req = { method: 'GET', url: '/v1/prices', headers: { 'x-clavis-key': k.key }, ip: '192.0.2.50' };
    expect((await verifyConsumer(services.verifier, req, { scope: 'prices:read' })).code).toBe('VALID');
    expect((await verifyConsumer(services.verifier, req, { scope: 'prices:read', route: 'data-api', usage: services.usage })).code).toBe('VALID');
    await services.usage.flush();
    const res = await app.inject({ url: `/v1/keys/${k.id}/usage`, headers: bearer(owner.secret) });
    expect(res.json()).toMatchObject({ total: 1, buckets: [{ routes: { 'data-api': 1 }, countries: { DE: 1 } }] });
  });
});

describe('alerts over HTTP', () => {
  async function bruteForce(ip: string): Promise<string> {
    for (let i = 0; i < 20; i += 1) await verify({ key: `clv_test_${'A'.repeat(43)}${'0'.repeat(6)}`, ip });
    await services.usage.flush();
    const list = await app.inject({ url: '/v1/alerts?status=open', headers: bearer(owner.secret) });
    const a = list.json<{ data: { id: string; dedupeKey: string }[] }>().data.find((x) => x.dedupeKey === `failed-verify-burst:ip:${ip}`);
    if (a === undefined) throw new Error('no alert raised');
    return a.id;
  }

  it('lists, gets, acknowledges and resolves an alert; each change is audited, and a wrong state is 409', async () => {
    const id = await bruteForce('192.0.2.66');
    const got = await app.inject({ url: `/v1/alerts/${id}`, headers: bearer(owner.secret) });
    expect(got.json()).toMatchObject({ id, workspaceId, type: 'failed-verify-burst', severity: 'medium', status: 'open', keyId: null, occurrences: 1, evidence: { ip: '192.0.2.66', count: 20, codes: { MALFORMED: 20 }, routes: ['verify-api'] } });
    const ack = await app.inject({ method: 'POST', url: `/v1/alerts/${id}/acknowledge`, headers: bearer(owner.secret), payload: { note: 'blocking at the firewall' } });
    expect(ack.statusCode).toBe(200);
    expect(ack.json()).toMatchObject({ status: 'acknowledged', acknowledgedBy: owner.record.id, note: 'blocking at the firewall' });
    const again = await app.inject({ method: 'POST', url: `/v1/alerts/${id}/acknowledge`, headers: bearer(owner.secret) });
    expect(again.statusCode).toBe(409);
    expect(again.json<{ code: string }>().code).toBe('ALERT_STATE_CONFLICT');
    const resolved = await app.inject({ method: 'POST', url: `/v1/alerts/${id}/resolve`, headers: bearer(owner.secret) });
    expect(resolved.json()).toMatchObject({ status: 'resolved', resolvedBy: owner.record.id, note: 'blocking at the firewall' });
    expect((await app.inject({ method: 'POST', url: `/v1/alerts/${id}/resolve`, headers: bearer(owner.secret), payload: {} })).json<{ code: string }>().code).toBe('ALERT_STATE_CONFLICT');
    const events = await app.inject({ url: `/v1/audit/events?target=${id}`, headers: bearer(owner.secret) });
    expect(events.json<{ data: { action: string; actor: { id: string }; data: { note?: string | null; from?: string } }[] }>().data.map((e) => [e.action, e.actor.id, e.data.from ?? null])).toEqual([
      ['alert.raised', 'monitor', null],
      ['alert.acknowledged', owner.record.id, 'open'],
      ['alert.resolved', owner.record.id, 'acknowledged'],
    ]);
    // Resolved: the next burst from the address opens a new alert.
    clock.advance(120_000);
    expect(await bruteForce('192.0.2.66')).not.toBe(id);
  });

  it('filters and pages newest first; alerts:read and alerts:write follow the roles', async () => {
    const ids: string[] = [];
    for (const ip of ['192.0.2.1', '192.0.2.2', '192.0.2.3']) {
      ids.push(await bruteForce(ip));
      clock.advance(1000);
    }
    const page1 = (await app.inject({ url: '/v1/alerts?limit=2', headers: bearer(owner.secret) })).json<{ data: { id: string }[]; nextCursor: string }>();
    expect(page1.data.map((a) => a.id)).toEqual([ids[2], ids[1]]);
    const page2 = (await app.inject({ url: `/v1/alerts?limit=2&cursor=${page1.nextCursor}`, headers: bearer(owner.secret) })).json<{ data: { id: string }[]; nextCursor: string | null }>();
    expect(page2).toEqual({ data: [expect.objectContaining({ id: ids[0] })], nextCursor: null });
    expect((await app.inject({ url: '/v1/alerts?type=rate-spike', headers: bearer(owner.secret) })).json<{ data: unknown[] }>().data).toEqual([]);
    expect((await app.inject({ url: '/v1/alerts?severity=medium&status=open', headers: bearer(owner.secret) })).json<{ data: unknown[] }>().data).toHaveLength(3);
    const developer = await tokenFor('developer');
    expect((await app.inject({ url: '/v1/alerts', headers: bearer(developer) })).statusCode).toBe(200);
    const denied = await app.inject({ method: 'POST', url: `/v1/alerts/${ids[0] ?? ''}/resolve`, headers: bearer(developer), payload: {} });
    expect(denied.json<{ code: string }>().code).toBe('PERMISSION_DENIED');
    expect((await app.inject({ url: '/v1/alerts', headers: bearer(await tokenFor('read-only')) })).json<{ code: string }>().code).toBe('PERMISSION_DENIED');
  });

  it('offboarding an owner makes any use of their keys an alert; reinstating is audited, twice is 404', async () => {
    const k = await createKey({ ownerId: 'alice@example.com' });
    const off = await app.inject({ method: 'POST', url: '/v1/owners/alice@example.com/offboard', headers: bearer(owner.secret), payload: { reason: 'left 2026-01-04' } });
    expect(off.json()).toMatchObject({ created: true, owner: { ownerId: 'alice@example.com', reason: 'left 2026-01-04', offboardedBy: owner.record.id } });
    const twice = await app.inject({ method: 'POST', url: '/v1/owners/alice@example.com/offboard', headers: bearer(owner.secret) });
    expect(twice.json()).toMatchObject({ created: false, owner: { reason: 'left 2026-01-04' } });
    await verify({ key: k.key, ip: '203.0.113.9' });
    await services.usage.flush();
    const [a] = (await app.inject({ url: '/v1/alerts?type=offboarded-owner-use', headers: bearer(owner.secret) })).json<{ data: { severity: string; keyId: string; evidence: { ownerId: string; code: string } }[] }>().data;
    expect(a).toMatchObject({ severity: 'critical', keyId: k.id, evidence: { ownerId: 'alice@example.com', code: 'VALID' } });
    expect((await app.inject({ url: '/v1/owners/offboarded', headers: bearer(owner.secret) })).json()).toMatchObject({ data: [{ ownerId: 'alice@example.com' }], nextCursor: null });
    expect((await app.inject({ method: 'POST', url: '/v1/owners/alice@example.com/reinstate', headers: bearer(owner.secret) })).json()).toEqual({ ownerId: 'alice@example.com', reinstated: true });
    const gone = await app.inject({ method: 'POST', url: '/v1/owners/alice@example.com/reinstate', headers: bearer(owner.secret), payload: {} });
    expect(gone.json<{ code: string }>().code).toBe('OWNER_NOT_OFFBOARDED');
    const audit = (await app.inject({ url: '/v1/audit/events?target=alice@example.com', headers: bearer(owner.secret) })).json<{ data: { action: string }[] }>().data;
    expect(audit.map((e) => e.action)).toEqual(['owner.offboarded', 'owner.reinstated']);
  });
});

describe('GET /metrics', () => {
  async function scrape(token = owner.secret) {
    return app.inject({ url: '/metrics', headers: bearer(token) });
  }

  it('serves the Prometheus text format with verification counts, to operator tokens with metrics:read', async () => {
    await start({ processMetrics: true });
    const k = await createKey();
    await verify({ key: k.key, ip: '203.0.113.9' });
    await verify({ key: k.key, scope: 'nope:nope', ip: '203.0.113.9' });
    await services.usage.flush();
    const res = await scrape(await tokenFor('auditor'));
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(res.body).toMatch(/^clavis_verifications_total\{route="verify-api",code="VALID",country="GB"\} 1$/m);
    expect(res.body).toMatch(/^clavis_verifications_total\{route="verify-api",code="INSUFFICIENT_SCOPE",country="GB"\} 1$/m);
    expect(res.body).toMatch(/^clavis_usage_flushes_total\{result="ok"\} 1$/m);
    expect(res.body).toMatch(/^clavis_verify_cache_keys 1$/m);
    expect(res.body).toMatch(/^process_cpu_user_seconds_total /m);
    // No key id or address in any label.
    expect(res.body).not.toContain(k.id);
    expect(res.body).not.toContain('203.0.113.9');
    expect((await scrape(await tokenFor('developer'))).json<{ code: string }>().code).toBe('PERMISSION_DENIED');
    expect((await app.inject({ url: '/metrics' })).statusCode).toBe(401);
  });

  it('refuses tokens of a tenant workspace (the counters span every workspace)', async () => {
    const tenant = await services.workspaces.create({ tokenId: owner.record.id, workspaceId, role: 'owner' }, 'tenant');
    const res = await scrape(tenant.ownerToken.secret);
    expect(res.statusCode).toBe(403);
    expect(res.json<{ code: string }>().code).toBe('OPERATOR_ONLY');
  });

  const promtool = spawnSync('promtool', ['--version']).status === 0;
  if (!promtool && process.env.CI === undefined) console.warn('test/http/monitoring.test.ts: the promtool check of /metrics is skipped: promtool is not installed (apt-get install prometheus)');
  it.runIf(promtool || process.env.CI !== undefined)('passes promtool check metrics', async () => {
    await start({ processMetrics: true });
    const k = await createKey();
    await verify({ key: k.key, ip: '203.0.113.9' });
    for (let i = 0; i < 20; i += 1) await verify({ key: `clv_test_${'B'.repeat(43)}${'0'.repeat(6)}`, ip: '192.0.2.9' });
    await services.usage.flush();
    const body = (await scrape()).body;
    // promtool reads the exposition on stdin; exit 0 means no lint problem and no parse error.
    const out = execFileSync('promtool', ['check', 'metrics'], { input: body, encoding: 'utf8' });
    expect(out).toBe('');
  });
});
