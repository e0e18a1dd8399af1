import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Acting } from '../../src/core/keys/key-service.ts';
import type { Store } from '../../src/core/ports/store.ts';
import { ephemeralSigner } from '../../src/keyring/local-signer.ts';
import type { GeoLocator } from '../../src/monitor/geo-locator.ts';
import { DEFAULT_THRESHOLDS } from '../../src/monitor/thresholds.ts';
import type { UsageInput } from '../../src/monitor/usage-event.ts';
import { createServices, type MonitorOptions, type Services } from '../../src/services.ts';
import { createMemoryStore } from '../../src/storage/memory/memory-store.ts';
import { ManualClock } from '../support/harness.ts';

/** Addresses of the documentation ranges, placed on a map for the tests. */
const GEO: Record<string, { country: string; lat: number; lon: number }> = {
  '203.0.113.9': { country: 'GB', lat: 51.5, lon: -0.13 },
  '198.51.100.7': { country: 'JP', lat: 35.68, lon: 139.69 },
};
const fakeGeo: GeoLocator = {
  locate: (ip) => {
    const g = GEO[ip];
    return g === undefined ? { country: null, point: null } : { country: g.country, point: { lat: g.lat, lon: g.lon, radiusKm: 10 } };
  },
};

let store: Store;
let clock: ManualClock;
let services: Services;
let acting: Acting;
let scheduled: (() => void)[];

async function setup(monitor: MonitorOptions = {}, s: Store = createMemoryStore()): Promise<void> {
  store = s;
  clock = new ManualClock(Date.UTC(2026, 0, 5, 12));
  scheduled = [];
  services = createServices({
    store,
    signer: ephemeralSigner(),
    clock,
    policy: { prefix: 'clv', maxTtlMs: { live: 90 * 86_400_000, test: null, dev: null }, defaultGraceMs: 0, highRisk: { requireIpAllowlist: false, requireSigning: false } },
    cache: { ttlMs: 5000, negativeTtlMs: 1000, maxEntries: 1000 },
    auditOrigin: 'clavis.test',
    monitor: { geo: fakeGeo, schedule: (fn) => scheduled.push(fn), ...monitor },
  });
  const boot = await services.workspaces.bootstrap();
  if (boot === null) throw new Error('no bootstrap');
  acting = { workspaceId: boot.workspace.id, actor: { type: 'token', id: boot.ownerToken.record.id } };
}

async function newKey(ownerId?: string): Promise<{ id: string; workspaceId: string; ownerId: string | null; createdAt: number }> {
  const k = await services.keys.create(acting, { name: 'k', environment: 'test', scopes: ['prices:read'], ...(ownerId !== undefined ? { ownerId } : {}) });
  return { id: k.record.id, workspaceId: k.record.workspaceId, ownerId: k.record.ownerId, createdAt: k.record.createdAt };
}

const use = (over: Partial<UsageInput>): UsageInput => ({ route: 'verify-api', code: 'VALID', ip: '203.0.113.9', workspaceId: acting.workspaceId, ...over });

beforeEach(async () => setup());
afterEach(async () => store.close());

