import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { base32Decode } from '../../src/core/mfa/totp.ts';
import { buildApp } from '../../src/http/app.ts';
import { ephemeralSigner } from '../../src/keyring/local-signer.ts';
import { createServices } from '../../src/services.ts';
import { bearer, makeHarness, type Harness } from '../support/harness.ts';
import { STEP_MS, codeAt, ed25519Signing, enrolledUser, makeUser, withMfa, type TestUser } from './support.ts';

// Step-up MFA over HTTP (issue 3 item 5): enrolment, confirmation, critical operations without,
// with and with a replayed code, recovery codes, lockout, requireMfa, and the conditional
// critical routes. The clock is the harness's manual clock, so each step is chosen.

let h: Harness;
beforeEach(async () => {
  h = await makeHarness();
});
afterEach(async () => h.close());

interface Problem {
  code: string;
  detail: string;
}

const SECRET_URL = '/v1/secrets/live/exchanges/binance/api-secret';

async function putSecret(): Promise<void> {
  const r = await h.app.inject({ method: 'PUT', url: SECRET_URL, headers: bearer(h.owner.secret), payload: { value: 'bn-value' } });
  expect(r.statusCode).toBe(200);
}

function reveal(u: TestUser, code?: string) {
  return h.app.inject({ url: SECRET_URL, headers: withMfa(u.token, code) });
}

async function actions(): Promise<{ action: string; data: Record<string, unknown> }[]> {
  const r = await h.app.inject({ url: '/v1/audit/events?limit=1000', headers: bearer(h.owner.secret) });
  return r.json<{ data: { action: string; data: Record<string, unknown> }[] }>().data;
}

const signing = ed25519Signing;

