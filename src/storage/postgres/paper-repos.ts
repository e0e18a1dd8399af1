import type { QueryResultRow } from 'pg';
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

/** Runs one statement and returns its rows (the store's pooled or transaction runner). */
type Run = <R extends QueryResultRow>(text: string, values: unknown[]) => Promise<R[]>;

const asIs = (value: unknown): unknown => value;
const params = (columns: string, casts: Readonly<Record<number, string>> = {}): string =>
  columns
    .split(',')
    .map((_, i) => `$${i + 1}${casts[i] ?? ''}`)
    .join(', ');
/** `details` (the 11th quote column) is JSONB. */
const QUOTE_PARAMS = params(QUOTE_COLUMNS, { 10: '::jsonb' });

/** Quote, portfolio and waitlist repos on PostgreSQL. */
export function makePostgresPaperRepos(run: Run): { quotes: QuoteRepo; portfolios: PortfolioRepo; waitlist: WaitlistRepo } {
  const first = async <R extends QueryResultRow>(text: string, values: unknown[]): Promise<R | null> => (await run<R>(text, values))[0] ?? null;

  const quotes: QuoteRepo = {
    insert: async (q) => {
      await run(`INSERT INTO paper_quotes (${QUOTE_COLUMNS}) VALUES (${QUOTE_PARAMS})`, quoteValues(q));
    },
    find: async (workspaceId, id) => {
      const row = await first<QuoteRow>('SELECT * FROM paper_quotes WHERE id = $1 AND workspace_id = $2', [id, workspaceId]);
      return row === null ? null : quoteFromRow(row, asIs);
    },
    // Under READ COMMITTED a concurrent consumer waits for the row lock, then re-checks used_at.
    consume: async (workspaceId, id, at) => {
      const row = await first<QuoteRow>(
        'UPDATE paper_quotes SET used_at = $1 WHERE id = $2 AND workspace_id = $3 AND used_at IS NULL AND expires_at > $1 RETURNING *',
        [at, id, workspaceId],
      );
      return row === null ? null : quoteFromRow(row, asIs);
    },
    pruneExpired: async (before) => (await run<{ one: number }>('DELETE FROM paper_quotes WHERE expires_at < $1 RETURNING 1 AS one', [before])).length,
  };

  const portfolios: PortfolioRepo = {
    find: async (workspaceId, ownerId) => {
      const row = await first<PortfolioRow>('SELECT * FROM paper_portfolios WHERE workspace_id = $1 AND owner_id = $2', [workspaceId, ownerId]);
      return row === null ? null : portfolioFromRow(row);
    },
    lock: async (c) => {
      await run('INSERT INTO paper_portfolios (id, workspace_id, owner_id, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT (workspace_id, owner_id) DO NOTHING', [c.id, c.workspaceId, c.ownerId, c.createdAt]);
      const row = await first<PortfolioRow>('SELECT * FROM paper_portfolios WHERE workspace_id = $1 AND owner_id = $2 FOR UPDATE', [c.workspaceId, c.ownerId]);
      if (row === null) throw new Error('paper portfolio vanished after insert');
      return portfolioFromRow(row);
    },
    positions: async (portfolioId) => (await run<PositionRow>('SELECT * FROM paper_positions WHERE portfolio_id = $1 ORDER BY instrument', [portfolioId])).map(positionFromRow),
    savePosition: async (p) => {
      await run(
        `INSERT INTO paper_positions (portfolio_id, instrument, units, cost_basis_usd, realized_pnl_usd, updated_at) VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (portfolio_id, instrument) DO UPDATE SET units = excluded.units, cost_basis_usd = excluded.cost_basis_usd,
           realized_pnl_usd = excluded.realized_pnl_usd, updated_at = excluded.updated_at`,
        [p.portfolioId, p.instrument, p.units, p.costBasisUsd, p.realizedPnlUsd, p.updatedAt],
      );
    },
    insertTrade: async (t) => {
      await run(`INSERT INTO paper_trades (${TRADE_COLUMNS}) VALUES (${params(TRADE_COLUMNS)})`, tradeValues(t));
    },
    trades: async (portfolioId, page) =>
      (await run<TradeRow>('SELECT * FROM paper_trades WHERE portfolio_id = $1 AND id > $2 ORDER BY id LIMIT $3', [portfolioId, page.afterId ?? BEFORE_ALL_IDS, clampLimit(page.limit)])).map(tradeFromRow),
  };

  const waitlist: WaitlistRepo = {
    add: async (e) =>
      (
        await run<{ one: number }>(
          'INSERT INTO waitlist_signups (id, workspace_id, email, index_id, key_id, created_at) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (workspace_id, email) DO NOTHING RETURNING 1 AS one',
          [e.id, e.workspaceId, e.email, e.indexId, e.keyId, e.createdAt],
        )
      ).length === 1,
    find: async (workspaceId, email) => {
      const row = await first<WaitlistRow>('SELECT * FROM waitlist_signups WHERE workspace_id = $1 AND email = $2', [workspaceId, email]);
      return row === null ? null : waitlistFromRow(row);
    },
  };

  return { quotes, portfolios, waitlist };
}
