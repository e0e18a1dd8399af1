import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROLE_PERMISSIONS } from '../../src/core/auth/permissions.ts';
import { generateCredential } from '../../src/core/keys/key-format.ts';
import { ROLES } from '../../src/core/model.ts';
import { DAY_MS, bearer, makeHarness, type Harness } from '../support/harness.ts';
import { ed25519Signing, enrolledUser, makeUser, withMfa, type TestUser } from '../mfa/support.ts';
import { generateKeyPairSync } from 'node:crypto';
import { signRequest } from '@clavis/sdk/signing';
import { VERIFY_CODES } from '../../src/core/keys/verify.ts';
import { buildApp } from '../../src/http/app.ts';

// The shared security suite of STYLE.md rule 6: every authenticated route, found from the live
// route table (so a new route is covered without touching this file), is refused without a
// token, with a malformed, unknown, revoked or expired token, and for every role that lacks its
// permission; routes that take an id do not reach another workspace's object.

let h: Harness;
let revoked: string;
let expired: string;
let otherKeyId: string;
let otherKeySecret: string;
let otherWorkspaceId: string;
let otherTokenId: string;
let otherAlertId: string;
let otherUserId: string;
const roleTokens = new Map<string, string>();

beforeAll(async () => {
  h = await makeHarness();
  const ownerCtx = { tokenId: h.owner.record.id, workspaceId: h.workspaceId, role: 'owner' as const };
  const r = await h.services.tokens.create(ownerCtx, { name: 'to revoke', role: 'owner' });
  await h.services.tokens.revoke(ownerCtx, r.record.id);
  revoked = r.secret;
  const e = await h.services.tokens.create(ownerCtx, { name: 'short-lived', role: 'owner', ttlSeconds: 60 });
  expired = e.secret;
  for (const role of ROLES) roleTokens.set(role, await h.tokenFor(role));
  h.clock.advance(61_000);
  const other = await h.services.workspaces.create(ownerCtx, 'tenant b');
  const otherCtx = { tokenId: other.ownerToken.record.id, workspaceId: other.workspace.id, role: 'owner' as const };
  otherWorkspaceId = other.workspace.id;
  const otherKey = await h.services.keys.create({ workspaceId: other.workspace.id, actor: { type: 'token', id: otherCtx.tokenId } }, { name: 'b', environment: 'test', scopes: ['prices:read'] });
  otherKeyId = otherKey.record.id;
  otherKeySecret = otherKey.secret;
  otherTokenId = (await h.services.tokens.create(otherCtx, { name: 'b reader', role: 'read-only' })).record.id;
  const raised = await h.services.alerts.raise({ type: 'rate-spike', severity: 'medium', workspaceId: other.workspace.id, keyId: otherKeyId, dedupeKey: `rate-spike:key:${otherKeyId}`, summary: 'spike', evidence: {}, at: h.clock.now() });
  otherAlertId = raised.alert.id;
  otherUserId = (await h.services.users.create(otherCtx, { email: 'b@example.com', name: 'B', role: 'developer' })).id;
});

afterAll(async () => h.close());

function concrete(url: string): string {
  return url.replace(':id', 'key_0000000000000000000000').replace(':seq', '0');
}

/** A valid body per route, so that only the id decides the answer. */
const SAMPLE_BODIES: Record<string, unknown> = {
  'PATCH /v1/keys/:id': { name: 'renamed' },
  'POST /v1/keys/:id/rotate': {},
  'POST /v1/keys/:id/revoke': { reason: 'test' },
  'POST /v1/keys/:id/suspend': {},
  'POST /v1/keys/:id/resume': {},
  'POST /v1/tokens/:id/revoke': {},
  'GET /v1/keys/:id': undefined,
  'GET /v1/keys/:id/usage': undefined,
  'GET /v1/alerts/:id': undefined,
  'POST /v1/alerts/:id/acknowledge': {},
  'POST /v1/alerts/:id/resolve': {},
  'DELETE /v1/webhooks/:id': undefined,
  'GET /v1/webhooks/:id/deliveries': undefined,
  'PATCH /v1/users/:id': { name: 'renamed' },
  'POST /v1/users/:id/disable': {},
  'DELETE /v1/users/:id/mfa': undefined,
};

