import type { MarketDataset } from '../market/dataset.ts';
import { averageMarketCap, medianVolume, pegShare } from './market-stats.ts';
import type { IndexRules } from './rules.ts';

/** Why an asset is not eligible on a data day; checked in this order, the first that applies is given. */
export type IneligibleReason =
  | 'EXCLUDED_TAG' // stablecoin, pegged, wrapped, bridged or staking tag
  | 'DENYLIST' // on the versioned wrapped/bridged/staking denylist
  | 'NO_CLOSE' // no close on the data day itself
  | 'SHORT_HISTORY' // first close less than minHistoryDays days before
  | 'PEGGED_PRICE' // within 2% of $1 on at least 90% of the priced days of the last 30
  | 'LOW_VOLUME' // 30-day median volume under $1M
  | 'NO_MARKET_CAP'; // no known market cap in the ranking window

/** Assets excluded whatever their data: by tag or by the denylist. 1 = tag, 2 = denylist. */
export function staticExclusions(ds: MarketDataset, rules: IndexRules): Uint8Array {
  const out = new Uint8Array(ds.assets.length);
  const tags = new Set(rules.excludedTags);
  ds.assets.forEach((a, i) => {
    if (a.tags.some((t) => tags.has(t))) out[i] = 1;
    else if (rules.denylist.ids.has(a.id)) out[i] = 2;
  });
  return out;
}

/** What the screen needs besides the dataset, computed once per run. */
export interface ScreenContext {
  readonly ds: MarketDataset;
  readonly rules: IndexRules;
  readonly excluded: Uint8Array;
  /** Offset of each asset's first close. */
  readonly firstPriced: Int32Array;
  readonly scratch: Float64Array;
}

/**
 * Screens asset `a` on data day `s` (a dataset offset; the Saturday before a selection). Returns
 * null and writes the ranking market cap (mean of the last `capAverageDays` known caps) to
 * `out.averageCap` when eligible, else the first reason it is not. Reads no day after `s`.
 */
export function screenAsset(ctx: ScreenContext, a: number, s: number, out: { averageCap: number }): IneligibleReason | null {
  const { ds, rules } = ctx;
  const ex = ctx.excluded[a] ?? 0;
  if (ex === 1) return 'EXCLUDED_TAG';
  if (ex === 2) return 'DENYLIST';
  if (s < 0 || s >= ds.days || Number.isNaN(ds.price[a * ds.days + s] ?? Number.NaN)) return 'NO_CLOSE';
  // 30 days of history: the first close is at least 29 days before the data day, so a 30-day
  // window ending on it lies inside the asset's life.
  if ((ctx.firstPriced[a] ?? ds.days) > s - (rules.minHistoryDays - 1)) return 'SHORT_HISTORY';
  if (pegShare(ds, a, s, rules.pegWindowDays, rules.pegBand) >= rules.pegShare) return 'PEGGED_PRICE';
  const vol = medianVolume(ds, a, s, rules.volumeWindowDays, ctx.scratch);
  if (!(vol >= rules.minMedianVolumeUsd)) return 'LOW_VOLUME';
  const cap = averageMarketCap(ds, a, s, rules.capAverageDays);
  if (!(cap > 0)) return 'NO_MARKET_CAP';
  out.averageCap = cap;
  return null;
}

/** An eligible asset with its ranking market cap. */
export interface Candidate {
  asset: number;
  averageCap: number;
}

/**
 * Every eligible asset on data day `s`, ranked: largest average market cap first, ties broken by
 * id so the order never depends on the data's asset order.
 */
export function rankEligible(ctx: ScreenContext, s: number): Candidate[] {
  const out: Candidate[] = [];
  const cap = { averageCap: 0 };
  for (let a = 0; a < ctx.ds.assets.length; a++) {
    if (screenAsset(ctx, a, s, cap) === null) out.push({ asset: a, averageCap: cap.averageCap });
  }
  const ids = ctx.ds.assets;
  return out.sort((x, y) => y.averageCap - x.averageCap || ((ids[x.asset]?.id ?? '') < (ids[y.asset]?.id ?? '') ? -1 : 1));
}
