import type { PortfolioRecord, PortfolioRepo, PositionRecord, QuoteRecord, QuoteRepo, TradeRecord, WaitlistEntry, WaitlistRepo } from '../../core/ports/store.ts';
import { clampLimit } from '../common/rows.ts';
import { JournaledMap, type Journal } from './journal.ts';

/** The paper-trading part of the memory store's state; journaled, so rollbacks undo it. */
export interface PaperState {
  quotes: Map<string, QuoteRecord>;
  portfolios: Map<string, PortfolioRecord>;
  /** `workspace \0 owner` → portfolio id (the SQL adapters' unique constraint). */
  portfolioByOwner: Map<string, string>;
  /** `portfolio \0 instrument` → position. */
  positions: Map<string, PositionRecord>;
  trades: Map<string, TradeRecord>;
  /** `workspace \0 email` → entry. */
  waitlist: Map<string, WaitlistEntry>;
  workspaceExists: (id: string) => boolean;
}

export function createPaperState(journal: Journal, workspaceExists: (id: string) => boolean): PaperState {
  return {
    quotes: new JournaledMap(journal),
    portfolios: new JournaledMap(journal),
    portfolioByOwner: new JournaledMap(journal),
    positions: new JournaledMap(journal),
    trades: new JournaledMap(journal),
    waitlist: new JournaledMap(journal),
    workspaceExists,
  };
}

type Exec = <T>(op: (state: PaperState) => T) => Promise<T>;

const pair = (a: string, b: string): string => `${a}\u0000${b}`;
const copyQuote = (q: QuoteRecord): QuoteRecord => ({ ...q, details: structuredClone(q.details) });

function constraint(message: string): Error {
  return new Error(`${message} (memory store)`);
}

/** Quote, portfolio and waitlist repos of the memory store, with the SQL adapters' constraints. */
export function makeMemoryPaperRepos(exec: Exec): { quotes: QuoteRepo; portfolios: PortfolioRepo; waitlist: WaitlistRepo } {
  const quotes: QuoteRepo = {
    insert: (q) =>
      exec((s) => {
        if (s.quotes.has(q.id)) throw constraint('UNIQUE constraint failed: paper_quotes.id');
        if (!s.workspaceExists(q.workspaceId)) throw constraint('FOREIGN KEY constraint failed');
        s.quotes.set(q.id, copyQuote(q));
      }),
    find: (workspaceId, id) =>
      exec((s) => {
        const q = s.quotes.get(id);
        return q !== undefined && q.workspaceId === workspaceId ? copyQuote(q) : null;
      }),
    consume: (workspaceId, id, at) =>
      exec((s) => {
        const q = s.quotes.get(id);
        if (q === undefined || q.workspaceId !== workspaceId || q.usedAt !== null || q.expiresAt <= at) return null;
        const used = { ...q, usedAt: at };
        s.quotes.set(id, used);
        return copyQuote(used);
      }),
    pruneExpired: (before) =>
      exec((s) => {
        let n = 0;
        for (const [id, q] of [...s.quotes.entries()]) {
          if (q.expiresAt < before) {
            s.quotes.delete(id);
            n += 1;
          }
        }
        return n;
      }),
  };

  const portfolios: PortfolioRepo = {
    find: (workspaceId, ownerId) =>
      exec((s) => {
        const id = s.portfolioByOwner.get(pair(workspaceId, ownerId));
        const p = id === undefined ? undefined : s.portfolios.get(id);
        return p === undefined ? null : { ...p };
      }),
    lock: (candidate) =>
      exec((s) => {
        const id = s.portfolioByOwner.get(pair(candidate.workspaceId, candidate.ownerId));
        const existing = id === undefined ? undefined : s.portfolios.get(id);
        if (existing !== undefined) return { ...existing };
        if (!s.workspaceExists(candidate.workspaceId)) throw constraint('FOREIGN KEY constraint failed');
        if (s.portfolios.has(candidate.id)) throw constraint('UNIQUE constraint failed: paper_portfolios.id');
        s.portfolios.set(candidate.id, { ...candidate });
        s.portfolioByOwner.set(pair(candidate.workspaceId, candidate.ownerId), candidate.id);
        return { ...candidate };
      }),
    positions: (portfolioId) =>
      exec((s) =>
        [...s.positions.values()]
          .filter((p) => p.portfolioId === portfolioId)
          .sort((a, b) => (a.instrument < b.instrument ? -1 : a.instrument > b.instrument ? 1 : 0))
          .map((p) => ({ ...p })),
      ),
    savePosition: (position) =>
      exec((s) => {
        if (!s.portfolios.has(position.portfolioId)) throw constraint('FOREIGN KEY constraint failed');
        if (!(position.units >= 0)) throw constraint('CHECK constraint failed: units >= 0');
        s.positions.set(pair(position.portfolioId, position.instrument), { ...position });
      }),
    insertTrade: (trade) =>
      exec((s) => {
        if (s.trades.has(trade.id)) throw constraint('UNIQUE constraint failed: paper_trades.id');
        if ([...s.trades.values()].some((t) => t.quoteId === trade.quoteId)) throw constraint('UNIQUE constraint failed: paper_trades.quote_id');
        if (!s.portfolios.has(trade.portfolioId)) throw constraint('FOREIGN KEY constraint failed');
        s.trades.set(trade.id, { ...trade });
      }),
    trades: (portfolioId, page) =>
      exec((s) =>
        [...s.trades.values()]
          .filter((t) => t.portfolioId === portfolioId && (page.afterId === undefined || t.id > page.afterId))
          .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
          .slice(0, clampLimit(page.limit))
          .map((t) => ({ ...t })),
      ),
  };

  const waitlist: WaitlistRepo = {
    add: (entry) =>
      exec((s) => {
        const k = pair(entry.workspaceId, entry.email);
        if (s.waitlist.has(k)) return false;
        if (!s.workspaceExists(entry.workspaceId)) throw constraint('FOREIGN KEY constraint failed');
        if ([...s.waitlist.values()].some((e) => e.id === entry.id)) throw constraint('UNIQUE constraint failed: waitlist_signups.id');
        s.waitlist.set(k, { ...entry });
        return true;
      }),
    find: (workspaceId, email) =>
      exec((s) => {
        const e = s.waitlist.get(pair(workspaceId, email));
        return e === undefined ? null : { ...e };
      }),
  };

  return { quotes, portfolios, waitlist };
}
