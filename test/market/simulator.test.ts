import { describe, expect, it } from 'vitest';
import { dayOf } from '../../src/market/calendar.ts';
import { assetIndex, priceSeries, type MarketDataset } from '../../src/market/dataset.ts';
import { createSimulatorProvider, simulateMarket } from '../../src/market/simulator.ts';

const ds = simulateMarket({ seed: 1, start: '2017-01-01', end: '2025-06-30' });

function series(id: string): Float64Array {
  const a = assetIndex(ds, id);
  if (a < 0) throw new Error(`no ${id}`);
  return priceSeries(ds, a);
}
const at = (id: string, date: string): number => series(id)[dayOf(date) - ds.firstDay] ?? Number.NaN;

function logReturns(p: Float64Array): number[] {
  const out: number[] = [];
  for (let i = 1; i < p.length; i++) {
    const a = p[i - 1] ?? Number.NaN;
    const b = p[i] ?? Number.NaN;
    if (a > 0 && b > 0) out.push(Math.log(b / a));
  }
  return out;
}

function correlation(x: Float64Array, y: Float64Array): number {
  const xs: number[] = [];
  const ys: number[] = [];
  for (let i = 1; i < x.length; i++) {
    const [a0, a1, b0, b1] = [x[i - 1] ?? Number.NaN, x[i] ?? Number.NaN, y[i - 1] ?? Number.NaN, y[i] ?? Number.NaN];
    if (a0 > 0 && a1 > 0 && b0 > 0 && b1 > 0) {
      xs.push(Math.log(a1 / a0));
      ys.push(Math.log(b1 / b0));
    }
  }
  const mx = xs.reduce((s, v) => s + v, 0) / xs.length;
  const my = ys.reduce((s, v) => s + v, 0) / ys.length;
  let c = 0;
  let vx = 0;
  let vy = 0;
  xs.forEach((v, i) => {
    c += (v - mx) * ((ys[i] ?? 0) - my);
    vx += (v - mx) ** 2;
    vy += ((ys[i] ?? 0) - my) ** 2;
  });
  return c / Math.sqrt(vx * vy);
}

function same(a: MarketDataset, b: MarketDataset): boolean {
  return Buffer.from(a.price.buffer).equals(Buffer.from(b.price.buffer)) && Buffer.from(a.volume.buffer).equals(Buffer.from(b.volume.buffer));
}

