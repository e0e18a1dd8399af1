import type { KeyObject } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer } from '../support/harness.ts';
import { SIM_END, makeDataHarness, signed, type DataHarness } from './harness.ts';

interface Problem {
  status: number;
  code: string;
  detail: string;
  errors?: { field: string }[];
}

interface QuoteAnswer {
  id: string;
  createdAt: string;
  expiresAt: string;
  side: 'buy' | 'sell';
  asOf: string;
  regime: string;
  unitPriceUsd: number;
  amountUsd: number;
  units: number;
  expectedOut: number;
  outUnit: string;
  minimumReceived: number;
  slippageTolerance: number;
  priceImpact: number;
  platformFeeUsd: number;
  networkFeeUsd: number;
  marketCostUsd: number;
  totalCostUsd: number;
  legs: { assetId: string; weight: number; notionalUsd: number; platformFeeUsd: number; spreadUsd: number; impactUsd: number; costUsd: number }[];
}

interface TradeAnswer {
  trade: { id: string; quoteId: string; side: string; units: number; usd: number; feesUsd: number; marketCostUsd: number; realizedPnlUsd: number; keyId: string };
  position: { units: number; costBasisUsd: number; realizedPnlUsd: number; valueUsd: number };
}

interface PortfolioAnswer {
  id: string | null;
  ownerId: string;
  asOf: string;
  positions: { instrument: string; units: number; costBasisUsd: number; averageCostUsd: number | null; unitPriceUsd: number; valueUsd: number; unrealizedPnlUsd: number; realizedPnlUsd: number }[];
  totals: { valueUsd: number; costBasisUsd: number; unrealizedPnlUsd: number; realizedPnlUsd: number; pnlUsd: number };
}

type Trader = { id: string; key: string; privateKey: KeyObject };

let h: DataHarness;
let trader: Trader;

beforeAll(async () => {
  h = await makeDataHarness();
  trader = await h.createTraderKey('alice');
});
afterAll(async () => h.close());

/** A request signed with the trader's key, as the high-risk policy requires of every call it makes. */
async function as<T>(who: Trader, method: 'GET' | 'POST', url: string, body?: unknown, remoteAddress = '127.0.0.1'): Promise<{ status: number; body: T }> {
  const raw = body === undefined ? undefined : JSON.stringify(body);
  const headers = { ...signed(h, who, method, url, raw), ...(raw === undefined ? {} : { 'content-type': 'application/json' }) };
  const res = await h.app.inject({ method, url, headers, remoteAddress, ...(raw === undefined ? {} : { payload: raw }) });
  return { status: res.statusCode, body: res.json<T>() };
}

const quote = (who: Trader, body: Record<string, unknown>) => as<QuoteAnswer>(who, 'POST', '/v1/indices/ct100/quote', body);
/** Executes a quote a second after it was given: ids are time-sortable, so the history keeps this order. */
const trade = (who: Trader, quoteId: string) => {
  h.clock.advance(1000);
  return as<TradeAnswer>(who, 'POST', '/v1/portfolio/trades', { quoteId });
};

