import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateCredential } from '../../src/core/keys/key-format.ts';
import { registerConsumerGuard } from '../../src/http/plugins/consumer-guard.ts';
import { bearer } from '../support/harness.ts';
import { makeDataHarness, signed, type DataHarness } from './harness.ts';

interface Problem {
  status: number;
  code: string;
  detail: string;
}

let h: DataHarness;
beforeAll(async () => {
  h = await makeDataHarness();
});
afterAll(async () => h.close());

async function call(url: string, headers: Record<string, string>, method: 'GET' | 'POST' = 'GET', payload?: object) {
  const res = await h.app.inject({ method, url, headers, ...(payload === undefined ? {} : { payload }) });
  return { status: res.statusCode, headers: res.headers, body: res.json<Problem>() };
}

describe('consumer guard on the data API', () => {
  it('refuses a missing, malformed, unknown or admin credential with 401 and WWW-Authenticate', async () => {
    const cases: [Record<string, string>, string][] = [
      [{}, 'MALFORMED'],
      [bearer('not-a-key'), 'MALFORMED'],
      [bearer(h.ownerToken), 'MALFORMED'],
      [bearer(generateCredential('clv', 'test')), 'NOT_FOUND'],
      [{ 'x-clavis-key': generateCredential('clv', 'live') }, 'NOT_FOUND'],
    ];
    for (const [headers, code] of cases) {
      const r = await call('/v1/indices/ct100', headers);
      expect(r.status, JSON.stringify(headers)).toBe(401);
      expect(r.body.code).toBe(code);
      expect(r.headers['content-type']).toContain('application/problem+json');
      expect(r.headers['www-authenticate']).toBe('Bearer realm="clavis-data-api"');
    }
  });

  it('accepts the key as Authorization: Bearer or X-Clavis-Key, and checks the route scope', async () => {
    const { key } = await h.createKey({ name: 'prices only', scopes: ['prices:read'] });
    expect((await call('/v1/prices?limit=1', bearer(key))).status).toBe(200);
    expect((await call('/v1/prices?limit=1', { 'x-clavis-key': key })).status).toBe(200);
    for (const url of ['/v1/indices/ct100', '/v1/signals/regime', '/v1/portfolio']) {
      const r = await call(url, bearer(key));
      expect(r.status, url).toBe(403);
      expect(r.body.code).toBe('INSUFFICIENT_SCOPE');
      expect(r.body.detail).toMatch(/needs the scope (index|signals|portfolio):read/);
      expect(r.headers['www-authenticate']).toBeUndefined();
    }
  });

  it('checks authentication before the input: a bad query from an unknown caller is 401, not 400', async () => {
    expect((await call('/v1/prices?limit=0', {})).body.code).toBe('MALFORMED');
    const { key } = await h.createKey({ name: 'r', scopes: ['prices:read'] });
    expect((await call('/v1/prices?limit=0', bearer(key))).body.code).toBe('VALIDATION_FAILED');
  });

  it('refuses revoked and suspended keys, and keys outside their IP allowlist', async () => {
    const revoked = await h.createKey({ name: 'to revoke', scopes: ['prices:read'] });
    await h.revokeKey(revoked.id);
    expect((await call('/v1/prices', bearer(revoked.key))).body).toMatchObject({ status: 401, code: 'REVOKED' });
    const suspended = await h.createKey({ name: 'to suspend', scopes: ['prices:read'] });
    await h.app.inject({ method: 'POST', url: `/v1/keys/${suspended.id}/suspend`, headers: bearer(h.ownerToken), payload: {} });
    expect((await call('/v1/prices', bearer(suspended.key))).body).toMatchObject({ status: 403, code: 'SUSPENDED' });
    const elsewhere = await h.createKey({ name: 'office only', scopes: ['prices:read'], ipAllowlist: ['203.0.113.0/24'] });
    expect((await call('/v1/prices', bearer(elsewhere.key))).body).toMatchObject({ status: 403, code: 'IP_NOT_ALLOWED' });
  });

  it('sends the RateLimit headers on every answer, and 429 with Retry-After past a limit', async () => {
    const { key } = await h.createKey({ name: 'metered', scopes: ['prices:read'], rateLimits: [{ name: 'burst', algorithm: 'token-bucket', limit: 2, windowSeconds: 60 }], credits: { quota: 100, refill: 'daily' } });
    const first = await call('/v1/prices?limit=1', bearer(key));
    expect(first.status).toBe(200);
    expect(first.headers['ratelimit-policy']).toBe('"burst";q=2;w=60;clavis-alg=token-bucket');
    expect(first.headers.ratelimit).toMatch(/^"burst";r=1;t=\d+$/);
    expect(first.headers['clavis-credits-remaining']).toBe('99');
    expect((await call('/v1/prices?limit=1', bearer(key))).status).toBe(200);
    const third = await call('/v1/prices?limit=1', bearer(key));
    expect(third.status).toBe(429);
    expect(third.body.code).toBe('RATE_LIMITED');
    expect(third.headers['retry-after']).toBe('30');
    expect(third.headers.ratelimit).toBe('"burst";r=0;t=30');
    h.clock.advance(30_000);
    expect((await call('/v1/prices?limit=1', bearer(key))).status).toBe(200);
  });

  it('verifies signatures over the raw body: a changed body is SIGNATURE_INVALID, a replay REPLAYED', async () => {
    const trader = await h.createTraderKey('sig-owner');
    const body = JSON.stringify({ side: 'buy', amountUsd: 100 });
    const headers = { ...signed(h, trader, 'POST', '/v1/indices/ct100/quote', body), 'content-type': 'application/json' };
    const ok = await h.app.inject({ method: 'POST', url: '/v1/indices/ct100/quote', headers, payload: body });
    expect(ok.statusCode).toBe(201);
    const replay = await h.app.inject({ method: 'POST', url: '/v1/indices/ct100/quote', headers, payload: body });
    expect(replay.json<Problem>().code).toBe('REPLAYED');
    const fresh = { ...signed(h, trader, 'POST', '/v1/indices/ct100/quote', body), 'content-type': 'application/json' };
    // Same JSON value, other bytes: the signature covers the bytes sent.
    const spaced = await h.app.inject({ method: 'POST', url: '/v1/indices/ct100/quote', headers: fresh, payload: JSON.stringify({ side: 'buy', amountUsd: 100 }, null, 1) });
    expect(spaced.json<Problem>().code).toBe('SIGNATURE_INVALID');
    expect((await call('/v1/indices/ct100', bearer(trader.key))).body.code).toBe('SIGNATURE_REQUIRED');
  });

  it('refuses keys of another environment when the data API is bound to one', async () => {
    const live = await makeDataHarness({ dataApi: { environment: 'live' } });
    try {
      const testKey = await live.createKey({ name: 'test key', environment: 'test', scopes: ['prices:read'] });
      const liveKey = await live.createKey({ name: 'live key', environment: 'live', scopes: ['prices:read'] });
      const refused = await live.app.inject({ url: '/v1/prices?limit=1', headers: bearer(testKey.key) });
      expect(refused.statusCode).toBe(403);
      expect(refused.json<Problem>().code).toBe('ENV_MISMATCH');
      expect((await live.app.inject({ url: '/v1/prices?limit=1', headers: bearer(liveKey.key) })).statusCode).toBe(200);
    } finally {
      await live.close();
    }
  });

  it('stops the server at start-up when a route declares a consumer scope beside a permission, or an unknown scope', async () => {
    for (const config of [{ permission: 'keys:read', consumerScope: 'prices:read' }, { permission: null, consumerScope: 'prices:write' }]) {
      const app = Fastify();
      registerConsumerGuard(app, h.services);
      // Declarations the types already rule out in route files; the hook refuses them at run time too.
      expect(() => app.route({ method: 'GET', url: '/x', config: config as never, handler: async () => ({}) })).toThrow(/consumerScope/);
      await app.close();
    }
  });
});
