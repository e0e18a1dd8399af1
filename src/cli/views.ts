import type { AdminToken, ApiKey, AuditEvent, RotationPolicy } from '@clavis/sdk';
import type { AuditEvent as LogEvent } from '../core/model.ts';
import type { Row } from './output.ts';

// How keys and tokens look in tables, shared by the commands that print them.

/** Column headers of a key list. */
export const KEY_COLUMNS = ['id', 'name', 'env', 'status', 'scopes', 'start', 'expires', 'owner'] as const;

/** One key as a row under {@link KEY_COLUMNS}. */
export function keyRow(k: ApiKey): Row {
  return [k.id, k.name, k.environment, k.status, k.scopes, `${k.start}…`, k.expiresAt, k.ownerId];
}

/** Every field of a key, for `keys get` and the commands that change one key. */
export function keyRecord(k: ApiKey): [string, unknown][] {
  return [
    ['id', k.id],
    ['name', k.name],
    ['environment', k.environment],
    ['status', k.status],
    ['start', `${k.start}…`],
    ['scopes', k.scopes],
    ['ip allowlist', k.ipAllowlist.length === 0 ? 'any address' : k.ipAllowlist],
    ['owner', k.ownerId],
    ['signing', k.signing === null ? 'not required' : k.signing.scheme === 'ed25519' ? `ed25519, public key ${k.signing.publicKey}` : 'hmac-sha256'],
    ['metadata', Object.keys(k.metadata).length === 0 ? null : k.metadata],
    ['created', k.createdAt],
    ['updated', k.updatedAt],
    ['expires', k.expiresAt ?? 'never'],
    ['rotation', rotationText(k.rotation)],
    ['replaces', k.replacesId],
    ['replaced by', k.replacedById],
    ...(k.suspendedAt !== null ? ([['suspended', k.suspendedAt]] as [string, unknown][]) : []),
    ...(k.revokedAt !== null ? ([['revoked', k.revokedAt], ['revoke reason', k.revokeReason]] as [string, unknown][]) : []),
  ];
}

/** A key's rotation policy in words. */
function rotationText(r: RotationPolicy | null): string {
  if (r === null) return 'none';
  const how = r.mode === 'vault' ? `into the vault at ${r.vaultPath ?? '?'}` : 'by notice (key.rotation_due)';
  return `every ${r.everyDays} days ${how}, ${r.graceHours} h grace`;
}

/** Column headers of a token list. */
export const TOKEN_COLUMNS = ['id', 'name', 'role', 'status', 'start', 'created', 'expires'] as const;

/** One admin token as a row under {@link TOKEN_COLUMNS}. */
export function tokenRow(t: AdminToken): Row {
  return [t.id, t.name, t.role, t.status, `${t.start}…`, t.createdAt, t.expiresAt];
}

/** Every field of an admin token. */
export function tokenRecord(t: AdminToken): [string, unknown][] {
  return [
    ['id', t.id],
    ['name', t.name],
    ['role', t.role],
    ['status', t.status],
    ['start', `${t.start}…`],
    ['created', t.createdAt],
    ['created by', t.createdBy],
    ['user', t.userId ?? 'none (service token)'],
    ['expires', t.expiresAt ?? 'never'],
    ...(t.revokedAt !== null ? ([['revoked', t.revokedAt]] as [string, unknown][]) : []),
  ];
}

/** The line printed under every secret: it exists only in this output. */
export const SHOWN_ONCE = 'Store it now: it will not be shown again.';

/** `type:id` of an audit actor or target, as one cell. */
export function refText(ref: { type: string; id: string } | null): string {
  return ref === null ? '' : `${ref.type}:${ref.id}`;
}

/**
 * The event as it entered the log: the wire form minus the leafHash the API adds. The wire type
 * widens actor and target types to string; the hash is over whatever the server sent, so a cast
 * (not a narrowing that could drop or reject data) is what keeps the checks honest.
 */
export function logEventOf(wire: AuditEvent): LogEvent {
  const { leafHash: _leafHash, ...event } = wire;
  return event as LogEvent;
}