describe('TOTP enrolment', () => {
  it('shows the secret, the otpauth URI and ten recovery codes once, stores none of them in the clear, and confirms with a first code', async () => {
    const u = await makeUser(h, 'admin', 'Ada.Admin@Example.com');
    const r = await h.app.inject({ method: 'POST', url: '/v1/mfa/totp', headers: bearer(u.token) });
    expect(r.statusCode).toBe(201);
    expect(r.headers['cache-control']).toBe('no-store');
    const e = r.json<{ secret: string; otpauthUri: string; recoveryCodes: string[] }>();
    expect(e.secret).toMatch(/^[A-Z2-7]{32}$/);
    expect(base32Decode(e.secret)).toHaveLength(20);
    expect(e.otpauthUri).toBe(`otpauth://totp/Clavis:ada.admin%40example.com?secret=${e.secret}&issuer=Clavis&algorithm=SHA1&digits=6&period=30`);
    expect(e.recoveryCodes).toHaveLength(10);

    const stored = await h.store.mfa.find(h.workspaceId, u.userId);
    const raw = base32Decode(e.secret) ?? Buffer.alloc(0);
    expect(stored?.confirmedAt).toBeNull();
    expect(stored?.ciphertext.includes(raw)).toBe(false);
    expect(stored?.wrappedKey.includes(raw)).toBe(false);

    let status = await h.app.inject({ url: '/v1/mfa/totp', headers: bearer(u.token) });
    expect(status.json()).toMatchObject({ state: 'pending', recoveryCodesLeft: 0 });
    const wrong = await h.app.inject({ method: 'POST', url: '/v1/mfa/totp/confirm', headers: bearer(u.token), payload: { code: codeAt(e.secret, h.clock.now(), 5) } });
    expect(wrong.statusCode).toBe(401);
    expect(wrong.json<Problem>().code).toBe('MFA_INVALID');
    const ok = await h.app.inject({ method: 'POST', url: '/v1/mfa/totp/confirm', headers: bearer(u.token), payload: { code: codeAt(e.secret, h.clock.now()) } });
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toMatchObject({ state: 'enrolled', recoveryCodesLeft: 10, lockedUntil: null });
    status = await h.app.inject({ url: '/v1/mfa/totp', headers: bearer(u.token) });
    expect(status.json()).toMatchObject({ state: 'enrolled', recoveryCodesLeft: 10 });

    // The confirming code is used up: it does not pass step-up afterwards.
    await putSecret();
    const replay = await reveal(u, codeAt(e.secret, h.clock.now()));
    expect(replay.json<Problem>().code).toBe('MFA_REPLAYED');

    const again = await h.app.inject({ method: 'POST', url: '/v1/mfa/totp', headers: bearer(u.token) });
    expect(again.statusCode).toBe(409);
    expect(again.json<Problem>().code).toBe('MFA_ALREADY_ENROLLED');

    const log = JSON.stringify(await actions());
    expect(log).toContain('mfa.totp.enrolment_started');
    expect(log).toContain('mfa.totp.enrolled');
    expect(log).not.toContain(e.secret);
    for (const c of e.recoveryCodes) expect(log).not.toContain(c);
  });

  it('a new enrolment replaces a pending one; a confirm code of the old secret no longer works', async () => {
    const u = await makeUser(h, 'developer');
    const first = await h.services.mfa.enrol(u.ctx);
    const second = await h.services.mfa.enrol(u.ctx);
    expect(second.secret).not.toBe(first.secret);
    const old = await h.app.inject({ method: 'POST', url: '/v1/mfa/totp/confirm', headers: bearer(u.token), payload: { code: codeAt(first.secret, h.clock.now()) } });
    expect(old.json<Problem>().code).toBe('MFA_INVALID');
    const ok = await h.app.inject({ method: 'POST', url: '/v1/mfa/totp/confirm', headers: bearer(u.token), payload: { code: codeAt(second.secret, h.clock.now()) } });
    expect(ok.statusCode).toBe(200);
  });

  it('belongs to users: a service token is refused with USER_TOKEN_REQUIRED, and confirming without a pending enrolment is MFA_NOT_ENROLLED', async () => {
    const r = await h.app.inject({ method: 'POST', url: '/v1/mfa/totp', headers: bearer(h.owner.secret) });
    expect(r.statusCode).toBe(403);
    expect(r.json<Problem>().code).toBe('USER_TOKEN_REQUIRED');
    const u = await makeUser(h, 'read-only');
    const c = await h.app.inject({ method: 'POST', url: '/v1/mfa/totp/confirm', headers: bearer(u.token), payload: { code: '123456' } });
    expect(c.statusCode).toBe(409);
    expect(c.json<Problem>().code).toBe('MFA_NOT_ENROLLED');
    expect((await h.app.inject({ url: '/v1/mfa/totp', headers: bearer(u.token) })).json()).toEqual({ state: 'none', confirmedAt: null, recoveryCodesLeft: 0, lockedUntil: null });
  });

  it('binds the encrypted secret to its user: an enrolment row copied to another user does not decrypt', async () => {
    const a = await enrolledUser(h, 'developer');
    const b = await makeUser(h, 'developer');
    const row = await h.store.mfa.find(h.workspaceId, a.userId);
    if (row === null) throw new Error('no enrolment');
    await h.store.transact((tx) => tx.mfa.putPending({ ...row, id: 'mfa_0000000000000000000001', userId: b.userId, confirmedAt: null, lastUsedStep: null }, []));
    const r = await h.app.inject({ method: 'POST', url: '/v1/mfa/totp/confirm', headers: bearer(b.token), payload: { code: a.code() } });
    expect(r.statusCode).toBe(500);
    expect(r.json<Problem>().code).toBe('DECRYPTION_FAILED');
  });
});

