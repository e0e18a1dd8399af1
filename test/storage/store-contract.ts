import { createHash, randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Store } from '../../src/core/ports/store.ts';
import type { AdminTokenRecord, ApiKeyRecord, AuditCheckpoint, AuditEvent, Workspace } from '../../src/core/model.ts';
import type { QuoteRecord, SecretVersionRecord, TradeRecord } from '../../src/core/ports/store.ts';
import type { AlertFilter, AlertRecord, UsageBucketRow, WebhookDeliveryRecord, WebhookEndpointRecord } from '../../src/core/ports/store.ts';
import { keyRecord } from '../support/key-record.ts';
import { runUsersContract } from './users-contract.ts';
import { runSigningSecretsContract } from './signing-secrets-contract.ts';
import { SCOPE_NOT_RECORDED } from '../../src/core/ports/monitor-store.ts';

export interface OpenedStore {
  store: Store;
  cleanup: () => Promise<void>;
}

const T0 = Date.UTC(2025, 0, 1);

/** Ids of one kind in creation order; mixed case so byte order differs from a locale's. */
function ids(prefix: string, n: number): string[] {
  const alphabet = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
  return Array.from({ length: n }, (_, i) => {
    const c = alphabet[(i * 7) % alphabet.length] ?? '0';
    return `${prefix}_${String(i).padStart(4, '0')}${c}${randomBytes(4).toString('hex')}`;
  });
}

function hex(): string {
  return createHash('sha256').update(randomBytes(16)).digest('hex');
}

function workspace(id: string, over: Partial<Workspace> = {}): Workspace {
  return { id, name: `Workspace ${id}`, createdAt: T0, operator: false, ...over };
}

function apiKey(workspaceId: string, id: string, over: Partial<ApiKeyRecord> = {}): ApiKeyRecord {
  return keyRecord({ id, workspaceId, name: `key ${id}`, scopes: ['keys:read', 'keys:write'], createdAt: T0, updatedAt: T0, ...over });
}

function token(workspaceId: string, id: string, over: Partial<AdminTokenRecord> = {}): AdminTokenRecord {
  return {
    id,
    workspaceId,
    name: `token ${id}`,
    role: 'admin',
    hash: hex(),
    start: 'clv_adm_WxYz',
    createdAt: T0,
    expiresAt: null,
    revokedAt: null,
    createdBy: null,
    userId: null,
    ...over,
  };
}

function event(workspaceId: string, seq: number, over: Partial<AuditEvent> = {}): AuditEvent {
  return {
    id: `evt_${workspaceId}_${seq}_${randomBytes(4).toString('hex')}`,
    workspaceId,
    seq,
    time: new Date(T0 + seq * 1000).toISOString(),
    actor: { type: 'token', id: 'tok_actor' },
    action: 'key.create',
    target: { type: 'key', id: `key_${seq}` },
    data: {},
    ...over,
  };
}

function checkpoint(workspaceId: string, treeSize: number, over: Partial<AuditCheckpoint> = {}): AuditCheckpoint {
  return { workspaceId, treeSize, rootHash: hex(), createdAt: T0 + treeSize, note: `note ${treeSize}\n`, ...over };
}

/** Every page of a cursor listing, following afterId until a short page. */
async function allPages<T extends { id: string }>(
  fetch: (afterId: string | undefined) => Promise<T[]>,
  limit: number,
): Promise<T[][]> {
  const pages: T[][] = [];
  let afterId: string | undefined;
  for (;;) {
    const page = await fetch(afterId);
    pages.push(page);
    const last = page.at(-1);
    if (page.length < limit || last === undefined) return pages;
    afterId = last.id;
  }
}

/**
 * The behaviour every Store adapter must share. `open` gives a fresh, empty store per test.
 *
 * @example runStoreContract('memory', async () => ({ store: createMemoryStore(), cleanup: async () => {} }))
 */
