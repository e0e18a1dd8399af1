import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ClavisError } from '../../src/core/errors/registry.ts';
import { buildApp } from '../../src/http/app.ts';
import { ephemeralSigner } from '../../src/keyring/local-signer.ts';
import { createServices } from '../../src/services.ts';
import { bearer, makeHarness, type Harness } from '../support/harness.ts';

let h: Harness;
beforeEach(async () => {
  h = await makeHarness();
});
afterEach(async () => h.close());

interface Verify {
  valid: boolean;
  code: string;
  rateLimit: { allowed: boolean; refusedBy: string | null; retryAfter: number | null; limits: { name: string; remaining: number }[] } | null;
  credits: { allowed: boolean; remaining: number; quota: number; reset: number | null } | null;
}

async function post<T>(url: string, payload: unknown): Promise<{ status: number; body: T }> {
  const res = await h.app.inject({ method: 'POST', url, headers: bearer(h.owner.secret), payload: payload as object });
  return { status: res.statusCode, body: res.json<T>() };
}

describe('rate limits and credits in the verify pipeline', () => {
  it('refuses past a limit with RATE_LIMITED and the state of every limit, then admits after refill', async () => {
    const k = await post<{ key: string; rateLimits: unknown[] }>('/v1/keys', {
      name: 'metered',
      environment: 'test',
      scopes: ['prices:read'],
      rateLimits: [
        { name: 'burst', algorithm: 'token-bucket', limit: 3, windowSeconds: 60 },
        { name: 'per-day', algorithm: 'sliding-window', limit: 100, windowSeconds: 86400 },
      ],
    });
    expect(k.status).toBe(201);
    expect(k.body.rateLimits).toHaveLength(2);
    const results: Verify[] = [];
    for (let i = 0; i < 4; i += 1) results.push((await post<Verify>('/v1/keys/verify', { key: k.body.key })).body);
    expect(results.map((r) => r.code)).toEqual(['VALID', 'VALID', 'VALID', 'RATE_LIMITED']);
    expect(results[2]?.rateLimit?.limits.map((l) => [l.name, l.remaining])).toEqual([['burst', 0], ['per-day', 97]]);
    expect(results[3]?.rateLimit).toMatchObject({ allowed: false, refusedBy: 'burst', retryAfter: 20 });
    // A refused request consumed nothing from the other limit.
    expect(results[3]?.rateLimit?.limits[1]?.remaining).toBe(97);
    h.clock.advance(20_000);
    expect((await post<Verify>('/v1/keys/verify', { key: k.body.key })).body.code).toBe('VALID');
    // Cost 0 reports without consuming.
    const peek = (await post<Verify>('/v1/keys/verify', { key: k.body.key, cost: 0 })).body;
    expect(peek.rateLimit?.limits[1]?.remaining).toBe(96);
  });

  it('spends credits and refuses with QUOTA_EXCEEDED until the daily refill', async () => {
    const k = await post<{ key: string; id: string }>('/v1/keys', { name: 'credits', environment: 'test', scopes: ['prices:read'], credits: { quota: 5, refill: 'daily' } });
    const first = (await post<Verify>('/v1/keys/verify', { key: k.body.key, cost: 3 })).body;
    expect(first).toMatchObject({ code: 'VALID', credits: { remaining: 2, quota: 5 } });
    const over = (await post<Verify>('/v1/keys/verify', { key: k.body.key, cost: 3 })).body;
    expect(over).toMatchObject({ valid: false, code: 'QUOTA_EXCEEDED', credits: { allowed: false, remaining: 2 } });
    h.clock.advance(86_400_000);
    expect((await post<Verify>('/v1/keys/verify', { key: k.body.key, cost: 3 })).body.code).toBe('VALID');
    // Limits can be changed or removed later.
    const patched = await h.app.inject({ method: 'PATCH', url: `/v1/keys/${k.body.id}`, headers: bearer(h.owner.secret), payload: { credits: null } });
    expect(patched.json<{ credits: unknown }>().credits).toBeNull();
    expect((await post<Verify>('/v1/keys/verify', { key: k.body.key, cost: 100 })).body).toMatchObject({ code: 'VALID', credits: null });
  });

  it('validates limits at the edge', async () => {
    const dup = await post<{ code: string; errors: { field: string }[] }>('/v1/keys', {
      name: 'x',
      environment: 'test',
      scopes: ['prices:read'],
      rateLimits: [
        { name: 'a', algorithm: 'token-bucket', limit: 1, windowSeconds: 1 },
        { name: 'a', algorithm: 'token-bucket', limit: 1, windowSeconds: 1 },
      ],
    });
    expect(dup.status).toBe(400);
    expect(dup.body.errors[0]?.field).toBe('/body/rateLimits/1/name');
    const algo = await post<{ code: string; errors: { field: string }[] }>('/v1/keys', { name: 'x', environment: 'test', scopes: ['prices:read'], rateLimits: [{ name: 'a', algorithm: 'leaky', limit: 1, windowSeconds: 1 }] });
    expect(algo.body.code).toBe('VALIDATION_FAILED');
    const refill = await post<{ code: string }>('/v1/keys', { name: 'x', environment: 'test', scopes: ['prices:read'], credits: { quota: 5, refill: 'hourly' } });
    expect(refill.body.code).toBe('VALIDATION_FAILED');
  });

  it('fails closed when the limiter cannot be reached', async () => {
    const k = await post<{ key: string }>('/v1/keys', { name: 'm', environment: 'test', scopes: ['prices:read'], credits: { quota: 5, refill: 'none' } });
    // A second app on the same store whose limiter is down (as Redis would be).
    const unavailable = async (): Promise<never> => {
      throw new ClavisError('STORE_UNAVAILABLE', 'redis is down');
    };
    const s2 = createServices({
      store: h.store,
      signer: ephemeralSigner(),
      policy: { prefix: 'clv', maxTtlMs: { live: 1e10, test: null, dev: null }, defaultGraceMs: 0 },
      cache: { ttlMs: 0, negativeTtlMs: 0, maxEntries: 0 },
      auditOrigin: 'x',
      limiter: { consume: unavailable, consumeCredits: unavailable, peekCredits: unavailable, reset: async () => undefined, close: async () => undefined },
    });
    const app2 = await buildApp({ services: s2, logger: false });
    const res = await app2.inject({ method: 'POST', url: '/v1/keys/verify', headers: bearer(h.owner.secret), payload: { key: k.body.key } });
    expect(res.statusCode).toBe(503);
    expect(res.json<{ code: string }>().code).toBe('STORE_UNAVAILABLE');
    await app2.close();
  });
});
