import {
  assertCost,
  assertNonce,
  assertNow,
  assertValidCreditPolicy,
  assertValidRateLimits,
  ceilSeconds,
  creditDecision,
  creditPeriod,
  limitDecision,
  type CreditPolicy,
  type RateLimit,
} from '../../core/limits/limit-policy.ts';
import type { LimitState, LimiterStore, NonceStore } from '../../core/ports/limiter.ts';

/*
 * Arithmetic (the same as the Lua scripts of redis-limiter.ts, so both pass one contract suite).
 * Everything is an integer: times in ms, and amounts scaled by the window length W in ms, so no
 * rounding ever decides whether a request passes. LIMIT_BOUNDS keeps every value below 2^53.
 *
 * Token bucket: `level` = tokens × W, at most L × W; it refills by L per ms (L tokens per W ms),
 * lazily, when the key is next seen. A request of cost c needs level ≥ c × W.
 *
 * Sliding window: the two-bucket approximation (exact log would cost memory per request):
 * fixed windows aligned to multiples of W since the epoch, with counts `prev` and `curr`; at
 * elapsed time e into the current window the usage is prev × (W − e) / W + curr, i.e. the previous
 * window counts for the part of it that the sliding window still covers. Scaled by W:
 * used = prev × (W − e) + curr × W, and a request of cost c needs used + c × W ≤ L × W. It assumes
 * the previous window's requests were spread evenly; it never admits more than L in a fixed
 * window, and at most 2L in any W-long span (a burst at the end of one window and, as the estimate
 * decays, the start of the next).
 */

interface TokenState {
  spec: string;
  level: number;
  last: number;
}

interface WindowState {
  spec: string;
  k: number;
  prev: number;
  curr: number;
}

type State = TokenState | WindowState;

interface KeyState {
  /** Latest `now` that wrote this key: time never runs backwards per key. */
  now: number;
  limits: Map<string, State>;
  /** When every limit is full again: from then on the entry equals a fresh one and can go. */
  idleAt: number;
}

interface Evaluated {
  /** The state at `now`, before this request. */
  state: State;
  ok: boolean;
  remaining: number;
  resetMs: number;
  retryMs: number | null;
}

function specOf(l: RateLimit): string {
  return `${l.algorithm === 'token-bucket' ? 't' : 's'}/${l.limit}/${l.windowSeconds}`;
}

function tokenAt(prior: State | undefined, spec: string, L: number, W: number, now: number): TokenState {
  if (prior === undefined || prior.spec !== spec || !('level' in prior)) return { spec, level: L * W, last: now };
  const refilled = Math.min(L * W, prior.level + (now - prior.last) * L);
  return { spec, level: refilled, last: now };
}

function windowAt(prior: State | undefined, spec: string, W: number, now: number): WindowState {
  const k = Math.floor(now / W);
  if (prior === undefined || prior.spec !== spec || !('k' in prior)) return { spec, k, prev: 0, curr: 0 };
  if (k === prior.k) return prior;
  if (k === prior.k + 1) return { spec, k, prev: prior.curr, curr: 0 };
  return { spec, k, prev: 0, curr: 0 };
}

function evaluateToken(s: TokenState, L: number, W: number, cost: number): Omit<Evaluated, 'state'> {
  const need = cost * W;
  return {
    ok: cost <= L && s.level >= need,
    remaining: Math.floor(s.level / W),
    resetMs: Math.ceil((L * W - s.level) / L),
    retryMs: cost > L ? null : s.level >= need ? 0 : Math.ceil((need - s.level) / L),
  };
}

