import { describe, expect, it } from 'vitest';
import { legCost, legCostTotal, quoteSwap, type QuoteSide } from '../../src/indices/costs.ts';
import { CT100_RULES } from '../../src/indices/rules.ts';

const model = CT100_RULES.costs; // fee 10 bps, half-spread 5 bps, Y 0.7, cap 10%

describe('cost of an order leg', () => {
  it('adds fee, half-spread and square-root impact (by hand)', () => {
    // $200,000 of an asset with σ₃₀ = 4% and ADV₃₀ = $50M: impact rate 0.7·0.04·√(0.004) = 0.0017709…
    const c = legCost(200_000, 0.04, 50e6, model);
    expect(c.fee).toBeCloseTo(200, 9);
    expect(c.spread).toBeCloseTo(100, 9);
    expect(c.impact).toBeCloseTo(200_000 * 0.7 * 0.04 * Math.sqrt(0.004), 9);
    expect(c.impact).toBeCloseTo(354.18, 2);
    expect(c.total).toBeCloseTo(654.18, 2);
    expect(c.capped).toBe(false);
  });

  it('is the same for a sale as for a purchase', () => {
    expect(legCost(-200_000, 0.04, 50e6, model)).toEqual(legCost(200_000, 0.04, 50e6, model));
  });

  it('caps the whole cost at 10% of the notional, cutting the impact', () => {
    // $10M into an asset trading $100k a day at 8% daily volatility: impact alone would be 56%.
    const c = legCost(10e6, 0.08, 1e5, model);
    expect(c.capped).toBe(true);
    expect(c.total).toBeCloseTo(1e6, 6);
    expect(c.fee).toBeCloseTo(10_000, 6);
    expect(c.spread).toBeCloseTo(5000, 6);
    expect(c.impact).toBeCloseTo(985_000, 6);
  });

  it('prices a leg with unknown volume or volatility at the cap', () => {
    expect(legCost(1000, Number.NaN, 1e9, model).total).toBeCloseTo(100, 9);
    expect(legCost(1000, 0.02, 0, model).total).toBeCloseTo(100, 9);
    expect(legCost(0, Number.NaN, 0, model).total).toBe(0);
  });
});

describe('quote', () => {
  const btc: QuoteSide = { id: 'bitcoin', price: 50_000, sigma: 0.03, adv: 20e9, cash: false };
  const usd: QuoteSide = { id: 'usd', price: 1, sigma: 0, adv: Number.POSITIVE_INFINITY, cash: true };

  it('shows expected out, impact, minimum received, network and platform fees (by hand)', () => {
    // Sell 2 BTC ($100,000) for USD: one leg. Impact 0.7·0.03·√(1e5/2e10) = 0.7·0.03·0.0022360… = 4.6957e-5.
    const q = quoteSwap({ from: btc, to: usd, amountIn: 2, tolerance: 0.01, networkFeeUsd: 3, model });
    const impact = 100_000 * 0.7 * 0.03 * Math.sqrt(1e5 / 2e10);
    expect(q.legs).toHaveLength(1);
    expect(q.platformFeeUsd).toBeCloseTo(100, 9);
    expect(q.marketCostUsd).toBeCloseTo(50 + impact, 9);
    expect(q.priceImpact).toBeCloseTo((50 + impact) / 100_000, 12);
    expect(q.expectedOut).toBeCloseTo(100_000 - 100 - 50 - impact - 3, 9);
    expect(q.minimumReceived).toBeCloseTo(q.expectedOut * 0.99, 9);
    expect(q.totalCostUsd).toBeCloseTo(153 + impact, 9);
    expect(q.rate).toBe(50_000);
  });

  it('has two legs between two tokens, the second sized by what the first raised', () => {
    const eth: QuoteSide = { id: 'ethereum', price: 2500, sigma: 0.04, adv: 8e9, cash: false };
    const q = quoteSwap({ from: btc, to: eth, amountIn: 1, tolerance: 0.005, networkFeeUsd: 0, model });
    const [sell, buy] = q.legs;
    expect(sell?.side).toBe('sell');
    expect(buy?.side).toBe('buy');
    expect(buy?.notionalUsd).toBeCloseTo(50_000 - (sell?.total ?? 0), 9);
    expect(q.expectedOut).toBeCloseTo((50_000 - (sell?.total ?? 0) - (buy?.total ?? 0)) / 2500, 9);
    expect(q.expectedOut).toBeLessThan(20);
  });

  it('refuses a bad amount or tolerance', () => {
    expect(() => quoteSwap({ from: btc, to: usd, amountIn: 0, tolerance: 0, networkFeeUsd: 0, model })).toThrow(/amountIn/);
    expect(() => quoteSwap({ from: btc, to: usd, amountIn: 1, tolerance: 1, networkFeeUsd: 0, model })).toThrow(/tolerance/);
  });
});

describe('legCostTotal', () => {
  it('equals legCost(...).total, capped or not', () => {
    for (const [n, s, a] of [[200_000, 0.04, 50e6], [-3e6, 0.09, 1e6], [10e6, 0.08, 1e5], [1000, Number.NaN, 1e9], [0, 0, 0], [5e5, 0.02, 0]] as const) {
      expect(legCostTotal(n, s, a, model)).toBeCloseTo(legCost(n, s, a, model).total, 9);
    }
  });
});
