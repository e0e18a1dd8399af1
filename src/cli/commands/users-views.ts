import type { User } from '@clavis/sdk';
import type { Row } from '../output.ts';

/** Column headers of a user list. */
export const USER_COLUMNS = ['id', 'email', 'name', 'role', 'status', 'mfa', 'created'] as const;

/** One user as a row under {@link USER_COLUMNS}. */
export function userRow(u: User): Row {
  return [u.id, u.email, u.name, u.role, u.status, u.mfaEnrolled ? 'totp' : 'none', u.createdAt];
}

/** Every field of a user. */
export function userRecord(u: User): [string, unknown][] {
  return [
    ['id', u.id],
    ['email', u.email],
    ['name', u.name],
    ['role', u.role],
    ['status', u.status],
    ['mfa', u.mfaEnrolled ? 'totp' : 'none'],
    ['created', u.createdAt],
    ['updated', u.updatedAt],
    ...(u.disabledAt !== null ? ([['disabled', u.disabledAt]] as [string, unknown][]) : []),
  ];
}

/** The roles, for `--role` choices. */
export const ROLE_CHOICES = ['owner', 'admin', 'developer', 'auditor', 'read-only'];
