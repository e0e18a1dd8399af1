import type { AuditLog } from '../core/audit/audit-log.ts';
import type { Clock } from '../core/clock.ts';
import { ClavisError } from '../core/errors/registry.ts';
import type { IdGenerator } from '../core/ids.ts';
import type { ApiKeyRecord } from '../core/model.ts';
import type { Page, PositionRecord, QuoteRecord, Store, TradeRecord } from '../core/ports/store.ts';
import { MarketDataUnavailableError, type MarketData } from '../market/market-data.ts';
import { quoteIndexTrade, type IndexQuote, type IndexQuoteRequest } from './index-quote.ts';

/** The key a consumer called with: its id, workspace and owner. */
export type KeyCaller = Pick<ApiKeyRecord, 'id' | 'workspaceId' | 'ownerId'>;

/** A stored quote and what it shows. */
export interface QuoteIssued {
  id: string;
  createdAt: number;
  expiresAt: number;
  quote: IndexQuote;
}

/** A position valued at the latest close. */
export interface PositionValuation extends PositionRecord {
  unitPriceUsd: number;
  valueUsd: number;
  /** valueUsd − costBasisUsd. */
  unrealizedPnlUsd: number;
}

/** A paper portfolio valued at the latest close. */
export interface PortfolioValuation {
  /** null until the owner's first trade. */
  id: string | null;
  ownerId: string;
  asOf: string;
  positions: PositionValuation[];
  totals: { valueUsd: number; costBasisUsd: number; unrealizedPnlUsd: number; realizedPnlUsd: number; pnlUsd: number };
}

export interface PortfolioServiceDeps {
  store: Store;
  audit: AuditLog;
  clock: Clock;
  ids: IdGenerator;
  /** null: the server serves no market data, and quotes answer MARKET_DATA_UNAVAILABLE. */
  data: MarketData | null;
  /** How long a quote can be executed (default 30 s). */
  quoteTtlMs?: number;
  /** Fixed network fee per trade in USD (default 0: paper trades touch no chain). */
  networkFeeUsd?: number;
}

const INSTRUMENT = 'ct100';
/** Quotes are kept this long after they expire (for support questions), then pruned. */
const QUOTE_RETENTION_MS = 3_600_000;
/** A sale within this share of the holding sells all of it (no floating-point dust is left). */
const DUST = 1e-9;

/**
 * Paper trading of the CT100 index for API consumers: quotes (free, short-lived, single use) and
 * paper portfolios, one per key owner and workspace, with positions at average cost, P&L and the
 * trade history. Executing a quote is one transaction: the quote is consumed, the position and
 * the trade are written and an audit event is appended, or none of it happens.
 *
 * @example const issued = await portfolios.quote(key, { side: 'buy', amountUsd: 1000 }); await portfolios.trade(key, issued.id)
 */
export class PortfolioService {
  readonly #d: PortfolioServiceDeps;
  readonly #ttlMs: number;

  constructor(deps: PortfolioServiceDeps) {
    this.#d = deps;
    this.#ttlMs = deps.quoteTtlMs ?? 30_000;
  }

  get quoteTtlMs(): number {
    return this.#ttlMs;
  }

  #data(): MarketData {
    if (this.#d.data === null) throw new MarketDataUnavailableError('this server serves no market data (CLAVIS_MARKET_DATA=off)');
    return this.#d.data;
  }

