import { generateKeyPairSync } from 'node:crypto';
import { canonicalRequest, sha256Hex, signRequest } from '@clavis/sdk/signing';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ed25519FromBase64, verifyEd25519Request } from '../../src/core/signing/request-signature.ts';
import { bearer, makeHarness, type Harness } from '../support/harness.ts';

let h: Harness;
beforeEach(async () => {
  h = await makeHarness();
});
afterEach(async () => h.close());

function keyPair() {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const raw = publicKey.export({ format: 'der', type: 'spki' }).subarray(12).toString('base64');
  return { privateKey, raw };
}

async function post<T>(url: string, payload: unknown): Promise<{ status: number; body: T }> {
  const res = await h.app.inject({ method: 'POST', url, headers: bearer(h.owner.secret), payload: payload as object });
  return { status: res.statusCode, body: res.json<T>() };
}

/** What a provider's service forwards to verify for a request it received. */
function forwarded(headers: Record<string, string>, method: string, url: string, body = '') {
  return {
    method,
    url,
    timestamp: Number(headers['x-clavis-timestamp']),
    nonce: headers['x-clavis-nonce'] ?? '',
    signature: headers['x-clavis-signature'] ?? '',
    bodySha256: sha256Hex(body),
  };
}

describe('canonical request', () => {
  it('sorts and re-encodes the query, keeps the path, hashes the body', () => {
    expect(canonicalRequest({ method: 'post', url: '/v1/x?b=2&a=%7e&a=1&c', timestamp: 5, nonce: 'n', body: '{}' })).toBe(
      `POST\n/v1/x?a=1&a=~&b=2&c=\n5\nn\n${sha256Hex('{}')}`,
    );
    expect(canonicalRequest({ method: 'GET', url: '/v1/x', timestamp: 5, nonce: 'n' })).toBe(`GET\n/v1/x\n5\nn\n${sha256Hex('')}`);
    expect(canonicalRequest({ method: 'GET', url: '/v1/x?q=a+b', timestamp: 5, nonce: 'n' })).toBe(canonicalRequest({ method: 'GET', url: '/v1/x?q=a%20b', timestamp: 5, nonce: 'n' }));
  });

  it('verifies what was signed and nothing else (property)', () => {
    const { privateKey, raw } = keyPair();
    const pub = ed25519FromBase64(raw);
    if (pub === null) throw new Error('bad test key');
    fc.assert(
      fc.property(fc.constantFrom('GET', 'POST', 'DELETE'), fc.webPath(), fc.string(), fc.string({ maxLength: 40 }), (method, path, body, tamper) => {
        const url = path === '' ? '/' : path;
        const headers = signRequest({ key: 'k', signer: { scheme: 'ed25519', privateKey }, method, url, body, nonce: 'abcdefghijklmnop', timestamp: 1_700_000_000_000 });
        const req = forwarded(headers, method, url, body);
        expect(verifyEd25519Request(pub, req)).toBe(true);
        fc.pre(tamper !== body);
        expect(verifyEd25519Request(pub, { ...req, bodySha256: sha256Hex(tamper) })).toBe(false);
        expect(verifyEd25519Request(pub, { ...req, timestamp: req.timestamp + 1 })).toBe(false);
        expect(verifyEd25519Request(pub, { ...req, method: method === 'GET' ? 'POST' : 'GET' })).toBe(false);
      }),
      { numRuns: 200 },
    );
    expect(ed25519FromBase64('not base64!')).toBeNull();
    expect(ed25519FromBase64(Buffer.alloc(31).toString('base64'))).toBeNull();
  });
});

