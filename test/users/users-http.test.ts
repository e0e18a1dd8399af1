import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { normaliseEmail } from '../../src/core/users/email.ts';
import { roleWithin } from '../../src/core/auth/permissions.ts';
import { ROLES } from '../../src/core/model.ts';
import { bearer, makeHarness, type Harness } from '../support/harness.ts';
import { enrolledUser, makeUser, withMfa } from '../mfa/support.ts';

// Users (the model step-up MFA and dashboard sessions share): creation with normalised emails,
// roles that cap their tokens, role changes that revoke what exceeds them, and disabling, which
// revokes every token of the user at once.

let h: Harness;
beforeEach(async () => {
  h = await makeHarness();
});
afterEach(async () => h.close());

interface Problem {
  code: string;
}
interface UserBody {
  id: string;
  email: string;
  role: string;
  status: string;
  mfaEnrolled: boolean;
}

const post = (token: string, url: string, payload: object) => h.app.inject({ method: 'POST', url, headers: bearer(token), payload });

describe('users', () => {
  it('creates users with a normalised email, unique per workspace, read-only by default, and lists them with their MFA state', async () => {
    const r = await post(h.owner.secret, '/v1/users', { email: '  Ada.Lovelace@Example.COM ', name: 'Ada' });
    expect(r.statusCode).toBe(201);
    const ada = r.json<UserBody>();
    expect(ada).toMatchObject({ email: 'ada.lovelace@example.com', name: 'Ada', role: 'read-only', status: 'active', mfaEnrolled: false, disabledAt: null, workspaceId: h.workspaceId });
    expect(ada.id).toMatch(/^usr_[0-9A-Za-z]{22}$/);
    const dup = await post(h.owner.secret, '/v1/users', { email: 'ADA.LOVELACE@example.com', name: 'Ada again' });
    expect(dup.statusCode).toBe(409);
    expect(dup.json<Problem>().code).toBe('USER_EXISTS');
    const bad = await post(h.owner.secret, '/v1/users', { email: 'not an email', name: 'x' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json<Problem>().code).toBe('VALIDATION_FAILED');

    // The same email is another user in another workspace.
    const other = await h.services.workspaces.create({ tokenId: h.owner.record.id, workspaceId: h.workspaceId, role: 'owner' }, 'tenant b');
    expect((await post(other.ownerToken.secret, '/v1/users', { email: 'ada.lovelace@example.com', name: 'Ada B' })).statusCode).toBe(201);

    // Ids sort by creation time (ms): step the manual clock so the order is known.
    h.clock.advance(1);
    const enrolled = await enrolledUser(h, 'developer');
    const page1 = await h.app.inject({ url: '/v1/users?limit=1', headers: bearer(h.owner.secret) });
    const p1 = page1.json<{ data: UserBody[]; nextCursor: string | null }>();
    expect(p1.data.map((u) => u.id)).toEqual([ada.id]);
    const page2 = await h.app.inject({ url: `/v1/users?limit=10&cursor=${p1.nextCursor ?? ''}`, headers: bearer(h.owner.secret) });
    expect(page2.json<{ data: UserBody[] }>().data.map((u) => [u.id, u.mfaEnrolled])).toEqual([[enrolled.userId, true]]);
    // Auditors read users; developers do not.
    expect((await h.app.inject({ url: '/v1/users', headers: bearer(await h.tokenFor('auditor')) })).statusCode).toBe(200);
    expect((await h.app.inject({ url: '/v1/users', headers: bearer(await h.tokenFor('developer')) })).json<Problem>().code).toBe('PERMISSION_DENIED');
  });

  it('normalises emails the same way everywhere', () => {
    expect(normaliseEmail(' A@B.Co ')).toBe('a@b.co');
    expect(() => normaliseEmail('a@b')).toThrow(/email/);
    expect(() => normaliseEmail(`${'a'.repeat(250)}@b.co`)).toThrow(/email/);
  });

  it('never grants above the caller: admins do not create or change owners', async () => {
    const admin = await h.tokenFor('admin');
    expect((await post(admin, '/v1/users', { email: 'o@example.com', name: 'O', role: 'owner' })).json<Problem>().code).toBe('ROLE_NOT_GRANTABLE');
    const owner = await makeUser(h, 'owner');
    const change = await h.app.inject({ method: 'PATCH', url: `/v1/users/${owner.userId}`, headers: bearer(admin), payload: { role: 'developer' } });
    expect(change.json<Problem>().code).toBe('ROLE_NOT_GRANTABLE');
    const disable = await post(admin, `/v1/users/${owner.userId}/disable`, {});
    expect(disable.json<Problem>().code).toBe('ROLE_NOT_GRANTABLE');
    const dev = await makeUser(h, 'developer');
    const promote = await h.app.inject({ method: 'PATCH', url: `/v1/users/${dev.userId}`, headers: bearer(admin), payload: { role: 'owner' } });
    expect(promote.json<Problem>().code).toBe('ROLE_NOT_GRANTABLE');
  });

  it("issues tokens for a user only within the user's role, and never for a user that does not exist here", async () => {
    const dev = await makeUser(h, 'developer');
    const above = await post(h.owner.secret, '/v1/tokens', { name: 't', role: 'admin', userId: dev.userId });
    expect(above.statusCode).toBe(403);
    expect(above.json<Problem>().code).toBe('ROLE_NOT_GRANTABLE');
    const beside = await post(h.owner.secret, '/v1/tokens', { name: 't', role: 'auditor', userId: dev.userId });
    expect(beside.json<Problem>().code).toBe('ROLE_NOT_GRANTABLE');
    const ok = await post(h.owner.secret, '/v1/tokens', { name: 't', role: 'developer', userId: dev.userId });
    expect(ok.statusCode).toBe(201);
    expect(ok.json()).toMatchObject({ role: 'developer', userId: dev.userId });
    const unknown = await post(h.owner.secret, '/v1/tokens', { name: 't', role: 'read-only', userId: 'usr_0000000000000000000000' });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json<Problem>().code).toBe('USER_NOT_FOUND');
    // The caller sees which user it is.
    const me = await h.app.inject({ url: '/v1/workspace', headers: bearer(dev.token) });
    expect(me.json()).toMatchObject({ caller: { tokenId: dev.ctx.tokenId, role: 'developer', userId: dev.userId }, settings: { requireMfa: false } });
    // roleWithin is the rule: every permission of the token's role is one of the user's.
    for (const outer of ROLES) expect(roleWithin(outer, outer)).toBe(true);
    expect(roleWithin('admin', 'owner')).toBe(true);
    expect(roleWithin('owner', 'admin')).toBe(false);
    expect(roleWithin('auditor', 'developer')).toBe(false);
  });

  it('lowering a role revokes the tokens above it; raising it revokes nothing', async () => {
    const u = await makeUser(h, 'admin');
    const dev = await post(h.owner.secret, '/v1/tokens', { name: 'dev', role: 'developer', userId: u.userId });
    const devToken = dev.json<{ token: string }>().token;
    const r = await h.app.inject({ method: 'PATCH', url: `/v1/users/${u.userId}`, headers: bearer(h.owner.secret), payload: { role: 'developer', name: 'Demoted' } });
    expect(r.statusCode).toBe(200);
    expect(r.json()).toMatchObject({ role: 'developer', name: 'Demoted' });
    expect((await h.app.inject({ url: '/v1/keys', headers: bearer(u.token) })).json<Problem>().code).toBe('AUTH_INVALID');
    expect((await h.app.inject({ url: '/v1/keys', headers: bearer(devToken) })).statusCode).toBe(200);
    const events = (await h.app.inject({ url: '/v1/audit/events?limit=1000', headers: bearer(h.owner.secret) })).json<{ data: { action: string; target: { id: string } | null; data: Record<string, unknown> }[] }>().data;
    expect(events.filter((e) => e.action === 'token.revoked').map((e) => [e.target?.id, e.data.reason])).toEqual([[u.ctx.tokenId, 'user role lowered']]);
    expect(events.find((e) => e.action === 'user.updated')?.data).toMatchObject({ role: 'developer', previousRole: 'admin', changed: ['name', 'role'] });
    const up = await h.app.inject({ method: 'PATCH', url: `/v1/users/${u.userId}`, headers: bearer(h.owner.secret), payload: { role: 'admin' } });
    expect(up.statusCode).toBe(200);
    expect((await h.app.inject({ url: '/v1/keys', headers: bearer(devToken) })).statusCode).toBe(200);
  });

  it("disabling a user revokes every token at once, refuses its tokens and any new one, and is audited", async () => {
    const u = await enrolledUser(h, 'admin');
    const second = (await post(h.owner.secret, '/v1/tokens', { name: 'ci', role: 'developer', userId: u.userId })).json<{ id: string; token: string }>();
    const r = await post(h.owner.secret, `/v1/users/${u.userId}/disable`, {});
    expect(r.statusCode).toBe(200);
    expect(r.json()).toMatchObject({ revokedTokens: 2, user: { status: 'disabled', mfaEnrolled: true } });
    for (const token of [u.token, second.token]) {
      const refused = await h.app.inject({ url: '/v1/keys', headers: withMfa(token, u.code()) });
      expect(refused.statusCode).toBe(401);
      expect(refused.json<Problem>().code).toBe('AUTH_INVALID');
    }
    const again = await post(h.owner.secret, '/v1/tokens', { name: 'back door', role: 'read-only', userId: u.userId });
    expect(again.statusCode).toBe(409);
    expect(again.json<Problem>().code).toBe('USER_DISABLED');
    expect((await post(h.owner.secret, `/v1/users/${u.userId}/disable`, {})).json<Problem>().code).toBe('USER_DISABLED');
    expect((await h.app.inject({ method: 'PATCH', url: `/v1/users/${u.userId}`, headers: bearer(h.owner.secret), payload: { name: 'x' } })).json<Problem>().code).toBe('USER_DISABLED');
    const tokens = (await h.app.inject({ url: '/v1/tokens?limit=200', headers: bearer(h.owner.secret) })).json<{ data: { id: string; status: string; userId: string | null }[] }>().data;
    expect(tokens.filter((t) => t.userId === u.userId).map((t) => t.status)).toEqual(['revoked', 'revoked']);
    const events = (await h.app.inject({ url: '/v1/audit/events?limit=1000', headers: bearer(h.owner.secret) })).json<{ data: { action: string; data: Record<string, unknown> }[] }>().data;
    expect(events.filter((e) => e.action === 'token.revoked' && e.data.reason === 'user disabled')).toHaveLength(2);
    expect(events.find((e) => e.action === 'user.disabled')?.data).toMatchObject({ revokedTokens: [u.ctx.tokenId, second.id] });
  });
});
