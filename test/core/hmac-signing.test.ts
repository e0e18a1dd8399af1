import { createHmac, createSecretKey, randomBytes, type KeyObject } from 'node:crypto';
import { canonicalRequest, sha256Hex, signRequest } from '@clavis/sdk/signing';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ClavisError } from '../../src/core/errors/registry.ts';
import type { Acting } from '../../src/core/keys/key-service.ts';
import { KeyVerifier } from '../../src/core/keys/verify.ts';
import type { ApiKeyRecord } from '../../src/core/model.ts';
import { verifyHmacRequest, type SignedRequest } from '../../src/core/signing/request-signature.ts';
import { SigningSecretBox, hmacKeySource, signingSecretAad } from '../../src/core/signing/signing-secret-box.ts';
import { createMemoryLimiter, createMemoryNonceStore } from '../../src/storage/memory/memory-limiter.ts';
import { makeHarness, type Harness } from '../support/harness.ts';

const T = 1_700_000_000_000;

/** What a service forwards to verify for a request it received with these headers. */
function forwarded(headers: Record<string, string>, method: string, url: string, body = ''): SignedRequest {
  return {
    method,
    url,
    timestamp: Number(headers['x-clavis-timestamp']),
    nonce: headers['x-clavis-nonce'] ?? '',
    signature: headers['x-clavis-signature'] ?? '',
    bodySha256: sha256Hex(body),
  };
}

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'resolved';
  } catch (err) {
    return err instanceof ClavisError ? err.code : String(err);
  }
}

describe('HMAC-SHA256 request signatures', () => {
  it('verify what was signed and nothing else (property)', () => {
    const raw = randomBytes(32);
    const key = createSecretKey(raw);
    const other = createSecretKey(randomBytes(32));
    fc.assert(
      fc.property(fc.constantFrom('GET', 'POST', 'DELETE'), fc.webPath(), fc.string(), fc.string({ maxLength: 40 }), (method, path, body, tamper) => {
        const url = path === '' ? '/' : path;
        const headers = signRequest({ key: 'k', signer: { scheme: 'hmac-sha256', secret: raw.toString('base64') }, method, url, body, nonce: 'abcdefghijklmnop', timestamp: T });
        const req = forwarded(headers, method, url, body);
        expect(verifyHmacRequest(key, req)).toBe(true);
        expect(verifyHmacRequest(other, req)).toBe(false);
        expect(verifyHmacRequest(key, { ...req, timestamp: req.timestamp + 1 })).toBe(false);
        expect(verifyHmacRequest(key, { ...req, nonce: 'abcdefghijklmnoq' })).toBe(false);
        expect(verifyHmacRequest(key, { ...req, method: method === 'GET' ? 'POST' : 'GET' })).toBe(false);
        fc.pre(tamper !== body);
        expect(verifyHmacRequest(key, { ...req, bodySha256: sha256Hex(tamper) })).toBe(false);
      }),
      { numRuns: 200 },
    );
  });

  it('is the HMAC of the canonical string under the decoded secret bytes (what a consumer without the SDK computes)', () => {
    const raw = randomBytes(32);
    const canonical = canonicalRequest({ method: 'POST', url: '/v1/orders?b=2&a=1', timestamp: T, nonce: 'nonce-nonce-nonce', body: '{"qty":1}' });
    const signature = createHmac('sha256', raw).update(canonical).digest('base64');
    const req: SignedRequest = { method: 'POST', url: '/v1/orders?b=2&a=1', timestamp: T, nonce: 'nonce-nonce-nonce', signature, bodySha256: sha256Hex('{"qty":1}') };
    expect(verifyHmacRequest(createSecretKey(raw), req)).toBe(true);
    // The secret's base64 text used as the key (a likely mistake) does not verify.
    const wrong = createHmac('sha256', raw.toString('base64')).update(canonical).digest('base64');
    expect(verifyHmacRequest(createSecretKey(raw), { ...req, signature: wrong })).toBe(false);
  });

  it('refuses garbage signatures without throwing: not base64, wrong length, huge, unicode (property)', () => {
    const key = createSecretKey(randomBytes(32));
    const base: SignedRequest = { method: 'GET', url: '/', timestamp: T, nonce: 'abcdefghijklmnop', signature: '', bodySha256: sha256Hex('') };
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 200 }), fc.base64String({ maxLength: 200 }), fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.from(b).toString('base64'))), (signature) => {
        expect(verifyHmacRequest(key, { ...base, signature })).toBe(false);
      }),
      { numRuns: 500 },
    );
    for (const signature of ['', '====', 'A'.repeat(10_000), '\u0000'.repeat(44), 'é'.repeat(44), Buffer.alloc(31).toString('base64'), Buffer.alloc(33).toString('base64'), Buffer.alloc(64).toString('base64')]) {
      expect(verifyHmacRequest(key, { ...base, signature })).toBe(false);
    }
  });

  it('the SDK signer refuses a secret that is not the base64 text of 32 bytes', () => {
    const sign = (secret: string | Uint8Array) => signRequest({ key: 'k', signer: { scheme: 'hmac-sha256', secret }, method: 'GET', url: '/' });
    for (const bad of ['', 'clv_live_notasecret', Buffer.alloc(16).toString('base64'), ` ${randomBytes(32).toString('base64')}`, randomBytes(32).toString('hex')]) {
      expect(() => sign(bad), bad).toThrow(TypeError);
    }
    expect(sign(randomBytes(32).toString('base64'))['x-clavis-signature']).toMatch(/^[A-Za-z0-9+/]{43}=$/);
    expect(sign(randomBytes(32))['x-clavis-signature']).toHaveLength(44);
  });
});

