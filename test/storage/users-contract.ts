import { createHash, randomBytes } from 'node:crypto';
import { expect, it } from 'vitest';
import type { AdminTokenRecord } from '../../src/core/model.ts';
import type { Store, TotpEnrolmentRecord, UserRecord } from '../../src/core/ports/store.ts';

// The users, MFA and workspace-settings part of the store contract (runStoreContract calls this
// inside its describe, so every adapter runs it against a fresh store with workspaces WS and OTHER).

const T0 = Date.UTC(2025, 0, 1);

function hex(): string {
  return createHash('sha256').update(randomBytes(16)).digest('hex');
}

function user(workspaceId: string, id: string, over: Partial<UserRecord> = {}): UserRecord {
  return { id, workspaceId, email: `${id}@example.com`, name: `user ${id}`, role: 'developer', createdAt: T0, updatedAt: T0, disabledAt: null, ...over };
}

function enrolment(workspaceId: string, userId: string, id: string, over: Partial<TotpEnrolmentRecord> = {}): TotpEnrolmentRecord {
  return {
    id,
    workspaceId,
    userId,
    ciphertext: randomBytes(49),
    wrappedKey: randomBytes(64),
    keyVersion: 1,
    createdAt: T0,
    confirmedAt: null,
    lastUsedStep: null,
    failures: 0,
    lockedUntil: null,
    ...over,
  };
}

function token(workspaceId: string, id: string, over: Partial<AdminTokenRecord> = {}): AdminTokenRecord {
  return { id, workspaceId, name: `token ${id}`, role: 'developer', hash: hex(), start: 'clv_adm_WxYz', createdAt: T0, expiresAt: null, revokedAt: null, createdBy: null, userId: null, ...over };
}

/**
 * Registers the user and MFA cases. `current` gives the store of the running test.
 *
 * @example describe('users and MFA', () => runUsersContract(() => store, WS, OTHER))
 */
