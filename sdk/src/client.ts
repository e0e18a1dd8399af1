import type {
  AdminToken,
  ApiKey,
  AuditCheckpoint,
  AuditEvent,
  AuditEventsQuery,
  CheckpointList,
  CreateKeyRequest,
  CreatedKey,
  CreatedToken,
  InclusionProof,
  KeyLookupResponse,
  ListKeysQuery,
  PageOf,
  Problem,
  Role,
  RotatedKey,
  UpdateKeyRequest,
  VerifyRequest,
  VerifyResult,
  Workspace,
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

  constructor(opts: ClientOptions) {
    this.#base = opts.url.replace(/\/+$/, '');
    this.#token = opts.token;
    this.#fetch = opts.fetch ?? fetch;
  }

  async #call<T>(method: string, path: string, body?: unknown, query?: Query): Promise<T> {
    const qs = query === undefined ? '' : new URLSearchParams(Object.entries(query).filter((e): e is [string, string | number] => e[1] !== undefined).map(([k, v]): [string, string] => [k, String(v)])).toString();
    const res = await this.#fetch(`${this.#base}${path}${qs === '' ? '' : `?${qs}`}`, {
      method,
      headers: { authorization: `Bearer ${this.#token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
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
  updateKey(id: string, req: UpdateKeyRequest): Promise<ApiKey> {
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
  createToken(req: { name: string; role?: Role; ttlSeconds?: number }): Promise<CreatedToken> {
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
  getWorkspace(): Promise<{ workspace: Workspace; caller: { tokenId: string; role: Role } }> {
    return this.#call('GET', '/v1/workspace');
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
}
