import type { Clock } from '../core/clock.ts';

/** Waits `ms` milliseconds; injected so tests can run a rate limit without real waiting. */
export type Sleep = (ms: number) => Promise<void>;

/** The real timer, for production. */
export const realSleep: Sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Spaces calls evenly: at most `perMinute` starts per minute, reserved in call order. */
export interface RateLimiter {
  /** Resolves when the caller may start its request. */
  acquire(): Promise<void>;
}

/**
 * An even-spacing limiter: each call reserves the next free slot `60000 / perMinute` ms after the
 * previous one, so concurrent callers queue in call order and a burst never exceeds the limit.
 *
 * @example const limiter = createRateLimiter({ perMinute: 30, clock: systemClock, sleep: realSleep })
 */
export function createRateLimiter(opts: { perMinute: number; clock: Clock; sleep: Sleep }): RateLimiter {
  if (!(opts.perMinute > 0)) throw new RangeError(`rate limiter: perMinute must be > 0, got ${opts.perMinute}`);
  const interval = 60_000 / opts.perMinute;
  let nextAt = Number.NEGATIVE_INFINITY;
  return {
    acquire: async () => {
      const now = opts.clock.now();
      const at = Math.max(now, nextAt);
      nextAt = at + interval;
      if (at > now) await opts.sleep(at - now);
    },
  };
}