export function runUsersContract(current: () => Store, WS: string, OTHER: string): void {
  const confirmedEnrolment = async (s: Store, userId: string, id: string, step = 100): Promise<TotpEnrolmentRecord> => {
    const e = enrolment(WS, userId, id);
    await s.transact(async (tx) => {
      expect(await tx.mfa.putPending(e, ['h1', 'h2', 'h3'])).toBe(true);
      expect(await tx.mfa.confirm(WS, userId, id, T0 + 1, step)).toBe(true);
    });
    return { ...e, confirmedAt: T0 + 1, lastUsedStep: step };
  };

  it('users: round-trip, one email per workspace, lookups stay in their workspace, list in id order with a cursor', async () => {
    const s = current();
    const a = user(WS, 'usr_0001', { role: 'admin' });
    const b = user(WS, 'usr_0002', { email: 'b@example.com' });
    await s.transact(async (tx) => {
      expect(await tx.users.add(b)).toBe(true);
      expect(await tx.users.add(a)).toBe(true);
      expect(await tx.users.add(user(WS, 'usr_0003', { email: a.email }))).toBe(false);
      expect(await tx.users.add(user(OTHER, 'usr_0004', { email: a.email }))).toBe(true);
    });
    expect(await s.users.findById(WS, a.id)).toEqual(a);
    expect(await s.users.findById(OTHER, a.id)).toBeNull();
    expect(await s.users.findByEmail(WS, a.email)).toEqual(a);
    expect(await s.users.findByEmail(WS, 'nobody@example.com')).toBeNull();
    expect((await s.users.list(WS, { limit: 1 })).map((u) => u.id)).toEqual(['usr_0001']);
    expect((await s.users.list(WS, { afterId: 'usr_0001', limit: 10 })).map((u) => u.id)).toEqual(['usr_0002']);
    await expect(s.transact((tx) => tx.users.add(user('ws_nowhere', 'usr_0009')))).rejects.toThrow();
  });

  it('users: update patches given fields, disable happens once, lockActive sees only active users', async () => {
    const s = current();
    const a = user(WS, 'usr_0001');
    await s.transact((tx) => tx.users.add(a));
    const renamed = await s.transact((tx) => tx.users.update(WS, a.id, { name: 'Ada', updatedAt: T0 + 5 }));
    expect(renamed).toEqual({ ...a, name: 'Ada', updatedAt: T0 + 5 });
    const promoted = await s.transact((tx) => tx.users.update(WS, a.id, { role: 'owner', updatedAt: T0 + 6 }));
    expect(promoted).toEqual({ ...a, name: 'Ada', role: 'owner', updatedAt: T0 + 6 });
    expect(await s.transact((tx) => tx.users.update(OTHER, a.id, { name: 'x', updatedAt: T0 }))).toBeNull();
    expect(await s.transact((tx) => tx.users.lockActive(WS, a.id))).toMatchObject({ id: a.id });
    expect(await s.transact((tx) => tx.users.disable(OTHER, a.id, T0 + 7))).toBeNull();
    expect(await s.transact((tx) => tx.users.disable(WS, a.id, T0 + 7))).toMatchObject({ disabledAt: T0 + 7, updatedAt: T0 + 7 });
    expect(await s.transact((tx) => tx.users.disable(WS, a.id, T0 + 8))).toBeNull();
    expect(await s.transact((tx) => tx.users.lockActive(WS, a.id))).toBeNull();
    expect((await s.users.findById(WS, a.id))?.disabledAt).toBe(T0 + 7);
  });

  it('tokens: keep their user, and revokeForUser revokes only that user’s unrevoked tokens (of the given roles)', async () => {
    const s = current();
    await s.transact((tx) => tx.users.add(user(WS, 'usr_0001')));
    const mine = token(WS, 'tok_0001', { userId: 'usr_0001', role: 'admin' });
    const mine2 = token(WS, 'tok_0002', { userId: 'usr_0001', role: 'developer' });
    const old = token(WS, 'tok_0003', { userId: 'usr_0001', revokedAt: T0 });
    const service = token(WS, 'tok_0004');
    const elsewhere = token(OTHER, 'tok_0005', { userId: 'usr_0001' });
    await s.transact(async (tx) => {
      for (const t of [mine, mine2, old, service, elsewhere]) await tx.tokens.insert(t);
    });
    expect(await s.tokens.findById(WS, mine.id)).toEqual(mine);
    expect(await s.tokens.findByHash(service.hash)).toEqual(service);
    const admins = await s.transact((tx) => tx.tokens.revokeForUser(WS, 'usr_0001', T0 + 9, ['owner', 'admin']));
    expect(admins).toEqual([{ ...mine, revokedAt: T0 + 9 }]);
    const rest = await s.transact((tx) => tx.tokens.revokeForUser(WS, 'usr_0001', T0 + 10));
    expect(rest).toEqual([{ ...mine2, revokedAt: T0 + 10 }]);
    expect(await s.transact((tx) => tx.tokens.revokeForUser(WS, 'usr_0001', T0 + 11))).toEqual([]);
    expect((await s.tokens.findById(WS, old.id))?.revokedAt).toBe(T0);
    expect((await s.tokens.findById(WS, service.id))?.revokedAt).toBeNull();
    expect((await s.tokens.findById(OTHER, elsewhere.id))?.revokedAt).toBeNull();
  });

  it('mfa: a pending enrolment round-trips and is replaced by the next; a confirmed one is not', async () => {
    const s = current();
    await s.transact(async (tx) => {
      await tx.users.add(user(WS, 'usr_0001'));
    });
    const first = enrolment(WS, 'usr_0001', 'mfa_0001');
    expect(await s.transact((tx) => tx.mfa.putPending(first, ['a1', 'a2']))).toBe(true);
    expect(await s.mfa.find(WS, 'usr_0001')).toEqual(first);
    expect(await s.mfa.find(OTHER, 'usr_0001')).toBeNull();
    const second = enrolment(WS, 'usr_0001', 'mfa_0002', { keyVersion: 2 });
    expect(await s.transact((tx) => tx.mfa.putPending(second, ['b1']))).toBe(true);
    expect(await s.mfa.find(WS, 'usr_0001')).toEqual(second);
    // The first enrolment's id no longer confirms; the second's does, once.
    expect(await s.transact((tx) => tx.mfa.confirm(WS, 'usr_0001', 'mfa_0001', T0 + 1, 50))).toBe(false);
    expect(await s.transact((tx) => tx.mfa.confirm(WS, 'usr_0001', 'mfa_0002', T0 + 1, 50))).toBe(true);
    expect(await s.transact((tx) => tx.mfa.confirm(WS, 'usr_0001', 'mfa_0002', T0 + 2, 51))).toBe(false);
    expect(await s.mfa.find(WS, 'usr_0001')).toEqual({ ...second, confirmedAt: T0 + 1, lastUsedStep: 50 });
    expect(await s.transact((tx) => tx.mfa.putPending(enrolment(WS, 'usr_0001', 'mfa_0003'), ['c1']))).toBe(false);
    expect((await s.mfa.find(WS, 'usr_0001'))?.id).toBe('mfa_0002');
    expect(await s.mfa.unusedRecoveryCodes(WS, 'usr_0001')).toBe(1);
    expect(await s.mfa.confirmedAmong(WS, ['usr_0001', 'usr_nobody'])).toEqual(['usr_0001']);
    await expect(s.transact((tx) => tx.mfa.putPending(enrolment(WS, 'usr_nobody', 'mfa_0004'), []))).rejects.toThrow();
  });

  it('mfa: a time step is used once, only upwards, and only on a confirmed enrolment; a rollback gives it back', async () => {
    const s = current();
    await s.transact(async (tx) => {
      await tx.users.add(user(WS, 'usr_0001'));
      await tx.users.add(user(WS, 'usr_0002', { email: 'p@example.com' }));
    });
    await confirmedEnrolment(s, 'usr_0001', 'mfa_0001', 100);
    await s.transact((tx) => tx.mfa.putPending(enrolment(WS, 'usr_0002', 'mfa_0002'), []));
    expect(await s.transact((tx) => tx.mfa.useStep(WS, 'usr_0002', 500))).toBe(false);
    expect(await s.transact((tx) => tx.mfa.useStep(WS, 'usr_0001', 100))).toBe(false);
    expect(await s.transact((tx) => tx.mfa.useStep(WS, 'usr_0001', 99))).toBe(false);
    expect(await s.transact((tx) => tx.mfa.useStep(OTHER, 'usr_0001', 101))).toBe(false);
    await expect(
      s.transact(async (tx) => {
        expect(await tx.mfa.useStep(WS, 'usr_0001', 101)).toBe(true);
        throw new Error('roll back');
      }),
    ).rejects.toThrow('roll back');
    expect(await s.transact((tx) => tx.mfa.useStep(WS, 'usr_0001', 101))).toBe(true);
    expect(await s.transact((tx) => tx.mfa.useStep(WS, 'usr_0001', 101))).toBe(false);
    expect((await s.mfa.find(WS, 'usr_0001'))?.lastUsedStep).toBe(101);
  });

  it('mfa: a lock taken with the fifth concurrent attempt stops every later one', async () => {
    const s = current();
    await s.transact((tx) => tx.users.add(user(WS, 'usr_0001')));
    await confirmedEnrolment(s, 'usr_0001', 'mfa_0001', 100);
    // What the step-up service does per attempt: count it, and lock at the fifth, in one transaction.
    const attempt = () =>
      s.transact(async (tx) => {
        const n = await tx.mfa.countAttempt(WS, 'usr_0001', T0);
        if (n === 5) await tx.mfa.lock(WS, 'usr_0001', T0 + 300_000);
        return n;
      });
    const results = await Promise.all(Array.from({ length: 12 }, attempt));
    expect(results.filter((n) => n !== null).sort((a, b) => (a ?? 0) - (b ?? 0))).toEqual([1, 2, 3, 4, 5]);
    expect(results.filter((n) => n === null)).toHaveLength(7);
  });

  it('mfa: of concurrent uses of one step, exactly one wins', async () => {
    const s = current();
    await s.transact((tx) => tx.users.add(user(WS, 'usr_0001')));
    await confirmedEnrolment(s, 'usr_0001', 'mfa_0001', 100);
    const results = await Promise.all(Array.from({ length: 8 }, () => s.transact((tx) => tx.mfa.useStep(WS, 'usr_0001', 101))));
    expect(results.filter((r) => r)).toHaveLength(1);
    const direct = await Promise.all(Array.from({ length: 8 }, () => s.mfa.useStep(WS, 'usr_0001', 102)));
    expect(direct.filter((r) => r)).toHaveLength(1);
  });

  it('mfa: recovery codes work once each, only for a confirmed enrolment, and say when they were used before', async () => {
    const s = current();
    await s.transact(async (tx) => {
      await tx.users.add(user(WS, 'usr_0001'));
      await tx.users.add(user(WS, 'usr_0002', { email: 'p@example.com' }));
    });
    await s.transact((tx) => tx.mfa.putPending(enrolment(WS, 'usr_0002', 'mfa_0002'), ['p1']));
    expect(await s.transact((tx) => tx.mfa.useRecoveryCode(WS, 'usr_0002', 'p1', T0))).toBe('unknown');
    await confirmedEnrolment(s, 'usr_0001', 'mfa_0001');
    expect(await s.transact((tx) => tx.mfa.countAttempt(WS, 'usr_0001', T0 + 2))).toBe(1);
    expect(await s.transact((tx) => tx.mfa.useRecoveryCode(WS, 'usr_0001', 'h2', T0 + 3))).toBe('accepted');
    expect((await s.mfa.find(WS, 'usr_0001'))?.failures).toBe(0);
    expect(await s.transact((tx) => tx.mfa.useRecoveryCode(WS, 'usr_0001', 'h2', T0 + 4))).toBe('used-before');
    expect(await s.transact((tx) => tx.mfa.useRecoveryCode(WS, 'usr_0001', 'nope', T0 + 4))).toBe('unknown');
    expect(await s.transact((tx) => tx.mfa.useRecoveryCode(OTHER, 'usr_0001', 'h1', T0 + 4))).toBe('unknown');
    expect(await s.mfa.unusedRecoveryCodes(WS, 'usr_0001')).toBe(2);
    const racing = await Promise.all(Array.from({ length: 6 }, () => s.transact((tx) => tx.mfa.useRecoveryCode(WS, 'usr_0001', 'h3', T0 + 5))));
    expect(racing.filter((r) => r === 'accepted')).toHaveLength(1);
  });

  it('mfa: attempts count up on a confirmed enrolment and stop while it is locked; a used step resets count and lock', async () => {
    const s = current();
    await s.transact((tx) => tx.users.add(user(WS, 'usr_0001')));
    expect(await s.transact((tx) => tx.mfa.countAttempt(WS, 'usr_0001', T0))).toBeNull();
    await confirmedEnrolment(s, 'usr_0001', 'mfa_0001', 100);
    expect(await s.transact((tx) => tx.mfa.countAttempt(WS, 'usr_0001', T0))).toBe(1);
    expect(await s.transact((tx) => tx.mfa.countAttempt(WS, 'usr_0001', T0))).toBe(2);
    expect(await s.transact((tx) => tx.mfa.countAttempt(OTHER, 'usr_0001', T0))).toBeNull();
    await s.transact((tx) => tx.mfa.lock(WS, 'usr_0001', T0 + 60_000));
    expect(await s.mfa.find(WS, 'usr_0001')).toMatchObject({ failures: 2, lockedUntil: T0 + 60_000 });
    // Locked: no attempt is counted (nor let through) until the lock ends; then counting goes on.
    expect(await s.transact((tx) => tx.mfa.countAttempt(WS, 'usr_0001', T0 + 59_999))).toBeNull();
    expect(await s.transact((tx) => tx.mfa.countAttempt(WS, 'usr_0001', T0 + 60_000))).toBe(3);
    expect(await s.transact((tx) => tx.mfa.useStep(WS, 'usr_0001', 101))).toBe(true);
    expect(await s.mfa.find(WS, 'usr_0001')).toMatchObject({ failures: 0, lockedUntil: null });
  });

  it('mfa: remove drops the enrolment and its codes; rewrap moves a key version with a check-and-set; counts per version', async () => {
    const s = current();
    await s.transact(async (tx) => {
      await tx.users.add(user(WS, 'usr_0001'));
      await tx.users.add(user(WS, 'usr_0002', { email: 'p@example.com' }));
    });
    await confirmedEnrolment(s, 'usr_0001', 'mfa_0001');
    await s.transact((tx) => tx.mfa.putPending(enrolment(WS, 'usr_0002', 'mfa_0002', { keyVersion: 2 }), []));
    expect(await s.mfa.countByKeyVersion()).toEqual([{ keyVersion: 1, count: 1 }, { keyVersion: 2, count: 1 }]);
    expect((await s.mfa.wrappedBetween(1, 2, 10)).map((e) => e.id)).toEqual(['mfa_0001']);
    expect((await s.mfa.wrappedBetween(1, 3, 1)).map((e) => e.id)).toEqual(['mfa_0001']);
    const moved = randomBytes(70);
    expect(await s.mfa.rewrap('mfa_0001', 2, 3, moved)).toBe(false);
    expect(await s.mfa.rewrap('mfa_0001', 1, 2, moved)).toBe(true);
    expect(await s.mfa.find(WS, 'usr_0001')).toMatchObject({ keyVersion: 2, wrappedKey: moved });
    expect(await s.mfa.countByKeyVersion()).toEqual([{ keyVersion: 2, count: 2 }]);
    expect(await s.transact((tx) => tx.mfa.remove(WS, 'usr_0001'))).toBe(true);
    expect(await s.transact((tx) => tx.mfa.remove(WS, 'usr_0001'))).toBe(false);
    expect(await s.mfa.find(WS, 'usr_0001')).toBeNull();
    expect(await s.mfa.unusedRecoveryCodes(WS, 'usr_0001')).toBe(0);
  });

  it('workspace settings: absent until put, replaced by the next put, per workspace', async () => {
    const s = current();
    expect(await s.workspaceSettings.get(WS)).toBeNull();
    await s.transact((tx) => tx.workspaceSettings.put({ workspaceId: WS, requireMfa: true, updatedAt: T0 }));
    expect(await s.workspaceSettings.get(WS)).toEqual({ workspaceId: WS, requireMfa: true, updatedAt: T0 });
    expect(await s.workspaceSettings.get(OTHER)).toBeNull();
    await s.transact((tx) => tx.workspaceSettings.put({ workspaceId: WS, requireMfa: false, updatedAt: T0 + 1 }));
    expect(await s.workspaceSettings.get(WS)).toEqual({ workspaceId: WS, requireMfa: false, updatedAt: T0 + 1 });
    await expect(s.transact((tx) => tx.workspaceSettings.put({ workspaceId: 'ws_nowhere', requireMfa: true, updatedAt: T0 }))).rejects.toThrow();
  });
}
