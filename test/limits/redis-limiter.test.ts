import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClavisError } from '../../src/core/errors/registry.ts';
import type { RateLimit } from '../../src/core/limits/limit-policy.ts';
import { connectRedis, createRedisLimiter, createRedisNonceStore, openRedisLimiter, redactRedisUrl } from '../../src/storage/redis/redis-limiter.ts';
import { runLimiterContract } from './limiter-contract.ts';

const url = process.env.CLAVIS_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const required = Boolean(process.env.CI) || process.env.CLAVIS_REQUIRE_REDIS === '1';
/** Every key of this run starts with it, so the run deletes exactly what it wrote. */
const prefix = `clavis-test:${process.pid}-${randomBytes(4).toString('hex')}:`;

async function reachable(): Promise<boolean> {
  try {
    const redis = await connectRedis(url, { connectTimeoutMs: 2000 });
    await redis.quit();
    return true;
  } catch {
    return false;
  }
}

async function keysUnder(redis: Redis, match: string): Promise<string[]> {
  const found: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await redis.scan(cursor, 'MATCH', `${match}*`, 'COUNT', 1000);
    cursor = next;
    found.push(...batch);
  } while (cursor !== '0');
  return found;
}

const canConnect = await reachable();

if (!canConnect && required) {
  describe('redis limiter', () => {
    beforeAll(() => {
      throw new Error(`Redis is required (CI or CLAVIS_REQUIRE_REDIS=1) but cannot connect to ${redactRedisUrl(url)}`);
    });
    it('connects', () => undefined);
  });
} else if (!canConnect) {
  console.warn(`Redis limiter suite skipped: cannot connect to ${redactRedisUrl(url)}`);
}

describe.skipIf(!canConnect)('redis', () => {
  let redis: Redis;

  beforeAll(async () => {
    redis = await connectRedis(url);
  });

  afterAll(async () => {
    if (redis === undefined) return;
    const left = await keysUnder(redis, prefix);
    if (left.length > 0) await redis.del(...left);
    await redis.quit();
  });

  runLimiterContract(
    'redis',
    async () => {
      const limiter = createRedisLimiter({ redis, prefix });
      return { limiter, nonces: createRedisNonceStore({ redis, prefix }), cleanup: () => limiter.close() };
    },
    { propertyRuns: 40 },
  );

  describe('redis limiter', () => {
    const T0 = Date.UTC(2025, 0, 1);
    const limits: RateLimit[] = [
      { name: 'per-minute', algorithm: 'sliding-window', limit: 50, windowSeconds: 60 },
      { name: 'burst', algorithm: 'token-bucket', limit: 70, windowSeconds: 60 },
    ];

    it('stays atomic across nodes: two connections racing for a limit of 50 admit exactly 50', async () => {
      const other = await connectRedis(url);
      try {
        const nodeA = createRedisLimiter({ redis, prefix });
        const nodeB = createRedisLimiter({ redis: other, prefix });
        const node = (i: number) => (i % 2 === 0 ? nodeA : nodeB);
        const key = `key_${randomBytes(6).toString('hex')}`;
        const ds = await Promise.all(Array.from({ length: 100 }, (_, i) => node(i).consume(key, limits, 1, T0 + i)));
        expect(ds.filter((d) => d.allowed)).toHaveLength(50);
        const credits = await Promise.all(Array.from({ length: 100 }, (_, i) => node(i).consumeCredits(key, { quota: 50, refill: 'monthly' }, 1, T0)));
        expect(credits.filter((d) => d.allowed)).toHaveLength(50);
      } finally {
        await other.quit();
      }
    });

    it('falls back to EVAL when the script cache was flushed', async () => {
      const limiter = createRedisLimiter({ redis, prefix });
      const key = `key_${randomBytes(6).toString('hex')}`;
      expect((await limiter.consume(key, limits, 1, T0)).allowed).toBe(true);
      await redis.script('FLUSH');
      expect((await limiter.consume(key, limits, 1, T0)).limits.map((l) => l.remaining)).toEqual([48, 68]);
      expect((await limiter.consumeCredits(key, { quota: 2, refill: 'daily' }, 1, T0)).remaining).toBe(1);
      await redis.script('FLUSH');
      expect((await limiter.consumeCredits(key, { quota: 2, refill: 'daily' }, 1, T0)).remaining).toBe(0);
    });

    it('keeps its keys under the prefix, one hash tag per API key, with expiry for state that refills', async () => {
      const limiter = createRedisLimiter({ redis, prefix });
      const key = `key_${randomBytes(6).toString('hex')}`;
      await limiter.consume(key, limits, 1, T0);
      await limiter.consumeCredits(key, { quota: 5, refill: 'daily' }, 1, T0 + 3_600_000);
      await limiter.consumeCredits(`${key}n`, { quota: 5, refill: 'none' }, 1, T0);
      await createRedisNonceStore({ redis, prefix }).remember(key, 'nonce-1', 10_000, T0);
      expect((await keysUnder(redis, `${prefix}`)).filter((k) => k.includes(key)).sort()).toEqual(
        [`${prefix}cr:{${key}n}`, `${prefix}cr:{${key}}`, `${prefix}nonce:{${key}}:nonce-1`, `${prefix}rl:{${key}}`].sort(),
      );
      // Rate-limit state lives until it has refilled (two 60 s windows) plus a second.
      const rlTtl = await redis.pttl(`${prefix}rl:{${key}}`);
      expect(rlTtl).toBeGreaterThan(115_000);
      expect(rlTtl).toBeLessThanOrEqual(121_000);
      // Credits until a minute past the refill at midnight; a balance that never refills, for ever.
      const crTtl = await redis.pttl(`${prefix}cr:{${key}}`);
      expect(crTtl).toBeGreaterThan(23 * 3_600_000);
      expect(crTtl).toBeLessThanOrEqual(23 * 3_600_000 + 60_000);
      expect(await redis.pttl(`${prefix}cr:{${key}n}`)).toBe(-1);
      await limiter.reset(key);
      expect(await redis.exists(`${prefix}rl:{${key}}`, `${prefix}cr:{${key}}`)).toBe(0);
    });

    it('a limiter that owns its connection closes it; a borrowed one leaves it open', async () => {
      const { limiter, nonces } = await openRedisLimiter({ url, prefix });
      expect(await nonces.remember('key_own', randomBytes(8).toString('hex'), 1000, Date.now())).toBe(true);
      await limiter.close();
      await expect(limiter.consume('key_own', limits, 1, T0)).rejects.toThrow(/closed/);
      await expect(nonces.remember('key_own', 'nonce-after-close', 1000, Date.now())).rejects.toThrow();

      const borrowed = createRedisLimiter({ redis, prefix });
      await borrowed.close();
      expect(await redis.ping()).toBe('PONG');
    });

    it('fails with STORE_UNAVAILABLE, without the password, when Redis cannot be reached', async () => {
      const dead = new URL(url);
      dead.port = '1';
      dead.password = 'hunter2';
      const err: unknown = await connectRedis(dead.toString(), { connectTimeoutMs: 1000 }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ClavisError);
      expect((err as ClavisError).code).toBe('STORE_UNAVAILABLE');
      expect((err as ClavisError).message).not.toContain('hunter2');
    });
  });
});
