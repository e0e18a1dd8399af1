import type { QueryResultRow } from 'pg';
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

/** Runs one statement and returns its rows (the store's pooled or transaction runner). */
type Run = <R extends QueryResultRow>(text: string, values: unknown[]) => Promise<R[]>;

const params = (columns: string): string =>
  columns
    .split(',')
    .map((_, i) => `$${i + 1}`)
    .join(', ');
const CONFIRMED = 'confirmed_at IS NOT NULL';

/**
 * User, MFA and workspace-settings repos on PostgreSQL. The MFA counters are single conditional
 * UPDATEs: under READ COMMITTED a concurrent UPDATE of the same row waits for the row lock and then
 * re-checks its WHERE clause against the committed row, so of two nodes given one code, one wins.
 */
export function makePostgresUserRepos(run: Run): { users: UserRepo; mfa: MfaRepo; workspaceSettings: WorkspaceSettingsRepo } {
  const first = async <R extends QueryResultRow>(text: string, values: unknown[]): Promise<R | null> => (await run<R>(text, values))[0] ?? null;
  const user = async (text: string, values: unknown[]) => {
    const row = await first<UserRow>(text, values);
    return row === null ? null : userFromRow(row);
  };
  const changed = async (text: string, values: unknown[]): Promise<boolean> => (await run<{ one: number }>(`${text} RETURNING 1 AS one`, values)).length === 1;

  const users: UserRepo = {
    add: async (u) => changed(`INSERT INTO users (${USER_COLUMNS}) VALUES (${params(USER_COLUMNS)}) ON CONFLICT (workspace_id, email) DO NOTHING`, userValues(u)),
    findById: async (workspaceId, id) => user('SELECT * FROM users WHERE id = $1 AND workspace_id = $2', [id, workspaceId]),
    findByEmail: async (workspaceId, email) => user('SELECT * FROM users WHERE workspace_id = $1 AND email = $2', [workspaceId, email]),
    // FOR UPDATE waits for a concurrent disable and then re-checks disabled_at on the committed row.
    lockActive: async (workspaceId, id) => user('SELECT * FROM users WHERE id = $1 AND workspace_id = $2 AND disabled_at IS NULL FOR UPDATE', [id, workspaceId]),
    update: async (workspaceId, id, patch) =>
      user('UPDATE users SET updated_at = $3, name = COALESCE($4, name), role = COALESCE($5, role) WHERE id = $1 AND workspace_id = $2 RETURNING *', [
        id,
        workspaceId,
        patch.updatedAt,
        patch.name ?? null,
        patch.role ?? null,
      ]),
    disable: async (workspaceId, id, at) =>
      user('UPDATE users SET disabled_at = $3, updated_at = $3 WHERE id = $1 AND workspace_id = $2 AND disabled_at IS NULL RETURNING *', [id, workspaceId, at]),
    list: async (workspaceId, page) =>
      (await run<UserRow>('SELECT * FROM users WHERE workspace_id = $1 AND id > $2 ORDER BY id LIMIT $3', [workspaceId, page.afterId ?? BEFORE_ALL_IDS, clampLimit(page.limit)])).map(userFromRow),
  };

  const mfa: MfaRepo = {
    putPending: async (t, hashes) => {
      // Locks the user's enrolment row (if any) so two enrolments of one user take turns.
      const existing = await first<TotpRow>('SELECT * FROM mfa_totp WHERE workspace_id = $1 AND user_id = $2 FOR UPDATE', [t.workspaceId, t.userId]);
      if (existing !== null && existing.confirmed_at !== null) return false;
      await run('DELETE FROM mfa_totp WHERE workspace_id = $1 AND user_id = $2 AND confirmed_at IS NULL', [t.workspaceId, t.userId]);
      await run('DELETE FROM mfa_recovery_codes WHERE workspace_id = $1 AND user_id = $2', [t.workspaceId, t.userId]);
      await run(`INSERT INTO mfa_totp (${TOTP_COLUMNS}) VALUES (${params(TOTP_COLUMNS)})`, totpValues(t));
      if (hashes.length > 0) {
        await run('INSERT INTO mfa_recovery_codes (workspace_id, user_id, code_hash, used_at) SELECT $1, $2, h, NULL FROM unnest($3::text[]) AS h', [t.workspaceId, t.userId, [...hashes]]);
      }
      return true;
    },
    find: async (workspaceId, userId) => {
      const row = await first<TotpRow>('SELECT * FROM mfa_totp WHERE workspace_id = $1 AND user_id = $2', [workspaceId, userId]);
      return row === null ? null : totpFromRow(row);
    },
    confirmedAmong: async (workspaceId, userIds) =>
      userIds.length === 0
        ? []
        : (await run<{ user_id: string }>(`SELECT user_id FROM mfa_totp WHERE workspace_id = $1 AND user_id = ANY ($2::text[]) AND ${CONFIRMED}`, [workspaceId, [...userIds]]))
            .map((r) => r.user_id)
            .sort((a, b) => userIds.indexOf(a) - userIds.indexOf(b)),
    confirm: async (workspaceId, userId, id, at, step) =>
      changed(
        `UPDATE mfa_totp SET confirmed_at = $4, last_used_step = $5, failures = 0, locked_until = NULL
         WHERE workspace_id = $1 AND user_id = $2 AND id = $3 AND confirmed_at IS NULL AND (last_used_step IS NULL OR last_used_step < $5)`,
        [workspaceId, userId, id, at, step],
      ),
    useStep: async (workspaceId, userId, step) =>
      changed(
        `UPDATE mfa_totp SET last_used_step = $3, failures = 0, locked_until = NULL
         WHERE workspace_id = $1 AND user_id = $2 AND ${CONFIRMED} AND (last_used_step IS NULL OR last_used_step < $3)`,
        [workspaceId, userId, step],
      ),
    useRecoveryCode: async (workspaceId, userId, codeHash, at) => {
      const used = await changed(
        `UPDATE mfa_recovery_codes SET used_at = $4
         WHERE workspace_id = $1 AND user_id = $2 AND code_hash = $3 AND used_at IS NULL
           AND EXISTS (SELECT 1 FROM mfa_totp t WHERE t.workspace_id = $1 AND t.user_id = $2 AND t.${CONFIRMED})`,
        [workspaceId, userId, codeHash, at],
      );
      if (!used) {
        const row = await first<{ used_at: number | null }>('SELECT used_at FROM mfa_recovery_codes WHERE workspace_id = $1 AND user_id = $2 AND code_hash = $3', [workspaceId, userId, codeHash]);
        return row !== null && row.used_at !== null ? 'used-before' : 'unknown';
      }
      await run('UPDATE mfa_totp SET failures = 0, locked_until = NULL WHERE workspace_id = $1 AND user_id = $2', [workspaceId, userId]);
      return 'accepted';
    },
    unusedRecoveryCodes: async (workspaceId, userId) =>
      (await first<{ n: number }>('SELECT COUNT(*)::int AS n FROM mfa_recovery_codes WHERE workspace_id = $1 AND user_id = $2 AND used_at IS NULL', [workspaceId, userId]))?.n ?? 0,
    // The row lock is held to the end of the transaction, so a lock set in it is seen by every
    // attempt that waited.
    countAttempt: async (workspaceId, userId, at) =>
      (
        await first<{ failures: number }>(
          `UPDATE mfa_totp SET failures = failures + 1
           WHERE workspace_id = $1 AND user_id = $2 AND ${CONFIRMED} AND (locked_until IS NULL OR locked_until <= $3) RETURNING failures`,
          [workspaceId, userId, at],
        )
      )?.failures ?? null,
    lock: async (workspaceId, userId, until) => {
      await run('UPDATE mfa_totp SET locked_until = $3 WHERE workspace_id = $1 AND user_id = $2', [workspaceId, userId, until]);
    },
    remove: async (workspaceId, userId) => {
      await run('DELETE FROM mfa_recovery_codes WHERE workspace_id = $1 AND user_id = $2', [workspaceId, userId]);
      return changed('DELETE FROM mfa_totp WHERE workspace_id = $1 AND user_id = $2', [workspaceId, userId]);
    },
    wrappedBetween: async (from, to, limit) =>
      (await run<TotpRow>('SELECT * FROM mfa_totp WHERE key_version >= $1 AND key_version < $2 ORDER BY id LIMIT $3', [from, to, clampLimit(limit)])).map(totpFromRow),
    rewrap: async (id, from, to, wrappedKey) => changed('UPDATE mfa_totp SET key_version = $3, wrapped_key = $4 WHERE id = $1 AND key_version = $2', [id, from, to, wrappedKey]),
    countByKeyVersion: async () =>
      (await run<{ key_version: number; count: number }>('SELECT key_version, COUNT(*)::int AS count FROM mfa_totp GROUP BY key_version ORDER BY key_version', [])).map((r) => ({
        keyVersion: r.key_version,
        count: r.count,
      })),
  };

  const workspaceSettings: WorkspaceSettingsRepo = {
    get: async (workspaceId) => {
      const row = await first<WorkspaceSettingsRow>('SELECT * FROM workspace_settings WHERE workspace_id = $1', [workspaceId]);
      return row === null ? null : settingsFromRow(row);
    },
    put: async (r) => {
      await run(
        `INSERT INTO workspace_settings (workspace_id, require_mfa, updated_at) VALUES ($1, $2, $3)
         ON CONFLICT (workspace_id) DO UPDATE SET require_mfa = excluded.require_mfa, updated_at = excluded.updated_at`,
        [r.workspaceId, r.requireMfa, r.updatedAt],
      );
    },
  };

  return { users, mfa, workspaceSettings };
}
