import { createHash } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { generateCredential } from '../../src/core/keys/key-format.ts';
import { DAY_MS, bearer, makeHarness, type Harness } from '../support/harness.ts';

let h: Harness;
beforeEach(async () => {
  h = await makeHarness();
});
afterEach(async () => h.close());

interface Problem {
  code: string;
  status: number;
  requestId: string;
  errors?: { field: string; message: string }[];
}

async function post<T>(url: string, payload: unknown, token = h.owner.secret): Promise<{ status: number; body: T; headers: Record<string, unknown> }> {
  const res = await h.app.inject({ method: 'POST', url, headers: bearer(token), payload: payload as object });
  return { status: res.statusCode, body: res.json<T>(), headers: res.headers };
}

async function createKey(extra: Record<string, unknown> = {}): Promise<{ id: string; key: string; expiresAt: string | null }> {
  const r = await post<{ id: string; key: string; expiresAt: string | null }>('/v1/keys', { name: 'alice', environment: 'test', scopes: ['prices:read'], ...extra });
  expect(r.status).toBe(201);
  return r.body;
}

async function verify(body: Record<string, unknown>): Promise<{ valid: boolean; code: string; keyId: string | null }> {
  const r = await post<{ valid: boolean; code: string; keyId: string | null }>('/v1/keys/verify', body);
  expect(r.status).toBe(200);
  return r.body;
}

describe('POST /v1/keys', () => {
  it('creates a key in the documented format, shows it once and stores only its hash', async () => {
    const r = await post<Record<string, unknown>>('/v1/keys', { name: 'alice', environment: 'live', scopes: ['prices:read', 'index:read'], metadata: { plan: 'pro' }, ownerId: 'cust_1', ipAllowlist: ['10.0.0.0/8', '2001:db8::/32'] });
    expect(r.status).toBe(201);
    expect(r.headers['cache-control']).toBe('no-store');
    const key = r.body.key as string;
    expect(key).toMatch(/^clv_live_[0-9A-Za-z]{43}[0-9A-Za-z]{6}$/);
    expect(r.body.start).toBe(key.slice(0, 13));
    expect(r.body.expiresAt).toBe(new Date(h.clock.now() + 90 * DAY_MS).toISOString());
    expect(r.body).not.toHaveProperty('hash');
    const stored = await h.store.keys.findById(h.workspaceId, r.body.id as string);
    expect(stored?.hash).toBe(createHash('sha256').update(key).digest('hex'));
    expect(JSON.stringify(stored)).not.toContain(key);
    const got = await h.app.inject({ url: `/v1/keys/${r.body.id as string}`, headers: bearer(h.owner.secret) });
    expect(got.json()).not.toHaveProperty('key');
    expect(got.body).not.toContain(key);
  });

  it('answers each kind of bad input with a precise 4xx, and writes nothing', async () => {
    const cases: [Record<string, unknown>, string, string][] = [
      [{ name: 42, environment: 'test', scopes: ['prices:read'] }, 'VALIDATION_FAILED', '/body/name'],
      [{ name: 'a', environment: 'test', scopes: ['prices:read'], colour: 'red' }, 'VALIDATION_FAILED', '/body/colour'],
      [{ name: 'x'.repeat(101), environment: 'test', scopes: ['prices:read'] }, 'VALIDATION_FAILED', '/body/name'],
      [{ name: 'a', environment: 'prod', scopes: ['prices:read'] }, 'VALIDATION_FAILED', '/body/environment'],
      [{ environment: 'test', scopes: ['prices:read'] }, 'VALIDATION_FAILED', '/body/name'],
      [{ name: 'a', environment: 'test', scopes: [] }, 'VALIDATION_FAILED', '/body/scopes'],
      [{ name: 'a', environment: 'test', scopes: ['prices:read', 'prices:write'] }, 'UNKNOWN_SCOPE', '/body/scopes/1'],
      [{ name: 'a', environment: 'test', scopes: ['prices:read'], expiresAt: '2020-01-01T00:00:00Z' }, 'EXPIRY_IN_PAST', '/body/expiresAt'],
      [{ name: 'a', environment: 'test', scopes: ['prices:read'], expiresAt: 'tomorrow' }, 'VALIDATION_FAILED', '/body/expiresAt'],
      [{ name: 'a', environment: 'live', scopes: ['prices:read'], ttlSeconds: 91 * 86400 }, 'EXPIRY_TOO_LONG', '/body/ttlSeconds'],
      [{ name: 'a', environment: 'test', scopes: ['prices:read'], ttlSeconds: 60, expiresAt: '2030-01-01T00:00:00Z' }, 'EXPIRY_CONFLICT', '/body/ttlSeconds'],
      [{ name: 'a', environment: 'test', scopes: ['prices:read'], ttlSeconds: 0 }, 'VALIDATION_FAILED', '/body/ttlSeconds'],
      [{ name: 'a', environment: 'test', scopes: ['prices:read'], ipAllowlist: ['10.0.0.0/33'] }, 'INVALID_CIDR', '/body/ipAllowlist/0'],
      [{ name: 'a', environment: 'test', scopes: ['prices:read'], ipAllowlist: ['example.com'] }, 'INVALID_CIDR', '/body/ipAllowlist/0'],
      [{ name: 'a\u0000b', environment: 'test', scopes: ['prices:read'] }, 'VALIDATION_FAILED', '/body/name'],
      [{ name: 'a', environment: 'test', scopes: 'prices:read' }, 'VALIDATION_FAILED', '/body/scopes'],
    ];
    for (const [payload, code, field] of cases) {
      const r = await post<Problem>('/v1/keys', payload);
      expect(r.status, JSON.stringify(payload)).toBe(400);
      expect(r.body.code, JSON.stringify(payload)).toBe(code);
      expect(r.body.errors?.map((e) => e.field), JSON.stringify(payload)).toContain(field);
      expect(r.body.requestId).toMatch(/^req_/);
      expect(r.headers['content-type']).toContain('application/problem+json');
    }
    expect(await h.services.keys.list(h.workspaceId, { limit: 100 })).toHaveLength(0);
    expect(await h.store.audit.size(h.workspaceId)).toBe(2); // bootstrap events only
  });

  it('refuses a body that is not JSON or too large', async () => {
    const notJson = await h.app.inject({ method: 'POST', url: '/v1/keys', headers: { ...bearer(h.owner.secret), 'content-type': 'application/json' }, payload: '{"name":' });
    expect(notJson.statusCode).toBe(400);
    expect(notJson.json<Problem>().code).toBe('INVALID_JSON');
    const text = await h.app.inject({ method: 'POST', url: '/v1/keys', headers: { ...bearer(h.owner.secret), 'content-type': 'text/plain' }, payload: 'hello' });
    expect(text.statusCode).toBe(415);
    expect(text.json<Problem>().code).toBe('UNSUPPORTED_MEDIA_TYPE');
    const big = await post<Problem>('/v1/keys', { name: 'a', environment: 'test', scopes: ['prices:read'], metadata: { blob: 'x'.repeat(70_000) } });
    expect(big.status).toBe(413);
    expect(big.body.code).toBe('BODY_TOO_LARGE');
  });

  it('gives dev keys no expiry by default and test keys the policy maximum', async () => {
    expect((await createKey({ environment: 'dev' })).expiresAt).toBeNull();
    expect((await createKey()).expiresAt).toBe(new Date(h.clock.now() + 365 * DAY_MS).toISOString());
    expect((await createKey({ ttlSeconds: 3600 })).expiresAt).toBe(new Date(h.clock.now() + 3600_000).toISOString());
  });
});