describe('route security suite', () => {
  it('covers a non-empty route table where every route declares a permission', () => {
    const secured = h.app.routeTable.filter((r) => r.permission !== null);
    expect(secured.length).toBeGreaterThanOrEqual(19);
    for (const r of h.app.routeTable) {
      // /v1/leaks takes no admin token: GitHub's secret scanning signs each report instead, and the
      // route refuses any body whose ECDSA signature does not verify (test/scan/leaks-route.test.ts).
      // Data-API routes (consumerScope) take an API key instead: the consumer suite below covers them.
      if (r.permission === null && r.consumerScope === null) expect(['/healthz', '/readyz', '/openapi.json', '/docs/errors.md', '/v1/leaks']).toContain(r.url);
    }
  });

  it('refuses every secured route without a token, with a bad, unknown, revoked or expired token', async () => {
    const secured = h.app.routeTable.filter((r) => r.permission !== null);
    const cases: [Record<string, string>, string][] = [
      [{}, 'AUTH_REQUIRED'],
      [{ authorization: 'Basic abc' }, 'AUTH_INVALID'],
      [bearer('not-a-token'), 'AUTH_INVALID'],
      [bearer(generateCredential('clv', 'adm')), 'AUTH_INVALID'],
      [bearer(generateCredential('clv', 'live')), 'AUTH_INVALID'],
      [bearer(revoked), 'AUTH_INVALID'],
      [bearer(expired), 'AUTH_INVALID'],
    ];
    for (const r of secured) {
      for (const [headers, code] of cases) {
        const res = await h.app.inject({ method: r.method as 'GET', url: concrete(r.url), headers, payload: r.method === 'GET' ? undefined : {} });
        expect(res.statusCode, `${r.method} ${r.url} ${JSON.stringify(headers)}`).toBe(401);
        expect(res.json<{ code: string }>().code).toBe(code);
        expect(res.headers['content-type']).toContain('application/problem+json');
      }
    }
  });

  it('takes the Bearer scheme in any case (RFC 9110: auth schemes are case-insensitive)', async () => {
    for (const scheme of ['bearer', 'BEARER', 'Bearer']) {
      const res = await h.app.inject({ url: '/v1/keys', headers: { authorization: `${scheme} ${h.owner.secret}` } });
      expect(res.statusCode, scheme).toBe(200);
    }
  });

  it('refuses every role that lacks the route permission, and lets every role that has it through auth', async () => {
    let denied = 0;
    for (const r of h.app.routeTable) {
      if (r.permission === null) continue;
      for (const role of ROLES) {
        const token = roleTokens.get(role) ?? '';
        const res = await h.app.inject({ method: r.method as 'GET', url: concrete(r.url), headers: bearer(token), payload: r.method === 'GET' ? undefined : {} });
        // /metrics answers Prometheus text, not JSON.
        const code = String(res.headers['content-type']).includes('json') ? res.json<{ code?: string }>().code : undefined;
        if (ROLE_PERMISSIONS[role].includes(r.permission)) {
          expect(res.statusCode, `${role} on ${r.method} ${r.url}`).not.toBe(401);
          expect(code, `${role} on ${r.method} ${r.url}`).not.toBe('PERMISSION_DENIED');
        } else {
          expect(res.statusCode, `${role} on ${r.method} ${r.url}`).toBe(403);
          expect(code).toBe('PERMISSION_DENIED');
          denied += 1;
        }
      }
    }
    expect(denied).toBeGreaterThan(20);
  });

  it("never reaches another workspace's key or token by id", async () => {
    const idRoutes = h.app.routeTable.filter((r) => r.permission !== null && r.url.includes(':id'));
    expect(idRoutes.length).toBeGreaterThanOrEqual(7);
    for (const r of idRoutes) {
      const sig = `${r.method} ${r.url}`;
      expect(Object.hasOwn(SAMPLE_BODIES, sig), `add a sample body for ${sig}`).toBe(true);
      const id = r.url.startsWith('/v1/tokens') ? otherTokenId : r.url.startsWith('/v1/alerts') ? otherAlertId : r.url.startsWith('/v1/users') ? otherUserId : otherKeyId;
      const res = await h.app.inject({ method: r.method as 'GET', url: r.url.replace(':id', id), headers: bearer(h.owner.secret), payload: SAMPLE_BODIES[sig] as object | undefined });
      expect(res.statusCode, sig).toBe(404);
      expect(res.json<{ code: string }>().code).toMatch(/^(KEY|TOKEN|ALERT|USER|WEBHOOK)_NOT_FOUND$/);
    }
    // The other workspace's user was neither renamed nor disabled from here.
    expect(await h.store.users.findById(otherWorkspaceId, otherUserId)).toMatchObject({ name: 'B', disabledAt: null });
    // The other workspace's alert was neither acknowledged nor resolved from here.
    expect((await h.store.alerts.findById(otherWorkspaceId, otherAlertId))?.status).toBe('open');
    // The other workspace's key is untouched, and does not verify here either.
    const key = await h.store.keys.findById(otherWorkspaceId, otherKeyId);
    expect(key?.status).toBe('active');
    expect(key?.name).toBe('b');
    const verify = await h.app.inject({ method: 'POST', url: '/v1/keys/verify', headers: bearer(h.owner.secret), payload: { key: otherKeySecret } });
    expect(verify.json<{ code: string }>().code).toBe('NOT_FOUND');
  });

  // Data-API routes declare `permission: null` with a `consumerScope`: no admin token, but an API
  // key that the consumer guard runs through the verify pipeline with the route's scope. Each one
  // found in the route table is refused without a key, with a malformed, unknown, revoked or
  // admin credential, with a key lacking its scope, and (when the data API is bound to one
  // environment) with a key of another; and a key with the scope, signed as the high-risk policy
  // wants, gets past the guard.
  it('refuses every consumer (data API) route without a valid key of its scope and environment', async () => {
    const consumer = h.app.routeTable.filter((r) => r.consumerScope !== null);
    expect(consumer.length).toBeGreaterThanOrEqual(15);
    const scopes = [...new Set(consumer.map((r) => r.consumerScope ?? ''))];
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const enforced = { ipAllowlist: ['127.0.0.1/32'], signing: { scheme: 'ed25519' as const, publicKey: publicKey.export({ format: 'der', type: 'spki' }).subarray(12).toString('base64') } };
    const actor = { workspaceId: h.workspaceId, actor: { type: 'system' as const, id: 'route-security' } };
    const all = await h.services.keys.create(actor, { name: 'every data scope', environment: 'test', scopes, ownerId: 'owner-1', ttlSeconds: 3600, ...enforced });
    const gone = await h.services.keys.create(actor, { name: 'revoked', environment: 'test', scopes, ownerId: 'owner-1', ttlSeconds: 3600, ...enforced });
    await h.services.keys.revoke(actor, gone.record.id, 'test');
    const unscoped = (await h.services.keys.create(actor, { name: 'no data scope', environment: 'test', scopes: ['keys:read'], ttlSeconds: 3600 })).secret;
    const liveOnly = await buildApp({ services: { ...h.services, dataApi: { ...h.services.dataApi, environment: 'live' } }, logger: false });
    try {
      const cases: [Record<string, string>, number, string][] = [
        [{}, 401, 'MALFORMED'],
        [{ authorization: 'Basic abc' }, 401, 'MALFORMED'],
        [bearer('not-a-key'), 401, 'MALFORMED'],
        [bearer(h.owner.secret), 401, 'MALFORMED'],
        [bearer(generateCredential('clv', 'test')), 401, 'NOT_FOUND'],
        [bearer(gone.secret), 401, 'REVOKED'],
        [bearer(unscoped), 403, 'INSUFFICIENT_SCOPE'],
      ];
      for (const r of consumer) {
        const url = concrete(r.url);
        const payload = r.method === 'GET' ? undefined : {};
        for (const [headers, status, code] of cases) {
          const res = await h.app.inject({ method: r.method as 'GET', url, headers, payload });
          expect(res.statusCode, `${r.method} ${r.url} ${JSON.stringify(headers)}`).toBe(status);
          expect(res.json<{ code: string }>().code).toBe(code);
          expect(res.headers['content-type']).toContain('application/problem+json');
        }
        const sign = () => signRequest({ key: all.secret, signer: { scheme: 'ed25519', privateKey }, method: r.method, url, ...(payload === undefined ? {} : { body: '{}' }), timestamp: h.clock.now() });
        const elsewhere = await liveOnly.inject({ method: r.method as 'GET', url, headers: sign(), payload });
        expect(elsewhere.statusCode, `${r.method} ${r.url} in a live-only data API`).toBe(403);
        expect(elsewhere.json<{ code: string }>().code).toBe('ENV_MISMATCH');
        const through = await h.app.inject({ method: r.method as 'GET', url, headers: sign(), payload });
        const code = through.json<{ code?: string }>().code;
        expect(code !== undefined && code !== 'VALID' && (VERIFY_CODES as readonly string[]).includes(code), `${r.method} ${r.url} refused a valid key: ${String(code)}`).toBe(false);
      }
    } finally {
      await liveOnly.close();
    }
  });

  it('lists never include another workspace', async () => {
    await h.services.keys.create({ workspaceId: h.workspaceId, actor: { type: 'system', id: 'test' } }, { name: 'a', environment: 'test', scopes: ['prices:read'], ttlSeconds: DAY_MS / 1000 });
    const keys = (await h.app.inject({ url: '/v1/keys', headers: bearer(h.owner.secret) })).json<{ data: { workspaceId: string }[] }>().data;
    expect(keys.length).toBeGreaterThan(0);
    expect(keys.every((k) => k.workspaceId === h.workspaceId)).toBe(true);
    const tokens = (await h.app.inject({ url: '/v1/tokens', headers: bearer(h.owner.secret) })).json<{ data: { id: string; workspaceId: string }[] }>().data;
    expect(tokens.some((t) => t.id === otherTokenId)).toBe(false);
    expect(tokens.every((t) => t.workspaceId === h.workspaceId)).toBe(true);
    const events = (await h.app.inject({ url: '/v1/audit/events?limit=1000', headers: bearer(h.owner.secret) })).json<{ data: { workspaceId: string; target: { id: string } | null }[] }>().data;
    expect(events.every((e) => e.workspaceId === h.workspaceId)).toBe(true);
    expect(events.some((e) => e.target?.id === otherKeyId)).toBe(false);
    const verify = await h.app.inject({ method: 'POST', url: '/v1/keys/verify', headers: bearer(h.owner.secret), payload: { key: generateCredential('clv', 'test') } });
    expect(verify.json<{ code: string }>().code).toBe('NOT_FOUND');
  });
});

