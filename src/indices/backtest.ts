import { isoDay } from '../market/calendar.ts';
import { assetIndex, type MarketDataset } from '../market/dataset.ts';
import { IndexDataError } from './errors.ts';
import { runIndex, type IndexRun } from './engine.ts';
import { relativeMetrics, seriesMetrics, type RelativeMetrics, type SeriesMetrics } from './metrics.ts';
import { CT100_RULES, type IndexRules, type WeightVariant } from './rules.ts';

/** Options of {@link runBacktest}. */
export interface BacktestOptions {
  rules?: IndexRules;
  variant?: WeightVariant;
  /** Base day (day number); default: the first day the regime signal exists. */
  from?: number;
  /** Last day (day number); default: the data's last day. */
  to?: number;
  /** Called as each run advances; `part` names the run (`index`, `benchmark`). */
  onProgress?: (done: number, total: number, part: 'index' | 'benchmark') => void;
}

/** Everything DESIGN.md §8 asks of a backtest, over one period. */
export interface BacktestMetrics {
  source: string;
  rulesVersion: string;
  denylistVersion: string;
  variant: WeightVariant;
  from: string;
  to: string;
  days: number;
  years: number;
  /** The index net of costs, gross of costs, buy-and-hold Top 100 (no regime signal, net of costs) and BTC. */
  series: { net: SeriesMetrics; gross: SeriesMetrics; top100: SeriesMetrics; btc: SeriesMetrics };
  /** The net index against each benchmark. */
  relative: { top100: RelativeMetrics; btc: RelativeMetrics };
  /** One-way turnover per year (Σ of each charged trade's Σ|Δw|/2, divided by the years). */
  turnover: number;
  /** CAGR gross − CAGR net: what costs take per year. */
  costDrag: number;
  costsUsd: number;
  /** Executed regime switches. */
  switches: number;
  emergencies: number;
  rebalances: number;
  /** Share of days holding tokens (not the bear asset). */
  timeInvested: number;
}

/** A backtest: the index run, its benchmarks and the metrics. */
export interface BacktestResult {
  index: IndexRun;
  /** The same methodology without the regime signal: always invested in the Top 100. */
  benchmark: IndexRun;
  /** BTC bought and held at the base close, level 1000 (a missing close keeps the last one). */
  btcLevels: Float64Array;
  metrics: BacktestMetrics;
}

/** BTC as a level series over the index days: 1000 at the base close, closes carried over gaps. */
export function btcLevelsOf(ds: MarketDataset, run: IndexRun): Float64Array {
  const btc = assetIndex(ds, run.rules.btcId);
  const N = ds.days;
  const from = run.firstDay - ds.firstDay;
  let last = Number.NaN;
  for (let d = from; d >= 0 && Number.isNaN(last); d--) last = ds.price[btc * N + d] ?? Number.NaN;
  if (Number.isNaN(last)) throw new IndexDataError(`no ${run.rules.btcId} close on or before the base day ${isoDay(run.firstDay)}`);
  const base = last;
  const out = new Float64Array(run.days);
  for (let k = 0; k < run.days; k++) {
    const p = ds.price[btc * N + from + k] ?? Number.NaN;
    if (!Number.isNaN(p)) last = p;
    out[k] = (run.rules.baseLevel * last) / base;
  }
  return out;
}

/**
 * Metrics of the index, its benchmark and BTC over index offsets `lo`…`hi` (default: everything).
 * Each series is rebased to its own first day in the period.
 */
export function backtestMetrics(index: IndexRun, benchmark: IndexRun, btcLevels: Float64Array, lo = 0, hi = index.days - 1): BacktestMetrics {
  if (benchmark.firstDay !== index.firstDay || benchmark.days !== index.days || btcLevels.length !== index.days) throw new RangeError('metrics: the index and its benchmarks cover different days');
  if (lo < 0 || hi >= index.days || lo > hi) throw new RangeError(`metrics: period ${lo}…${hi} is outside the index (0…${index.days - 1})`);
  const first = index.firstDay + lo;
  const net = index.levelNet.subarray(lo, hi + 1);
  const gross = seriesMetrics(index.levelGross.subarray(lo, hi + 1), first);
  const netM = seriesMetrics(net, first);
  const fromIso = isoDay(first);
  const toIso = isoDay(index.firstDay + hi);
  // A trade at the period's first close is before the period's first return: not counted.
  const inPeriod = index.transactions.filter((t) => t.date > fromIso && t.date <= toIso);
  const years = (hi - lo) / 365;
  let invested = 0;
  for (let k = lo; k <= hi; k++) invested += index.invested[k] ?? 0;
  const turnover = inPeriod.filter((t) => t.charged).reduce((s, t) => s + t.turnover, 0);
  return {
    source: index.dataset.source,
    rulesVersion: index.rules.version,
    denylistVersion: index.rules.denylist.version,
    variant: index.variant,
    from: fromIso,
    to: toIso,
    days: hi - lo + 1,
    years,
    series: {
      net: netM,
      gross,
      top100: seriesMetrics(benchmark.levelNet.subarray(lo, hi + 1), first),
      btc: seriesMetrics(btcLevels.subarray(lo, hi + 1), first),
    },
    relative: {
      top100: relativeMetrics(net, benchmark.levelNet.subarray(lo, hi + 1)),
      btc: relativeMetrics(net, btcLevels.subarray(lo, hi + 1)),
    },
    turnover: years > 0 ? turnover / years : 0,
    costDrag: gross.cagr - netM.cagr,
    costsUsd: inPeriod.reduce((s, t) => s + t.costUsd, 0),
    switches: inPeriod.filter((t) => t.type === 'REGIME_SWITCH').length,
    emergencies: inPeriod.filter((t) => t.type === 'EMERGENCY').length,
    rebalances: inPeriod.filter((t) => t.type === 'REBALANCE' && t.orders.length > 0 && t.charged).length,
    timeInvested: invested / (hi - lo + 1),
  };
}

/**
 * The full backtest: the index, the buy-and-hold Top 100 benchmark over the same days, BTC, and
 * the metrics.
 *
 * @example const { metrics } = runBacktest(simulateMarket({ seed: 1 }), { variant: 'capped' })
 */
export function runBacktest(ds: MarketDataset, opts: BacktestOptions = {}): BacktestResult {
  const rules = opts.rules ?? CT100_RULES;
  const progress = opts.onProgress;
  const index = runIndex(ds, {
    rules,
    variant: opts.variant ?? 'plain',
    ...(opts.from === undefined ? {} : { from: opts.from }),
    ...(opts.to === undefined ? {} : { to: opts.to }),
    ...(progress === undefined ? {} : { onProgress: (d: number, t: number) => progress(d, t, 'index') }),
  });
  const benchmark = runIndex(ds, {
    rules,
    variant: opts.variant ?? 'plain',
    mode: 'always-bull',
    from: index.firstDay,
    to: index.firstDay + index.days - 1,
    ...(progress === undefined ? {} : { onProgress: (d: number, t: number) => progress(d, t, 'benchmark') }),
  });
  const btcLevels = btcLevelsOf(ds, index);
  return { index, benchmark, btcLevels, metrics: backtestMetrics(index, benchmark, btcLevels) };
}
