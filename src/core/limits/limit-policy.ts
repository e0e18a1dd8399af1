import type { FieldError } from '../errors/registry.ts';
import type { CreditDecision, LimitDecision, LimitState } from '../ports/limiter.ts';

/** How a rate limit counts: see {@link RateLimit}. */
export const LIMIT_ALGORITHMS = ['sliding-window', 'token-bucket'] as const;
export type LimitAlgorithm = (typeof LIMIT_ALGORITHMS)[number];

/**
 * One named rate limit of a key. Every limit of a key must admit a request for it to pass, and a
 * refused request consumes from none of them.
 *
 * - `sliding-window`: at most `limit` units in any `windowSeconds`, estimated with two
 *   epoch-aligned fixed windows (the count of the previous window weighted by how much of it
 *   still overlaps the sliding window, plus the count of the current one).
 * - `token-bucket`: a bucket of capacity `limit`, refilled continuously at `limit` per
 *   `windowSeconds`; it starts full, so a burst of `limit` is allowed at once.
 *
 * @example { name: 'burst', algorithm: 'token-bucket', limit: 20, windowSeconds: 1 }
 */
export interface RateLimit {
  /** `[a-z0-9-]{1,32}`, unique among the key's limits; shown to clients in the RateLimit headers. */
  name: string;
  algorithm: LimitAlgorithm;
  /** Units per window (sliding window) or bucket capacity (token bucket). */
  limit: number;
  windowSeconds: number;
}

export const CREDIT_REFILLS = ['daily', 'monthly', 'none'] as const;
export type CreditRefill = (typeof CREDIT_REFILLS)[number];

/**
 * A key's credits: `quota` units per period. `daily` refills back to `quota` (it does not
 * accumulate) at 00:00 UTC, `monthly` at 00:00 UTC on the 1st; `none` never refills.
 *
 * @example { quota: 10_000, refill: 'monthly' }
 */
export interface CreditPolicy {
  quota: number;
  refill: CreditRefill;
}

/**
 * Bounds of a policy. They keep every intermediate value of the limiter arithmetic (done in
 * integers scaled by the window in milliseconds, in JavaScript and in Redis Lua, both IEEE
 * doubles) below 2^53: 3 × MAX_LIMIT × MAX_WINDOW_SECONDS × 1000 < Number.MAX_SAFE_INTEGER.
 */
export const LIMIT_BOUNDS = {
  maxLimitsPerKey: 5,
  maxLimit: 1_000_000,
  /** 30 days; anything longer is a credit quota, not a rate. */
  maxWindowSeconds: 2_592_000,
  maxQuota: 1_000_000_000_000,
  /** Longest nonce a nonce store accepts (the signing scheme uses 16–64 characters). */
  maxNonceLength: 256,
} as const;

const NAME = /^[a-z0-9-]{1,32}$/;

function isIntIn(v: unknown, min: number, max: number): boolean {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= min && v <= max;
}

/**
 * Field errors of a key's rate limits (empty when valid): names `[a-z0-9-]{1,32}` and unique, at
 * most {@link LIMIT_BOUNDS}.maxLimitsPerKey limits, a known algorithm, integer `limit` and
 * `windowSeconds` within bounds.
 *
 * @example validateRateLimits([{ name: 'per-minute', algorithm: 'sliding-window', limit: 600, windowSeconds: 60 }], '/body/rateLimits') // []
 */
export function validateRateLimits(limits: readonly RateLimit[], path = '/rateLimits'): FieldError[] {
  const errors: FieldError[] = [];
  if (limits.length > LIMIT_BOUNDS.maxLimitsPerKey) {
    errors.push({ field: path, message: `at most ${LIMIT_BOUNDS.maxLimitsPerKey} rate limits per key, got ${limits.length}` });
  }
  const seen = new Set<string>();
  limits.forEach((l, i) => {
    const at = `${path}/${i}`;
    if (typeof l.name !== 'string' || !NAME.test(l.name)) {
      errors.push({ field: `${at}/name`, message: 'must be 1 to 32 characters of a-z, 0-9 and -' });
    } else if (seen.has(l.name)) {
      errors.push({ field: `${at}/name`, message: `duplicate limit name '${l.name}'` });
    } else {
      seen.add(l.name);
    }
    if (!(LIMIT_ALGORITHMS as readonly string[]).includes(l.algorithm)) {
      errors.push({ field: `${at}/algorithm`, message: `must be one of ${LIMIT_ALGORITHMS.join(', ')}` });
    }
    if (!isIntIn(l.limit, 1, LIMIT_BOUNDS.maxLimit)) {
      errors.push({ field: `${at}/limit`, message: `must be an integer from 1 to ${LIMIT_BOUNDS.maxLimit}` });
    }
    if (!isIntIn(l.windowSeconds, 1, LIMIT_BOUNDS.maxWindowSeconds)) {
      errors.push({ field: `${at}/windowSeconds`, message: `must be an integer from 1 to ${LIMIT_BOUNDS.maxWindowSeconds}` });
    }
  });
  return errors;
}

/**
 * Field errors of a credit policy (empty when valid): integer `quota` from 0 (every request
 * refused) to {@link LIMIT_BOUNDS}.maxQuota, and a known refill.
 *
 * @example validateCreditPolicy({ quota: 1000, refill: 'daily' }, '/body/credits') // []
 */
