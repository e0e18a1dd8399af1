/** Wire types of the Clavis API (times are ISO 8601 strings). Checked against the OpenAPI document by a test. */
export type Environment = 'live' | 'test' | 'dev';
export type Role = 'owner' | 'admin' | 'developer' | 'auditor' | 'read-only';

export interface ApiKey {
  id: string;
  workspaceId: string;
  name: string;
  environment: Environment;
  start: string;
  scopes: string[];
  status: 'active' | 'suspended' | 'revoked' | 'expired';
  createdAt: string;
  updatedAt: string;
  expiresAt: string | null;
  ipAllowlist: string[];
  metadata: Record<string, unknown>;
  ownerId: string | null;
  replacesId: string | null;
  replacedById: string | null;
  revokedAt: string | null;
  revokeReason: string | null;
  suspendedAt: string | null;
  signing: KeySigning | null;
  rateLimits: RateLimit[];
  credits: CreditPolicy | null;
  /** Automatic rotation by the scheduler, or null. */
  rotation: RotationPolicy | null;
  /** Latest verification of the key (null: never used); present on getKey and listKeys. */
  lastUsedAt?: string | null;
  /** Client address of that verification. */
  lastUsedIp?: string | null;
}

/** A key's verifications per time bucket (`getKeyUsage`). */
export interface KeyUsage {
  keyId: string;
  from: string;
  to: string;
  bucket: 'minute' | 'hour' | 'day';
  total: number;
  buckets: { start: string; total: number; codes: Record<string, number>; routes: Record<string, number>; countries: Record<string, number> }[];
}

export interface KeyUsageQuery {
  from?: string;
  to?: string;
  bucket?: 'minute' | 'hour' | 'day';
}

export type AlertType = 'rate-spike' | 'new-country' | 'new-network' | 'impossible-travel' | 'failed-verify-burst' | 'bad-signature-burst' | 'scope-denial-burst' | 'offboarded-owner-use' | 'dormant-key-use';
export type AlertSeverity = 'low' | 'medium' | 'high' | 'critical';
export type AlertStatus = 'open' | 'acknowledged' | 'resolved';

/** A detector finding, deduplicated per subject while unresolved (docs/guides/monitoring.md). */
export interface Alert {
  id: string;
  workspaceId: string;
  type: AlertType;
  severity: AlertSeverity;
  status: AlertStatus;
  keyId: string | null;
  dedupeKey: string;
  summary: string;
  evidence: Record<string, unknown>;
  occurrences: number;
  firstSeenAt: string;
  lastSeenAt: string;
  createdAt: string;
  updatedAt: string;
  acknowledgedAt: string | null;
  acknowledgedBy: string | null;
  resolvedAt: string | null;
  resolvedBy: string | null;
  note: string | null;
}

export interface AlertsQuery {
  status?: AlertStatus;
  severity?: AlertSeverity;
  type?: AlertType;
  keyId?: string;
  limit?: number;
  cursor?: string;
}

export interface OffboardedOwner {
  ownerId: string;
  offboardedAt: string;
  reason: string | null;
  offboardedBy: string;
}

/** One named rate limit of a key. */
export interface RateLimit {
  name: string;
  algorithm: 'sliding-window' | 'token-bucket';
  limit: number;
  windowSeconds: number;
}

/** Credits consumed per request, refilled to `quota` daily, monthly or never. */
export interface CreditPolicy {
  quota: number;
  refill: 'daily' | 'monthly' | 'none';
}

/**
 * A key's automatic rotation (docs/guides/rotation.md): every `everyDays` the scheduler rotates the
 * key and writes the successor into the secrets vault at `vaultPath` (`vault`), or sends
 * `key.rotation_due` (`notify`). The old key keeps working `graceHours`.
 */
export interface RotationPolicy {
  everyDays: number;
  graceHours: number;
  mode: 'vault' | 'notify';
  /** Required for `vault`: a secret path in the key's workspace and environment. */
  vaultPath?: string;
}

/**
 * A key's signed-request requirement: Ed25519 (the consumer's public key, raw 32 bytes, base64)
 * or HMAC-SHA256 (a secret Clavis issued; never shown again after the answer that issued it).
 */
export type KeySigning = { scheme: 'ed25519'; publicKey: string } | { scheme: 'hmac-sha256' };

/**
 * A signing requirement to ask for. Ed25519 without a scheme is accepted (older clients);
 * `hmac-sha256` makes Clavis generate a secret, returned once as `signingSecret`.
 */
export type KeySigningRequest = { scheme?: 'ed25519'; publicKey: string } | { scheme: 'hmac-sha256' };

