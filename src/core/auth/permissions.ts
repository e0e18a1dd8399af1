import type { Role } from '../model.ts';

/**
 * What an admin token may do. One check (`can`) guards every route; docs/reference/permissions.md
 * is generated from this table.
 */
export const PERMISSIONS = {
  'keys:read': 'Read API keys and their metadata',
  'keys:write': 'Create, change, rotate, suspend, resume and revoke API keys',
  'keys:verify': 'Verify API keys',
  'tokens:read': 'List admin tokens',
  'tokens:write': 'Create and revoke admin tokens',
  'audit:read': 'Read audit events, checkpoints and proofs; export the log',
  'audit:checkpoint': 'Ask for a signed checkpoint now',
  'workspaces:read': 'Read the current workspace',
  'workspaces:create': 'Create workspaces (owners of the operator workspace only)',
  'secrets:read': 'List secrets and their versions (metadata only, never values)',
  'secrets:write': 'Write, delete, undelete and destroy secrets',
  'secrets:reveal': 'Read secret values (each read is an audit event)',
  'keyring:manage': 'Rotate, rewrap, retire and unseal the master keyring (operator workspace only)',
  'alerts:read': 'List anomaly alerts and offboarded owners',
  'alerts:write': 'Acknowledge and resolve alerts; mark key owners offboarded or reinstate them',
  'metrics:read': 'Scrape /metrics (Prometheus; operator workspace only, since it spans every workspace)',
  'users:read': 'List the users of the workspace and whether they have MFA',
  'users:write': 'Create users, change their name or role, disable them (which revokes their tokens)',
  'workspaces:write': 'Change the settings of the current workspace (requireMfa)',
  'webhooks:read': 'List webhook endpoints (never their secrets) and their delivery logs',
  'webhooks:write': 'Add and delete webhook endpoints',
  'playbooks:read': 'List the loaded playbooks',
  'playbooks:run': 'Run a playbook by hand (it suspends, rotates and revokes keys as its steps say)',
  'scheduler:run': 'Run the rotation and expiry scheduler once, or dry-run it (operator workspace only, since it spans every workspace)',
  'mfa:self': "Enrol, confirm, read and remove TOTP for the calling token's own user",
} as const;

export type Permission = keyof typeof PERMISSIONS;

const ALL = Object.keys(PERMISSIONS) as Permission[];

export const ROLE_PERMISSIONS: Record<Role, readonly Permission[]> = {
  owner: ALL,
  admin: ALL.filter((p) => p !== 'workspaces:create' && p !== 'keyring:manage' && p !== 'workspaces:write'),
  developer: ['keys:read', 'keys:write', 'keys:verify', 'workspaces:read', 'secrets:read', 'secrets:write', 'alerts:read', 'mfa:self'],
  auditor: ['keys:read', 'tokens:read', 'audit:read', 'audit:checkpoint', 'workspaces:read', 'secrets:read', 'alerts:read', 'metrics:read', 'users:read', 'webhooks:read', 'playbooks:read', 'mfa:self'],
  'read-only': ['keys:read', 'workspaces:read', 'secrets:read', 'mfa:self'],
};

const RANK: Record<Role, number> = { owner: 0, admin: 1, developer: 2, auditor: 3, 'read-only': 3 };

/** Whether `role` holds `permission`. */
export function can(role: Role, permission: Permission): boolean {
  return ROLE_PERMISSIONS[role].includes(permission);
}

/**
 * Whether a token with role `granter` may create or revoke a token with role `target`: never
 * above its own rank, and only owners manage owners.
 */
export function canGrant(granter: Role, target: Role): boolean {
  if (target === 'owner') return granter === 'owner';
  return RANK[granter] <= RANK[target];
}

/**
 * Whether every permission of `inner` is also one of `outer`: a token issued for a user must be
 * within the user's role. Unlike {@link canGrant} this tells auditor and read-only apart (an
 * auditor token is not within a read-only user).
 *
 * @example roleWithin('developer', 'admin') // true; roleWithin('auditor', 'developer') // false
 */
export function roleWithin(inner: Role, outer: Role): boolean {
  return ROLE_PERMISSIONS[inner].every((p) => ROLE_PERMISSIONS[outer].includes(p));
}
