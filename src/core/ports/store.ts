import type { Environment } from '../keys/key-format.ts';
import type {
  AdminTokenRecord,
  ApiKeyPatch,
  ApiKeyRecord,
  AuditCheckpoint,
  AuditEvent,
  KeyStatus,
  Role,
  StoredAuditEvent,
  Workspace,
} from '../model.ts';
import type { KeyringRepo, SecretsRepo } from './vault-store.ts';
import type { AlertRepo, OwnerRepo, UsageRepo } from './monitor-store.ts';
import type { PortfolioRepo, QuoteRepo, WaitlistRepo } from './paper-store.ts';
import type { MfaRepo, UserRepo, WorkspaceSettingsRepo } from './user-store.ts';
import type { WebhookRepo } from './webhook-store.ts';
import type { SchedulerRepo } from './scheduler-store.ts';
import type { SigningSecretRepo } from './signing-secret-store.ts';

/** Cursor pagination: ids are time-sortable, so `afterId` pages in creation order. */
export interface Page {
  afterId?: string;
  limit: number;
}

export interface KeyFilter extends Page {
  environment?: Environment;
  status?: KeyStatus;
  ownerId?: string;
}

export interface WorkspaceRepo {
  insert(ws: Workspace): Promise<void>;
  findById(id: string): Promise<Workspace | null>;
  /** Workspaces in creation order. */
  list(page: Page): Promise<Workspace[]>;
}

export interface KeyRepo {
  insert(key: ApiKeyRecord): Promise<void>;
  findById(workspaceId: string, id: string): Promise<ApiKeyRecord | null>;
  /** Across workspaces: the caller checks the workspace. */
  findByHash(hash: string): Promise<ApiKeyRecord | null>;
  /** Applies the patch and returns the updated record, or null when no such key in the workspace. */
  update(workspaceId: string, id: string, patch: ApiKeyPatch): Promise<ApiKeyRecord | null>;
  list(workspaceId: string, filter: KeyFilter): Promise<ApiKeyRecord[]>;
}

export interface TokenRepo {
  insert(token: AdminTokenRecord): Promise<void>;
  findById(workspaceId: string, id: string): Promise<AdminTokenRecord | null>;
  findByHash(hash: string): Promise<AdminTokenRecord | null>;
  /** Sets revokedAt; returns the updated record or null when no such token in the workspace. */
  revoke(workspaceId: string, id: string, at: number): Promise<AdminTokenRecord | null>;
  list(workspaceId: string, page: Page): Promise<AdminTokenRecord[]>;
  /** Whether any token with role owner exists, revoked or not (bootstrap runs only on an empty store). */
  anyOwner(): Promise<boolean>;
  /**
   * Revokes the unrevoked tokens of a user whose role is one of `roles` (every role when omitted)
   * and returns them as revoked.
   */
  revokeForUser(workspaceId: string, userId: string, at: number, roles?: readonly Role[]): Promise<AdminTokenRecord[]>;
}

export interface AuditFilter {
  /** First seq to return (inclusive). */
  fromSeq?: number;
  /** Last seq to return (inclusive). */
  toSeq?: number;
  since?: number;
  until?: number;
  actorId?: string;
  targetId?: string;
  action?: string;
  limit: number;
}

export interface AuditRepo {
  /**
   * Reserves the next seq of the workspace log. Inside a transaction this serialises appenders
   * (a row lock on PostgreSQL) and a rollback gives the number back, so the log stays gapless.
   */
  nextSeq(workspaceId: string): Promise<number>;
  insert(event: AuditEvent, leafHash: string): Promise<void>;
  /** Events in seq order. */
  list(workspaceId: string, filter: AuditFilter): Promise<StoredAuditEvent[]>;
  findBySeq(workspaceId: string, seq: number): Promise<StoredAuditEvent | null>;
  /** Leaf hashes (hex) for seq in [fromSeq, toSeq), in order. */
  leafHashes(workspaceId: string, fromSeq: number, toSeq: number): Promise<string[]>;
  /** Number of events in the workspace log. */
  size(workspaceId: string): Promise<number>;
  /** Inserts a checkpoint; a second one for the same (workspace, treeSize) is ignored. */
  insertCheckpoint(cp: AuditCheckpoint): Promise<void>;
  /** Newest first. */
  listCheckpoints(workspaceId: string, limit: number, beforeTreeSize?: number): Promise<AuditCheckpoint[]>;
  latestCheckpoint(workspaceId: string): Promise<AuditCheckpoint | null>;
  /** The smallest checkpoint whose treeSize is at least `minTreeSize`. */
  checkpointCovering(workspaceId: string, minTreeSize: number): Promise<AuditCheckpoint | null>;
  /** Workspaces whose log has grown past their latest checkpoint. */
  workspacesNeedingCheckpoint(): Promise<string[]>;
}

