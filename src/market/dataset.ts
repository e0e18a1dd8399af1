import { isoDay } from './calendar.ts';
import { MarketDataError, formatLocation, type DataLocation } from './errors.ts';

/** What is known about an asset besides its prices. Tags: `stablecoin`, `pegged`, `wrapped`, `bridged`, `staking`. */
export interface AssetInfo {
  /** Provider id (CoinGecko style: `bitcoin`, `usd-coin`). */
  readonly id: string;
  readonly symbol: string;
  readonly name: string;
  readonly tags: readonly string[];
}

/**
 * Daily closes of many assets, column-oriented: each series is a Float64Array laid out asset by
 * asset (`[asset * days + dayOffset]`), so one asset's history is a contiguous subarray. A cell
 * without a row is NaN in every series; a row may have a price and an unknown (NaN) market cap or
 * volume. Day offset 0 is `firstDay` (a {@link parseDay} day number).
 */
export interface MarketDataset {
  /** Where the data came from, for reports: `simulator (seed 1)`, a file path, `coingecko`. */
  readonly source: string;
  readonly firstDay: number;
  readonly days: number;
  readonly assets: readonly AssetInfo[];
  readonly price: Float64Array;
  readonly marketCap: Float64Array;
  readonly volume: Float64Array;
}

const indexes = new WeakMap<MarketDataset, ReadonlyMap<string, number>>();

/**
 * Checks the shape (series lengths, unique ids, positive prices) and returns the dataset.
 *
 * @example createDataset({ source: 'test', firstDay: 0, days: 1, assets: [{ id: 'bitcoin', symbol: 'btc', name: 'Bitcoin', tags: [] }], price: Float64Array.of(100), marketCap: Float64Array.of(1e9), volume: Float64Array.of(1e7) })
 */
export function createDataset(input: MarketDataset): MarketDataset {
  const cells = input.assets.length * input.days;
  if (!Number.isSafeInteger(input.firstDay) || !Number.isSafeInteger(input.days) || input.days < 0) throw new RangeError('dataset: firstDay and days must be whole numbers');
  for (const [name, series] of [['price', input.price], ['marketCap', input.marketCap], ['volume', input.volume]] as const) {
    if (series.length !== cells) throw new RangeError(`dataset: ${name} has ${series.length} cells, expected ${cells} (${input.assets.length} assets × ${input.days} days)`);
  }
  const seen = new Set<string>();
  for (const a of input.assets) {
    if (seen.has(a.id)) throw new RangeError(`dataset: asset id "${a.id}" appears twice`);
    seen.add(a.id);
  }
  for (let i = 0; i < cells; i++) {
    const p = input.price[i] ?? Number.NaN;
    if (!Number.isNaN(p) && !(p > 0 && Number.isFinite(p))) throw new RangeError(`dataset: price ${p} of ${input.assets[Math.floor(i / input.days)]?.id ?? '?'} is not a positive number`);
  }
  return { ...input };
}

/** Index of an asset in `ds.assets`, or -1. */
export function assetIndex(ds: MarketDataset, id: string): number {
  let map = indexes.get(ds);
  if (map === undefined) {
    map = new Map(ds.assets.map((a, i) => [a.id, i]));
    indexes.set(ds, map);
  }
  return map.get(id) ?? -1;
}

/** The last day the dataset covers (firstDay - 1 when it is empty). */
export function lastDay(ds: MarketDataset): number {
  return ds.firstDay + ds.days - 1;
}

/** One asset's price series (a view, not a copy). */
export function priceSeries(ds: MarketDataset, asset: number): Float64Array {
  return ds.price.subarray(asset * ds.days, (asset + 1) * ds.days);
}

/**
 * The days `from`…`to` (inclusive, clamped to the data) as a new dataset with copied series;
 * every asset is kept, also one without a row in the range.
 */
