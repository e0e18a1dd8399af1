import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Acting } from '../../src/core/keys/key-service.ts';
import { displayStart, generateCredential, hashCredential } from '../../src/core/keys/key-format.ts';
import { KeyVerifier } from '../../src/core/keys/verify.ts';
import type { ApiKeyRecord } from '../../src/core/model.ts';
import { createMemoryLimiter, createMemoryNonceStore } from '../../src/storage/memory/memory-limiter.ts';
import { makeHarness, type Harness } from '../support/harness.ts';

// How the verify cache is filled on a miss: one store read per key at a time, and never a
// record read before a change cached after the change was announced.

describe('verify cache fills', () => {
  let h: Harness;
  let acting: Acting;
  let reads: number;
  let gate: Promise<void>;
  let open: () => void;
  let verifier: KeyVerifier;
  beforeEach(async () => {
    h = await makeHarness();
    acting = { workspaceId: h.workspaceId, actor: { type: 'token', id: h.owner.record.id } };
    reads = 0;
    gate = Promise.resolve();
    open = () => undefined;
    verifier = new KeyVerifier({
      // The store answers at once, but the answer is held until the test opens the gate.
      keys: {
        findByHash: async (hash: string): Promise<ApiKeyRecord | null> => {
          reads += 1;
          const record = await h.store.keys.findByHash(hash);
          await gate;
          return record;
        },
      },
      clock: h.clock,
      cache: { maxEntries: 100, ttlMs: 60_000, negativeTtlMs: 60_000 },
      nonces: createMemoryNonceStore(),
      limiter: createMemoryLimiter(),
      signatureWindowMs: 5000,
      hmacKeys: async () => null,
    });
  });
  afterEach(async () => h.close());

  function hold(): void {
    gate = new Promise<void>((resolve) => {
      open = resolve;
    });
  }

  it('concurrent first requests for one key share a single store read', async () => {
    const issued = await h.services.keys.create(acting, { name: 'k', environment: 'test', scopes: ['prices:read'] });
    hold();
    const pending = Array.from({ length: 8 }, () => verifier.verify({ key: issued.secret, workspaceId: undefined }));
    open();
    expect((await Promise.all(pending)).map((r) => r.code)).toEqual(Array.from({ length: 8 }, () => 'VALID'));
    expect(reads).toBe(1);
  });

  it('a revocation announced while a fill is in flight is not hidden by the record it read before', async () => {
    const issued = await h.services.keys.create(acting, { name: 'k', environment: 'test', scopes: ['prices:read'] });
    hold();
    const inFlight = verifier.verify({ key: issued.secret, workspaceId: undefined });
    // Let the read happen, then revoke and announce it before the fill completes.
    await new Promise((r) => setImmediate(r));
    await h.services.keys.revoke(acting, issued.record.id, 'leaked');
    verifier.invalidate(issued.record.hash);
    open();
    // The request that started before the revocation may pass; nothing after it may.
    expect((await inFlight).code).toBe('VALID');
    expect((await verifier.verify({ key: issued.secret, workspaceId: undefined })).code).toBe('REVOKED');
    expect(reads).toBe(2);
  });

  it('a key created while a fill is in flight is not remembered as unknown', async () => {
    const template = await h.services.keys.create(acting, { name: 'template', environment: 'test', scopes: ['prices:read'] });
    const secret = generateCredential('clv', 'test');
    hold();
    const inFlight = verifier.verify({ key: secret, workspaceId: undefined });
    await new Promise((r) => setImmediate(r));
    await h.store.transact((tx) => tx.keys.insert({ ...template.record, id: 'key_late', name: 'late', hash: hashCredential(secret), start: displayStart(secret) }));
    verifier.invalidate(hashCredential(secret));
    open();
    expect((await inFlight).code).toBe('NOT_FOUND');
    expect((await verifier.verify({ key: secret, workspaceId: undefined })).code).toBe('VALID');
    expect(reads).toBe(2);
  });
});
