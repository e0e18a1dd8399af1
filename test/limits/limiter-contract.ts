import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CreditPolicy, RateLimit } from '../../src/core/limits/limit-policy.ts';
import type { LimitDecision, LimiterStore, NonceStore } from '../../src/core/ports/limiter.ts';

export interface OpenedLimiter {
  limiter: LimiterStore;
  nonces: NonceStore;
  cleanup: () => Promise<void>;
}

export interface LimiterContractOptions {
  /** fast-check runs of the model property (fewer for a networked backend). */
  propertyRuns?: number;
}

/** 2025-01-01T00:00:00Z: a multiple of every window used below, so window edges are easy to name. */
const T0 = Date.UTC(2025, 0, 1);
const S = 1000;

const sliding = (name: string, limit: number, windowSeconds: number): RateLimit => ({ name, algorithm: 'sliding-window', limit, windowSeconds });
const bucket = (name: string, limit: number, windowSeconds: number): RateLimit => ({ name, algorithm: 'token-bucket', limit, windowSeconds });

function freshKey(): string {
  return `key_${randomBytes(8).toString('hex')}`;
}

function remainingOf(d: LimitDecision, name: string): number | undefined {
  return d.limits.find((l) => l.name === name)?.remaining;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * The behaviour every LimiterStore and NonceStore adapter must share. `open` gives a limiter and
 * a nonce store; each test uses keys of its own, so adapters may share a backend between tests.
 *
 * @example runLimiterContract('memory', async () => ({ limiter: createMemoryLimiter(), nonces: createMemoryNonceStore(), cleanup: async () => {} }))
 */
export function runLimiterContract(name: string, open: () => Promise<OpenedLimiter>, options: LimiterContractOptions = {}): void {
  describe(`${name} limiter contract`, () => {
    let limiter: LimiterStore;
    let nonces: NonceStore;
    let cleanup: () => Promise<void>;

    beforeEach(async () => {
      ({ limiter, nonces, cleanup } = await open());
    });

    afterEach(async () => {
      await cleanup();
    });

    const consumeN = async (key: string, limits: RateLimit[], n: number, now: number): Promise<LimitDecision[]> => {
      const out: LimitDecision[] = [];
      for (let i = 0; i < n; i++) out.push(await limiter.consume(key, limits, 1, now));
      return out;
    };

    describe('sliding window', () => {
      const limits = [sliding('per-minute', 5, 60)];

      it('admits exactly `limit` in a window, counting remaining down, then refuses', async () => {
        const key = freshKey();
        const ds = await consumeN(key, limits, 5, T0);
        expect(ds.map((d) => d.allowed)).toEqual([true, true, true, true, true]);
        expect(ds.map((d) => remainingOf(d, 'per-minute'))).toEqual([4, 3, 2, 1, 0]);
        expect(ds.every((d) => d.refusedBy === null && d.retryAfter === 0)).toBe(true);

        const refused = await limiter.consume(key, limits, 1, T0 + 10 * S);
        expect(refused).toMatchObject({ allowed: false, refusedBy: 'per-minute' });
        expect(refused.limits).toEqual([
          // reset: the current window's 5 count until the end of the next window (T0+120s).
          // retryAfter: next window (50s away), then until 5 × (60−e)/60 + 1 ≤ 5, i.e. e ≥ 12s.
          { name: 'per-minute', algorithm: 'sliding-window', limit: 5, windowSeconds: 60, remaining: 0, reset: 110, retryAfter: 62 },
        ]);
        expect(refused.retryAfter).toBe(62);
      });

      it('refills as the previous window decays, to the millisecond that retryAfter names', async () => {
        const key = freshKey();
        await consumeN(key, limits, 5, T0);
        expect((await limiter.consume(key, limits, 1, T0 + 72 * S - 1)).allowed).toBe(false);
        const d = await limiter.consume(key, limits, 1, T0 + 72 * S);
        expect(d.allowed).toBe(true);
        expect(remainingOf(d, 'per-minute')).toBe(0);
        // Half-way through the next window the old five weigh 2.5: 1 + 2.5 used, 1 left.
        expect(remainingOf(await limiter.consume(key, limits, 0, T0 + 90 * S), 'per-minute')).toBe(1);
        // Two windows later nothing of it is left.
        const later = await limiter.consume(key, limits, 0, T0 + 180 * S);
        expect(later.limits[0]).toMatchObject({ remaining: 5, reset: 0, retryAfter: 0 });
      });

      it('never admits more than `limit` within one fixed window, however the requests are spread', async () => {
        const key = freshKey();
        let admitted = 0;
        for (let t = 0; t < 60; t += 3) if ((await limiter.consume(key, limits, 1, T0 + t * S)).allowed) admitted++;
        expect(admitted).toBe(5);
      });
    });

    describe('token bucket', () => {
      const limits = [bucket('burst', 10, 10)];

      it('starts full, admits a burst of `limit`, then one token per window/limit', async () => {
        const key = freshKey();
        const ds = await consumeN(key, limits, 10, T0);
        expect(ds.every((d) => d.allowed)).toBe(true);
        expect(ds.at(-1)?.limits[0]?.remaining).toBe(0);

        const refused = await limiter.consume(key, limits, 1, T0);
        expect(refused).toMatchObject({ allowed: false, refusedBy: 'burst', retryAfter: 1 });
        expect(refused.limits[0]).toMatchObject({ remaining: 0, reset: 10, retryAfter: 1 });

        expect((await limiter.consume(key, limits, 1, T0 + 999)).allowed).toBe(false);
        const one = await limiter.consume(key, limits, 1, T0 + 1000);
        expect(one.allowed).toBe(true);
        expect(one.limits[0]).toMatchObject({ remaining: 0, reset: 10 });
        // 4.5 s later 4.5 tokens are back: 4 usable.
        expect(remainingOf(await limiter.consume(key, limits, 0, T0 + 5500), 'burst')).toBe(4);
        // Full again after the whole window, and no fuller.
        expect((await limiter.consume(key, limits, 0, T0 + 3_600 * S)).limits[0]).toMatchObject({ remaining: 10, reset: 0 });
      });

      it('charges a cost of several tokens and names the wait for that cost', async () => {
        const key = freshKey();
        const limits3 = [bucket('bulk', 6, 60)];
        expect((await limiter.consume(key, limits3, 4, T0)).limits[0]?.remaining).toBe(2);
        const refused = await limiter.consume(key, limits3, 5, T0);
        // 3 more tokens needed at one per 10 s.
        expect(refused).toMatchObject({ allowed: false, retryAfter: 30 });
        expect((await limiter.consume(key, limits3, 5, T0 + 29_999)).allowed).toBe(false);
        expect((await limiter.consume(key, limits3, 5, T0 + 30 * S)).allowed).toBe(true);
      });
    });

    describe('rounding', () => {
      it('rounds every wait up to whole seconds, so a client that waits retryAfter is never early', async () => {
        // Token bucket, 3 per 2 s: 333 ms after emptying it holds 0.999 tokens; 2 tokens need
        // 1001 ms more, which is 2 s, not 1.
        const key = freshKey();
        const odd = [bucket('odd', 3, 2)];
        await limiter.consume(key, odd, 3, T0);
        expect(await limiter.consume(key, odd, 2, T0 + 333)).toMatchObject({ allowed: false, retryAfter: 2 });
        expect((await limiter.consume(key, odd, 2, T0 + 1333)).allowed).toBe(false);
        expect((await limiter.consume(key, odd, 2, T0 + 1334)).allowed).toBe(true);

        // Sliding window, 3 per second: 333 ms into the next window the old 3 weigh 2.001, so one
        // more waits 1 ms (the previous window's share falls to 1.998), rounded to 1 s.
        const key2 = freshKey();
        const win = [sliding('win', 3, 1)];
        await limiter.consume(key2, win, 3, T0);
        expect(await limiter.consume(key2, win, 1, T0 + 1333)).toMatchObject({ allowed: false, retryAfter: 1 });
        expect((await limiter.consume(key2, win, 1, T0 + 1334)).allowed).toBe(true);
      });
    });

    describe('several limits on one key', () => {
      it('a refused request consumes from no limit, whichever limit refused', async () => {
        const key = freshKey();
        const limits = [sliding('per-minute', 3, 60), bucket('burst', 5, 60)];
        const ok = await consumeN(key, limits, 3, T0);
        expect(ok.every((d) => d.allowed)).toBe(true);
        expect(ok[2]?.limits.map((l) => l.remaining)).toEqual([0, 2]);

        for (let i = 0; i < 10; i++) {
          const d = await limiter.consume(key, limits, 1, T0 + i);
          expect(d).toMatchObject({ allowed: false, refusedBy: 'per-minute' });
          expect(d.limits[1]).toMatchObject({ name: 'burst', remaining: 2, retryAfter: 0 });
        }
        expect((await limiter.consume(key, limits, 0, T0)).limits.map((l) => l.remaining)).toEqual([0, 2]);

        // Now the second limit refuses a cost the first would admit.
        const key2 = freshKey();
        const limits2 = [sliding('per-minute', 100, 60), bucket('burst', 2, 60)];
        await consumeN(key2, limits2, 2, T0);
        const d = await limiter.consume(key2, limits2, 1, T0);
        expect(d).toMatchObject({ allowed: false, refusedBy: 'burst' });
        expect(d.limits[0]).toMatchObject({ remaining: 98, retryAfter: 0 });
        expect((await limiter.consume(key2, limits2, 0, T0)).limits.map((l) => l.remaining)).toEqual([98, 0]);
      });

      it('names the first refusing limit and waits for the slowest', async () => {
        const key = freshKey();
        const limits = [bucket('fast', 1, 1), bucket('slow', 1, 60)];
        expect((await limiter.consume(key, limits, 1, T0)).allowed).toBe(true);
        const d = await limiter.consume(key, limits, 1, T0);
        expect(d).toMatchObject({ allowed: false, refusedBy: 'fast', retryAfter: 60 });
        expect(d.limits.map((l) => l.retryAfter)).toEqual([1, 60]);
        expect((await limiter.consume(key, limits, 1, T0 + 59_999)).allowed).toBe(false);
        expect((await limiter.consume(key, limits, 1, T0 + 60 * S)).allowed).toBe(true);
      });

      it('refuses a cost above a limit for good (retryAfter null) and consumes nothing', async () => {
        const key = freshKey();
        const limits = [sliding('per-minute', 10, 60), bucket('burst', 3, 60)];
        const d = await limiter.consume(key, limits, 4, T0);
        expect(d).toMatchObject({ allowed: false, refusedBy: 'burst', retryAfter: null });
        expect(d.limits.map((l) => l.retryAfter)).toEqual([0, null]);
        expect((await limiter.consume(key, limits, 0, T0)).limits.map((l) => l.remaining)).toEqual([10, 3]);
      });

      it('cost 0 reports without consuming, no limits means allowed, keys are independent', async () => {
        const a = freshKey();
        const b = freshKey();
        const limits = [bucket('burst', 2, 10)];
        for (let i = 0; i < 5; i++) expect((await limiter.consume(a, limits, 0, T0)).limits[0]?.remaining).toBe(2);
        expect(await limiter.consume(a, [], 1, T0)).toEqual({ allowed: true, refusedBy: null, retryAfter: 0, limits: [] });
        await consumeN(a, limits, 2, T0);
        expect((await limiter.consume(a, limits, 1, T0)).allowed).toBe(false);
        expect((await limiter.consume(b, limits, 1, T0)).allowed).toBe(true);
      });

      it('reset() forgets a key; a changed limit starts afresh', async () => {
        const key = freshKey();
        await consumeN(key, [bucket('burst', 2, 60)], 2, T0);
        expect((await limiter.consume(key, [bucket('burst', 2, 60)], 1, T0)).allowed).toBe(false);
        const bigger = await limiter.consume(key, [bucket('burst', 3, 60)], 1, T0);
        expect(bigger).toMatchObject({ allowed: true });
        expect(bigger.limits[0]?.remaining).toBe(2);
        const asWindow = await limiter.consume(key, [sliding('burst', 3, 60)], 1, T0);
        expect(asWindow.limits[0]?.remaining).toBe(2);

        await consumeN(key, [sliding('burst', 3, 60)], 2, T0);
        expect((await limiter.consume(key, [sliding('burst', 3, 60)], 1, T0)).allowed).toBe(false);
        await limiter.reset(key);
        expect((await limiter.consume(key, [sliding('burst', 3, 60)], 1, T0)).limits[0]?.remaining).toBe(2);
      });

      it('never lets a lagging clock win anything back: time does not run backwards per key', async () => {
        const key = freshKey();
        const limits = [bucket('burst', 2, 10), sliding('per-minute', 2, 60)];
        await consumeN(key, limits, 2, T0 + 120 * S);
        // A node whose clock is a minute behind: taken as T0+120s, not as a fresh earlier window.
        for (const lagging of [T0 + 115 * S, T0 + 60 * S]) {
          const d = await limiter.consume(key, limits, 1, lagging);
          expect(d).toMatchObject({ allowed: false, refusedBy: 'burst', retryAfter: 90 });
          expect(d.limits.map((l) => l.retryAfter)).toEqual([5, 90]);
        }
      });
    });

    describe('concurrency', () => {
      it('100 concurrent requests against a limit of 50 admit exactly 50, on every limit', async () => {
        const key = freshKey();
        const limits = [sliding('per-minute', 50, 60), bucket('burst', 80, 60)];
        const ds = await Promise.all(Array.from({ length: 100 }, () => limiter.consume(key, limits, 1, T0)));
        expect(ds.filter((d) => d.allowed)).toHaveLength(50);
        expect(ds.filter((d) => !d.allowed).every((d) => d.refusedBy === 'per-minute')).toBe(true);
        expect((await limiter.consume(key, limits, 0, T0)).limits.map((l) => l.remaining)).toEqual([0, 30]);
        const remaining = ds.filter((d) => d.allowed).map((d) => remainingOf(d, 'per-minute'));
        expect(new Set(remaining).size).toBe(50);
      });

      it('100 concurrent credit requests against a quota of 50 admit exactly 50', async () => {
        const key = freshKey();
        const policy: CreditPolicy = { quota: 50, refill: 'daily' };
        const ds = await Promise.all(Array.from({ length: 100 }, () => limiter.consumeCredits(key, policy, 1, T0)));
        expect(ds.filter((d) => d.allowed)).toHaveLength(50);
        expect((await limiter.consumeCredits(key, policy, 0, T0)).remaining).toBe(0);
      });
    });

    describe('credits', () => {
      it('daily: exhaust, refuse until 00:00 UTC, then start again from the quota', async () => {
        const key = freshKey();
        const policy: CreditPolicy = { quota: 3, refill: 'daily' };
        const evening = T0 + 23 * 3600 * S;
        const ds = [];
        for (let i = 0; i < 3; i++) ds.push(await limiter.consumeCredits(key, policy, 1, evening));
        expect(ds.map((d) => d.remaining)).toEqual([2, 1, 0]);
        expect(ds[0]).toEqual({ allowed: true, quota: 3, remaining: 2, reset: 3600, retryAfter: 0 });
        expect(await limiter.consumeCredits(key, policy, 1, evening)).toEqual({ allowed: false, quota: 3, remaining: 0, reset: 3600, retryAfter: 3600 });
        const lastMs = T0 + 86_400 * S - 1;
        expect(await limiter.consumeCredits(key, policy, 1, lastMs)).toMatchObject({ allowed: false, retryAfter: 1 });
        const midnight = await limiter.consumeCredits(key, policy, 1, T0 + 86_400 * S);
        expect(midnight).toEqual({ allowed: true, quota: 3, remaining: 2, reset: 86_400, retryAfter: 0 });
        // Unused credits do not carry over: two days on, the balance is the quota again.
        expect((await limiter.consumeCredits(key, policy, 0, T0 + 3 * 86_400 * S)).remaining).toBe(3);
      });

      it('monthly: refills on the 1st at 00:00 UTC, leap day included', async () => {
        const key = freshKey();
        const policy: CreditPolicy = { quota: 2, refill: 'monthly' };
        const leapDay = Date.UTC(2024, 1, 29, 12);
        expect(await limiter.consumeCredits(key, policy, 2, leapDay)).toEqual({ allowed: true, quota: 2, remaining: 0, reset: 43_200, retryAfter: 0 });
        expect(await limiter.consumeCredits(key, policy, 1, Date.UTC(2024, 1, 29, 23, 59, 59))).toMatchObject({ allowed: false, retryAfter: 1 });
        expect(await limiter.consumeCredits(key, policy, 1, Date.UTC(2024, 2, 1))).toMatchObject({ allowed: true, remaining: 1, reset: 31 * 86_400 });
        // December rolls into January of the next year.
        const key2 = freshKey();
        await limiter.consumeCredits(key2, policy, 2, Date.UTC(2024, 11, 31, 18));
        expect(await limiter.consumeCredits(key2, policy, 1, Date.UTC(2024, 11, 31, 18))).toMatchObject({ allowed: false, retryAfter: 6 * 3600 });
        expect((await limiter.consumeCredits(key2, policy, 1, Date.UTC(2025, 0, 1))).allowed).toBe(true);
      });

      it('none: once spent, refused for good', async () => {
        const key = freshKey();
        const policy: CreditPolicy = { quota: 5, refill: 'none' };
        expect(await limiter.consumeCredits(key, policy, 5, T0)).toEqual({ allowed: true, quota: 5, remaining: 0, reset: null, retryAfter: 0 });
        expect(await limiter.consumeCredits(key, policy, 1, T0 + 400 * 86_400 * S)).toEqual({ allowed: false, quota: 5, remaining: 0, reset: null, retryAfter: null });
      });

      it('a cost above the balance takes nothing; above the quota it is refused for good', async () => {
        const key = freshKey();
        const policy: CreditPolicy = { quota: 3, refill: 'daily' };
        expect((await limiter.consumeCredits(key, policy, 2, T0)).remaining).toBe(1);
        expect(await limiter.consumeCredits(key, policy, 2, T0)).toMatchObject({ allowed: false, remaining: 1, retryAfter: 86_400 });
        expect(await limiter.consumeCredits(key, policy, 4, T0)).toMatchObject({ allowed: false, remaining: 1, retryAfter: null });
        expect(await limiter.consumeCredits(key, policy, 1, T0)).toMatchObject({ allowed: true, remaining: 0 });
        expect((await limiter.consumeCredits(freshKey(), { quota: 0, refill: 'daily' }, 1, T0)).allowed).toBe(false);
      });

      it('a lower quota keeps what was used; a new refill or reset() starts afresh', async () => {
        const key = freshKey();
        await limiter.consumeCredits(key, { quota: 5, refill: 'monthly' }, 3, T0);
        expect((await limiter.consumeCredits(key, { quota: 4, refill: 'monthly' }, 0, T0)).remaining).toBe(1);
        expect((await limiter.consumeCredits(key, { quota: 2, refill: 'monthly' }, 0, T0)).remaining).toBe(0);
        expect((await limiter.consumeCredits(key, { quota: 4, refill: 'daily' }, 1, T0)).remaining).toBe(3);
        await limiter.reset(key);
        expect((await limiter.consumeCredits(key, { quota: 4, refill: 'daily' }, 0, T0)).remaining).toBe(4);
      });

      it('is kept apart from the rate limits of the same key', async () => {
        const key = freshKey();
        await limiter.consumeCredits(key, { quota: 1, refill: 'daily' }, 1, T0);
        expect((await limiter.consume(key, [bucket('credits', 1, 60)], 1, T0)).allowed).toBe(true);
      });
    });

    describe('credit peek', () => {
      it('reports what a request of cost 1 would meet, and takes nothing', async () => {
        const key = freshKey();
        const policy: CreditPolicy = { quota: 3, refill: 'daily' };
        const evening = T0 + 23 * 3600 * S;
        expect(await limiter.peekCredits(key, policy, evening)).toEqual({ allowed: true, quota: 3, remaining: 3, reset: 3600, retryAfter: 0 });
        await limiter.consumeCredits(key, policy, 2, evening);
        expect(await limiter.peekCredits(key, policy, evening)).toEqual({ allowed: true, quota: 3, remaining: 1, reset: 3600, retryAfter: 0 });
        expect(await limiter.peekCredits(key, policy, evening)).toEqual({ allowed: true, quota: 3, remaining: 1, reset: 3600, retryAfter: 0 });
        expect(await limiter.consumeCredits(key, policy, 1, evening)).toMatchObject({ allowed: true, remaining: 0 });
        expect(await limiter.peekCredits(key, policy, evening)).toEqual({ allowed: false, quota: 3, remaining: 0, reset: 3600, retryAfter: 3600 });
        const none = freshKey();
        await limiter.consumeCredits(none, { quota: 2, refill: 'none' }, 2, T0);
        expect(await limiter.peekCredits(none, { quota: 2, refill: 'none' }, T0 + 400 * 86_400 * S)).toEqual({ allowed: false, quota: 2, remaining: 0, reset: null, retryAfter: null });
      });

      it('writes nothing, not even the start of a new period, and follows a changed policy', async () => {
        const key = freshKey();
        const policy: CreditPolicy = { quota: 3, refill: 'daily' };
        await limiter.consumeCredits(key, policy, 2, T0);
        // The next day the balance reads full, but a node still in the old day finds its balance.
        expect((await limiter.peekCredits(key, policy, T0 + 86_400 * S)).remaining).toBe(3);
        expect(await limiter.consumeCredits(key, policy, 1, T0 + 1000)).toMatchObject({ allowed: true, remaining: 0 });
        // A changed refill starts afresh, a lower quota keeps what was used, as consumeCredits reads them.
        expect((await limiter.peekCredits(key, { quota: 3, refill: 'monthly' }, T0)).remaining).toBe(3);
        expect((await limiter.peekCredits(key, { quota: 5, refill: 'daily' }, T0)).remaining).toBe(2);
        // A key never charged reads full and stays unknown: reset() has nothing to forget.
        const fresh = freshKey();
        expect((await limiter.peekCredits(fresh, policy, T0)).remaining).toBe(3);
        expect((await limiter.consumeCredits(fresh, policy, 3, T0)).allowed).toBe(true);
      });
    });

    describe('arguments', () => {
      it('rejects invalid limits, costs and times instead of guessing', async () => {
        const key = freshKey();
        await expect(limiter.consume(key, [bucket('Bad Name', 1, 1)], 1, T0)).rejects.toThrow(RangeError);
        await expect(limiter.consume(key, [bucket('a', 1, 1), sliding('a', 1, 1)], 1, T0)).rejects.toThrow(/duplicate/);
        await expect(limiter.consume(key, [bucket('a', 1, 1)], 1.5, T0)).rejects.toThrow(RangeError);
        await expect(limiter.consume(key, [bucket('a', 1, 1)], -1, T0)).rejects.toThrow(RangeError);
        await expect(limiter.consume(key, [bucket('a', 1, 1)], 1, Number.NaN)).rejects.toThrow(RangeError);
        await expect(limiter.consumeCredits(key, { quota: -1, refill: 'daily' }, 1, T0)).rejects.toThrow(RangeError);
        await expect(limiter.peekCredits(key, { quota: -1, refill: 'daily' }, T0)).rejects.toThrow(RangeError);
        await expect(limiter.peekCredits(key, { quota: 1, refill: 'daily' }, Number.NaN)).rejects.toThrow(RangeError);
        await expect(nonces.remember(key, '', 1000, T0)).rejects.toThrow(RangeError);
        await expect(nonces.remember(key, 'n'.repeat(257), 1000, T0)).rejects.toThrow(RangeError);
      });
    });

    describe('nonces', () => {
      it('refuses a replay within the TTL, per key, and accepts the nonce again after it', async () => {
        const key = freshKey();
        const nonce = randomBytes(16).toString('base64url');
        const now = Date.now();
        expect(await nonces.remember(key, nonce, 300, now)).toBe(true);
        expect(await nonces.remember(key, nonce, 300, now + 50)).toBe(false);
        expect(await nonces.remember(freshKey(), nonce, 300, now + 50)).toBe(true);
        expect(await nonces.remember(key, `${nonce}x`, 300, now + 50)).toBe(true);
        // Real time passes too, for stores whose expiry runs on their own clock (Redis).
        await sleep(450);
        expect(await nonces.remember(key, nonce, 300, now + 450)).toBe(true);
        expect(await nonces.remember(key, nonce, 300, now + 460)).toBe(false);
      });

      it('lets exactly one of many concurrent requests with the same nonce through', async () => {
        const key = freshKey();
        const nonce = randomBytes(16).toString('base64url');
        const now = Date.now();
        const results = await Promise.all(Array.from({ length: 50 }, () => nonces.remember(key, nonce, 10_000, now)));
        expect(results.filter(Boolean)).toHaveLength(1);
      });
    });

    describe('model properties', () => {
      const arbitrary = fc.record({
        algorithm: fc.constantFrom<RateLimit['algorithm']>('token-bucket', 'sliding-window'),
        limit: fc.integer({ min: 1, max: 12 }),
        windowSeconds: fc.integer({ min: 1, max: 20 }),
        steps: fc.array(fc.record({ dtMs: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 25_000 })), cost: fc.integer({ min: 0, max: 14 }) }), { minLength: 1, maxLength: 25 }),
        startMs: fc.integer({ min: 0, max: 100_000 }),
      });

      it('remaining is exact, refusals charge nothing, retryAfter and reset are tight, and no more is admitted than the algorithm allows', async () => {
        await fc.assert(
          fc.asyncProperty(arbitrary, async ({ algorithm, limit, windowSeconds, steps, startMs }) => {
            const key = freshKey();
            const l: RateLimit = { name: 'p', algorithm, limit, windowSeconds };
            const W = windowSeconds * S;
            const peek = async (at: number) => (await limiter.consume(key, [l], 0, at)).limits[0]?.remaining ?? -1;
            let now = T0 + startMs;
            const admitted: { at: number; cost: number }[] = [];
            for (const { dtMs, cost } of steps) {
              now += dtMs;
              const before = await peek(now);
              const d = await limiter.consume(key, [l], cost, now);
              const s = d.limits[0];
              if (s === undefined) return false;
              expect(s.remaining).toBeGreaterThanOrEqual(0);
              expect(s.remaining).toBeLessThanOrEqual(limit);
              expect(d.allowed).toBe(cost <= before);
              if (d.allowed) {
                expect(s.remaining).toBe(before - cost);
                if (cost > 0) admitted.push({ at: now, cost });
              } else {
                expect(await peek(now)).toBe(before);
                if (cost > limit) expect(d.retryAfter).toBeNull();
                else {
                  const r = d.retryAfter ?? -1;
                  expect(r).toBeGreaterThan(0);
                  expect(await peek(now + r * S)).toBeGreaterThanOrEqual(cost);
                  expect(await peek(now + (r - 1) * S)).toBeLessThan(cost);
                }
              }
              // remaining is tight: one more than it is refused.
              expect((await limiter.consume(key, [l], s.remaining + 1, now)).allowed).toBe(false);
              // reset is when the limit is full again, and not a second sooner.
              expect(await peek(now + s.reset * S)).toBe(limit);
              if (s.reset > 0) expect(await peek(now + (s.reset - 1) * S)).toBeLessThan(limit);
            }
            const total = (from: number, to: number) => admitted.filter((a) => a.at >= from && a.at < to).reduce((n, a) => n + a.cost, 0);
            if (algorithm === 'token-bucket') {
              const first = admitted[0]?.at ?? now;
              expect(total(first, now + 1)).toBeLessThanOrEqual(limit + Math.floor(((now - first) * limit) / W));
            } else {
              for (const a of admitted) {
                const start = Math.floor(a.at / W) * W;
                expect(total(start, start + W)).toBeLessThanOrEqual(limit);
              }
            }
            return true;
          }),
          { numRuns: options.propertyRuns ?? 100 },
        );
      });
    });
  });
}
