import { createServer, type Server } from 'node:http';
import { ClavisApiError, RemoteVerifier, type CreateKeyRequest, type EdgeFailureCode, type RemoteVerifierOptions, type VerifyResult } from '@clavis/sdk';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { generateCredential } from '../../src/core/keys/key-format.ts';
import { ManualClock } from '../support/harness.ts';
import { portOf, startClavis, type ClavisServer } from './clavis-server.ts';
import { startProtected, type ProtectedApp } from './protected-apps.ts';

let clavis: ClavisServer;
beforeAll(async () => {
  clavis = await startClavis();
});
afterAll(async () => clavis.close());

/** The verifier's own clock: moves the cache's time, not Clavis's. */
let cacheClock: ManualClock;
let app: ProtectedApp | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

async function protect(opts: Partial<RemoteVerifierOptions> = {}): Promise<{ app: ProtectedApp; verifier: RemoteVerifier }> {
  cacheClock = new ManualClock(0);
  const verifier = new RemoteVerifier({ url: clavis.url, token: clavis.developerToken, clock: cacheClock, ...opts });
  app = await startProtected('fastify', { verifier, environment: 'test' });
  return { app, verifier };
}

async function get(path: string, key: string): Promise<{ status: number; code: unknown }> {
  if (app === undefined) throw new Error('no protected app');
  const res = await fetch(`${app.url}${path}`, { headers: { 'x-clavis-key': key } });
  return { status: res.status, code: ((await res.json()) as { code?: unknown }).code };
}

/** Verify calls Clavis received while `fn` ran. */
async function callsDuring(fn: () => Promise<void>): Promise<number> {
  const before = clavis.verifyCalls();
  await fn();
  return clavis.verifyCalls() - before;
}

const createKey = async (over: Partial<CreateKeyRequest> = {}) => clavis.admin.createKey({ name: 'consumer', environment: 'test', scopes: ['prices:read'], ...over });

describe('the verifier cache', () => {
  it('reuses a VALID answer within the TTL, and sees a revocation only once it expires', async () => {
    await protect();
    const { id, key } = await createKey();
    expect(
      await callsDuring(async () => {
        for (let i = 0; i < 3; i += 1) expect((await get('/v1/prices', key)).status).toBe(200);
      }),
    ).toBe(1);
    await clavis.admin.revokeKey(id, 'leaked');
    // The trade-off of caching at the edge: up to the TTL, the revoked key still passes here.
    cacheClock.advance(4999);
    expect(await get('/v1/prices', key)).toEqual({ status: 200, code: undefined });
    cacheClock.advance(1);
    expect(await callsDuring(async () => expect(await get('/v1/prices', key)).toEqual({ status: 401, code: 'REVOKED' }))).toBe(1);
    // Refusals other than MALFORMED and NOT_FOUND are not cached: each asks again.
    expect(await callsDuring(async () => expect((await get('/v1/prices', key)).code).toBe('REVOKED'))).toBe(1);
  });

  it('never caches answers for keys with rate limits or credits', async () => {
    await protect();
    const limited = await createKey({ rateLimits: [{ name: 'per-second', algorithm: 'token-bucket', limit: 100, windowSeconds: 1 }] });
    const metered = await createKey({ credits: { quota: 100, refill: 'monthly' } });
    for (const { key } of [limited, metered]) {
      expect(
        await callsDuring(async () => {
          for (let i = 0; i < 3; i += 1) expect((await get('/v1/prices', key)).status).toBe(200);
        }),
      ).toBe(3);
    }
  });

  it('keys answers by scope, so a VALID for one scope does not pass another', async () => {
    const { verifier } = await protect();
    const { key } = await createKey({ scopes: ['prices:read'] });
    expect(await get('/v1/prices', key)).toEqual({ status: 200, code: undefined });
    expect(await callsDuring(async () => expect(await get('/v1/index/ct100', key)).toEqual({ status: 403, code: 'INSUFFICIENT_SCOPE' }))).toBe(1);
    const direct = await verifier.verify({ key, scope: 'prices:read', environment: 'test', ip: '127.0.0.1' });
    expect(direct).toMatchObject({ answered: true, cached: true });
    expect(await verifier.verify({ key, scope: 'prices:read', environment: 'test', ip: '127.0.0.2' })).toMatchObject({ answered: true, cached: false });
  });

  it('caches NOT_FOUND and MALFORMED for the shorter negative TTL', async () => {
    await protect({ negativeTtlMs: 1000 });
    const unknown = generateCredential('clv', 'test');
    expect(
      await callsDuring(async () => {
        expect((await get('/v1/prices', unknown)).code).toBe('NOT_FOUND');
        expect((await get('/v1/prices', unknown)).code).toBe('NOT_FOUND');
        expect((await get('/v1/prices', 'not-a-key')).code).toBe('MALFORMED');
        expect((await get('/v1/prices', 'not-a-key')).code).toBe('MALFORMED');
      }),
    ).toBe(2);
    cacheClock.advance(1000);
    expect(await callsDuring(async () => expect((await get('/v1/prices', unknown)).code).toBe('NOT_FOUND'))).toBe(1);
  });

  it('caches nothing with TTL 0', async () => {
    await protect({ cacheTtlMs: 0 });
    const { key } = await createKey();
    const unknown = generateCredential('clv', 'test');
    expect(
      await callsDuring(async () => {
        for (const k of [key, key, unknown, unknown]) await get('/v1/prices', k);
      }),
    ).toBe(4);
  });

  it('holds at most maxEntries answers, dropping the least recently used', async () => {
    const { verifier } = await protect({ maxEntries: 2 });
    const [a, b, c] = await Promise.all([createKey(), createKey(), createKey()]);
    if (a === undefined || b === undefined || c === undefined) throw new Error('keys not created');
    const ask = (key: string) => verifier.verify({ key, scope: 'prices:read' });
    await ask(a.key);
    await ask(b.key);
    expect(await ask(a.key)).toMatchObject({ cached: true });
    await ask(c.key);
    expect(verifier.cachedAnswers).toBe(2);
    expect(await ask(a.key)).toMatchObject({ cached: true });
    expect(await ask(b.key)).toMatchObject({ cached: false });
  });
});

