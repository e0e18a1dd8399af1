import type { CreditPolicy, LimitAlgorithm, RateLimit } from '../limits/limit-policy.ts';

/**
 * One rate limit's state after a consume call. Times are whole seconds, rounded up.
 */
export interface LimitState {
  name: string;
  algorithm: LimitAlgorithm;
  limit: number;
  windowSeconds: number;
  /**
   * Units that can be consumed right now (after this request, when it was allowed), rounded
   * down: a request of cost `remaining` would pass this limit now, one of `remaining + 1` not.
   */
  remaining: number;
  /**
   * Seconds until this limit is back to `limit` remaining if nothing more is consumed (0 when it
   * is full). Within that time the client cannot use more than `remaining` plus what refills.
   */
  reset: number;
  /**
   * Seconds until this limit alone would admit a request of the same cost: 0 when it admits it
   * now (so 0 for every limit of an allowed decision); null when the cost exceeds `limit`, so
   * waiting never helps.
   */
  retryAfter: number | null;
}

/**
 * The answer of {@link LimiterStore.consume}: all of a key's limits were checked and, only when
 * every one admitted the request, charged together.
 */
export interface LimitDecision {
  allowed: boolean;
  /** The first limit, in the key's order, that refused the request; null when allowed. */
  refusedBy: string | null;
  /**
   * Seconds until every limit would admit a request of the same cost (the largest per-limit
   * retryAfter): 0 when allowed; null when some limit can never admit that cost.
   */
  retryAfter: number | null;
  /** One entry per limit, in the order given. */
  limits: LimitState[];
}

/** The answer of {@link LimiterStore.consumeCredits}. */
export interface CreditDecision {
  allowed: boolean;
  quota: number;
  /** Credits left (after this request, when it was allowed). */
  remaining: number;
  /** Seconds until the next refill; null when the policy never refills. */
  reset: number | null;
  /**
   * 0 when allowed; seconds until the refill when refused; null when refused and no refill will
   * cover the cost (refill `none`, or a cost above the quota).
   */
  retryAfter: number | null;
}

/**
 * Rate-limit and credit counters of API keys (DESIGN.md sections 3 and 9). In-process for one
 * node, Redis for several; both pass test/limits/limiter-contract.ts.
 *
 * Time comes from the caller (`now`, epoch milliseconds) so tests control it. Per key, time never
 * runs backwards: a `now` older than one already seen (another node's clock lagging) is treated as
 * that later time.
 *
 * Every method rejects after `close()`. A backend that cannot be reached rejects too; the caller
 * decides to fail closed.
 */
export interface LimiterStore {
  /**
   * Checks every limit for `cost` units and, only when all admit it, consumes `cost` from each —
   * atomically, also against other nodes. A refused request consumes nothing from any limit.
   * `limits` may be empty (allowed, nothing counted). Cost 0 reports without consuming.
   *
   * Changing a limit's algorithm, size or window starts that limit afresh.
   *
   * @example const d = await limiter.consume(key.id, key.rateLimits, 1, clock.now()); if (!d.allowed) reply 429 RATE_LIMITED
   */
  consume(keyId: string, limits: readonly RateLimit[], cost: number, now: number): Promise<LimitDecision>;
  /**
   * Takes `cost` credits when that many are left in the current period (a refill sets the balance
   * back to `quota`, it does not accumulate), atomically; otherwise takes nothing. Changing the
   * policy's refill starts the balance afresh; changing its quota keeps what was used.
   *
   * @example const c = await limiter.consumeCredits(key.id, key.credits, 1, clock.now()); if (!c.allowed) reply 429 QUOTA_EXCEEDED
   */
  consumeCredits(keyId: string, policy: CreditPolicy, cost: number, now: number): Promise<CreditDecision>;
  /**
   * The credit balance of a key, read only: what a request of cost 1 would meet now (`allowed`,
   * `remaining`, `reset`, `retryAfter`), without taking anything or writing anything — not even
   * the start of a new period. The scheduler reads it for `key.quota_low`.
   *
   * @example const c = await limiter.peekCredits(key.id, key.credits, clock.now()); if (c.remaining < c.quota / 10) notify()
   */
  peekCredits(keyId: string, policy: CreditPolicy, now: number): Promise<CreditDecision>;
  /** Forgets every counter and the credit balance of a key (it starts full again). */
  reset(keyId: string): Promise<void>;
  /** Releases what the limiter holds (its state, or the Redis connection it opened). */
  close(): Promise<void>;
}

/**
 * Remembers the nonces of signed requests for replay protection. Shared by every node through
 * Redis when several nodes verify the same keys.
 */
export interface NonceStore {
  /**
   * Records `nonce` for `keyId` for `ttlMs`. True when it is new; false when it was already seen
   * within its TTL, or when it cannot be remembered (a bounded in-process store that is full of
   * live nonces): either way the request cannot be shown to be fresh and is refused (REPLAYED).
   *
   * @example if (!(await nonces.remember(key.id, nonce, 2 * windowMs, now))) return 'REPLAYED'
   */
  remember(keyId: string, nonce: string, ttlMs: number, now: number): Promise<boolean>;
}
