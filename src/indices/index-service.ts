import { closeTime, isoDay, parseDay } from '../market/calendar.ts';
import { assetIndex, type MarketDataset } from '../market/dataset.ts';
import type { MarketService } from '../market/market-service.ts';
import { backtestMetrics, runBacktest, type BacktestMetrics, type BacktestResult } from './backtest.ts';
import { quoteSwap, type Quote, type QuoteSide } from './costs.ts';
import type { RegimeName, Transaction, TransactionType } from './engine.ts';
import { IndexQueryError } from './errors.ts';
import { averageVolume, dailyVolatility } from './market-stats.ts';
import { BULL } from './regime.ts';
import { CT100_RULES, type IndexRules, type WeightVariant } from './rules.ts';

/** Options of {@link createIndexService}. */
export interface IndexServiceOptions {
  market: MarketService;
  rules?: IndexRules;
  variant?: WeightVariant;
  /** Base date `YYYY-MM-DD` (level 1000); default: the first day the regime signal exists. */
  from?: string;
  /** Fixed network fee of a quote, in USD (default 0: paper trading). */
  networkFeeUsd?: number;
}

/** One day of the index. */
export interface LevelPoint {
  date: string;
  levelGross: number;
  levelNet: number;
  regime: RegimeName;
}

/** One holding of the net (investable) portfolio at a close. */
export interface Constituent {
  id: string;
  symbol: string;
  /** Tokens held by the notional portfolio. */
  quantity: number;
  /** The close used (the last one when the day has none). */
  price: number;
  valueUsd: number;
  /** Share of the portfolio value at this close. */
  weight: number;
  /** Weight the last trade aimed at. */
  targetWeight: number;
}

/** The index at a close: what `/v1/indices/ct100` serves. */
export interface IndexSnapshot {
  id: 'ct100';
  name: string;
  asOf: string;
  /** The close, 24:00 UTC of asOf. */
  time: string;
  level: { gross: number; net: number };
  /** Σq·P / I for each series: anyone can recompute the level from the holdings and closes. */
  divisor: { gross: number; net: number };
  regime: RegimeName;
  invested: boolean;
  constituents: Constituent[];
  lastTransaction: { seq: number; date: string; type: TransactionType } | null;
  rulesVersion: string;
  variant: WeightVariant;
}

/** The regime signal at a close: what `/v1/signals/regime` serves. */
export interface RegimeView {
  asOf: string;
  state: RegimeName;
  btcClose: number | null;
  sma: number | null;
  smaDays: number;
  ratio: number | null;
  /** The close must stay above this (bullBand·SMA) for confirmDays closes to turn bull. */
  bullThreshold: number | null;
  /** … below this (bearBand·SMA) to turn bear. */
  bearThreshold: number | null;
  aboveStreak: number;
  belowStreak: number;
  confirmDays: number;
  lastSwitch: { decidedOn: string; executedOn: string; to: RegimeName } | null;
  /** A switch decided at or before asOf that executes after it. */
  pendingSwitch: { decidedOn: string; executesOn: string; to: RegimeName } | null;
}

/** A page request on the transactions log (cursor = last seq seen). */
export interface TransactionQuery {
  /** Entries after this seq (the `nextCursor` of the previous page). */
  after?: number;
  /** 1–1000, default 100. */
  limit?: number;
  type?: TransactionType;
  from?: string;
  to?: string;
}

/** A page of the transactions log. */
export interface TransactionPage {
  data: Transaction[];
  /** Pass as `after` for the next page; null on the last page. */
  nextCursor: number | null;
}

/** A swap to quote (DESIGN.md §8 cost model). */
export interface QuoteRequest {
  /** Asset id, or `usd` for cash. */
  from: string;
  to: string;
  /** Units of `from`. */
  amount: number;
  /** Accepted shortfall, as a fraction (default 0.005). */
  tolerance?: number;
  /** Price on this close (default: the latest). */
  asOf?: string;
}