export interface CreatedKey extends ApiKey {
  /** The key itself, shown only once. */
  key: string;
  /** The HMAC signing secret (base64 of 32 bytes) of an `hmac-sha256` key, shown only once. */
  signingSecret?: string;
}

/** A changed key; `signingSecret` is there, once, when the change issued a new HMAC secret. */
export interface UpdatedKey extends ApiKey {
  signingSecret?: string;
}

export interface CreateKeyRequest {
  name: string;
  environment: Environment;
  scopes: string[];
  expiresAt?: string;
  ttlSeconds?: number;
  ipAllowlist?: string[];
  metadata?: Record<string, unknown>;
  ownerId?: string;
  signing?: KeySigningRequest;
  rateLimits?: RateLimit[];
  credits?: CreditPolicy;
  rotation?: RotationPolicy;
}

export interface UpdateKeyRequest {
  name?: string;
  scopes?: string[];
  ipAllowlist?: string[];
  metadata?: Record<string, unknown>;
  expiresAt?: string;
  signing?: KeySigningRequest | null;
  rateLimits?: RateLimit[];
  credits?: CreditPolicy | null;
  /** null removes the rotation policy. */
  rotation?: RotationPolicy | null;
}

export interface ListKeysQuery {
  environment?: Environment;
  status?: 'active' | 'suspended' | 'revoked';
  ownerId?: string;
  limit?: number;
  cursor?: string;
}

export interface PageOf<T> {
  data: T[];
  nextCursor: string | null;
}

export interface RotatedKey {
  key: string;
  /** The successor's own HMAC signing secret when the key signs with `hmac-sha256`, shown only once. */
  signingSecret?: string;
  successor: ApiKey;
  previous: ApiKey;
}

export type VerifyCode =
  | 'VALID'
  | 'MALFORMED'
  | 'NOT_FOUND'
  | 'REVOKED'
  | 'SUSPENDED'
  | 'EXPIRED'
  | 'ENV_MISMATCH'
  | 'IP_NOT_ALLOWED'
  | 'INSUFFICIENT_SCOPE'
  | 'SIGNATURE_REQUIRED'
  | 'SIGNATURE_INVALID'
  | 'REPLAYED'
  | 'RATE_LIMITED'
  | 'QUOTA_EXCEEDED';

export interface VerifyRequest {
  key: string;
  environment?: Environment;
  scope?: string;
  ip?: string;
  signature?: { method: string; url: string; timestamp: number; nonce: string; signature: string; bodySha256: string };
  cost?: number;
}

export interface VerifyResult {
  valid: boolean;
  code: VerifyCode;
  keyId: string | null;
  environment: Environment | null;
  scopes: string[] | null;
  expiresAt: string | null;
  ownerId: string | null;
  metadata: Record<string, unknown> | null;
  rateLimit: { allowed: boolean; refusedBy: string | null; retryAfter: number | null; limits: { name: string; limit: number; windowSeconds: number; remaining: number; reset: number }[] } | null;
  credits: { allowed: boolean; quota: number; remaining: number; reset: number | null } | null;
}

/** What the server knows of a key hash: `unknown` also covers keys of other workspaces. */
export type KeyLookupStatus = 'live' | 'revoked' | 'suspended' | 'expired' | 'unknown';

export interface KeyLookupResult {
  hash: string;
  status: KeyLookupStatus;
  keyId?: string;
}

export interface KeyLookupResponse {
  results: KeyLookupResult[];
}

export interface AdminToken {
  id: string;
  workspaceId: string;
  name: string;
  role: Role;
  start: string;
  status: 'active' | 'revoked' | 'expired';
  createdAt: string;
  expiresAt: string | null;
  revokedAt: string | null;
  createdBy: string | null;
  /** The user the token was issued for; null: a service token. */
  userId: string | null;
}

export interface CreatedToken extends AdminToken {
  token: string;
}

export interface Workspace {
  id: string;
  name: string;
  createdAt: string;
  operator: boolean;
}

/** `GET` and `PATCH /v1/workspace`: the workspace, its settings and the caller. */
export interface WorkspaceInfo {
  workspace: Workspace;
  settings: { requireMfa: boolean };
  caller: { tokenId: string; role: string; userId: string | null };
}

/** A person of the workspace; admin tokens are issued for users (`createToken({ userId })`). */
export interface User {
  id: string;
  workspaceId: string;
  email: string;
  name: string;
  role: Role;
  status: 'active' | 'disabled';
  /** Whether the user has confirmed TOTP: critical operations then need a code. */
  mfaEnrolled: boolean;
  createdAt: string;
  updatedAt: string;
  disabledAt: string | null;
}

