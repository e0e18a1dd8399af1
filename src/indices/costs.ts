import type { CostModel } from './rules.ts';

/** The cost of one order leg, in USD, by component. */
export interface LegCost {
  notionalUsd: number;
  /** Platform fee: feeBps of |ΔV|. */
  fee: number;
  /** Half-spread: halfSpreadBps of |ΔV|. */
  spread: number;
  /** Market impact: Y·σ₃₀·√(|ΔV| / ADV₃₀) of |ΔV|. */
  impact: number;
  total: number;
  /** The cost rate hit the cap (the impact is cut so the total equals maxCostRate·|ΔV|). */
  capped: boolean;
}

/**
 * The cost of moving |ΔV| USD in one asset (DESIGN.md §8):
 * fee_bps·|ΔV| + half-spread·|ΔV| + Y·σ₃₀·√(|ΔV| / ADV₃₀)·|ΔV|, the whole capped at 10% of |ΔV|.
 * σ₃₀ is the daily volatility of log returns and ADV₃₀ the average daily volume in USD, both over
 * the 30 days before the trade. An unknown σ or ADV (or an ADV of 0) prices the leg at the cap:
 * what cannot be measured is assumed expensive.
 *
 * @example legCost(100_000, 0.04, 50e6, CT100_RULES.costs).total // ≈ 100000·(0.001 + 0.0005 + 0.7·0.04·√0.002)
 */
export function legCost(notionalUsd: number, sigma: number, adv: number, model: CostModel): LegCost {
  const n = Math.abs(notionalUsd);
  if (n === 0) return { notionalUsd: 0, fee: 0, spread: 0, impact: 0, total: 0, capped: false };
  const fee = (model.feeBps / 10_000) * n;
  const spread = (model.halfSpreadBps / 10_000) * n;
  const known = sigma >= 0 && adv > 0;
  const impactRate = known ? model.impactY * sigma * Math.sqrt(n / adv) : Number.POSITIVE_INFINITY;
  const max = model.maxCostRate * n;
  const uncapped = fee + spread + impactRate * n;
  if (uncapped <= max) return { notionalUsd: n, fee, spread, impact: impactRate * n, total: uncapped, capped: false };
  // Over the cap: the fee and spread stand (themselves cut if they alone exceed it), the impact takes the rest.
  const fs = Math.min(fee + spread, max);
  const k = fee + spread > 0 ? fs / (fee + spread) : 0;
  return { notionalUsd: n, fee: fee * k, spread: spread * k, impact: max - fs, total: max, capped: true };
}

/** {@link legCost}'s total alone, without allocating: the engine's cost fixed point calls it often. */
export function legCostTotal(notionalUsd: number, sigma: number, adv: number, model: CostModel): number {
  const n = Math.abs(notionalUsd);
  if (n === 0) return 0;
  const rate = (model.feeBps + model.halfSpreadBps) / 10_000 + (sigma >= 0 && adv > 0 ? model.impactY * sigma * Math.sqrt(n / adv) : Number.POSITIVE_INFINITY);
  return Math.min(rate, model.maxCostRate) * n;
}

/** Market statistics of one asset that a quote needs. */
export interface QuoteSide {
  id: string;
  /** USD price; 1 for USD cash. */
  price: number;
  /** Daily σ of log returns over 30 days (NaN unknown); ignored for cash. */
  sigma: number;
  /** 30-day average daily volume in USD (NaN unknown); ignored for cash. */
  adv: number;
  /** USD cash has no market leg. */
  cash: boolean;
}

/** One leg of a quote. */
export interface QuoteLeg extends LegCost {
  assetId: string;
  side: 'sell' | 'buy';
  price: number;
}

/** What a user sees before confirming a swap (DESIGN.md §8). Amounts in USD unless named otherwise. */
export interface Quote {
  from: string;
  to: string;
  /** Amount given, in units of `from`. */
  amountIn: number;
  valueInUsd: number;
  /** Mid-market units of `to` per unit of `from`, before any cost. */
  rate: number;
  /** Units of `to` expected after every cost. */
  expectedOut: number;
  /** Spread and impact as a fraction of the value given. */
  priceImpact: number;
  /** expectedOut·(1 − tolerance): the swap fails rather than deliver less. */
  minimumReceived: number;
  tolerance: number;
  networkFeeUsd: number;
  platformFeeUsd: number;
  /** Spread plus impact. */
  marketCostUsd: number;
  totalCostUsd: number;
  legs: QuoteLeg[];
}

/**
 * Quotes a swap of `amountIn` units of `from` into `to`: a sell leg (unless `from` is cash), then a
 * buy leg with what the sale raised (unless `to` is cash), each priced by {@link legCost}; then the
 * fixed network fee. Pure: prices and statistics are passed in.
 *
 * @example quoteSwap({ from: btc, to: usd, amountIn: 0.5, tolerance: 0.005, networkFeeUsd: 2, model })
 */
export function quoteSwap(input: { from: QuoteSide; to: QuoteSide; amountIn: number; tolerance: number; networkFeeUsd: number; model: CostModel }): Quote {
  const { from, to, amountIn, tolerance, networkFeeUsd, model } = input;
  if (!(amountIn > 0) || !Number.isFinite(amountIn)) throw new RangeError(`quote: amountIn must be a positive number, got ${amountIn}`);
  if (!(tolerance >= 0 && tolerance < 1)) throw new RangeError(`quote: tolerance must be in [0, 1), got ${tolerance}`);
  if (!(networkFeeUsd >= 0)) throw new RangeError(`quote: networkFeeUsd must be ≥ 0, got ${networkFeeUsd}`);
  if (!(from.price > 0) || !(to.price > 0)) throw new RangeError('quote: both assets need a price');
  const valueIn = amountIn * from.price;
  const legs: QuoteLeg[] = [];
  let value = valueIn;
  if (!from.cash) {
    const c = legCost(value, from.sigma, from.adv, model);
    legs.push({ ...c, assetId: from.id, side: 'sell', price: from.price });
    value -= c.total;
  }
  if (!to.cash) {
    const c = legCost(value, to.sigma, to.adv, model);
    legs.push({ ...c, assetId: to.id, side: 'buy', price: to.price });
    value -= c.total;
  }
  value -= networkFeeUsd;
  const platformFeeUsd = legs.reduce((s, l) => s + l.fee, 0);
  const marketCostUsd = legs.reduce((s, l) => s + l.spread + l.impact, 0);
  const expectedOut = Math.max(0, value) / to.price;
  return {
    from: from.id,
    to: to.id,
    amountIn,
    valueInUsd: valueIn,
    rate: from.price / to.price,
    expectedOut,
    priceImpact: marketCostUsd / valueIn,
    minimumReceived: expectedOut * (1 - tolerance),
    tolerance,
    networkFeeUsd,
    platformFeeUsd,
    marketCostUsd,
    totalCostUsd: platformFeeUsd + marketCostUsd + networkFeeUsd,
    legs,
  };
}
