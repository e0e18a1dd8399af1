import type { PositionRecord, TradeRecord } from '../../../../core/ports/store.ts';
import { MarketDataUnavailableError, type MarketData } from '../../../../market/market-data.ts';
import type { PositionValuation, QuoteIssued } from '../../../../portfolio/portfolio-service.ts';
import type { Services } from '../../../../services.ts';

/** The market data the server serves, or MARKET_DATA_UNAVAILABLE. */
export function dataOf(s: Services): MarketData {
  if (s.marketData === null) throw new MarketDataUnavailableError('this server serves no market data (CLAVIS_MARKET_DATA=off)');
  return s.marketData;
}

/** `bitcoin,ethereum` → ['bitcoin', 'ethereum']; undefined stays undefined (every asset). */
export function idList(ids: string | undefined): string[] | undefined {
  return ids === undefined ? undefined : [...new Set(ids.split(',').map((x) => x.trim()).filter((x) => x !== ''))];
}

const iso = (ms: number): string => new Date(ms).toISOString();

export function quoteView(q: QuoteIssued) {
  return { id: q.id, createdAt: iso(q.createdAt), expiresAt: iso(q.expiresAt), ...q.quote };
}

export function tradeView(t: TradeRecord) {
  return {
    id: t.id,
    quoteId: t.quoteId,
    keyId: t.keyId,
    instrument: t.instrument,
    side: t.side,
    units: t.units,
    usd: t.usd,
    unitPriceUsd: t.unitPriceUsd,
    feesUsd: t.feesUsd,
    marketCostUsd: t.marketCostUsd,
    realizedPnlUsd: t.realizedPnlUsd,
    executedAt: iso(t.executedAt),
  };
}

export function positionView(p: PositionValuation | (PositionRecord & { unitPriceUsd: number })) {
  const valueUsd = 'valueUsd' in p ? p.valueUsd : p.units * p.unitPriceUsd;
  return {
    instrument: p.instrument,
    units: p.units,
    costBasisUsd: p.costBasisUsd,
    averageCostUsd: p.units > 0 ? p.costBasisUsd / p.units : null,
    unitPriceUsd: p.unitPriceUsd,
    valueUsd,
    unrealizedPnlUsd: valueUsd - p.costBasisUsd,
    realizedPnlUsd: p.realizedPnlUsd,
    updatedAt: iso(p.updatedAt),
  };
}
