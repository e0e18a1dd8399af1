import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { Store } from '../../src/core/ports/store.ts';
import { openPostgresStore } from '../../src/storage/postgres/postgres-store.ts';
import { DAY_MS, ManualClock } from '../support/harness.ts';
import { PG_URL, postgresReachable, throwawaySchemas } from './postgres.ts';
import { makeWorld, type World } from './world.ts';

const schemas = throwawaySchemas();
const pg = await postgresReachable('scheduler on PostgreSQL');
const LEASE_MS = 60_000;
const opened: Store[] = [];

afterEach(async () => {
  await Promise.all(opened.splice(0).map((s) => s.close()));
});
afterAll(async () => {
  await schemas.dropAll();
});

/**
 * A node whose lease check always says yes: what a node with a clock far ahead, or one that
 * overran its lease, would believe. Only the lease is faked; every transaction is the real one.
 */
function believesItHoldsTheLease(store: Store): Store {
  return { ...store, scheduler: { ...store.scheduler, acquireLease: async () => true } };
}

/** Two nodes on one PostgreSQL database, each with its own pool and scheduler. */
async function twoNodes(clock: ManualClock, opts: { brokenLease?: boolean } = {}): Promise<[World, World]> {
  const schema = schemas.fresh();
  const storeA = await openPostgresStore({ url: PG_URL, schema, poolSize: 4 });
  const storeB = await openPostgresStore({ url: PG_URL, schema, poolSize: 4 });
  opened.push(storeA, storeB);
  const node = (s: Store): Store => (opts.brokenLease === true ? believesItHoldsTheLease(s) : s);
  const settings = { leaseMs: LEASE_MS, expiryNoticeDays: 0, quotaLowPercent: 0, highRiskIdleDays: 0 };
  const a = await makeWorld({ store: node(storeA), clock, nodeId: 'node-a', settings });
  const b = await makeWorld({ store: node(storeB), clock, nodeId: 'node-b', settings });
  return [a, b];
}

/** Keys due for a vault rotation now, each with its own vault path. */
async function dueKeys(w: World, n: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i += 1) {
    const { record } = await w.services.keys.create(w.acting, { name: `k${i}`, environment: 'test', scopes: ['prices:read'], rotation: { everyDays: 30, graceHours: 24, mode: 'vault', vaultPath: `consumers/c${i}/key` } });
    ids.push(record.id);
  }
  return ids;
}

async function count(w: World, action: string): Promise<number> {
  return (await w.store.audit.list(w.workspaceId, { action, limit: 10_000 })).length;
}

describe.skipIf(!pg)('two schedulers on one PostgreSQL database', () => {
  it('never both act in a tick: ticking concurrently, exactly one rotates each due key', async () => {
    const clock = new ManualClock();
    const [a, b] = await twoNodes(clock);
    const keys = await dueKeys(a, 3);
    clock.advance(30 * DAY_MS);
    const [ra, rb] = await Promise.all([a.services.scheduler.tick(), b.services.scheduler.tick()]);
    const acted = [ra, rb].filter((r) => r.skipped === null);
    expect(acted).toHaveLength(1);
    expect([ra, rb].find((r) => r.skipped !== null)?.skipped).toMatch(/another node holds the lease/);
    expect(acted[0]?.actions.map((x) => x.keyId).sort()).toEqual([...keys].sort());
    expect(await count(a, 'key.rotated')).toBe(3);
    expect(await count(a, 'secret.written')).toBe(3);
    expect((await a.store.keys.list(a.workspaceId, { limit: 100 })).length).toBe(6);
  });

  it('does each action once even when both hold the lease at once (the notice row fences the rotation)', async () => {
    const clock = new ManualClock();
    const [a, b] = await twoNodes(clock, { brokenLease: true });
    const keys = await dueKeys(a, 6);
    clock.advance(30 * DAY_MS);
    const reports = await Promise.all([a.services.scheduler.tick(), b.services.scheduler.tick(), a.services.scheduler.tick({ dryRun: true })]);
    const [ra, rb] = reports;
    // Both really ran (the lease never stopped either of them)…
    expect(ra?.skipped).toBeNull();
    expect(rb?.skipped).toBeNull();
    expect([...(ra?.failures ?? []), ...(rb?.failures ?? [])]).toEqual([]);
    // …and every key was rotated exactly once, with one vault version each.
    const rotated = [...(ra?.actions ?? []), ...(rb?.actions ?? [])].filter((x) => x.type === 'key.rotated');
    expect(rotated.map((x) => x.keyId).sort()).toEqual([...keys].sort());
    expect(await count(a, 'key.rotated')).toBe(6);
    expect(await count(a, 'secret.written')).toBe(6);
    const all = await a.store.keys.list(a.workspaceId, { limit: 100 });
    expect(all.length).toBe(12);
    for (const id of keys) expect(all.filter((k) => k.replacesId === id)).toHaveLength(1);
    for (let i = 0; i < 6; i += 1) {
      expect((await a.services.secrets.versions({ workspaceId: a.workspaceId, environment: 'test', path: `consumers/c${i}/key` })).currentVersion).toBe(1);
    }
  });

  it('hands the lease to the other node once a crashed holder stops renewing it', async () => {
    const clock = new ManualClock();
    const [a, b] = await twoNodes(clock);
    const [first] = await dueKeys(a, 1);
    clock.advance(30 * DAY_MS);
    expect((await a.services.scheduler.tick()).actions.map((x) => x.keyId)).toEqual([first]);
    // node-a dies here without releasing; a key falls due for node-b to handle.
    const [second] = await dueKeys(a, 1);
    clock.advance(LEASE_MS - 1);
    expect((await b.services.scheduler.tick()).skipped).toMatch(/node-a/);
    clock.advance(1);
    clock.advance(30 * DAY_MS);
    const takeover = await b.services.scheduler.tick();
    expect(takeover.skipped).toBeNull();
    // The successor of the first key fell due too; each is rotated once, by node-b.
    expect(takeover.actions.map((x) => x.keyId)).toContain(second);
    expect((await a.store.scheduler.findLease('scheduler'))?.holder).toBe('node-b');
  });
});