/**
 * The index as a read-only service for the data API: levels, regime, holdings, transactions,
 * metrics and quotes. Holds one computed backtest; `refresh()` reloads the market and recomputes
 * when the data changed. Every method answers from memory and never does I/O.
 */
export interface IndexService {
  info(): { id: 'ct100'; name: string; rulesVersion: string; denylistVersion: string; variant: WeightVariant; source: string; baseDate: string; baseLevel: number; from: string; to: string };
  regime(asOf?: string): RegimeView;
  index(asOf?: string): IndexSnapshot;
  holdings(asOf?: string): Constituent[];
  transactions(query?: TransactionQuery): TransactionPage;
  levels(from?: string, to?: string): LevelPoint[];
  metrics(from?: string, to?: string): BacktestMetrics;
  quote(request: QuoteRequest): Quote & { asOf: string };
  /** The whole backtest (for reports); treat it as read-only. */
  backtest(): BacktestResult;
  refresh(): Promise<void>;
}

const NAME = 'Clavis Top 100';

function dayParam(text: string, field: string): number {
  const day = parseDay(text);
  if (day === null) throw new IndexQueryError('INDEX_QUERY_INVALID', field, `${field}: expected a date YYYY-MM-DD, got "${text}"`);
  return day;
}

/**
 * Computes the index over the market service's data and serves it.
 *
 * @example
 * const market = await createMarketService(createSimulatorProvider())
 * const index = await createIndexService({ market })
 * index.index().level.net
 */