describe('step-up on critical operations', () => {
  it('asks an enrolled user for a code, accepts a fresh one once, refuses a replay and a wrong one, and audits each without the code', async () => {
    await putSecret();
    const u = await enrolledUser(h, 'admin');
    const none = await reveal(u);
    expect(none.statusCode).toBe(401);
    expect(none.json<Problem>().code).toBe('MFA_REQUIRED');
    expect(none.json<Problem>().detail).toMatch(/X-Clavis-MFA/);

    const code = u.code();
    const ok = await reveal(u, code);
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toMatchObject({ value: 'bn-value' });

    const replay = await reveal(u, code);
    expect(replay.statusCode).toBe(401);
    expect(replay.json<Problem>().code).toBe('MFA_REPLAYED');
    // The code of the step before is older than the one used: also refused.
    const older = await reveal(u, codeAt(u.secret, h.clock.now(), -1));
    expect(older.json<Problem>().code).toBe('MFA_REPLAYED');

    const wrong = await reveal(u, code === '000000' ? '000001' : '000000');
    expect(wrong.statusCode).toBe(401);
    expect(wrong.json<Problem>().code).toBe('MFA_INVALID');
    const garbage = await reveal(u, 'not-a-code');
    expect(garbage.json<Problem>().code).toBe('MFA_INVALID');

    // Up to one step of drift is accepted: the next step's code works now.
    const ahead = await reveal(u, codeAt(u.secret, h.clock.now(), 1));
    expect(ahead.statusCode).toBe(200);
    u.nextStep();
    expect((await reveal(u, u.code())).json<Problem>().code).toBe('MFA_REPLAYED');
    u.nextStep();
    expect((await reveal(u, u.code())).statusCode).toBe(200);

    const events = await actions();
    const stepUps = events.filter((e) => e.action.startsWith('mfa.step_up.'));
    expect(stepUps.map((e) => [e.action, e.data.reason ?? e.data.method])).toEqual([
      ['mfa.step_up.failed', 'MFA_REQUIRED'],
      ['mfa.step_up.succeeded', 'totp'],
      ['mfa.step_up.failed', 'MFA_REPLAYED'],
      ['mfa.step_up.failed', 'MFA_REPLAYED'],
      ['mfa.step_up.failed', 'MFA_INVALID'],
      ['mfa.step_up.failed', 'MFA_INVALID'],
      ['mfa.step_up.succeeded', 'totp'],
      ['mfa.step_up.failed', 'MFA_REPLAYED'],
      ['mfa.step_up.succeeded', 'totp'],
    ]);
    expect(stepUps.every((e) => e.data.operation === 'GET /v1/secrets/:environment/*')).toBe(true);
    expect(JSON.stringify(events)).not.toContain(code);
  });

  it('lets a service token and a user without TOTP through while the workspace does not require MFA', async () => {
    await putSecret();
    expect((await h.app.inject({ url: SECRET_URL, headers: bearer(h.owner.secret) })).statusCode).toBe(200);
    const plain = await makeUser(h, 'admin');
    expect((await reveal(plain)).statusCode).toBe(200);
    // A pending enrolment protects nothing yet.
    await h.services.mfa.enrol(plain.ctx);
    expect((await reveal(plain)).statusCode).toBe(200);
  });

  it('takes each recovery code once in place of a TOTP code (any case, with or without dashes)', async () => {
    await putSecret();
    const u = await enrolledUser(h, 'admin');
    const [first, second] = u.recoveryCodes;
    if (first === undefined || second === undefined) throw new Error('no recovery codes');
    expect((await reveal(u, first)).statusCode).toBe(200);
    const reused = await reveal(u, first);
    expect(reused.statusCode).toBe(401);
    expect(reused.json<Problem>().code).toBe('MFA_REPLAYED');
    expect((await reveal(u, second.toLowerCase().replaceAll('-', ''))).statusCode).toBe(200);
    expect((await h.app.inject({ url: '/v1/mfa/totp', headers: bearer(u.token) })).json()).toMatchObject({ recoveryCodesLeft: 8 });
    const made = await reveal(u, 'AAAA-BBBB-CCCC-DDDD');
    expect(made.json<Problem>().code).toBe('MFA_INVALID');
    // Another user's recovery code is worth nothing here.
    const other = await enrolledUser(h, 'admin');
    expect((await reveal(u, other.recoveryCodes[0])).json<Problem>().code).toBe('MFA_INVALID');
    const ev = (await actions()).filter((e) => e.action === 'mfa.step_up.succeeded');
    expect(ev.map((e) => [e.data.method, e.data.recoveryCodesLeft])).toEqual([['recovery-code', 9], ['recovery-code', 8]]);
  });

  it('locks step-up for 5 minutes after five wrong codes in a row (429 with Retry-After), then takes a good code', async () => {
    await putSecret();
    const u = await enrolledUser(h, 'admin');
    const bad = u.code() === '111111' ? '222222' : '111111';
    for (let i = 1; i <= 5; i += 1) {
      const r = await reveal(u, bad);
      expect(r.json<Problem>().code).toBe('MFA_INVALID');
      if (i === 5) expect(r.json<Problem>().detail).toMatch(/locked until/);
    }
    const locked = await reveal(u, u.code());
    expect(locked.statusCode).toBe(429);
    expect(locked.json<Problem>().code).toBe('MFA_LOCKED');
    expect(locked.headers['retry-after']).toBe('300');
    expect((await h.app.inject({ url: '/v1/mfa/totp', headers: bearer(u.token) })).json<{ lockedUntil: string | null }>().lockedUntil).not.toBeNull();
    h.clock.advance(5 * 60_000);
    expect((await reveal(u, u.code())).statusCode).toBe(200);
    // A success clears the count: four more wrong codes do not lock.
    u.nextStep();
    for (let i = 0; i < 4; i += 1) await reveal(u, bad);
    expect((await reveal(u, u.code())).statusCode).toBe(200);
  });

  it('gives a burst of parallel guesses no more tries than a sequence: five, then MFA_LOCKED', async () => {
    await putSecret();
    const u = await enrolledUser(h, 'admin');
    const guesses = Array.from({ length: 12 }, (_, i) => String(100_000 + i));
    const answers = await Promise.all(guesses.filter((g) => g !== u.code()).slice(0, 10).map((g) => reveal(u, g)));
    const codes = answers.map((a) => a.json<Problem>().code);
    expect(codes.filter((c) => c === 'MFA_INVALID')).toHaveLength(5);
    expect(codes.filter((c) => c === 'MFA_LOCKED')).toHaveLength(5);
  });

  it('removing TOTP needs a code; afterwards critical operations need none', async () => {
    await putSecret();
    const u = await enrolledUser(h, 'developer');
    const no = await h.app.inject({ method: 'DELETE', url: '/v1/mfa/totp', headers: withMfa(u.token) });
    expect(no.json<Problem>().code).toBe('MFA_REQUIRED');
    const yes = await h.app.inject({ method: 'DELETE', url: '/v1/mfa/totp', headers: withMfa(u.token, u.code()) });
    expect(yes.statusCode).toBe(200);
    expect((await h.app.inject({ url: '/v1/mfa/totp', headers: bearer(u.token) })).json()).toMatchObject({ state: 'none' });
    const after = await h.app.inject({ url: SECRET_URL, headers: bearer(u.token) });
    // developer lacks secrets:reveal: the permission check still comes first.
    expect(after.json<Problem>().code).toBe('PERMISSION_DENIED');
    expect((await h.app.inject({ method: 'DELETE', url: '/v1/mfa/totp', headers: bearer(u.token) })).json<Problem>().code).toBe('MFA_NOT_ENROLLED');
  });

  it('makes key creation critical only for live keys with a high-risk scope, and closes the update and rotate paths to one', async () => {
    const u = await enrolledUser(h, 'admin');
    const create = (body: object, code?: string) => h.app.inject({ method: 'POST', url: '/v1/keys', headers: withMfa(u.token, code), payload: body });
    expect((await create({ name: 'test high', environment: 'test', scopes: ['keys:write'], ipAllowlist: ['203.0.113.0/24'], signing: signing() })).statusCode).toBe(201);
    const liveLow = await create({ name: 'live low', environment: 'live', scopes: ['prices:read'] });
    expect(liveLow.statusCode).toBe(201);
    const highBody = { name: 'live high', environment: 'live', scopes: ['prices:read', 'portfolio:trade'], ipAllowlist: ['203.0.113.0/24'], signing: signing() };
    expect((await create(highBody)).json<Problem>().code).toBe('MFA_REQUIRED');
    const high = await create(highBody, u.code());
    expect(high.statusCode).toBe(201);
    u.nextStep();

    const lowId = liveLow.json<{ id: string }>().id;
    const highId = high.json<{ id: string }>().id;
    const patch = (id: string, body: object, code?: string) => h.app.inject({ method: 'PATCH', url: `/v1/keys/${id}`, headers: withMfa(u.token, code), payload: body });
    expect((await patch(lowId, { name: 'renamed' })).statusCode).toBe(200);
    expect((await patch(lowId, { scopes: ['prices:read', 'keys:write'], ipAllowlist: ['203.0.113.0/24'], signing: signing() })).json<Problem>().code).toBe('MFA_REQUIRED');
    // Dropping a scope from a high-risk key adds no power: no code needed.
    expect((await patch(highId, { scopes: ['portfolio:trade'] })).statusCode).toBe(200);

    const rotate = (id: string, code?: string) => h.app.inject({ method: 'POST', url: `/v1/keys/${id}/rotate`, headers: withMfa(u.token, code), payload: {} });
    expect((await rotate(lowId)).statusCode).toBe(200);
    expect((await rotate(highId)).json<Problem>().code).toBe('MFA_REQUIRED');
    expect((await rotate(highId, u.code())).statusCode).toBe(200);
  });

  it('makes owner and admin tokens, service tokens, tokens for other users, and powerful users critical', async () => {
    const u = await enrolledUser(h, 'owner');
    const other = await makeUser(h, 'developer');
    const token = (body: object, code?: string) => h.app.inject({ method: 'POST', url: '/v1/tokens', headers: withMfa(u.token, code), payload: body });
    expect((await token({ name: 'mine', role: 'developer', userId: u.userId })).statusCode).toBe(201);
    // A service token never asks for MFA: minting one is critical too, else it would walk around step-up.
    expect((await token({ name: 'svc', role: 'read-only' })).json<Problem>().code).toBe('MFA_REQUIRED');
    expect((await token({ name: 'admin svc', role: 'admin' })).json<Problem>().code).toBe('MFA_REQUIRED');
    expect((await token({ name: 'as other', role: 'developer', userId: other.userId })).json<Problem>().code).toBe('MFA_REQUIRED');
    const issued = await token({ name: 'as other', role: 'developer', userId: other.userId }, u.code());
    expect(issued.statusCode).toBe(201);
    expect(issued.json()).toMatchObject({ userId: other.userId, role: 'developer' });
    u.nextStep();

    const user = (body: object, code?: string) => h.app.inject({ method: 'POST', url: '/v1/users', headers: withMfa(u.token, code), payload: body });
    expect((await user({ email: 'dev@example.com', name: 'Dev', role: 'developer' })).statusCode).toBe(201);
    expect((await user({ email: 'boss@example.com', name: 'Boss', role: 'admin' })).json<Problem>().code).toBe('MFA_REQUIRED');
    const roleChange = await h.app.inject({ method: 'PATCH', url: `/v1/users/${other.userId}`, headers: withMfa(u.token), payload: { role: 'auditor' } });
    expect(roleChange.json<Problem>().code).toBe('MFA_REQUIRED');
    const rename = await h.app.inject({ method: 'PATCH', url: `/v1/users/${other.userId}`, headers: withMfa(u.token), payload: { name: 'Renamed' } });
    expect(rename.statusCode).toBe(200);
  });

  it('revoke-all revokes every key of the workspace (or environment) with an event per key and one bulk event', async () => {
    const u = await enrolledUser(h, 'admin');
    const acting = { workspaceId: h.workspaceId, actor: { type: 'system' as const, id: 'test' } };
    const live = await h.services.keys.create(acting, { name: 'l', environment: 'live', scopes: ['prices:read'] });
    const test1 = await h.services.keys.create(acting, { name: 't1', environment: 'test', scopes: ['prices:read'] });
    const test2 = await h.services.keys.create(acting, { name: 't2', environment: 'test', scopes: ['prices:read'] });
    await h.services.keys.suspend(acting, test2.record.id);
    const all = (body: object, code?: string) => h.app.inject({ method: 'POST', url: '/v1/keys/revoke-all', headers: withMfa(u.token, code), payload: body });
    expect((await all({ reason: 'laptop stolen' })).json<Problem>().code).toBe('MFA_REQUIRED');
    const r = await all({ reason: 'laptop stolen', environment: 'test' }, u.code());
    expect(r.json()).toEqual({ revoked: 2, environment: 'test' });
    const verify = async (key: string) => (await h.app.inject({ method: 'POST', url: '/v1/keys/verify', headers: bearer(h.owner.secret), payload: { key } })).json<{ code: string }>().code;
    expect(await verify(test1.secret)).toBe('REVOKED');
    expect(await verify(live.secret)).toBe('VALID');
    u.nextStep();
    expect((await all({ reason: 'rotate everything' }, u.code())).json()).toEqual({ revoked: 1, environment: null });
    expect(await verify(live.secret)).toBe('REVOKED');
    const events = await actions();
    expect(events.filter((e) => e.action === 'key.revoked' && e.data.bulk === true)).toHaveLength(3);
    expect(events.filter((e) => e.action === 'keys.revoked_all').map((e) => e.data)).toEqual([
      { reason: 'laptop stolen', environment: 'test', count: 2 },
      { reason: 'rotate everything', environment: null, count: 1 },
    ]);
  });
});

