import { Type, type Static } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import { ROLES, type Role } from '../../../core/model.ts';
import type { UserSummary } from '../../../core/users/user-service.ts';
import { MAX_EMAIL_LENGTH } from '../../../core/users/email.ts';
import { NullableTimestamp, Timestamp } from '../../schemas/common.ts';

export const RoleSchema = Type.Union(ROLES.map((r) => Type.Literal(r)));
export const Email = Type.String({ minLength: 3, maxLength: MAX_EMAIL_LENGTH, description: 'Stored trimmed and in lower case; unique per workspace' });
export const UserName = Type.String({ minLength: 1, maxLength: 200 });

export const UserView = Type.Object(
  {
    id: Type.String(),
    workspaceId: Type.String(),
    email: Type.String(),
    name: Type.String(),
    role: RoleSchema,
    status: Type.Union([Type.Literal('active'), Type.Literal('disabled')]),
    mfaEnrolled: Type.Boolean({ description: 'Whether the user has confirmed TOTP (step-up applies to its tokens)' }),
    createdAt: Timestamp,
    updatedAt: Timestamp,
    disabledAt: NullableTimestamp,
  },
  { $id: 'User' },
);

export function userView(s: UserSummary): Static<typeof UserView> {
  const u = s.user;
  const iso = (t: number): string => new Date(t).toISOString();
  return {
    id: u.id,
    workspaceId: u.workspaceId,
    email: u.email,
    name: u.name,
    role: u.role,
    status: u.disabledAt === null ? 'active' : 'disabled',
    mfaEnrolled: s.mfaEnrolled,
    createdAt: iso(u.createdAt),
    updatedAt: iso(u.updatedAt),
    disabledAt: u.disabledAt === null ? null : iso(u.disabledAt),
  };
}

/** Roles whose grant is a critical operation (step-up): what they can do reaches every key and token. */
export function isPowerfulRole(role: Role | undefined): boolean {
  return role === 'owner' || role === 'admin';
}

/** The validated body of a request, typed by the route's schema (the hook runs after validation). */
export function bodyOf<T>(request: FastifyRequest): Partial<T> {
  return typeof request.body === 'object' && request.body !== null ? request.body : {};
}
