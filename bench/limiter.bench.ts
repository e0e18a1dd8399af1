/**
 * The rate limiter, two figures; each consume checks and charges two limits of a key (a sliding
 * window and a token bucket), cycling over 1000 keys with the clock moving 1 ms per call, and
 * limits large enough that every call is admitted (the path that writes).
 * 1. In-process consume, against a bare Map get+set per call, both as awaited async calls.
 * 2. Redis consume (one EVALSHA round trip), against a bare INCR round trip on the same
 *    connection, each awaited before the next. Skipped (with a note) when Redis is not reachable
 *    at CLAVIS_TEST_REDIS_URL (default redis://127.0.0.1:6379).
 */
import { randomBytes } from 'node:crypto';
import type { RateLimit } from '../src/core/limits/limit-policy.ts';
import { createMemoryLimiter } from '../src/storage/memory/memory-limiter.ts';
import { connectRedis, createRedisLimiter } from '../src/storage/redis/redis-limiter.ts';
import { compare, emit, latencyExtras, note } from './lib/measure.ts';
import { FIXED_NOW } from './lib/setup.ts';

const KEYS = Array.from({ length: 1000 }, (_, i) => `key_${i.toString().padStart(22, '0')}`);
const LIMITS: RateLimit[] = [
  { name: 'per-minute', algorithm: 'sliding-window', limit: 1_000_000, windowSeconds: 60 },
  { name: 'burst', algorithm: 'token-bucket', limit: 1_000_000, windowSeconds: 1 },
];
const keyOf = (i: number): string => KEYS[i % KEYS.length] ?? 'key_0';

function admitted(d: { allowed: boolean }): void {
  if (!d.allowed) throw new Error('limiter: a call was refused; the benchmark measures the admitting path');
}

// 1. in-process
{
  const limiter = createMemoryLimiter();
  const counts = new Map<string, number>();
  const r = await compare(
    { kind: 'async', op: async (i) => admitted(await limiter.consume(keyOf(i), LIMITS, 1, FIXED_NOW + i)) },
    {
      kind: 'async',
      op: async (i) => {
        const k = keyOf(i);
        counts.set(k, (counts.get(k) ?? 0) + 1);
      },
    },
    { warmup: 20_000, iterations: 2_000_000, maxMs: 2500, batch: 200, rounds: 5 },
  );
  emit({
    name: 'limiter.consume.memory',
    unit: 'ops/s',
    value: r.subject.opsPerSec,
    baseline: { name: 'async-map-get+set', value: r.baseline.opsPerSec },
    n: r.subject.ops,
    baselineN: r.baseline.ops,
    limitsPerKey: LIMITS.length,
    keys: KEYS.length,
  });
  await limiter.close();
}

// 2. Redis
{
  const url = process.env.CLAVIS_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
  const redis = await connectRedis(url, { connectTimeoutMs: 2000 }).catch((err: unknown) => {
    note(`limiter: Redis skipped: ${err instanceof Error ? err.message : String(err)}`);
    return null;
  });
  if (redis !== null) {
    const prefix = `clavis-bench:${process.pid}-${randomBytes(4).toString('hex')}:`;
    const limiter = createRedisLimiter({ redis, prefix });
    try {
      const r = await compare(
        { kind: 'async', op: async (i) => admitted(await limiter.consume(keyOf(i), LIMITS, 1, FIXED_NOW + i)) },
        { kind: 'async', op: (i) => redis.incr(`${prefix}incr:${keyOf(i)}`) },
        { warmup: 2000, iterations: 200_000, maxMs: 3000, rounds: 5 },
      );
      emit({
        name: 'limiter.consume.redis',
        unit: 'ops/s',
        value: r.subject.opsPerSec,
        baseline: { name: 'redis-incr-round-trip', value: r.baseline.opsPerSec },
        n: r.subject.ops,
        baselineN: r.baseline.ops,
        limitsPerKey: LIMITS.length,
        keys: KEYS.length,
        ...latencyExtras('', r.subject),
        ...latencyExtras('baseline', r.baseline),
      });
    } finally {
      let cursor = '0';
      do {
        const [next, batch] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
        cursor = next;
        if (batch.length > 0) await redis.del(...batch);
      } while (cursor !== '0');
      await limiter.close();
      await redis.quit();
    }
  }
}
note('limiter: done');