/** A stand-in for Clavis that answers every request with `reply` (or never, when it is null). */
async function fakeClavis(reply: { status: number; body: unknown } | null): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    req.resume();
    if (reply === null) return;
    res.statusCode = reply.status;
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify(reply.body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${portOf(server.address())}`, server };
}

async function closeFake(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

describe('failing closed', () => {
  const errors: { code: EdgeFailureCode; cause: unknown }[] = [];
  const onError = (code: EdgeFailureCode, cause: unknown) => errors.push({ code, cause });
  afterEach(() => {
    errors.length = 0;
  });

  it('answers 503 VERIFIER_UNAVAILABLE when Clavis is down, and lets nothing through', async () => {
    const gone = await startClavis();
    const url = gone.url;
    const { key } = await gone.admin.createKey({ name: 'c', environment: 'test', scopes: ['prices:read'] });
    await gone.close();
    await protect({ url, onError });
    const res = await fetch(`${app?.url ?? ''}/v1/prices`, { headers: { 'x-clavis-key': key } });
    expect(res.status).toBe(503);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(await res.json()).toEqual({
      type: '/docs/errors.md#verifier-unavailable',
      title: 'Keys cannot be verified right now',
      status: 503,
      detail: expect.stringContaining('cannot be reached') as string,
      code: 'VERIFIER_UNAVAILABLE',
    });
    expect(errors.map((e) => e.code)).toEqual(['VERIFIER_UNAVAILABLE']);
  });

  it('answers 503 when Clavis does not answer within the timeout, or answers 5xx or garbage', async () => {
    const { key } = await createKey();
    for (const reply of [null, { status: 503, body: { code: 'STORE_UNAVAILABLE', status: 503 } }, { status: 200, body: { hello: 'world' } }]) {
      const fake = await fakeClavis(reply);
      try {
        await protect({ url: fake.url, timeoutMs: 200, onError });
        expect(await get('/v1/prices', key), JSON.stringify(reply)).toEqual({ status: 503, code: 'VERIFIER_UNAVAILABLE' });
      } finally {
        await app?.close();
        app = undefined;
        await closeFake(fake.server);
      }
    }
    expect(errors.map((e) => e.code)).toEqual(['VERIFIER_UNAVAILABLE', 'VERIFIER_UNAVAILABLE', 'VERIFIER_UNAVAILABLE']);
  });

  it('answers 500 VERIFIER_MISCONFIGURED when Clavis refuses the provider token or answers an unknown code', async () => {
    const token = await clavis.admin.createToken({ name: 'soon revoked', role: 'developer' });
    await clavis.admin.revokeToken(token.id);
    const { key } = await createKey();
    await protect({ token: token.token, onError });
    expect(await get('/v1/prices', key)).toEqual({ status: 500, code: 'VERIFIER_MISCONFIGURED' });
    const cause = errors[0]?.cause;
    expect(cause).toBeInstanceOf(ClavisApiError);
    expect(cause instanceof ClavisApiError ? [cause.status, cause.code] : []).toEqual([401, 'AUTH_INVALID']);
    await app?.close();
    app = undefined;

    const newer: VerifyResult = { valid: false, code: 'GEO_BLOCKED' as VerifyResult['code'], keyId: null, environment: null, scopes: null, expiresAt: null, ownerId: null, metadata: null, rateLimit: null, credits: null };
    const fake = await fakeClavis({ status: 200, body: newer });
    try {
      await protect({ url: fake.url, onError });
      expect(await get('/v1/prices', key)).toEqual({ status: 500, code: 'VERIFIER_MISCONFIGURED' });
      expect(String(errors[1]?.cause)).toMatch(/GEO_BLOCKED, unknown to this SDK/);
    } finally {
      await closeFake(fake.server);
    }
  });

  it('needs no more than a developer token', async () => {
    const readOnly = await clavis.admin.createToken({ name: 'read-only', role: 'read-only' });
    const { key } = await createKey();
    const developer = new RemoteVerifier({ url: clavis.url, token: clavis.developerToken });
    expect(await developer.verify({ key })).toMatchObject({ answered: true, result: { valid: true, code: 'VALID' } });
    const tooWeak = new RemoteVerifier({ url: clavis.url, token: readOnly.token });
    expect(await tooWeak.verify({ key })).toMatchObject({ answered: false, code: 'VERIFIER_MISCONFIGURED' });
  });
});
