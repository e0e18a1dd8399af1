import { beforeAll, describe, expect, it } from 'vitest';
import { IndexQueryError } from '../../src/indices/errors.ts';
import { createIndexService, type IndexService } from '../../src/indices/index-service.ts';
import { isoDay } from '../../src/market/calendar.ts';
import type { MarketDataset } from '../../src/market/dataset.ts';
import { createMarketService } from '../../src/market/market-service.ts';
import { staticProvider } from '../../src/market/provider.ts';
import { createSimulatorProvider, simulateMarket } from '../../src/market/simulator.ts';

let svc: IndexService;
let ds: MarketDataset;

beforeAll(async () => {
  const market = await createMarketService(createSimulatorProvider({ seed: 5, assets: 90, end: '2022-06-30' }));
  ds = market.dataset();
  svc = await createIndexService({ market, variant: 'plain', networkFeeUsd: 2 });
});

function expectQueryError(fn: () => unknown, code: IndexQueryError['code'], field: string): void {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(IndexQueryError);
    expect((error as IndexQueryError).code).toBe(code);
    expect((error as IndexQueryError).field).toBe(field);
    return;
  }
  throw new Error('expected an IndexQueryError');
}

describe('index service', () => {
  it('describes the index', () => {
    expect(svc.info()).toMatchObject({ id: 'ct100', name: 'Clavis Top 100', rulesVersion: 'ct100-1.0', variant: 'plain', baseLevel: 1000, to: '2022-06-30', source: 'simulator (seed 5)' });
  });

  it('serves the index at a close: its level equals Σq·P / D of the holdings', () => {
    const bt = svc.backtest().index;
    // A day in a bull period, not on a trade day, so the holdings carry over.
    const k = Array.from(bt.invested).findIndex((v, i) => v === 1 && i > 300 && !bt.transactions.some((t) => t.date === isoDay(bt.firstDay + i)));
    const asOf = isoDay(bt.firstDay + k);
    const snap = svc.index(asOf);
    expect(snap.asOf).toBe(asOf);
    expect(snap.time).toBe(new Date((bt.firstDay + k + 1) * 86_400_000).toISOString());
    expect(snap.regime).toBe('bull');
    expect(snap.invested).toBe(true);
    const value = snap.constituents.reduce((s, c) => s + c.quantity * c.price, 0);
    expect(value / snap.divisor.net).toBeCloseTo(snap.level.net, 6);
    expect(snap.constituents.reduce((s, c) => s + c.weight, 0)).toBeCloseTo(1, 12);
    expect(snap.constituents.length).toBeGreaterThan(10);
    expect(snap.constituents[0]?.id).toBe('bitcoin');
    expect(svc.holdings(asOf)).toEqual(snap.constituents);
    expect(snap.lastTransaction?.date !== undefined && snap.lastTransaction.date < asOf).toBe(true);
  });

  it('serves the latest close by default and refuses dates outside the index', () => {
    expect(svc.index().asOf).toBe('2022-06-30');
    expectQueryError(() => svc.index('2010-01-01'), 'INDEX_DATE_OUT_OF_RANGE', 'asOf');
    expectQueryError(() => svc.index('2022-13-01'), 'INDEX_QUERY_INVALID', 'asOf');
  });

  it('serves the regime signal with its inputs, matching the levels', () => {
    const levels = svc.levels();
    const bullDay = levels.find((l) => l.regime === 'bull');
    expect(bullDay).toBeDefined();
    const r = svc.regime(bullDay?.date);
    expect(r.state).toBe('bull');
    expect(r.smaDays).toBe(200);
    expect(r.bullThreshold).toBeCloseTo((r.sma ?? 0) * 1.02, 9);
    expect(r.lastSwitch?.to).toBe('bull');
    expect(r.lastSwitch !== null && r.lastSwitch.executedOn <= r.asOf).toBe(true);
    // The day a switch is decided, it shows as pending.
    const decided = svc.transactions({ type: 'REGIME_SWITCH', limit: 1 }).data[0]?.signal.decidedOn;
    expect(decided).toBeDefined();
    expect(svc.regime(decided ?? '').pendingSwitch?.decidedOn).toBe(decided);
    expectQueryError(() => svc.regime('2030-01-01'), 'INDEX_DATE_OUT_OF_RANGE', 'asOf');
  });

  it('pages through the transactions log', () => {
    const all = svc.backtest().index.transactions;
    const first = svc.transactions({ limit: 10 });
    expect(first.data.map((t) => t.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(first.nextCursor).toBe(10);
    const seen = [...first.data];
    let cursor = first.nextCursor;
    while (cursor !== null) {
      const page = svc.transactions({ limit: 100, after: cursor });
      seen.push(...page.data);
      cursor = page.nextCursor;
    }
    expect(seen.map((t) => t.seq)).toEqual(all.map((t) => t.seq));
    const switches = svc.transactions({ type: 'REGIME_SWITCH', from: '2020-01-01', to: '2020-12-31', limit: 1000 });
    expect(switches.data.every((t) => t.type === 'REGIME_SWITCH' && t.date.startsWith('2020'))).toBe(true);
    expectQueryError(() => svc.transactions({ limit: 0 }), 'INDEX_QUERY_INVALID', 'limit');
  });

  it('serves levels and metrics of a period', () => {
    const l = svc.levels('2021-01-01', '2021-01-31');
    expect(l).toHaveLength(31);
    expect(l[0]?.date).toBe('2021-01-01');
    const m = svc.metrics('2021-01-01', '2021-12-31');
    expect(m.days).toBe(365);
    expect(m.series.net.startLevel).toBe(l[0]?.levelNet);
    expect(svc.metrics()).toBe(svc.backtest().metrics);
    expectQueryError(() => svc.metrics('2021-02-01', '2021-01-01'), 'INDEX_QUERY_INVALID', 'from');
  });

  it('quotes a swap with the cost model', () => {
    const q = svc.quote({ from: 'bitcoin', to: 'usd', amount: 2, tolerance: 0.01 });
    expect(q.asOf).toBe('2022-06-30');
    expect(q.legs).toHaveLength(1);
    expect(q.networkFeeUsd).toBe(2);
    expect(q.platformFeeUsd).toBeCloseTo(q.valueInUsd * 0.001, 9);
    expect(q.minimumReceived).toBeCloseTo(q.expectedOut * 0.99, 9);
    expect(q.expectedOut).toBeCloseTo(q.valueInUsd - q.totalCostUsd, 6);
    const swap = svc.quote({ from: 'ethereum', to: 'bitcoin', amount: 10 });
    expect(swap.legs.map((x) => x.side)).toEqual(['sell', 'buy']);
    expect(swap.tolerance).toBe(0.005);
    expectQueryError(() => svc.quote({ from: 'nope', to: 'usd', amount: 1 }), 'ASSET_NOT_FOUND', 'from');
    expectQueryError(() => svc.quote({ from: 'bitcoin', to: 'usd', amount: -1 }), 'INDEX_QUERY_INVALID', 'amount');
  });

  it('recomputes on refresh only when the data changed', async () => {
    const small = simulateMarket({ seed: 6, assets: 30, start: '2019-01-01', end: '2020-06-30' });
    let data = small;
    const market = await createMarketService({ name: 'test', load: async () => data });
    const s = await createIndexService({ market });
    const before = s.backtest();
    await s.refresh();
    expect(s.backtest()).toBe(before);
    data = { ...small };
    await s.refresh();
    expect(s.backtest()).not.toBe(before);
    expect(s.index().level).toEqual(before.index.levelNet.length > 0 ? { gross: before.index.levelGross.at(-1), net: before.index.levelNet.at(-1) } : null);
    await expect(createIndexService({ market: await createMarketService(staticProvider(ds)), from: 'soon' })).rejects.toThrow(/from: expected a date/);
  });
});
