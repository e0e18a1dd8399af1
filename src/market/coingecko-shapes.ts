import { closeDayOf } from './calendar.ts';
import type { MarketRow } from './dataset.ts';
import { MarketDataError } from './errors.ts';
import { formatPath, lineOfPath, type JsonPath } from './json-locate.ts';

/** One item of CoinGecko `GET /coins/markets` (the fields Clavis reads). */
export interface CoinGeckoMarket {
  id: string;
  symbol: string;
  name: string;
  current_price: number | null;
  market_cap: number | null;
  total_volume: number | null;
  last_updated: string | null;
}

/** CoinGecko `GET /coins/{id}/market_chart/range`: `[epoch ms, value]` points. */
export interface CoinGeckoChart {
  prices: [number, number | null][];
  market_caps: [number, number | null][];
  total_volumes: [number, number | null][];
}

/** The text a JSON value came from, so an error can name the file (or request) and line. */
export interface JsonSource {
  name: string;
  text: string;
}

function fail(src: JsonSource, path: JsonPath, reason: string): never {
  const line = lineOfPath(src.text, path);
  throw new MarketDataError(reason, { file: src.name, ...(line === undefined ? {} : { line }), field: formatPath(path) });
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return `"${v.length > 40 ? `${v.slice(0, 40)}…` : v}"`;
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  return typeof v === 'undefined' ? 'nothing' : 'an object';
}

function text(src: JsonSource, obj: Record<string, unknown>, key: string, path: JsonPath): string {
  const v = obj[key];
  if (typeof v !== 'string' || v === '') fail(src, [...path, key], `expected a non-empty string, got ${describe(v)}`);
  return v;
}

function amount(src: JsonSource, obj: Record<string, unknown>, key: string, path: JsonPath): number | null {
  const v = obj[key];
  if (v === null || v === undefined) return null;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) fail(src, [...path, key], `expected a number ≥ 0 or null, got ${describe(v)}`);
  return v;
}

/**
 * Checks a `/coins/markets` answer and returns its items.
 *
 * @throws MarketDataError naming the source, line and JSON path of the first bad field.
 */
export function parseMarkets(value: unknown, src: JsonSource): CoinGeckoMarket[] {
  if (!Array.isArray(value)) fail(src, [], `expected the /coins/markets array, got ${describe(value)}`);
  return value.map((item: unknown, k): CoinGeckoMarket => {
    if (!isRecord(item)) fail(src, [k], `expected a market object, got ${describe(item)}`);
    const lu = item.last_updated;
    if (lu !== null && lu !== undefined && (typeof lu !== 'string' || Number.isNaN(Date.parse(lu)))) fail(src, [k, 'last_updated'], `expected an ISO time or null, got ${describe(lu)}`);
    return {
      id: text(src, item, 'id', [k]),
      symbol: text(src, item, 'symbol', [k]),
      name: typeof item.name === 'string' ? item.name : text(src, item, 'id', [k]),
      current_price: amount(src, item, 'current_price', [k]),
      market_cap: amount(src, item, 'market_cap', [k]),
      total_volume: amount(src, item, 'total_volume', [k]),
      last_updated: typeof lu === 'string' ? lu : null,
    };
  });
}

function points(src: JsonSource, obj: Record<string, unknown>, key: 'prices' | 'market_caps' | 'total_volumes'): [number, number | null][] {
  const list = obj[key];
  if (!Array.isArray(list)) fail(src, [key], `expected an array of [epoch ms, value] points, got ${describe(list)}`);
  return list.map((p: unknown, k): [number, number | null] => {
    if (!Array.isArray(p) || p.length !== 2) fail(src, [key, k], `expected a [epoch ms, value] pair, got ${describe(p)}`);
    const [t, v] = p as [unknown, unknown];
    if (typeof t !== 'number' || !Number.isSafeInteger(t) || t < 0) fail(src, [key, k, 0], `expected a time in epoch milliseconds, got ${describe(t)}`);
    if (v === null) return [t, null];
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || (key === 'prices' && v === 0)) {
      fail(src, [key, k, 1], key === 'prices' ? `expected a price > 0, got ${describe(v)}` : `expected a number ≥ 0 or null, got ${describe(v)}`);
    }
    return [t, v];
  });
}

/**
 * Checks a `/coins/{id}/market_chart/range` answer.
 *
 * @throws MarketDataError naming the source, line and JSON path of the first bad point.
 */
export function parseChart(value: unknown, src: JsonSource): CoinGeckoChart {
  if (!isRecord(value)) fail(src, [], `expected a market_chart object with prices, market_caps and total_volumes, got ${describe(value)}`);
  return { prices: points(src, value, 'prices'), market_caps: points(src, value, 'market_caps'), total_volumes: points(src, value, 'total_volumes') };
}

/**
 * Rows of a `/coins/markets` snapshot, each dated by the close its `last_updated` time belongs to.
 * Items without a price or time are left out. Rows have `fill` priority: next to a history they
 * only fill days it lacks.
 */
export function marketsToRows(markets: readonly CoinGeckoMarket[], src: JsonSource): MarketRow[] {
  const rows: MarketRow[] = [];
  markets.forEach((m, k) => {
    if (m.current_price === null || !(m.current_price > 0) || m.last_updated === null) return;
    rows.push({
      day: closeDayOf(Date.parse(m.last_updated)),
      id: m.id,
      symbol: m.symbol,
      name: m.name,
      price: m.current_price,
      marketCap: m.market_cap ?? Number.NaN,
      volume: m.total_volume ?? Number.NaN,
      tags: [],
      at: { file: src.name, field: `[${k}]` },
      priority: 'fill',
    });
  });
  return rows;
}

/** Last value per close day (by time; a later point of the same day replaces an earlier one). */
function byDay(list: readonly [number, number | null][]): Map<number, number> {
  const out = new Map<number, number>();
  const when = new Map<number, number>();
  for (const [t, v] of list) {
    if (v === null) continue;
    const day = closeDayOf(t);
    if ((when.get(day) ?? Number.NEGATIVE_INFINITY) <= t) {
      when.set(day, t);
      out.set(day, v);
    }
  }
  return out;
}

/**
 * Daily closes from a market chart: a point at time T belongs to the close of the day whose
 * window (D 00:00, D+1 00:00] holds T, and the last point of a window is that day's close. So
 * CoinGecko's daily points stamped 00:00 UTC are the closes of the day before, and an intraday
 * series reduces to its last point per day. With `lastClosedDay`, later (unfinished) days are dropped.
 */
export function chartToRows(
  chart: CoinGeckoChart,
  asset: { id: string; symbol: string; name?: string; tags?: readonly string[] },
  src: JsonSource,
  opts: { lastClosedDay?: number } = {},
): MarketRow[] {
  const prices = byDay(chart.prices);
  const caps = byDay(chart.market_caps);
  const vols = byDay(chart.total_volumes);
  const rows: MarketRow[] = [];
  for (const [day, price] of [...prices].sort((a, b) => a[0] - b[0])) {
    if (opts.lastClosedDay !== undefined && day > opts.lastClosedDay) continue;
    rows.push({
      day,
      id: asset.id,
      symbol: asset.symbol,
      ...(asset.name === undefined ? {} : { name: asset.name }),
      price,
      marketCap: caps.get(day) ?? Number.NaN,
      volume: vols.get(day) ?? Number.NaN,
      tags: asset.tags ?? [],
      at: { file: src.name, field: 'prices' },
    });
  }
  return rows;
}