describe('signing secrets under the keyring', () => {
  let h: Harness;
  let acting: Acting;
  beforeEach(async () => {
    h = await makeHarness();
    acting = { workspaceId: h.workspaceId, actor: { type: 'token', id: h.owner.record.id } };
  });
  afterEach(async () => h.close());

  it('are 32 random bytes, sealed with AAD bound to (workspace, key): a row moved to another key does not open', async () => {
    const box = new SigningSecretBox(h.store, h.services.keyring);
    const issued = await box.issue(h.workspaceId, 'key_a', T);
    const raw = Buffer.from(issued.text, 'base64');
    expect(raw).toHaveLength(32);
    expect(issued.record.ciphertext.includes(raw)).toBe(false);
    const opened: KeyObject = await box.open(issued.record);
    expect(opened.export()).toEqual(raw);
    expect(await codeOf(box.open({ ...issued.record, keyId: 'key_b' }))).toBe('DECRYPTION_FAILED');
    expect(await codeOf(box.open({ ...issued.record, workspaceId: 'ws_other' }))).toBe('DECRYPTION_FAILED');
    expect(signingSecretAad('secret', 'ws', 'key')).not.toEqual(signingSecretAad('data-key', 'ws', 'key'));
    expect((await box.issue(h.workspaceId, 'key_a', T)).text).not.toBe(issued.text);
  });

  it('a sealed keyring refuses HMAC keys with SEALED (create, verify) while other keys keep verifying', async () => {
    const hmac = await h.services.keys.create(acting, { name: 'h', environment: 'test', scopes: ['prices:read'], signing: { scheme: 'hmac-sha256' } });
    const plain = await h.services.keys.create(acting, { name: 'p', environment: 'test', scopes: ['prices:read'] });
    const provider = h.services.keyring.seal('test');
    expect(await codeOf(h.services.keys.create(acting, { name: 'x', environment: 'test', scopes: ['prices:read'], signing: { scheme: 'hmac-sha256' } }))).toBe('SEALED');
    expect(await h.services.keys.list(h.workspaceId, { limit: 10 })).toHaveLength(2);
    const headers = signRequest({ key: hmac.secret, signer: { scheme: 'hmac-sha256', secret: hmac.signingSecret ?? '' }, method: 'GET', url: '/', timestamp: h.clock.now() });
    const signed = forwarded(headers, 'GET', '/');
    expect(await codeOf(h.services.verifier.verify({ key: hmac.secret, workspaceId: undefined, signed }))).toBe('SEALED');
    expect((await h.services.verifier.verify({ key: plain.secret, workspaceId: undefined })).code).toBe('VALID');
    // Refused before the signature stage: the keyring is not needed.
    expect((await h.services.verifier.verify({ key: hmac.secret, workspaceId: undefined })).code).toBe('SIGNATURE_REQUIRED');
    if (provider === null) throw new Error('keyring was not unsealed');
    h.services.keyring.unseal(provider);
    expect((await h.services.verifier.verify({ key: hmac.secret, workspaceId: undefined, signed })).code).toBe('VALID');
  });
});