function evaluateWindow(s: WindowState, L: number, W: number, cost: number, now: number): Omit<Evaluated, 'state'> {
  const e = now - s.k * W;
  const used = s.prev * (W - e) + s.curr * W;
  const ok = cost <= L && used + cost * W <= L * W;
  let retryMs: number | null;
  if (cost > L) retryMs = null;
  else if (ok) retryMs = 0;
  else if (s.curr + cost <= L) {
    // Within this window, once the previous window's share has decayed enough (prev > 0 here).
    retryMs = Math.max(0, W - Math.floor(((L - cost - s.curr) * W) / s.prev) - e);
  } else {
    // Only in the next window, where this window's count becomes the decaying share.
    retryMs = (s.k + 1) * W - now + Math.max(0, W - Math.floor(((L - cost) * W) / s.curr));
  }
  return {
    ok,
    remaining: Math.max(0, Math.floor((L * W - used) / W)),
    resetMs: s.curr > 0 ? (s.k + 2) * W - now : s.prev > 0 ? (s.k + 1) * W - now : 0,
    retryMs,
  };
}

function evaluate(prior: State | undefined, l: RateLimit, cost: number, now: number): Evaluated {
  const spec = specOf(l);
  const W = l.windowSeconds * 1000;
  if (l.algorithm === 'token-bucket') {
    const state = tokenAt(prior, spec, l.limit, W, now);
    return { state, ...evaluateToken(state, l.limit, W, cost) };
  }
  const state = windowAt(prior, spec, W, now);
  return { state, ...evaluateWindow(state, l.limit, W, cost, now) };
}

function charge(state: State, cost: number, W: number): State {
  return 'level' in state ? { ...state, level: state.level - cost * W } : { ...state, curr: state.curr + cost };
}

function toLimitState(l: RateLimit, e: Pick<Evaluated, 'remaining' | 'resetMs' | 'retryMs'>): LimitState {
  return {
    name: l.name,
    algorithm: l.algorithm,
    limit: l.limit,
    windowSeconds: l.windowSeconds,
    remaining: e.remaining,
    reset: ceilSeconds(e.resetMs),
    retryAfter: e.retryMs === null ? null : ceilSeconds(e.retryMs),
  };
}

interface CreditState {
  refill: CreditPolicy['refill'];
  period: number;
  used: number;
  nextRefill: number | null;
}

/** How many writes between sweeps of state that has gone back to full (and so carries nothing). */
const SWEEP_EVERY = 4096;

/** The in-process limiter; `size()` counts the keys that hold state (for tests and metrics). */
export interface MemoryLimiter extends LimiterStore {
  size(): { keys: number; credits: number };
}

/**
 * The in-process {@link LimiterStore} for a single node. Atomic because each call runs to
 * completion on the one JavaScript thread. Rate-limit state that has refilled completely is swept
 * (it equals no state); credit balances are kept until their period ends, and are lost when the
 * process stops (use Redis where that matters).
 *
 * @example const limiter = createMemoryLimiter(); await limiter.consume('key_1', limits, 1, Date.now())
 */
