import { IndexQueryError } from '../indices/errors.ts';
import type { MarketData } from '../market/market-data.ts';

/** What the consumer asks to trade: CT100 index units, bought with USD or sold for USD. */
export interface IndexQuoteRequest {
  side: 'buy' | 'sell';
  /** Buy: the USD to spend. Sell: the USD value, at the quoted close, of the units to sell. */
  amountUsd?: number;
  /** Sell only: the index units to sell (instead of amountUsd). */
  units?: number;
  /** Accepted shortfall, as a fraction (default 0.005). */
  slippageTolerance?: number;
}

/** One constituent's order within an index trade. */
export interface IndexQuoteLeg {
  assetId: string;
  symbol: string;
  side: 'buy' | 'sell';
  /** The constituent's weight in the index at the quoted close. */
  weight: number;
  price: number;
  /** USD moved in this asset. */
  notionalUsd: number;
  /** Tokens bought or sold. */
  quantity: number;
  platformFeeUsd: number;
  spreadUsd: number;
  impactUsd: number;
  costUsd: number;
  /** The leg's cost hit the 10% cap of the cost model. */
  capped: boolean;
}

/**
 * What a consumer sees before trading (DESIGN.md §8): expected units (buy) or USD (sell) out,
 * price impact, minimum received, network and platform fees and the total cost.
 */
export interface IndexQuote {
  instrument: 'ct100';
  side: 'buy' | 'sell';
  /** The close priced, `YYYY-MM-DD`. */
  asOf: string;
  regime: 'bull' | 'bear';
  /** USD per index unit: the net index level (one unit is worth the level in USD). */
  unitPriceUsd: number;
  /** Buy: USD spent. Sell: the units' value at the close, before costs. */
  amountUsd: number;
  /** Buy: units expected. Sell: units sold. */
  units: number;
  /** Units (buy) or USD (sell) expected after every cost. */
  expectedOut: number;
  outUnit: 'units' | 'usd';
  /** expectedOut · (1 − slippageTolerance). */
  minimumReceived: number;
  slippageTolerance: number;
  /** Spread and market impact as a fraction of amountUsd. */
  priceImpact: number;
  platformFeeUsd: number;
  networkFeeUsd: number;
  /** Spread and market impact. */
  marketCostUsd: number;
  totalCostUsd: number;
  legs: IndexQuoteLeg[];
}

export const DEFAULT_SLIPPAGE_TOLERANCE = 0.005;

/**
 * Quotes a trade of CT100 units as a basket: one order per constituent at its index weight, each
 * costed by the index cost model (fee, half-spread, square-root impact on σ₃₀ and ADV₃₀, capped
 * at 10%) through {@link IndexService.quote}, plus a fixed network fee per trade. Buying in a bear
 * state buys the index's USDC holding, costed like any other asset (docs/methodology.md §9).
 *
 * @example const q = await quoteIndexTrade(data, { side: 'buy', amountUsd: 1000 }, { networkFeeUsd: 0 })
 */
export async function quoteIndexTrade(data: MarketData, req: IndexQuoteRequest, opts: { networkFeeUsd: number }): Promise<IndexQuote> {
  const tolerance = req.slippageTolerance ?? DEFAULT_SLIPPAGE_TOLERANCE;
  if (!(tolerance >= 0 && tolerance < 1)) throw new IndexQueryError('INDEX_QUERY_INVALID', 'slippageTolerance', `slippageTolerance: expected a fraction in [0, 1), got ${tolerance}`);
  const snap = await data.index.index();
  const unitPrice = snap.level.net;
  if (!(unitPrice > 0)) throw new IndexQueryError('INDEX_QUERY_INVALID', 'side', `the index has no level on ${snap.asOf}`);
  const fee = opts.networkFeeUsd;

  let amountUsd: number;
  let units: number;
  if (req.side === 'buy') {
    if (req.units !== undefined) throw new IndexQueryError('INDEX_QUERY_INVALID', 'units', 'units: a buy is given in amountUsd');
    amountUsd = positive(req.amountUsd, 'amountUsd');
    units = 0;
  } else {
    if ((req.units === undefined) === (req.amountUsd === undefined)) throw new IndexQueryError('INDEX_QUERY_INVALID', 'units', 'units: a sell takes either units or amountUsd');
    units = req.units === undefined ? positive(req.amountUsd, 'amountUsd') / unitPrice : positive(req.units, 'units');
    amountUsd = units * unitPrice;
  }
  // A buy spends what is left after the network fee; a sale raises the units' whole value.
  const traded = req.side === 'buy' ? amountUsd - fee : amountUsd;
  if (!(traded > 0)) throw new IndexQueryError('INDEX_QUERY_INVALID', 'amountUsd', `amountUsd: ${amountUsd} does not cover the network fee of ${fee}`);

  const members = snap.constituents.filter((c) => c.weight > 0 && c.price > 0);
  const legs = await Promise.all(
    members.map(async (c): Promise<IndexQuoteLeg> => {
      const notional = c.weight * traded;
      const q = req.side === 'buy' ? await data.index.quote({ from: 'usd', to: c.id, amount: notional, tolerance }) : await data.index.quote({ from: c.id, to: 'usd', amount: notional / c.price, tolerance });
      const leg = q.legs[0];
      if (leg === undefined) throw new IndexQueryError('ASSET_NOT_FOUND', 'side', `no market leg for ${c.id}`);
      return {
        assetId: c.id,
        symbol: c.symbol,
        side: req.side,
        weight: c.weight,
        price: leg.price,
        notionalUsd: notional,
        quantity: notional / leg.price,
        platformFeeUsd: leg.fee,
        spreadUsd: leg.spread,
        impactUsd: leg.impact,
        costUsd: leg.total,
        capped: leg.capped,
      };
    }),
  );
  const platformFeeUsd = legs.reduce((s, l) => s + l.platformFeeUsd, 0);
  const marketCostUsd = legs.reduce((s, l) => s + l.spreadUsd + l.impactUsd, 0);
  const legCosts = platformFeeUsd + marketCostUsd;
  const expectedOut = req.side === 'buy' ? Math.max(0, traded - legCosts) / unitPrice : Math.max(0, traded - legCosts - fee);
  if (!(expectedOut > 0)) throw new IndexQueryError('INDEX_QUERY_INVALID', 'amountUsd', `amountUsd: ${amountUsd} does not cover the costs of the trade`);
  return {
    instrument: 'ct100',
    side: req.side,
    asOf: snap.asOf,
    regime: snap.regime,
    unitPriceUsd: unitPrice,
    amountUsd,
    units: req.side === 'buy' ? expectedOut : units,
    expectedOut,
    outUnit: req.side === 'buy' ? 'units' : 'usd',
    minimumReceived: expectedOut * (1 - tolerance),
    slippageTolerance: tolerance,
    priceImpact: marketCostUsd / amountUsd,
    platformFeeUsd,
    networkFeeUsd: fee,
    marketCostUsd,
    totalCostUsd: legCosts + fee,
    legs,
  };
}

function positive(x: number | undefined, field: string): number {
  if (x === undefined || !Number.isFinite(x) || !(x > 0)) throw new IndexQueryError('INDEX_QUERY_INVALID', field, `${field}: expected a positive amount, got ${String(x)}`);
  return x;
}
