import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { RemoteVerifier, signRequest, type CreateKeyRequest, type CreatedKey } from '@clavis/sdk';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../../src/core/errors/registry.ts';
import { generateCredential } from '../../src/core/keys/key-format.ts';
import { startClavis, type ClavisServer } from './clavis-server.ts';
import { startProtected, type Framework, type ProtectedApp, type RouteAnswer } from './protected-apps.ts';

let clavis: ClavisServer;
beforeAll(async () => {
  clavis = await startClavis();
});
afterAll(async () => clavis.close());

function keyPair(): { privateKey: KeyObject; publicKey: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  // The raw 32 bytes after the 12-byte SPKI prefix, as the API takes them.
  return { privateKey, publicKey: publicKey.export({ format: 'der', type: 'spki' }).subarray(12).toString('base64') };
}

function createKey(over: Partial<CreateKeyRequest> = {}): Promise<CreatedKey> {
  return clavis.admin.createKey({ name: 'consumer', environment: 'test', scopes: ['prices:read'], ...over });
}

interface Answer {
  status: number;
  headers: Headers;
  json: unknown;
}

async function send(app: ProtectedApp, path: string, init: { headers?: Record<string, string>; method?: string; body?: string } = {}): Promise<Answer> {
  const res = await fetch(`${app.url}${path}`, {
    method: init.method ?? 'GET',
    headers: { ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}), ...init.headers },
    ...(init.body !== undefined ? { body: init.body } : {}),
  });
  return { status: res.status, headers: res.headers, json: await res.json() };
}

const keyHeader = (key: string) => ({ 'x-clavis-key': key });

