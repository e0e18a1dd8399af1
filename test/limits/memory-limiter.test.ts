import { describe, expect, it } from 'vitest';
import type { RateLimit } from '../../src/core/limits/limit-policy.ts';
import { createMemoryLimiter, createMemoryNonceStore } from '../../src/storage/memory/memory-limiter.ts';
import { runLimiterContract } from './limiter-contract.ts';

runLimiterContract(
  'memory',
  async () => {
    const limiter = createMemoryLimiter();
    return { limiter, nonces: createMemoryNonceStore(), cleanup: () => limiter.close() };
  },
  { propertyRuns: 200 },
);

const T0 = Date.UTC(2025, 0, 1);

describe('memory limiter', () => {
  it('refuses work once closed', async () => {
    const limiter = createMemoryLimiter();
    await limiter.close();
    await expect(limiter.consume('key_1', [], 1, T0)).rejects.toThrow(/closed/);
    await expect(limiter.consumeCredits('key_1', { quota: 1, refill: 'none' }, 1, T0)).rejects.toThrow(/closed/);
    await expect(limiter.reset('key_1')).rejects.toThrow(/closed/);
  });

  it('sweeps state that has refilled completely, and only that', async () => {
    const limiter = createMemoryLimiter();
    const limits: RateLimit[] = [{ name: 'burst', algorithm: 'token-bucket', limit: 5, windowSeconds: 10 }];
    // 4096 writes trigger a sweep; the first key is full again by then, the last ones are not.
    await limiter.consume('key_old', limits, 1, T0);
    await limiter.consumeCredits('key_old', { quota: 9, refill: 'daily' }, 1, T0);
    await limiter.consumeCredits('key_kept', { quota: 9, refill: 'none' }, 1, T0);
    for (let i = 0; i < 4093; i++) await limiter.consume(`key_${i}`, limits, 1, T0 + 86_400_000);
    expect(limiter.size()).toEqual({ keys: 4093, credits: 1 });
    expect((await limiter.consumeCredits('key_kept', { quota: 9, refill: 'none' }, 0, T0)).remaining).toBe(8);
  });
});

describe('memory nonce store', () => {
  it('stays within its bound, refusing rather than forgetting a live nonce', async () => {
    const nonces = createMemoryNonceStore({ maxEntries: 3 });
    expect(await nonces.remember('key_1', 'a', 1000, T0)).toBe(true);
    expect(await nonces.remember('key_1', 'b', 1000, T0)).toBe(true);
    expect(await nonces.remember('key_1', 'c', 5000, T0)).toBe(true);
    expect(await nonces.remember('key_1', 'd', 1000, T0 + 10)).toBe(false);
    expect(nonces.size()).toBe(3);
    // Once some have expired there is room again, and the live one is still remembered.
    expect(await nonces.remember('key_1', 'd', 1000, T0 + 1000)).toBe(true);
    expect(await nonces.remember('key_1', 'c', 1000, T0 + 1000)).toBe(false);
    expect(nonces.size()).toBe(2);
  });

  it('does not confuse a key and nonce pair with another that concatenates the same', async () => {
    const nonces = createMemoryNonceStore();
    expect(await nonces.remember('key_1', 'ab', 1000, T0)).toBe(true);
    expect(await nonces.remember('key_1a', 'b', 1000, T0)).toBe(true);
  });

  it('rejects a bound that is not a positive integer', () => {
    expect(() => createMemoryNonceStore({ maxEntries: 0 })).toThrow(RangeError);
  });
});