export function validateCreditPolicy(policy: CreditPolicy, path = '/credits'): FieldError[] {
  const errors: FieldError[] = [];
  if (!isIntIn(policy.quota, 0, LIMIT_BOUNDS.maxQuota)) {
    errors.push({ field: `${path}/quota`, message: `must be an integer from 0 to ${LIMIT_BOUNDS.maxQuota}` });
  }
  if (!(CREDIT_REFILLS as readonly string[]).includes(policy.refill)) {
    errors.push({ field: `${path}/refill`, message: `must be one of ${CREDIT_REFILLS.join(', ')}` });
  }
  return errors;
}

/**
 * Throws a RangeError unless the limits are valid. Limiter adapters call it on every consume:
 * policies are validated when a key is written, so a failure here is a programming error.
 *
 * @example assertValidRateLimits(key.rateLimits)
 */
export function assertValidRateLimits(limits: readonly RateLimit[]): void {
  const errors = validateRateLimits(limits);
  if (errors.length > 0) throw new RangeError(`invalid rate limits: ${errors.map((e) => `${e.field} ${e.message}`).join('; ')}`);
}

/**
 * Throws a RangeError unless the credit policy is valid (see {@link assertValidRateLimits}).
 *
 * @example assertValidCreditPolicy({ quota: 100, refill: 'daily' })
 */
export function assertValidCreditPolicy(policy: CreditPolicy): void {
  const errors = validateCreditPolicy(policy);
  if (errors.length > 0) throw new RangeError(`invalid credit policy: ${errors.map((e) => `${e.field} ${e.message}`).join('; ')}`);
}

/**
 * Throws a RangeError unless `cost` is a whole number of units from 0 to maxQuota. Cost 0 reports
 * the state without consuming anything.
 *
 * @example assertCost(1)
 */
export function assertCost(cost: number): void {
  if (!isIntIn(cost, 0, LIMIT_BOUNDS.maxQuota)) throw new RangeError(`cost must be an integer from 0 to ${LIMIT_BOUNDS.maxQuota}, got ${cost}`);
}

/**
 * Throws a RangeError unless `now` is a non-negative epoch time in milliseconds.
 *
 * @example assertNow(clock.now())
 */
export function assertNow(now: number): void {
  if (!Number.isFinite(now) || now < 0) throw new RangeError(`now must be an epoch time in milliseconds, got ${now}`);
}

/**
 * Throws a RangeError for an empty nonce, one longer than maxNonceLength, or a TTL that is not a
 * positive integer.
 *
 * @example assertNonce(nonce, 10_000)
 */
export function assertNonce(nonce: string, ttlMs: number): void {
  if (nonce.length === 0 || nonce.length > LIMIT_BOUNDS.maxNonceLength) {
    throw new RangeError(`a nonce has 1 to ${LIMIT_BOUNDS.maxNonceLength} characters, got ${nonce.length}`);
  }
  if (!Number.isSafeInteger(ttlMs) || ttlMs < 1) throw new RangeError(`ttlMs must be a positive integer, got ${ttlMs}`);
}

const DAY_MS = 86_400_000;

/**
 * The credit period that contains `now` (epoch ms): its start and the next refill, both epoch ms.
 * `none` has one period for ever: start 0, no refill.
 *
 * @example creditPeriod('monthly', Date.UTC(2025, 0, 31, 23)) // { start: Date.UTC(2025, 0, 1), nextRefill: Date.UTC(2025, 1, 1) }
 */
export function creditPeriod(refill: CreditRefill, now: number): { start: number; nextRefill: number | null } {
  switch (refill) {
    case 'daily': {
      const start = Math.floor(now / DAY_MS) * DAY_MS;
      return { start, nextRefill: start + DAY_MS };
    }
    case 'monthly': {
      const d = new Date(now);
      const y = d.getUTCFullYear();
      const m = d.getUTCMonth();
      return { start: Date.UTC(y, m, 1), nextRefill: Date.UTC(y, m + 1, 1) };
    }
    case 'none':
      return { start: 0, nextRefill: null };
  }
}

/**
 * Milliseconds to whole seconds, rounded up: a client that waits this long is never early.
 *
 * @example ceilSeconds(1001) // 2
 */
export function ceilSeconds(ms: number): number {
  return ms <= 0 ? 0 : Math.ceil(ms / 1000);
}

/**
 * The decision over all of a key's limits from each limit's state, in the key's order: refused by
 * the first limit that does not admit the request, retryAfter the longest wait (null if any limit
 * can never admit it). Every limiter adapter reports through it.
 *
 * @example limitDecision(states) // { allowed: false, refusedBy: 'burst', retryAfter: 2, limits: states }
 */
export function limitDecision(states: LimitState[]): LimitDecision {
  let retryAfter: number | null = 0;
  let refusedBy: string | null = null;
  for (const s of states) {
    if (s.retryAfter === 0) continue;
    refusedBy ??= s.name;
    retryAfter = s.retryAfter === null || retryAfter === null ? null : Math.max(retryAfter, s.retryAfter);
  }
  return { allowed: refusedBy === null, refusedBy, retryAfter, limits: states };
}

/**
 * The credit decision from the balance `used` in the current period (after this request when
 * `allowed`). Every limiter adapter reports through it.
 *
 * @example creditDecision({ quota: 100, refill: 'daily' }, false, 100, 1, nextMidnight, now) // { allowed: false, remaining: 0, retryAfter: <seconds to midnight>, … }
 */
export function creditDecision(policy: CreditPolicy, allowed: boolean, used: number, cost: number, nextRefill: number | null, now: number): CreditDecision {
  const reset = nextRefill === null ? null : ceilSeconds(nextRefill - now);
  return {
    allowed,
    quota: policy.quota,
    remaining: Math.max(0, policy.quota - used),
    reset,
    retryAfter: allowed ? 0 : cost > policy.quota ? null : reset,
  };
}
