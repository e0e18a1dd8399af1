import type {
  AdminToken,
  EvidenceReport,
  HygieneReport,
  Playbook,
  PlaybookRun,
  SchedulerTick,
  CreatedWebhook,
  WebhookDelivery,
  WebhookEndpoint,
  WebhookEventType,
  Alert,
  AlertsQuery,
  KeyUsage,
  KeyUsageQuery,
  OffboardedOwner,
  ApiKey,
  AuditCheckpoint,
  AuditEvent,
  AuditEventsQuery,
  CheckpointList,
  ConsistencyProof,
  CreateKeyRequest,
  CreateUserRequest,
  CreatedKey,
  CreatedToken,
  Environment,
  InclusionProof,
  KeyringState,
  ListSecretsQuery,
  RewrapResult,
  SecretSummary,
  SecretValue,
  SecretVersionsChanged,
  SecretWritten,
  KeyLookupResponse,
  ListKeysQuery,
  PageOf,
  Problem,
  Role,
  RevokeAllResult,
  RotatedKey,
  UpdatedKey,
  TotpEnrolment,
  TotpStatus,
  UpdateKeyRequest,
  UpdateUserRequest,
  User,
  VerifyRequest,
  VerifyResult,
  Workspace,
  WorkspaceInfo,
} from './types.ts';

/** An error answer of the API, with its stable code. */
export class ClavisApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly problem: Problem | undefined;

  constructor(status: number, problem: Problem | undefined, fallback: string) {
    super(problem !== undefined ? `${problem.code}: ${problem.detail}` : fallback);
    this.name = 'ClavisApiError';
    this.status = status;
    this.code = problem?.code ?? 'HTTP_ERROR';
    this.problem = problem;
  }
}

export interface ClientOptions {
  /** Server base URL, e.g. http://127.0.0.1:8420 */
  url: string;
  /** Admin token (`clv_adm_…`). */
  token: string;
  fetch?: typeof fetch;
  /**
   * Step-up code for critical operations (a fresh TOTP code or a recovery code), sent as
   * `X-Clavis-MFA`; a function is asked before every request. Needed when the token's user has TOTP.
   */
  mfaCode?: string | (() => string | undefined);
}

type Query = Record<string, string | number | undefined>;

/**
 * Typed client for the Clavis admin and verify APIs.
 *
 * @example
 * const clavis = new ClavisClient({ url: 'http://127.0.0.1:8420', token: process.env.CLAVIS_TOKEN ?? '' })
 * const { key } = await clavis.createKey({ name: 'alice', environment: 'test', scopes: ['prices:read'] })
 */
export class ClavisClient {
  readonly #base: string;
  readonly #token: string;
  readonly #fetch: typeof fetch;
  readonly #mfa: () => string | undefined;

  constructor(opts: ClientOptions) {
    this.#base = opts.url.replace(/\/+$/, '');
    this.#token = opts.token;
    this.#fetch = opts.fetch ?? fetch;
    const mfa = opts.mfaCode;
    this.#mfa = typeof mfa === 'function' ? mfa : () => mfa;
  }