export function runStoreContract(name: string, open: () => Promise<OpenedStore>): void {
  describe(`${name} store contract`, () => {
    let store: Store;
    let cleanup: () => Promise<void>;
    const WS = 'ws_0001A';
    const OTHER = 'ws_0002B';

    beforeEach(async () => {
      ({ store, cleanup } = await open());
      await store.transact(async (tx) => {
        await tx.workspaces.insert(workspace(WS, { operator: true }));
        await tx.workspaces.insert(workspace(OTHER));
      });
    });

    afterEach(async () => {
      await cleanup();
    });

    /** Appends events 0..n-1 to a workspace log the way the audit service will. */
    async function appendEvents(workspaceId: string, events: ((seq: number) => Partial<AuditEvent>)[]): Promise<StoredPair[]> {
      const out: StoredPair[] = [];
      for (const over of events) {
        await store.transact(async (tx) => {
          const seq = await tx.audit.nextSeq(workspaceId);
          const ev = event(workspaceId, seq, over(seq));
          const leafHash = hex();
          await tx.audit.insert(ev, leafHash);
          out.push({ event: ev, leafHash });
        });
      }
      return out;
    }

    describe('basics', () => {
      it('reports its kind and answers ping', async () => {
        expect(['memory', 'sqlite', 'postgres']).toContain(store.kind);
        await expect(store.ping()).resolves.toBeUndefined();
      });
    });

    describe('workspaces', () => {
      it('round-trips records, including the operator flag both ways', async () => {
        expect(await store.workspaces.findById(WS)).toEqual(workspace(WS, { operator: true }));
        expect(await store.workspaces.findById(OTHER)).toEqual(workspace(OTHER));
        expect(await store.workspaces.findById('ws_missing')).toBeNull();
      });

      it('rejects a duplicate id', async () => {
        await expect(store.transact((tx) => tx.workspaces.insert(workspace(WS)))).rejects.toThrow();
      });

      it('lists in id order with afterId and limit', async () => {
        const extra = ids('ws_x', 5);
        await store.transact(async (tx) => {
          for (const id of [...extra].reverse()) await tx.workspaces.insert(workspace(id));
        });
        const all = [WS, OTHER, ...extra].sort();
        const pages = await allPages((afterId) => store.workspaces.list({ afterId, limit: 3 }), 3);
        expect(pages.map((p) => p.length)).toEqual([3, 3, 1]);
        expect(pages.flat().map((w) => w.id)).toEqual(all);
        expect(await store.workspaces.list({ limit: 0 })).toEqual([]);
        expect(await store.workspaces.list({ afterId: all.at(-1), limit: 10 })).toEqual([]);
      });
    });

    describe('keys', () => {
      it('round-trips a fully populated record', async () => {
        const [id] = ids('key', 1);
        const key = apiKey(WS, id ?? '', {
          environment: 'test',
          scopes: ['a:b'],
          status: 'suspended',
          expiresAt: T0 + 86_400_000,
          ipAllowlist: ['10.0.0.0/8', '2001:db8::/32'],
          metadata: { team: 'payments', nested: { list: [1, 'two', null, true], empty: {}, none: null }, n: 1.5 },
          ownerId: 'user_42',
          replacesId: 'key_old',
          replacedById: 'key_new',
          revokedAt: T0 + 5,
          revokeReason: 'leaked in a log',
          suspendedAt: T0 + 6,
        });
        await store.transact((tx) => tx.keys.insert(key));
        expect(await store.keys.findById(WS, key.id)).toEqual(key);
        expect(await store.keys.findByHash(key.hash)).toEqual(key);
      });

      it('round-trips empty arrays, empty metadata and nulls', async () => {
        const key = apiKey(WS, 'key_0000empty', { scopes: [], ipAllowlist: [], metadata: {} });
        await store.transact((tx) => tx.keys.insert(key));
        const found = await store.keys.findById(WS, key.id);
        expect(found).toEqual(key);
        expect(found?.expiresAt).toBeNull();
        expect(found?.ownerId).toBeNull();
      });

      it('hands out copies: mutating a returned or inserted record changes nothing stored', async () => {
        const key = apiKey(WS, 'key_0000copy', { metadata: { a: { b: 1 } }, scopes: ['x'] });
        await store.transact((tx) => tx.keys.insert(key));
        key.scopes.push('mutated-after-insert');
        const found = await store.keys.findById(WS, key.id);
        expect(found?.scopes).toEqual(['x']);
        found?.scopes.push('mutated-after-read');
        if (found) (found.metadata as { a: { b: number } }).a.b = 2;
        expect(await store.keys.findById(WS, key.id)).toMatchObject({ scopes: ['x'], metadata: { a: { b: 1 } } });
      });

      it('does not find a key through another workspace', async () => {
        const key = apiKey(WS, 'key_0000iso');
        await store.transact((tx) => tx.keys.insert(key));
        expect(await store.keys.findById(OTHER, key.id)).toBeNull();
        expect(await store.keys.findById(WS, 'key_missing')).toBeNull();
      });

      it('finds by hash across workspaces, and null for an unknown hash', async () => {
        const key = apiKey(OTHER, 'key_0000hash');
        await store.transact((tx) => tx.keys.insert(key));
        expect((await store.keys.findByHash(key.hash))?.workspaceId).toBe(OTHER);
        expect(await store.keys.findByHash(hex())).toBeNull();
      });

      it('rejects a second key with the same hash', async () => {
        const a = apiKey(WS, 'key_0000a');
        await store.transact((tx) => tx.keys.insert(a));
        await expect(store.transact((tx) => tx.keys.insert(apiKey(OTHER, 'key_0000b', { hash: a.hash })))).rejects.toThrow();
        expect(await store.keys.findById(OTHER, 'key_0000b')).toBeNull();
      });

      it('rejects a duplicate id and a key in a workspace that does not exist', async () => {
        const a = apiKey(WS, 'key_0000dup');
        await store.transact((tx) => tx.keys.insert(a));
        await expect(store.transact((tx) => tx.keys.insert(apiKey(WS, a.id)))).rejects.toThrow();
        await expect(store.transact((tx) => tx.keys.insert(apiKey('ws_nowhere', 'key_0000orphan')))).rejects.toThrow();
      });

      it('update changes only the fields given and returns the new record', async () => {
        const key = apiKey(WS, 'key_0000upd', { metadata: { keep: true }, expiresAt: T0 + 10, ownerId: 'user_1' });
        await store.transact((tx) => tx.keys.insert(key));
        const updated = await store.transact((tx) =>
          tx.keys.update(WS, key.id, { name: 'renamed', updatedAt: T0 + 1, metadata: { replaced: { deep: [1] } } }),
        );
        const expected = { ...key, name: 'renamed', updatedAt: T0 + 1, metadata: { replaced: { deep: [1] } } };
        expect(updated).toEqual(expected);
        expect(await store.keys.findById(WS, key.id)).toEqual(expected);
      });

      it('update sets and clears nullable fields, and every patchable field', async () => {
        const key = apiKey(WS, 'key_0000all', { expiresAt: T0 + 10 });
        await store.transact((tx) => tx.keys.insert(key));
        const patch = {
          name: 'n2',
          scopes: [],
          status: 'revoked' as const,
          updatedAt: T0 + 2,
          expiresAt: null,
          ipAllowlist: ['192.0.2.1'],
          metadata: {},
          replacedById: 'key_next',
          revokedAt: T0 + 3,
          revokeReason: 'rotated',
          suspendedAt: T0 + 4,
          enforcement: {
            signing: { scheme: 'ed25519' as const, publicKey: Buffer.alloc(32, 7).toString('base64') },
            rateLimits: [{ name: 'burst', algorithm: 'token-bucket' as const, limit: 20, windowSeconds: 1 }],
            credits: { quota: 1000, refill: 'monthly' as const },
          },
        };
        const updated = await store.transact((tx) => tx.keys.update(WS, key.id, patch));
        expect(updated).toEqual({ ...key, ...patch });
        const cleared = await store.transact((tx) =>
          tx.keys.update(WS, key.id, { replacedById: null, revokedAt: null, revokeReason: null, suspendedAt: null }),
        );
        expect(cleared).toEqual({ ...key, ...patch, replacedById: null, revokedAt: null, revokeReason: null, suspendedAt: null });
      });

      it('update with an empty patch changes nothing', async () => {
        const key = apiKey(WS, 'key_0000noop');
        await store.transact((tx) => tx.keys.insert(key));
        expect(await store.transact((tx) => tx.keys.update(WS, key.id, {}))).toEqual(key);
        expect(await store.transact((tx) => tx.keys.update(WS, key.id, { name: undefined }))).toEqual(key);
      });

      it('update returns null for a missing key or one in another workspace, and changes nothing', async () => {
        const key = apiKey(WS, 'key_0000upmiss');
        await store.transact((tx) => tx.keys.insert(key));
        expect(await store.transact((tx) => tx.keys.update(WS, 'key_missing', { name: 'x' }))).toBeNull();
        expect(await store.transact((tx) => tx.keys.update(OTHER, key.id, { name: 'x' }))).toBeNull();
        expect(await store.keys.findById(WS, key.id)).toEqual(key);
      });

      it('lists one workspace only, in id order, across several pages', async () => {
        const mine = ids('key', 7);
        const theirs = ids('key_o', 4);
        await store.transact(async (tx) => {
          for (const id of [...mine].reverse()) await tx.keys.insert(apiKey(WS, id));
          for (const id of theirs) await tx.keys.insert(apiKey(OTHER, id));
        });
        const pages = await allPages((afterId) => store.keys.list(WS, { afterId, limit: 3 }), 3);
        expect(pages.map((p) => p.length)).toEqual([3, 3, 1]);
        expect(pages.flat().map((k) => k.id)).toEqual([...mine].sort());
        expect(pages.flat().every((k) => k.workspaceId === WS)).toBe(true);
        expect((await store.keys.list(OTHER, { limit: 100 })).map((k) => k.id)).toEqual([...theirs].sort());
        expect(await store.keys.list('ws_empty', { limit: 100 })).toEqual([]);
      });

      it('orders ids by code unit (case-sensitive), not by locale', async () => {
        const idsMixed = ['key_b0', 'key_A0', 'key_a0', 'key_B0', 'key_00', 'key_Z0', 'key_z0'];
        await store.transact(async (tx) => {
          for (const id of idsMixed) await tx.keys.insert(apiKey(WS, id));
        });
        const expected = [...idsMixed].sort();
        expect((await store.keys.list(WS, { limit: 100 })).map((k) => k.id)).toEqual(expected);
        expect((await store.keys.list(WS, { afterId: 'key_Z0', limit: 100 })).map((k) => k.id)).toEqual(
          expected.filter((id) => id > 'key_Z0'),
        );
      });

      it('filters by environment, status and owner, together with pagination', async () => {
        await store.transact(async (tx) => {
          await tx.keys.insert(apiKey(WS, 'key_01', { environment: 'live', status: 'active', ownerId: 'u1' }));
          await tx.keys.insert(apiKey(WS, 'key_02', { environment: 'test', status: 'active', ownerId: 'u1' }));
          await tx.keys.insert(apiKey(WS, 'key_03', { environment: 'live', status: 'revoked', ownerId: 'u2' }));
          await tx.keys.insert(apiKey(WS, 'key_04', { environment: 'dev', status: 'suspended', ownerId: null }));
          await tx.keys.insert(apiKey(WS, 'key_05', { environment: 'live', status: 'active', ownerId: 'u1' }));
          await tx.keys.insert(apiKey(OTHER, 'key_06', { environment: 'live', status: 'active', ownerId: 'u1' }));
        });
        const listIds = async (filter: Parameters<Store['keys']['list']>[1]): Promise<string[]> =>
          (await store.keys.list(WS, filter)).map((k) => k.id);
        expect(await listIds({ limit: 10, environment: 'live' })).toEqual(['key_01', 'key_03', 'key_05']);
        expect(await listIds({ limit: 10, status: 'active' })).toEqual(['key_01', 'key_02', 'key_05']);
        expect(await listIds({ limit: 10, ownerId: 'u1' })).toEqual(['key_01', 'key_02', 'key_05']);
        expect(await listIds({ limit: 10, environment: 'live', status: 'active', ownerId: 'u1' })).toEqual(['key_01', 'key_05']);
        expect(await listIds({ limit: 1, environment: 'live', afterId: 'key_01' })).toEqual(['key_03']);
        expect(await listIds({ limit: 10, status: 'suspended' })).toEqual(['key_04']);
        expect(await listIds({ limit: 10, ownerId: 'nobody' })).toEqual([]);
      });
    });

    describe('tokens', () => {
      it('round-trips records and finds by hash', async () => {
        const t = token(WS, 'tok_0001', { role: 'owner', expiresAt: T0 + 99, createdBy: 'tok_0000', revokedAt: T0 + 1 });
        const u = token(WS, 'tok_0002', { role: 'read-only' });
        await store.transact(async (tx) => {
          await tx.tokens.insert(t);
          await tx.tokens.insert(u);
        });
        expect(await store.tokens.findById(WS, t.id)).toEqual(t);
        expect(await store.tokens.findById(WS, u.id)).toEqual(u);
        expect(await store.tokens.findByHash(u.hash)).toEqual(u);
        expect(await store.tokens.findByHash(hex())).toBeNull();
      });

      it('keeps workspaces apart', async () => {
        const t = token(WS, 'tok_0001');
        await store.transact((tx) => tx.tokens.insert(t));
        expect(await store.tokens.findById(OTHER, t.id)).toBeNull();
        expect(await store.tokens.list(OTHER, { limit: 10 })).toEqual([]);
      });

      it('rejects a second token with the same hash', async () => {
        const t = token(WS, 'tok_0001');
        await store.transact((tx) => tx.tokens.insert(t));
        await expect(store.transact((tx) => tx.tokens.insert(token(OTHER, 'tok_0002', { hash: t.hash })))).rejects.toThrow();
      });

      it('revoke sets revokedAt and returns the record; null when missing or in another workspace', async () => {
        const t = token(WS, 'tok_0001');
        await store.transact((tx) => tx.tokens.insert(t));
        expect(await store.transact((tx) => tx.tokens.revoke(OTHER, t.id, T0 + 5))).toBeNull();
        expect(await store.tokens.findById(WS, t.id)).toEqual(t);
        expect(await store.transact((tx) => tx.tokens.revoke(WS, 'tok_missing', T0 + 5))).toBeNull();
        const revoked = await store.transact((tx) => tx.tokens.revoke(WS, t.id, T0 + 5));
        expect(revoked).toEqual({ ...t, revokedAt: T0 + 5 });
        expect(await store.tokens.findById(WS, t.id)).toEqual({ ...t, revokedAt: T0 + 5 });
      });

      it('lists in id order across pages', async () => {
        const mine = ids('tok', 5);
        await store.transact(async (tx) => {
          for (const id of [...mine].reverse()) await tx.tokens.insert(token(WS, id));
          await tx.tokens.insert(token(OTHER, 'tok_other'));
        });
        const pages = await allPages((afterId) => store.tokens.list(WS, { afterId, limit: 2 }), 2);
        expect(pages.map((p) => p.length)).toEqual([2, 2, 1]);
        expect(pages.flat().map((t) => t.id)).toEqual([...mine].sort());
      });

      it('anyOwner is true once any owner token exists, even a revoked one', async () => {
        expect(await store.tokens.anyOwner()).toBe(false);
        await store.transact((tx) => tx.tokens.insert(token(WS, 'tok_0001', { role: 'admin' })));
        expect(await store.tokens.anyOwner()).toBe(false);
        await store.transact((tx) => tx.tokens.insert(token(OTHER, 'tok_0002', { role: 'owner', revokedAt: T0 })));
        expect(await store.tokens.anyOwner()).toBe(true);
      });
    });

    describe('audit log', () => {
      it('nextSeq counts from 0, gapless, independently per workspace', async () => {
        const seqs = await store.transact(async (tx) => [
          await tx.audit.nextSeq(WS),
          await tx.audit.nextSeq(WS),
          await tx.audit.nextSeq(OTHER),
          await tx.audit.nextSeq(WS),
          await tx.audit.nextSeq(OTHER),
        ]);
        expect(seqs).toEqual([0, 1, 0, 2, 1]);
        expect(await store.transact((tx) => tx.audit.nextSeq(WS))).toBe(3);
      });

      it('round-trips events with nested data, null target and the time string verbatim', async () => {
        const withTarget = event(WS, 0, {
          data: { name: 'k', scopes: ['a', 'b'], nested: { deep: { x: [1, { y: null }] } }, flag: false, n: 0 },
        });
        const noTarget = event(WS, 1, { target: null, actor: { type: 'system', id: 'checkpointer' }, action: 'audit.checkpoint' });
        const h0 = hex();
        const h1 = hex();
        await store.transact(async (tx) => {
          await tx.audit.insert(withTarget, h0);
          await tx.audit.insert(noTarget, h1);
        });
        expect(await store.audit.findBySeq(WS, 0)).toEqual({ event: withTarget, leafHash: h0 });
        expect(await store.audit.findBySeq(WS, 1)).toEqual({ event: noTarget, leafHash: h1 });
        expect(await store.audit.findBySeq(WS, 2)).toBeNull();
        expect(await store.audit.findBySeq(OTHER, 0)).toBeNull();
        expect((await store.audit.findBySeq(WS, 0))?.event.time).toBe(withTarget.time);
      });

      it('rejects a second event at the same seq, and a duplicate event id', async () => {
        const e = event(WS, 0);
        await store.transact((tx) => tx.audit.insert(e, hex()));
        await expect(store.transact((tx) => tx.audit.insert(event(WS, 0), hex()))).rejects.toThrow();
        await expect(store.transact((tx) => tx.audit.insert({ ...event(WS, 1), id: e.id }, hex()))).rejects.toThrow();
      });

      it('lists in seq order, per workspace, with size and leafHashes', async () => {
        const mine = await appendEvents(WS, Array.from({ length: 5 }, () => () => ({})));
        await appendEvents(OTHER, [() => ({})]);
        expect(await store.audit.list(WS, { limit: 100 })).toEqual(mine);
        expect(await store.audit.size(WS)).toBe(5);
        expect(await store.audit.size(OTHER)).toBe(1);
        expect(await store.audit.size('ws_empty')).toBe(0);
        expect(await store.audit.leafHashes(WS, 0, 5)).toEqual(mine.map((m) => m.leafHash));
        expect(await store.audit.leafHashes(WS, 1, 3)).toEqual(mine.slice(1, 3).map((m) => m.leafHash));
        expect(await store.audit.leafHashes(WS, 2, 2)).toEqual([]);
        expect(await store.audit.leafHashes(WS, 4, 99)).toEqual(mine.slice(4).map((m) => m.leafHash));
        expect(await store.audit.leafHashes(OTHER, 1, 5)).toEqual([]);
      });

      it('filters by seq range, time, actor, target, action and limit', async () => {
        const events = await appendEvents(WS, [
          () => ({ actor: { type: 'token', id: 'tok_a' }, action: 'key.create', target: { type: 'key', id: 'key_1' } }),
          () => ({ actor: { type: 'token', id: 'tok_b' }, action: 'key.revoke', target: { type: 'key', id: 'key_1' } }),
          () => ({ actor: { type: 'token', id: 'tok_a' }, action: 'token.create', target: { type: 'token', id: 'tok_c' } }),
          () => ({ actor: { type: 'system', id: 'sys' }, action: 'audit.checkpoint', target: null }),
          () => ({ actor: { type: 'token', id: 'tok_a' }, action: 'key.create', target: { type: 'key', id: 'key_2' } }),
          () => ({ actor: { type: 'token', id: 'tok_b' }, action: 'key.create', target: { type: 'key', id: 'key_1' } }),
        ]);
        await appendEvents(OTHER, [() => ({ actor: { type: 'token', id: 'tok_a' } })]);
        const seqs = async (filter: Parameters<Store['audit']['list']>[1]): Promise<number[]> =>
          (await store.audit.list(WS, filter)).map((s) => s.event.seq);
        const timeOf = (seq: number): number => Date.parse(events[seq]?.event.time ?? '');

        expect(await seqs({ limit: 100, fromSeq: 2 })).toEqual([2, 3, 4, 5]);
        expect(await seqs({ limit: 100, toSeq: 2 })).toEqual([0, 1, 2]);
        expect(await seqs({ limit: 100, fromSeq: 1, toSeq: 3 })).toEqual([1, 2, 3]);
        expect(await seqs({ limit: 100, since: timeOf(2) })).toEqual([2, 3, 4, 5]);
        expect(await seqs({ limit: 100, until: timeOf(2) })).toEqual([0, 1, 2]);
        expect(await seqs({ limit: 100, since: timeOf(1) + 1, until: timeOf(3) + 1 })).toEqual([2, 3]);
        expect(await seqs({ limit: 100, actorId: 'tok_a' })).toEqual([0, 2, 4]);
        expect(await seqs({ limit: 100, targetId: 'key_1' })).toEqual([0, 1, 5]);
        expect(await seqs({ limit: 100, action: 'key.create' })).toEqual([0, 4, 5]);
        expect(await seqs({ limit: 100, action: 'key.create', actorId: 'tok_b', targetId: 'key_1' })).toEqual([5]);
        expect(await seqs({ limit: 2, actorId: 'tok_a' })).toEqual([0, 2]);
        expect(await seqs({ limit: 2, fromSeq: 3 })).toEqual([3, 4]);
        expect(await seqs({ limit: 0 })).toEqual([]);
        expect(await seqs({ limit: 100, actorId: 'nobody' })).toEqual([]);
      });

      it('commits a change and its event together', async () => {
        const key = apiKey(WS, 'key_0000tx');
        const seq = await store.transact(async (tx) => {
          await tx.keys.insert(key);
          const s = await tx.audit.nextSeq(WS);
          await tx.audit.insert(event(WS, s, { target: { type: 'key', id: key.id } }), hex());
          return s;
        });
        expect(seq).toBe(0);
        expect(await store.keys.findById(WS, key.id)).toEqual(key);
        expect(await store.audit.size(WS)).toBe(1);
      });

      it('a failed transaction rolls back the key and the event, and the seq is reused', async () => {
        await appendEvents(WS, [() => ({})]);
        const key = apiKey(WS, 'key_0000rb');
        const boom = new Error('boom');
        await expect(
          store.transact(async (tx) => {
            await tx.keys.insert(key);
            const s = await tx.audit.nextSeq(WS);
            expect(s).toBe(1);
            await tx.audit.insert(event(WS, s), hex());
            throw boom;
          }),
        ).rejects.toBe(boom);
        expect(await store.keys.findById(WS, key.id)).toBeNull();
        expect(await store.keys.findByHash(key.hash)).toBeNull();
        expect(await store.audit.findBySeq(WS, 1)).toBeNull();
        expect(await store.audit.size(WS)).toBe(1);
        expect(await store.transact((tx) => tx.audit.nextSeq(WS))).toBe(1);
      });

      it('a transaction failing on a constraint rolls back its earlier writes', async () => {
        const a = apiKey(WS, 'key_0000c1');
        await store.transact((tx) => tx.keys.insert(a));
        await expect(
          store.transact(async (tx) => {
            await tx.tokens.insert(token(WS, 'tok_0000c'));
            await tx.audit.nextSeq(WS);
            await tx.keys.insert(apiKey(WS, 'key_0000c2', { hash: a.hash }));
          }),
        ).rejects.toThrow();
        expect(await store.tokens.findById(WS, 'tok_0000c')).toBeNull();
        expect(await store.transact((tx) => tx.audit.nextSeq(WS))).toBe(0);
      });

      it('20 concurrent appending transactions get seq 0..19, no gaps or duplicates', async () => {
        await Promise.all(
          Array.from({ length: 20 }, () =>
            store.transact(async (tx) => {
              const seq = await tx.audit.nextSeq(WS);
              await tx.audit.insert(event(WS, seq), hex());
              return seq;
            }),
          ),
        ).then((seqs) => expect([...seqs].sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i)));
        const listed = await store.audit.list(WS, { limit: 100 });
        expect(listed.map((s) => s.event.seq)).toEqual(Array.from({ length: 20 }, (_, i) => i));
        expect(await store.audit.size(WS)).toBe(20);
      });

      it('concurrent appends to two workspaces and a failing one in between stay gapless', async () => {
        const runs = Array.from({ length: 12 }, (_, i) =>
          store.transact(async (tx) => {
            const ws = i % 2 === 0 ? WS : OTHER;
            const seq = await tx.audit.nextSeq(ws);
            await tx.audit.insert(event(ws, seq), hex());
            if (i % 5 === 4) throw new Error('fails after appending');
          }),
        );
        const outcomes = await Promise.allSettled(runs);
        expect(outcomes.filter((o) => o.status === 'rejected')).toHaveLength(2);
        const mine = (await store.audit.list(WS, { limit: 100 })).map((s) => s.event.seq);
        const theirs = (await store.audit.list(OTHER, { limit: 100 })).map((s) => s.event.seq);
        expect(mine).toEqual(Array.from({ length: mine.length }, (_, i) => i));
        expect(theirs).toEqual(Array.from({ length: theirs.length }, (_, i) => i));
        expect(mine.length + theirs.length).toBe(10);
      });

      it('returns the callback value, and repos leaked out of a transaction stop working', async () => {
        let leaked: Parameters<Parameters<Store['transact']>[0]>[0] | undefined;
        const value = await store.transact(async (tx) => {
          leaked = tx;
          return { ok: 1 };
        });
        expect(value).toEqual({ ok: 1 });
        await expect(leaked?.workspaces.findById(WS)).rejects.toThrow(/transaction/);
      });

      it('reads outside a transaction do not see its uncommitted writes', async () => {
        let release = (): void => undefined;
        const gate = new Promise<void>((resolve) => {
          release = resolve;
        });
        let inserted = (): void => undefined;
        const insertedSignal = new Promise<void>((resolve) => {
          inserted = resolve;
        });
        const key = apiKey(WS, 'key_0000dirty');
        const running = store.transact(async (tx) => {
          await tx.keys.insert(key);
          inserted();
          await gate;
          throw new Error('roll back');
        });
        await insertedSignal;
        const read = store.keys.findByHash(key.hash);
        release();
        await expect(running).rejects.toThrow('roll back');
        expect(await read).toBeNull();
      });
    });

    describe('checkpoints', () => {
      it('inserts, ignores a duplicate tree size, and lists newest first', async () => {
        const cps = [1, 3, 5, 8].map((n) => checkpoint(WS, n));
        await store.transact(async (tx) => {
          for (const cp of cps) await tx.audit.insertCheckpoint(cp);
          await tx.audit.insertCheckpoint(checkpoint(OTHER, 2));
        });
        await expect(store.transact((tx) => tx.audit.insertCheckpoint(checkpoint(WS, 3, { note: 'other' })))).resolves.toBeUndefined();
        const newestFirst = [...cps].reverse();
        expect(await store.audit.listCheckpoints(WS, 10)).toEqual(newestFirst);
        expect(await store.audit.listCheckpoints(WS, 2)).toEqual(newestFirst.slice(0, 2));
        expect(await store.audit.listCheckpoints(WS, 10, 5)).toEqual([cps[1], cps[0]]);
        expect(await store.audit.listCheckpoints(WS, 1, 5)).toEqual([cps[1]]);
        expect(await store.audit.listCheckpoints(WS, 10, 1)).toEqual([]);
        expect(await store.audit.listCheckpoints('ws_empty', 10)).toEqual([]);
      });

      it('latestCheckpoint and checkpointCovering', async () => {
        expect(await store.audit.latestCheckpoint(WS)).toBeNull();
        expect(await store.audit.checkpointCovering(WS, 1)).toBeNull();
        const cps = [2, 4, 7].map((n) => checkpoint(WS, n));
        await store.transact(async (tx) => {
          for (const cp of cps) await tx.audit.insertCheckpoint(cp);
          await tx.audit.insertCheckpoint(checkpoint(OTHER, 100));
        });
        expect(await store.audit.latestCheckpoint(WS)).toEqual(cps[2]);
        expect(await store.audit.checkpointCovering(WS, 0)).toEqual(cps[0]);
        expect(await store.audit.checkpointCovering(WS, 4)).toEqual(cps[1]);
        expect(await store.audit.checkpointCovering(WS, 5)).toEqual(cps[2]);
        expect(await store.audit.checkpointCovering(WS, 8)).toBeNull();
      });

      it('workspacesNeedingCheckpoint lists logs grown past their latest checkpoint', async () => {
        expect(await store.audit.workspacesNeedingCheckpoint()).toEqual([]);
        await appendEvents(WS, [() => ({}), () => ({})]);
        await appendEvents(OTHER, [() => ({})]);
        expect(await store.audit.workspacesNeedingCheckpoint()).toEqual([WS, OTHER].sort());
        await store.transact((tx) => tx.audit.insertCheckpoint(checkpoint(WS, 2)));
        expect(await store.audit.workspacesNeedingCheckpoint()).toEqual([OTHER]);
        await store.transact((tx) => tx.audit.insertCheckpoint(checkpoint(OTHER, 1)));
        expect(await store.audit.workspacesNeedingCheckpoint()).toEqual([]);
        await appendEvents(WS, [() => ({})]);
        expect(await store.audit.workspacesNeedingCheckpoint()).toEqual([WS]);
      });
    });

    describe('vault: keyring and secrets', () => {
      const ref = (path: string, workspaceId = WS) => ({ workspaceId, environment: 'live' as const, path });
      const version = (path: string, v: number, over: Partial<SecretVersionRecord> = {}): SecretVersionRecord => ({
        ...ref(path),
        version: v,
        keyVersion: 1,
        wrappedKey: randomBytes(60),
        ciphertext: randomBytes(45),
        createdAt: T0 + v,
        createdBy: 'tok_writer',
        deletedAt: null,
        destroyedAt: null,
        ...over,
      });
      async function write(path: string, v: number, over: Partial<SecretVersionRecord> = {}, workspaceId = WS): Promise<SecretVersionRecord> {
        const rec = { ...version(path, v, over), workspaceId };
        await store.transact(async (tx) => {
          expect(await tx.secrets.advance({ ...ref(path), workspaceId }, v - 1, v, T0 + v)).toBe(true);
          await tx.secrets.insertVersion(rec);
        });
        return rec;
      }

      it('keeps one keyring row: create once, update fields, root keys by version', async () => {
        expect(await store.keyring.get()).toBeNull();
        const k = { provider: 'local' as const, currentVersion: 1, minDecryptionVersion: 1, providerData: { sealing: 'passphrase', kdf: { logN: 14 } }, createdAt: T0, updatedAt: T0 };
        expect(await store.transact((tx) => tx.keyring.create(k))).toBe(true);
        expect(await store.transact((tx) => tx.keyring.create({ ...k, provider: 'pkcs11' }))).toBe(false);
        expect(await store.keyring.get()).toEqual(k);
        expect(await store.transact((tx) => tx.keyring.update({ currentVersion: 3, updatedAt: T0 + 1 }))).toEqual({ ...k, currentVersion: 3, updatedAt: T0 + 1 });
        expect(await store.transact((tx) => tx.keyring.update({ minDecryptionVersion: 2, updatedAt: T0 + 2 }))).toMatchObject({ currentVersion: 3, minDecryptionVersion: 2 });
        const sealed = randomBytes(61);
        expect(await store.transact((tx) => tx.keyring.insertRootKey({ version: 2, sealed, createdAt: T0 }))).toBe(true);
        expect(await store.transact((tx) => tx.keyring.insertRootKey({ version: 1, sealed: null, createdAt: T0 }))).toBe(true);
        expect(await store.transact((tx) => tx.keyring.insertRootKey({ version: 2, sealed: randomBytes(61), createdAt: T0 }))).toBe(false);
        expect(await store.keyring.rootKeys()).toEqual([{ version: 1, sealed: null, createdAt: T0 }, { version: 2, sealed, createdAt: T0 }]);
      });

      it('round-trips versions with their bytes, per workspace and environment', async () => {
        const v1 = await write('exchanges/binance/api-key', 1);
        const v2 = await write('exchanges/binance/api-key', 2, { deletedAt: T0 + 9 });
        expect(await store.secrets.find(ref('exchanges/binance/api-key'))).toEqual({ ...ref('exchanges/binance/api-key'), currentVersion: 2, createdAt: T0 + 1, updatedAt: T0 + 2 });
        expect(await store.secrets.findVersion(ref('exchanges/binance/api-key'), 1)).toEqual(v1);
        expect(await store.secrets.listVersions(ref('exchanges/binance/api-key'))).toEqual([v1, v2]);
        expect(await store.secrets.find(ref('exchanges/binance/api-key', OTHER))).toBeNull();
        expect(await store.secrets.find({ ...ref('exchanges/binance/api-key'), environment: 'test' })).toBeNull();
        expect(await store.secrets.findVersion(ref('exchanges/binance/api-key'), 3)).toBeNull();
      });

      it('advance is a check-and-set: a stale expected version, or creating twice, changes nothing', async () => {
        await write('a', 1);
        expect(await store.transact((tx) => tx.secrets.advance(ref('a'), 0, 1, T0))).toBe(false);
        expect(await store.transact((tx) => tx.secrets.advance(ref('a'), 5, 6, T0))).toBe(false);
        expect((await store.secrets.find(ref('a')))?.currentVersion).toBe(1);
        await expect(store.transact((tx) => tx.secrets.insertVersion(version('a', 1)))).rejects.toThrow();
        await expect(store.transact((tx) => tx.secrets.insertVersion(version('never-advanced', 1)))).rejects.toThrow();
        await expect(store.transact((tx) => tx.secrets.advance(ref('a', 'ws_nowhere'), 0, 1, T0))).rejects.toThrow();
      });

      it('a rolled-back write leaves neither the version nor the advance', async () => {
        await expect(
          store.transact(async (tx) => {
            await tx.secrets.advance(ref('rb'), 0, 1, T0);
            await tx.secrets.insertVersion(version('rb', 1));
            throw new Error('roll back');
          }),
        ).rejects.toThrow('roll back');
        expect(await store.secrets.find(ref('rb'))).toBeNull();
        expect(await store.secrets.findVersion(ref('rb'), 1)).toBeNull();
      });

      it('updateVersion patches given fields (destroy nulls the bytes); pruneVersions drops old ones', async () => {
        for (let v = 1; v <= 4; v += 1) await write('p', v);
        expect(await store.transact((tx) => tx.secrets.updateVersion(ref('p'), 2, { destroyedAt: T0 + 50, ciphertext: null, wrappedKey: null, keyVersion: null }))).toBe(true);
        expect(await store.transact((tx) => tx.secrets.updateVersion(ref('p'), 9, { deletedAt: T0 }))).toBe(false);
        expect(await store.secrets.findVersion(ref('p'), 2)).toMatchObject({ destroyedAt: T0 + 50, ciphertext: null, wrappedKey: null, keyVersion: null, deletedAt: null });
        await store.transact((tx) => tx.secrets.updateVersion(ref('p'), 3, { deletedAt: T0 + 1 }));
        await store.transact((tx) => tx.secrets.updateVersion(ref('p'), 3, { deletedAt: null }));
        expect((await store.secrets.findVersion(ref('p'), 3))?.deletedAt).toBeNull();
        expect(await store.transact((tx) => tx.secrets.pruneVersions(ref('p'), 2))).toBe(2);
        expect((await store.secrets.listVersions(ref('p'))).map((v) => v.version)).toEqual([3, 4]);
      });

      it('lists metadata in (environment, path) order with a cursor, and the state of the latest version', async () => {
        await write('b', 1);
        await write('a/z', 1);
        await write('a/z', 2, { deletedAt: T0 });
        await write('B', 1);
        await write('x', 1, {}, OTHER);
        await store.transact(async (tx) => {
          await tx.secrets.advance({ ...ref('t'), environment: 'test' }, 0, 1, T0);
          await tx.secrets.insertVersion({ ...version('t', 1), environment: 'test' });
        });
        const all = await store.secrets.list(WS, { limit: 10 });
        expect(all.map((s) => `${s.environment}/${s.path}`)).toEqual(['live/B', 'live/a/z', 'live/b', 'test/t']);
        expect(all[1]).toMatchObject({ currentVersion: 2, currentDeletedAt: T0, currentDestroyedAt: null });
        expect((await store.secrets.list(WS, { limit: 2, after: { environment: 'live', path: 'a/z' } })).map((s) => s.path)).toEqual(['b', 't']);
        expect((await store.secrets.list(WS, { limit: 10, environment: 'test' })).map((s) => s.path)).toEqual(['t']);
        expect((await store.secrets.list(WS, { limit: 10, environment: 'live', after: { environment: 'live', path: 'B' } })).map((s) => s.path)).toEqual(['a/z', 'b']);
        expect(await store.secrets.list('ws_empty', { limit: 10 })).toEqual([]);
      });

      it('finds versions by key version across workspaces, rewraps with a check-and-set, counts per version', async () => {
        await write('k1', 1, { keyVersion: 1 });
        await write('k2', 1, { keyVersion: 2 });
        await write('k3', 1, { keyVersion: 1 }, OTHER);
        await write('k4', 1, { keyVersion: 3 });
        expect((await store.secrets.wrappedBetween(1, 3, 10)).map((v) => `${v.workspaceId}:${v.path}`)).toEqual([`${WS}:k1`, `${OTHER}:k3`, `${WS}:k2`]);
        expect((await store.secrets.wrappedBetween(2, 3, 10)).map((v) => v.path)).toEqual(['k2']);
        expect(await store.secrets.wrappedBetween(1, 3, 1)).toHaveLength(1);
        expect(await store.secrets.countByKeyVersion()).toEqual([{ keyVersion: 1, count: 2 }, { keyVersion: 2, count: 1 }, { keyVersion: 3, count: 1 }]);
        const moved = randomBytes(60);
        expect(await store.secrets.rewrap(ref('k1'), 1, 1, 3, moved)).toBe(true);
        expect(await store.secrets.rewrap(ref('k1'), 1, 1, 3, randomBytes(60))).toBe(false);
        expect(await store.secrets.findVersion(ref('k1'), 1)).toMatchObject({ keyVersion: 3, wrappedKey: moved });
        expect(await store.secrets.countByKeyVersion()).toEqual([{ keyVersion: 1, count: 1 }, { keyVersion: 2, count: 1 }, { keyVersion: 3, count: 2 }]);
      });
    });

    describe('paper trading: quotes, portfolios, waitlist', () => {
      const quote = (id: string, over: Partial<QuoteRecord> = {}): QuoteRecord => ({
        id,
        workspaceId: WS,
        keyId: 'key_quoter',
        ownerId: 'owner-1',
        instrument: 'ct100',
        side: 'buy',
        amountIn: 1000,
        expectedOut: 0.4123456789,
        minimumReceived: 0.41,
        unitPriceUsd: 2421.123456789,
        details: { legs: [{ assetId: 'bitcoin', fee: 1.5 }], tolerance: 0.005, asOf: '2025-01-01' },
        createdAt: T0,
        expiresAt: T0 + 30_000,
        usedAt: null,
        ...over,
      });
      const portfolio = (id: string, ownerId = 'owner-1', workspaceId = WS) => ({ id, workspaceId, ownerId, createdAt: T0 });
      const trade = (id: string, portfolioId: string, quoteId: string, over: Partial<TradeRecord> = {}): TradeRecord => ({
        id,
        workspaceId: WS,
        portfolioId,
        ownerId: 'owner-1',
        keyId: 'key_trader',
        quoteId,
        instrument: 'ct100',
        side: 'buy',
        units: 0.5,
        usd: 1000,
        unitPriceUsd: 1997.5,
        feesUsd: 1,
        marketCostUsd: 0.25,
        realizedPnlUsd: 0,
        executedAt: T0,
        ...over,
      });

      it('round-trips quotes per workspace, with their details and exact amounts', async () => {
        const [a] = ids('qt', 1);
        const q = quote(a ?? 'qt_a');
        await store.transact((tx) => tx.quotes.insert(q));
        expect(await store.quotes.find(WS, q.id)).toEqual(q);
        expect(await store.quotes.find(OTHER, q.id)).toBeNull();
        await expect(store.transact((tx) => tx.quotes.insert(q))).rejects.toThrow();
        await expect(store.transact((tx) => tx.quotes.insert(quote('qt_nowhere', { workspaceId: 'ws_nowhere' })))).rejects.toThrow();
      });

      it('consumes a quote once, only before it expires and only in its workspace; a rollback gives it back', async () => {
        const [a, b, c] = ids('qt', 3);
        for (const id of [a, b, c]) await store.transact((tx) => tx.quotes.insert(quote(id ?? '')));
        expect(await store.transact((tx) => tx.quotes.consume(OTHER, a ?? '', T0 + 1))).toBeNull();
        expect(await store.transact((tx) => tx.quotes.consume(WS, a ?? '', T0 + 1))).toEqual(quote(a ?? '', { usedAt: T0 + 1 }));
        expect(await store.transact((tx) => tx.quotes.consume(WS, a ?? '', T0 + 2))).toBeNull();
        expect((await store.quotes.find(WS, a ?? ''))?.usedAt).toBe(T0 + 1);
        // expiresAt is exclusive: at T0 + 30 000 the quote is gone.
        expect(await store.transact((tx) => tx.quotes.consume(WS, b ?? '', T0 + 30_000))).toBeNull();
        await expect(
          store.transact(async (tx) => {
            expect(await tx.quotes.consume(WS, c ?? '', T0 + 5)).not.toBeNull();
            throw new Error('roll back');
          }),
        ).rejects.toThrow('roll back');
        expect((await store.quotes.find(WS, c ?? ''))?.usedAt).toBeNull();
        expect(await store.quotes.consume(WS, 'qt_missing', T0)).toBeNull();
      });

      it('lets exactly one of concurrent consumers have a quote', async () => {
        const [a] = ids('qt', 1);
        await store.transact((tx) => tx.quotes.insert(quote(a ?? '')));
        const results = await Promise.all([1, 2, 3, 4].map((i) => store.transact((tx) => tx.quotes.consume(WS, a ?? '', T0 + i))));
        expect(results.filter((r) => r !== null)).toHaveLength(1);
      });

      it('prunes quotes that expired before a time, used or not', async () => {
        const [a, b, c] = ids('qt', 3);
        await store.transact(async (tx) => {
          await tx.quotes.insert(quote(a ?? '', { expiresAt: T0 + 10 }));
          await tx.quotes.insert(quote(b ?? '', { expiresAt: T0 + 20, usedAt: T0 + 1 }));
          await tx.quotes.insert(quote(c ?? '', { expiresAt: T0 + 30 }));
        });
        expect(await store.transact((tx) => tx.quotes.pruneExpired(T0 + 30))).toBe(2);
        expect(await store.quotes.find(WS, a ?? '')).toBeNull();
        expect(await store.quotes.find(WS, c ?? '')).not.toBeNull();
      });

      it('keeps one portfolio per (workspace, owner): lock creates it once and returns it after', async () => {
        const [p1, p2, p3] = ids('pf', 3);
        const first = await store.transact((tx) => tx.portfolios.lock(portfolio(p1 ?? '')));
        expect(first).toEqual(portfolio(p1 ?? ''));
        expect(await store.transact((tx) => tx.portfolios.lock({ ...portfolio(p2 ?? ''), createdAt: T0 + 9 }))).toEqual(first);
        expect(await store.portfolios.find(WS, 'owner-1')).toEqual(first);
        expect(await store.portfolios.find(OTHER, 'owner-1')).toBeNull();
        expect(await store.transact((tx) => tx.portfolios.lock(portfolio(p3 ?? '', 'owner-1', OTHER)))).toEqual(portfolio(p3 ?? '', 'owner-1', OTHER));
        await expect(store.transact((tx) => tx.portfolios.lock(portfolio('pf_nowhere', 'o', 'ws_nowhere')))).rejects.toThrow();
      });

      it('saves positions (replacing per instrument, never below zero units)', async () => {
        const [p] = ids('pf', 1);
        const pf = await store.transact((tx) => tx.portfolios.lock(portfolio(p ?? '')));
        const pos = { portfolioId: pf.id, instrument: 'ct100', units: 1.25, costBasisUsd: 2500.5, realizedPnlUsd: 0, updatedAt: T0 };
        await store.transact((tx) => tx.portfolios.savePosition(pos));
        await store.transact((tx) => tx.portfolios.savePosition({ ...pos, instrument: 'ct100-capped', units: 2 }));
        await store.transact((tx) => tx.portfolios.savePosition({ ...pos, units: 0.25, costBasisUsd: 500.1, realizedPnlUsd: -12.5, updatedAt: T0 + 1 }));
        expect(await store.portfolios.positions(pf.id)).toEqual([
          { ...pos, units: 0.25, costBasisUsd: 500.1, realizedPnlUsd: -12.5, updatedAt: T0 + 1 },
          { ...pos, instrument: 'ct100-capped', units: 2 },
        ]);
        await expect(store.transact((tx) => tx.portfolios.savePosition({ ...pos, units: -0.5 }))).rejects.toThrow();
        await expect(store.transact((tx) => tx.portfolios.savePosition({ ...pos, portfolioId: 'pf_missing' }))).rejects.toThrow();
        expect(await store.portfolios.positions('pf_missing')).toEqual([]);
      });

      it('serialises concurrent trades of one owner through the portfolio lock (no lost update)', async () => {
        const bump = (i: number) =>
          store.transact(async (tx) => {
            const pf = await tx.portfolios.lock(portfolio(`pf_bump${i}`));
            const [cur] = await tx.portfolios.positions(pf.id);
            await tx.portfolios.savePosition({ portfolioId: pf.id, instrument: 'ct100', units: (cur?.units ?? 0) + 1, costBasisUsd: 0, realizedPnlUsd: 0, updatedAt: T0 });
          });
        await Promise.all([1, 2, 3, 4, 5].map(bump));
        const pf = await store.portfolios.find(WS, 'owner-1');
        expect((await store.portfolios.positions(pf?.id ?? ''))[0]?.units).toBe(5);
      });

      it('records trades once per quote and lists them in id order with a cursor', async () => {
        const [p] = ids('pf', 1);
        const pf = await store.transact((tx) => tx.portfolios.lock(portfolio(p ?? '')));
        const tradeIds = ids('trd', 5);
        const quoteIds = ids('qt', 5);
        await store.transact(async (tx) => {
          for (const [i, id] of [...tradeIds.entries()].reverse()) await tx.portfolios.insertTrade(trade(id, pf.id, quoteIds[i] ?? '', { side: i % 2 === 0 ? 'buy' : 'sell', realizedPnlUsd: i * 1.5 }));
        });
        const pages = await allPages((afterId) => store.portfolios.trades(pf.id, { afterId, limit: 2 }), 2);
        expect(pages.map((x) => x.length)).toEqual([2, 2, 1]);
        expect(pages.flat().map((t) => t.id)).toEqual(tradeIds);
        expect(pages.flat()[3]).toEqual(trade(tradeIds[3] ?? '', pf.id, quoteIds[3] ?? '', { side: 'sell', realizedPnlUsd: 4.5 }));
        await expect(store.transact((tx) => tx.portfolios.insertTrade(trade('trd_again', pf.id, quoteIds[0] ?? '')))).rejects.toThrow();
        expect(await store.portfolios.trades('pf_other', { limit: 10 })).toEqual([]);
      });

      it('adds a waitlist email once per workspace', async () => {
        const entry = { id: 'wl_1', workspaceId: WS, email: 'ada@example.com', indexId: 'any', keyId: 'key_1', createdAt: T0 };
        expect(await store.transact((tx) => tx.waitlist.add(entry))).toBe(true);
        expect(await store.transact((tx) => tx.waitlist.add({ ...entry, id: 'wl_2', indexId: 'ct100-capped' }))).toBe(false);
        expect(await store.transact((tx) => tx.waitlist.add({ ...entry, id: 'wl_3', workspaceId: OTHER }))).toBe(true);
        expect(await store.waitlist.find(WS, 'ada@example.com')).toEqual(entry);
        expect(await store.waitlist.find(WS, 'bob@example.com')).toBeNull();
        await expect(store.transact((tx) => tx.waitlist.add({ ...entry, id: 'wl_4', workspaceId: 'ws_nowhere' }))).rejects.toThrow();
      });
    });

    describe('monitor: usage, last use, alerts, offboarded owners', () => {
      const MINUTE = 60_000;
      const bucket = (over: Partial<UsageBucketRow> = {}): UsageBucketRow => ({ workspaceId: WS, keyId: 'key_a', minute: T0, route: 'verify-api', code: 'VALID', country: 'GB', scope: null, count: 1, ...over });
      const alert = (id: string, over: Partial<AlertRecord> = {}): AlertRecord => ({
        id,
        workspaceId: WS,
        type: 'rate-spike',
        severity: 'medium',
        status: 'open',
        keyId: 'key_a',
        dedupeKey: 'rate-spike:key:key_a',
        summary: 'spike',
        evidence: { count: 100, ips: ['203.0.113.9'], nested: { at: '2026-01-01T00:00:00.000Z' } },
        occurrences: 1,
        firstSeenAt: T0,
        lastSeenAt: T0,
        createdAt: T0,
        updatedAt: T0,
        acknowledgedAt: null,
        acknowledgedBy: null,
        resolvedAt: null,
        resolvedBy: null,
        note: null,
        ...over,
      });

      it('adds usage counts up per bucket and sums a series per bucket width, in order', async () => {
        await store.transact((tx) =>
          tx.usage.addBuckets([
            bucket(),
            bucket({ minute: T0 + MINUTE, count: 2 }),
            bucket({ minute: T0 + MINUTE, code: 'INSUFFICIENT_SCOPE', count: 3 }),
            bucket({ minute: T0 + 61 * MINUTE, country: null, route: 'gateway', count: 4 }),
            bucket({ keyId: null, code: 'NOT_FOUND', count: 9 }),
            bucket({ workspaceId: OTHER, count: 50 }),
          ]),
        );
        // A second flush of the same bucket adds (two nodes flushing the same minute).
        await store.transact((tx) => tx.usage.addBuckets([bucket({ count: 5 })]));
        const minutes = await store.usage.series(WS, { keyId: 'key_a', from: T0, to: T0 + 2 * 3_600_000, bucketMs: MINUTE });
        expect(minutes).toEqual([
          { start: T0, route: 'verify-api', code: 'VALID', country: 'GB', count: 6 },
          { start: T0 + MINUTE, route: 'verify-api', code: 'INSUFFICIENT_SCOPE', country: 'GB', count: 3 },
          { start: T0 + MINUTE, route: 'verify-api', code: 'VALID', country: 'GB', count: 2 },
          { start: T0 + 61 * MINUTE, route: 'gateway', code: 'VALID', country: null, count: 4 },
        ]);
        const hours = await store.usage.series(WS, { keyId: 'key_a', from: T0, to: T0 + 2 * 3_600_000, bucketMs: 3_600_000 });
        expect(hours).toEqual([
          { start: T0, route: 'verify-api', code: 'INSUFFICIENT_SCOPE', country: 'GB', count: 3 },
          { start: T0, route: 'verify-api', code: 'VALID', country: 'GB', count: 8 },
          { start: T0 + 3_600_000, route: 'gateway', code: 'VALID', country: null, count: 4 },
        ]);
        expect(await store.usage.series(WS, { keyId: 'key_a', from: T0 + MINUTE, to: T0 + 2 * MINUTE, bucketMs: MINUTE })).toHaveLength(2);
        expect(await store.usage.series(OTHER, { keyId: 'key_a', from: T0, to: T0 + MINUTE, bucketMs: MINUTE })).toEqual([{ start: T0, route: 'verify-api', code: 'VALID', country: 'GB', count: 50 }]);
        expect(await store.usage.series(WS, { keyId: 'key_none', from: T0, to: T0 + MINUTE, bucketMs: MINUTE })).toEqual([]);
        expect(await store.transact((tx) => tx.usage.pruneBefore(T0 + MINUTE))).toBe(3);
        expect(await store.usage.series(WS, { keyId: 'key_a', from: T0, to: T0 + MINUTE, bucketMs: MINUTE })).toEqual([]);
      });

      it('counts usage per scope: the scopes each key exercised since a minute, successful uses only', async () => {
        await store.transact((tx) =>
          tx.usage.addBuckets([
            bucket({ scope: 'prices:read', count: 2 }),
            bucket({ scope: 'prices:read', route: 'gateway', country: null, count: 3 }),
            bucket({ scope: 'index:read', minute: T0 + 5 * MINUTE, count: 1 }),
            // The same bucket without a scope is another bucket (a verify call that named none).
            bucket({ count: 7 }),
            bucket({ scope: 'prices:read', minute: T0 - MINUTE, count: 100 }),
            bucket({ scope: 'portfolio:read', code: 'INSUFFICIENT_SCOPE', count: 4 }),
            bucket({ keyId: 'key_b', scope: SCOPE_NOT_RECORDED, count: 8 }),
            bucket({ keyId: 'key_c', scope: 'prices:read', count: 1 }),
            bucket({ workspaceId: OTHER, scope: 'signals:read', count: 9 }),
          ]),
        );
        // Two nodes flushing the same scope bucket add up.
        await store.transact((tx) => tx.usage.addBuckets([bucket({ scope: 'prices:read', count: 1 })]));
        expect(await store.usage.scopeUse(WS, ['key_a', 'key_b', 'key_none'], T0)).toEqual([
          { keyId: 'key_a', scope: 'index:read', count: 1 },
          { keyId: 'key_a', scope: 'prices:read', count: 6 },
          { keyId: 'key_b', scope: SCOPE_NOT_RECORDED, count: 8 },
        ]);
        expect(await store.usage.scopeUse(WS, ['key_a'], T0 - MINUTE)).toEqual([
          { keyId: 'key_a', scope: 'index:read', count: 1 },
          { keyId: 'key_a', scope: 'prices:read', count: 106 },
        ]);
        expect(await store.usage.scopeUse(WS, ['key_a'], T0 + 6 * MINUTE)).toEqual([]);
        expect(await store.usage.scopeUse(OTHER, ['key_a'], T0)).toEqual([{ keyId: 'key_a', scope: 'signals:read', count: 9 }]);
        expect(await store.usage.scopeUse(WS, [], T0)).toEqual([]);
        // The series still sums across scopes.
        expect(await store.usage.series(WS, { keyId: 'key_a', from: T0, to: T0 + MINUTE, bucketMs: MINUTE })).toEqual([
          { start: T0, route: 'gateway', code: 'VALID', country: null, count: 3 },
          { start: T0, route: 'verify-api', code: 'INSUFFICIENT_SCOPE', country: 'GB', count: 4 },
          { start: T0, route: 'verify-api', code: 'VALID', country: 'GB', count: 10 },
        ]);
      });

      it('moves last use forward only, and a rolled-back flush leaves nothing', async () => {
        await store.transact((tx) => tx.usage.recordLastUse([{ keyId: 'key_a', workspaceId: WS, at: T0 + 10, ip: '203.0.113.9', country: 'GB' }, { keyId: 'key_b', workspaceId: WS, at: T0, ip: '2001:db8::1', country: null }]));
        await store.transact((tx) => tx.usage.recordLastUse([{ keyId: 'key_a', workspaceId: WS, at: T0 + 5, ip: '198.51.100.1', country: 'US' }]));
        expect((await store.usage.lastUse(['key_a', 'key_b', 'key_c'])).sort((a, b) => (a.keyId < b.keyId ? -1 : 1))).toEqual([
          { keyId: 'key_a', workspaceId: WS, at: T0 + 10, ip: '203.0.113.9', country: 'GB' },
          { keyId: 'key_b', workspaceId: WS, at: T0, ip: '2001:db8::1', country: null },
        ]);
        await store.transact((tx) => tx.usage.recordLastUse([{ keyId: 'key_a', workspaceId: WS, at: T0 + 20, ip: '198.51.100.2', country: 'US' }, { keyId: 'key_a', workspaceId: WS, at: T0 + 15, ip: '198.51.100.3', country: 'US' }]));
        expect(await store.usage.lastUse(['key_a'])).toEqual([{ keyId: 'key_a', workspaceId: WS, at: T0 + 20, ip: '198.51.100.2', country: 'US' }]);
        expect(await store.usage.lastUse([])).toEqual([]);
        await expect(
          store.transact(async (tx) => {
            await tx.usage.addBuckets([bucket({ count: 7 })]);
            await tx.usage.recordLastUse([{ keyId: 'key_c', workspaceId: WS, at: T0, ip: '203.0.113.1', country: null }]);
            throw new Error('roll back');
          }),
        ).rejects.toThrow('roll back');
        expect(await store.usage.lastUse(['key_c'])).toEqual([]);
        expect(await store.usage.series(WS, { keyId: 'key_a', from: T0, to: T0 + MINUTE, bucketMs: MINUTE })).toEqual([]);
      });

      it('raises an alert once per unresolved dedupe key: repeats add occurrences, keep the higher severity, take the newer evidence', async () => {
        const first = await store.transact((tx) => tx.alerts.raise(alert('alr_0001')));
        expect(first).toEqual({ alert: alert('alr_0001'), created: true });
        const again = await store.transact((tx) => tx.alerts.raise(alert('alr_0002', { severity: 'high', occurrences: 3, lastSeenAt: T0 + 50, updatedAt: T0 + 60, evidence: { count: 300 }, summary: 'bigger' })));
        expect(again.created).toBe(false);
        expect(again.alert).toEqual(alert('alr_0001', { severity: 'high', occurrences: 4, lastSeenAt: T0 + 50, updatedAt: T0 + 60, evidence: { count: 300 }, summary: 'bigger' }));
        const lower = await store.transact((tx) => tx.alerts.raise(alert('alr_0003', { severity: 'low', lastSeenAt: T0 + 10, updatedAt: T0 + 70 })));
        expect(lower.alert).toMatchObject({ id: 'alr_0001', severity: 'high', occurrences: 5, lastSeenAt: T0 + 50 });
        // Same dedupe key elsewhere, or another key: separate alerts.
        expect((await store.transact((tx) => tx.alerts.raise(alert('alr_0004', { workspaceId: OTHER })))).created).toBe(true);
        expect((await store.transact((tx) => tx.alerts.raise(alert('alr_0005', { dedupeKey: 'rate-spike:key:key_b', keyId: 'key_b' })))).created).toBe(true);
        expect(await store.alerts.findById(WS, 'alr_0002')).toBeNull();
        expect(await store.alerts.findById(OTHER, 'alr_0001')).toBeNull();
        await expect(store.transact((tx) => tx.alerts.raise(alert('alr_0006', { workspaceId: 'ws_nowhere' })))).rejects.toThrow();
      });

      it('transitions with a check-and-set; a resolved alert frees its dedupe key', async () => {
        await store.transact((tx) => tx.alerts.raise(alert('alr_0001')));
        const ack = await store.transact((tx) => tx.alerts.transition(WS, 'alr_0001', ['open'], { status: 'acknowledged', at: T0 + 1, by: 'tok_a', note: 'on it' }));
        expect(ack).toEqual(alert('alr_0001', { status: 'acknowledged', acknowledgedAt: T0 + 1, acknowledgedBy: 'tok_a', updatedAt: T0 + 1, note: 'on it' }));
        expect(await store.transact((tx) => tx.alerts.transition(WS, 'alr_0001', ['open'], { status: 'acknowledged', at: T0 + 2, by: 'tok_b', note: null }))).toBeNull();
        expect(await store.transact((tx) => tx.alerts.transition(OTHER, 'alr_0001', ['open', 'acknowledged'], { status: 'resolved', at: T0 + 2, by: 'tok_b', note: null }))).toBeNull();
        // Still unresolved: a repeat folds into it.
        expect((await store.transact((tx) => tx.alerts.raise(alert('alr_0002')))).created).toBe(false);
        const resolved = await store.transact((tx) => tx.alerts.transition(WS, 'alr_0001', ['open', 'acknowledged'], { status: 'resolved', at: T0 + 3, by: 'tok_b', note: null }));
        expect(resolved).toMatchObject({ status: 'resolved', resolvedAt: T0 + 3, resolvedBy: 'tok_b', acknowledgedBy: 'tok_a', note: 'on it', occurrences: 2 });
        const reopened = await store.transact((tx) => tx.alerts.raise(alert('alr_0003')));
        expect(reopened).toMatchObject({ created: true, alert: { id: 'alr_0003', status: 'open', occurrences: 1 } });
        await expect(
          store.transact(async (tx) => {
            await tx.alerts.transition(WS, 'alr_0003', ['open'], { status: 'resolved', at: T0 + 4, by: 'tok_c', note: null });
            throw new Error('roll back');
          }),
        ).rejects.toThrow('roll back');
        expect((await store.alerts.findById(WS, 'alr_0003'))?.status).toBe('open');
        expect((await store.transact((tx) => tx.alerts.raise(alert('alr_0004')))).created).toBe(false);
      });

      it('lists alerts newest first with filters and a before-id cursor', async () => {
        const rows = [
          alert('alr_0001', { dedupeKey: 'a', severity: 'low' }),
          alert('alr_0002', { dedupeKey: 'b', type: 'new-country', keyId: 'key_b' }),
          alert('alr_0003', { dedupeKey: 'c', severity: 'high', keyId: null, type: 'failed-verify-burst' }),
          alert('alr_0004', { dedupeKey: 'd', workspaceId: OTHER }),
        ];
        await store.transact(async (tx) => {
          for (const r of rows) await tx.alerts.raise(r);
          await tx.alerts.transition(WS, 'alr_0002', ['open'], { status: 'resolved', at: T0, by: 'tok', note: null });
        });
        const ids = async (f: Partial<AlertFilter>): Promise<string[]> => (await store.alerts.list(WS, { limit: 10, ...f })).map((a) => a.id);
        expect(await ids({})).toEqual(['alr_0003', 'alr_0002', 'alr_0001']);
        expect(await ids({ limit: 2 })).toEqual(['alr_0003', 'alr_0002']);
        expect(await ids({ beforeId: 'alr_0002' })).toEqual(['alr_0001']);
        expect(await ids({ status: 'open' })).toEqual(['alr_0003', 'alr_0001']);
        expect(await ids({ severity: 'high' })).toEqual(['alr_0003']);
        expect(await ids({ type: 'new-country' })).toEqual(['alr_0002']);
        expect(await ids({ keyId: 'key_a' })).toEqual(['alr_0001']);
        expect(await ids({ status: 'acknowledged' })).toEqual([]);
        expect((await store.alerts.list(OTHER, { limit: 10 })).map((a) => a.id)).toEqual(['alr_0004']);
      });

      it('marks owners offboarded once, lists them, reinstates them', async () => {
        const mark = { workspaceId: WS, ownerId: 'alice@example.com', offboardedAt: T0, reason: 'left', by: 'tok_a' };
        expect(await store.transact((tx) => tx.owners.offboard(mark))).toBe(true);
        expect(await store.transact((tx) => tx.owners.offboard({ ...mark, offboardedAt: T0 + 1, reason: null }))).toBe(false);
        expect(await store.transact((tx) => tx.owners.offboard({ ...mark, ownerId: 'bob', reason: null }))).toBe(true);
        expect(await store.transact((tx) => tx.owners.offboard({ ...mark, workspaceId: OTHER }))).toBe(true);
        await expect(store.transact((tx) => tx.owners.offboard({ ...mark, workspaceId: 'ws_nowhere' }))).rejects.toThrow();
        expect(await store.owners.find(WS, 'alice@example.com')).toEqual(mark);
        expect(await store.owners.find(WS, 'carol')).toBeNull();
        expect((await store.owners.listOffboarded(WS, { limit: 10 })).map((o) => o.ownerId)).toEqual(['alice@example.com', 'bob']);
        expect((await store.owners.listOffboarded(WS, { afterOwnerId: 'alice@example.com', limit: 10 })).map((o) => o.ownerId)).toEqual(['bob']);
        expect((await store.owners.allOffboarded(10)).map((o) => `${o.workspaceId}:${o.ownerId}`)).toEqual([`${WS}:alice@example.com`, `${WS}:bob`, `${OTHER}:alice@example.com`]);
        expect(await store.owners.allOffboarded(1)).toHaveLength(1);
        expect(await store.transact((tx) => tx.owners.reinstate(WS, 'bob'))).toBe(true);
        expect(await store.transact((tx) => tx.owners.reinstate(WS, 'bob'))).toBe(false);
        expect((await store.owners.listOffboarded(WS, { limit: 10 })).map((o) => o.ownerId)).toEqual(['alice@example.com']);
      });
    });

    describe('webhooks: endpoints, delivery queue and leases', () => {
      const endpoint = (id: string, over: Partial<WebhookEndpointRecord> = {}): WebhookEndpointRecord => ({
        id, workspaceId: WS, url: 'https://hooks.example/x', events: ['key.revoked', 'alert.raised'], ciphertext: randomBytes(40), wrappedKey: randomBytes(60), keyVersion: 1, createdAt: T0, createdBy: 'tok_a', ...over,
      });
      const delivery = (id: string, over: Partial<WebhookDeliveryRecord> = {}): WebhookDeliveryRecord => ({
        id, workspaceId: WS, endpointId: 'whk_1', eventType: 'key.revoked', payload: '{"type":"key.revoked"}', status: 'pending', attempts: 0, nextAttemptAt: T0,
        leaseOwner: null, leaseUntil: null, lastStatusCode: null, lastError: null, createdAt: T0, updatedAt: T0, ...over,
      });

      it('stores endpoints per workspace, byte for byte, and deletes one with its deliveries', async () => {
        const e = endpoint('whk_1');
        await store.transact(async (tx) => {
          await tx.webhooks.insertEndpoint(e);
          await tx.webhooks.insertEndpoint(endpoint('whk_2', { workspaceId: OTHER }));
          await tx.webhooks.enqueue(delivery('msg_1'));
        });
        expect(await store.webhooks.findEndpoint(WS, 'whk_1')).toEqual(e);
        expect(await store.webhooks.findEndpoint(OTHER, 'whk_1')).toBeNull();
        expect((await store.webhooks.listEndpoints(WS)).map((x) => x.id)).toEqual(['whk_1']);
        expect(await store.webhooks.deleteEndpoint(OTHER, 'whk_1')).toBe(false);
        expect(await store.transact((tx) => tx.webhooks.deleteEndpoint(WS, 'whk_1'))).toBe(true);
        expect(await store.webhooks.findEndpoint(WS, 'whk_1')).toBeNull();
        expect(await store.webhooks.listDeliveries(WS, 'whk_1', { limit: 10 })).toEqual([]);
        await expect(store.transact((tx) => tx.webhooks.insertEndpoint(endpoint('whk_3', { workspaceId: 'ws_missing' })))).rejects.toThrow();
      });

      it('leases due deliveries once until the lease ends, and records an attempt only for the lease holder', async () => {
        await store.transact(async (tx) => {
          await tx.webhooks.insertEndpoint(endpoint('whk_1'));
          await tx.webhooks.enqueue(delivery('msg_1'));
          await tx.webhooks.enqueue(delivery('msg_2', { nextAttemptAt: T0 + 10 }));
          await tx.webhooks.enqueue(delivery('msg_3', { nextAttemptAt: T0 + 1000 }));
          await tx.webhooks.enqueue(delivery('msg_4', { status: 'delivered' }));
        });
        const first = await store.webhooks.claimDue(T0 + 10, 'a', T0 + 500, 10);
        expect(first.map((d) => d.id)).toEqual(['msg_1', 'msg_2']);
        expect(first[0]).toMatchObject({ leaseOwner: 'a', leaseUntil: T0 + 500, payload: '{"type":"key.revoked"}' });
        expect(await store.webhooks.claimDue(T0 + 10, 'b', T0 + 600, 10)).toEqual([]);
        expect(await store.webhooks.finishAttempt('msg_1', 'b', { status: 'delivered', attempts: 1, nextAttemptAt: T0, lastStatusCode: 200, lastError: null, updatedAt: T0 + 20 })).toBe(false);
        expect(await store.webhooks.finishAttempt('msg_1', 'a', { status: 'delivered', attempts: 1, nextAttemptAt: T0, lastStatusCode: 200, lastError: null, updatedAt: T0 + 20 })).toBe(true);
        // The lease on msg_2 expired: another node takes it over (msg_3 is due by then too).
        const taken = await store.webhooks.claimDue(T0 + 1000, 'b', T0 + 2000, 1);
        expect(taken.map((d) => d.id)).toEqual(['msg_2']);
        expect(await store.webhooks.finishAttempt('msg_2', 'a', { status: 'failed', attempts: 1, nextAttemptAt: T0, lastStatusCode: 500, lastError: 'HTTP 500', updatedAt: T0 })).toBe(false);
        expect(await store.webhooks.finishAttempt('msg_2', 'b', { status: 'pending', attempts: 1, nextAttemptAt: T0 + 5000, lastStatusCode: 500, lastError: 'HTTP 500', updatedAt: T0 + 1000 })).toBe(true);
        const log = await store.webhooks.listDeliveries(WS, 'whk_1', { limit: 10 });
        expect(log.map((d) => d.id)).toEqual(['msg_4', 'msg_3', 'msg_2', 'msg_1']);
        expect(log[2]).toMatchObject({ status: 'pending', attempts: 1, nextAttemptAt: T0 + 5000, lastStatusCode: 500, lastError: 'HTTP 500', leaseOwner: null, leaseUntil: null, updatedAt: T0 + 1000 });
        expect(log[3]).toMatchObject({ status: 'delivered', lastStatusCode: 200, leaseOwner: null });
        expect((await store.webhooks.listDeliveries(WS, 'whk_1', { beforeId: 'msg_3', limit: 1 })).map((d) => d.id)).toEqual(['msg_2']);
        expect(await store.webhooks.listDeliveries(OTHER, 'whk_1', { limit: 10 })).toEqual([]);
      });

      it('counts and rewraps endpoint data keys by root key version (check-and-set)', async () => {
        await store.transact(async (tx) => {
          await tx.webhooks.insertEndpoint(endpoint('whk_1'));
          await tx.webhooks.insertEndpoint(endpoint('whk_2', { workspaceId: OTHER }));
          await tx.webhooks.insertEndpoint(endpoint('whk_3', { keyVersion: 2 }));
        });
        expect(await store.webhooks.countByKeyVersion()).toEqual([{ keyVersion: 1, count: 2 }, { keyVersion: 2, count: 1 }]);
        expect((await store.webhooks.wrappedBetween(1, 2, 10)).map((e) => e.id)).toEqual(['whk_1', 'whk_2']);
        const wrapped = randomBytes(60);
        expect(await store.webhooks.rewrap('whk_1', 1, 2, wrapped)).toBe(true);
        expect(await store.webhooks.rewrap('whk_1', 1, 2, wrapped)).toBe(false);
        expect(await store.webhooks.findEndpoint(WS, 'whk_1')).toMatchObject({ keyVersion: 2, wrappedKey: wrapped });
        expect(await store.webhooks.countByKeyVersion()).toEqual([{ keyVersion: 1, count: 1 }, { keyVersion: 2, count: 2 }]);
      });

      it('gives concurrent claims disjoint deliveries', async () => {
        await store.transact(async (tx) => {
          await tx.webhooks.insertEndpoint(endpoint('whk_1'));
          for (let i = 0; i < 20; i += 1) await tx.webhooks.enqueue(delivery(`msg_${String(i).padStart(2, '0')}`));
        });
        const claims = await Promise.all(['a', 'b', 'c', 'd'].map((owner) => store.webhooks.claimDue(T0, owner, T0 + 100, 8)));
        const ids = claims.flat().map((d) => d.id);
        expect(ids).toHaveLength(20);
        expect(new Set(ids).size).toBe(20);
      });

      it('rolls back queued deliveries with their transaction', async () => {
        await store.transact((tx) => tx.webhooks.insertEndpoint(endpoint('whk_1')));
        await expect(store.transact(async (tx) => {
          await tx.webhooks.enqueue(delivery('msg_1'));
          throw new Error('boom');
        })).rejects.toThrow('boom');
        expect(await store.webhooks.claimDue(T0, 'a', T0 + 1, 10)).toEqual([]);
      });
    });

    describe('users, MFA and workspace settings', () => runUsersContract(() => store, WS, OTHER));
    describe('key signing secrets', () => runSigningSecretsContract(() => store, WS, OTHER, apiKey));
  });
}

interface StoredPair {
  event: AuditEvent;
  leafHash: string;
}