  /** Prices a trade and stores the quote for `quoteTtlMs`; any key with index:read may ask. */
  async quote(caller: KeyCaller, req: IndexQuoteRequest): Promise<QuoteIssued> {
    const quote = await quoteIndexTrade(this.#data(), req, { networkFeeUsd: this.#d.networkFeeUsd ?? 0 });
    const now = this.#d.clock.now();
    const record: QuoteRecord = {
      id: this.#d.ids('qt'),
      workspaceId: caller.workspaceId,
      keyId: caller.id,
      ownerId: caller.ownerId,
      instrument: INSTRUMENT,
      side: quote.side,
      amountIn: quote.side === 'buy' ? quote.amountUsd : quote.units,
      expectedOut: quote.expectedOut,
      minimumReceived: quote.minimumReceived,
      unitPriceUsd: quote.unitPriceUsd,
      details: { ...quote },
      createdAt: now,
      expiresAt: now + this.#ttlMs,
      usedAt: null,
    };
    await this.#d.store.transact(async (tx) => {
      await tx.quotes.pruneExpired(now - QUOTE_RETENTION_MS);
      await tx.quotes.insert(record);
    });
    return { id: record.id, createdAt: record.createdAt, expiresAt: record.expiresAt, quote };
  }

  /**
   * Executes a quote of the caller's owner at its quoted amounts, once. Refused: OWNER_REQUIRED
   * (the key has no owner), QUOTE_NOT_FOUND (unknown, or another owner's), QUOTE_USED,
   * QUOTE_EXPIRED, INSUFFICIENT_UNITS (a sale of more than is held; the quote stays usable).
   */
  async trade(caller: KeyCaller, quoteId: string): Promise<{ trade: TradeRecord; position: PositionRecord }> {
    const ownerId = ownerOf(caller);
    const ws = caller.workspaceId;
    const now = this.#d.clock.now();
    return this.#d.store.transact(async (tx) => {
      const q = await tx.quotes.find(ws, quoteId);
      if (q === null || q.ownerId !== ownerId) throw new ClavisError('QUOTE_NOT_FOUND', `no quote ${quoteId} for this key's owner`);
      if (q.usedAt !== null) throw new ClavisError('QUOTE_USED', `quote ${quoteId} was executed at ${new Date(q.usedAt).toISOString()}`);
      if (q.expiresAt <= now) throw new ClavisError('QUOTE_EXPIRED', `quote ${quoteId} expired at ${new Date(q.expiresAt).toISOString()}; ask for a new one`);
      // The conditional update is what makes a quote single-use under concurrency.
      if ((await tx.quotes.consume(ws, quoteId, now)) === null) throw new ClavisError('QUOTE_USED', `quote ${quoteId} was executed by a concurrent request`);

      const portfolio = await tx.portfolios.lock({ id: this.#d.ids('pf'), workspaceId: ws, ownerId, createdAt: now });
      const held = (await tx.portfolios.positions(portfolio.id)).find((p) => p.instrument === q.instrument);
      const cur: PositionRecord = held ?? { portfolioId: portfolio.id, instrument: q.instrument, units: 0, costBasisUsd: 0, realizedPnlUsd: 0, updatedAt: now };
      const fees = feesOf(q);
      let next: PositionRecord;
      let trade: TradeRecord;
      const base = { id: this.#d.ids('trd'), workspaceId: ws, portfolioId: portfolio.id, ownerId, keyId: caller.id, quoteId: q.id, instrument: q.instrument, unitPriceUsd: q.unitPriceUsd, feesUsd: fees.feesUsd, marketCostUsd: fees.marketCostUsd, executedAt: now };
      if (q.side === 'buy') {
        next = { ...cur, units: cur.units + q.expectedOut, costBasisUsd: cur.costBasisUsd + q.amountIn, updatedAt: now };
        trade = { ...base, side: 'buy', units: q.expectedOut, usd: q.amountIn, realizedPnlUsd: 0 };
      } else {
        const sold = q.amountIn;
        if (sold > cur.units * (1 + DUST)) throw new ClavisError('INSUFFICIENT_UNITS', `the portfolio holds ${cur.units} units of ${q.instrument}; the quote sells ${sold}`);
        const all = sold >= cur.units * (1 - DUST);
        const removedCost = all ? cur.costBasisUsd : (cur.costBasisUsd * sold) / cur.units;
        const realized = q.expectedOut - removedCost;
        next = { ...cur, units: all ? 0 : cur.units - sold, costBasisUsd: all ? 0 : cur.costBasisUsd - removedCost, realizedPnlUsd: cur.realizedPnlUsd + realized, updatedAt: now };
        trade = { ...base, side: 'sell', units: sold, usd: q.expectedOut, realizedPnlUsd: realized };
      }
      await tx.portfolios.savePosition(next);
      await tx.portfolios.insertTrade(trade);
      await this.#d.audit.append(tx, {
        workspaceId: ws,
        actor: { type: 'key', id: caller.id },
        action: 'portfolio.trade',
        target: { type: 'portfolio', id: portfolio.id },
        data: { tradeId: trade.id, quoteId: q.id, ownerId, side: trade.side, instrument: trade.instrument, units: trade.units, usd: trade.usd, unitPriceUsd: trade.unitPriceUsd, feesUsd: trade.feesUsd, marketCostUsd: trade.marketCostUsd, asOf: q.details.asOf ?? null },
      });
      return { trade, position: next };
    });
  }

  /** The caller's owner's portfolio, valued at the latest close of the index. */
  async portfolio(caller: KeyCaller): Promise<PortfolioValuation> {
    const ownerId = ownerOf(caller);
    const snap = await this.#data().index.index();
    const unitPrice = snap.level.net;
    const found = await this.#d.store.portfolios.find(caller.workspaceId, ownerId);
    const positions = (found === null ? [] : await this.#d.store.portfolios.positions(found.id)).map((p): PositionValuation => {
      const valueUsd = p.units * unitPrice;
      return { ...p, unitPriceUsd: unitPrice, valueUsd, unrealizedPnlUsd: valueUsd - p.costBasisUsd };
    });
    const sum = (f: (p: PositionValuation) => number): number => positions.reduce((s, p) => s + f(p), 0);
    const unrealizedPnlUsd = sum((p) => p.unrealizedPnlUsd);
    const realizedPnlUsd = sum((p) => p.realizedPnlUsd);
    return {
      id: found?.id ?? null,
      ownerId,
      asOf: snap.asOf,
      positions,
      totals: { valueUsd: sum((p) => p.valueUsd), costBasisUsd: sum((p) => p.costBasisUsd), unrealizedPnlUsd, realizedPnlUsd, pnlUsd: unrealizedPnlUsd + realizedPnlUsd },
    };
  }

  /** The trades of the caller's owner in execution order (a page: `afterId` is the last id seen). */
  async trades(caller: KeyCaller, page: Page): Promise<TradeRecord[]> {
    const found = await this.#d.store.portfolios.find(caller.workspaceId, ownerOf(caller));
    return found === null ? [] : this.#d.store.portfolios.trades(found.id, page);
  }
}

function ownerOf(caller: KeyCaller): string {
  if (caller.ownerId === null) throw new ClavisError('OWNER_REQUIRED', 'this key has no ownerId, so it has no paper portfolio: create the key with "ownerId" (the consumer it belongs to)');
  return caller.ownerId;
}

/** Platform and network fees, and spread plus impact, as the stored quote showed them. */
function feesOf(q: QuoteRecord): { feesUsd: number; marketCostUsd: number } {
  const n = (k: string): number => {
    const v = q.details[k];
    return typeof v === 'number' ? v : 0;
  };
  return { feesUsd: n('platformFeeUsd') + n('networkFeeUsd'), marketCostUsd: n('marketCostUsd') };
}