describe('quotes', () => {
  it('shows expected units, price impact, minimum received, fees and total before anything happens', async () => {
    const q = await quote(trader, { side: 'buy', amountUsd: 10_000, slippageTolerance: 0.01 });
    expect(q.status).toBe(201);
    const b = q.body;
    expect(b.id).toMatch(/^qt_[0-9A-Za-z]{22}$/);
    expect(Date.parse(b.expiresAt) - Date.parse(b.createdAt)).toBe(30_000);
    expect(b).toMatchObject({ side: 'buy', asOf: SIM_END, regime: 'bull', outUnit: 'units', slippageTolerance: 0.01, networkFeeUsd: 0 });
    const snap = (await h.app.inject({ url: '/v1/indices/ct100', headers: signed(h, trader, 'GET', '/v1/indices/ct100') })).json<{ level: { net: number }; constituents: unknown[] }>();
    expect(b.unitPriceUsd).toBe(snap.level.net);
    expect(b.legs).toHaveLength(snap.constituents.length);
    expect(b.legs.reduce((s, l) => s + l.notionalUsd, 0)).toBeCloseTo(10_000, 6);
    expect(b.platformFeeUsd).toBeCloseTo(10, 6); // 10 bps of every leg
    expect(b.marketCostUsd).toBeCloseTo(b.legs.reduce((s, l) => s + l.spreadUsd + l.impactUsd, 0), 9);
    expect(b.totalCostUsd).toBeCloseTo(b.platformFeeUsd + b.marketCostUsd + b.networkFeeUsd, 9);
    expect(b.expectedOut).toBeCloseTo((10_000 - b.totalCostUsd) / b.unitPriceUsd, 12);
    expect(b.minimumReceived).toBeCloseTo(b.expectedOut * 0.99, 12);
    expect(b.priceImpact).toBeCloseTo(b.marketCostUsd / 10_000, 12);
    expect(b.priceImpact).toBeGreaterThan(0.0005); // at least the half-spread
  });

  it('needs only index:read: a key without an owner may ask, and the quote is stored', async () => {
    const { key } = await h.createKey({ name: 'reader', scopes: ['index:read'] });
    const res = await h.app.inject({ method: 'POST', url: '/v1/indices/ct100/quote', headers: bearer(key), payload: { side: 'sell', units: 0.5 } });
    expect(res.statusCode).toBe(201);
    const q = res.json<QuoteAnswer>();
    expect(q).toMatchObject({ side: 'sell', units: 0.5, outUnit: 'usd' });
    expect(q.amountUsd).toBeCloseTo(0.5 * q.unitPriceUsd, 9);
    expect(q.expectedOut).toBeCloseTo(q.amountUsd - q.totalCostUsd, 9);
    expect((await h.store.quotes.find(h.workspaceId, q.id))?.ownerId).toBeNull();
  });

  it('refuses bad input with the field at fault', async () => {
    const { key } = await h.createKey({ name: 'reader', scopes: ['index:read'] });
    const post = async (payload: object) => (await h.app.inject({ method: 'POST', url: '/v1/indices/ct100/quote', headers: bearer(key), payload })).json<Problem>();
    expect(await post({ side: 'buy' })).toMatchObject({ status: 400, code: 'INDEX_QUERY_INVALID', errors: [{ field: '/body/amountUsd' }] });
    expect(await post({ side: 'buy', units: 1 })).toMatchObject({ code: 'INDEX_QUERY_INVALID', errors: [{ field: '/body/units' }] });
    expect(await post({ side: 'sell', units: 1, amountUsd: 5 })).toMatchObject({ code: 'INDEX_QUERY_INVALID' });
    expect(await post({ side: 'hold', amountUsd: 5 })).toMatchObject({ code: 'VALIDATION_FAILED' });
    expect(await post({ side: 'buy', amountUsd: -5 })).toMatchObject({ code: 'VALIDATION_FAILED', errors: [{ field: '/body/amountUsd' }] });
    expect(await post({ side: 'buy', amountUsd: 5, slippageTolerance: 0.9 })).toMatchObject({ code: 'VALIDATION_FAILED', errors: [{ field: '/body/slippageTolerance' }] });
    expect(await post({ side: 'buy', amountUsd: '5' })).toMatchObject({ code: 'VALIDATION_FAILED' });
  });
});

