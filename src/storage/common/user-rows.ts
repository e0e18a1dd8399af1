import type { Role } from '../../core/model.ts';
import type { TotpEnrolmentRecord, UserRecord, WorkspaceSettingsRecord } from '../../core/ports/store.ts';

/** Row shapes of the user and MFA tables, shared by the SQL adapters (BLOB and BYTEA arrive as Buffer). */
export interface UserRow {
  id: string;
  workspace_id: string;
  email: string;
  name: string;
  role: string;
  created_at: number;
  updated_at: number;
  disabled_at: number | null;
}

export interface TotpRow {
  id: string;
  workspace_id: string;
  user_id: string;
  ciphertext: Buffer;
  wrapped_key: Buffer;
  key_version: number;
  created_at: number;
  confirmed_at: number | null;
  last_used_step: number | null;
  failures: number;
  locked_until: number | null;
}

export interface WorkspaceSettingsRow {
  workspace_id: string;
  /** 0/1 on SQLite, boolean on PostgreSQL. */
  require_mfa: number | boolean;
  updated_at: number;
}

export const USER_COLUMNS = 'id, workspace_id, email, name, role, created_at, updated_at, disabled_at';

/** The column values of a user, in the order of {@link USER_COLUMNS}. */
export function userValues(u: UserRecord): (string | number | null)[] {
  return [u.id, u.workspaceId, u.email, u.name, u.role, u.createdAt, u.updatedAt, u.disabledAt];
}

export function userFromRow(row: UserRow): UserRecord {
  return {
    id: row.id,
    workspaceId: row.workspace_id,
    email: row.email,
    name: row.name,
    role: row.role as Role,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    disabledAt: row.disabled_at,
  };
}

export const TOTP_COLUMNS = 'id, workspace_id, user_id, ciphertext, wrapped_key, key_version, created_at, confirmed_at, last_used_step, failures, locked_until';

/** The column values of an enrolment, in the order of {@link TOTP_COLUMNS}. */
export function totpValues(t: TotpEnrolmentRecord): (string | number | Buffer | null)[] {
  return [t.id, t.workspaceId, t.userId, t.ciphertext, t.wrappedKey, t.keyVersion, t.createdAt, t.confirmedAt, t.lastUsedStep, t.failures, t.lockedUntil];
}

export function totpFromRow(row: TotpRow): TotpEnrolmentRecord {
  return {
    id: row.id,
    workspaceId: row.workspace_id,
    userId: row.user_id,
    ciphertext: Buffer.from(row.ciphertext),
    wrappedKey: Buffer.from(row.wrapped_key),
    keyVersion: row.key_version,
    createdAt: row.created_at,
    confirmedAt: row.confirmed_at,
    lastUsedStep: row.last_used_step,
    failures: row.failures,
    lockedUntil: row.locked_until,
  };
}

export function settingsFromRow(row: WorkspaceSettingsRow): WorkspaceSettingsRecord {
  return { workspaceId: row.workspace_id, requireMfa: row.require_mfa === true || row.require_mfa === 1, updatedAt: row.updated_at };
}
