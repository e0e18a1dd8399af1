import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ApiKeyRecord, Workspace } from '../../src/core/model.ts';
import type { Store } from '../../src/core/ports/store.ts';
import { keyRecord } from '../support/key-record.ts';

export interface OpenedStore {
  store: Store;
  cleanup: () => Promise<void>;
}

const T0 = Date.UTC(2026, 0, 1);
const DAY = 86_400_000;

function workspace(id: string): Workspace {
  return { id, name: `Workspace ${id}`, createdAt: T0, operator: false };
}

let serial = 0;
/** Ids in creation order (byte order), unique per run so stores may be shared. */
function keyId(): string {
  serial += 1;
  return `key_${String(serial).padStart(6, '0')}${randomBytes(6).toString('hex').slice(0, 12)}aZ`.slice(0, 26);
}

function apiKey(workspaceId: string, over: Partial<ApiKeyRecord> = {}): ApiKeyRecord {
  return keyRecord({ id: keyId(), workspaceId, createdAt: T0, updatedAt: T0, ...over });
}

const ids = (keys: readonly ApiKeyRecord[]): string[] => keys.map((k) => k.id);

/**
 * The behaviour every store shares for the scheduler (decision 0009): the lease, the notices that
 * make ticks idempotent, the scans, and the rotation policy column of keys.
 *
 * @example runSchedulerStoreContract('memory', async () => ({ store: createMemoryStore(), cleanup: async () => {} }))
 */