describe('two nodes and a sealed keyring', () => {
  it('accepts one code once across two nodes sharing the store, even when both get it at the same time', async () => {
    await putSecret();
    const u = await enrolledUser(h, 'admin');
    const second = createServices({
      store: h.store,
      signer: ephemeralSigner(),
      clock: h.clock,
      keyring: h.services.keyring,
      policy: { prefix: 'clv', maxTtlMs: { live: 90 * 86_400_000, test: null, dev: null }, defaultGraceMs: 0, highRisk: { requireIpAllowlist: true, requireSigning: true } },
      cache: { ttlMs: 5000, negativeTtlMs: 1000, maxEntries: 1000 },
      auditOrigin: 'clavis.test',
    });
    const node2 = await buildApp({ services: second, logger: false });
    try {
      const code = u.code();
      const answers = await Promise.all([h.app, node2, h.app, node2].map((app) => app.inject({ url: SECRET_URL, headers: withMfa(u.token, code) })));
      expect(answers.map((a) => a.statusCode).sort()).toEqual([200, 401, 401, 401]);
      expect(answers.filter((a) => a.statusCode === 401).map((a) => a.json<Problem>().code)).toEqual(['MFA_REPLAYED', 'MFA_REPLAYED', 'MFA_REPLAYED']);
    } finally {
      await node2.close();
    }
  });

  it('answers SEALED for TOTP codes while the keyring is sealed, and still takes a recovery code', async () => {
    await putSecret();
    const u = await enrolledUser(h, 'admin');
    const provider = h.services.keyring.seal('test: sealed');
    const sealed = await h.app.inject({ url: '/v1/keys', headers: withMfa(u.token) });
    expect(sealed.statusCode).toBe(200);
    const totp = await h.app.inject({ method: 'POST', url: '/v1/keys/revoke-all', headers: withMfa(u.token, u.code()), payload: { reason: 'incident while sealed' } });
    expect(totp.statusCode).toBe(503);
    expect(totp.json<Problem>().code).toBe('SEALED');
    const recovery = await h.app.inject({ method: 'POST', url: '/v1/keys/revoke-all', headers: withMfa(u.token, u.recoveryCodes[0]), payload: { reason: 'incident while sealed' } });
    expect(recovery.statusCode).toBe(200);
    if (provider !== null) h.services.keyring.unseal(provider);
  });
});

