import { generateKeyPairSync } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Acting } from '../../src/core/keys/key-service.ts';
import { generateCredential } from '../../src/core/keys/key-format.ts';
import type { VerifyRequest, VerifyResult } from '../../src/core/keys/verify.ts';
import { makeHarness, type Harness } from '../support/harness.ts';

// verifyNow answers without a promise when nothing needs waiting for, and must then say exactly
// what verify() says; otherwise (uncached key, signature, limits, credits) it answers a promise.

let h: Harness;
let acting: Acting;
beforeEach(async () => {
  h = await makeHarness();
  acting = { workspaceId: h.workspaceId, actor: { type: 'system', id: 'test' } };
});
afterEach(async () => h.close());

/** The code when verifyNow answered at once; 'promise' when it did not. */
const now = (r: VerifyResult | Promise<VerifyResult>): string => (r instanceof Promise ? 'promise' : r.code);

describe('KeyVerifier.verifyNow', () => {
  it('agrees with verify() on every synchronous stage, once the key is cached', async () => {
    const live = await h.services.keys.create(acting, { name: 'live', environment: 'test', scopes: ['prices:read'], ipAllowlist: ['203.0.113.0/24'] });
    const suspended = await h.services.keys.create(acting, { name: 'suspended', environment: 'test', scopes: ['prices:read'] });
    await h.services.keys.suspend(acting, suspended.record.id, 'test');
    const v = h.services.verifier;
    const first: VerifyRequest = { key: live.secret, workspaceId: h.workspaceId, scope: 'prices:read', ip: '203.0.113.7' };
    const cases: VerifyRequest[] = [
      first,
      { key: live.secret, workspaceId: h.workspaceId, scope: 'index:read', ip: '203.0.113.7' },
      { key: live.secret, workspaceId: h.workspaceId, ip: '198.51.100.1' },
      { key: live.secret, workspaceId: h.workspaceId, environment: 'live', ip: '203.0.113.7' },
      { key: live.secret, workspaceId: 'ws_someoneelse000000000000', ip: '203.0.113.7' },
      { key: suspended.secret, workspaceId: h.workspaceId },
      { key: 'clv_test_short', workspaceId: undefined },
    ];
    // Uncached: a well-formed key needs the store, so the answer is a promise — the same answer.
    const pending = v.verifyNow(first);
    expect(pending).toBeInstanceOf(Promise);
    expect((await pending).code).toBe('VALID');
    const expected = [];
    for (const c of cases) expected.push((await v.verify(c)).code);
    expect(expected).toEqual(['VALID', 'INSUFFICIENT_SCOPE', 'IP_NOT_ALLOWED', 'ENV_MISMATCH', 'NOT_FOUND', 'SUSPENDED', 'MALFORMED']);
    expect(cases.map((c) => now(v.verifyNow(c)))).toEqual(expected);
    const cached = v.verifyNow(first);
    expect(cached instanceof Promise ? null : cached.key?.id).toBe(live.record.id);

    // An unknown but well-formed key is NOT_FOUND at once after the first miss cached it.
    const unknown = { key: generateCredential('clv', 'test'), workspaceId: undefined };
    expect(now(v.verifyNow(unknown))).toBe('promise');
    expect((await v.verify(unknown)).code).toBe('NOT_FOUND');
    expect(now(v.verifyNow(unknown))).toBe('NOT_FOUND');

    // A change is seen at once: revocation drops the cached entry.
    await h.services.keys.revoke(acting, live.record.id, 'test');
    expect(now(v.verifyNow(first))).toBe('promise');
    expect((await v.verify(first)).code).toBe('REVOKED');
    expect(now(v.verifyNow(first))).toBe('REVOKED');
  });

  it('answers signatures, rate limits and credits with a promise, and the same answer as verify()', async () => {
    const publicKey = generateKeyPairSync('ed25519').publicKey.export({ format: 'der', type: 'spki' }).subarray(12).toString('base64');
    const signed = await h.services.keys.create(acting, { name: 'signed', environment: 'test', scopes: ['prices:read'], signing: { scheme: 'ed25519', publicKey } });
    const limited = await h.services.keys.create(acting, { name: 'limited', environment: 'test', scopes: ['prices:read'], rateLimits: [{ name: 'burst', algorithm: 'token-bucket', limit: 2, windowSeconds: 60 }] });
    const metered = await h.services.keys.create(acting, { name: 'metered', environment: 'test', scopes: ['prices:read'], credits: { quota: 5, refill: 'daily' } });
    const v = h.services.verifier;
    expect((await v.verify({ key: signed.secret, workspaceId: undefined })).code).toBe('SIGNATURE_REQUIRED');
    expect((await v.verify({ key: limited.secret, workspaceId: undefined })).code).toBe('VALID');
    expect((await v.verify({ key: metered.secret, workspaceId: undefined })).code).toBe('VALID');
    const answers: string[] = [];
    for (const k of [signed, limited, metered, limited]) {
      const r = v.verifyNow({ key: k.secret, workspaceId: undefined });
      expect(r, k.record.name).toBeInstanceOf(Promise);
      answers.push((await r).code);
    }
    // The limiter counted each call: the third request on a limit of two is refused.
    expect(answers).toEqual(['SIGNATURE_REQUIRED', 'VALID', 'VALID', 'RATE_LIMITED']);
    // …but an earlier stage still refuses synchronously.
    expect(now(v.verifyNow({ key: limited.secret, workspaceId: undefined, scope: 'index:read' }))).toBe('INSUFFICIENT_SCOPE');
  });
});