export function runSchedulerStoreContract(name: string, open: () => Promise<OpenedStore>): void {
  describe(`${name} scheduler store contract`, () => {
    let store: Store;
    let cleanup: () => Promise<void>;
    const A = 'ws_sched_a';
    const B = 'ws_sched_b';

    beforeEach(async () => {
      ({ store, cleanup } = await open());
      await store.transact(async (tx) => {
        await tx.workspaces.insert(workspace(A));
        await tx.workspaces.insert(workspace(B));
      });
    });

    afterEach(async () => {
      await cleanup();
    });

    const insert = async (...keys: ApiKeyRecord[]): Promise<ApiKeyRecord[]> => {
      await store.transact(async (tx) => {
        for (const k of keys) await tx.keys.insert(k);
      });
      return keys;
    };

    describe('lease', () => {
      it('goes to one holder until it expires, is renewed by its holder, and is free again once released', async () => {
        const s = store.scheduler;
        expect(await s.findLease('scheduler')).toBeNull();
        expect(await s.acquireLease('scheduler', 'node-a', T0, T0 + 60_000)).toBe(true);
        expect(await s.findLease('scheduler')).toEqual({ name: 'scheduler', holder: 'node-a', expiresAt: T0 + 60_000 });
        expect(await s.acquireLease('scheduler', 'node-b', T0 + 59_999, T0 + 120_000)).toBe(false);
        // The holder renews before it lapses; the other node still waits for the new expiry.
        expect(await s.acquireLease('scheduler', 'node-a', T0 + 30_000, T0 + 90_000)).toBe(true);
        expect(await s.acquireLease('scheduler', 'node-b', T0 + 60_000, T0 + 120_000)).toBe(false);
        // A holder that stops renewing (crashed) loses it the moment it expires.
        expect(await s.acquireLease('scheduler', 'node-b', T0 + 90_000, T0 + 150_000)).toBe(true);
        expect(await s.findLease('scheduler')).toEqual({ name: 'scheduler', holder: 'node-b', expiresAt: T0 + 150_000 });
        expect(await s.acquireLease('scheduler', 'node-a', T0 + 100_000, T0 + 160_000)).toBe(false);
        // Only the holder can release it, and then anyone takes it at once.
        expect(await s.releaseLease('scheduler', 'node-a')).toBe(false);
        expect(await s.releaseLease('scheduler', 'node-b')).toBe(true);
        expect(await s.findLease('scheduler')).toBeNull();
        expect(await s.acquireLease('scheduler', 'node-a', T0 + 100_000, T0 + 160_000)).toBe(true);
        // Leases are independent by name.
        expect(await s.acquireLease('other', 'node-b', T0 + 100_000, T0 + 160_000)).toBe(true);
      });

      it('goes to exactly one of many holders racing for it', async () => {
        const results = await Promise.all(Array.from({ length: 12 }, (_, i) => store.scheduler.acquireLease('race', `node-${i}`, T0, T0 + 60_000)));
        expect(results.filter(Boolean)).toHaveLength(1);
        const winner = results.indexOf(true);
        expect((await store.scheduler.findLease('race'))?.holder).toBe(`node-${winner}`);
        // And again when it has expired: one of them takes it over.
        const again = await Promise.all(Array.from({ length: 12 }, (_, i) => store.scheduler.acquireLease('race', `node-${i + 100}`, T0 + 60_000, T0 + 120_000)));
        expect(again.filter(Boolean)).toHaveLength(1);
      });
    });

    describe('notices', () => {
      it('records each (key, kind, period) once and lists them by key and kind', async () => {
        const [k1, k2] = await insert(apiKey(A), apiKey(B));
        if (k1 === undefined || k2 === undefined) throw new Error('no keys');
        const s = store.scheduler;
        expect(await s.recordNotice({ keyId: k1.id, kind: 'expiring_soon', period: 5, workspaceId: A, at: T0 })).toBe(true);
        expect(await s.recordNotice({ keyId: k1.id, kind: 'expiring_soon', period: 5, workspaceId: A, at: T0 + 1 })).toBe(false);
        expect(await s.recordNotice({ keyId: k1.id, kind: 'expiring_soon', period: 6, workspaceId: A, at: T0 + 2 })).toBe(true);
        expect(await s.recordNotice({ keyId: k1.id, kind: 'quota_low', period: 5, workspaceId: A, at: T0 + 3 })).toBe(true);
        expect(await s.recordNotice({ keyId: k2.id, kind: 'expiring_soon', period: 5, workspaceId: B, at: T0 + 4 })).toBe(true);
        const found = await s.notices([k1.id, k2.id, 'key_unknown'], 'expiring_soon');
        expect(found.map((n) => `${n.keyId}:${n.period}`).sort()).toEqual([`${k1.id}:5`, `${k1.id}:6`, `${k2.id}:5`].sort());
        expect(found.find((n) => n.keyId === k1.id && n.period === 5)).toEqual({ keyId: k1.id, kind: 'expiring_soon', period: 5, workspaceId: A, at: T0 });
        expect(await s.notices([k2.id], 'quota_low')).toEqual([]);
        expect(await s.notices([], 'quota_low')).toEqual([]);
      });

      it('rolls back with the transaction it was recorded in, and takes large periods (epoch ms)', async () => {
        const [k] = await insert(apiKey(A));
        if (k === undefined) throw new Error('no key');
        await expect(
          store.transact(async (tx) => {
            expect(await tx.scheduler.recordNotice({ keyId: k.id, kind: 'rotated', period: 1, workspaceId: A, at: T0 })).toBe(true);
            throw new Error('roll back');
          }),
        ).rejects.toThrow('roll back');
        expect(await store.scheduler.notices([k.id], 'rotated')).toEqual([]);
        const period = Date.UTC(2099, 11, 31, 23, 59, 59, 999);
        expect(await store.scheduler.recordNotice({ keyId: k.id, kind: 'idle_suspended', period, workspaceId: A, at: T0 })).toBe(true);
        expect((await store.scheduler.notices([k.id], 'idle_suspended'))[0]?.period).toBe(period);
      });
    });

    describe('scans', () => {
      it('keysWithRotation: active, not rotated, with a policy, across workspaces, paged in id order', async () => {
        const policy = { everyDays: 30, graceHours: 24, mode: 'vault' as const, vaultPath: 'consumers/acme/key' };
        const keys = await insert(
          apiKey(A, { rotation: policy }),
          apiKey(B, { rotation: { everyDays: 7, graceHours: 0, mode: 'notify' } }),
          apiKey(A),
          apiKey(A, { rotation: policy, status: 'suspended' }),
          apiKey(A, { rotation: policy, status: 'revoked' }),
          apiKey(A, { rotation: policy, replacedById: 'key_successor' }),
          apiKey(B, { rotation: policy }),
        );
        const wanted = ids([keys[0], keys[1], keys[6]].filter((k): k is ApiKeyRecord => k !== undefined));
        expect(ids(await store.scheduler.keysWithRotation({ limit: 10 }))).toEqual(wanted);
        const first = await store.scheduler.keysWithRotation({ limit: 2 });
        expect(ids(first)).toEqual(wanted.slice(0, 2));
        expect(ids(await store.scheduler.keysWithRotation({ limit: 2, afterId: wanted[1] }))).toEqual(wanted.slice(2));
        expect(first[0]?.rotation).toEqual(policy);
        expect(first[1]?.rotation).toEqual({ everyDays: 7, graceHours: 0, mode: 'notify' });
      });

      it('keysExpiringBetween: expiry in (from, to], not revoked nor rotated (suspended ones too)', async () => {
        const keys = await insert(
          apiKey(A, { expiresAt: T0 + DAY }),
          apiKey(A, { expiresAt: T0 + 7 * DAY }),
          apiKey(B, { expiresAt: T0 + 7 * DAY + 1 }),
          apiKey(A, { expiresAt: T0 }),
          apiKey(A, { expiresAt: T0 + DAY, status: 'suspended' }),
          apiKey(A, { expiresAt: T0 + DAY, status: 'revoked' }),
          apiKey(A, { expiresAt: T0 + DAY, replacedById: 'key_successor' }),
          apiKey(A),
        );
        const got = await store.scheduler.keysExpiringBetween(T0, T0 + 7 * DAY, { limit: 10 });
        expect(ids(got)).toEqual(ids([keys[0], keys[1], keys[4]].filter((k): k is ApiKeyRecord => k !== undefined)));
        expect(ids(await store.scheduler.keysExpiringBetween(T0, T0 + 7 * DAY, { limit: 1, afterId: got[0]?.id }))).toEqual([got[1]?.id]);
      });

      it('keysWithCredits: active, not rotated, with a credit quota', async () => {
        const credits = { quota: 100, refill: 'daily' as const };
        const keys = await insert(
          apiKey(A, { enforcement: { signing: null, rateLimits: [], credits } }),
          apiKey(A),
          apiKey(B, { enforcement: { signing: null, rateLimits: [{ name: 'm', algorithm: 'token-bucket', limit: 1, windowSeconds: 1 }], credits: { quota: 0, refill: 'none' } } }),
          apiKey(A, { enforcement: { signing: null, rateLimits: [], credits }, status: 'suspended' }),
          apiKey(A, { enforcement: { signing: null, rateLimits: [], credits }, replacedById: 'key_successor' }),
        );
        const got = await store.scheduler.keysWithCredits({ limit: 10 });
        expect(ids(got)).toEqual(ids([keys[0], keys[2]].filter((k): k is ApiKeyRecord => k !== undefined)));
        expect(got[0]?.enforcement.credits).toEqual(credits);
      });

      it('keysWithAnyScope: active, not rotated, holding one of the scopes', async () => {
        const keys = await insert(
          apiKey(A, { scopes: ['prices:read', 'portfolio:trade'] }),
          apiKey(B, { scopes: ['keys:write'] }),
          apiKey(A, { scopes: ['prices:read', 'index:read'] }),
          apiKey(A, { scopes: ['portfolio:trade'], status: 'suspended' }),
          apiKey(A, { scopes: ['portfolio:trade'], replacedById: 'key_successor' }),
          apiKey(A, { scopes: ['portfolio:tradex'] }),
        );
        const got = await store.scheduler.keysWithAnyScope(['portfolio:trade', 'keys:write'], { limit: 10 });
        expect(ids(got)).toEqual(ids([keys[0], keys[1]].filter((k): k is ApiKeyRecord => k !== undefined)));
        expect(await store.scheduler.keysWithAnyScope([], { limit: 10 })).toEqual([]);
      });
    });

    describe('the rotation policy of a key', () => {
      it('is stored, changed and removed with the key', async () => {
        const vault = { everyDays: 90, graceHours: 24, mode: 'vault' as const, vaultPath: 'a/b' };
        const [k] = await insert(apiKey(A, { rotation: vault }));
        if (k === undefined) throw new Error('no key');
        expect((await store.keys.findById(A, k.id))?.rotation).toEqual(vault);
        expect((await store.keys.findByHash(k.hash))?.rotation).toEqual(vault);
        const notify = { everyDays: 30, graceHours: 0, mode: 'notify' as const };
        expect((await store.transact((tx) => tx.keys.update(A, k.id, { rotation: notify })))?.rotation).toEqual(notify);
        // Other changes leave it alone; null removes it.
        expect((await store.transact((tx) => tx.keys.update(A, k.id, { name: 'renamed' })))?.rotation).toEqual(notify);
        expect((await store.transact((tx) => tx.keys.update(A, k.id, { rotation: null })))?.rotation).toBeNull();
        expect((await store.keys.list(A, { limit: 10 })).find((x) => x.id === k.id)?.rotation).toBeNull();
      });
    });
  });
}
