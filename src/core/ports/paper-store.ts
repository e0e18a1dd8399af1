/**
 * Storage of the data API's paper trading and waitlist (docs/guides/data-api.md): quotes (single
 * use, short-lived), one paper portfolio per (workspace, key owner) with its positions and
 * trades, and the waitlist for new index launches. Amounts are USD or index units; times epoch ms.
 */
import type { Page } from './store.ts';

export type TradeSide = 'buy' | 'sell';

/** A quote as shown to the consumer, kept until it is executed or expires. */
export interface QuoteRecord {
  /** `qt_…` */
  id: string;
  workspaceId: string;
  /** The key that asked for it. */
  keyId: string;
  /** That key's owner; only a key of the same owner can execute the quote. */
  ownerId: string | null;
  /** What is traded, e.g. `ct100`. */
  instrument: string;
  side: TradeSide;
  /** USD given (buy) or index units given (sell). */
  amountIn: number;
  /** Index units (buy) or USD (sell) expected after every cost. */
  expectedOut: number;
  minimumReceived: number;
  /** USD per index unit at the quoted close. */
  unitPriceUsd: number;
  /** The whole quote as shown (fees, legs, tolerance, close), copied into the trade's audit event. */
  details: Record<string, unknown>;
  createdAt: number;
  expiresAt: number;
  usedAt: number | null;
}

export interface QuoteRepo {
  insert(quote: QuoteRecord): Promise<void>;
  find(workspaceId: string, id: string): Promise<QuoteRecord | null>;
  /**
   * Marks the quote used at `at` if it is unused and unexpired then, and returns it (with usedAt
   * set); otherwise null. One conditional update: of concurrent calls for one quote, one wins.
   */
  consume(workspaceId: string, id: string, at: number): Promise<QuoteRecord | null>;
  /** Deletes the quotes that expired before `before`, used or not; returns how many went. */
  pruneExpired(before: number): Promise<number>;
}

/** The paper portfolio of one key owner in one workspace. */
export interface PortfolioRecord {
  /** `pf_…` */
  id: string;
  workspaceId: string;
  ownerId: string;
  createdAt: number;
}

/** A holding of one instrument, with its average cost. */
export interface PositionRecord {
  portfolioId: string;
  instrument: string;
  units: number;
  /** What the units held cost, fees included (average cost: a sale removes its share). */
  costBasisUsd: number;
  /** Proceeds of sales minus the cost basis they removed, summed. */
  realizedPnlUsd: number;
  updatedAt: number;
}

/** An executed quote. */
export interface TradeRecord {
  /** `trd_…` */
  id: string;
  workspaceId: string;
  portfolioId: string;
  ownerId: string;
  keyId: string;
  quoteId: string;
  instrument: string;
  side: TradeSide;
  units: number;
  /** USD paid (buy) or received (sell). */
  usd: number;
  unitPriceUsd: number;
  /** Platform and network fees. */
  feesUsd: number;
  /** Spread and market impact. */
  marketCostUsd: number;
  /** The sale's proceeds minus the cost basis it removed; 0 for a buy. */
  realizedPnlUsd: number;
  executedAt: number;
}

export interface PortfolioRepo {
  find(workspaceId: string, ownerId: string): Promise<PortfolioRecord | null>;
  /**
   * The owner's portfolio, inserted as `candidate` when there is none, and locked until the
   * transaction ends (PostgreSQL row lock; SQLite and memory serialise transactions anyway), so
   * that concurrent trades of one owner apply one after the other. Call inside `transact`.
   */
  lock(candidate: PortfolioRecord): Promise<PortfolioRecord>;
  /** Positions of the portfolio, by instrument. */
  positions(portfolioId: string): Promise<PositionRecord[]>;
  /** Inserts or replaces the position of (portfolio, instrument). */
  savePosition(position: PositionRecord): Promise<void>;
  insertTrade(trade: TradeRecord): Promise<void>;
  /** Trades of the portfolio in id (execution) order. */
  trades(portfolioId: string, page: Page): Promise<TradeRecord[]>;
}

/** A waitlist signup; the email is stored normalised (trimmed, lower case). */
export interface WaitlistEntry {
  /** `wl_…` */
  id: string;
  workspaceId: string;
  email: string;
  /** Which launch the signup is for (`any` when not named). */
  indexId: string;
  keyId: string;
  createdAt: number;
}

export interface WaitlistRepo {
  /** Adds the entry unless the workspace has that email already; true when added. */
  add(entry: WaitlistEntry): Promise<boolean>;
  find(workspaceId: string, email: string): Promise<WaitlistEntry | null>;
}
