import { generateKeyPairSync } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Acting } from '../../src/core/keys/key-service.ts';
import { generateCredential } from '../../src/core/keys/key-format.ts';
import type { VerifyRequest } from '../../src/core/keys/verify.ts';
import { makeHarness, type Harness } from '../support/harness.ts';

// verifyNow answers without a promise when it can, and must then say exactly what verify() says;
// when it cannot (uncached key, signature, limits, credits) it answers undefined.

let h: Harness;
let acting: Acting;
beforeEach(async () => {
  h = await makeHarness();
  acting = { workspaceId: h.workspaceId, actor: { type: 'system', id: 'test' } };
});
afterEach(async () => h.close());

const codeOf = (r: { code: string } | undefined): string | undefined => r?.code;

describe('KeyVerifier.verifyNow', () => {
  it('agrees with verify() on every synchronous stage, once the key is cached', async () => {
    const live = await h.services.keys.create(acting, { name: 'live', environment: 'test', scopes: ['prices:read'], ipAllowlist: ['203.0.113.0/24'] });
    const suspended = await h.services.keys.create(acting, { name: 'suspended', environment: 'test', scopes: ['prices:read'] });
    await h.services.keys.suspend(acting, suspended.record.id, 'test');
    const v = h.services.verifier;
    const cases: VerifyRequest[] = [
      { key: live.secret, workspaceId: h.workspaceId, scope: 'prices:read', ip: '203.0.113.7' },
      { key: live.secret, workspaceId: h.workspaceId, scope: 'index:read', ip: '203.0.113.7' },
      { key: live.secret, workspaceId: h.workspaceId, ip: '198.51.100.1' },
      { key: live.secret, workspaceId: h.workspaceId, environment: 'live', ip: '203.0.113.7' },
      { key: live.secret, workspaceId: 'ws_someoneelse000000000000', ip: '203.0.113.7' },
      { key: suspended.secret, workspaceId: h.workspaceId },
      { key: 'clv_test_short', workspaceId: undefined },
    ];
    // Uncached: verifyNow cannot answer a well-formed key without the store.
    expect(v.verifyNow(cases[0] as VerifyRequest)).toBeUndefined();
    const expected = [];
    for (const c of cases) expected.push((await v.verify(c)).code);
    expect(expected).toEqual(['VALID', 'INSUFFICIENT_SCOPE', 'IP_NOT_ALLOWED', 'ENV_MISMATCH', 'NOT_FOUND', 'SUSPENDED', 'MALFORMED']);
    expect(cases.map((c) => codeOf(v.verifyNow(c)))).toEqual(expected);
    expect(v.verifyNow(cases[0] as VerifyRequest)?.key?.id).toBe(live.record.id);

    // An unknown but well-formed key is NOT_FOUND at once after the first miss cached it.
    const unknown = { key: generateCredential('clv', 'test'), workspaceId: undefined };
    expect(v.verifyNow(unknown)).toBeUndefined();
    expect((await v.verify(unknown)).code).toBe('NOT_FOUND');
    expect(codeOf(v.verifyNow(unknown))).toBe('NOT_FOUND');

    // A change is seen at once: revocation drops the cached entry.
    await h.services.keys.revoke(acting, live.record.id, 'test');
    expect(v.verifyNow(cases[0] as VerifyRequest)).toBeUndefined();
    expect((await v.verify(cases[0] as VerifyRequest)).code).toBe('REVOKED');
    expect(codeOf(v.verifyNow(cases[0] as VerifyRequest))).toBe('REVOKED');
  });

  it('leaves signatures, rate limits and credits to verify()', async () => {
    const publicKey = generateKeyPairSync('ed25519').publicKey.export({ format: 'der', type: 'spki' }).subarray(12).toString('base64');
    const signed = await h.services.keys.create(acting, { name: 'signed', environment: 'test', scopes: ['prices:read'], signing: { scheme: 'ed25519', publicKey } });
    const limited = await h.services.keys.create(acting, { name: 'limited', environment: 'test', scopes: ['prices:read'], rateLimits: [{ name: 'burst', algorithm: 'token-bucket', limit: 2, windowSeconds: 60 }] });
    const metered = await h.services.keys.create(acting, { name: 'metered', environment: 'test', scopes: ['prices:read'], credits: { quota: 5, refill: 'daily' } });
    const v = h.services.verifier;
    expect((await v.verify({ key: signed.secret, workspaceId: undefined })).code).toBe('SIGNATURE_REQUIRED');
    expect((await v.verify({ key: limited.secret, workspaceId: undefined })).code).toBe('VALID');
    expect((await v.verify({ key: metered.secret, workspaceId: undefined })).code).toBe('VALID');
    for (const k of [signed, limited, metered]) expect(v.verifyNow({ key: k.secret, workspaceId: undefined }), k.record.name).toBeUndefined();
    // …but an earlier stage still refuses synchronously.
    expect(codeOf(v.verifyNow({ key: limited.secret, workspaceId: undefined, scope: 'index:read' }))).toBe('INSUFFICIENT_SCOPE');
  });
});
