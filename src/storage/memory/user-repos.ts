import type { MfaRepo, TotpEnrolmentRecord, UserRecord, UserRepo, WorkspaceSettingsRecord, WorkspaceSettingsRepo } from '../../core/ports/store.ts';
import { clampLimit } from '../common/rows.ts';
import { JournaledMap, type Journal } from './journal.ts';

/** The users and MFA part of the memory store's state; journaled, so rollbacks undo it. */
export interface UserState {
  users: Map<string, UserRecord>;
  /** `workspace \0 email` → user id (the SQL adapters' unique constraint). */
  userByEmail: Map<string, string>;
  /** `workspace \0 user` → enrolment. */
  totp: Map<string, TotpEnrolmentRecord>;
  /** `workspace \0 user \0 hash` → used at (null: unused). */
  recovery: Map<string, number | null>;
  settings: Map<string, WorkspaceSettingsRecord>;
  workspaceExists: (id: string) => boolean;
}

export function createUserState(journal: Journal, workspaceExists: (id: string) => boolean): UserState {
  return {
    users: new JournaledMap(journal),
    userByEmail: new JournaledMap(journal),
    totp: new JournaledMap(journal),
    recovery: new JournaledMap(journal),
    settings: new JournaledMap(journal),
    workspaceExists,
  };
}

type Exec = <T>(op: (state: UserState) => T) => Promise<T>;

const pair = (a: string, b: string): string => `${a}\u0000${b}`;
const copyTotp = (t: TotpEnrolmentRecord): TotpEnrolmentRecord => ({ ...t, ciphertext: Buffer.from(t.ciphertext), wrappedKey: Buffer.from(t.wrappedKey) });

function constraint(message: string): Error {
  return new Error(`${message} (memory store)`);
}

function recoveryKeysOf(s: UserState, workspaceId: string, userId: string): string[] {
  const prefix = `${pair(workspaceId, userId)}\u0000`;
  return [...s.recovery.keys()].filter((k) => k.startsWith(prefix));
}

function confirmed(s: UserState, workspaceId: string, userId: string): TotpEnrolmentRecord | undefined {
  const t = s.totp.get(pair(workspaceId, userId));
  return t !== undefined && t.confirmedAt !== null ? t : undefined;
}

