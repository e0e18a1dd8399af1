import { describe, expect, it } from 'vitest';
import { rankEligible, screenAsset, staticExclusions, type ScreenContext } from '../../src/indices/eligibility.ts';
import { firstPricedDays } from '../../src/indices/market-stats.ts';
import { CT100_RULES } from '../../src/indices/rules.ts';
import { weekday } from '../../src/market/calendar.ts';
import type { MarketDataset } from '../../src/market/dataset.ts';
import { buildDataset, type AssetSpec } from './support.ts';

/** Data day: offset 40 from Monday 2024-01-01 is Saturday 2024-02-10; its 30-day window is offsets 11–40. */
const S = 40;
const N = Number.NaN;

/** An untagged stablecoin at $1.000 with `depeg` days at $0.90 inside the window. */
const stable = (id: string, depeg: number): AssetSpec => ({ id, price: (d) => (d >= 20 && d < 20 + depeg ? 0.9 : 1), cap: () => 5e9, volume: () => 1e9 });

const specs: AssetSpec[] = [
  { id: 'bitcoin', price: () => 100, cap: () => 1e12, volume: () => 1e10 },
  { id: 'usd-coin', tags: ['stablecoin'], price: () => 1, cap: () => 5e10 },
  { id: 'wrapped-steth', price: () => 3000, cap: () => 1e10 }, // no tag, on the denylist
  { id: 'young', price: (d) => (d < 12 ? N : 5) }, // first close offset 12: 29 days of history on the Saturday
  { id: 'young-ok', price: (d) => (d < 11 ? N : 5) }, // offset 11: exactly 30 days
  stable('stable-3-off', 3), // 27 of 30 days within 2% of $1: still pegged
  stable('stable-4-off', 4), // 26 of 30: no longer pegged by price, so eligible
  { id: 'thin', price: () => 2, volume: () => 999_999 },
  { id: 'thin-ok', price: () => 2, volume: () => 1_000_000 },
  // Median, not mean: 16 days at $100k and 14 at $1bn have a median of $100k.
  { id: 'spiky', price: () => 2, volume: (d) => (d >= 11 && d < 27 ? 1e5 : 1e9) },
  { id: 'no-saturday', price: (d) => (d === S ? N : 3) },
  // Average market cap over the known days of the 7 ending on the Saturday: (1 + 2 + 3) / 3 · 1e9 with 4 gaps.
  { id: 'gappy', price: (d) => (d >= S - 6 && d <= S - 3 ? N : 1.5), cap: (d) => (d === S - 2 ? 1e9 : d === S - 1 ? 2e9 : d === S ? 3e9 : 1e12) },
  { id: 'tie-b', price: () => 4, cap: () => 7e8 },
  { id: 'tie-a', price: () => 4, cap: () => 7e8 },
];

function context(ds: MarketDataset): ScreenContext {
  return { ds, rules: CT100_RULES, excluded: staticExclusions(ds, CT100_RULES), firstPriced: firstPricedDays(ds), scratch: new Float64Array(30) };
}

describe('eligibility', () => {
  const ds = buildDataset('2024-01-01', 60, specs);
  const ctx = context(ds);
  const reason = (id: string): string | null => screenAsset(ctx, ds.assets.findIndex((a) => a.id === id), S, { averageCap: 0 });

  it('uses a Saturday as data day', () => {
    expect(weekday(ds.firstDay + S)).toBe(6);
  });

  it.each([
    ['bitcoin', null],
    ['usd-coin', 'EXCLUDED_TAG'],
    ['wrapped-steth', 'DENYLIST'],
    ['young', 'SHORT_HISTORY'],
    ['young-ok', null],
    ['stable-3-off', 'PEGGED_PRICE'],
    ['stable-4-off', null],
    ['thin', 'LOW_VOLUME'],
    ['thin-ok', null],
    ['spiky', 'LOW_VOLUME'],
    ['no-saturday', 'NO_CLOSE'],
    ['gappy', null],
  ])('%s → %s', (id, expected) => {
    expect(reason(id)).toBe(expected);
  });

  it('ranks by the 7-day average of known caps, ties by id', () => {
    const ranked = rankEligible(ctx, S).map((c) => [ds.assets[c.asset]?.id, c.averageCap]);
    expect(ranked).toEqual([
      ['bitcoin', 1e12],
      ['stable-4-off', 5e9],
      ['gappy', 2e9],
      ['thin-ok', 1e9],
      ['young-ok', 1e9],
      ['tie-a', 7e8],
      ['tie-b', 7e8],
    ]);
  });

  it('a depegged stablecoin without a tag: eligible once 4 of its last 30 closes are off the peg, pegged again 30 days later', () => {
    // $1.000 every day except $0.87 on offsets 50–53.
    const d2 = buildDataset('2024-01-01', 100, [{ id: 'fdusd', price: (d) => (d >= 50 && d <= 53 ? 0.87 : 1), cap: () => 2e9, volume: () => 5e8 }]);
    const c2 = context(d2);
    const on = (s: number): string | null => screenAsset(c2, 0, s, { averageCap: 0 });
    expect(on(49)).toBe('PEGGED_PRICE'); // 30 of 30 within 2%
    expect(on(52)).toBe('PEGGED_PRICE'); // 27 of 30 = 90%: still pegged
    expect(on(53)).toBeNull(); // 26 of 30 = 86.7%: eligible
    expect(on(79)).toBeNull(); // window 50–79 still holds the 4 days
    expect(on(80)).toBe('PEGGED_PRICE'); // window 51–80: 27 of 30 again
  });
});
