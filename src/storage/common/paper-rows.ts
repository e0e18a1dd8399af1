import type { PortfolioRecord, PositionRecord, QuoteRecord, TradeRecord, TradeSide, WaitlistEntry } from '../../core/ports/store.ts';
import type { JsonDecoder } from './rows.ts';

/** Row shapes of the paper-trading tables, shared by the SQL adapters. */
export interface QuoteRow {
  id: string;
  workspace_id: string;
  key_id: string;
  owner_id: string | null;
  instrument: string;
  side: string;
  amount_in: number;
  expected_out: number;
  minimum_received: number;
  unit_price_usd: number;
  details: unknown;
  created_at: number;
  expires_at: number;
  used_at: number | null;
}

export interface PortfolioRow {
  id: string;
  workspace_id: string;
  owner_id: string;
  created_at: number;
}

export interface PositionRow {
  portfolio_id: string;
  instrument: string;
  units: number;
  cost_basis_usd: number;
  realized_pnl_usd: number;
  updated_at: number;
}

export interface TradeRow {
  id: string;
  workspace_id: string;
  portfolio_id: string;
  owner_id: string;
  key_id: string;
  quote_id: string;
  instrument: string;
  side: string;
  units: number;
  usd: number;
  unit_price_usd: number;
  fees_usd: number;
  market_cost_usd: number;
  realized_pnl_usd: number;
  executed_at: number;
}

export interface WaitlistRow {
  id: string;
  workspace_id: string;
  email: string;
  index_id: string;
  key_id: string;
  created_at: number;
}

const side = (s: string): TradeSide => (s === 'sell' ? 'sell' : 'buy');

export function quoteFromRow(row: QuoteRow, json: JsonDecoder): QuoteRecord {
  return {
    id: row.id,
    workspaceId: row.workspace_id,
    keyId: row.key_id,
    ownerId: row.owner_id,
    instrument: row.instrument,
    side: side(row.side),
    amountIn: row.amount_in,
    expectedOut: row.expected_out,
    minimumReceived: row.minimum_received,
    unitPriceUsd: row.unit_price_usd,
    details: json(row.details) as Record<string, unknown>,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    usedAt: row.used_at,
  };
}

/** The column values of a quote, in the order of {@link QUOTE_COLUMNS}; `details` as JSON text. */
export function quoteValues(q: QuoteRecord): (string | number | null)[] {
  return [q.id, q.workspaceId, q.keyId, q.ownerId, q.instrument, q.side, q.amountIn, q.expectedOut, q.minimumReceived, q.unitPriceUsd, JSON.stringify(q.details), q.createdAt, q.expiresAt, q.usedAt];
}

export const QUOTE_COLUMNS = 'id, workspace_id, key_id, owner_id, instrument, side, amount_in, expected_out, minimum_received, unit_price_usd, details, created_at, expires_at, used_at';

export function portfolioFromRow(row: PortfolioRow): PortfolioRecord {
  return { id: row.id, workspaceId: row.workspace_id, ownerId: row.owner_id, createdAt: row.created_at };
}

export function positionFromRow(row: PositionRow): PositionRecord {
  return { portfolioId: row.portfolio_id, instrument: row.instrument, units: row.units, costBasisUsd: row.cost_basis_usd, realizedPnlUsd: row.realized_pnl_usd, updatedAt: row.updated_at };
}

export function tradeFromRow(row: TradeRow): TradeRecord {
  return {
    id: row.id,
    workspaceId: row.workspace_id,
    portfolioId: row.portfolio_id,
    ownerId: row.owner_id,
    keyId: row.key_id,
    quoteId: row.quote_id,
    instrument: row.instrument,
    side: side(row.side),
    units: row.units,
    usd: row.usd,
    unitPriceUsd: row.unit_price_usd,
    feesUsd: row.fees_usd,
    marketCostUsd: row.market_cost_usd,
    realizedPnlUsd: row.realized_pnl_usd,
    executedAt: row.executed_at,
  };
}

export const TRADE_COLUMNS = 'id, workspace_id, portfolio_id, owner_id, key_id, quote_id, instrument, side, units, usd, unit_price_usd, fees_usd, market_cost_usd, realized_pnl_usd, executed_at';

/** The column values of a trade, in the order of {@link TRADE_COLUMNS}. */
export function tradeValues(t: TradeRecord): (string | number)[] {
  return [t.id, t.workspaceId, t.portfolioId, t.ownerId, t.keyId, t.quoteId, t.instrument, t.side, t.units, t.usd, t.unitPriceUsd, t.feesUsd, t.marketCostUsd, t.realizedPnlUsd, t.executedAt];
}

export function waitlistFromRow(row: WaitlistRow): WaitlistEntry {
  return { id: row.id, workspaceId: row.workspace_id, email: row.email, indexId: row.index_id, keyId: row.key_id, createdAt: row.created_at };
}
