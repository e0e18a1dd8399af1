import { Type, type Static } from '@sinclair/typebox';
import type { AdminTokenRecord, ApiKeyRecord, AuditCheckpoint, StoredAuditEvent, Workspace } from '../core/model.ts';
import type { KeyLastUse } from '../core/ports/store.ts';
import { ROLES } from '../core/model.ts';
import { ENVIRONMENTS } from '../core/keys/key-format.ts';
import { NullableTimestamp, Timestamp } from './schemas/common.ts';

const iso = (ms: number): string => new Date(ms).toISOString();
const isoOrNull = (ms: number | null): string | null => (ms === null ? null : iso(ms));

export const KeyView = Type.Object(
  {
    id: Type.String(),
    workspaceId: Type.String(),
    name: Type.String(),
    environment: Type.Union(ENVIRONMENTS.map((e) => Type.Literal(e))),
    start: Type.String({ description: 'The first characters of the key, for recognising it' }),
    scopes: Type.Array(Type.String()),
    status: Type.Union([Type.Literal('active'), Type.Literal('suspended'), Type.Literal('revoked'), Type.Literal('expired')]),
    createdAt: Timestamp,
    updatedAt: Timestamp,
    expiresAt: NullableTimestamp,
    ipAllowlist: Type.Array(Type.String()),
    metadata: Type.Record(Type.String(), Type.Unknown()),
    ownerId: Type.Union([Type.String(), Type.Null()]),
    replacesId: Type.Union([Type.String(), Type.Null()]),
    replacedById: Type.Union([Type.String(), Type.Null()]),
    revokedAt: NullableTimestamp,
    revokeReason: Type.Union([Type.String(), Type.Null()]),
    suspendedAt: NullableTimestamp,
    signing: Type.Union([Type.Object({ scheme: Type.Literal('ed25519'), publicKey: Type.String() }), Type.Object({ scheme: Type.Literal('hmac-sha256') }), Type.Null()], { description: 'Signed-request requirement, or null. An HMAC secret is never shown here (only once, when issued).' }),
    rateLimits: Type.Array(Type.Object({ name: Type.String(), algorithm: Type.Union([Type.Literal('sliding-window'), Type.Literal('token-bucket')]), limit: Type.Integer(), windowSeconds: Type.Integer() })),
    credits: Type.Union([Type.Object({ quota: Type.Integer(), refill: Type.Union([Type.Literal('daily'), Type.Literal('monthly'), Type.Literal('none')]) }), Type.Null()]),
    rotation: Type.Union(
      [Type.Object({ everyDays: Type.Integer(), graceHours: Type.Integer(), mode: Type.Union([Type.Literal('vault'), Type.Literal('notify')]), vaultPath: Type.Optional(Type.String()) }), Type.Null()],
      { description: 'Automatic rotation by the scheduler (docs/guides/rotation.md), or null' },
    ),
    lastUsedAt: Type.Optional(Type.Union([Timestamp, Type.Null()], { description: 'Time of the latest verification of this key (written every CLAVIS_USAGE_FLUSH_INTERVAL_SECONDS); null: never used. Present on GET /v1/keys and GET /v1/keys/{id}.' })),
    lastUsedIp: Type.Optional(Type.Union([Type.String(), Type.Null()], { description: 'Client address of that verification (the verify `ip`, else the caller)' })),
  },
  { $id: 'ApiKey' },
);

/**
 * The public view of a key: never the hash. `expired` is derived from the clock. With `lastUse`
 * (null: never used) the view carries lastUsedAt and lastUsedIp; without, it leaves them out.
 */