/** What a refusal must look like: the status and title of the server's registry, as problem+json. */
function expectProblem(a: Answer, code: keyof typeof ERROR_CODES): void {
  const def = ERROR_CODES[code];
  expect(a.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  expect({ status: a.status, body: a.json }).toEqual({
    status: def.status,
    body: { type: `/docs/errors.md#${code.toLowerCase().replaceAll('_', '-')}`, title: def.title, status: def.status, detail: expect.any(String) as string, code },
  });
}

describe.each<Framework>(['fastify', 'node:http'])('verify middleware on %s', (framework) => {
  let app: ProtectedApp;
  let verifier: RemoteVerifier;
  beforeAll(async () => {
    verifier = new RemoteVerifier({ url: clavis.url, token: clavis.developerToken });
    app = await startProtected(framework, { verifier, environment: 'test' });
  });
  afterAll(async () => app.close());
  afterEach(() => verifier.clear());

  it('lets a valid key through and hands the route its identity, from X-Clavis-Key or Bearer', async () => {
    const created = await createKey({ ownerId: 'acme', metadata: { plan: 'pro' }, scopes: ['prices:read', 'index:read'] });
    const identity = { keyId: created.id, ownerId: 'acme', scopes: ['prices:read', 'index:read'], environment: 'test', metadata: { plan: 'pro' } };
    for (const headers of [keyHeader(created.key), { authorization: `Bearer ${created.key}` }]) {
      for (const path of ['/v1/prices', '/v1/index/ct100']) {
        const a = await send(app, path, { headers });
        expect(a.status, path).toBe(200);
        expect(a.json).toEqual({ identity, property: identity, body: null } satisfies RouteAnswer);
      }
    }
  });

  it('refuses each verify code with its status and problem body', async () => {
    const revoked = await createKey();
    await clavis.admin.revokeKey(revoked.id, 'leaked');
    const suspended = await createKey();
    await clavis.admin.suspendKey(suspended.id);
    const cases: [string, Record<string, string>, keyof typeof ERROR_CODES, string?][] = [
      ['no key', {}, 'MALFORMED'],
      ['garbage', keyHeader('not-a-key'), 'MALFORMED'],
      ['a key too long for the verify API', keyHeader('x'.repeat(300)), 'MALFORMED'],
      ['an unknown key', keyHeader(generateCredential('clv', 'test')), 'NOT_FOUND'],
      ['a revoked key', keyHeader(revoked.key), 'REVOKED'],
      ['a suspended key', keyHeader(suspended.key), 'SUSPENDED'],
      ['a key of another environment', keyHeader((await createKey({ environment: 'dev' })).key), 'ENV_MISMATCH'],
      ['an address outside the allowlist', keyHeader((await createKey({ ipAllowlist: ['203.0.113.0/24'] })).key), 'IP_NOT_ALLOWED'],
      ['a key without the scope', keyHeader((await createKey({ scopes: ['prices:read'] })).key), 'INSUFFICIENT_SCOPE', '/v1/index/ct100'],
      ['no signature for a key that requires one', keyHeader((await createKey({ signing: { scheme: 'ed25519', publicKey: keyPair().publicKey } })).key), 'SIGNATURE_REQUIRED'],
    ];
    for (const [what, headers, code, path] of cases) {
      const a = await send(app, path ?? '/v1/prices', { headers });
      expect(a.json, what).toMatchObject({ code });
      expectProblem(a, code);
    }
  });

  it('passes a key whose allowlist holds the client address', async () => {
    const { key } = await createKey({ ipAllowlist: ['127.0.0.0/8'] });
    expect((await send(app, '/v1/prices', { headers: keyHeader(key) })).status).toBe(200);
  });

  it('refuses an expired key', async () => {
    const { key } = await createKey({ ttlSeconds: 60 });
    expect((await send(app, '/v1/prices', { headers: keyHeader(key) })).status).toBe(200);
    verifier.clear();
    clavis.clock.advance(61_000);
    expectProblem(await send(app, '/v1/prices', { headers: keyHeader(key) }), 'EXPIRED');
  });

  it('answers 429 with Retry-After and RateLimit headers when a rate limit or the credits run out', async () => {
    const limited = await createKey({ rateLimits: [{ name: 'per-minute', algorithm: 'sliding-window', limit: 1, windowSeconds: 60 }] });
    const first = await send(app, '/v1/prices', { headers: keyHeader(limited.key) });
    expect(first.status).toBe(200);
    expect(first.headers.get('ratelimit-policy')).toBe('"per-minute";q=1;w=60');
    expect(first.headers.get('ratelimit')).toMatch(/^"per-minute";r=0;t=\d+$/);
    const second = await send(app, '/v1/prices', { headers: keyHeader(limited.key) });
    expectProblem(second, 'RATE_LIMITED');
    expect(Number(second.headers.get('retry-after'))).toBeGreaterThan(0);

    const daily = await createKey({ credits: { quota: 1, refill: 'daily' } });
    const spent = await send(app, '/v1/prices', { headers: keyHeader(daily.key) });
    expect(spent.headers.get('clavis-credits-remaining')).toBe('0');
    const broke = await send(app, '/v1/prices', { headers: keyHeader(daily.key) });
    expectProblem(broke, 'QUOTA_EXCEEDED');
    expect(Number(broke.headers.get('retry-after'))).toBeGreaterThan(0);

    // Credits that never refill: waiting does not help, so no Retry-After.
    const once = await createKey({ credits: { quota: 1, refill: 'none' } });
    await send(app, '/v1/prices', { headers: keyHeader(once.key) });
    const never = await send(app, '/v1/prices', { headers: keyHeader(once.key) });
    expectProblem(never, 'QUOTA_EXCEEDED');
    expect(never.headers.get('retry-after')).toBeNull();
  });

  it('charges the configured cost, and sends only Retry-After when rate-limit headers are off', async () => {
    const quiet = await startProtected(framework, { verifier, environment: 'test', cost: 3, rateLimitHeaders: false });
    try {
      const { key } = await createKey({ credits: { quota: 10, refill: 'daily' } });
      for (let i = 0; i < 3; i += 1) {
        const a = await send(quiet, '/v1/prices', { headers: keyHeader(key) });
        expect(a.status).toBe(200);
        expect(a.headers.get('clavis-credits-remaining')).toBeNull();
      }
      // 9 of 10 credits spent: a request costing 3 no longer fits.
      const broke = await send(quiet, '/v1/prices', { headers: keyHeader(key) });
      expectProblem(broke, 'QUOTA_EXCEEDED');
      expect(Number(broke.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(broke.headers.get('clavis-credits-remaining')).toBeNull();
      const loud = await send(app, '/v1/prices', { headers: keyHeader(key) });
      expect([loud.status, loud.headers.get('clavis-credits-remaining')]).toEqual([200, '0']);
    } finally {
      await quiet.close();
    }
  });

  describe('signed requests', () => {
    const url = '/v1/orders?side=buy&pair=BTC-USD';
    const body = JSON.stringify({ qty: 1, price: '65000.00' });
    let key: string;
    let privateKey: KeyObject;
    beforeAll(async () => {
      const pair = keyPair();
      privateKey = pair.privateKey;
      key = (await createKey({ signing: { scheme: 'ed25519', publicKey: pair.publicKey } })).key;
    });
    const sign = (over: { body?: string; timestamp?: number } = {}) =>
      signRequest({ key, signer: { scheme: 'ed25519', privateKey }, method: 'POST', url, body: over.body ?? body, timestamp: over.timestamp ?? clavis.clock.now() });

    it('passes a request signed with signRequest, and the route reads its body', async () => {
      const calls = clavis.verifyCalls();
      const a = await send(app, url, { method: 'POST', headers: sign(), body });
      expect(a.status).toBe(200);
      expect(a.json).toMatchObject({ body: { qty: 1, price: '65000.00' }, identity: { environment: 'test' } });
      // A bodyless signed GET: the empty body's hash.
      const get = signRequest({ key, signer: { scheme: 'ed25519', privateKey }, method: 'GET', url: '/v1/prices?ids=bitcoin', timestamp: clavis.clock.now() });
      expect((await send(app, '/v1/prices?ids=bitcoin', { headers: get })).status).toBe(200);
      // Signed answers are never cached: each went to Clavis.
      expect(clavis.verifyCalls() - calls).toBe(2);
    });

    it('refuses a tampered body, a replay, a stale or junk timestamp, a malformed nonce or signature', async () => {
      expectProblem(await send(app, url, { method: 'POST', headers: sign(), body: JSON.stringify({ qty: 1000, price: '65000.00' }) }), 'SIGNATURE_INVALID');
      const headers = sign();
      expect((await send(app, url, { method: 'POST', headers, body })).status).toBe(200);
      expectProblem(await send(app, url, { method: 'POST', headers, body }), 'REPLAYED');
      expectProblem(await send(app, url, { method: 'POST', headers: sign({ timestamp: clavis.clock.now() - 60_000 }), body }), 'REPLAYED');
      expectProblem(await send(app, url, { method: 'POST', headers: { ...sign(), 'x-clavis-timestamp': 'yesterday' }, body }), 'REPLAYED');
      expectProblem(await send(app, url, { method: 'POST', headers: { ...sign(), 'x-clavis-nonce': 'short' }, body }), 'SIGNATURE_INVALID');
      expectProblem(await send(app, url, { method: 'POST', headers: { ...sign(), 'x-clavis-signature': 'A'.repeat(300) }, body }), 'SIGNATURE_INVALID');
    });

    it('lets a key without a signing requirement through even with junk signature headers, as the server does', async () => {
      const plain = await createKey();
      const a = await send(app, '/v1/prices', { headers: { ...keyHeader(plain.key), 'x-clavis-timestamp': 'yesterday', 'x-clavis-nonce': 'n', 'x-clavis-signature': 's' } });
      expect(a.status).toBe(200);
    });
  });

  it('refuses a signed request with 500 when the app does not hand over the raw body', async () => {
    const blind = await startProtected(framework, { verifier, environment: 'test', keepRawBody: false });
    try {
      const pair = keyPair();
      const { key } = await createKey({ signing: { scheme: 'ed25519', publicKey: pair.publicKey } });
      const body = '{"qty":1}';
      const headers = signRequest({ key, signer: { scheme: 'ed25519', privateKey: pair.privateKey }, method: 'POST', url: '/v1/orders', body, timestamp: clavis.clock.now() });
      const a = await send(blind, '/v1/orders', { method: 'POST', headers, body });
      expect(a.status).toBe(500);
      expect(a.json).toMatchObject({ code: 'RAW_BODY_UNAVAILABLE', status: 500 });
    } finally {
      await blind.close();
    }
  });
});