describe('the verify pipeline with HMAC keys', () => {
  let h: Harness;
  let acting: Acting;
  let opens: number;
  let verifier: KeyVerifier;
  beforeEach(async () => {
    h = await makeHarness();
    acting = { workspaceId: h.workspaceId, actor: { type: 'token', id: h.owner.record.id } };
    opens = 0;
    const source = hmacKeySource(h.store, new SigningSecretBox(h.store, h.services.keyring));
    verifier = new KeyVerifier({
      keys: h.store.keys,
      clock: h.clock,
      cache: { maxEntries: 100, ttlMs: 5000, negativeTtlMs: 1000 },
      nonces: createMemoryNonceStore(),
      limiter: createMemoryLimiter(),
      signatureWindowMs: 5000,
      hmacKeys: (k: ApiKeyRecord) => {
        opens += 1;
        return source(k);
      },
    });
  });
  afterEach(async () => h.close());

  async function hmacKey() {
    const issued = await h.services.keys.create(acting, { name: 'h', environment: 'test', scopes: ['prices:read'], signing: { scheme: 'hmac-sha256' } });
    if (issued.signingSecret === undefined) throw new Error('no signing secret issued');
    return { key: issued.secret, secret: issued.signingSecret, hash: issued.record.hash };
  }
  const sign = (k: { key: string; secret: string }, over: { timestamp?: number; nonce?: string; body?: string } = {}) =>
    forwarded(signRequest({ key: k.key, signer: { scheme: 'hmac-sha256', secret: k.secret }, method: 'POST', url: '/v1/orders', body: over.body ?? '{}', timestamp: over.timestamp ?? h.clock.now(), ...(over.nonce !== undefined ? { nonce: over.nonce } : {}) }), 'POST', '/v1/orders', '{}');

  it('answers VALID, SIGNATURE_INVALID, REPLAYED with the Ed25519 rules and order', async () => {
    const k = await hmacKey();
    const verify = async (signed?: SignedRequest) => (await verifier.verify({ key: k.key, workspaceId: h.workspaceId, ...(signed !== undefined ? { signed } : {}) })).code;
    expect(await verify()).toBe('SIGNATURE_REQUIRED');
    const good = sign(k);
    expect(await verify(good)).toBe('VALID');
    expect(await verify(good)).toBe('REPLAYED');
    expect(await verify(sign({ ...k, secret: randomBytes(32).toString('base64') }))).toBe('SIGNATURE_INVALID');
    expect(await verify(sign(k, { body: '{"qty":1000}' }))).toBe('SIGNATURE_INVALID');
    expect(await verify(sign(k, { timestamp: h.clock.now() - 5001 }))).toBe('REPLAYED');
    expect(await verify(sign(k, { timestamp: h.clock.now() + 5001 }))).toBe('REPLAYED');
    expect(await verify({ ...sign(k), nonce: 'short' })).toBe('SIGNATURE_INVALID');
    // A bad signature does not burn the nonce of the genuine request.
    expect(await verify({ ...sign(k, { nonce: 'nonce-nonce-nonce-1' }), signature: Buffer.alloc(32).toString('base64') })).toBe('SIGNATURE_INVALID');
    expect(await verify(sign(k, { nonce: 'nonce-nonce-nonce-1' }))).toBe('VALID');
  });

  it('unseals the secret once per cache entry, not per request; concurrent first requests share it', async () => {
    const k = await hmacKey();
    const results = await Promise.all(Array.from({ length: 5 }, () => verifier.verify({ key: k.key, workspaceId: undefined, signed: sign(k) })));
    expect(results.map((r) => r.code)).toEqual(['VALID', 'VALID', 'VALID', 'VALID', 'VALID']);
    for (let i = 0; i < 20; i += 1) expect((await verifier.verify({ key: k.key, workspaceId: undefined, signed: sign(k) })).code).toBe('VALID');
    expect(opens).toBe(1);
    // Unsigned requests and refusals before the signature stage never unseal.
    const other = await hmacKey();
    expect((await verifier.verify({ key: other.key, workspaceId: undefined })).code).toBe('SIGNATURE_REQUIRED');
    expect(opens).toBe(1);
    // A change drops the entry with its secret; so does the end of the cache TTL.
    verifier.invalidate(k.hash);
    expect((await verifier.verify({ key: k.key, workspaceId: undefined, signed: sign(k) })).code).toBe('VALID');
    expect(opens).toBe(2);
    h.clock.advance(5001);
    expect((await verifier.verify({ key: k.key, workspaceId: undefined, signed: sign(k) })).code).toBe('VALID');
    expect(opens).toBe(3);
  });

  it('does not remember a failed unseal: once the keyring is back, the key verifies', async () => {
    const k = await hmacKey();
    const provider = h.services.keyring.seal('test');
    expect(await codeOf(verifier.verify({ key: k.key, workspaceId: undefined, signed: sign(k) }))).toBe('SEALED');
    if (provider === null) throw new Error('keyring was not unsealed');
    h.services.keyring.unseal(provider);
    expect((await verifier.verify({ key: k.key, workspaceId: undefined, signed: sign(k) })).code).toBe('VALID');
    expect(opens).toBe(2);
  });
});

