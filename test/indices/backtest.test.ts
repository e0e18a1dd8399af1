import { describe, expect, it } from 'vitest';
import { backtestMetrics, runBacktest } from '../../src/indices/backtest.ts';
import { renderChartSvg } from '../../src/indices/chart-svg.ts';
import { formatLevelsCsv, formatTransactionsJsonl, formatWeightsCsv } from '../../src/indices/report-files.ts';
import { dayOf, isoDay } from '../../src/market/calendar.ts';
import { assetIndex } from '../../src/market/dataset.ts';
import { simulateMarket } from '../../src/market/simulator.ts';

const ds = simulateMarket({ seed: 2, assets: 120, start: '2017-01-01', end: '2022-12-31' });
const bt = runBacktest(ds, { variant: 'capped' });
const { index, benchmark, btcLevels, metrics } = bt;

describe('backtest', () => {
  it('runs the index, the Top 100 without the signal and BTC over the same days', () => {
    expect(benchmark.firstDay).toBe(index.firstDay);
    expect(benchmark.days).toBe(index.days);
    expect(benchmark.mode).toBe('always-bull');
    expect(benchmark.totals.switches).toBe(0);
    expect(metrics.from).toBe(isoDay(index.firstDay));
    expect(metrics.to).toBe('2022-12-31');
    expect(metrics.series.net.days).toBe(index.days);
    expect(at0(btcLevels)).toBe(1000);
    const btc = assetIndex(ds, 'bitcoin');
    const k = index.days - 1;
    expect(btcLevels[k]).toBeCloseTo((1000 * (ds.price[btc * ds.days + ds.days - 1] ?? 0)) / (ds.price[btc * ds.days + index.firstDay - ds.firstDay] ?? 1), 6);
  });

  it('reports the metrics of DESIGN.md §8 consistently with the run', () => {
    expect(metrics.switches).toBe(index.totals.switches);
    expect(metrics.switches).toBeGreaterThan(2);
    expect(metrics.timeInvested).toBeGreaterThan(0.1);
    expect(metrics.timeInvested).toBeLessThan(0.95);
    expect(metrics.series.net.endLevel).toBe(index.levelNet[index.days - 1]);
    expect(metrics.series.net.endLevel).toBeLessThan(metrics.series.gross.endLevel);
    expect(metrics.costDrag).toBeCloseTo(metrics.series.gross.cagr - metrics.series.net.cagr, 12);
    expect(metrics.costDrag).toBeGreaterThan(0);
    expect(metrics.turnover).toBeGreaterThan(1);
    expect(metrics.relative.btc.beta).not.toBeNull();
    expect(metrics.relative.top100.trackingError).toBeGreaterThan(0);
    expect(metrics.series.top100.volatility).toBeGreaterThan(metrics.series.net.volatility);
    // Caps hold at every rebalance and switch into tokens; an emergency spreads value pro rata and may exceed them until the next Sunday.
    for (const t of index.transactions.filter((x) => x.charged && x.regime === 'bull' && x.type !== 'EMERGENCY')) {
      for (const w of t.weightsAfter) expect(w.weight).toBeLessThanOrEqual(w.id === t.weightsAfter[0]?.id ? 0.3 + 1e-12 : 0.2 + 1e-12);
    }
  });

  it('restricts metrics to a period, rebased to its first day', () => {
    const lo = 400;
    const hi = 900;
    const m = backtestMetrics(index, benchmark, btcLevels, lo, hi);
    expect(m.days).toBe(501);
    expect(m.series.net.startLevel).toBe(index.levelNet[lo]);
    expect(m.series.net.cumulativeReturn).toBeCloseTo((index.levelNet[hi] ?? 0) / (index.levelNet[lo] ?? 1) - 1, 12);
    expect(m.switches).toBe(index.transactions.filter((t) => t.type === 'REGIME_SWITCH' && t.date > m.from && t.date <= m.to).length);
    expect(() => backtestMetrics(index, benchmark, btcLevels, 5, 2)).toThrow(/outside/);
  });
});

function at0(x: Float64Array): number {
  return x[0] ?? Number.NaN;
}

describe('backtest files', () => {
  it('levels.csv: one row per day, regime bull or bear', () => {
    const lines = formatLevelsCsv(index).trimEnd().split('\n');
    expect(lines[0]).toBe('date,level_gross,level_net,regime');
    expect(lines).toHaveLength(index.days + 1);
    expect(lines[1]).toBe(`${isoDay(index.firstDay)},1000,1000,${index.regime[0] === 1 ? 'bull' : 'bear'}`);
    const days = lines.slice(1).map((l) => l.split(','));
    expect(new Set(days.map((d) => d[3]))).toEqual(new Set(['bull', 'bear']));
    days.forEach((d, k) => expect(d[0]).toBe(isoDay(index.firstDay + k)));
  });

  it('weights.csv: the target weights of every trade into tokens, summing to 1 per date', () => {
    const rows = formatWeightsCsv(index).trimEnd().split('\n').slice(1).map((l) => l.split(','));
    const byDate = new Map<string, number>();
    for (const [d, id, w] of rows) {
      expect(id).not.toBe('usd-coin');
      byDate.set(d ?? '', (byDate.get(d ?? '') ?? 0) + Number(w));
    }
    for (const sum of byDate.values()) expect(sum).toBeCloseTo(1, 8);
    // Every bull switch and every bull-week rebalance that traded is there.
    const expected = index.transactions.filter((t) => t.orders.length > 0 && t.regime === 'bull').map((t) => t.date);
    expect([...byDate.keys()]).toEqual([...new Set(expected)]);
  });

  it('transactions.jsonl: the log, one JSON object per line', () => {
    const lines = formatTransactionsJsonl(index.transactions).trimEnd().split('\n');
    expect(lines).toHaveLength(index.transactions.length);
    const parsed = lines.map((l) => JSON.parse(l) as { seq: number; type: string; time: string; date: string });
    expect(parsed.map((t) => t.seq)).toEqual(index.transactions.map((_, i) => i + 1));
    expect(new Set(parsed.map((t) => t.type))).toEqual(new Set(['REBALANCE', 'REGIME_SWITCH', 'EMERGENCY']));
    for (const t of parsed) expect(t.time).toBe(new Date((dayOf(t.date) + 1) * 86_400_000).toISOString());
  });

  it('chart.svg: levels, drawdown and shading, hand-written and escaped', () => {
    const svg = renderChartSvg({ title: 'CT100 <test> & "more"', firstDay: index.firstDay, regime: index.regime, lines: [{ name: 'net', levels: index.levelNet, color: '#0969da' }] });
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
    expect(svg).toContain('CT100 &#60;test&#62; &#38; &#34;more&#34;');
    expect(svg).toContain('<polyline');
    expect(svg).toContain('<polygon');
    const bearRuns = Array.from(index.regime).filter((r, k, a) => r === 0 && (k === 0 || a[k - 1] === 1)).length;
    expect(svg.split('fill="#d0d7de" fill-opacity="0.5"').length - 1).toBe(2 * bearRuns);
    expect(() => renderChartSvg({ title: 'x', firstDay: 0, regime: [], lines: [] })).toThrow(/two days/);
  });
});