export function createMemoryLimiter(): MemoryLimiter {
  const keys = new Map<string, KeyState>();
  const credits = new Map<string, CreditState>();
  let closed = false;
  let writes = 0;

  const open = (): void => {
    if (closed) throw new Error('the limiter is closed');
  };

  const sweep = (now: number): void => {
    for (const [id, k] of keys) if (k.idleAt <= now) keys.delete(id);
    for (const [id, c] of credits) if (c.nextRefill !== null && c.nextRefill <= now) credits.delete(id);
  };

  return {
    async consume(keyId, limits, cost, now) {
      open();
      assertValidRateLimits(limits);
      assertCost(cost);
      assertNow(now);
      const key = keys.get(keyId);
      const t = Math.max(Math.floor(now), key?.now ?? 0);
      const evaluated = limits.map((l) => ({ l, ...evaluate(key?.limits.get(l.name), l, cost, t) }));
      const allowed = evaluated.every((e) => e.ok);
      if (!allowed || cost === 0 || limits.length === 0) return limitDecision(evaluated.map((e) => toLimitState(e.l, e)));

      const next: KeyState = { now: t, limits: key?.limits ?? new Map<string, State>(), idleAt: t };
      const states = evaluated.map(({ l, state }) => {
        const charged = charge(state, cost, l.windowSeconds * 1000);
        next.limits.set(l.name, charged);
        const after = evaluate(charged, l, cost, t);
        next.idleAt = Math.max(next.idleAt, t + after.resetMs);
        // Report what is left after this request; the request itself was admitted.
        return toLimitState(l, { ...after, retryMs: 0 });
      });
      keys.set(keyId, next);
      if (++writes % SWEEP_EVERY === 0) sweep(t);
      return limitDecision(states);
    },

    async consumeCredits(keyId, policy, cost, now) {
      open();
      assertValidCreditPolicy(policy);
      assertCost(cost);
      assertNow(now);
      const t = Math.floor(now);
      const { start, nextRefill } = creditPeriod(policy.refill, t);
      const prior = credits.get(keyId);
      // A period older than the stored one (a lagging clock) keeps the stored balance; a change
      // of refill starts afresh.
      const current: CreditState =
        prior !== undefined && prior.refill === policy.refill && prior.period >= start ? prior : { refill: policy.refill, period: start, used: 0, nextRefill };
      const allowed = cost <= policy.quota && current.used + cost <= policy.quota;
      if (allowed && cost > 0) {
        credits.set(keyId, { ...current, used: current.used + cost });
        if (++writes % SWEEP_EVERY === 0) sweep(t);
        return creditDecision(policy, true, current.used + cost, cost, current.nextRefill, t);
      }
      return creditDecision(policy, allowed, current.used, cost, current.nextRefill, t);
    },

    async peekCredits(keyId, policy, now) {
      open();
      assertValidCreditPolicy(policy);
      assertNow(now);
      const t = Math.floor(now);
      const { start, nextRefill } = creditPeriod(policy.refill, t);
      const prior = credits.get(keyId);
      // The same reading of the stored balance as consumeCredits, but nothing is stored.
      const current = prior !== undefined && prior.refill === policy.refill && prior.period >= start ? prior : { used: 0, nextRefill };
      const allowed = current.used + 1 <= policy.quota;
      return creditDecision(policy, allowed, current.used, 1, current.nextRefill, t);
    },

    async reset(keyId) {
      open();
      keys.delete(keyId);
      credits.delete(keyId);
    },

    async close() {
      closed = true;
      keys.clear();
      credits.clear();
    },

    size: () => ({ keys: keys.size, credits: credits.size }),
  };
}

/** The in-process nonce store; `size()` counts the nonces held. */
export interface MemoryNonceStore extends NonceStore {
  size(): number;
}

/**
 * The in-process {@link NonceStore}: (key, nonce) pairs until they expire by the caller's clock.
 * Bounded by `maxEntries` (default 250 000, some 40 MB): when full, expired entries are swept, and
 * if every entry is still live it answers false — the request is refused rather than a live nonce
 * forgotten, since forgetting one would let its request be replayed.
 *
 * @example const nonces = createMemoryNonceStore({ maxEntries: 100_000 }); await nonces.remember('key_1', nonce, 10_000, Date.now())
 */
export function createMemoryNonceStore(opts: { maxEntries?: number } = {}): MemoryNonceStore {
  const maxEntries = opts.maxEntries ?? 250_000;
  if (!Number.isSafeInteger(maxEntries) || maxEntries < 1) throw new RangeError(`maxEntries must be a positive integer, got ${maxEntries}`);
  // Insertion order is close to expiry order (one TTL per deployment), so expired entries are
  // mostly at the front and trimmed there; a full sweep handles the rest when the map is full.
  const seen = new Map<string, number>();

  const trimFront = (now: number): void => {
    for (const [k, expiresAt] of seen) {
      if (expiresAt > now) return;
      seen.delete(k);
    }
  };

  return {
    async remember(keyId, nonce, ttlMs, now) {
      assertNonce(nonce, ttlMs);
      assertNow(now);
      const k = `${keyId}\u0000${nonce}`;
      const expiresAt = seen.get(k);
      if (expiresAt !== undefined && expiresAt > now) return false;
      trimFront(now);
      seen.delete(k);
      if (seen.size >= maxEntries) {
        for (const [key, exp] of seen) if (exp <= now) seen.delete(key);
        if (seen.size >= maxEntries) return false;
      }
      seen.set(k, now + ttlMs);
      return true;
    },
    size: () => seen.size,
  };
}