describe('UsageMonitor', () => {
  it('a long drain lets the event loop turn between slices (a queued request is not held behind it)', async () => {
    const key = await newKey();
    for (let i = 0; i < 2000; i++) services.usage.record(use({ key }));
    expect(services.usage.stats().pendingEvents).toBe(2000);
    let turnedAt: 'before' | 'during' | 'after' = 'before';
    let drained = false;
    const draining = services.usage.drain().then(() => {
      drained = true;
    });
    setImmediate(() => {
      turnedAt = drained ? 'after' : 'during';
    });
    await draining;
    expect(turnedAt).toBe('during');
    await services.usage.flush();
    const minute = Math.floor(clock.now() / 60_000) * 60_000;
    const series = await store.usage.series(acting.workspaceId, { keyId: key.id, from: minute, to: minute + 60_000, bucketMs: 60_000 });
    expect(series.reduce((n, b) => n + b.count, 0)).toBe(2000);
  });

  it('record only queues; flush writes minute buckets and last uses in one transaction', async () => {
    const key = await newKey();
    services.usage.record(use({ key }));
    clock.advance(1000);
    services.usage.record(use({ key, code: 'INSUFFICIENT_SCOPE', ip: '198.51.100.7' }));
    services.usage.record(use({ code: 'NOT_FOUND', ip: '192.0.2.1' }));
    expect(services.usage.stats()).toMatchObject({ pendingEvents: 3, pendingBuckets: 0 });
    expect(await store.usage.lastUse([key.id])).toEqual([]);
    await services.usage.flush();
    expect(services.usage.stats()).toMatchObject({ pendingEvents: 0, pendingBuckets: 0, dropped: 0 });
    const minute = clock.now() - (clock.now() % 60_000);
    expect(await store.usage.series(acting.workspaceId, { keyId: key.id, from: minute, to: minute + 60_000, bucketMs: 60_000 })).toEqual([
      { start: minute, route: 'verify-api', code: 'INSUFFICIENT_SCOPE', country: 'JP', count: 1 },
      { start: minute, route: 'verify-api', code: 'VALID', country: 'GB', count: 1 },
    ]);
    // The last use is the latest verification of the key, whatever its outcome.
    expect(await store.usage.lastUse([key.id])).toEqual([{ keyId: key.id, workspaceId: acting.workspaceId, at: clock.now(), ip: '198.51.100.7', country: 'JP' }]);
  });

  it('schedules a drain (off the verify path) when the queue reaches the batch size', async () => {
    await setup({ maxPendingEvents: 5000 });
    const key = await newKey();
    for (let i = 0; i < 4095; i += 1) services.usage.record(use({ key }));
    expect(scheduled).toHaveLength(0);
    services.usage.record(use({ key }));
    expect(scheduled).toHaveLength(1);
    scheduled[0]?.();
    await services.usage.drain();
    expect(services.usage.stats()).toMatchObject({ pendingEvents: 0, pendingBuckets: 1 });
  });

  it('bounds the queue: beyond maxPendingEvents verifications are dropped and counted', async () => {
    await setup({ maxPendingEvents: 1000 });
    for (let i = 0; i < 1010; i += 1) services.usage.record(use({}));
    expect(services.usage.stats()).toMatchObject({ pendingEvents: 1000, dropped: 10 });
    await services.usage.flush();
    expect(await services.metrics.render()).toMatch(/^clavis_usage_dropped_total 10$/m);
  });

  it('keeps the counts of a failed flush for the next one', async () => {
    const inner = createMemoryStore();
    let fail = false;
    const flaky: Store = { ...inner, transact: (fn) => (fail ? Promise.reject(new Error('store down')) : inner.transact(fn)) };
    await setup({}, flaky);
    const key = await newKey();
    services.usage.record(use({ key }));
    fail = true;
    await expect(services.usage.flush()).rejects.toThrow('store down');
    services.usage.record(use({ key }));
    fail = false;
    await services.usage.flush();
    const minute = clock.now() - (clock.now() % 60_000);
    expect(await store.usage.series(acting.workspaceId, { keyId: key.id, from: minute, to: minute + 60_000, bucketMs: 60_000 })).toEqual([{ start: minute, route: 'verify-api', code: 'VALID', country: 'GB', count: 2 }]);
    expect(await services.metrics.render()).toMatch(/^clavis_usage_flushes_total\{result="error"\} 1$/m);
  });

  it('stores findings as alerts, audited once when raised; repeats add occurrences', async () => {
    for (let i = 0; i < 25; i += 1) services.usage.record(use({ code: 'NOT_FOUND', ip: '192.0.2.66' }));
    await services.usage.flush();
    clock.advance(61_000);
    for (let i = 0; i < 25; i += 1) services.usage.record(use({ code: 'NOT_FOUND', ip: '192.0.2.66' }));
    await services.usage.flush();
    const alerts = await services.alerts.list(acting.workspaceId, { limit: 10 });
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({ type: 'failed-verify-burst', severity: 'medium', status: 'open', keyId: null, dedupeKey: 'failed-verify-burst:ip:192.0.2.66', occurrences: 2 });
    expect(alerts[0]?.evidence).toMatchObject({ ip: '192.0.2.66', count: 20, codes: { NOT_FOUND: 20 } });
    const raised = await store.audit.list(acting.workspaceId, { action: 'alert.raised', limit: 10 });
    expect(raised.map((e) => e.event.target)).toEqual([{ type: 'alert', id: alerts[0]?.id }]);
    expect(raised[0]?.event.actor).toEqual({ type: 'system', id: 'monitor' });
    expect(await services.metrics.render()).toMatch(/^clavis_alerts_raised_total\{type="failed-verify-burst",severity="medium"\} 1$/m);
  });

  it('honours the configured thresholds and switched-off rules', async () => {
    await setup({ thresholds: { ...DEFAULT_THRESHOLDS, failedVerifications: { windowSeconds: 60, perIp: 100, perKey: 100 } } });
    for (let i = 0; i < 50; i += 1) services.usage.record(use({ code: 'NOT_FOUND', ip: '192.0.2.66' }));
    await services.usage.flush();
    expect(await services.alerts.list(acting.workspaceId, { limit: 10 })).toEqual([]);
    await store.close();
    await setup({ disabled: ['failed-verify-burst'] });
    for (let i = 0; i < 50; i += 1) services.usage.record(use({ code: 'NOT_FOUND', ip: '192.0.2.66' }));
    await services.usage.flush();
    expect(await services.alerts.list(acting.workspaceId, { limit: 10 })).toEqual([]);
  });

  it('files a verification without a workspace (an any-workspace edge, unknown key) under the operator workspace', async () => {
    for (let i = 0; i < 20; i += 1) services.usage.record(use({ workspaceId: null, code: 'NOT_FOUND', ip: '192.0.2.77', route: 'gateway' }));
    await services.usage.flush();
    const [a] = await services.alerts.list(acting.workspaceId, { limit: 10 });
    expect(a).toMatchObject({ workspaceId: acting.workspaceId, dedupeKey: 'failed-verify-burst:ip:192.0.2.77' });
    expect(await services.metrics.render()).toMatch(/^clavis_verifications_total\{route="gateway",code="NOT_FOUND",country="unknown"\} 20$/m);
  });

  it('alerts on the keys of an owner marked offboarded (read at the next drain), and on a dormant key', async () => {
    const alice = await newKey('alice');
    const bob = await newKey('bob');
    await services.alerts.offboardOwner(acting, 'alice', 'left the company');
    services.usage.record(use({ key: alice }));
    services.usage.record(use({ key: bob }));
    await services.usage.flush();
    const alerts = await services.alerts.list(acting.workspaceId, { limit: 10 });
    expect(alerts.map((a) => [a.type, a.severity, a.keyId])).toEqual([['offboarded-owner-use', 'critical', alice.id]]);
    const audit = await store.audit.list(acting.workspaceId, { action: 'owner.offboarded', limit: 10 });
    expect(audit[0]?.event).toMatchObject({ target: { type: 'owner', id: 'alice' }, data: { reason: 'left the company' } });
    // 31 days later bob's key is dormant.
    clock.advance(31 * 86_400_000);
    services.usage.record(use({ key: bob }));
    await services.usage.flush();
    expect((await services.alerts.list(acting.workspaceId, { type: 'dormant-key-use', limit: 10 })).map((a) => a.keyId)).toEqual([bob.id]);
  });

  it('a new process reads the stored last use: a key used yesterday is not dormant, one used 40 days ago is', async () => {
    const recent = await newKey();
    const old = await newKey();
    await store.transact((tx) => tx.usage.recordLastUse([{ keyId: recent.id, workspaceId: acting.workspaceId, at: clock.now() - 86_400_000, ip: '203.0.113.9', country: 'GB' }, { keyId: old.id, workspaceId: acting.workspaceId, at: clock.now() - 40 * 86_400_000, ip: '203.0.113.9', country: 'GB' }]));
    services.usage.record(use({ key: { ...recent, createdAt: clock.now() - 100 * 86_400_000 } }));
    services.usage.record(use({ key: { ...old, createdAt: clock.now() - 100 * 86_400_000 } }));
    await services.usage.flush();
    expect((await services.alerts.list(acting.workspaceId, { limit: 10 })).map((a) => [a.type, a.keyId])).toEqual([['dormant-key-use', old.id]]);
  });
});
