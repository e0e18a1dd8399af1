import { describe, expect, it } from 'vitest';
import { relativeMetrics, seriesMetrics } from '../../src/indices/metrics.ts';
import { dayOf } from '../../src/market/calendar.ts';

const DAY0 = dayOf('2024-01-01');

describe('metrics', () => {
  it('by hand: 1000 → 1100 → 990 → 1089', () => {
    const m = seriesMetrics(Float64Array.of(1000, 1100, 990, 1089), DAY0);
    // Returns +10%, −10%, +10%.
    expect(m.cumulativeReturn).toBeCloseTo(0.089, 12);
    expect(m.cagr).toBeCloseTo(1.089 ** (365 / 3) - 1, 9);
    const r = [0.1, -0.1, 0.1];
    const mean = 0.1 / 3;
    const sd = Math.sqrt(r.reduce((s, x) => s + (x - mean) ** 2, 0) / 2);
    expect(m.volatility).toBeCloseTo(sd * Math.sqrt(365), 12);
    expect(m.sharpe).toBeCloseTo((mean * 365) / (sd * Math.sqrt(365)), 9);
    expect(m.sortino).toBeCloseTo((mean * 365) / (Math.sqrt(0.01 / 3) * Math.sqrt(365)), 9);
    expect(m.maxDrawdown).toBeCloseTo(-0.1, 12);
    expect(m.maxDrawdownPeak).toBe('2024-01-02');
    expect(m.maxDrawdownTrough).toBe('2024-01-03');
    // 1089 < 1100: not recovered; the duration runs to the last day.
    expect(m.maxDrawdownRecovery).toBeNull();
    expect(m.maxDrawdownDays).toBe(2);
    expect(m.calmar).toBeCloseTo(m.cagr / 0.1, 9);
  });

  it('measures a drawdown until the level is back at its peak', () => {
    const m = seriesMetrics(Float64Array.of(100, 120, 60, 90, 120, 130, 117), DAY0);
    expect(m.maxDrawdown).toBeCloseTo(-0.5, 12);
    expect(m.maxDrawdownRecovery).toBe('2024-01-05');
    expect(m.maxDrawdownDays).toBe(3);
  });

  it('has no drawdown, Sortino or Calmar for a series that only rises', () => {
    const m = seriesMetrics(Float64Array.of(1, 2, 3), DAY0);
    expect(m.maxDrawdown).toBe(0);
    expect(m.sortino).toBeNull();
    expect(m.calmar).toBeNull();
    expect(m.maxDrawdownDays).toBe(0);
  });

  it('beta, tracking error and correlation against a benchmark', () => {
    const bench = Float64Array.of(100, 110, 99, 108.9, 98.01);
    // Twice the benchmark's returns: beta 2, correlation 1.
    const lev = Float64Array.of(100, 120, 96, 115.2, 92.16);
    const rel = relativeMetrics(lev, bench);
    expect(rel.beta).toBeCloseTo(2, 12);
    expect(rel.correlation).toBeCloseTo(1, 12);
    const self = relativeMetrics(bench, bench);
    expect(self.trackingError).toBe(0);
    expect(self.beta).toBeCloseTo(1, 12);
    expect(relativeMetrics(bench, Float64Array.of(1, 1, 1, 1, 1)).beta).toBeNull();
  });
});
