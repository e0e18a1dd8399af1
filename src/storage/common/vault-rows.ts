import type { Environment } from '../../core/keys/key-format.ts';
import type { KeyringRecord, RootKeyRecord, SecretRecord, SecretSummary, SecretVersionRecord } from '../../core/ports/store.ts';
import type { JsonDecoder } from './rows.ts';

/** Row shapes of the vault tables, shared by the SQL adapters (BLOB and BYTEA both arrive as Buffer). */
export interface KeyringRow {
  provider: string;
  current_version: number;
  min_decryption_version: number;
  provider_data: unknown;
  created_at: number;
  updated_at: number;
}

export interface RootKeyRow {
  version: number;
  sealed: Buffer | null;
  created_at: number;
}

export interface SecretRow {
  workspace_id: string;
  environment: string;
  path: string;
  current_version: number;
  created_at: number;
  updated_at: number;
}

export interface SecretSummaryRow extends SecretRow {
  current_deleted_at: number | null;
  current_destroyed_at: number | null;
}

export interface SecretVersionRow {
  workspace_id: string;
  environment: string;
  path: string;
  version: number;
  key_version: number | null;
  wrapped_key: Buffer | null;
  ciphertext: Buffer | null;
  created_at: number;
  created_by: string;
  deleted_at: number | null;
  destroyed_at: number | null;
}

export function keyringFromRow(row: KeyringRow, json: JsonDecoder): KeyringRecord {
  return {
    provider: row.provider as KeyringRecord['provider'],
    currentVersion: row.current_version,
    minDecryptionVersion: row.min_decryption_version,
    providerData: json(row.provider_data) as Record<string, unknown>,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export function rootKeyFromRow(row: RootKeyRow): RootKeyRecord {
  return { version: row.version, sealed: row.sealed === null ? null : Buffer.from(row.sealed), createdAt: row.created_at };
}

export function secretFromRow(row: SecretRow): SecretRecord {
  return {
    workspaceId: row.workspace_id,
    environment: row.environment as Environment,
    path: row.path,
    currentVersion: row.current_version,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export function secretSummaryFromRow(row: SecretSummaryRow): SecretSummary {
  return { ...secretFromRow(row), currentDeletedAt: row.current_deleted_at, currentDestroyedAt: row.current_destroyed_at };
}

export function secretVersionFromRow(row: SecretVersionRow): SecretVersionRecord {
  return {
    workspaceId: row.workspace_id,
    environment: row.environment as Environment,
    path: row.path,
    version: row.version,
    keyVersion: row.key_version,
    wrappedKey: row.wrapped_key === null ? null : Buffer.from(row.wrapped_key),
    ciphertext: row.ciphertext === null ? null : Buffer.from(row.ciphertext),
    createdAt: row.created_at,
    createdBy: row.created_by,
    deletedAt: row.deleted_at,
    destroyedAt: row.destroyed_at,
  };
}
