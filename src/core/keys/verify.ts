import type { KeyObject } from 'node:crypto';
import type { CreditDecision, LimitDecision, LimiterStore, NonceStore } from '../ports/limiter.ts';
import type { Clock } from '../clock.ts';
import type { ApiKeyRecord } from '../model.ts';
import type { KeyRepo } from '../ports/store.ts';
import { TtlCache } from '../cache/ttl-cache.ts';
import { hashCredential, parseCredential, parseCredentialShape, type Environment } from './key-format.ts';
import { compileAllowlist, type IpMatcher } from './ip-allowlist.ts';
import { ed25519FromBase64, isWellFormedNonce, verifyEd25519Request, verifyHmacRequest, type SignedRequest } from '../signing/request-signature.ts';

/** Verify outcomes, in pipeline order (DESIGN.md section 3). */
export const VERIFY_CODES = [
  'VALID',
  'MALFORMED',
  'NOT_FOUND',
  'REVOKED',
  'SUSPENDED',
  'EXPIRED',
  'ENV_MISMATCH',
  'IP_NOT_ALLOWED',
  'INSUFFICIENT_SCOPE',
  'SIGNATURE_REQUIRED',
  'SIGNATURE_INVALID',
  'REPLAYED',
  'RATE_LIMITED',
  'QUOTA_EXCEEDED',
] as const;
export type VerifyCode = (typeof VERIFY_CODES)[number];

export interface VerifyRequest {
  key: string;
  /** The workspace the key must belong to (a key of another one is NOT_FOUND); undefined: any. */
  workspaceId: string | undefined;
  environment?: Environment;
  scope?: string;
  ip?: string;
  /** The request as signed, when the caller sent signature headers. */
  signed?: SignedRequest;
  /** Units this request costs against the key's rate limits and credits (default 1). */
  cost?: number;
}

export interface VerifyResult {
  valid: boolean;
  code: VerifyCode;
  /** The key's rate-limit decision, once the pipeline reached that stage. */
  rateLimit?: LimitDecision;
  /** The key's credit decision, once the pipeline reached that stage. */
  credits?: CreditDecision;
  /** Present once the key is known (from NOT_FOUND on it is absent). */
  key?: ApiKeyRecord;
}

/** What the cache holds per hash: the record with its allowlist and public key parsed once. */
interface CachedKey {
  readonly record: ApiKeyRecord;
  readonly ip: IpMatcher;
  readonly scopes: ReadonlySet<string>;
  readonly publicKey: KeyObject | null;
  /**
   * The HMAC key of an `hmac-sha256` key: unsealed at its first signed request and then kept as
   * long as this entry (at most the cache TTL, dropped at once when the key changes), so the
   * key provider is called once per entry, not per request.
   */
  hmac: Promise<KeyObject | null> | undefined;
}

const UNKNOWN = Symbol('unknown');

// Module-level rather than a closure per call: on the hot path even creating a small closure
// shows up in profiles (the TypeScript loader names every function it creates).
function refuse(code: VerifyCode, key: ApiKeyRecord): VerifyResult {
  return { valid: false, code, key };
}
const MALFORMED: VerifyResult = Object.freeze({ valid: false, code: 'MALFORMED' });
const NOT_FOUND: VerifyResult = Object.freeze({ valid: false, code: 'NOT_FOUND' });

export interface KeyVerifierDeps {
  keys: Pick<KeyRepo, 'findByHash'>;
  clock: Clock;
  cache: { maxEntries: number; ttlMs: number; negativeTtlMs: number };
  nonces: NonceStore;
  limiter: LimiterStore;
  /** Accepted distance between a signed request's timestamp and now, either way. */
  signatureWindowMs: number;
  /**
   * The unsealed HMAC key of a key that requires `hmac-sha256` signatures (null: it has none
   * stored). Rejects with SEALED while the keyring is sealed: such keys then fail closed.
   */
  hmacKeys: (key: ApiKeyRecord) => Promise<KeyObject | null>;
}

/**
 * The verify pipeline: format/checksum → lookup by hash (cached, negatively too) → status →
 * expiry → environment → IP allowlist → scope → signature and replay window. A malformed key
 * costs no lookup.
 *
 * @example await verifier.verify({ key, workspaceId, scope: 'prices:read', ip: '203.0.113.7' })
 */
export class KeyVerifier {
  readonly #keys: Pick<KeyRepo, 'findByHash'>;
  readonly #clock: Clock;
  readonly #nonces: NonceStore;
  readonly #limiter: LimiterStore;
  readonly #windowMs: number;
  readonly #hmacKeys: (key: ApiKeyRecord) => Promise<KeyObject | null>;
  #caching = true;
  readonly #cache: TtlCache<string, CachedKey>;
  readonly #negative: TtlCache<string, typeof UNKNOWN>;
  /** Cache fills in flight: concurrent first requests for a key share one store read (and one unseal). */
  readonly #loading = new Map<string, Promise<CachedKey | null>>();
  /**
   * Bumped by every invalidation: a load that read the store before a change must not cache what
   * it read after the change was announced (a revocation would be served stale for a TTL).
   */
  #epoch = 0;

