import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MarketDataError } from '../../src/market/errors.ts';
import { inProcessMarketData, loadDataServices } from '../../src/market/market-data.ts';
import { createSimulatorProvider } from '../../src/market/simulator.ts';
import { bearer } from '../support/harness.ts';
import { SIM_END, makeDataHarness, type DataHarness } from './harness.ts';

interface Problem {
  status: number;
  code: string;
  detail: string;
  errors?: { field: string; message: string }[];
}

let h: DataHarness;
let reader: string;

beforeAll(async () => {
  h = await makeDataHarness();
  reader = (await h.createKey({ name: 'reader', scopes: ['prices:read', 'signals:read', 'index:read'] })).key;
});
afterAll(async () => h.close());

async function get<T>(url: string, key = reader): Promise<{ status: number; body: T; headers: Record<string, unknown> }> {
  const res = await h.app.inject({ url, headers: bearer(key) });
  return { status: res.statusCode, body: res.json<T>(), headers: res.headers };
}

describe('prices', () => {
  it('GET /v1/prices: the latest close of every asset, largest market cap first, filtered by ids', async () => {
    const all = await get<{ asOf: string; source: string; data: { id: string; date: string; price: number; marketCap: number | null }[] }>('/v1/prices');
    expect(all.status).toBe(200);
    expect(all.body.asOf).toBe(SIM_END);
    expect(all.body.source).toBe('simulator (seed 1)');
    expect(all.body.data.length).toBeGreaterThan(50);
    expect(all.body.data[0]?.id).toBe('bitcoin');
    const caps = all.body.data.map((p) => p.marketCap ?? -1);
    expect(caps).toEqual([...caps].sort((a, b) => b - a));
    expect(all.body.data.every((p) => p.price > 0)).toBe(true);

    const two = await get<{ data: { id: string }[] }>('/v1/prices?ids=ethereum,bitcoin,nope');
    expect(two.body.data.map((p) => p.id)).toEqual(['bitcoin', 'ethereum']);
    expect((await get<{ data: unknown[] }>('/v1/prices?limit=3')).body.data).toHaveLength(3);
    expect((await get<Problem>('/v1/prices?ids=BTC!')).body.code).toBe('VALIDATION_FAILED');
  });

  it('GET /v1/prices/{id}: the latest close or the close of a day; unknown assets are 404', async () => {
    const btc = await get<{ id: string; date: string; price: number; change24h: number | null }>('/v1/prices/bitcoin');
    expect(btc.status).toBe(200);
    expect(btc.body).toMatchObject({ id: 'bitcoin', date: SIM_END });
    const day = await get<{ date: string; price: number }>('/v1/prices/bitcoin?asOf=2017-06-01');
    expect(day.body.date).toBe('2017-06-01');
    expect(day.body.price).not.toBe(btc.body.price);
    const missing = await get<Problem>('/v1/prices/no-such-coin');
    expect(missing.status).toBe(404);
    expect(missing.body.code).toBe('ASSET_NOT_FOUND');
    expect((await get<Problem>('/v1/prices/bitcoin?asOf=2017-02-30')).body).toMatchObject({ status: 400, code: 'VALIDATION_FAILED' });
  });

  it('GET /v1/prices/{id}/history: daily closes between two days, inclusive', async () => {
    const r = await get<{ id: string; data: { date: string; price: number }[] }>('/v1/prices/bitcoin/history?from=2017-12-01&to=2017-12-10');
    expect(r.status).toBe(200);
    expect(r.body.data.map((p) => p.date)).toEqual(Array.from({ length: 10 }, (_, i) => `2017-12-${String(i + 1).padStart(2, '0')}`));
    const price = await get<{ price: number }>('/v1/prices/bitcoin?asOf=2017-12-05');
    expect(r.body.data[4]?.price).toBe(price.body.price);
    expect((await get<Problem>('/v1/prices/nope/history')).status).toBe(404);
    const reversed = await get<Problem>('/v1/prices/bitcoin/history?from=2017-12-10&to=2017-12-01');
    expect(reversed.body).toMatchObject({ status: 400, code: 'VALIDATION_FAILED', errors: [{ field: '/querystring/from' }] });
  });
});