describe('GET /v1/keys', () => {
  it('pages with a cursor and filters', async () => {
    for (let i = 0; i < 7; i += 1) {
      await createKey({ name: `k${i}`, environment: i % 2 === 0 ? 'test' : 'dev', ownerId: i < 3 ? 'alice' : 'bob' });
      h.clock.advance(1);
    }
    const names: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const url: string = `/v1/keys?limit=3${cursor === null ? '' : `&cursor=${cursor}`}`;
      const body = (await h.app.inject({ url, headers: bearer(h.owner.secret) })).json<{ data: { name: string }[]; nextCursor: string | null }>();
      names.push(...body.data.map((k) => k.name));
      cursor = body.nextCursor;
      pages += 1;
    } while (cursor !== null);
    expect(pages).toBe(3);
    expect(names).toEqual(['k0', 'k1', 'k2', 'k3', 'k4', 'k5', 'k6']);
    const dev = (await h.app.inject({ url: '/v1/keys?environment=dev&ownerId=bob', headers: bearer(h.owner.secret) })).json<{ data: { name: string }[] }>();
    expect(dev.data.map((k) => k.name)).toEqual(['k3', 'k5']);
    const bad = await h.app.inject({ url: '/v1/keys?cursor=bm9wZQ', headers: bearer(h.owner.secret) });
    expect(bad.json<Problem>().code).toBe('INVALID_CURSOR');
    const badLimit = await h.app.inject({ url: '/v1/keys?limit=0', headers: bearer(h.owner.secret) });
    expect(badLimit.json<Problem>().errors?.[0]?.field).toBe('/querystring/limit');
    const unknown = await h.app.inject({ url: '/v1/keys?sort=name', headers: bearer(h.owner.secret) });
    expect(unknown.json<Problem>().code).toBe('VALIDATION_FAILED');
  });

  it('answers 404 KEY_NOT_FOUND for an unknown id and 400 for a malformed one', async () => {
    const missing = await h.app.inject({ url: '/v1/keys/key_0000000000000000000000', headers: bearer(h.owner.secret) });
    expect(missing.statusCode).toBe(404);
    expect(missing.json<Problem>().code).toBe('KEY_NOT_FOUND');
    const malformed = await h.app.inject({ url: '/v1/keys/nope', headers: bearer(h.owner.secret) });
    expect(malformed.statusCode).toBe(400);
    expect(malformed.json<Problem>().errors?.[0]?.field).toBe('/params/id');
  });
});

