import type Database from 'better-sqlite3';
import type { MfaRepo, UserRepo, WorkspaceSettingsRepo } from '../../core/ports/store.ts';
import { BEFORE_ALL_IDS, clampLimit } from '../common/rows.ts';
import {
  TOTP_COLUMNS,
  USER_COLUMNS,
  settingsFromRow,
  totpFromRow,
  totpValues,
  userFromRow,
  userValues,
  type TotpRow,
  type UserRow,
  type WorkspaceSettingsRow,
} from '../common/user-rows.ts';

type Exec = <T>(op: () => T) => Promise<T>;
type Value = string | number | Buffer | null;

const placeholders = (columns: string): string => columns.split(',').map(() => '?').join(', ');
const CONFIRMED = 'confirmed_at IS NOT NULL';

/** Prepared statements of the user and MFA tables; prepare after migrating. */
export function prepareUserStatements(db: Database.Database) {
  return {
    addUser: db.prepare<Value[]>(`INSERT INTO users (${USER_COLUMNS}) VALUES (${placeholders(USER_COLUMNS)}) ON CONFLICT (workspace_id, email) DO NOTHING`),
    findUser: db.prepare<[string, string], UserRow>('SELECT * FROM users WHERE id = ? AND workspace_id = ?'),
    findUserByEmail: db.prepare<[string, string], UserRow>('SELECT * FROM users WHERE workspace_id = ? AND email = ?'),
    findActiveUser: db.prepare<[string, string], UserRow>('SELECT * FROM users WHERE id = ? AND workspace_id = ? AND disabled_at IS NULL'),
    updateUser: db.prepare<[number, string | null, string | null, string, string], UserRow>(
      'UPDATE users SET updated_at = ?, name = COALESCE(?, name), role = COALESCE(?, role) WHERE id = ? AND workspace_id = ? RETURNING *',
    ),
    disableUser: db.prepare<[number, number, string, string], UserRow>(
      'UPDATE users SET disabled_at = ?, updated_at = ? WHERE id = ? AND workspace_id = ? AND disabled_at IS NULL RETURNING *',
    ),
    listUsers: db.prepare<[string, string, number], UserRow>('SELECT * FROM users WHERE workspace_id = ? AND id > ? ORDER BY id LIMIT ?'),

    findTotp: db.prepare<[string, string], TotpRow>('SELECT * FROM mfa_totp WHERE workspace_id = ? AND user_id = ?'),
    deletePendingTotp: db.prepare<[string, string]>('DELETE FROM mfa_totp WHERE workspace_id = ? AND user_id = ? AND confirmed_at IS NULL'),
    deleteTotp: db.prepare<[string, string]>('DELETE FROM mfa_totp WHERE workspace_id = ? AND user_id = ?'),
    insertTotp: db.prepare<Value[]>(`INSERT INTO mfa_totp (${TOTP_COLUMNS}) VALUES (${placeholders(TOTP_COLUMNS)})`),
    deleteCodes: db.prepare<[string, string]>('DELETE FROM mfa_recovery_codes WHERE workspace_id = ? AND user_id = ?'),
    insertCode: db.prepare<[string, string, string]>('INSERT INTO mfa_recovery_codes (workspace_id, user_id, code_hash, used_at) VALUES (?, ?, ?, NULL)'),
    confirm: db.prepare<[number, number, string, string, string, number]>(
      `UPDATE mfa_totp SET confirmed_at = ?, last_used_step = ?, failures = 0, locked_until = NULL
       WHERE workspace_id = ? AND user_id = ? AND id = ? AND confirmed_at IS NULL AND (last_used_step IS NULL OR last_used_step < ?)`,
    ),
    useStep: db.prepare<[number, string, string, number]>(
      `UPDATE mfa_totp SET last_used_step = ?, failures = 0, locked_until = NULL
       WHERE workspace_id = ? AND user_id = ? AND ${CONFIRMED} AND (last_used_step IS NULL OR last_used_step < ?)`,
    ),
    useCode: db.prepare<[number, string, string, string, string, string]>(
      `UPDATE mfa_recovery_codes SET used_at = ?
       WHERE workspace_id = ? AND user_id = ? AND code_hash = ? AND used_at IS NULL
         AND EXISTS (SELECT 1 FROM mfa_totp t WHERE t.workspace_id = ? AND t.user_id = ? AND t.${CONFIRMED})`,
    ),
    codeUsedAt: db.prepare<[string, string, string], { used_at: number | null }>('SELECT used_at FROM mfa_recovery_codes WHERE workspace_id = ? AND user_id = ? AND code_hash = ?'),
    clearFailures: db.prepare<[string, string]>('UPDATE mfa_totp SET failures = 0, locked_until = NULL WHERE workspace_id = ? AND user_id = ?'),
    unusedCodes: db.prepare<[string, string], { n: number }>('SELECT COUNT(*) AS n FROM mfa_recovery_codes WHERE workspace_id = ? AND user_id = ? AND used_at IS NULL'),
    countAttempt: db.prepare<[string, string, number], { failures: number }>(
      `UPDATE mfa_totp SET failures = failures + 1
       WHERE workspace_id = ? AND user_id = ? AND ${CONFIRMED} AND (locked_until IS NULL OR locked_until <= ?) RETURNING failures`,
    ),
    lock: db.prepare<[number | null, string, string]>('UPDATE mfa_totp SET locked_until = ? WHERE workspace_id = ? AND user_id = ?'),
    wrappedBetween: db.prepare<[number, number, number], TotpRow>('SELECT * FROM mfa_totp WHERE key_version >= ? AND key_version < ? ORDER BY id LIMIT ?'),
    rewrap: db.prepare<[number, Buffer, string, number]>('UPDATE mfa_totp SET key_version = ?, wrapped_key = ? WHERE id = ? AND key_version = ?'),
    countByKeyVersion: db.prepare<[], { key_version: number; count: number }>('SELECT key_version, COUNT(*) AS count FROM mfa_totp GROUP BY key_version ORDER BY key_version'),

    getSettings: db.prepare<[string], WorkspaceSettingsRow>('SELECT * FROM workspace_settings WHERE workspace_id = ?'),
    putSettings: db.prepare<[string, number, number]>(
      `INSERT INTO workspace_settings (workspace_id, require_mfa, updated_at) VALUES (?, ?, ?)
       ON CONFLICT (workspace_id) DO UPDATE SET require_mfa = excluded.require_mfa, updated_at = excluded.updated_at`,
    ),
  };
}

