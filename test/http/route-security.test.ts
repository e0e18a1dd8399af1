import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROLE_PERMISSIONS } from '../../src/core/auth/permissions.ts';
import { generateCredential } from '../../src/core/keys/key-format.ts';
import { ROLES } from '../../src/core/model.ts';
import { DAY_MS, bearer, makeHarness, type Harness } from '../support/harness.ts';

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
};

describe('route security suite', () => {
  it('covers a non-empty route table where every route declares a permission', () => {
    const secured = h.app.routeTable.filter((r) => r.permission !== null);
    expect(secured.length).toBeGreaterThanOrEqual(19);
    for (const r of h.app.routeTable) {
      // /v1/leaks takes no admin token: GitHub's secret scanning signs each report instead, and the
      // route refuses any body whose ECDSA signature does not verify (test/scan/leaks-route.test.ts).
      if (r.permission === null) expect(['/healthz', '/readyz', '/openapi.json', '/docs/errors.md', '/v1/leaks']).toContain(r.url);
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
      const id = r.url.startsWith('/v1/tokens') ? otherTokenId : r.url.startsWith('/v1/alerts') ? otherAlertId : otherKeyId;
      const res = await h.app.inject({ method: r.method as 'GET', url: r.url.replace(':id', id), headers: bearer(h.owner.secret), payload: SAMPLE_BODIES[sig] as object | undefined });
      expect(res.statusCode, sig).toBe(404);
      expect(res.json<{ code: string }>().code).toMatch(/^(KEY|TOKEN|ALERT)_NOT_FOUND$/);
    }
    // The other workspace's alert was neither acknowledged nor resolved from here.
    expect((await h.store.alerts.findById(otherWorkspaceId, otherAlertId))?.status).toBe('open');
    // The other workspace's key is untouched, and does not verify here either.
    const key = await h.store.keys.findById(otherWorkspaceId, otherKeyId);
    expect(key?.status).toBe('active');
    expect(key?.name).toBe('b');
    const verify = await h.app.inject({ method: 'POST', url: '/v1/keys/verify', headers: bearer(h.owner.secret), payload: { key: otherKeySecret } });
    expect(verify.json<{ code: string }>().code).toBe('NOT_FOUND');
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
