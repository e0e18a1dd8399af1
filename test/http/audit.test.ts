import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { leafHashOfEvent, verifyConsistency, verifyInclusion } from '../../src/core/audit/merkle.ts';
import { openNote } from '../../src/core/audit/signed-note.ts';
import type { AuditEvent } from '../../src/core/model.ts';
import { bearer, makeHarness, type Harness } from '../support/harness.ts';

let h: Harness;
beforeEach(async () => {
  h = await makeHarness();
  for (let i = 0; i < 5; i += 1) {
    await h.app.inject({ method: 'POST', url: '/v1/keys', headers: bearer(h.owner.secret), payload: { name: `k${i}`, environment: 'test', scopes: ['prices:read'] } });
  }
});
afterEach(async () => h.close());

const hex = (s: string) => Buffer.from(s, 'hex');

describe('audit API', () => {
  it('signs checkpoints that open with the published verifier key', async () => {
    const cp = (await h.app.inject({ method: 'POST', url: '/v1/audit/checkpoints', headers: bearer(h.owner.secret), payload: {} })).json<{ treeSize: number; rootHash: string; note: string }>();
    expect(cp.treeSize).toBe(7);
    const list = (await h.app.inject({ url: '/v1/audit/checkpoints', headers: bearer(h.owner.secret) })).json<{ origin: string; verifierKey: string; data: { treeSize: number }[] }>();
    expect(list.origin).toBe(`clavis.test/${h.workspaceId}`);
    const opened = openNote(cp.note, list.verifierKey);
    expect(opened).toMatchObject({ ok: true, origin: list.origin, treeSize: 7 });
    if (opened.ok) expect(opened.rootHash.toString('hex')).toBe(cp.rootHash);
    // Asking again without new events returns the same checkpoint.
    const again = (await h.app.inject({ method: 'POST', url: '/v1/audit/checkpoints', headers: bearer(h.owner.secret), payload: {} })).json<{ treeSize: number }>();
    expect(again.treeSize).toBe(7);
    expect(list.data).toHaveLength(1);
  });

  it('serves inclusion proofs that verify, and consistency proofs between checkpoints', async () => {
    const first = await h.services.audit.checkpoint(h.workspaceId);
    await h.app.inject({ method: 'POST', url: '/v1/keys', headers: bearer(h.owner.secret), payload: { name: 'late', environment: 'test', scopes: ['prices:read'] } });
    const second = await h.services.audit.checkpoint(h.workspaceId);
    expect(first?.treeSize).toBe(7);
    expect(second?.treeSize).toBe(8);
    const events = (await h.app.inject({ url: '/v1/audit/events', headers: bearer(h.owner.secret) })).json<{ data: (AuditEvent & { leafHash: string })[] }>().data;
    for (const e of events) {
      const { leafHash, ...event } = e;
      expect(leafHashOfEvent(event).toString('hex')).toBe(leafHash);
      const p = (await h.app.inject({ url: `/v1/audit/proof/${e.seq}`, headers: bearer(h.owner.secret) })).json<{ treeSize: number; rootHash: string; proof: string[]; leafHash: string }>();
      expect(p.treeSize).toBe(e.seq < 7 ? 7 : 8);
      expect(verifyInclusion(hex(p.leafHash), e.seq, p.treeSize, p.proof.map(hex), hex(p.rootHash))).toBe(true);
      expect(verifyInclusion(hex(p.leafHash), e.seq, p.treeSize, p.proof.map(hex), hex(second?.rootHash ?? ''))).toBe(p.treeSize === 8);
    }
    const c = (await h.app.inject({ url: '/v1/audit/consistency?from=7&to=8', headers: bearer(h.owner.secret) })).json<{ proof: string[] }>();
    expect(verifyConsistency(7, 8, hex(first?.rootHash ?? ''), hex(second?.rootHash ?? ''), c.proof.map(hex))).toBe(true);
    const notYet = await h.app.inject({ method: 'POST', url: '/v1/keys', headers: bearer(h.owner.secret), payload: { name: 'later', environment: 'test', scopes: ['prices:read'] } });
    expect(notYet.statusCode).toBe(201);
    const uncovered = await h.app.inject({ url: '/v1/audit/proof/8', headers: bearer(h.owner.secret) });
    expect(uncovered.json<{ code: string }>().code).toBe('CHECKPOINT_NOT_FOUND');
    const missing = await h.app.inject({ url: '/v1/audit/proof/999', headers: bearer(h.owner.secret) });
    expect(missing.json<{ code: string }>().code).toBe('AUDIT_EVENT_NOT_FOUND');
  });

  it('pages and filters events', async () => {
    const page1 = (await h.app.inject({ url: '/v1/audit/events?limit=4', headers: bearer(h.owner.secret) })).json<{ data: { seq: number }[]; nextCursor: string }>();
    expect(page1.data.map((e) => e.seq)).toEqual([0, 1, 2, 3]);
    const page2 = (await h.app.inject({ url: `/v1/audit/events?limit=4&cursor=${page1.nextCursor}`, headers: bearer(h.owner.secret) })).json<{ data: { seq: number }[]; nextCursor: string | null }>();
    expect(page2.data.map((e) => e.seq)).toEqual([4, 5, 6]);
    expect(page2.nextCursor).toBeNull();
    const created = (await h.app.inject({ url: '/v1/audit/events?action=key.created&fromSeq=3', headers: bearer(h.owner.secret) })).json<{ data: { seq: number }[] }>();
    expect(created.data.map((e) => e.seq)).toEqual([3, 4, 5, 6]);
    const byActor = (await h.app.inject({ url: `/v1/audit/events?actor=${h.owner.record.id}`, headers: bearer(h.owner.secret) })).json<{ data: unknown[] }>();
    expect(byActor.data).toHaveLength(5);
  });

  it('commits no change without its event: a failing audit append rolls the key back', async () => {
    const before = await h.store.audit.size(h.workspaceId);
    const insert = h.store.audit.insert.bind(h.store.audit);
    const realTransact = h.store.transact.bind(h.store);
    h.store.transact = (fn) =>
      realTransact((tx) => {
        tx.audit.insert = async () => {
          throw new Error('disk full');
        };
        return fn(tx);
      });
    const r = await h.app.inject({ method: 'POST', url: '/v1/keys', headers: bearer(h.owner.secret), payload: { name: 'ghost', environment: 'test', scopes: ['prices:read'] } });
    expect(r.statusCode).toBe(500);
    expect(r.json<{ code: string }>().code).toBe('INTERNAL_ERROR');
    expect(r.body).not.toContain('disk full');
    h.store.transact = realTransact;
    h.store.audit.insert = insert;
    const keys = await h.services.keys.list(h.workspaceId, { limit: 100 });
    expect(keys.map((k) => k.name)).not.toContain('ghost');
    expect(await h.store.audit.size(h.workspaceId)).toBe(before);
  });
});
