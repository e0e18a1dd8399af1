import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { runIndex, type IndexRun } from '../../src/indices/engine.ts';
import type { WeightVariant } from '../../src/indices/rules.ts';
import { isoDay } from '../../src/market/calendar.ts';
import { createDataset, sliceDataset, type MarketDataset } from '../../src/market/dataset.ts';
import { createRng } from '../../src/market/random.ts';
import { simulateMarket } from '../../src/market/simulator.ts';

const base = simulateMarket({ seed: 3, assets: 90, start: '2018-01-01', end: '2021-12-31' });

/**
 * Every price, market cap and volume after day `cut` (a day number) changed: scaled at random,
 * some rows removed, some added where there were none.
 */
function rewriteAfter(ds: MarketDataset, cut: number, seed: string): MarketDataset {
  const rng = createRng(seed);
  const price = Float64Array.from(ds.price);
  const marketCap = Float64Array.from(ds.marketCap);
  const volume = Float64Array.from(ds.volume);
  for (let a = 0; a < ds.assets.length; a++) {
    for (let d = cut - ds.firstDay + 1; d < ds.days; d++) {
      const i = a * ds.days + d;
      const u = rng.next();
      if (u < 0.03) {
        price[i] = Number.NaN;
        marketCap[i] = Number.NaN;
        volume[i] = Number.NaN;
      } else if (Number.isNaN(price[i] ?? 0)) {
        if (u < 0.1) {
          price[i] = rng.uniform(0.5, 50);
          marketCap[i] = rng.uniform(1e8, 1e12);
          volume[i] = rng.uniform(1e6, 1e10);
        }
      } else {
        price[i] = (price[i] ?? 1) * rng.uniform(0.3, 3);
        marketCap[i] = (marketCap[i] ?? 1) * rng.uniform(0.1, 10);
        volume[i] = (volume[i] ?? 1) * rng.uniform(0.01, 100);
      }
    }
  }
  return createDataset({ ...ds, price, marketCap, volume });
}

/** Everything the run says about the days up to `cut`. */
function upTo(run: IndexRun, cut: number): unknown {
  const k = cut - run.firstDay + 1;
  return {
    firstDay: run.firstDay,
    levelGross: Array.from(run.levelGross.subarray(0, k)),
    levelNet: Array.from(run.levelNet.subarray(0, k)),
    regime: Array.from(run.regime.subarray(0, k)),
    invested: Array.from(run.invested.subarray(0, k)),
    transactions: run.transactions.filter((t) => t.date <= isoDay(cut)),
    snapshots: run.snapshots.filter((s) => s.day <= cut),
    signal: Array.from(run.signal.state.subarray(0, cut - run.dataset.firstDay + 1)),
  };
}

describe('no look-ahead', () => {
  const plain = runIndex(base);
  const capped = runIndex(base, { variant: 'capped' });
  const runs: Record<WeightVariant, IndexRun> = { plain, capped };

  it.each(['plain', 'capped'] as const)('%s: changing every datum after day D changes nothing up to D', (variant) => {
    const original = runs[variant];
    const last = original.firstDay + original.days - 1;
    fc.assert(
      fc.property(fc.integer({ min: original.firstDay + 5, max: last - 30 }), (cut) => {
        const changed = runIndex(rewriteAfter(base, cut, `cut-${cut}`), { variant });
        expect(upTo(changed, cut)).toEqual(upTo(original, cut));
        // The rewrite does change what comes after D: this test can fail.
        const after = Array.from(changed.levelGross.subarray(cut - original.firstDay + 1));
        expect(after).not.toEqual(Array.from(original.levelGross.subarray(cut - original.firstDay + 1)));
      }),
      { numRuns: 4, seed: 42 },
    );
  });

  it('a history cut at D gives the same index up to D as the full history', () => {
    const cut = plain.firstDay + 700;
    const short = runIndex(sliceDataset(base, base.firstDay, cut));
    expect(upTo(short, cut)).toEqual(upTo(plain, cut));
  });
});