/** User, MFA and workspace-settings repos of the memory store, with the SQL adapters' constraints. */
export function makeMemoryUserRepos(exec: Exec): { users: UserRepo; mfa: MfaRepo; workspaceSettings: WorkspaceSettingsRepo } {
  const users: UserRepo = {
    add: (u) =>
      exec((s) => {
        if (s.userByEmail.has(pair(u.workspaceId, u.email))) return false;
        if (s.users.has(u.id)) throw constraint('UNIQUE constraint failed: users.id');
        if (!s.workspaceExists(u.workspaceId)) throw constraint('FOREIGN KEY constraint failed');
        s.users.set(u.id, { ...u });
        s.userByEmail.set(pair(u.workspaceId, u.email), u.id);
        return true;
      }),
    findById: (workspaceId, id) =>
      exec((s) => {
        const u = s.users.get(id);
        return u !== undefined && u.workspaceId === workspaceId ? { ...u } : null;
      }),
    findByEmail: (workspaceId, email) =>
      exec((s) => {
        const id = s.userByEmail.get(pair(workspaceId, email));
        const u = id === undefined ? undefined : s.users.get(id);
        return u === undefined ? null : { ...u };
      }),
    lockActive: (workspaceId, id) =>
      exec((s) => {
        const u = s.users.get(id);
        return u !== undefined && u.workspaceId === workspaceId && u.disabledAt === null ? { ...u } : null;
      }),
    update: (workspaceId, id, patch) =>
      exec((s) => {
        const u = s.users.get(id);
        if (u === undefined || u.workspaceId !== workspaceId) return null;
        const next: UserRecord = { ...u, updatedAt: patch.updatedAt };
        if (patch.name !== undefined) next.name = patch.name;
        if (patch.role !== undefined) next.role = patch.role;
        s.users.set(id, next);
        return { ...next };
      }),
    disable: (workspaceId, id, at) =>
      exec((s) => {
        const u = s.users.get(id);
        if (u === undefined || u.workspaceId !== workspaceId || u.disabledAt !== null) return null;
        const next = { ...u, disabledAt: at, updatedAt: at };
        s.users.set(id, next);
        return { ...next };
      }),
    list: (workspaceId, page) =>
      exec((s) =>
        [...s.users.values()]
          .filter((u) => u.workspaceId === workspaceId && (page.afterId === undefined || u.id > page.afterId))
          .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
          .slice(0, clampLimit(page.limit))
          .map((u) => ({ ...u })),
      ),
  };

  const mfa: MfaRepo = {
    putPending: (t, hashes) =>
      exec((s) => {
        const k = pair(t.workspaceId, t.userId);
        const existing = s.totp.get(k);
        if (existing?.confirmedAt !== undefined && existing.confirmedAt !== null) return false;
        if (!s.workspaceExists(t.workspaceId)) throw constraint('FOREIGN KEY constraint failed');
        const user = s.users.get(t.userId);
        if (user === undefined) throw constraint('FOREIGN KEY constraint failed');
        if ([...s.totp.values()].some((o) => o.id === t.id && o.id !== existing?.id)) throw constraint('UNIQUE constraint failed: mfa_totp.id');
        for (const rk of recoveryKeysOf(s, t.workspaceId, t.userId)) s.recovery.delete(rk);
        s.totp.set(k, copyTotp(t));
        for (const h of hashes) s.recovery.set(`${k}\u0000${h}`, null);
        return true;
      }),
    find: (workspaceId, userId) =>
      exec((s) => {
        const t = s.totp.get(pair(workspaceId, userId));
        return t === undefined ? null : copyTotp(t);
      }),
    confirmedAmong: (workspaceId, userIds) => exec((s) => userIds.filter((id) => confirmed(s, workspaceId, id) !== undefined)),
    confirm: (workspaceId, userId, id, at, step) =>
      exec((s) => {
        const k = pair(workspaceId, userId);
        const t = s.totp.get(k);
        if (t === undefined || t.id !== id || t.confirmedAt !== null || (t.lastUsedStep !== null && t.lastUsedStep >= step)) return false;
        s.totp.set(k, { ...t, confirmedAt: at, lastUsedStep: step, failures: 0, lockedUntil: null });
        return true;
      }),
    useStep: (workspaceId, userId, step) =>
      exec((s) => {
        const t = confirmed(s, workspaceId, userId);
        if (t === undefined || (t.lastUsedStep !== null && t.lastUsedStep >= step)) return false;
        s.totp.set(pair(workspaceId, userId), { ...t, lastUsedStep: step, failures: 0, lockedUntil: null });
        return true;
      }),
    useRecoveryCode: (workspaceId, userId, codeHash, at) =>
      exec((s) => {
        const t = confirmed(s, workspaceId, userId);
        const k = `${pair(workspaceId, userId)}\u0000${codeHash}`;
        if (t === undefined || !s.recovery.has(k)) return 'unknown';
        if (s.recovery.get(k) !== null) return 'used-before';
        s.recovery.set(k, at);
        s.totp.set(pair(workspaceId, userId), { ...t, failures: 0, lockedUntil: null });
        return 'accepted';
      }),
    unusedRecoveryCodes: (workspaceId, userId) => exec((s) => recoveryKeysOf(s, workspaceId, userId).filter((k) => s.recovery.get(k) === null).length),
    countAttempt: (workspaceId, userId, at) =>
      exec((s) => {
        const t = confirmed(s, workspaceId, userId);
        if (t === undefined || (t.lockedUntil !== null && t.lockedUntil > at)) return null;
        s.totp.set(pair(workspaceId, userId), { ...t, failures: t.failures + 1 });
        return t.failures + 1;
      }),
    lock: (workspaceId, userId, until) =>
      exec((s) => {
        const t = s.totp.get(pair(workspaceId, userId));
        if (t !== undefined) s.totp.set(pair(workspaceId, userId), { ...t, lockedUntil: until });
      }),
    remove: (workspaceId, userId) =>
      exec((s) => {
        for (const rk of recoveryKeysOf(s, workspaceId, userId)) s.recovery.delete(rk);
        return s.totp.delete(pair(workspaceId, userId));
      }),
    wrappedBetween: (from, to, limit) =>
      exec((s) =>
        [...s.totp.values()]
          .filter((t) => t.keyVersion >= from && t.keyVersion < to)
          .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
          .slice(0, clampLimit(limit))
          .map(copyTotp),
      ),
    rewrap: (id, from, to, wrappedKey) =>
      exec((s) => {
        for (const [k, t] of s.totp.entries()) {
          if (t.id !== id) continue;
          if (t.keyVersion !== from) return false;
          s.totp.set(k, { ...t, keyVersion: to, wrappedKey: Buffer.from(wrappedKey) });
          return true;
        }
        return false;
      }),
    countByKeyVersion: () =>
      exec((s) => {
        const counts = new Map<number, number>();
        for (const t of s.totp.values()) counts.set(t.keyVersion, (counts.get(t.keyVersion) ?? 0) + 1);
        return [...counts.entries()].sort((a, b) => a[0] - b[0]).map(([keyVersion, count]) => ({ keyVersion, count }));
      }),
  };

  const workspaceSettings: WorkspaceSettingsRepo = {
    get: (workspaceId) =>
      exec((s) => {
        const r = s.settings.get(workspaceId);
        return r === undefined ? null : { ...r };
      }),
    put: (settings) =>
      exec((s) => {
        if (!s.workspaceExists(settings.workspaceId)) throw constraint('FOREIGN KEY constraint failed');
        s.settings.set(settings.workspaceId, { ...settings });
      }),
  };

  return { users, mfa, workspaceSettings };
}