/** A cached object that changed: nodes drop it from their caches. */
export interface CacheChange {
  kind: 'key' | 'token';
  /** SHA-256 hex of the credential, the cache key. */
  hash: string;
}

export interface ChangeRepo {
  /**
   * Announces a change to every node. Inside a transaction it is delivered when (and only if)
   * the transaction commits, so no node can miss a committed revocation or see a rolled-back one.
   */
  announce(change: CacheChange): Promise<void>;
}

export interface Repos {
  workspaces: WorkspaceRepo;
  keys: KeyRepo;
  tokens: TokenRepo;
  audit: AuditRepo;
  changes: ChangeRepo;
  keyring: KeyringRepo;
  secrets: SecretsRepo;
  usage: UsageRepo;
  alerts: AlertRepo;
  owners: OwnerRepo;
  quotes: QuoteRepo;
  portfolios: PortfolioRepo;
  waitlist: WaitlistRepo;
  users: UserRepo;
  mfa: MfaRepo;
  workspaceSettings: WorkspaceSettingsRepo;
  webhooks: WebhookRepo;
  scheduler: SchedulerRepo;
  signingSecrets: SigningSecretRepo;
}

export type { KeyringRecord, KeyringRepo, RootKeyRecord, SecretListFilter, SecretRecord, SecretRef, SecretSummary, SecretVersionPatch, SecretVersionRecord, SecretsRepo } from './vault-store.ts';
export type { AlertFilter, AlertRecord, AlertRepo, AlertSeverity, AlertStatus, AlertTransition, KeyLastUse, OffboardedOwner, OwnerRepo, UsageBucketRow, UsageRepo, UsageSeriesQuery, UsageSeriesRow } from './monitor-store.ts';
export type { SigningSecretRecord, SigningSecretRepo } from './signing-secret-store.ts';
export type { KeyScanPage, LeaseRecord, NoticeKind, NoticeRecord, SchedulerRepo } from './scheduler-store.ts';
export type { WebhookAttemptResult, WebhookDeliveryRecord, WebhookDeliveryStatus, WebhookEndpointRecord, WebhookEventType, WebhookRepo } from './webhook-store.ts';
export type { MfaRepo, TotpEnrolmentRecord, UserPatch, UserRecord, UserRepo, WorkspaceSettingsRecord, WorkspaceSettingsRepo } from './user-store.ts';
export type { PortfolioRecord, PortfolioRepo, PositionRecord, QuoteRecord, QuoteRepo, TradeRecord, TradeSide, WaitlistEntry, WaitlistRepo } from './paper-store.ts';

/** Receives the changes other nodes announce. */
export interface ChangeListener {
  onChange(change: CacheChange): void;
  /** The feed was lost: anything may have changed meanwhile, so caches must not be trusted. */
  onGap(): void;
  /** The feed is back; caches may be used again (they were emptied at the gap). */
  onResume(): void;
}

export interface ChangeWatch {
  close(): Promise<void>;
}

/**
 * The storage port. Reads may use the repos directly; every change goes through `transact`, so a
 * change and its audit event commit together or not at all.
 *
 * Inside `transact` the callback only talks to the store: it must not wait on the network or a
 * timer (on SQLite the transaction holds the one connection until it ends).
 */
export interface Store extends Repos {
  readonly kind: 'memory' | 'sqlite' | 'postgres';
  transact<T>(fn: (tx: Repos) => Promise<T>): Promise<T>;
  /**
   * Subscribes to changes announced by every node sharing this store. Single-process stores
   * (memory, SQLite) deliver nothing: local caches are invalidated directly.
   */
  watch(listener: ChangeListener): Promise<ChangeWatch>;
  /** Cheap round trip for readiness probes. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