describe('resetting another user\'s TOTP', () => {
  it('lets an admin with a code reset a developer (lost device), never an owner', async () => {
    await putSecret();
    const admin = await enrolledUser(h, 'admin');
    const dev = await enrolledUser(h, 'developer');
    const owner = await enrolledUser(h, 'owner');
    const reset = (id: string, code?: string) => h.app.inject({ method: 'DELETE', url: `/v1/users/${id}/mfa`, headers: withMfa(admin.token, code) });
    expect((await reset(dev.userId)).json<Problem>().code).toBe('MFA_REQUIRED');
    const ok = await reset(dev.userId, admin.code());
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toMatchObject({ id: dev.userId, mfaEnrolled: false });
    admin.nextStep();
    expect((await reset(owner.userId, admin.code())).json<Problem>().code).toBe('ROLE_NOT_GRANTABLE');
    admin.nextStep();
    expect((await reset(dev.userId, admin.code())).json<Problem>().code).toBe('MFA_NOT_ENROLLED');
    // The developer's critical operations no longer ask for a code (a live high-risk key here).
    const created = await h.app.inject({ method: 'POST', url: '/v1/keys', headers: bearer(dev.token), payload: { name: 'k', environment: 'live', scopes: ['keys:write'], ipAllowlist: ['203.0.113.0/24'], signing: signing() } });
    expect(created.statusCode).toBe(201);
    expect((await actions()).some((e) => e.action === 'mfa.totp.reset')).toBe(true);
  });
});