describe('signals and the index', () => {
  it('GET /v1/signals/regime: state, close, SMA, band, days in state, last switch', async () => {
    const r = await get<{ asOf: string; state: string; btcClose: number; sma: number; smaDays: number; band: { bull: number; bear: number }; daysInState: number; lastSwitch: { executedOn: string; to: string } }>('/v1/signals/regime');
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ asOf: SIM_END, state: 'bull', smaDays: 200 });
    expect(r.body.band.bull).toBeCloseTo(1.02 * r.body.sma, 6);
    expect(r.body.band.bear).toBeCloseTo(0.98 * r.body.sma, 6);
    expect(r.body.lastSwitch.to).toBe('bull');
    expect(r.body.daysInState).toBe(Math.round((Date.parse(SIM_END) - Date.parse(r.body.lastSwitch.executedOn)) / 86_400_000));
    const past = await get<{ asOf: string }>('/v1/signals/regime?asOf=2017-09-01');
    expect(past.body.asOf).toBe('2017-09-01');
    const early = await get<Problem>('/v1/signals/regime?asOf=2010-01-01');
    expect(early.body).toMatchObject({ status: 400, code: 'INDEX_DATE_OUT_OF_RANGE', errors: [{ field: '/querystring/asOf' }] });
  });

  it('GET /v1/indices/ct100: level, regime, as-of, constituents whose values add up to level × divisor', async () => {
    const r = await get<{ asOf: string; regime: string; level: { net: number; gross: number }; divisor: { net: number }; constituents: { id: string; weight: number; valueUsd: number; quantity: number; price: number }[]; source: string }>('/v1/indices/ct100');
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ asOf: SIM_END, regime: 'bull', source: 'simulator (seed 1)' });
    expect(r.body.constituents.length).toBeGreaterThan(50);
    const total = r.body.constituents.reduce((s, c) => s + c.valueUsd, 0);
    expect(total / r.body.divisor.net).toBeCloseTo(r.body.level.net, 6);
    expect(r.body.constituents.reduce((s, c) => s + c.weight, 0)).toBeCloseTo(1, 9);
  });

  it('GET /v1/indices/ct100/holdings: weights, quantities, values, also on a past close', async () => {
    const r = await get<{ asOf: string; data: { id: string; quantity: number; price: number; valueUsd: number }[] }>('/v1/indices/ct100/holdings?asOf=2017-11-01');
    expect(r.status).toBe(200);
    expect(r.body.asOf).toBe('2017-11-01');
    for (const c of r.body.data) expect(c.valueUsd).toBeCloseTo(c.quantity * c.price, 6);
  });

  it('GET /v1/indices/ct100/transactions: the log, paginated with a cursor and filtered', async () => {
    const seen: number[] = [];
    let cursor: string | null = null;
    do {
      const r: { status: number; body: { data: { seq: number; type: string; orders: unknown[] }[]; nextCursor: string | null } } = await get(`/v1/indices/ct100/transactions?limit=7${cursor === null ? '' : `&cursor=${cursor}`}`);
      expect(r.status).toBe(200);
      seen.push(...r.body.data.map((t) => t.seq));
      cursor = r.body.nextCursor;
    } while (cursor !== null);
    expect(seen.length).toBeGreaterThan(10);
    expect(seen).toEqual(Array.from({ length: seen.length }, (_, i) => i + 1));
    const switches = await get<{ data: { type: string; orders: unknown[]; signal: { decidedOn: string } }[] }>('/v1/indices/ct100/transactions?type=REGIME_SWITCH');
    expect(switches.body.data.length).toBeGreaterThan(0);
    expect(switches.body.data.every((t) => t.type === 'REGIME_SWITCH' && t.signal.decidedOn !== null)).toBe(true);
    expect(switches.body.data.some((t) => t.orders.length > 0)).toBe(true);
    expect((await get<Problem>('/v1/indices/ct100/transactions?cursor=bm9wZQ')).body.code).toBe('INVALID_CURSOR');
  });

  it('GET /v1/indices/ct100/history: daily levels and the regime', async () => {
    const r = await get<{ data: { date: string; levelNet: number; levelGross: number; regime: string }[] }>('/v1/indices/ct100/history?from=2017-12-25');
    expect(r.body.data.map((p) => p.date)).toEqual(['2017-12-25', '2017-12-26', '2017-12-27', '2017-12-28', '2017-12-29', '2017-12-30', '2017-12-31']);
    const snap = await get<{ level: { net: number } }>('/v1/indices/ct100');
    expect(r.body.data.at(-1)?.levelNet).toBe(snap.body.level.net);
    expect(r.body.data.every((p) => p.levelGross >= p.levelNet)).toBe(true);
  });

  it('GET /v1/indices/ct100/metrics: the whole history and a period', async () => {
    const all = await get<{ from: string; to: string; series: { net: { cagr: number; endLevel: number }; btc: unknown }; relative: { btc: { beta: number | null } }; switches: number }>('/v1/indices/ct100/metrics');
    expect(all.status).toBe(200);
    expect(all.body.to).toBe(SIM_END);
    expect(Number.isFinite(all.body.series.net.cagr)).toBe(true);
    const part = await get<{ from: string; to: string; series: { net: { startLevel: number } } }>('/v1/indices/ct100/metrics?from=2017-10-01&to=2017-12-01');
    const oct1 = await get<{ data: { levelNet: number }[] }>('/v1/indices/ct100/history?from=2017-10-01&to=2017-10-01');
    expect(part.body).toMatchObject({ from: '2017-10-01', to: '2017-12-01', series: { net: { startLevel: oct1.body.data[0]?.levelNet } } });
    expect((await get<Problem>('/v1/indices/ct100/metrics?from=2017-12-01&to=2017-10-01')).body).toMatchObject({ status: 400, code: 'INDEX_QUERY_INVALID' });
  });
});