describe('signed requests in the verify pipeline', () => {
  it('answers SIGNATURE_REQUIRED, SIGNATURE_INVALID, REPLAYED and VALID', async () => {
    const { privateKey, raw } = keyPair();
    const created = await post<{ key: string; id: string; signing: unknown }>('/v1/keys', { name: 'trader', environment: 'live', scopes: ['prices:read'], signing: { scheme: 'ed25519', publicKey: raw } });
    expect(created.status).toBe(201);
    expect(created.body.signing).toEqual({ scheme: 'ed25519', publicKey: raw });
    const key = created.body.key;
    const sign = (over: { timestamp?: number; nonce?: string } = {}) =>
      forwarded(signRequest({ key, signer: { scheme: 'ed25519', privateKey }, method: 'POST', url: '/v1/orders?side=buy', body: '{"qty":1}', timestamp: over.timestamp ?? h.clock.now(), nonce: over.nonce }), 'POST', '/v1/orders?side=buy', '{"qty":1}');
    const verify = async (extra: Record<string, unknown>) => (await post<{ valid: boolean; code: string }>('/v1/keys/verify', { key, ...extra })).body;

    expect(await verify({})).toMatchObject({ valid: false, code: 'SIGNATURE_REQUIRED' });
    const good = sign();
    expect(await verify({ signature: good })).toMatchObject({ valid: true, code: 'VALID' });
    expect(await verify({ signature: good })).toMatchObject({ code: 'REPLAYED' });
    expect(await verify({ signature: { ...sign(), bodySha256: sha256Hex('{"qty":1000}') } })).toMatchObject({ code: 'SIGNATURE_INVALID' });
    expect(await verify({ signature: { ...sign(), signature: 'AAAA' } })).toMatchObject({ code: 'SIGNATURE_INVALID' });
    expect(await verify({ signature: { ...sign(), nonce: 'short' } })).toMatchObject({ code: 'SIGNATURE_INVALID' });
    expect(await verify({ signature: sign({ timestamp: h.clock.now() - 5001 }) })).toMatchObject({ code: 'REPLAYED' });
    expect(await verify({ signature: sign({ timestamp: h.clock.now() + 5001 }) })).toMatchObject({ code: 'REPLAYED' });
    expect(await verify({ signature: sign({ timestamp: h.clock.now() - 4999 }) })).toMatchObject({ code: 'VALID' });
    // Another consumer's key pair cannot sign for this key.
    const other = keyPair();
    const forged = forwarded(signRequest({ key, signer: { scheme: 'ed25519', privateKey: other.privateKey }, method: 'GET', url: '/', timestamp: h.clock.now() }), 'GET', '/');
    expect(await verify({ signature: forged })).toMatchObject({ code: 'SIGNATURE_INVALID' });
    // A garbage signature attempt does not burn the nonce of a later genuine request.
    const n = 'nonce-nonce-nonce-1';
    expect(await verify({ signature: { ...sign({ nonce: n }), signature: Buffer.alloc(64).toString('base64') } })).toMatchObject({ code: 'SIGNATURE_INVALID' });
    expect(await verify({ signature: sign({ nonce: n }) })).toMatchObject({ code: 'VALID' });
    // Dropping the requirement makes signatures optional again.
    await h.app.inject({ method: 'PATCH', url: `/v1/keys/${created.body.id}`, headers: bearer(h.owner.secret), payload: { signing: null } });
    expect(await verify({})).toMatchObject({ code: 'VALID' });
  });

  it('refuses high-risk keys without an allowlist and a signing requirement, and bad public keys', async () => {
    const { raw } = keyPair();
    const missingBoth = await post<{ code: string; errors: { field: string }[] }>('/v1/keys', { name: 't', environment: 'live', scopes: ['portfolio:trade'] });
    expect(missingBoth.status).toBe(400);
    expect(missingBoth.body.code).toBe('HIGH_RISK_POLICY');
    expect(missingBoth.body.errors.map((e) => e.field)).toEqual(['/body/ipAllowlist', '/body/signing']);
    const ok = await post<{ id: string }>('/v1/keys', { name: 't', environment: 'live', scopes: ['portfolio:trade'], ipAllowlist: ['203.0.113.0/24'], signing: { scheme: 'ed25519', publicKey: raw } });
    expect(ok.status).toBe(201);
    const loosen = await h.app.inject({ method: 'PATCH', url: `/v1/keys/${ok.body.id}`, headers: bearer(h.owner.secret), payload: { ipAllowlist: [] } });
    expect(loosen.json<{ code: string }>().code).toBe('HIGH_RISK_POLICY');
    const widen = await post<{ id: string }>('/v1/keys', { name: 'reader', environment: 'live', scopes: ['prices:read'] });
    const escalate = await h.app.inject({ method: 'PATCH', url: `/v1/keys/${widen.body.id}`, headers: bearer(h.owner.secret), payload: { scopes: ['prices:read', 'portfolio:withdraw'] } });
    expect(escalate.json<{ code: string }>().code).toBe('HIGH_RISK_POLICY');
    const badKey = await post<{ code: string; errors: { field: string }[] }>('/v1/keys', { name: 'x', environment: 'test', scopes: ['prices:read'], signing: { scheme: 'ed25519', publicKey: Buffer.alloc(40).toString('base64') } });
    expect(badKey.body.code).toBe('INVALID_PUBLIC_KEY');
    expect(badKey.body.errors[0]?.field).toBe('/body/signing/publicKey');
    const badScheme = await post<{ code: string }>('/v1/keys', { name: 'x', environment: 'test', scopes: ['prices:read'], signing: { scheme: 'rsa', publicKey: raw } });
    expect(badScheme.body.code).toBe('VALIDATION_FAILED');
  });
});