describe('the key lifecycle with HMAC signing', () => {
  let h: Harness;
  let acting: Acting;
  beforeEach(async () => {
    h = await makeHarness();
    acting = { workspaceId: h.workspaceId, actor: { type: 'token', id: h.owner.record.id } };
  });
  afterEach(async () => h.close());

  const verify = async (key: string, secret: string) =>
    (await h.services.verifier.verify({ key, workspaceId: undefined, signed: forwarded(signRequest({ key, signer: { scheme: 'hmac-sha256', secret }, method: 'GET', url: '/x', timestamp: h.clock.now() }), 'GET', '/x') })).code;

  it('create shows the secret once and stores it only sealed; the audit log never holds it', async () => {
    const issued = await h.services.keys.create(acting, { name: 'h', environment: 'test', scopes: ['prices:read'], signing: { scheme: 'hmac-sha256' } });
    expect(issued.record.enforcement.signing).toEqual({ scheme: 'hmac-sha256' });
    expect(issued.signingSecret).toMatch(/^[A-Za-z0-9+/]{43}=$/);
    const row = await h.store.signingSecrets.find(h.workspaceId, issued.record.id);
    expect(row).not.toBeNull();
    const raw = Buffer.from(issued.signingSecret ?? '', 'base64');
    expect(row?.ciphertext.includes(raw)).toBe(false);
    expect(JSON.stringify(await h.services.keys.get(h.workspaceId, issued.record.id))).not.toContain(issued.signingSecret);
    const events = await h.store.audit.list(h.workspaceId, { limit: 100 });
    const text = JSON.stringify(events);
    expect(text).toContain('hmac-sha256');
    expect(text).not.toContain(issued.signingSecret);
    expect(text).not.toContain(raw.toString('hex'));
    expect(await verify(issued.secret, issued.signingSecret ?? '')).toBe('VALID');
    // Ed25519 keys and unsigned keys have no secret row.
    const plain = await h.services.keys.create(acting, { name: 'p', environment: 'test', scopes: ['prices:read'] });
    expect(plain.signingSecret).toBeUndefined();
    expect(await h.store.signingSecrets.find(h.workspaceId, plain.record.id)).toBeNull();
  });

  it('revoking a key, alone or in bulk, erases its sealed secret (crypto-shred); other keys keep theirs', async () => {
    const one = await h.services.keys.create(acting, { name: 'one', environment: 'test', scopes: ['prices:read'], signing: { scheme: 'hmac-sha256' } });
    const live = await h.services.keys.create(acting, { name: 'live', environment: 'live', scopes: ['prices:read'], signing: { scheme: 'hmac-sha256' } });
    const kept = await h.services.keys.create(acting, { name: 'kept', environment: 'test', scopes: ['prices:read'], signing: { scheme: 'hmac-sha256' } });
    await h.services.keys.revoke(acting, one.record.id, 'leaked');
    expect(await h.store.signingSecrets.find(h.workspaceId, one.record.id)).toBeNull();
    expect(await h.store.signingSecrets.find(h.workspaceId, kept.record.id)).not.toBeNull();
    await h.services.bulkRevoke.revokeAll(acting, { reason: 'incident', environment: 'live' });
    expect(await h.store.signingSecrets.find(h.workspaceId, live.record.id)).toBeNull();
    expect(await h.store.signingSecrets.find(h.workspaceId, kept.record.id)).not.toBeNull();
    expect(await verify(kept.secret, kept.signingSecret ?? '')).toBe('VALID');
  });

  it('a signing requirement without a scheme is Ed25519, as before HMAC existed', async () => {
    const publicKey = Buffer.from('d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a', 'hex').toString('base64');
    const issued = await h.services.keys.create(acting, { name: 'e', environment: 'test', scopes: ['prices:read'], signing: { publicKey } });
    expect(issued.record.enforcement.signing).toEqual({ scheme: 'ed25519', publicKey });
    expect(issued.signingSecret).toBeUndefined();
  });

  it('satisfies the high-risk signing rule like Ed25519', async () => {
    const input = { name: 't', environment: 'live' as const, scopes: ['portfolio:trade'], ipAllowlist: ['203.0.113.0/24'] };
    expect(await codeOf(h.services.keys.create(acting, input))).toBe('HIGH_RISK_POLICY');
    const ok = await h.services.keys.create(acting, { ...input, signing: { scheme: 'hmac-sha256' } });
    expect(ok.record.enforcement.signing?.scheme).toBe('hmac-sha256');
    expect(await codeOf(h.services.keys.update(acting, ok.record.id, { signing: null }))).toBe('HIGH_RISK_POLICY');
    // The refused update kept the secret.
    expect(await h.store.signingSecrets.find(h.workspaceId, ok.record.id)).not.toBeNull();
  });

  it('update issues a new secret (the old one stops at once); dropping HMAC erases the secret', async () => {
    const issued = await h.services.keys.create(acting, { name: 'h', environment: 'test', scopes: ['prices:read'], signing: { scheme: 'hmac-sha256' } });
    const old = issued.signingSecret ?? '';
    const renamed = await h.services.keys.update(acting, issued.record.id, { name: 'renamed' });
    expect(renamed.signingSecret).toBeUndefined();
    const updated = await h.services.keys.update(acting, issued.record.id, { signing: { scheme: 'hmac-sha256' } });
    const fresh = updated.signingSecret ?? '';
    expect(fresh).toMatch(/^[A-Za-z0-9+/]{43}=$/);
    expect(fresh).not.toBe(old);
    expect(await verify(issued.secret, old)).toBe('SIGNATURE_INVALID');
    expect(await verify(issued.secret, fresh)).toBe('VALID');
    const last = (await h.store.audit.list(h.workspaceId, { limit: 100 })).at(-1)?.event;
    expect(last).toMatchObject({ action: 'key.updated', data: { changed: ['signing', 'signingSecret'] } });
    expect(JSON.stringify(last)).not.toContain(fresh);

    await h.services.keys.update(acting, issued.record.id, { signing: null });
    expect(await h.store.signingSecrets.find(h.workspaceId, issued.record.id)).toBeNull();
    expect((await h.services.verifier.verify({ key: issued.secret, workspaceId: undefined })).code).toBe('VALID');
  });

  it('rotation gives the successor its own secret; the old key keeps its own through the grace period', async () => {
    const issued = await h.services.keys.create(acting, { name: 'h', environment: 'test', scopes: ['prices:read'], signing: { scheme: 'hmac-sha256' } });
    const rotated = await h.services.keys.rotate(acting, issued.record.id, 3600);
    const next = rotated.signingSecret ?? '';
    expect(next).toMatch(/^[A-Za-z0-9+/]{43}=$/);
    expect(next).not.toBe(issued.signingSecret);
    expect(rotated.record.enforcement.signing).toEqual({ scheme: 'hmac-sha256' });
    expect(await verify(rotated.secret, next)).toBe('VALID');
    expect(await verify(rotated.secret, issued.signingSecret ?? '')).toBe('SIGNATURE_INVALID');
    expect(await verify(issued.secret, issued.signingSecret ?? '')).toBe('VALID');
    expect(await verify(issued.secret, next)).toBe('SIGNATURE_INVALID');
    // A key without HMAC rotates without a secret.
    const plain = await h.services.keys.create(acting, { name: 'p', environment: 'test', scopes: ['prices:read'] });
    expect((await h.services.keys.rotate(acting, plain.record.id)).signingSecret).toBeUndefined();
  });

  it('master key rotation rewraps signing secrets with the rest, and retire waits for them', async () => {
    const issued = await h.services.keys.create(acting, { name: 'h', environment: 'test', scopes: ['prices:read'], signing: { scheme: 'hmac-sha256' } });
    const admin = h.services.keyringAdmin;
    expect(await admin.rotate(acting)).toEqual({ version: 2 });
    expect((await admin.report()).dataKeys).toEqual([{ keyVersion: 1, count: 1 }]);
    expect(await codeOf(admin.retire(acting, 2))).toBe('RETIRE_BLOCKED');
    expect(await admin.rewrap(acting)).toMatchObject({ rewrapped: 1, remaining: 0, stranded: 0 });
    expect((await h.store.signingSecrets.find(h.workspaceId, issued.record.id))?.keyVersion).toBe(2);
    expect(await admin.retire(acting, 2)).toEqual({ minDecryptionVersion: 2, stranded: 0 });
    h.services.verifier.setCaching(false);
    expect(await verify(issued.secret, issued.signingSecret ?? '')).toBe('VALID');
  });

  it('a signing secret wrapped by a retired master key version answers KEY_VERSION_RETIRED, not a bad signature', async () => {
    const issued = await h.services.keys.create(acting, { name: 'h', environment: 'test', scopes: ['prices:read'], signing: { scheme: 'hmac-sha256' } });
    await h.services.keyringAdmin.rotate(acting);
    expect(await h.services.keyringAdmin.retire(acting, 2, true)).toMatchObject({ stranded: 1 });
    expect(await codeOf(verify(issued.secret, issued.signingSecret ?? ''))).toBe('KEY_VERSION_RETIRED');
    // The advice in the error works: a new secret is sealed under the current version.
    const updated = await h.services.keys.update(acting, issued.record.id, { signing: { scheme: 'hmac-sha256' } });
    expect(await verify(issued.secret, updated.signingSecret ?? '')).toBe('VALID');
  });
});