// The step-up dimension: every critical route (from the live table of the step-up plugin, so a new
// one must add a sample here) asks a user with confirmed TOTP for a code (MFA_REQUIRED) and refuses
// a replayed one (MFA_REPLAYED). Routes critical only for some requests let the same user through
// without a code when the request is not one of them. Service tokens (the cases above) need none
// while the workspace does not require MFA.
describe('route security suite: step-up MFA on critical routes', () => {
  let enrolled: TestUser;
  let replayed: string;
  const samples = new Map<string, { url: string; payload?: object; notCritical?: { url: string; payload?: object } }>();

  beforeAll(async () => {
    enrolled = await enrolledUser(h, 'owner');
    const actor = { workspaceId: h.workspaceId, actor: { type: 'system' as const, id: 'route-security' } };
    const low = await h.services.keys.create(actor, { name: 'live low', environment: 'live', scopes: ['prices:read'] });
    const high = await h.services.keys.create(actor, { name: 'live high', environment: 'live', scopes: ['portfolio:trade'], ipAllowlist: ['203.0.113.0/24'], signing: ed25519Signing() });
    const someone = await makeUser(h, 'developer');
    const highRisk = { name: 'k', environment: 'live', scopes: ['keys:write'], ipAllowlist: ['203.0.113.0/24'], signing: ed25519Signing() };
    const entries: [string, { url: string; payload?: object; notCritical?: { url: string; payload?: object } }][] = [
      ['POST /v1/keys', { url: '/v1/keys', payload: highRisk, notCritical: { url: '/v1/keys', payload: { ...highRisk, environment: 'test' } } }],
      ['PATCH /v1/keys/:id', { url: `/v1/keys/${low.record.id}`, payload: { scopes: ['prices:read', 'keys:write'], ipAllowlist: ['203.0.113.0/24'], signing: ed25519Signing() }, notCritical: { url: `/v1/keys/${low.record.id}`, payload: { name: 'renamed' } } }],
      ['POST /v1/keys/:id/rotate', { url: `/v1/keys/${high.record.id}/rotate`, payload: {}, notCritical: { url: `/v1/keys/${low.record.id}/rotate`, payload: {} } }],
      ['POST /v1/keys/revoke-all', { url: '/v1/keys/revoke-all', payload: { reason: 'route security' } }],
      ['POST /v1/tokens', { url: '/v1/tokens', payload: { name: 't', role: 'admin' }, notCritical: { url: '/v1/tokens', payload: { name: 't', role: 'developer', userId: enrolled.userId } } }],
      ['POST /v1/workspaces', { url: '/v1/workspaces', payload: { name: 'w' } }],
      ['PATCH /v1/workspace', { url: '/v1/workspace', payload: { requireMfa: false } }],
      ['POST /v1/users', { url: '/v1/users', payload: { email: 'admin@example.com', name: 'A', role: 'admin' }, notCritical: { url: '/v1/users', payload: { email: 'dev@example.com', name: 'D', role: 'developer' } } }],
      ['PATCH /v1/users/:id', { url: `/v1/users/${someone.userId}`, payload: { role: 'auditor' }, notCritical: { url: `/v1/users/${someone.userId}`, payload: { name: 'renamed' } } }],
      ['DELETE /v1/mfa/totp', { url: '/v1/mfa/totp' }],
      ['DELETE /v1/users/:id/mfa', { url: `/v1/users/${someone.userId}/mfa` }],
      ['GET /v1/secrets/:environment/*', { url: '/v1/secrets/live/exchanges/binance/api-secret' }],
      ['POST /v1/keyring/rotate', { url: '/v1/keyring/rotate', payload: {} }],
      ['POST /v1/keyring/rewrap', { url: '/v1/keyring/rewrap', payload: {} }],
      ['POST /v1/keyring/retire', { url: '/v1/keyring/retire', payload: { minDecryptionVersion: 1 } }],
    ];
    for (const [sig, sample] of entries) samples.set(sig, sample);
    // A code used once is a replay everywhere after.
    replayed = enrolled.code();
    await h.services.mfa.stepUp(enrolled.ctx, replayed, 'route-security setup');
  });

  it('has a valid sample request for every critical route', () => {
    const critical = h.app.criticalRoutes;
    expect(critical.length).toBeGreaterThanOrEqual(14);
    for (const r of critical) {
      const sig = `${r.method} ${r.url}`;
      expect(samples.has(sig), `add a sample request for the critical route ${sig}`).toBe(true);
      expect(r.critical === 'conditional', `${sig}: a conditional route has a non-critical sample`).toBe(samples.get(sig)?.notCritical !== undefined);
      expect(h.app.routeTable.some((t) => t.method === r.method && t.url === r.url && t.permission !== null), sig).toBe(true);
    }
  });

  it('refuses an enrolled user without a code (MFA_REQUIRED) and with a replayed one (MFA_REPLAYED) on every critical route', async () => {
    for (const r of h.app.criticalRoutes) {
      const sig = `${r.method} ${r.url}`;
      const sample = samples.get(sig);
      if (sample === undefined) throw new Error(`no sample for ${sig}`);
      for (const [code, expected] of [[undefined, 'MFA_REQUIRED'], [replayed, 'MFA_REPLAYED']] as const) {
        const res = await h.app.inject({ method: r.method as 'GET', url: sample.url, headers: withMfa(enrolled.token, code), payload: sample.payload });
        expect(res.statusCode, `${sig} with ${code === undefined ? 'no code' : 'a replayed code'}`).toBe(401);
        expect(res.json<{ code: string }>().code, sig).toBe(expected);
        expect(res.headers['content-type']).toContain('application/problem+json');
      }
    }
  });

  it('lets the same user through a conditional route without a code when the request is not critical', async () => {
    for (const r of h.app.criticalRoutes.filter((c) => c.critical === 'conditional')) {
      const sig = `${r.method} ${r.url}`;
      const sample = samples.get(sig)?.notCritical;
      if (sample === undefined) throw new Error(`no non-critical sample for ${sig}`);
      const res = await h.app.inject({ method: r.method as 'GET', url: sample.url, headers: withMfa(enrolled.token), payload: sample.payload });
      expect(res.statusCode, `${sig}: ${res.body}`).toBeLessThan(300);
    }
  });
});
