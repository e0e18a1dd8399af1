import { dayOf } from '../../src/market/calendar.ts';
import { createDataset, type MarketDataset } from '../../src/market/dataset.ts';

/** One asset of a hand-built dataset: functions of the day offset; NaN from `price` means no row. */
export interface AssetSpec {
  id: string;
  symbol?: string;
  tags?: string[];
  price: (d: number) => number;
  cap?: (d: number) => number;
  volume?: (d: number) => number;
}

/** A dataset from formulas, so a test states its market in a few lines. */
export function buildDataset(start: string, days: number, specs: readonly AssetSpec[]): MarketDataset {
  const n = specs.length;
  const price = new Float64Array(n * days);
  const marketCap = new Float64Array(n * days);
  const volume = new Float64Array(n * days);
  specs.forEach((s, a) => {
    for (let d = 0; d < days; d++) {
      const p = s.price(d);
      const has = !Number.isNaN(p);
      price[a * days + d] = p;
      marketCap[a * days + d] = has ? (s.cap?.(d) ?? 1e9) : Number.NaN;
      volume[a * days + d] = has ? (s.volume?.(d) ?? 1e8) : Number.NaN;
    }
  });
  return createDataset({
    source: 'test',
    firstDay: dayOf(start),
    days,
    assets: specs.map((s) => ({ id: s.id, symbol: s.symbol ?? s.id, name: s.id, tags: s.tags ?? [] })),
    price,
    marketCap,
    volume,
  });
}

/** The element at `i`, failing the test when it is missing. */
export function at<T>(list: ArrayLike<T>, i: number): T {
  const v = list[i];
  if (v === undefined) throw new Error(`no element ${i}`);
  return v;
}
