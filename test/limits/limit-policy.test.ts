import { describe, expect, it } from 'vitest';
import {
  ceilSeconds,
  creditPeriod,
  LIMIT_BOUNDS,
  validateCreditPolicy,
  validateRateLimits,
  type RateLimit,
} from '../../src/core/limits/limit-policy.ts';

const ok: RateLimit = { name: 'per-minute', algorithm: 'sliding-window', limit: 600, windowSeconds: 60 };

describe('validateRateLimits', () => {
  it('accepts up to five well-formed limits', () => {
    const five = ['a', 'b-2', 'c3', 'x'.repeat(32), '0'].map((name) => ({ ...ok, name }));
    expect(validateRateLimits(five)).toEqual([]);
    expect(validateRateLimits([])).toEqual([]);
    expect(validateRateLimits([{ ...ok, algorithm: 'token-bucket', limit: LIMIT_BOUNDS.maxLimit, windowSeconds: LIMIT_BOUNDS.maxWindowSeconds }])).toEqual([]);
  });

  it('names each bad field by path', () => {
    const bad = [
      { ...ok, name: 'Per Minute' },
      { ...ok, name: 'a', algorithm: 'leaky' as RateLimit['algorithm'], limit: 0, windowSeconds: 1.5 },
      { ...ok, name: 'a', limit: LIMIT_BOUNDS.maxLimit + 1, windowSeconds: LIMIT_BOUNDS.maxWindowSeconds + 1 },
      { ...ok, name: 'x'.repeat(33) },
      { ...ok, name: 'b', limit: Number.NaN },
      { ...ok, name: 'c' },
    ];
    expect(validateRateLimits(bad, '/body/rateLimits').map((e) => e.field)).toEqual([
      '/body/rateLimits',
      '/body/rateLimits/0/name',
      '/body/rateLimits/1/algorithm',
      '/body/rateLimits/1/limit',
      '/body/rateLimits/1/windowSeconds',
      '/body/rateLimits/2/name',
      '/body/rateLimits/2/limit',
      '/body/rateLimits/2/windowSeconds',
      '/body/rateLimits/3/name',
      '/body/rateLimits/4/limit',
    ]);
    expect(validateRateLimits([ok, ok])[0]?.message).toMatch(/duplicate/);
  });

  it('keeps the limiter arithmetic exact: the largest intermediate value is below 2^53', () => {
    expect(3 * LIMIT_BOUNDS.maxLimit * LIMIT_BOUNDS.maxWindowSeconds * 1000).toBeLessThan(Number.MAX_SAFE_INTEGER);
  });
});

describe('validateCreditPolicy', () => {
  it('accepts a quota from 0 to the bound with a known refill', () => {
    expect(validateCreditPolicy({ quota: 0, refill: 'none' })).toEqual([]);
    expect(validateCreditPolicy({ quota: LIMIT_BOUNDS.maxQuota, refill: 'monthly' })).toEqual([]);
  });

  it('names the bad fields', () => {
    expect(validateCreditPolicy({ quota: -1, refill: 'weekly' as 'daily' }, '/body/credits').map((e) => e.field)).toEqual(['/body/credits/quota', '/body/credits/refill']);
    expect(validateCreditPolicy({ quota: 1.5, refill: 'daily' })).toHaveLength(1);
    expect(validateCreditPolicy({ quota: LIMIT_BOUNDS.maxQuota + 1, refill: 'daily' })).toHaveLength(1);
  });
});

describe('creditPeriod', () => {
  it('daily periods start at 00:00 UTC', () => {
    expect(creditPeriod('daily', Date.UTC(2025, 5, 10, 13, 14, 15))).toEqual({ start: Date.UTC(2025, 5, 10), nextRefill: Date.UTC(2025, 5, 11) });
    expect(creditPeriod('daily', Date.UTC(2025, 5, 10))).toEqual({ start: Date.UTC(2025, 5, 10), nextRefill: Date.UTC(2025, 5, 11) });
    expect(creditPeriod('daily', Date.UTC(2025, 5, 11) - 1).nextRefill).toBe(Date.UTC(2025, 5, 11));
  });

  it('monthly periods start on the 1st at 00:00 UTC, across February and the year end', () => {
    expect(creditPeriod('monthly', Date.UTC(2024, 1, 29, 23))).toEqual({ start: Date.UTC(2024, 1, 1), nextRefill: Date.UTC(2024, 2, 1) });
    expect(creditPeriod('monthly', Date.UTC(2025, 11, 31, 23, 59))).toEqual({ start: Date.UTC(2025, 11, 1), nextRefill: Date.UTC(2026, 0, 1) });
    expect(creditPeriod('monthly', Date.UTC(2026, 0, 1))).toEqual({ start: Date.UTC(2026, 0, 1), nextRefill: Date.UTC(2026, 1, 1) });
  });

  it('none is one period for ever', () => {
    expect(creditPeriod('none', Date.UTC(2030, 0, 1))).toEqual({ start: 0, nextRefill: null });
  });
});

describe('ceilSeconds', () => {
  it('rounds up, never down', () => {
    expect([0, -5, 1, 999, 1000, 1001].map(ceilSeconds)).toEqual([0, 0, 1, 1, 1, 2]);
  });
});
