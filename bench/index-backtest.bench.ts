/**
 * The index engine over a 100-asset, 8-year daily history (runIndex: selection, weights, regime,
 * costs, gross and net levels, the transactions log), against a bare pass over the same price
 * matrix computing every daily return: the least work any backtest of this data must do. Lower is
 * better; the target is under 1 s per backtest. Extras: the full backtest (index, buy-and-hold
 * benchmark and metrics) and the set-up.
 *
 * Set-up: simulateMarket seed 1, the first 100 assets of the catalogue, 2016-06-14 to 2024-12-31
 * (the index starts on the first day of the 200-day BTC SMA, 2016-12-30, and runs 8 years to the end).
 */
import { runBacktest } from '../src/indices/backtest.ts';
import { runIndex } from '../src/indices/engine.ts';
import { simulateMarket } from '../src/market/simulator.ts';
import { compareAll, emit, note, round } from './lib/measure.ts';

const t0 = performance.now();
const ds = simulateMarket({ seed: 1, assets: 100, start: '2016-06-14', end: '2024-12-31' });
const setupMs = performance.now() - t0;
const probe = runIndex(ds);
note(`index-backtest: ${ds.assets.length} assets, ${ds.days} days of data, ${probe.days} index days (${round(probe.days / 365, 3)} years), ${probe.transactions.length} log entries; simulated in ${Math.round(setupMs)} ms`);

/** Every daily return of every asset, summed so the work cannot be optimised away. */
function bareReturns(): number {
  const p = ds.price;
  const days = ds.days;
  let sum = 0;
  for (let a = 0; a < ds.assets.length; a++) {
    const base = a * days;
    for (let d = base + 1; d < base + days; d++) {
      const r = (p[d] ?? Number.NaN) / (p[d - 1] ?? Number.NaN) - 1;
      if (r === r) sum += r;
    }
  }
  return sum;
}

let sink = 0;
const [engine, bare, full] = await compareAll(
  [
    { kind: 'sync', op: () => (sink += runIndex(ds).days) },
    { kind: 'sync', op: () => (sink += bareReturns()) },
    { kind: 'sync', op: () => (sink += runBacktest(ds).index.days) },
  ],
  { warmup: 2, iterations: 36, maxMs: 30_000, batch: 1, rounds: 4 },
);
if (engine === undefined || bare === undefined || full === undefined || engine.p50Us === undefined || bare.p50Us === undefined || full.p50Us === undefined) throw new Error('index-backtest: missing a measurement');
if (sink === 0) note('index-backtest: sink is 0');

const ms = engine.p50Us / 1000;
emit({
  name: 'index-backtest',
  unit: 'ms',
  value: ms,
  baseline: { name: 'daily-returns-pass', value: bare.p50Us / 1000 },
  n: engine.ops,
  statistic: 'median',
  assets: ds.assets.length,
  days: probe.days,
  years: round(probe.days / 365, 3),
  transactions: probe.transactions.length,
  p99Ms: round((engine.p99Us ?? 0) / 1000, 4),
  fullBacktestMs: round(full.p50Us / 1000, 4),
  targetMs: 1000,
  withinTarget: ms < 1000,
  setupMs: Math.round(setupMs),
});
