import { Type, type TSchema } from '@sinclair/typebox';
import { Ajv } from 'ajv';
import addFormats from 'ajv-formats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Constituent, HistoryPoint, IndexSnapshot, LevelPoint, Metrics, Portfolio, Position, Price, Quote, RegimeSignal, Trade, Transaction } from '../../src/http/routes/v1/data/data-schemas.ts';
import { ProblemSchema } from '../../src/http/schemas/common.ts';
import { bearer } from '../support/harness.ts';
import { makeDataHarness, signed, type DataHarness } from './harness.ts';

// The data routes write their answers with JSON.stringify (no serializer drops undocumented
// fields), so this checks every answer against its documented schema, with no extra property.
const ajv = new Ajv({ allErrors: true, strict: false });
addFormats.default(ajv);

/** The schema with additionalProperties: false on every object, so an undocumented field fails. */
function closed(schema: TSchema): unknown {
  return JSON.parse(JSON.stringify(schema), (_k, v: unknown) => (typeof v === 'object' && v !== null && (v as { type?: unknown }).type === 'object' && 'properties' in v ? { ...v, additionalProperties: false } : v));
}

function expectShape(schema: TSchema, body: unknown, what: string): void {
  const check = ajv.compile(closed(schema) as object);
  expect(check(body), `${what}: ${ajv.errorsText(check.errors)}`).toBe(true);
}

let h: DataHarness;
beforeAll(async () => {
  h = await makeDataHarness();
});
afterAll(async () => h.close());

describe('data-API answers match their documented schemas', () => {
  it('for every read route, a quote, a trade, the portfolio and a refusal', async () => {
    const { key } = await h.createKey({ name: 'reader', scopes: ['prices:read', 'signals:read', 'index:read', 'portfolio:read'], ownerId: 'shape' });
    const reads: [string, TSchema][] = [
      ['/v1/prices?limit=5', Type.Object({ asOf: Type.String(), source: Type.String(), data: Type.Array(Price) })],
      ['/v1/prices/bitcoin', Price],
      ['/v1/prices/bitcoin/history?from=2017-12-01', Type.Object({ id: Type.String(), data: Type.Array(HistoryPoint) })],
      ['/v1/signals/regime', RegimeSignal],
      ['/v1/indices/ct100', IndexSnapshot],
      ['/v1/indices/ct100/holdings', Type.Object({ asOf: Type.String(), data: Type.Array(Constituent) })],
      ['/v1/indices/ct100/transactions?limit=40', Type.Object({ data: Type.Array(Transaction), nextCursor: Type.Union([Type.String(), Type.Null()]) })],
      ['/v1/indices/ct100/history?from=2017-12-01', Type.Object({ data: Type.Array(LevelPoint) })],
      ['/v1/indices/ct100/metrics', Metrics],
      ['/v1/portfolio', Portfolio],
      ['/v1/prices/nope', ProblemSchema],
    ];
    for (const [url, schema] of reads) {
      const res = await h.app.inject({ url, headers: bearer(key) });
      expectShape(schema, res.json(), url);
    }

    const trader = await h.createTraderKey('shape');
    const body = JSON.stringify({ side: 'buy', amountUsd: 2500 });
    const q = await h.app.inject({ method: 'POST', url: '/v1/indices/ct100/quote', headers: { ...signed(h, trader, 'POST', '/v1/indices/ct100/quote', body), 'content-type': 'application/json' }, payload: body });
    expectShape(Quote, q.json(), 'quote');
    const tbody = JSON.stringify({ quoteId: q.json<{ id: string }>().id });
    const t = await h.app.inject({ method: 'POST', url: '/v1/portfolio/trades', headers: { ...signed(h, trader, 'POST', '/v1/portfolio/trades', tbody), 'content-type': 'application/json' }, payload: tbody });
    expect(t.statusCode).toBe(201);
    expectShape(Type.Object({ trade: Trade, position: Position }), t.json(), 'trade');
    expectShape(Portfolio, (await h.app.inject({ url: '/v1/portfolio', headers: bearer(key) })).json(), 'portfolio with a position');
    expectShape(Type.Object({ data: Type.Array(Trade), nextCursor: Type.Union([Type.String(), Type.Null()]) }), (await h.app.inject({ url: '/v1/portfolio/trades', headers: bearer(key) })).json(), 'trades');
    const w = await h.app.inject({ method: 'POST', url: '/v1/waitlist', headers: bearer(key), payload: { email: 'shape@example.com' } });
    expectShape(Type.Object({ status: Type.Literal('subscribed'), email: Type.String(), index: Type.String() }), w.json(), 'waitlist');
  });
});
