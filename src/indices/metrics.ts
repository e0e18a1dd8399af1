import { isoDay } from '../market/calendar.ts';

/** Performance of one daily level series. Rates are fractions (0.12 = 12%); years are 365 days. */
export interface SeriesMetrics {
  from: string;
  to: string;
  days: number;
  startLevel: number;
  endLevel: number;
  cumulativeReturn: number;
  /** (end / start)^(365 / returns) − 1. */
  cagr: number;
  /** Sample standard deviation of daily simple returns × √365. */
  volatility: number;
  /** Mean daily return × 365 / volatility (risk-free rate 0); null when volatility is 0. */
  sharpe: number | null;
  /** Mean daily return × 365 / (√(mean of min(r, 0)²) × √365); null without a down day. */
  sortino: number | null;
  /** CAGR / |max drawdown|; null without a drawdown. */
  calmar: number | null;
  /** Deepest fall from a running peak, as a negative fraction (−0.45). */
  maxDrawdown: number;
  maxDrawdownPeak: string | null;
  maxDrawdownTrough: string | null;
  /** First day back at the peak level; null when not recovered by the end. */
  maxDrawdownRecovery: string | null;
  /** Days from that peak to its recovery (or to the last day when not recovered). */
  maxDrawdownDays: number;
}

/** Daily simple returns of a level series. */
export function dailyReturns(levels: ArrayLike<number>): Float64Array {
  const out = new Float64Array(Math.max(0, levels.length - 1));
  for (let i = 1; i < levels.length; i++) out[i - 1] = (levels[i] ?? 0) / (levels[i - 1] ?? 1) - 1;
  return out;
}

function mean(x: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i] ?? 0;
  return x.length === 0 ? 0 : s / x.length;
}

function sampleStd(x: ArrayLike<number>): number {
  if (x.length < 2) return 0;
  const m = mean(x);
  let s = 0;
  for (let i = 0; i < x.length; i++) s += ((x[i] ?? 0) - m) ** 2;
  return Math.sqrt(s / (x.length - 1));
}

/**
 * The metrics of DESIGN.md §8 for one series starting at day number `firstDay`.
 *
 * @example seriesMetrics(Float64Array.of(1000, 1100, 990), dayOf('2024-01-01')).maxDrawdown // -0.1
 */
export function seriesMetrics(levels: ArrayLike<number>, firstDay: number): SeriesMetrics {
  const n = levels.length;
  if (n === 0) throw new RangeError('metrics: the series is empty');
  const start = levels[0] ?? 0;
  const end = levels[n - 1] ?? 0;
  const r = dailyReturns(levels);
  const years = r.length / 365;
  const cagr = years > 0 ? (end / start) ** (1 / years) - 1 : 0;
  const volatility = sampleStd(r) * Math.sqrt(365);
  const annualMean = mean(r) * 365;
  let down = 0;
  for (let i = 0; i < r.length; i++) down += Math.min(r[i] ?? 0, 0) ** 2;
  const downside = r.length === 0 ? 0 : Math.sqrt(down / r.length) * Math.sqrt(365);

  let peak = start;
  let peakAt = 0;
  let maxDd = 0;
  let ddPeak = -1;
  let ddTrough = -1;
  for (let i = 0; i < n; i++) {
    const v = levels[i] ?? 0;
    if (v > peak) {
      peak = v;
      peakAt = i;
    }
    const dd = v / peak - 1;
    if (dd < maxDd) {
      maxDd = dd;
      ddPeak = peakAt;
      ddTrough = i;
    }
  }
  let recovery = -1;
  if (ddPeak >= 0) {
    const level = levels[ddPeak] ?? 0;
    for (let i = ddTrough + 1; i < n; i++) {
      if ((levels[i] ?? 0) >= level) {
        recovery = i;
        break;
      }
    }
  }
  return {
    from: isoDay(firstDay),
    to: isoDay(firstDay + n - 1),
    days: n,
    startLevel: start,
    endLevel: end,
    cumulativeReturn: end / start - 1,
    cagr,
    volatility,
    sharpe: volatility > 0 ? annualMean / volatility : null,
    sortino: downside > 0 ? annualMean / downside : null,
    calmar: maxDd < 0 ? cagr / Math.abs(maxDd) : null,
    maxDrawdown: maxDd,
    maxDrawdownPeak: ddPeak < 0 ? null : isoDay(firstDay + ddPeak),
    maxDrawdownTrough: ddTrough < 0 ? null : isoDay(firstDay + ddTrough),
    maxDrawdownRecovery: recovery < 0 ? null : isoDay(firstDay + recovery),
    maxDrawdownDays: ddPeak < 0 ? 0 : (recovery < 0 ? n - 1 : recovery) - ddPeak,
  };
}

/** The index against a benchmark over the same days. */
export interface RelativeMetrics {
  /** Standard deviation of the daily return difference × √365. */
  trackingError: number;
  /** cov(index, benchmark) / var(benchmark) of daily returns; null when the benchmark does not move. */
  beta: number | null;
  correlation: number | null;
}

/**
 * Tracking error, beta and correlation of `index` against `benchmark` (same length, same days).
 *
 * @example relativeMetrics(levels, btcLevels).beta
 */
export function relativeMetrics(index: ArrayLike<number>, benchmark: ArrayLike<number>): RelativeMetrics {
  if (index.length !== benchmark.length) throw new RangeError('relative metrics: the series differ in length');
  const a = dailyReturns(index);
  const b = dailyReturns(benchmark);
  const diff = a.map((x, i) => x - (b[i] ?? 0));
  const ma = mean(a);
  const mb = mean(b);
  let cov = 0;
  let va = 0;
  let vb = 0;
  for (let i = 0; i < a.length; i++) {
    const da = (a[i] ?? 0) - ma;
    const db = (b[i] ?? 0) - mb;
    cov += da * db;
    va += da * da;
    vb += db * db;
  }
  return {
    trackingError: sampleStd(diff) * Math.sqrt(365),
    beta: vb > 0 ? cov / vb : null,
    correlation: va > 0 && vb > 0 ? cov / Math.sqrt(va * vb) : null,
  };
}
