import { Type, type TSchema } from '@sinclair/typebox';

/** A UTC day; its close is at 24:00 UTC. */
export const Day = Type.String({ format: 'date', description: 'UTC day, YYYY-MM-DD (its close is at 24:00 UTC)' });
const Num = Type.Number();
const NullableNum = Type.Union([Type.Number(), Type.Null()]);
const NullableString = Type.Union([Type.String(), Type.Null()]);
const Regime = Type.Union([Type.Literal('bull'), Type.Literal('bear')]);

/** A provider asset id (CoinGecko style: `bitcoin`, `usd-coin`). */
export const AssetIdParam = Type.Object({ id: Type.String({ pattern: '^[a-z0-9][a-z0-9._-]{0,99}$', description: 'Asset id, e.g. bitcoin' }) }, { additionalProperties: false });

/** The error answers of a data-API route: every verify refusal, bad input, and no data. */
export function dataErrors(...statuses: number[]): Record<number, TSchema> {
  const out: Record<number, TSchema> = {};
  for (const s of [400, 401, 403, 429, 502, 503, ...statuses]) out[s] = Type.Ref('Problem');
  return out;
}

/** The OpenAPI security of data-API routes: an API key, not an admin token. */
export const CONSUMER_SECURITY = [{ apiKey: [] }];

export const Price = Type.Object({
  id: Type.String(),
  symbol: Type.String(),
  name: Type.String(),
  tags: Type.Array(Type.String()),
  date: Type.String({ description: 'Day of this close' }),
  price: Num,
  marketCap: NullableNum,
  volume24h: NullableNum,
  change24h: Type.Union([Type.Number(), Type.Null()], { description: 'Against the previous close, as a fraction' }),
});

export const HistoryPoint = Type.Object({ date: Type.String(), price: Num, marketCap: NullableNum, volume: NullableNum });

export const LevelPoint = Type.Object({ date: Type.String(), levelGross: Num, levelNet: Num, regime: Regime });

export const Constituent = Type.Object({
  id: Type.String(),
  symbol: Type.String(),
  quantity: Type.Number({ description: 'Tokens held by the notional index portfolio' }),
  price: Num,
  valueUsd: Num,
  weight: Type.Number({ description: 'Share of the portfolio value at this close' }),
  targetWeight: Type.Number({ description: 'Weight the last trade aimed at' }),
});

const Switch = Type.Object({ decidedOn: Type.String(), executedOn: Type.String(), to: Regime });

export const RegimeSignal = Type.Object({
  asOf: Type.String(),
  state: Regime,
  btcClose: NullableNum,
  sma: Type.Union([Type.Number(), Type.Null()], { description: 'Mean of the last smaDays BTC closes' }),
  smaDays: Type.Integer(),
  ratio: NullableNum,
  band: Type.Object({
    bull: Type.Union([Type.Number(), Type.Null()], { description: 'Closes above this (1.02·SMA) confirmDays in a row turn bull' }),
    bear: Type.Union([Type.Number(), Type.Null()], { description: 'Closes below this (0.98·SMA) confirmDays in a row turn bear' }),
  }),
  daysInState: Type.Union([Type.Integer(), Type.Null()], { description: 'Days since the last executed switch; null when there was none' }),
  aboveStreak: Type.Integer(),
  belowStreak: Type.Integer(),
  confirmDays: Type.Integer(),
  lastSwitch: Type.Union([Switch, Type.Null()]),
  pendingSwitch: Type.Union([Type.Object({ decidedOn: Type.String(), executesOn: Type.String(), to: Regime }), Type.Null()]),
});

export const IndexSnapshot = Type.Object({
  id: Type.Literal('ct100'),
  name: Type.String(),
  asOf: Type.String(),
  time: Type.String({ description: 'The close: 24:00 UTC of asOf' }),
  level: Type.Object({ gross: Num, net: Num }),
  divisor: Type.Object({ gross: Num, net: Num }, { description: 'Σq·P / level, per series' }),
  regime: Regime,
  invested: Type.Boolean(),
  constituents: Type.Array(Constituent),
  lastTransaction: Type.Union([Type.Object({ seq: Type.Integer(), date: Type.String(), type: Type.String() }), Type.Null()]),
  rulesVersion: Type.String(),
  variant: Type.String(),
  source: Type.String({ description: 'Market data behind the index' }),
});

const Order = Type.Object({ id: Type.String(), symbol: Type.String(), side: Type.String(), quantity: Num, estPrice: Num, notionalUsd: Num, fee: Num, spread: Num, impact: Num, cost: Num });
const Weight = Type.Object({ id: Type.String(), weight: Num });

export const Transaction = Type.Object({
  seq: Type.Integer(),
  time: Type.String(),
  date: Type.String(),
  type: Type.Union([Type.Literal('REBALANCE'), Type.Literal('REGIME_SWITCH'), Type.Literal('EMERGENCY')]),
  regime: Regime,
  reason: Type.String(),
  signal: Type.Object({ btcClose: NullableNum, sma: NullableNum, ratio: NullableNum, aboveStreak: Type.Integer(), belowStreak: Type.Integer(), state: Regime, decidedOn: NullableString }),
  selection: Type.Union([
    Type.Object({
      dataThrough: Type.String(),
      fresh: Type.Boolean(),
      eligible: Type.Integer(),
      members: Type.Array(Type.Object({ id: Type.String(), symbol: Type.String(), rank: Type.Integer(), averageMarketCap: Num, weight: Num, reason: Type.String() })),
      added: Type.Array(Type.String()),
      removed: Type.Array(Type.String()),
    }),
    Type.Null(),
  ]),
  orders: Type.Array(Order),
  weightsBefore: Type.Array(Weight),
  weightsAfter: Type.Array(Weight),
  turnover: Num,
  charged: Type.Boolean(),
  costUsd: Num,
  costBps: Num,
  valueBeforeUsd: Num,
  valueAfterUsd: Num,
  levelGross: Num,
  levelNet: Num,
});