  async #call<T>(method: string, path: string, body?: unknown, query?: Query): Promise<T> {
    const qs = query === undefined ? '' : new URLSearchParams(Object.entries(query).filter((e): e is [string, string | number] => e[1] !== undefined).map(([k, v]): [string, string] => [k, String(v)])).toString();
    const mfa = this.#mfa();
    const res = await this.#fetch(`${this.#base}${path}${qs === '' ? '' : `?${qs}`}`, {
      method,
      headers: { authorization: `Bearer ${this.#token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...(mfa !== undefined && mfa !== '' ? { 'x-clavis-mfa': mfa } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    if (!res.ok) {
      let problem: Problem | undefined;
      try {
        problem = JSON.parse(text) as Problem;
      } catch {
        problem = undefined;
      }
      throw new ClavisApiError(res.status, problem, `HTTP ${res.status}`);
    }
    return JSON.parse(text) as T;
  }

  createKey(req: CreateKeyRequest): Promise<CreatedKey> {
    return this.#call('POST', '/v1/keys', req);
  }
  listKeys(query: ListKeysQuery = {}): Promise<PageOf<ApiKey>> {
    return this.#call('GET', '/v1/keys', undefined, { ...query });
  }
  getKey(id: string): Promise<ApiKey> {
    return this.#call('GET', `/v1/keys/${encodeURIComponent(id)}`);
  }
  updateKey(id: string, req: UpdateKeyRequest): Promise<UpdatedKey> {
    return this.#call('PATCH', `/v1/keys/${encodeURIComponent(id)}`, req);
  }
  rotateKey(id: string, gracePeriodSeconds?: number): Promise<RotatedKey> {
    return this.#call('POST', `/v1/keys/${encodeURIComponent(id)}/rotate`, gracePeriodSeconds === undefined ? {} : { gracePeriodSeconds });
  }
  revokeKey(id: string, reason: string): Promise<ApiKey> {
    return this.#call('POST', `/v1/keys/${encodeURIComponent(id)}/revoke`, { reason });
  }
  suspendKey(id: string, reason?: string): Promise<ApiKey> {
    return this.#call('POST', `/v1/keys/${encodeURIComponent(id)}/suspend`, reason === undefined ? {} : { reason });
  }
  resumeKey(id: string): Promise<ApiKey> {
    return this.#call('POST', `/v1/keys/${encodeURIComponent(id)}/resume`, {});
  }
  verifyKey(req: VerifyRequest): Promise<VerifyResult> {
    return this.#call('POST', '/v1/keys/verify', req);
  }
  /**
   * Looks keys up by SHA-256 (hex) of the whole key, at most 1000 per call: the key itself is
   * never sent. Answers per hash live, revoked, suspended, expired or unknown (keys of other
   * workspaces are unknown).
   *
   * @example await clavis.lookupKeys([createHash('sha256').update(key).digest('hex')])
   */
  lookupKeys(hashes: string[]): Promise<KeyLookupResponse> {
    return this.#call('POST', '/v1/keys/lookup', { hashes });
  }
  /**
   * Creates an admin token; with `userId` it is issued for that user (its role must be within the
   * user's). An owner or admin token, or one for another user, is a critical operation.
   */
  createToken(req: { name: string; role?: Role; ttlSeconds?: number; userId?: string }): Promise<CreatedToken> {
    return this.#call('POST', '/v1/tokens', req);
  }
  listTokens(query: { limit?: number; cursor?: string } = {}): Promise<PageOf<AdminToken>> {
    return this.#call('GET', '/v1/tokens', undefined, { ...query });
  }
  revokeToken(id: string): Promise<AdminToken> {
    return this.#call('POST', `/v1/tokens/${encodeURIComponent(id)}/revoke`, {});
  }
  createWorkspace(name: string): Promise<{ workspace: Workspace; ownerToken: CreatedToken }> {
    return this.#call('POST', '/v1/workspaces', { name });
  }
  getWorkspace(): Promise<WorkspaceInfo> {
    return this.#call('GET', '/v1/workspace');
  }
  /** Changes workspace settings; critical. Turning requireMfa on needs a caller with confirmed TOTP. */
  updateWorkspace(settings: { requireMfa: boolean }): Promise<WorkspaceInfo> {
    return this.#call('PATCH', '/v1/workspace', settings);
  }
  /** Revokes every active and suspended key (of one environment, if given); critical. */
  revokeAllKeys(req: { reason: string; environment?: Environment }): Promise<RevokeAllResult> {
    return this.#call('POST', '/v1/keys/revoke-all', req);
  }
  /** Creates a user; an owner or admin user is a critical operation. */
  createUser(req: CreateUserRequest): Promise<User> {
    return this.#call('POST', '/v1/users', req);
  }
  listUsers(query: { limit?: number; cursor?: string } = {}): Promise<PageOf<User>> {
    return this.#call('GET', '/v1/users', undefined, { ...query });
  }
  /** Renames a user or changes its role (a role change is critical; lowering it revokes the user's tokens above it). */
  updateUser(id: string, req: UpdateUserRequest): Promise<User> {
    return this.#call('PATCH', `/v1/users/${encodeURIComponent(id)}`, req);
  }
  /** Disables a user and revokes every token issued for it. */
  disableUser(id: string): Promise<{ user: User; revokedTokens: number }> {
    return this.#call('POST', `/v1/users/${encodeURIComponent(id)}/disable`, {});
  }
  /** Removes another user's TOTP (lost device); critical. */
  resetUserMfa(id: string): Promise<User> {
    return this.#call('DELETE', `/v1/users/${encodeURIComponent(id)}/mfa`);
  }
  /**
   * Starts TOTP enrolment of the token's own user; the answer is shown once. Confirm with
   * {@link confirmTotp}.
   *
   * @example const { otpauthUri, recoveryCodes } = await clavis.enrolTotp()
   */
  enrolTotp(): Promise<TotpEnrolment> {
    return this.#call('POST', '/v1/mfa/totp', {});
  }
  confirmTotp(code: string): Promise<TotpStatus> {
    return this.#call('POST', '/v1/mfa/totp/confirm', { code });
  }
  getTotp(): Promise<TotpStatus> {
    return this.#call('GET', '/v1/mfa/totp');
  }
  /** Removes the user's TOTP; needs `mfaCode` when it is confirmed. */
  removeTotp(): Promise<{ removed: boolean }> {
    return this.#call('DELETE', '/v1/mfa/totp');
  }
  listAuditEvents(query: AuditEventsQuery = {}): Promise<PageOf<AuditEvent>> {
    return this.#call('GET', '/v1/audit/events', undefined, { ...query });
  }
  listCheckpoints(query: { limit?: number; beforeTreeSize?: number } = {}): Promise<CheckpointList> {
    return this.#call('GET', '/v1/audit/checkpoints', undefined, { ...query });
  }
  createCheckpoint(): Promise<AuditCheckpoint> {
    return this.#call('POST', '/v1/audit/checkpoints', {});
  }
  getInclusionProof(seq: number, treeSize?: number): Promise<InclusionProof> {
    return this.#call('GET', `/v1/audit/proof/${seq}`, undefined, { treeSize });
  }
  /**
   * Proof that the log of size `to` extends the one of size `from`, so an auditor holding an
   * older checkpoint can check a newer one without reading every event.
   *
   * @example const { proof } = await clavis.getConsistencyProof(older.treeSize, newer.treeSize)
   */
  getConsistencyProof(from: number, to: number): Promise<ConsistencyProof> {
    return this.#call('GET', '/v1/audit/consistency', undefined, { from, to });
  }
  /**
   * Writes a new version of a secret. `cas` is the current version you expect (0: must not exist
   * yet); another one is a CAS_MISMATCH error and nothing is written.
   *
   * @example await clavis.putSecret('live', 'exchanges/binance/api-secret', { value: secret, cas: 0 })
   */
  putSecret(environment: Environment, path: string, body: { value: string; cas?: number }): Promise<SecretWritten> {
    return this.#call('PUT', secretPath(environment, path), body);
  }
  /** Reads a secret value (the latest version unless `version`); every read is an audit event. */
  getSecret(environment: Environment, path: string, version?: number): Promise<SecretValue> {
    return this.#call('GET', secretPath(environment, path), undefined, { version });
  }
  /** Secret metadata (never values). */
  listSecrets(query: ListSecretsQuery = {}): Promise<PageOf<SecretSummary>> {
    return this.#call('GET', '/v1/secrets', undefined, { ...query });
  }
  /** Soft-deletes the latest version (or `version`). */
  deleteSecret(environment: Environment, path: string, version?: number): Promise<SecretVersionsChanged> {
    return this.#call('DELETE', secretPath(environment, path), undefined, { version });
  }
  /** Restores soft-deleted versions (default: the latest). */
  undeleteSecret(environment: Environment, path: string, versions?: number[]): Promise<SecretVersionsChanged> {
    return this.#call('POST', `${secretPath(environment, path)}/undelete`, versions === undefined ? {} : { versions });
  }
  /** Destroys versions for good (default: all): ciphertext and wrapped data key are erased. */
  destroySecret(environment: Environment, path: string, versions?: number[]): Promise<SecretVersionsChanged> {
    return this.#call('POST', `${secretPath(environment, path)}/destroy`, versions === undefined ? {} : { versions });
  }
  getKeyring(): Promise<KeyringState> {
    return this.#call('GET', '/v1/keyring');
  }
  rotateKeyring(): Promise<{ version: number }> {
    return this.#call('POST', '/v1/keyring/rotate', {});
  }
  /** Moves up to `maxKeys` data keys to the current root key version; call again while `remaining` > 0. */
  rewrapKeyring(maxKeys?: number): Promise<RewrapResult> {
    return this.#call('POST', '/v1/keyring/rewrap', maxKeys === undefined ? {} : { maxKeys });
  }
  retireKeyringVersions(minDecryptionVersion: number, force?: boolean): Promise<{ minDecryptionVersion: number; stranded: number }> {
    return this.#call('POST', '/v1/keyring/retire', force === undefined ? { minDecryptionVersion } : { minDecryptionVersion, force });
  }
  unsealKeyring(passphrase: string): Promise<KeyringState> {
    return this.#call('POST', '/v1/keyring/unseal', { passphrase });
  }
  /** Verifications of a key per minute, hour or day, by outcome code, entry point and country. */
  getKeyUsage(id: string, query: KeyUsageQuery = {}): Promise<KeyUsage> {
    return this.#call('GET', `/v1/keys/${encodeURIComponent(id)}/usage`, undefined, { ...query });
  }
  /** Alerts of the workspace, newest first. */
  listAlerts(query: AlertsQuery = {}): Promise<PageOf<Alert>> {
    return this.#call('GET', '/v1/alerts', undefined, { ...query });
  }
  getAlert(id: string): Promise<Alert> {
    return this.#call('GET', `/v1/alerts/${encodeURIComponent(id)}`);
  }
  acknowledgeAlert(id: string, note?: string): Promise<Alert> {
    return this.#call('POST', `/v1/alerts/${encodeURIComponent(id)}/acknowledge`, note === undefined ? {} : { note });
  }
  resolveAlert(id: string, note?: string): Promise<Alert> {
    return this.#call('POST', `/v1/alerts/${encodeURIComponent(id)}/resolve`, note === undefined ? {} : { note });
  }
  /** Marks a key owner offboarded: any later use of their keys raises offboarded-owner-use. */
  offboardOwner(ownerId: string, reason?: string): Promise<{ owner: OffboardedOwner; created: boolean }> {
    return this.#call('POST', `/v1/owners/${encodeURIComponent(ownerId)}/offboard`, reason === undefined ? {} : { reason });
  }
  reinstateOwner(ownerId: string): Promise<{ ownerId: string; reinstated: true }> {
    return this.#call('POST', `/v1/owners/${encodeURIComponent(ownerId)}/reinstate`, {});
  }
  listOffboardedOwners(query: { limit?: number; cursor?: string } = {}): Promise<PageOf<OffboardedOwner>> {
    return this.#call('GET', '/v1/owners/offboarded', undefined, { ...query });
  }
  /** Adds a webhook endpoint; the answer carries its `whsec_…` signing secret, shown only this once. */
  createWebhook(input: { url: string; events: WebhookEventType[] }): Promise<CreatedWebhook> {
    return this.#call('POST', '/v1/webhooks', input);
  }
  listWebhooks(): Promise<{ data: WebhookEndpoint[] }> {
    return this.#call('GET', '/v1/webhooks');
  }
  deleteWebhook(id: string): Promise<{ deleted: boolean }> {
    return this.#call('DELETE', `/v1/webhooks/${encodeURIComponent(id)}`);
  }
  /** Keys without expiry, overdue for rotation, unused, over-privileged, or high-risk without an IP allowlist or signing. */
  getHygieneReport(query: { rotationDays?: number; unusedDays?: number; overPrivilegeDays?: number } = {}): Promise<HygieneReport> {
    return this.#call('GET', '/v1/reports/hygiene', undefined, { ...query });
  }
  /** Evidence of a period (dates or ISO 8601 times): inventory, lifecycle events, alerts, hygiene, latest checkpoint. */
  getEvidenceReport(query: { from: string; to: string }): Promise<EvidenceReport> {
    return this.#call('GET', '/v1/reports/evidence', undefined, { ...query });
  }
  listPlaybooks(): Promise<{ data: Playbook[] }> {
    return this.#call('GET', '/v1/playbooks');
  }
  /** Runs a playbook on a key or an owner; `dryRun` shows what it would do and changes nothing. */
  runPlaybook(name: string, input: { keyId?: string; ownerId?: string; dryRun?: boolean } = {}): Promise<PlaybookRun> {
    return this.#call('POST', `/v1/playbooks/${encodeURIComponent(name)}/run`, input);
  }
  /** Runs the rotation and expiry scheduler once now (operator workspace); `dryRun` reports what it would do. */
  runScheduler(opts: { dryRun?: boolean } = {}): Promise<SchedulerTick> {
    return this.#call('POST', '/v1/scheduler/run', opts);
  }
  /** The endpoint's delivery log, newest first. */
  listWebhookDeliveries(id: string, query: { limit?: number; cursor?: string } = {}): Promise<PageOf<WebhookDelivery>> {
    return this.#call('GET', `/v1/webhooks/${encodeURIComponent(id)}/deliveries`, undefined, { ...query });
  }
}

/** `/v1/secrets/{environment}/{path}`: each path segment encoded, the slashes kept. */
function secretPath(environment: Environment, path: string): string {
  return `/v1/secrets/${encodeURIComponent(environment)}/${path.split('/').map(encodeURIComponent).join('/')}`;
}