export function sliceDataset(ds: MarketDataset, from: number, to: number): MarketDataset {
  const lo = Math.max(from, ds.firstDay);
  const hi = Math.min(to, lastDay(ds));
  const days = Math.max(0, hi - lo + 1);
  const copy = (src: Float64Array): Float64Array => {
    const out = new Float64Array(ds.assets.length * days);
    for (let a = 0; a < ds.assets.length; a++) {
      const start = a * ds.days + (lo - ds.firstDay);
      out.set(src.subarray(start, start + days), a * days);
    }
    return out;
  };
  return { source: ds.source, firstDay: days === 0 ? ds.firstDay : lo, days, assets: ds.assets, price: copy(ds.price), marketCap: copy(ds.marketCap), volume: copy(ds.volume) };
}

/** One daily close of one asset, as files and APIs give it. */
export interface MarketRow {
  day: number;
  id: string;
  symbol: string;
  name?: string;
  price: number;
  /** NaN when unknown. */
  marketCap: number;
  /** NaN when unknown. */
  volume: number;
  tags: readonly string[];
  /** Where the row came from, for error messages. */
  at?: DataLocation;
  /**
   * `fill`: the row only fills a day no other row gives (a `/coins/markets` snapshot next to a
   * history); it never conflicts. Default `strict`: a second row for the same asset and day is an error.
   */
  priority?: 'strict' | 'fill';
}

function where(row: MarketRow): string {
  return row.at === undefined ? `${row.id} ${isoDay(row.day)}` : formatLocation(row.at);
}

/**
 * Builds a dataset from rows in any order. Symbol and name come from each asset's latest row;
 * tags are the union over its rows (tags are asset metadata, not daily data). Assets keep the
 * order of their first row.
 *
 * @throws MarketDataError when an asset has two strict rows for one day (naming both places).
 */
export function datasetFromRows(rows: readonly MarketRow[], source: string): MarketDataset {
  const ids = new Map<string, number>();
  const meta: { id: string; symbol: string; name: string; tags: Set<string>; latest: number }[] = [];
  let first = Number.POSITIVE_INFINITY;
  let last = Number.NEGATIVE_INFINITY;
  for (const row of rows) {
    let i = ids.get(row.id);
    if (i === undefined) {
      i = meta.length;
      ids.set(row.id, i);
      meta.push({ id: row.id, symbol: row.symbol, name: row.name ?? row.symbol, tags: new Set(), latest: row.day });
    }
    const m = meta[i];
    if (m === undefined) continue;
    for (const t of row.tags) m.tags.add(t);
    if (row.day >= m.latest) {
      m.latest = row.day;
      m.symbol = row.symbol;
      if (row.name !== undefined) m.name = row.name;
    }
    if (row.day < first) first = row.day;
    if (row.day > last) last = row.day;
  }
  const days = rows.length === 0 ? 0 : last - first + 1;
  const firstDay = rows.length === 0 ? 0 : first;
  const cells = meta.length * days;
  const price = new Float64Array(cells).fill(Number.NaN);
  const marketCap = new Float64Array(cells).fill(Number.NaN);
  const volume = new Float64Array(cells).fill(Number.NaN);
  const owner = new Int32Array(cells).fill(-1);
  const place = (strict: boolean): void => {
    for (let r = 0; r < rows.length; r++) {
      const row = rows[r];
      if (row === undefined || (row.priority === 'fill') === strict) continue;
      const cell = (ids.get(row.id) ?? 0) * days + (row.day - firstDay);
      const prev = owner[cell] ?? -1;
      if (prev >= 0) {
        if (!strict) continue;
        const other = rows[prev];
        throw new MarketDataError(
          `${row.id} has a second row for ${isoDay(row.day)} (the first is at ${other === undefined ? '?' : where(other)})`,
          row.at === undefined ? undefined : { ...row.at, field: row.at.field ?? 'date' },
        );
      }
      owner[cell] = r;
      price[cell] = row.price;
      marketCap[cell] = row.marketCap;
      volume[cell] = row.volume;
    }
  };
  place(true);
  place(false);
  const assets: AssetInfo[] = meta.map((m) => ({ id: m.id, symbol: m.symbol, name: m.name, tags: [...m.tags].sort() }));
  return createDataset({ source, firstDay, days, assets, price, marketCap, volume });
}