  constructor(deps: KeyVerifierDeps) {
    this.#keys = deps.keys;
    this.#clock = deps.clock;
    this.#nonces = deps.nonces;
    this.#limiter = deps.limiter;
    this.#windowMs = deps.signatureWindowMs;
    this.#hmacKeys = deps.hmacKeys;
    const now = () => deps.clock.now();
    this.#cache = new TtlCache({ maxEntries: deps.cache.maxEntries, ttlMs: deps.cache.ttlMs, now });
    this.#negative = new TtlCache({ maxEntries: deps.cache.maxEntries, ttlMs: deps.cache.negativeTtlMs, now });
  }

  /** Drops a key from the cache after a change; the next verify reads the store. */
  invalidate(hash: string): void {
    this.#cache.delete(hash);
    this.#negative.delete(hash);
    this.#loading.delete(hash);
    this.#epoch += 1;
  }

  /**
   * Stops (or resumes) serving from the cache. While the change feed is down a revocation could
   * be missed, so every verify reads the store — and fails closed if the store is down too.
   */
  setCaching(on: boolean): void {
    this.#cache.clear();
    this.#negative.clear();
    this.#loading.clear();
    this.#epoch += 1;
    this.#caching = on;
  }

  /** Keys held in the cache (for metrics and the memory benchmark). */
  get cachedKeys(): number {
    return this.#cache.size;
  }