describe('market simulator', () => {
  it('is deterministic per seed', () => {
    expect(same(simulateMarket({ seed: 7, end: '2018-12-31' }), simulateMarket({ seed: 7, end: '2018-12-31' }))).toBe(true);
    expect(same(simulateMarket({ seed: 7, end: '2018-12-31' }), simulateMarket({ seed: 8, end: '2018-12-31' }))).toBe(false);
  });

  it('is prefix-stable: a longer history agrees with a shorter one on their common days', () => {
    const short = simulateMarket({ seed: 1, start: '2017-01-01', end: '2019-06-30' });
    for (let a = 0; a < short.assets.length; a++) {
      for (const s of ['price', 'marketCap', 'volume'] as const) {
        const long = ds[s].subarray(a * ds.days, a * ds.days + short.days);
        expect(Array.from(short[s].subarray(a * short.days, (a + 1) * short.days))).toEqual(Array.from(long));
      }
    }
  });

  it('has at least 150 assets with a realistic spread of market caps', () => {
    expect(ds.assets.length).toBeGreaterThanOrEqual(150);
    const last = ds.days - 1;
    const caps = ds.assets.map((_, a) => ds.marketCap[a * ds.days + last] ?? Number.NaN).filter((c) => c > 0).sort((x, y) => y - x);
    expect(caps.length).toBeGreaterThan(150);
    // Largest to 100th: orders of magnitude apart, like the real market.
    expect((caps[0] ?? 0) / (caps[99] ?? 1)).toBeGreaterThan(100);
    // BTC is the largest asset.
    expect(ds.marketCap[assetIndex(ds, 'bitcoin') * ds.days + last]).toBe(caps[0]);
  });

  it('gives BTC crypto-like volatility and alts a strong but imperfect correlation to it', () => {
    const r = logReturns(series('bitcoin'));
    const mean = r.reduce((s, v) => s + v, 0) / r.length;
    const vol = Math.sqrt(r.reduce((s, v) => s + (v - mean) ** 2, 0) / (r.length - 1)) * Math.sqrt(365);
    expect(vol).toBeGreaterThan(0.4);
    expect(vol).toBeLessThan(1.1);
    const rho = correlation(series('bitcoin'), series('ethereum'));
    expect(rho).toBeGreaterThan(0.4);
    expect(rho).toBeLessThan(0.95);
  });

  it('has bull and bear phases: BTC both doubles and halves over the years', () => {
    const btc = series('bitcoin');
    let peak = 0;
    let worst = 0;
    let trough = Number.POSITIVE_INFINITY;
    let best = 0;
    for (const p of btc) {
      if (!(p > 0)) continue;
      peak = Math.max(peak, p);
      worst = Math.min(worst, p / peak - 1);
      trough = Math.min(trough, p);
      best = Math.max(best, p / trough);
    }
    expect(worst).toBeLessThan(-0.5);
    expect(best).toBeGreaterThan(2);
  });

  it('keeps stablecoins near $1 with the odd depeg', () => {
    const usdc = Array.from(series('usd-coin')).filter((p) => p > 0);
    expect(usdc.filter((p) => Math.abs(p - 1) <= 0.02).length / usdc.length).toBeGreaterThan(0.99);
    expect(at('usd-coin', '2023-03-11')).toBe(0.88);
    expect(at('first-digital-usd', '2025-04-02')).toBe(0.87);
    expect(ds.assets[assetIndex(ds, 'first-digital-usd')]?.tags).toEqual([]);
    // An algorithmic stablecoin collapses for good.
    expect(at('terrausd', '2022-06-01')).toBeLessThan(0.1);
  });

  it('has wrapped and staking tokens that track their underlying', () => {
    for (const date of ['2020-01-01', '2023-06-01', '2025-06-01']) expect(Math.abs(at('wrapped-bitcoin', date) / at('bitcoin', date) - 1)).toBeLessThan(0.01);
    expect(ds.assets[assetIndex(ds, 'staked-ether')]?.tags).toEqual(['staking']);
    expect(at('wrapped-steth', '2025-06-01') / at('ethereum', '2025-06-01')).toBeGreaterThan(1.1);
  });

  it('lists and delists assets, and has gaps', () => {
    expect(Number.isNaN(at('solana', '2020-04-10'))).toBe(true);
    expect(at('solana', '2020-04-11')).toBeGreaterThan(0);
    expect(at('ftx-token', '2023-01-30')).toBeGreaterThan(0);
    expect(Number.isNaN(at('ftx-token', '2023-01-31'))).toBe(true);
    for (const d of ['2021-06-10', '2021-06-11', '2021-06-12', '2021-06-13', '2021-06-14']) expect(Number.isNaN(at('harmony', d))).toBe(true);
    expect(at('harmony', '2021-06-15')).toBeGreaterThan(0);
    expect(Number.isNaN(at('bitcoin', '2019-03-10'))).toBe(true);
    const listedLater = ds.assets.filter((_, a) => Number.isNaN(ds.price[a * ds.days] ?? 0)).length;
    expect(listedLater).toBeGreaterThan(50);
  });

  it('provider ends at the last closed UTC day and keeps the start', async () => {
    const p = createSimulatorProvider({ seed: 1, clock: { now: () => Date.UTC(2019, 0, 10, 15) } });
    const data = await p.load();
    expect(data.firstDay).toBe(dayOf('2017-01-01'));
    expect(data.firstDay + data.days - 1).toBe(dayOf('2019-01-09'));
    expect(data.price[0]).toBe(ds.price[0]);
    const part = await p.load({ from: dayOf('2018-01-01'), to: dayOf('2018-01-31') });
    expect(part.days).toBe(31);
  });
});