export interface CreateUserRequest {
  email: string;
  name: string;
  role?: Role;
}

export interface UpdateUserRequest {
  name?: string;
  role?: Role;
}

/** Shown once by `enrolTotp`. */
export interface TotpEnrolment {
  /** Base32 secret for an authenticator app (or `oathtool --totp -b`). */
  secret: string;
  otpauthUri: string;
  recoveryCodes: string[];
}

export interface TotpStatus {
  state: 'none' | 'pending' | 'enrolled';
  confirmedAt: string | null;
  recoveryCodesLeft: number;
  lockedUntil: string | null;
}

export interface RevokeAllResult {
  revoked: number;
  environment: Environment | null;
}

export interface AuditEvent {
  id: string;
  workspaceId: string;
  seq: number;
  time: string;
  actor: { type: string; id: string };
  action: string;
  target: { type: string; id: string } | null;
  data: Record<string, unknown>;
  leafHash: string;
}

export interface AuditEventsQuery {
  fromSeq?: number;
  toSeq?: number;
  since?: string;
  until?: string;
  actor?: string;
  target?: string;
  action?: string;
  limit?: number;
  cursor?: string;
}

export interface AuditCheckpoint {
  treeSize: number;
  rootHash: string;
  createdAt: string;
  note: string;
}

export interface CheckpointList {
  origin: string;
  verifierKey: string;
  treeSize: number;
  data: AuditCheckpoint[];
}

/** RFC 6962 consistency proof that the tree of size `to` extends the tree of size `from`. */
export interface ConsistencyProof {
  from: number;
  to: number;
  proof: string[];
}

export interface InclusionProof {
  seq: number;
  leafHash: string;
  treeSize: number;
  rootHash: string;
  proof: string[];
  checkpoint: AuditCheckpoint;
}

/** RFC 9457 problem details as Clavis sends them. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance: string;
  code: string;
  requestId: string;
  errors?: { field: string; message: string }[];
}

/** A secret's metadata in a listing: never its value. */
export interface SecretSummary {
  environment: string;
  path: string;
  currentVersion: number;
  /** State of the latest version. */
  state: 'active' | 'deleted' | 'destroyed';
  createdAt: string;
  updatedAt: string;
}

export interface SecretValue {
  environment: string;
  path: string;
  version: number;
  value: string;
  createdAt: string;
  createdBy: string;
}

export interface SecretWritten {
  environment: string;
  path: string;
  version: number;
}

export interface SecretVersionsChanged {
  environment: string;
  path: string;
  /** The versions the call changed. */
  versions: number[];
}

export interface ListSecretsQuery {
  environment?: Environment;
  limit?: number;
  cursor?: string;
}

export interface KeyringState {
  state: 'sealed' | 'unsealed';
  provider: string | null;
  description: string | null;
  reason: string | null;
  since: string;
  currentVersion: number | null;
  minDecryptionVersion: number | null;
  dataKeys: { keyVersion: number; count: number }[];
}

export interface RewrapResult {
  currentVersion: number;
  rewrapped: number;
  remaining: number;
  stranded: number;
}

/** An event a webhook endpoint can subscribe to (docs/guides/webhooks-and-playbooks.md). */
export type WebhookEventType = 'alert.raised' | 'key.created' | 'key.rotated' | 'key.revoked' | 'key.suspended' | 'key.resumed' | 'key.rotation_due' | 'key.expiring_soon' | 'key.quota_low' | 'playbook.completed' | 'playbook.failed' | 'playbook.notify';

/** A webhook endpoint: never its secret. */
export interface WebhookEndpoint {
  id: string;
  url: string;
  events: WebhookEventType[];
  createdAt: string;
  createdBy: string;
}

/** A new endpoint with its `whsec_…` signing secret, shown only once. */
export interface CreatedWebhook extends WebhookEndpoint {
  secret: string;
}

/** One message to one endpoint in its delivery log. */
export interface WebhookDelivery {
  id: string;
  endpointId: string;
  eventType: WebhookEventType;
  status: 'pending' | 'delivered' | 'failed';
  attempts: number;
  nextAttemptAt: string | null;
  lastStatusCode: number | null;
  lastError: string | null;
  createdAt: string;
  updatedAt: string;
}

export type PlaybookAction = 'suspend-key' | 'rotate-key' | 'revoke-key' | 'revoke-owner-keys' | 'notify-webhook' | 'snapshot-evidence';

