import { NO_ENFORCEMENT, type KeyEnforcement } from '../../core/model.ts';
import type { RotationPolicy } from '../../core/keys/rotation-policy.ts';
import type { Environment } from '../../core/keys/key-format.ts';
import type {
  AdminTokenRecord,
  ApiKeyRecord,
  AuditCheckpoint,
  AuditEvent,
  KeyStatus,
  Role,
  StoredAuditEvent,
  Workspace,
} from '../../core/model.ts';

/**
 * Row shapes shared by the SQL adapters. JSON columns are `unknown`: SQLite hands back TEXT to
 * parse, PostgreSQL already-parsed JSONB, so each adapter passes its own decoder.
 */
export type JsonDecoder = (value: unknown) => unknown;

export interface WorkspaceRow {
  id: string;
  name: string;
  created_at: number;
  /** 0/1 on SQLite, boolean on PostgreSQL. */
  operator: number | boolean;
}

export interface KeyRow {
  id: string;
  workspace_id: string;
  name: string;
  environment: string;
  start: string;
  hash: string;
  scopes: unknown;
  status: string;
  created_at: number;
  updated_at: number;
  expires_at: number | null;
  ip_allowlist: unknown;
  enforcement: unknown;
  /** JSON, or NULL for no rotation policy (migration 009). */
  rotation: unknown;
  metadata: unknown;
  owner_id: string | null;
  replaces_id: string | null;
  replaced_by_id: string | null;
  revoked_at: number | null;
  revoke_reason: string | null;
  suspended_at: number | null;
}

export interface TokenRow {
  id: string;
  workspace_id: string;
  name: string;
  role: string;
  hash: string;
  start: string;
  created_at: number;
  expires_at: number | null;
  revoked_at: number | null;
  created_by: string | null;
  user_id: string | null;
}

export interface EventRow {
  workspace_id: string;
  seq: number;
  id: string;
  time: string;
  actor_type: string;
  actor_id: string;
  action: string;
  target_type: string | null;
  target_id: string | null;
  data: unknown;
  leaf_hash: string;
}

export interface CheckpointRow {
  workspace_id: string;
  tree_size: number;
  root_hash: string;
  created_at: number;
  note: string;
}

/** SQLite treats a negative LIMIT as none and PostgreSQL rejects it; both get a plain count. */
export function clampLimit(limit: number): number {
  return Number.isFinite(limit) ? Math.max(0, Math.floor(limit)) : 0;
}

/** Below every id: ids are non-empty, so `id > ''` is the first page without a second statement. */
export const BEFORE_ALL_IDS = '';

/** Maps a `workspaces` row to its record. */
export function workspaceFromRow(row: WorkspaceRow): Workspace {
  return { id: row.id, name: row.name, createdAt: row.created_at, operator: row.operator === true || row.operator === 1 };
}

/** Maps an `api_keys` row to its record, decoding the JSON columns with `json`. */
export function keyFromRow(row: KeyRow, json: JsonDecoder): ApiKeyRecord {
  return {
    id: row.id,
    workspaceId: row.workspace_id,
    name: row.name,
    environment: row.environment as Environment,
    start: row.start,
    hash: row.hash,
    scopes: json(row.scopes) as string[],
    status: row.status as KeyStatus,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    expiresAt: row.expires_at,
    ipAllowlist: json(row.ip_allowlist) as string[],
    metadata: json(row.metadata) as Record<string, unknown>,
    ownerId: row.owner_id,
    replacesId: row.replaces_id,
    replacedById: row.replaced_by_id,
    revokedAt: row.revoked_at,
    revokeReason: row.revoke_reason,
    suspendedAt: row.suspended_at,
    enforcement: { ...NO_ENFORCEMENT, ...(json(row.enforcement) as Partial<KeyEnforcement>) },
    rotation: row.rotation === null || row.rotation === undefined ? null : (json(row.rotation) as RotationPolicy),
  };
}

/** Maps an `admin_tokens` row to its record. */
export function tokenFromRow(row: TokenRow): AdminTokenRecord {
  return {
    id: row.id,
    workspaceId: row.workspace_id,
    name: row.name,
    role: row.role as Role,
    hash: row.hash,
    start: row.start,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    revokedAt: row.revoked_at,
    createdBy: row.created_by,
    userId: row.user_id,
  };
}

/** Maps an `audit_events` row back to the event exactly as appended, with its leaf hash. */
export function eventFromRow(row: EventRow, json: JsonDecoder): StoredAuditEvent {
  const event: AuditEvent = {
    id: row.id,
    workspaceId: row.workspace_id,
    seq: row.seq,
    time: row.time,
    actor: { type: row.actor_type as AuditEvent['actor']['type'], id: row.actor_id },
    action: row.action,
    target:
      row.target_type === null || row.target_id === null
        ? null
        : { type: row.target_type as NonNullable<AuditEvent['target']>['type'], id: row.target_id },
    data: json(row.data) as Record<string, unknown>,
  };
  return { event, leafHash: row.leaf_hash };
}

/** Maps an `audit_checkpoints` row to its record. */
export function checkpointFromRow(row: CheckpointRow): AuditCheckpoint {
  return {
    workspaceId: row.workspace_id,
    treeSize: row.tree_size,
    rootHash: row.root_hash,
    createdAt: row.created_at,
    note: row.note,
  };
}