describe('paper trading', () => {
  it('quote → buy → portfolio → sell: positions at average cost, P&L and the history', async () => {
    const bob = await h.createTraderKey('bob');
    const empty = await as<PortfolioAnswer>(bob, 'GET', '/v1/portfolio');
    expect(empty.body).toMatchObject({ id: null, ownerId: 'bob', positions: [], totals: { valueUsd: 0, pnlUsd: 0 } });

    const q1 = (await quote(bob, { side: 'buy', amountUsd: 1000 })).body;
    const t1 = await trade(bob, q1.id);
    expect(t1.status).toBe(201);
    expect(t1.body.trade).toMatchObject({ quoteId: q1.id, side: 'buy', units: q1.expectedOut, usd: 1000, realizedPnlUsd: 0, keyId: bob.id });
    expect(t1.body.trade.feesUsd).toBeCloseTo(q1.platformFeeUsd + q1.networkFeeUsd, 9);
    expect(t1.body.position).toMatchObject({ units: q1.expectedOut, costBasisUsd: 1000, realizedPnlUsd: 0 });

    const q2 = (await quote(bob, { side: 'buy', amountUsd: 500 })).body;
    expect((await trade(bob, q2.id)).status).toBe(201);
    const held = q1.expectedOut + q2.expectedOut;

    const pf = await as<PortfolioAnswer>(bob, 'GET', '/v1/portfolio');
    expect(pf.status).toBe(200);
    expect(pf.body.id).toMatch(/^pf_/);
    expect(pf.body.asOf).toBe(SIM_END);
    const [pos] = pf.body.positions;
    expect(pos).toMatchObject({ instrument: 'ct100', costBasisUsd: 1500 });
    expect(pos?.units).toBeCloseTo(held, 12);
    expect(pos?.averageCostUsd).toBeCloseTo(1500 / held, 9);
    expect(pos?.valueUsd).toBeCloseTo(held * q1.unitPriceUsd, 9);
    // Bought and valued at the same close: the loss is what the trades cost.
    expect(pf.body.totals.unrealizedPnlUsd).toBeCloseTo(-(q1.totalCostUsd + q2.totalCostUsd), 6);

    const q3 = (await quote(bob, { side: 'sell', units: q1.expectedOut })).body;
    expect(q3.outUnit).toBe('usd');
    const t3 = await trade(bob, q3.id);
    expect(t3.status).toBe(201);
    const removedCost = (1500 * q1.expectedOut) / held;
    expect(t3.body.trade).toMatchObject({ side: 'sell', units: q1.expectedOut, usd: q3.expectedOut });
    expect(t3.body.trade.realizedPnlUsd).toBeCloseTo(q3.expectedOut - removedCost, 9);
    expect(t3.body.position.units).toBeCloseTo(q2.expectedOut, 12);
    expect(t3.body.position.costBasisUsd).toBeCloseTo(1500 - removedCost, 9);

    // Selling what is left empties the position exactly (no floating-point dust).
    const q4 = (await quote(bob, { side: 'sell', units: t3.body.position.units })).body;
    const t4 = await trade(bob, q4.id);
    expect(t4.body.position).toMatchObject({ units: 0, costBasisUsd: 0 });
    const after = await as<PortfolioAnswer>(bob, 'GET', '/v1/portfolio');
    expect(after.body.totals.realizedPnlUsd).toBeCloseTo(t3.body.trade.realizedPnlUsd + t4.body.trade.realizedPnlUsd, 9);
    expect(after.body.totals.realizedPnlUsd).toBeCloseTo(q3.expectedOut + q4.expectedOut - 1500, 6);

    const history = await as<{ data: { id: string; side: string; quoteId: string }[]; nextCursor: string | null }>(bob, 'GET', '/v1/portfolio/trades?limit=3');
    expect(history.body.data.map((t) => t.quoteId)).toEqual([q1.id, q2.id, q3.id]);
    expect(history.body.nextCursor).not.toBeNull();
    const next = await as<{ data: { quoteId: string }[]; nextCursor: string | null }>(bob, 'GET', `/v1/portfolio/trades?limit=3&cursor=${history.body.nextCursor ?? ''}`);
    expect(next.body).toEqual({ data: [expect.objectContaining({ quoteId: q4.id })], nextCursor: null });
  });

  it('records every trade as an audit event of the key', async () => {
    const carol = await h.createTraderKey('carol');
    const q = (await quote(carol, { side: 'buy', amountUsd: 250 })).body;
    const t = (await trade(carol, q.id)).body.trade;
    const events = await h.store.audit.list(h.workspaceId, { action: 'portfolio.trade', limit: 1000 });
    const ev = events.find((e) => e.event.data.tradeId === t.id)?.event;
    expect(ev).toMatchObject({ actor: { type: 'key', id: carol.id }, target: { type: 'portfolio' }, data: { quoteId: q.id, ownerId: 'carol', side: 'buy', usd: 250, units: q.expectedOut, asOf: SIM_END } });
  });

  it('executes a quote once: a second execution is QUOTE_USED, concurrent ones let exactly one through', async () => {
    const q = (await quote(trader, { side: 'buy', amountUsd: 100 })).body;
    expect((await trade(trader, q.id)).status).toBe(201);
    const again = await trade(trader, q.id);
    expect(again.status).toBe(409);
    expect((again.body as unknown as Problem).code).toBe('QUOTE_USED');

    const q2 = (await quote(trader, { side: 'buy', amountUsd: 100 })).body;
    const results = await Promise.all([1, 2, 3].map(() => trade(trader, q2.id)));
    expect(results.map((r) => r.status).sort()).toEqual([201, 409, 409]);
  });

  it('refuses an expired quote (and the position is unchanged)', async () => {
    const dave = await h.createTraderKey('dave');
    const q = (await quote(dave, { side: 'buy', amountUsd: 100 })).body;
    h.clock.advance(29_000);
    const late = await trade(dave, q.id);
    expect(late.status).toBe(410);
    expect((late.body as unknown as Problem).code).toBe('QUOTE_EXPIRED');
    expect((await as<PortfolioAnswer>(dave, 'GET', '/v1/portfolio')).body.positions).toEqual([]);
    const fresh = (await quote(dave, { side: 'buy', amountUsd: 100 })).body;
    h.clock.advance(28_999);
    expect((await trade(dave, fresh.id)).status).toBe(201);
  });

  it("refuses another owner's quote, an unknown quote, and a sale of more than is held", async () => {
    const erin = await h.createTraderKey('erin');
    const mine = (await quote(trader, { side: 'buy', amountUsd: 100 })).body;
    expect(((await trade(erin, mine.id)).body as unknown as Problem).code).toBe('QUOTE_NOT_FOUND');
    expect(((await trade(erin, 'qt_0000000000000000000000')).body as unknown as Problem).code).toBe('QUOTE_NOT_FOUND');
    const oversell = (await quote(erin, { side: 'sell', units: 1 })).body;
    const r = await trade(erin, oversell.id);
    expect(r.status).toBe(409);
    expect((r.body as unknown as Problem).code).toBe('INSUFFICIENT_UNITS');
    // The refusal rolled back: the quote was not spent, and nothing was recorded.
    expect((await h.store.quotes.find(h.workspaceId, oversell.id))?.usedAt).toBeNull();
    expect((await as<{ data: unknown[] }>(erin, 'GET', '/v1/portfolio/trades')).body.data).toEqual([]);
  });

  it('shares one portfolio between the keys of one owner', async () => {
    const first = await h.createTraderKey('frank');
    const second = await h.createTraderKey('frank');
    const q = (await quote(first, { side: 'buy', amountUsd: 300 })).body;
    // Quoted by one key of the owner, executed by another.
    expect((await trade(second, q.id)).status).toBe(201);
    const seen = await as<PortfolioAnswer>(first, 'GET', '/v1/portfolio');
    expect(seen.body.positions[0]?.costBasisUsd).toBe(300);
  });
});

