import { createHash } from 'node:crypto';
import { ClavisApiError, ClavisClient } from '../client.ts';
import type { VerifyRequest, VerifyResult } from '../types.ts';
import { AnswerCache } from './answer-cache.ts';
import { isRefusalCode, type EdgeFailureCode } from './edge-problem.ts';

export interface RemoteVerifierOptions {
  /** Clavis base URL, e.g. `https://clavis.internal:8420`. */
  url: string;
  /**
   * An admin token of the provider's workspace with `keys:verify`; role `developer` is enough.
   * Keys of other workspaces answer NOT_FOUND.
   */
  token: string;
  /** How long a VALID answer is reused, in ms. Default 5000; 0 turns every cache off. */
  cacheTtlMs?: number;
  /** How long a MALFORMED or NOT_FOUND answer is reused, in ms. Default 1000, at most `cacheTtlMs`. */
  negativeTtlMs?: number;
  /** Answers kept at most; the least recently used go first. Default 10 000. */
  maxEntries?: number;
  /** How long Clavis may take to answer before the request fails closed, in ms. Default 2000. */
  timeoutMs?: number;
  fetch?: typeof fetch;
  /** Time source for the cache (tests move it by hand). */
  clock?: { now(): number };
  /** Told why a verify could not be answered (for logs and alerts). Never gets the key. */
  onError?: (code: EdgeFailureCode, cause: unknown) => void;
}

/** What {@link RemoteVerifier.verify} learnt: Clavis's answer, or why there is none. */
export type VerifyOutcome =
  | { answered: true; result: VerifyResult; cached: boolean }
  | { answered: false; code: Exclude<EdgeFailureCode, 'RAW_BODY_UNAVAILABLE'>; cause: unknown };

const DEFAULTS = { cacheTtlMs: 5000, negativeTtlMs: 1000, maxEntries: 10_000, timeoutMs: 2000 } as const;

/**
 * Asks Clavis (`POST /v1/keys/verify`) whether a consumer's key may make a request, with a short
 * local cache so a provider does not pay a round trip per request.
 *
 * What is cached, and why nothing else:
 * - VALID answers, per (key, scope, environment, ip), for `cacheTtlMs`. The price: a revocation,
 *   suspension or any tightening of the key (scopes, a new signing requirement or limit) reaches
 *   this process only when the entry expires (default 5 s). Use TTL 0, or the gateway (which
 *   Clavis invalidates by push), for keys where that window matters.
 * - MALFORMED and NOT_FOUND answers for the shorter `negativeTtlMs`, so a flood of made-up keys
 *   costs Clavis one call per key and second. Other refusals (REVOKED, SUSPENDED, …) are not
 *   cached: a resumed key should work at once.
 * - Never an answer to a signed request: the server checks each nonce once and the timestamp
 *   against its own clock, so a cached VALID would let the same signed request be replayed, and a
 *   key that requires signatures only ever answers VALID to signed requests.
 * - Never an answer carrying rate-limit or credit state: every request must be counted by the
 *   server, or a cached VALID would let a consumer past its limit for the whole TTL.
 *
 * When Clavis cannot be reached, times out or answers 5xx, the outcome is `answered: false` and
 * the middleware fails closed (503); nothing stale is served in its place.
 *
 * @example
 * const verifier = new RemoteVerifier({ url: 'http://127.0.0.1:8420', token: process.env.CLAVIS_TOKEN ?? '' })
 * const outcome = await verifier.verify({ key, scope: 'prices:read', ip: '203.0.113.9' })
 */
export class RemoteVerifier {
  readonly #client: ClavisClient;
  readonly #cache: AnswerCache<VerifyResult>;
  readonly #ttlMs: number;
  readonly #negativeTtlMs: number;
  readonly #onError: ((code: EdgeFailureCode, cause: unknown) => void) | undefined;