describe('without market data', () => {
  it('answers 503 MARKET_DATA_UNAVAILABLE when none is configured, after the key check', async () => {
    const off = await makeDataHarness({ marketData: null });
    try {
      const { key } = await off.createKey({ name: 'r', scopes: ['prices:read', 'index:read'] });
      const r = await off.app.inject({ url: '/v1/prices', headers: bearer(key) });
      expect(r.statusCode).toBe(503);
      expect(r.json<Problem>().code).toBe('MARKET_DATA_UNAVAILABLE');
      expect((await off.app.inject({ url: '/v1/prices' })).json<Problem>().code).toBe('MALFORMED');
      const q = await off.app.inject({ method: 'POST', url: '/v1/indices/ct100/quote', headers: bearer(key), payload: { side: 'buy', amountUsd: 100 } });
      expect(q.json<Problem>().code).toBe('MARKET_DATA_UNAVAILABLE');
    } finally {
      await off.close();
    }
  });

  it('serves prices from data the index cannot use, and answers the index routes with INDEX_DATA_INSUFFICIENT', async () => {
    // bitcoin and ethereum only: no USDC for the bear state.
    const partial = await makeDataHarness({ marketData: inProcessMarketData('two assets', () => loadDataServices(createSimulatorProvider({ end: '2017-03-31', assets: 2 }))) });
    try {
      const { key } = await partial.createKey({ name: 'r', scopes: ['prices:read', 'index:read', 'signals:read'] });
      const prices = await partial.app.inject({ url: '/v1/prices', headers: bearer(key) });
      expect(prices.statusCode).toBe(200);
      expect(prices.json<{ data: { id: string }[] }>().data.map((p) => p.id)).toEqual(['bitcoin', 'ethereum']);
      for (const url of ['/v1/indices/ct100', '/v1/signals/regime']) {
        const r = await partial.app.inject({ url, headers: bearer(key) });
        expect(r.statusCode, url).toBe(503);
        expect(r.json<Problem>().code).toBe('INDEX_DATA_INSUFFICIENT');
      }
    } finally {
      await partial.close();
    }
  });

  it('answers 503 MARKET_DATA_INVALID when the data failed to load, without the file path', async () => {
    const bad = await makeDataHarness({
      marketData: inProcessMarketData('file /srv/secret/prices.csv', async () => {
        throw new MarketDataError('price must be a positive number, got "abc"', { file: '/srv/secret/prices.csv', line: 12, field: 'price' });
      }),
    });
    try {
      const { key } = await bad.createKey({ name: 'r', scopes: ['index:read'] });
      const r = await bad.app.inject({ url: '/v1/indices/ct100', headers: bearer(key) });
      expect(r.statusCode).toBe(503);
      expect(r.json<Problem>().code).toBe('MARKET_DATA_INVALID');
      expect(r.body).not.toContain('/srv/secret');
    } finally {
      await bad.close();
    }
  });
});