describe('requireMfa', () => {
  it('can only be turned on by an enrolled user, then refuses critical operations to callers without TOTP', async () => {
    await putSecret();
    const owner = await makeUser(h, 'owner');
    const off = await h.app.inject({ method: 'PATCH', url: '/v1/workspace', headers: bearer(owner.token), payload: { requireMfa: true } });
    expect(off.statusCode).toBe(403);
    expect(off.json<Problem>().code).toBe('MFA_ENROLMENT_REQUIRED');
    const svc = await h.app.inject({ method: 'PATCH', url: '/v1/workspace', headers: bearer(h.owner.secret), payload: { requireMfa: true } });
    expect(svc.json<Problem>().code).toBe('MFA_ENROLMENT_REQUIRED');

    const enrolled = await enrolledUser(h, 'owner');
    const on = await h.app.inject({ method: 'PATCH', url: '/v1/workspace', headers: withMfa(enrolled.token, enrolled.code()), payload: { requireMfa: true } });
    expect(on.statusCode).toBe(200);
    expect(on.json()).toMatchObject({ settings: { requireMfa: true }, caller: { userId: enrolled.userId } });
    enrolled.nextStep();
    expect((await h.app.inject({ url: '/v1/workspace', headers: bearer(h.owner.secret) })).json()).toMatchObject({ settings: { requireMfa: true }, caller: { userId: null } });

    const byService = await h.app.inject({ url: SECRET_URL, headers: bearer(h.owner.secret) });
    expect(byService.statusCode).toBe(403);
    expect(byService.json<Problem>().code).toBe('MFA_ENROLMENT_REQUIRED');
    expect((await h.app.inject({ url: SECRET_URL, headers: bearer(owner.token) })).json<Problem>().code).toBe('MFA_ENROLMENT_REQUIRED');
    // Operations that are not critical are unaffected.
    expect((await h.app.inject({ url: '/v1/keys', headers: bearer(h.owner.secret) })).statusCode).toBe(200);
    expect((await h.app.inject({ url: SECRET_URL, headers: withMfa(enrolled.token, enrolled.code()) })).statusCode).toBe(200);
    enrolled.nextStep();

    const offAgain = await h.app.inject({ method: 'PATCH', url: '/v1/workspace', headers: withMfa(enrolled.token, enrolled.code()), payload: { requireMfa: false } });
    expect(offAgain.statusCode).toBe(200);
    expect((await h.app.inject({ url: SECRET_URL, headers: bearer(h.owner.secret) })).statusCode).toBe(200);
    const changes = (await actions()).filter((e) => e.action === 'workspace.settings_changed').map((e) => e.data);
    expect(changes).toEqual([
      { requireMfa: true, previous: { requireMfa: false } },
      { requireMfa: false, previous: { requireMfa: true } },
    ]);
    expect((await actions()).filter((e) => e.action === 'mfa.step_up.failed' && e.data.reason === 'MFA_ENROLMENT_REQUIRED')).toHaveLength(2);
  });

  it('is not turned on for an admin: changing workspace settings is for owners', async () => {
    const admin = await enrolledUser(h, 'admin');
    const r = await h.app.inject({ method: 'PATCH', url: '/v1/workspace', headers: withMfa(admin.token, admin.code()), payload: { requireMfa: true } });
    expect(r.statusCode).toBe(403);
    expect(r.json<Problem>().code).toBe('PERMISSION_DENIED');
  });
});

describe('master key rotation and TOTP secrets', () => {
  it('rewrap moves TOTP data keys to the new root key version, retire counts them, and codes keep working', async () => {
    const u = await enrolledUser(h, 'admin');
    const op = await enrolledUser(h, 'owner');
    const step = (url: string, body: object) => {
      const r = h.app.inject({ method: 'POST', url, headers: withMfa(op.token, op.code()), payload: body });
      op.nextStep();
      return r;
    };
    expect((await step('/v1/keyring/rotate', {})).json()).toEqual({ version: 2 });
    const blocked = await step('/v1/keyring/retire', { minDecryptionVersion: 2 });
    expect(blocked.json<Problem>().code).toBe('RETIRE_BLOCKED');
    expect((await step('/v1/keyring/rewrap', {})).json()).toMatchObject({ currentVersion: 2, rewrapped: 2, remaining: 0 });
    expect((await step('/v1/keyring/retire', { minDecryptionVersion: 2 })).statusCode).toBe(200);
    expect((await h.store.mfa.find(h.workspaceId, u.userId))?.keyVersion).toBe(2);
    await putSecret();
    expect((await reveal(u, u.code())).statusCode).toBe(200);
    h.clock.advance(STEP_MS);
  });
});