/** A loaded playbook (docs/guides/webhooks-and-playbooks.md). */
export interface Playbook {
  name: string;
  description: string;
  trigger: { type: 'manual' | 'alert'; alertTypes?: string[]; minSeverity?: string };
  steps: PlaybookStep[];
}

/** One step of a playbook: the action and its settings. */
export interface PlaybookStep {
  action: PlaybookAction;
  reason?: string;
  gracePeriodSeconds?: number;
  message?: string;
}

export type SchedulerActionType = 'key.rotated' | 'key.rotation_due' | 'key.expiring_soon' | 'key.quota_low' | 'key.suspended';

/** What one scheduler tick did, or would do in a dry run (`runScheduler`). */
export interface SchedulerTick {
  startedAt: string;
  /** The node that ran it. */
  node: string;
  dryRun: boolean;
  /** Why nothing (or not everything) was done: another node holds the lease, or it was lost. */
  skipped: string | null;
  actions: { type: SchedulerActionType; workspaceId: string; keyId: string; successorId: string | null; detail: string }[];
  /** Due actions that failed; the next tick tries again. */
  failures: { type: SchedulerActionType; workspaceId: string; keyId: string; error: string }[];
}

/** What a playbook run did, step by step (or would do, for a dry run). */
export interface PlaybookRun {
  runId: string;
  playbook: string;
  dryRun: boolean;
  status: 'planned' | 'completed' | 'failed';
  steps: { index: number; action: PlaybookAction; status: 'planned' | 'done' | 'skipped' | 'failed'; detail: string; keyIds: string[] }[];
  error: { code: string; message: string } | null;
  /** The successor's secret when a rotate step ran; shown only once. */
  newKeySecret: string | null;
  newKeySigningSecret: string | null;
}

export type HygieneFinding = 'no-expiry' | 'rotation-overdue' | 'unused' | 'over-privileged' | 'high-risk-unprotected';

/** A key with hygiene findings. */
export interface HygieneKey {
  keyId: string;
  name: string;
  environment: string;
  status: string;
  ownerId: string | null;
  scopes: string[];
  createdAt: string;
  expiresAt: string | null;
  lastUsedAt: string | null;
  findings: HygieneFinding[];
  /** Scopes of an over-privileged key that no successful verification exercised in the window; empty otherwise. */
  unusedScopes: string[];
}

/** `GET /v1/reports/hygiene`. */
export interface HygieneReport {
  generatedAt: string;
  rotationDays: number;
  unusedDays: number;
  overPrivilegeDays: number;
  summary: { keys: number; flagged: number; 'no-expiry': number; 'rotation-overdue': number; unused: number; 'over-privileged': number; 'high-risk-unprotected': number };
  keys: HygieneKey[];
  limitations: string[];
}

/** A key as the evidence inventory shows it (never its hash or anything secret beyond the display start). */
export interface EvidenceInventoryKey {
  keyId: string;
  name: string;
  environment: string;
  start: string;
  status: string;
  scopes: string[];
  ownerId: string | null;
  createdAt: string;
  expiresAt: string | null;
  lastUsedAt: string | null;
  revokedAt: string | null;
  revokeReason: string | null;
  suspendedAt: string | null;
  replacesId: string | null;
  replacedById: string | null;
  ipAllowlist: string[];
  signingRequired: boolean;
}

/** A lifecycle audit event of the period, with the leaf hash the audit bundle has for it. */
export interface EvidenceLifecycleEvent {
  seq: number;
  time: string;
  actor: string;
  action: string;
  target: string | null;
  data: Record<string, unknown>;
  leafHash: string;
}

/** An alert of the period; its evidence is represented by its SHA-256 only. */
export interface EvidenceAlert {
  id: string;
  type: string;
  severity: string;
  status: string;
  keyId: string | null;
  summary: string;
  occurrences: number;
  firstSeenAt: string;
  lastSeenAt: string;
  acknowledgedAt: string | null;
  acknowledgedBy: string | null;
  resolvedAt: string | null;
  resolvedBy: string | null;
  note: string | null;
  evidenceSha256: string;
}

/** `GET /v1/reports/evidence`: everything of the evidence pack but the audit bundle. */
export interface EvidenceReport {
  workspaceId: string;
  from: string;
  to: string;
  generatedAt: string;
  inventory: EvidenceInventoryKey[];
  lifecycleEvents: EvidenceLifecycleEvent[];
  alerts: EvidenceAlert[];
  hygiene: HygieneReport;
  auditLog: { origin: string; verifierKey: string; size: number; eventsInPeriod: number; checkpoint: AuditCheckpoint | null };
}