  constructor(opts: RemoteVerifierOptions) {
    const clock = opts.clock ?? { now: () => Date.now() };
    const baseFetch = opts.fetch ?? fetch;
    const timeoutMs = opts.timeoutMs ?? DEFAULTS.timeoutMs;
    this.#client = new ClavisClient({ url: opts.url, token: opts.token, fetch: (input, init) => baseFetch(input, { ...init, signal: AbortSignal.timeout(timeoutMs) }) });
    this.#ttlMs = Math.max(0, opts.cacheTtlMs ?? DEFAULTS.cacheTtlMs);
    this.#negativeTtlMs = Math.min(this.#ttlMs, Math.max(0, opts.negativeTtlMs ?? DEFAULTS.negativeTtlMs));
    this.#cache = new AnswerCache(opts.maxEntries ?? DEFAULTS.maxEntries, () => clock.now());
    this.#onError = opts.onError;
  }

  /** Clavis's answer for one request, from the cache when allowed. Never rejects. */
  async verify(req: VerifyRequest): Promise<VerifyOutcome> {
    const cacheKey = req.signature === undefined && this.#ttlMs > 0 ? cacheKeyOf(req) : undefined;
    if (cacheKey !== undefined) {
      const hit = this.#cache.get(cacheKey);
      if (hit !== undefined) return { answered: true, result: hit, cached: true };
    }
    let result: VerifyResult;
    try {
      result = await this.#client.verifyKey(req);
    } catch (err) {
      return this.#failed(err instanceof ClavisApiError && err.status >= 400 && err.status < 500 && err.status !== 408 && err.status !== 429 ? 'VERIFIER_MISCONFIGURED' : 'VERIFIER_UNAVAILABLE', err);
    }
    if (!isVerifyResult(result)) return this.#failed('VERIFIER_UNAVAILABLE', new TypeError('Clavis answered the verify call with an unexpected body'));
    // A code this SDK does not know comes from a newer server: fail closed, and say why.
    const code: string = result.code;
    if (code !== 'VALID' && !isRefusalCode(code)) return this.#failed('VERIFIER_MISCONFIGURED', new TypeError(`Clavis answered the verify code ${code}, unknown to this SDK: update @clavis/sdk`));
    if (cacheKey !== undefined) {
      const ttl = this.#ttlFor(result);
      if (ttl > 0) this.#cache.set(cacheKey, result, ttl);
    }
    return { answered: true, result, cached: false };
  }

  /** Drops every cached answer (say, after revoking a key by hand and not wanting to wait). */
  clear(): void {
    this.#cache.clear();
  }

  /** Answers held in the cache. */
  get cachedAnswers(): number {
    return this.#cache.size;
  }

  #ttlFor(r: VerifyResult): number {
    if (r.valid && r.code === 'VALID') return r.rateLimit === null && r.credits === null ? this.#ttlMs : 0;
    return r.code === 'MALFORMED' || r.code === 'NOT_FOUND' ? this.#negativeTtlMs : 0;
  }

  #failed(code: Exclude<EdgeFailureCode, 'RAW_BODY_UNAVAILABLE'>, cause: unknown): VerifyOutcome {
    this.#onError?.(code, cause);
    return { answered: false, code, cause };
  }
}

/** The cache key: the key's SHA-256, so the heap holds no usable key, and what the answer depends on. */
function cacheKeyOf(req: VerifyRequest): string {
  return JSON.stringify([createHash('sha256').update(req.key).digest('hex'), req.scope ?? null, req.environment ?? null, req.ip ?? null]);
}

/** Enough of the shape to act on: anything else fails closed rather than letting a request pass. */
function isVerifyResult(v: unknown): v is VerifyResult {
  if (typeof v !== 'object' || v === null) return false;
  const r = v as Record<string, unknown>;
  return typeof r.valid === 'boolean' && typeof r.code === 'string' && (r.rateLimit === null || typeof r.rateLimit === 'object') && (r.credits === null || typeof r.credits === 'object');
}