const Series = Type.Object({
  from: Type.String(),
  to: Type.String(),
  days: Type.Integer(),
  startLevel: Num,
  endLevel: Num,
  cumulativeReturn: Num,
  cagr: Num,
  volatility: Num,
  sharpe: NullableNum,
  sortino: NullableNum,
  calmar: NullableNum,
  maxDrawdown: Num,
  maxDrawdownPeak: NullableString,
  maxDrawdownTrough: NullableString,
  maxDrawdownRecovery: NullableString,
  maxDrawdownDays: Type.Integer(),
});
const Relative = Type.Object({ trackingError: Num, beta: NullableNum, correlation: NullableNum });

export const Metrics = Type.Object({
  source: Type.String(),
  rulesVersion: Type.String(),
  denylistVersion: Type.String(),
  variant: Type.String(),
  from: Type.String(),
  to: Type.String(),
  days: Type.Integer(),
  years: Num,
  series: Type.Object({ net: Series, gross: Series, top100: Series, btc: Series }, { description: 'CT100 net and gross of costs, buy-and-hold Top 100 (no regime signal) and BTC' }),
  relative: Type.Object({ top100: Relative, btc: Relative }),
  turnover: Num,
  costDrag: Num,
  costsUsd: Num,
  switches: Type.Integer(),
  emergencies: Type.Integer(),
  rebalances: Type.Integer(),
  timeInvested: Num,
});

const QuoteLeg = Type.Object({
  assetId: Type.String(),
  symbol: Type.String(),
  side: Type.String(),
  weight: Num,
  price: Num,
  notionalUsd: Num,
  quantity: Num,
  platformFeeUsd: Num,
  spreadUsd: Num,
  impactUsd: Num,
  costUsd: Num,
  capped: Type.Boolean(),
});

export const Quote = Type.Object({
  id: Type.String({ description: 'Quote id (qt_…): POST it to /v1/portfolio/trades before expiresAt' }),
  createdAt: Type.String({ format: 'date-time' }),
  expiresAt: Type.String({ format: 'date-time' }),
  instrument: Type.Literal('ct100'),
  side: Type.Union([Type.Literal('buy'), Type.Literal('sell')]),
  asOf: Type.String({ description: 'The close priced' }),
  regime: Regime,
  unitPriceUsd: Type.Number({ description: 'USD per index unit: the net index level' }),
  amountUsd: Type.Number({ description: 'Buy: USD spent. Sell: the units’ value at the close, before costs' }),
  units: Type.Number({ description: 'Buy: units expected. Sell: units sold' }),
  expectedOut: Type.Number({ description: 'Units (buy) or USD (sell) after every cost' }),
  outUnit: Type.Union([Type.Literal('units'), Type.Literal('usd')]),
  minimumReceived: Type.Number({ description: 'expectedOut · (1 − slippageTolerance)' }),
  slippageTolerance: Num,
  priceImpact: Type.Number({ description: 'Spread and market impact as a fraction of amountUsd' }),
  platformFeeUsd: Num,
  networkFeeUsd: Num,
  marketCostUsd: Type.Number({ description: 'Spread and market impact' }),
  totalCostUsd: Num,
  legs: Type.Array(QuoteLeg, { description: 'One order per constituent at its index weight' }),
});

export const Trade = Type.Object({
  id: Type.String(),
  quoteId: Type.String(),
  keyId: Type.String({ description: 'The key that executed it' }),
  instrument: Type.String(),
  side: Type.Union([Type.Literal('buy'), Type.Literal('sell')]),
  units: Num,
  usd: Type.Number({ description: 'USD paid (buy) or received (sell)' }),
  unitPriceUsd: Num,
  feesUsd: Type.Number({ description: 'Platform and network fees' }),
  marketCostUsd: Type.Number({ description: 'Spread and market impact' }),
  realizedPnlUsd: Num,
  executedAt: Type.String({ format: 'date-time' }),
});

export const Position = Type.Object({
  instrument: Type.String(),
  units: Num,
  costBasisUsd: Type.Number({ description: 'What the units held cost, fees included (average cost)' }),
  averageCostUsd: NullableNum,
  unitPriceUsd: Num,
  valueUsd: Num,
  unrealizedPnlUsd: Num,
  realizedPnlUsd: Num,
  updatedAt: Type.String({ format: 'date-time' }),
});

export const Portfolio = Type.Object({
  id: Type.Union([Type.String(), Type.Null()], { description: 'null until the first trade' }),
  ownerId: Type.String(),
  asOf: Type.String({ description: 'The close the positions are valued at' }),
  positions: Type.Array(Position),
  totals: Type.Object({ valueUsd: Num, costBasisUsd: Num, unrealizedPnlUsd: Num, realizedPnlUsd: Num, pnlUsd: Num }),
});
