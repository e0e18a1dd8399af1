import { isoDay, parseDay } from './calendar.ts';
import { assetIndex, lastDay, type AssetInfo, type MarketDataset } from './dataset.ts';
import type { DayRange, MarketDataProvider } from './provider.ts';

/** The latest close of one asset. */
export interface PriceView {
  id: string;
  symbol: string;
  name: string;
  tags: readonly string[];
  /** The day of this close (`YYYY-MM-DD`; the close is at 24:00 UTC). */
  date: string;
  price: number;
  marketCap: number | null;
  volume24h: number | null;
  /** Price change against the previous day's close, as a fraction; null without that close. */
  change24h: number | null;
}

/** One day of an asset's history. */
export interface HistoryPoint {
  date: string;
  price: number;
  marketCap: number | null;
  volume: number | null;
}

/**
 * Read access to market data for the data API (`/v1/prices`, `/v1/prices/{id}/history`).
 * Holds one loaded dataset; `refresh()` loads it again (a live provider grows by a day).
 */
export interface MarketService {
  readonly providerName: string;
  dataset(): MarketDataset;
  /** The last day of data, `YYYY-MM-DD`. */
  asOf(): string;
  assets(): readonly AssetInfo[];
  /**
   * The latest close of every asset priced within 72 h of the last day (a delisted asset drops
   * out), largest market cap first; `ids` limits the list.
   */
  latestPrices(ids?: readonly string[]): PriceView[];
  /** The close of one asset on `asOf` (default: its latest), or null when unknown or unpriced. */
  price(id: string, asOf?: string): PriceView | null;
  /** Daily closes of one asset between two `YYYY-MM-DD` dates (inclusive); null for an unknown id. */
  history(id: string, from?: string, to?: string): HistoryPoint[] | null;
  refresh(): Promise<void>;
}

const STALE_DAYS = 3;

const orNull = (x: number): number | null => (Number.isNaN(x) ? null : x);

function view(ds: MarketDataset, a: number, d: number): PriceView {
  const info = ds.assets[a];
  if (info === undefined) throw new RangeError(`no asset ${a}`);
  const base = a * ds.days;
  const price = ds.price[base + d] ?? Number.NaN;
  const prev = d > 0 ? (ds.price[base + d - 1] ?? Number.NaN) : Number.NaN;
  return {
    id: info.id,
    symbol: info.symbol,
    name: info.name,
    tags: info.tags,
    date: isoDay(ds.firstDay + d),
    price,
    marketCap: orNull(ds.marketCap[base + d] ?? Number.NaN),
    volume24h: orNull(ds.volume[base + d] ?? Number.NaN),
    change24h: Number.isNaN(prev) ? null : price / prev - 1,
  };
}

/** Offset of the last priced day of asset `a` at or before offset `d`, or -1. */
function lastPriced(ds: MarketDataset, a: number, d: number): number {
  const base = a * ds.days;
  for (let k = Math.min(d, ds.days - 1); k >= 0; k--) if (!Number.isNaN(ds.price[base + k] ?? Number.NaN)) return k;
  return -1;
}

function dayArg(text: string | undefined, name: string): number | undefined {
  if (text === undefined) return undefined;
  const day = parseDay(text);
  if (day === null) throw new RangeError(`${name}: expected a date YYYY-MM-DD, got "${text}"`);
  return day;
}

/**
 * Loads the provider once and serves prices from memory.
 *
 * @example
 * const market = await createMarketService(createSimulatorProvider({ seed: 1 }))
 * market.latestPrices(['bitcoin'])[0]?.price
 */
export async function createMarketService(provider: MarketDataProvider, range?: DayRange): Promise<MarketService> {
  let ds = await provider.load(range);
  return {
    providerName: provider.name,
    dataset: () => ds,
    asOf: () => isoDay(lastDay(ds)),
    assets: () => ds.assets,
    latestPrices: (ids) => {
      const last = ds.days - 1;
      const wanted = ids === undefined ? null : new Set(ids);
      const out: PriceView[] = [];
      ds.assets.forEach((info, a) => {
        if (wanted !== null && !wanted.has(info.id)) return;
        const d = lastPriced(ds, a, last);
        if (d >= 0 && last - d <= STALE_DAYS) out.push(view(ds, a, d));
      });
      return out.sort((x, y) => (y.marketCap ?? -1) - (x.marketCap ?? -1) || x.id.localeCompare(y.id));
    },
    price: (id, asOf) => {
      const a = assetIndex(ds, id);
      if (a < 0) return null;
      const day = dayArg(asOf, 'asOf') ?? lastDay(ds);
      const d = day - ds.firstDay;
      if (d < 0 || d >= ds.days || Number.isNaN(ds.price[a * ds.days + d] ?? Number.NaN)) {
        if (asOf !== undefined) return null;
        const k = lastPriced(ds, a, ds.days - 1);
        return k < 0 ? null : view(ds, a, k);
      }
      return view(ds, a, d);
    },
    history: (id, from, to) => {
      const a = assetIndex(ds, id);
      if (a < 0) return null;
      const lo = Math.max(0, (dayArg(from, 'from') ?? ds.firstDay) - ds.firstDay);
      const hi = Math.min(ds.days - 1, (dayArg(to, 'to') ?? lastDay(ds)) - ds.firstDay);
      const out: HistoryPoint[] = [];
      const base = a * ds.days;
      for (let d = lo; d <= hi; d++) {
        const price = ds.price[base + d] ?? Number.NaN;
        if (Number.isNaN(price)) continue;
        out.push({ date: isoDay(ds.firstDay + d), price, marketCap: orNull(ds.marketCap[base + d] ?? Number.NaN), volume: orNull(ds.volume[base + d] ?? Number.NaN) });
      }
      return out;
    },
    refresh: async () => {
      ds = await provider.load(range);
    },
  };
}