describe('trades need a signed, IP-restricted key of an owner', () => {
  it('policy: a portfolio:trade key cannot be created without an IP allowlist and signing', async () => {
    const res = await h.app.inject({ method: 'POST', url: '/v1/keys', headers: bearer(h.ownerToken), payload: { name: 'loose', environment: 'live', ttlSeconds: 86_400, scopes: ['portfolio:trade'], ownerId: 'x' } });
    expect(res.statusCode).toBe(400);
    expect(res.json<Problem>().code).toBe('HIGH_RISK_POLICY');
  });

  it('refuses an unsigned request, a bad signature and another address', async () => {
    const q = (await quote(trader, { side: 'buy', amountUsd: 100 })).body;
    const body = JSON.stringify({ quoteId: q.id });
    const unsigned = await h.app.inject({ method: 'POST', url: '/v1/portfolio/trades', headers: { ...bearer(trader.key), 'content-type': 'application/json' }, payload: body });
    expect(unsigned.json<Problem>()).toMatchObject({ status: 401, code: 'SIGNATURE_REQUIRED' });
    const other = await h.createTraderKey('mallory');
    const forged = { ...signed(h, other, 'POST', '/v1/portfolio/trades', body), 'x-clavis-key': trader.key, 'content-type': 'application/json' };
    expect((await h.app.inject({ method: 'POST', url: '/v1/portfolio/trades', headers: forged, payload: body })).json<Problem>().code).toBe('SIGNATURE_INVALID');
    const away = await as<Problem>(trader, 'POST', '/v1/portfolio/trades', { quoteId: q.id }, '198.51.100.7');
    expect(away.body).toMatchObject({ status: 403, code: 'IP_NOT_ALLOWED' });
    // None of that spent the quote.
    expect((await trade(trader, q.id)).status).toBe(201);
  });

  it('needs portfolio:trade for trades and portfolio:read for the portfolio', async () => {
    const { key } = await h.createKey({ name: 'reader', scopes: ['index:read', 'portfolio:read'], ownerId: 'alice' });
    const res = await h.app.inject({ method: 'POST', url: '/v1/portfolio/trades', headers: bearer(key), payload: { quoteId: 'qt_0000000000000000000000' } });
    expect(res.json<Problem>()).toMatchObject({ status: 403, code: 'INSUFFICIENT_SCOPE' });
    // The read-only key of the same owner sees alice's portfolio.
    const pf = await h.app.inject({ url: '/v1/portfolio', headers: bearer(key) });
    expect(pf.statusCode).toBe(200);
    expect(pf.json<PortfolioAnswer>().ownerId).toBe('alice');
  });

  it('refuses a key without an owner with OWNER_REQUIRED', async () => {
    const ownerless = await h.createTraderKey('nobody', { ownerId: undefined });
    const q = (await quote(ownerless, { side: 'buy', amountUsd: 100 })).body;
    const r = await trade(ownerless, q.id);
    expect(r.status).toBe(403);
    expect((r.body as unknown as Problem).code).toBe('OWNER_REQUIRED');
    expect(((await as<Problem>(ownerless, 'GET', '/v1/portfolio')).body).code).toBe('OWNER_REQUIRED');
  });
});