export function keyView(k: ApiKeyRecord, now: number, lastUse?: KeyLastUse | null): Static<typeof KeyView> {
  const expired = k.status === 'active' && k.expiresAt !== null && k.expiresAt <= now;
  return {
    id: k.id,
    workspaceId: k.workspaceId,
    name: k.name,
    environment: k.environment,
    start: k.start,
    scopes: k.scopes,
    status: expired ? 'expired' : k.status,
    createdAt: iso(k.createdAt),
    updatedAt: iso(k.updatedAt),
    expiresAt: isoOrNull(k.expiresAt),
    ipAllowlist: k.ipAllowlist,
    metadata: k.metadata,
    ownerId: k.ownerId,
    replacesId: k.replacesId,
    replacedById: k.replacedById,
    revokedAt: isoOrNull(k.revokedAt),
    revokeReason: k.revokeReason,
    suspendedAt: isoOrNull(k.suspendedAt),
    signing: k.enforcement.signing,
    rateLimits: k.enforcement.rateLimits,
    credits: k.enforcement.credits,
    rotation: k.rotation,
    ...(lastUse === undefined ? {} : { lastUsedAt: lastUse === null ? null : iso(lastUse.at), lastUsedIp: lastUse?.ip ?? null }),
  };
}

export const TokenView = Type.Object(
  {
    id: Type.String(),
    workspaceId: Type.String(),
    name: Type.String(),
    role: Type.Union(ROLES.map((r) => Type.Literal(r))),
    start: Type.String(),
    status: Type.Union([Type.Literal('active'), Type.Literal('revoked'), Type.Literal('expired')]),
    createdAt: Timestamp,
    expiresAt: NullableTimestamp,
    revokedAt: NullableTimestamp,
    createdBy: Type.Union([Type.String(), Type.Null()]),
    userId: Type.Union([Type.String(), Type.Null()], { description: 'The user the token was issued for; null: a service token (no MFA)' }),
  },
  { $id: 'AdminToken' },
);

export function tokenView(t: AdminTokenRecord, now: number): Static<typeof TokenView> {
  const status = t.revokedAt !== null ? 'revoked' : t.expiresAt !== null && t.expiresAt <= now ? 'expired' : 'active';
  return {
    id: t.id,
    workspaceId: t.workspaceId,
    name: t.name,
    role: t.role,
    start: t.start,
    status,
    createdAt: iso(t.createdAt),
    expiresAt: isoOrNull(t.expiresAt),
    revokedAt: isoOrNull(t.revokedAt),
    createdBy: t.createdBy,
    userId: t.userId,
  };
}

export const WorkspaceView = Type.Object({ id: Type.String(), name: Type.String(), createdAt: Timestamp, operator: Type.Boolean() }, { $id: 'Workspace' });

export function workspaceView(w: Workspace): Static<typeof WorkspaceView> {
  return { id: w.id, name: w.name, createdAt: iso(w.createdAt), operator: w.operator };
}

export const AuditEventView = Type.Object(
  {
    id: Type.String(),
    workspaceId: Type.String(),
    seq: Type.Integer(),
    time: Timestamp,
    actor: Type.Object({ type: Type.String(), id: Type.String() }),
    action: Type.String(),
    target: Type.Union([Type.Object({ type: Type.String(), id: Type.String() }), Type.Null()]),
    data: Type.Record(Type.String(), Type.Unknown()),
    leafHash: Type.String({ description: 'RFC 6962 leaf hash of the canonical JSON of the event (without leafHash), hex' }),
  },
  { $id: 'AuditEvent' },
);

export function auditEventView(s: StoredAuditEvent): Static<typeof AuditEventView> {
  return { ...s.event, leafHash: s.leafHash };
}

export const CheckpointView = Type.Object(
  { treeSize: Type.Integer(), rootHash: Type.String(), createdAt: Timestamp, note: Type.String({ description: 'C2SP signed note' }) },
  { $id: 'AuditCheckpoint' },
);

export function checkpointView(c: AuditCheckpoint): Static<typeof CheckpointView> {
  return { treeSize: c.treeSize, rootHash: c.rootHash, createdAt: iso(c.createdAt), note: c.note };
}