describe('verify pipeline over HTTP', () => {
  it('answers every reason code in pipeline order', async () => {
    const k = await createKey({ scopes: ['prices:read'], ipAllowlist: ['203.0.113.0/24', '2001:db8::/32'] });
    expect(await verify({ key: k.key, ip: '203.0.113.9', scope: 'prices:read', environment: 'test' })).toMatchObject({ valid: true, code: 'VALID', keyId: k.id });
    expect(await verify({ key: k.key, ip: '::ffff:203.0.113.9' })).toMatchObject({ code: 'VALID' });
    expect(await verify({ key: k.key, ip: '2001:db8::7' })).toMatchObject({ code: 'VALID' });
    expect(await verify({ key: k.key, ip: '198.51.100.1' })).toMatchObject({ valid: false, code: 'IP_NOT_ALLOWED' });
    expect(await verify({ key: k.key })).toMatchObject({ code: 'IP_NOT_ALLOWED' });
    expect(await verify({ key: k.key, ip: '203.0.113.9', scope: 'index:read' })).toMatchObject({ code: 'INSUFFICIENT_SCOPE' });
    expect(await verify({ key: k.key, ip: '203.0.113.9', environment: 'live' })).toMatchObject({ code: 'ENV_MISMATCH' });
    expect(await verify({ key: `${k.key.slice(0, -1)}${k.key.endsWith('A') ? 'B' : 'A'}` })).toMatchObject({ code: 'MALFORMED', keyId: null });
    expect(await verify({ key: 'clv_test_short' })).toMatchObject({ code: 'MALFORMED' });
    expect(await verify({ key: '' })).toMatchObject({ code: 'MALFORMED' });
    expect(await verify({ key: 'ключ_test_😀' })).toMatchObject({ code: 'MALFORMED' });
    expect(await verify({ key: h.owner.secret })).toMatchObject({ code: 'MALFORMED' });
    expect(await verify({ key: generateCredential('clv', 'test') })).toMatchObject({ code: 'NOT_FOUND' });
    await post('/v1/keys/' + k.id + '/suspend', { reason: 'investigating' });
    expect(await verify({ key: k.key, ip: '203.0.113.9' })).toMatchObject({ code: 'SUSPENDED' });
    await post('/v1/keys/' + k.id + '/resume', {});
    expect(await verify({ key: k.key, ip: '203.0.113.9' })).toMatchObject({ code: 'VALID' });
    const short = await createKey({ ttlSeconds: 60 });
    h.clock.advance(60_000);
    expect(await verify({ key: short.key })).toMatchObject({ code: 'EXPIRED' });
    await post('/v1/keys/' + k.id + '/revoke', { reason: 'leaked' });
    expect(await verify({ key: k.key, ip: '203.0.113.9' })).toMatchObject({ code: 'REVOKED' });
    const badIp = await post<Problem>('/v1/keys/verify', { key: k.key, ip: 'not-an-ip' });
    expect(badIp.status).toBe(400);
    expect(badIp.body.errors?.[0]?.field).toMatch(/^\/body\/ip/);
  });

  it('does not look a malformed key up in the store', async () => {
    const k = await createKey();
    const original = h.store.keys.findByHash.bind(h.store.keys);
    let lookups = 0;
    h.store.keys.findByHash = async (hash) => {
      lookups += 1;
      return original(hash);
    };
    await verify({ key: 'clv_test_' + 'A'.repeat(49) });
    await verify({ key: 'x'.repeat(200) });
    expect(lookups).toBe(0);
    await verify({ key: generateCredential('clv', 'test') });
    expect(lookups).toBe(1);
    await verify({ key: k.key });
    expect(lookups).toBe(2);
    await verify({ key: k.key });
    expect(lookups).toBe(2); // served from the cache
  });
});