  /** Store lookup on a cache miss (the hit path stays synchronous: it is the hot one). */
  async #load(hash: string): Promise<CachedKey | null> {
    const epoch = this.#epoch;
    const record = await this.#keys.findByHash(hash);
    const cacheable = this.#caching && epoch === this.#epoch;
    if (record === null) {
      if (cacheable) this.#negative.set(hash, UNKNOWN);
      return null;
    }
    const signing = record.enforcement.signing;
    const entry: CachedKey = {
      record,
      ip: compileAllowlist(record.ipAllowlist),
      scopes: new Set(record.scopes),
      publicKey: signing?.scheme === 'ed25519' ? ed25519FromBase64(signing.publicKey) : null,
      hmac: undefined,
    };
    if (cacheable) this.#cache.set(hash, entry);
    return entry;
  }

  verify(req: VerifyRequest): Promise<VerifyResult> {
    const r = this.verifyNow(req);
    return r instanceof Promise ? r : Promise.resolve(r);
  }

  /**
   * The same pipeline as {@link verify}, answering without a promise whenever no waiting is
   * needed: a malformed key, a hash cached as unknown, or a cached key whose checks end before the
   * signature, rate-limit and credit stages (none required, or refused earlier) — most verify
   * traffic. Otherwise a promise of the answer. It lets an HTTP handler answer synchronously,
   * which the verify route measurably pays for per request.
   *
   * @example const r = verifier.verifyNow(req); const answer = r instanceof Promise ? await r : r
   */
  verifyNow(req: VerifyRequest): VerifyResult | Promise<VerifyResult> {
    const shape = parseCredentialShape(req.key, false);
    if (shape === null || shape.type === 'adm') return MALFORMED;
    const hash = hashCredential(req.key);
    const hit = this.#caching ? this.#cache.get(hash) : undefined;
    if (hit !== undefined) return this.#settle(hit, req) ?? this.#finish(hit, req);
    // The miss path lives apart: a short verifyNow() stays cheap for the optimiser to inline.
    return this.#miss(req, hash);
  }

  #miss(req: VerifyRequest, hash: string): VerifyResult | Promise<VerifyResult> {
    // The checksum refuses a mistyped or forged key before any store lookup.
    if (parseCredential(req.key) === null) return MALFORMED;
    // A hash known to be unknown is answered here, without a single await (guessed keys are cheap to send).
    if (this.#caching && this.#negative.get(hash) !== undefined) return NOT_FOUND;
    return this.#fill(hash).then((entry) => (entry === null ? NOT_FOUND : (this.#settle(entry, req) ?? this.#finish(entry, req))));
  }

  /** A cache miss: one load per hash at a time while caching (without caching, every verify reads). */
  #fill(hash: string): Promise<CachedKey | null> {
    if (!this.#caching) return this.#load(hash);
    const pending = this.#loading.get(hash);
    if (pending !== undefined) return pending;
    const loading = this.#load(hash);
    this.#loading.set(hash, loading);
    const done = (): void => {
      if (this.#loading.get(hash) === loading) this.#loading.delete(hash);
    };
    loading.then(done, done);
    return loading;
  }

  /** The stages that wait, in pipeline order, after {@link #settle} let the key through. */
  #finish(entry: CachedKey, req: VerifyRequest): Promise<VerifyResult> {
    const key = entry.record;
    if (key.enforcement.signing !== null) {
      return this.#checkSignature(entry, req.signed).then((code) => (code === null ? this.#meter(key, req) : { valid: false, code, key }));
    }
    return this.#meter(key, req);
  }

  /**
   * The synchronous stages: workspace, status, expiry, environment, IP allowlist, scope. Their
   * answer, or undefined when the key goes on to the signature, rate-limit or credit stages.
   */
  #settle(entry: CachedKey, req: VerifyRequest): VerifyResult | undefined {
    const key = entry.record;
    if (req.workspaceId !== undefined && key.workspaceId !== req.workspaceId) return NOT_FOUND;
    if (key.status === 'revoked') return refuse('REVOKED', key);
    if (key.status === 'suspended') return refuse('SUSPENDED', key);
    if (key.expiresAt !== null && key.expiresAt <= this.#clock.now()) return refuse('EXPIRED', key);
    if (req.environment !== undefined && req.environment !== key.environment) return refuse('ENV_MISMATCH', key);
    if (req.ip !== undefined ? !entry.ip.allows(req.ip) : key.ipAllowlist.length > 0) return refuse('IP_NOT_ALLOWED', key);
    if (req.scope !== undefined && !entry.scopes.has(req.scope)) return refuse('INSUFFICIENT_SCOPE', key);
    const e = key.enforcement;
    if (e.signing !== null || e.rateLimits.length > 0 || e.credits !== null) return undefined;
    return { valid: true, code: 'VALID', key };
  }

  /**
   * Rate limits, then credits: the last stages, so a request refused earlier costs nothing. A
   * limiter that cannot be reached rejects, and the caller fails closed (503).
   */
  async #meter(key: ApiKeyRecord, req: VerifyRequest): Promise<VerifyResult> {
    const cost = req.cost ?? 1;
    const now = this.#clock.now();
    const { rateLimits, credits } = key.enforcement;
    let rateLimit: LimitDecision | undefined;
    if (rateLimits.length > 0) {
      rateLimit = await this.#limiter.consume(key.id, rateLimits, cost, now);
      if (!rateLimit.allowed) return { valid: false, code: 'RATE_LIMITED', key, rateLimit };
    }
    if (credits === null) return { valid: true, code: 'VALID', key, ...(rateLimit !== undefined ? { rateLimit } : {}) };
    const c = await this.#limiter.consumeCredits(key.id, credits, cost, now);
    return { valid: c.allowed, code: c.allowed ? 'VALID' : 'QUOTA_EXCEEDED', key, credits: c, ...(rateLimit !== undefined ? { rateLimit } : {}) };
  }

  /**
   * Window first (cheap, and the timestamp is signed), then the signature, and only then the
   * nonce: an unsigned request must not be able to burn a nonce.
   */
  async #checkSignature(entry: CachedKey, signed: SignedRequest | undefined): Promise<VerifyCode | null> {
    if (signed === undefined) return 'SIGNATURE_REQUIRED';
    const now = this.#clock.now();
    if (!Number.isSafeInteger(signed.timestamp) || Math.abs(now - signed.timestamp) > this.#windowMs) return 'REPLAYED';
    if (!isWellFormedNonce(signed.nonce)) return 'SIGNATURE_INVALID';
    if (entry.record.enforcement.signing?.scheme === 'hmac-sha256') {
      const secret = await this.#hmacKey(entry);
      if (secret === null || !verifyHmacRequest(secret, signed)) return 'SIGNATURE_INVALID';
    } else if (entry.publicKey === null || !verifyEd25519Request(entry.publicKey, signed)) return 'SIGNATURE_INVALID';
    // A nonce must stay remembered for as long as its timestamp can still be accepted.
    const fresh = await this.#nonces.remember(entry.record.id, signed.nonce, 2 * this.#windowMs, now);
    return fresh ? null : 'REPLAYED';
  }

  /** The entry's HMAC key, unsealed once; concurrent first requests share the one unseal. */
  #hmacKey(entry: CachedKey): Promise<KeyObject | null> {
    const known = entry.hmac;
    if (known !== undefined) return known;
    const loading = this.#hmacKeys(entry.record);
    entry.hmac = loading;
    // A failed unseal (keyring sealed, provider down) is not remembered: the next request retries.
    loading.catch(() => {
      if (entry.hmac === loading) entry.hmac = undefined;
    });
    return loading;
  }
}