export async function createIndexService(opts: IndexServiceOptions): Promise<IndexService> {
  const rules = opts.rules ?? CT100_RULES;
  const variant = opts.variant ?? 'plain';
  const compute = (ds: MarketDataset): BacktestResult => runBacktest(ds, { rules, variant, ...(opts.from === undefined ? {} : { from: dayParam(opts.from, 'from') }) });
  let ds = opts.market.dataset();
  let bt = compute(ds);
  let full = bt.metrics;

  const run = (): BacktestResult['index'] => bt.index;
  const lastIndexDay = (): number => run().firstDay + run().days - 1;
  /** Offset into the index series of a date (default: the last day), checked against its range. */
  const indexOffset = (asOf: string | undefined, field = 'asOf'): number => {
    const day = asOf === undefined ? lastIndexDay() : dayParam(asOf, field);
    const k = day - run().firstDay;
    if (k < 0 || k >= run().days) throw new IndexQueryError('INDEX_DATE_OUT_OF_RANGE', field, `${field}: the index covers ${isoDay(run().firstDay)} to ${isoDay(lastIndexDay())}, not ${isoDay(day)}`);
    return k;
  };
  const lastClose = (a: number, t: number): number => {
    for (let d = t; d >= 0; d--) {
      const p = ds.price[a * ds.days + d] ?? Number.NaN;
      if (!Number.isNaN(p)) return p;
    }
    return a === assetIndex(ds, rules.bearAssetId) ? 1 : Number.NaN;
  };
  const snapshotAt = (day: number): BacktestResult['index']['snapshots'][number] | undefined => {
    const snaps = run().snapshots;
    let lo = 0;
    let hi = snaps.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if ((snaps[mid]?.day ?? Number.POSITIVE_INFINITY) <= day) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found < 0 ? undefined : snaps[found];
  };
  const holdingsAt = (k: number): Constituent[] => {
    const day = run().firstDay + k;
    const snap = snapshotAt(day);
    if (snap === undefined) return [];
    const t = day - ds.firstDay;
    const rows = Array.from(snap.assets, (a, i) => {
      const price = lastClose(a, t);
      const quantity = snap.qNet[i] ?? 0;
      return { id: ds.assets[a]?.id ?? '', symbol: ds.assets[a]?.symbol ?? '', quantity, price, valueUsd: quantity * price, weight: 0, targetWeight: snap.targetWeights[i] ?? 0 };
    });
    const total = rows.reduce((s, r) => s + r.valueUsd, 0);
    for (const r of rows) r.weight = total > 0 ? r.valueUsd / total : 0;
    return rows.sort((x, y) => y.valueUsd - x.valueUsd || (x.id < y.id ? -1 : 1));
  };
  const name = (state: number): RegimeName => (state === BULL ? 'bull' : 'bear');

  return {
    info: () => ({
      id: 'ct100',
      name: NAME,
      rulesVersion: rules.version,
      denylistVersion: rules.denylist.version,
      variant,
      source: ds.source,
      baseDate: isoDay(run().firstDay),
      baseLevel: rules.baseLevel,
      from: isoDay(run().firstDay),
      to: isoDay(lastIndexDay()),
    }),

    regime: (asOf) => {
      const sig = run().signal;
      const day = asOf === undefined ? lastIndexDay() : dayParam(asOf, 'asOf');
      const t = day - ds.firstDay;
      if (t < 0 || t >= sig.state.length) throw new IndexQueryError('INDEX_DATE_OUT_OF_RANGE', 'asOf', `asOf: the signal covers ${isoDay(ds.firstDay)} to ${isoDay(ds.firstDay + sig.state.length - 1)}, not ${isoDay(day)}`);
      const btc = assetIndex(ds, rules.btcId);
      const c = ds.price[btc * ds.days + t] ?? Number.NaN;
      const m = sig.sma[t] ?? Number.NaN;
      const done = sig.switches.filter((s) => s.executed <= t).at(-1);
      const pending = [...sig.switches, ...(sig.pending === null ? [] : [sig.pending])].find((s) => s.decided <= t && s.executed > t);
      return {
        asOf: isoDay(day),
        state: name(sig.state[t] ?? 0),
        btcClose: Number.isNaN(c) ? null : c,
        sma: Number.isNaN(m) ? null : m,
        smaDays: rules.smaDays,
        ratio: Number.isNaN(c) || Number.isNaN(m) ? null : c / m,
        bullThreshold: Number.isNaN(m) ? null : rules.bullBand * m,
        bearThreshold: Number.isNaN(m) ? null : rules.bearBand * m,
        aboveStreak: sig.above[t] ?? 0,
        belowStreak: sig.below[t] ?? 0,
        confirmDays: rules.confirmDays,
        lastSwitch: done === undefined ? null : { decidedOn: isoDay(ds.firstDay + done.decided), executedOn: isoDay(ds.firstDay + done.executed), to: done.to },
        pendingSwitch: pending === undefined ? null : { decidedOn: isoDay(ds.firstDay + pending.decided), executesOn: isoDay(ds.firstDay + pending.executed), to: pending.to },
      };
    },

    index: (asOf) => {
      const k = indexOffset(asOf);
      const r = run();
      const date = isoDay(r.firstDay + k);
      const last = r.transactions.filter((t) => t.date <= date).at(-1);
      return {
        id: 'ct100',
        name: NAME,
        asOf: date,
        time: closeTime(r.firstDay + k),
        level: { gross: r.levelGross[k] ?? Number.NaN, net: r.levelNet[k] ?? Number.NaN },
        divisor: r.divisor,
        regime: name(r.regime[k] ?? 0),
        invested: (r.invested[k] ?? 0) === 1,
        constituents: holdingsAt(k),
        lastTransaction: last === undefined ? null : { seq: last.seq, date: last.date, type: last.type },
        rulesVersion: rules.version,
        variant,
      };
    },

    holdings: (asOf) => holdingsAt(indexOffset(asOf)),

    transactions: (query = {}) => {
      const limit = query.limit ?? 100;
      if (!Number.isSafeInteger(limit) || limit < 1 || limit > 1000) throw new IndexQueryError('INDEX_QUERY_INVALID', 'limit', `limit: expected 1–1000, got ${limit}`);
      if (query.from !== undefined) dayParam(query.from, 'from');
      if (query.to !== undefined) dayParam(query.to, 'to');
      const after = query.after ?? 0;
      const out: Transaction[] = [];
      let more = false;
      for (const t of run().transactions) {
        if (t.seq <= after) continue;
        if (query.type !== undefined && t.type !== query.type) continue;
        if (query.from !== undefined && t.date < query.from) continue;
        if (query.to !== undefined && t.date > query.to) continue;
        if (out.length === limit) {
          more = true;
          break;
        }
        out.push(t);
      }
      return { data: out, nextCursor: more ? (out.at(-1)?.seq ?? null) : null };
    },

    levels: (from, to) => {
      const r = run();
      const lo = from === undefined ? 0 : Math.max(0, dayParam(from, 'from') - r.firstDay);
      const hi = to === undefined ? r.days - 1 : Math.min(r.days - 1, dayParam(to, 'to') - r.firstDay);
      const out: LevelPoint[] = [];
      for (let k = lo; k <= hi; k++) out.push({ date: isoDay(r.firstDay + k), levelGross: r.levelGross[k] ?? Number.NaN, levelNet: r.levelNet[k] ?? Number.NaN, regime: name(r.regime[k] ?? 0) });
      return out;
    },

    metrics: (from, to) => {
      if (from === undefined && to === undefined) return full;
      const lo = from === undefined ? 0 : indexOffset(from, 'from');
      const hi = to === undefined ? run().days - 1 : indexOffset(to, 'to');
      if (lo >= hi) throw new IndexQueryError('INDEX_QUERY_INVALID', 'from', 'from: must be before to');
      return backtestMetrics(bt.index, bt.benchmark, bt.btcLevels, lo, hi);
    },

    quote: (req) => {
      const t = req.asOf === undefined ? ds.days - 1 : dayParam(req.asOf, 'asOf') - ds.firstDay;
      if (t < 0 || t >= ds.days) throw new IndexQueryError('INDEX_DATE_OUT_OF_RANGE', 'asOf', `asOf: the data covers ${isoDay(ds.firstDay)} to ${isoDay(ds.firstDay + ds.days - 1)}`);
      const side = (id: string, field: string): QuoteSide => {
        if (id === 'usd') return { id, price: 1, sigma: 0, adv: Number.POSITIVE_INFINITY, cash: true };
        const a = assetIndex(ds, id);
        if (a < 0) throw new IndexQueryError('ASSET_NOT_FOUND', field, `${field}: no asset "${id}"`);
        const price = lastClose(a, t);
        if (!(price > 0)) throw new IndexQueryError('ASSET_NOT_FOUND', field, `${field}: "${id}" has no close on or before ${isoDay(ds.firstDay + t)}`);
        return { id, price, sigma: dailyVolatility(ds, a, t, rules.costs.windowDays), adv: averageVolume(ds, a, t, rules.costs.windowDays), cash: false };
      };
      if (req.from === req.to) throw new IndexQueryError('INDEX_QUERY_INVALID', 'to', 'to: must differ from from');
      if (!(req.amount > 0) || !Number.isFinite(req.amount)) throw new IndexQueryError('INDEX_QUERY_INVALID', 'amount', `amount: expected a positive number, got ${req.amount}`);
      const tolerance = req.tolerance ?? 0.005;
      if (!(tolerance >= 0 && tolerance < 1)) throw new IndexQueryError('INDEX_QUERY_INVALID', 'tolerance', `tolerance: expected a fraction in [0, 1), got ${tolerance}`);
      const q = quoteSwap({ from: side(req.from, 'from'), to: side(req.to, 'to'), amountIn: req.amount, tolerance, networkFeeUsd: opts.networkFeeUsd ?? 0, model: rules.costs });
      return { ...q, asOf: isoDay(ds.firstDay + t) };
    },

    backtest: () => bt,

    refresh: async () => {
      await opts.market.refresh();
      const next = opts.market.dataset();
      if (next === ds) return;
      const result = compute(next);
      ds = next;
      bt = result;
      full = bt.metrics;
    },
  };
}