describe('lifecycle', () => {
  it('rotates with a grace period that never outlives the old expiry', async () => {
    const k = await createKey({ ttlSeconds: 3600 });
    const r = await post<{ key: string; successor: { id: string; replacesId: string; expiresAt: string; scopes: string[] }; previous: { expiresAt: string; replacedById: string } }>(`/v1/keys/${k.id}/rotate`, { gracePeriodSeconds: 7200 });
    expect(r.status).toBe(200);
    expect(r.body.key).toMatch(/^clv_test_/);
    expect(r.body.successor.replacesId).toBe(k.id);
    expect(r.body.previous.replacedById).toBe(r.body.successor.id);
    expect(r.body.previous.expiresAt).toBe(k.expiresAt); // 1 h left < 2 h grace
    expect(r.body.successor.expiresAt).toBe(new Date(h.clock.now() + 3600_000).toISOString());
    expect(r.body.successor.scopes).toEqual(['prices:read']);
    expect((await verify({ key: k.key })).code).toBe('VALID');
    expect((await verify({ key: r.body.key })).code).toBe('VALID');
    const again = await post<Problem>(`/v1/keys/${k.id}/rotate`, {});
    expect(again.status).toBe(409);
    expect(again.body.code).toBe('KEY_STATE_CONFLICT');
  });

  it('takes POST operations whose fields are all optional without any body (issue found by the e2e suite)', async () => {
    const k = await createKey();
    for (const op of ['suspend', 'resume', 'rotate']) {
      const res = await h.app.inject({ method: 'POST', url: `/v1/keys/${k.id}/${op}`, headers: bearer(h.owner.secret) });
      expect(res.statusCode, op).toBe(200);
    }
    const cp = await h.app.inject({ method: 'POST', url: '/v1/audit/checkpoints', headers: bearer(h.owner.secret) });
    expect(cp.statusCode).toBe(200);
    const conflict = await h.app.inject({ method: 'POST', url: `/v1/keys/${k.id}/resume`, headers: bearer(h.owner.secret) });
    expect(conflict.json<Problem & { detail: string }>().detail).toBe('cannot resume an active key');
  });

  it('ends the old key at once with a zero grace period, and after the grace otherwise', async () => {
    const a = await createKey();
    const ra = await post<{ key: string }>(`/v1/keys/${a.id}/rotate`, { gracePeriodSeconds: 0 });
    expect((await verify({ key: a.key })).code).toBe('EXPIRED');
    expect((await verify({ key: ra.body.key })).code).toBe('VALID');
    const b = await createKey();
    await post(`/v1/keys/${b.id}/rotate`, {});
    h.clock.advance(DAY_MS - 1);
    expect((await verify({ key: b.key })).code).toBe('VALID');
    h.clock.advance(1);
    expect((await verify({ key: b.key })).code).toBe('EXPIRED');
  });

  it('patches fields, refuses state changes that make no sense, and audits each change', async () => {
    const k = await createKey();
    const patched = await h.app.inject({ method: 'PATCH', url: `/v1/keys/${k.id}`, headers: bearer(h.owner.secret), payload: { name: 'bob', scopes: ['index:read'], metadata: { tier: 2 } } });
    expect(patched.json()).toMatchObject({ name: 'bob', scopes: ['index:read'], metadata: { tier: 2 } });
    const empty = await h.app.inject({ method: 'PATCH', url: `/v1/keys/${k.id}`, headers: bearer(h.owner.secret), payload: {} });
    expect(empty.statusCode).toBe(400);
    expect((await post<Problem>(`/v1/keys/${k.id}/resume`, {})).body.code).toBe('KEY_STATE_CONFLICT');
    expect((await post<Problem>(`/v1/keys/${k.id}/revoke`, {})).body.code).toBe('VALIDATION_FAILED');
    await post(`/v1/keys/${k.id}/revoke`, { reason: 'done' });
    expect((await post<Problem>(`/v1/keys/${k.id}/revoke`, { reason: 'again' })).body.code).toBe('KEY_STATE_CONFLICT');
    expect((await post<Problem>(`/v1/keys/${k.id}/suspend`, {})).body.code).toBe('KEY_STATE_CONFLICT');
    const events = (await h.app.inject({ url: `/v1/audit/events?target=${k.id}`, headers: bearer(h.owner.secret) })).json<{ data: { action: string; actor: { id: string }; data: Record<string, unknown> }[] }>().data;
    expect(events.map((e) => e.action)).toEqual(['key.created', 'key.updated', 'key.revoked']);
    expect(events.every((e) => e.actor.id === h.owner.record.id)).toBe(true);
    expect(events[1]?.data.changed).toEqual(['name', 'scopes', 'metadata']);
    const hash = createHash('sha256').update(k.key).digest('hex');
    const all = (await h.app.inject({ url: '/v1/audit/events?limit=1000', headers: bearer(h.owner.secret) })).body;
    expect(all).not.toContain(k.key);
    expect(all).not.toContain(hash);
    expect(all).not.toContain(h.owner.secret);
  });
});
