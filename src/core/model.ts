import type { CreditPolicy, RateLimit } from './limits/limit-policy.ts';
import type { Environment } from './keys/key-format.ts';
import type { RotationPolicy } from './keys/rotation-policy.ts';

export type KeyStatus = 'active' | 'suspended' | 'revoked';

/**
 * A key's request-signing requirement. Ed25519: only the consumer's public key is stored.
 * HMAC-SHA256: the shared secret is never part of the record; it is sealed under the keyring in
 * its own table (`SigningSecretRepo`), so nothing that copies a record can carry it.
 */
export type KeySigning = Ed25519Signing | HmacSigning;

export interface Ed25519Signing {
  scheme: 'ed25519';
  /** Raw 32-byte Ed25519 public key, base64. */
  publicKey: string;
}

export interface HmacSigning {
  scheme: 'hmac-sha256';
}

/** Edge policy carried by a key, enforced by the verify pipeline after the scope check. */
export interface KeyEnforcement {
  signing: KeySigning | null;
  /** Named limits; every one must admit a request (see src/core/limits/limit-policy.ts). */
  rateLimits: RateLimit[];
  credits: CreditPolicy | null;
}

export const NO_ENFORCEMENT: KeyEnforcement = { signing: null, rateLimits: [], credits: null };

/** Roles of admin tokens, from most to least privileged. */
export const ROLES = ['owner', 'admin', 'developer', 'auditor', 'read-only'] as const;
export type Role = (typeof ROLES)[number];

/** Times are epoch milliseconds throughout the domain; the HTTP layer speaks ISO 8601. */
export interface Workspace {
  id: string;
  name: string;
  createdAt: number;
  /** The workspace created at bootstrap; its owners run the deployment and may create workspaces. */
  operator: boolean;
}

export interface ApiKeyRecord {
  id: string;
  workspaceId: string;
  name: string;
  environment: Environment;
  /** Display start: prefix, environment and the first body characters. Never enough to guess. */
  start: string;
  /** SHA-256 of the whole key, hex. Never leaves the store layer through the API or audit log. */
  hash: string;
  scopes: string[];
  status: KeyStatus;
  createdAt: number;
  updatedAt: number;
  expiresAt: number | null;
  ipAllowlist: string[];
  metadata: Record<string, unknown>;
  ownerId: string | null;
  replacesId: string | null;
  replacedById: string | null;
  revokedAt: number | null;
  revokeReason: string | null;
  suspendedAt: number | null;
  enforcement: KeyEnforcement;
  /** Automatic rotation (src/scheduler); a successor inherits it. null: none. */
  rotation: RotationPolicy | null;
}

/** Fields that may change after creation. */
export type ApiKeyPatch = Partial<
  Pick<
    ApiKeyRecord,
    | 'name'
    | 'scopes'
    | 'status'
    | 'updatedAt'
    | 'expiresAt'
    | 'ipAllowlist'
    | 'metadata'
    | 'replacedById'
    | 'revokedAt'
    | 'revokeReason'
    | 'suspendedAt'
    | 'enforcement'
    | 'rotation'
  >
>;

export interface AdminTokenRecord {
  id: string;
  workspaceId: string;
  name: string;
  role: Role;
  hash: string;
  start: string;
  createdAt: number;
  expiresAt: number | null;
  revokedAt: number | null;
  /** Id of the token that created this one; null for the bootstrap owner token. */
  createdBy: string | null;
  /** The user the token was issued for (its role never exceeds theirs); null: a service token. */
  userId: string | null;
}

export interface AuditActor {
  /** `key`: an API key acting on its owner's behalf (a paper trade). */
  type: 'token' | 'system' | 'key';
  id: string;
}

export interface AuditTarget {
  type: 'key' | 'token' | 'workspace' | 'secret' | 'keyring' | 'alert' | 'owner' | 'portfolio' | 'user' | 'webhook' | 'playbook';
  id: string;
}

/**
 * One entry of a workspace's audit log. Its canonical JSON is the Merkle leaf input, so every
 * field here is covered by the signed checkpoints. Never holds a secret or a hash of one.
 */
export interface AuditEvent {
  id: string;
  workspaceId: string;
  /** 0-based position in the workspace log (the Merkle leaf index); gapless. */
  seq: number;
  /** ISO 8601 UTC with milliseconds. */
  time: string;
  actor: AuditActor;
  action: string;
  target: AuditTarget | null;
  data: Record<string, unknown>;
}

export interface StoredAuditEvent {
  event: AuditEvent;
  /** RFC 6962 leaf hash of the event, hex. */
  leafHash: string;
}

export interface AuditCheckpoint {
  workspaceId: string;
  treeSize: number;
  /** Merkle root of the first treeSize events, hex. */
  rootHash: string;
  createdAt: number;
  /** The C2SP signed note. */
  note: string;
}
