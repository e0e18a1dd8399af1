import type Database from 'better-sqlite3';
import type { PortfolioRepo, QuoteRepo, WaitlistRepo } from '../../core/ports/store.ts';
import { BEFORE_ALL_IDS, clampLimit } from '../common/rows.ts';
import {
  QUOTE_COLUMNS,
  TRADE_COLUMNS,
  portfolioFromRow,
  positionFromRow,
  quoteFromRow,
  quoteValues,
  tradeFromRow,
  tradeValues,
  waitlistFromRow,
  type PortfolioRow,
  type PositionRow,
  type QuoteRow,
  type TradeRow,
  type WaitlistRow,
} from '../common/paper-rows.ts';

type Exec = <T>(op: () => T) => Promise<T>;
type Value = string | number | null;

const parseJson = (value: unknown): unknown => JSON.parse(value as string);
const placeholders = (columns: string): string => columns.split(',').map(() => '?').join(', ');

/** Prepared statements of the paper-trading tables; prepare after migrating. */
export function preparePaperStatements(db: Database.Database) {
  return {
    insertQuote: db.prepare<Value[]>(`INSERT INTO paper_quotes (${QUOTE_COLUMNS}) VALUES (${placeholders(QUOTE_COLUMNS)})`),
    findQuote: db.prepare<[string, string], QuoteRow>('SELECT * FROM paper_quotes WHERE id = ? AND workspace_id = ?'),
    consumeQuote: db.prepare<[number, string, string, number], QuoteRow>(
      'UPDATE paper_quotes SET used_at = ? WHERE id = ? AND workspace_id = ? AND used_at IS NULL AND expires_at > ? RETURNING *',
    ),
    pruneQuotes: db.prepare<[number]>('DELETE FROM paper_quotes WHERE expires_at < ?'),

    findPortfolio: db.prepare<[string, string], PortfolioRow>('SELECT * FROM paper_portfolios WHERE workspace_id = ? AND owner_id = ?'),
    insertPortfolio: db.prepare<[string, string, string, number]>(
      'INSERT INTO paper_portfolios (id, workspace_id, owner_id, created_at) VALUES (?, ?, ?, ?) ON CONFLICT (workspace_id, owner_id) DO NOTHING',
    ),
    positions: db.prepare<[string], PositionRow>('SELECT * FROM paper_positions WHERE portfolio_id = ? ORDER BY instrument'),
    savePosition: db.prepare<[string, string, number, number, number, number]>(
      `INSERT INTO paper_positions (portfolio_id, instrument, units, cost_basis_usd, realized_pnl_usd, updated_at) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (portfolio_id, instrument) DO UPDATE SET units = excluded.units, cost_basis_usd = excluded.cost_basis_usd,
         realized_pnl_usd = excluded.realized_pnl_usd, updated_at = excluded.updated_at`,
    ),
    insertTrade: db.prepare<Value[]>(`INSERT INTO paper_trades (${TRADE_COLUMNS}) VALUES (${placeholders(TRADE_COLUMNS)})`),
    trades: db.prepare<[string, string, number], TradeRow>('SELECT * FROM paper_trades WHERE portfolio_id = ? AND id > ? ORDER BY id LIMIT ?'),

    addWaitlist: db.prepare<[string, string, string, string, string, number]>(
      'INSERT INTO waitlist_signups (id, workspace_id, email, index_id, key_id, created_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (workspace_id, email) DO NOTHING',
    ),
    findWaitlist: db.prepare<[string, string], WaitlistRow>('SELECT * FROM waitlist_signups WHERE workspace_id = ? AND email = ?'),
  };
}

export type PaperStatements = ReturnType<typeof preparePaperStatements>;

/** Quote, portfolio and waitlist repos on SQLite (transactions are serialised, so `lock` needs no lock). */
export function makeSqlitePaperRepos(s: PaperStatements, exec: Exec): { quotes: QuoteRepo; portfolios: PortfolioRepo; waitlist: WaitlistRepo } {
  const quotes: QuoteRepo = {
    insert: (q) =>
      exec(() => {
        s.insertQuote.run(...quoteValues(q));
      }),
    find: (workspaceId, id) =>
      exec(() => {
        const row = s.findQuote.get(id, workspaceId);
        return row === undefined ? null : quoteFromRow(row, parseJson);
      }),
    consume: (workspaceId, id, at) =>
      exec(() => {
        const row = s.consumeQuote.get(at, id, workspaceId, at);
        return row === undefined ? null : quoteFromRow(row, parseJson);
      }),
    pruneExpired: (before) => exec(() => s.pruneQuotes.run(before).changes),
  };

  const portfolios: PortfolioRepo = {
    find: (workspaceId, ownerId) =>
      exec(() => {
        const row = s.findPortfolio.get(workspaceId, ownerId);
        return row === undefined ? null : portfolioFromRow(row);
      }),
    lock: (c) =>
      exec(() => {
        s.insertPortfolio.run(c.id, c.workspaceId, c.ownerId, c.createdAt);
        const row = s.findPortfolio.get(c.workspaceId, c.ownerId);
        if (row === undefined) throw new Error('paper portfolio vanished after insert');
        return portfolioFromRow(row);
      }),
    positions: (portfolioId) => exec(() => s.positions.all(portfolioId).map(positionFromRow)),
    savePosition: (p) =>
      exec(() => {
        s.savePosition.run(p.portfolioId, p.instrument, p.units, p.costBasisUsd, p.realizedPnlUsd, p.updatedAt);
      }),
    insertTrade: (t) =>
      exec(() => {
        s.insertTrade.run(...tradeValues(t));
      }),
    trades: (portfolioId, page) => exec(() => s.trades.all(portfolioId, page.afterId ?? BEFORE_ALL_IDS, clampLimit(page.limit)).map(tradeFromRow)),
  };

  const waitlist: WaitlistRepo = {
    add: (e) => exec(() => s.addWaitlist.run(e.id, e.workspaceId, e.email, e.indexId, e.keyId, e.createdAt).changes === 1),
    find: (workspaceId, email) =>
      exec(() => {
        const row = s.findWaitlist.get(workspaceId, email);
        return row === undefined ? null : waitlistFromRow(row);
      }),
  };

  return { quotes, portfolios, waitlist };
}