export type UserStatements = ReturnType<typeof prepareUserStatements>;

/** User, MFA and workspace-settings repos on SQLite (transactions are serialised, so `lockActive` needs no lock). */
export function makeSqliteUserRepos(s: UserStatements, exec: Exec): { users: UserRepo; mfa: MfaRepo; workspaceSettings: WorkspaceSettingsRepo } {
  const one = (row: UserRow | undefined) => (row === undefined ? null : userFromRow(row));

  const users: UserRepo = {
    add: (u) => exec(() => s.addUser.run(...userValues(u)).changes === 1),
    findById: (workspaceId, id) => exec(() => one(s.findUser.get(id, workspaceId))),
    findByEmail: (workspaceId, email) => exec(() => one(s.findUserByEmail.get(workspaceId, email))),
    lockActive: (workspaceId, id) => exec(() => one(s.findActiveUser.get(id, workspaceId))),
    update: (workspaceId, id, patch) => exec(() => one(s.updateUser.get(patch.updatedAt, patch.name ?? null, patch.role ?? null, id, workspaceId))),
    disable: (workspaceId, id, at) => exec(() => one(s.disableUser.get(at, at, id, workspaceId))),
    list: (workspaceId, page) => exec(() => s.listUsers.all(workspaceId, page.afterId ?? BEFORE_ALL_IDS, clampLimit(page.limit)).map(userFromRow)),
  };

  const mfa: MfaRepo = {
    putPending: (t, hashes) =>
      exec(() => {
        const existing = s.findTotp.get(t.workspaceId, t.userId);
        if (existing !== undefined && existing.confirmed_at !== null) return false;
        s.deletePendingTotp.run(t.workspaceId, t.userId);
        s.deleteCodes.run(t.workspaceId, t.userId);
        s.insertTotp.run(...totpValues(t));
        for (const h of hashes) s.insertCode.run(t.workspaceId, t.userId, h);
        return true;
      }),
    find: (workspaceId, userId) =>
      exec(() => {
        const row = s.findTotp.get(workspaceId, userId);
        return row === undefined ? null : totpFromRow(row);
      }),
    confirmedAmong: (workspaceId, userIds) =>
      exec(() => userIds.filter((id) => {
        const row = s.findTotp.get(workspaceId, id);
        return row !== undefined && row.confirmed_at !== null;
      })),
    confirm: (workspaceId, userId, id, at, step) => exec(() => s.confirm.run(at, step, workspaceId, userId, id, step).changes === 1),
    useStep: (workspaceId, userId, step) => exec(() => s.useStep.run(step, workspaceId, userId, step).changes === 1),
    useRecoveryCode: (workspaceId, userId, codeHash, at) =>
      exec(() => {
        if (s.useCode.run(at, workspaceId, userId, codeHash, workspaceId, userId).changes !== 1) {
          const row = s.codeUsedAt.get(workspaceId, userId, codeHash);
          return row !== undefined && row.used_at !== null ? 'used-before' : 'unknown';
        }
        s.clearFailures.run(workspaceId, userId);
        return 'accepted';
      }),
    unusedRecoveryCodes: (workspaceId, userId) => exec(() => s.unusedCodes.get(workspaceId, userId)?.n ?? 0),
    countAttempt: (workspaceId, userId, at) => exec(() => s.countAttempt.get(workspaceId, userId, at)?.failures ?? null),
    lock: (workspaceId, userId, until) =>
      exec(() => {
        s.lock.run(until, workspaceId, userId);
      }),
    remove: (workspaceId, userId) =>
      exec(() => {
        s.deleteCodes.run(workspaceId, userId);
        return s.deleteTotp.run(workspaceId, userId).changes === 1;
      }),
    wrappedBetween: (from, to, limit) => exec(() => s.wrappedBetween.all(from, to, clampLimit(limit)).map(totpFromRow)),
    rewrap: (id, from, to, wrappedKey) => exec(() => s.rewrap.run(to, wrappedKey, id, from).changes === 1),
    countByKeyVersion: () => exec(() => s.countByKeyVersion.all().map((r) => ({ keyVersion: r.key_version, count: r.count }))),
  };

  const workspaceSettings: WorkspaceSettingsRepo = {
    get: (workspaceId) =>
      exec(() => {
        const row = s.getSettings.get(workspaceId);
        return row === undefined ? null : settingsFromRow(row);
      }),
    put: (r) =>
      exec(() => {
        s.putSettings.run(r.workspaceId, r.requireMfa ? 1 : 0, r.updatedAt);
      }),
  };

  return { users, mfa, workspaceSettings };
}
