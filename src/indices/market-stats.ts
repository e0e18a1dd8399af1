import type { MarketDataset } from '../market/dataset.ts';

/**
 * Trailing-window statistics of one asset, read straight from the dataset's typed arrays. `end`
 * is a day offset into the dataset and is included; nothing after it is read. Missing days are
 * skipped (a window of 30 days with 2 gaps averages 28 values).
 */

/** Mean of the known market caps in the `days` days ending at `end`; NaN when none is known. */
export function averageMarketCap(ds: MarketDataset, asset: number, end: number, days: number): number {
  const base = asset * ds.days;
  let sum = 0;
  let n = 0;
  for (let d = Math.max(0, end - days + 1); d <= end; d++) {
    const c = ds.marketCap[base + d] ?? Number.NaN;
    if (c === c && !Number.isNaN(ds.price[base + d] ?? Number.NaN)) {
      sum += c;
      n++;
    }
  }
  return n === 0 ? Number.NaN : sum / n;
}

/** Median of the known volumes in the window; NaN when none is known. `scratch` avoids allocation. */
export function medianVolume(ds: MarketDataset, asset: number, end: number, days: number, scratch: Float64Array = new Float64Array(days)): number {
  const base = asset * ds.days;
  let n = 0;
  for (let d = Math.max(0, end - days + 1); d <= end; d++) {
    const v = ds.volume[base + d] ?? Number.NaN;
    if (v !== v || Number.isNaN(ds.price[base + d] ?? Number.NaN)) continue;
    // Insertion into the sorted prefix: a window of 30 sorts faster this way than with sort().
    let k = n++;
    while (k > 0 && (scratch[k - 1] ?? 0) > v) {
      scratch[k] = scratch[k - 1] ?? 0;
      k--;
    }
    scratch[k] = v;
  }
  if (n === 0) return Number.NaN;
  const mid = n >> 1;
  return n % 2 === 1 ? (scratch[mid] ?? Number.NaN) : ((scratch[mid - 1] ?? 0) + (scratch[mid] ?? 0)) / 2;
}

/** How many of the window's priced days closed within `band` of $1, as a share of them (NaN when none is priced). */
export function pegShare(ds: MarketDataset, asset: number, end: number, days: number, band: number): number {
  const price = ds.price;
  const base = asset * ds.days;
  let priced = 0;
  let within = 0;
  for (let d = Math.max(0, end - days + 1); d <= end; d++) {
    const p = price[base + d] ?? Number.NaN;
    if (p !== p) continue;
    priced++;
    if (Math.abs(p - 1) <= band) within++;
  }
  return priced === 0 ? Number.NaN : within / priced;
}

/**
 * Standard deviation (n − 1) of the daily log returns inside the window, using only pairs of
 * consecutive days that both have a close; NaN with fewer than two returns.
 */
export function dailyVolatility(ds: MarketDataset, asset: number, end: number, days: number): number {
  const base = asset * ds.days;
  let n = 0;
  let mean = 0;
  let m2 = 0;
  for (let d = Math.max(1, end - days + 2); d <= end; d++) {
    const p0 = ds.price[base + d - 1] ?? Number.NaN;
    const p1 = ds.price[base + d] ?? Number.NaN;
    if (p0 !== p0 || p1 !== p1) continue;
    const r = Math.log(p1 / p0);
    n++;
    const delta = r - mean;
    mean += delta / n;
    m2 += delta * (r - mean);
  }
  return n < 2 ? Number.NaN : Math.sqrt(m2 / (n - 1));
}

/** Mean daily volume (ADV) of the known days in the window; NaN when none is known. */
export function averageVolume(ds: MarketDataset, asset: number, end: number, days: number): number {
  const base = asset * ds.days;
  let sum = 0;
  let n = 0;
  for (let d = Math.max(0, end - days + 1); d <= end; d++) {
    const v = ds.volume[base + d] ?? Number.NaN;
    if (v === v && !Number.isNaN(ds.price[base + d] ?? Number.NaN)) {
      sum += v;
      n++;
    }
  }
  return n === 0 ? Number.NaN : sum / n;
}

/** Offset of each asset's first close (or `ds.days` when it never has one). */
export function firstPricedDays(ds: MarketDataset): Int32Array {
  const out = new Int32Array(ds.assets.length).fill(ds.days);
  for (let a = 0; a < ds.assets.length; a++) {
    const base = a * ds.days;
    for (let d = 0; d < ds.days; d++) {
      if (!Number.isNaN(ds.price[base + d] ?? Number.NaN)) {
        out[a] = d;
        break;
      }
    }
  }
  return out;
}
