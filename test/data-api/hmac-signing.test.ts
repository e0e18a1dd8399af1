import { signRequest } from '@clavis/sdk/signing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeDataHarness, type DataHarness } from './harness.ts';

// The data API with a trader key that signs with HMAC-SHA256 instead of Ed25519: the consumer
// guard hashes the raw body, and the verify pipeline checks the HMAC over the same canonical string.

interface Problem {
  status: number;
  code: string;
}

let h: DataHarness;
let trader: { id: string; key: string; signingSecret: string };
beforeAll(async () => {
  h = await makeDataHarness();
  const res = await h.app.inject({
    method: 'POST',
    url: '/v1/keys',
    headers: { authorization: `Bearer ${h.ownerToken}` },
    payload: { name: 'hmac trader', environment: 'live', ttlSeconds: 86_400, scopes: ['index:read', 'portfolio:read', 'portfolio:trade'], ownerId: 'bob', ipAllowlist: ['127.0.0.1/32'], signing: { scheme: 'hmac-sha256' } },
  });
  expect(res.statusCode, res.body).toBe(201);
  trader = res.json<typeof trader>();
});
afterAll(async () => h.close());

function call(method: 'GET' | 'POST', url: string, body?: unknown, secret = trader.signingSecret) {
  const raw = body === undefined ? undefined : JSON.stringify(body);
  const headers = {
    ...signRequest({ key: trader.key, signer: { scheme: 'hmac-sha256', secret }, method, url, ...(raw === undefined ? {} : { body: raw }), timestamp: h.clock.now() }),
    ...(raw === undefined ? {} : { 'content-type': 'application/json' }),
  };
  return { headers, raw, send: async (override?: { payload?: string; headers?: Record<string, string> }) => h.app.inject({ method, url, headers: { ...headers, ...override?.headers }, remoteAddress: '127.0.0.1', ...((override?.payload ?? raw) === undefined ? {} : { payload: override?.payload ?? raw }) }) };
}

describe('the data API with an HMAC-signing trader key', () => {
  it('quotes and trades with signed requests', async () => {
    const q = await call('POST', '/v1/indices/ct100/quote', { side: 'buy', amountUsd: 1000, slippageTolerance: 0.01 }).send();
    expect(q.statusCode, q.body).toBe(201);
    h.clock.advance(1000);
    const t = await call('POST', '/v1/portfolio/trades', { quoteId: q.json<{ id: string }>().id }).send();
    expect(t.statusCode, t.body).toBe(201);
    const p = await call('GET', '/v1/portfolio').send();
    expect(p.statusCode, p.body).toBe(200);
  });

  it('refuses an unsigned request, another secret, a body that does not match its signature, a replay and a stale timestamp', async () => {
    const unsigned = await h.app.inject({ method: 'GET', url: '/v1/portfolio', headers: { authorization: `Bearer ${trader.key}` }, remoteAddress: '127.0.0.1' });
    expect(unsigned.json<Problem>()).toMatchObject({ status: 401, code: 'SIGNATURE_REQUIRED' });
    const forged = await call('GET', '/v1/portfolio', undefined, Buffer.alloc(32, 7).toString('base64')).send();
    expect(forged.json<Problem>()).toMatchObject({ status: 401, code: 'SIGNATURE_INVALID' });
    const tampered = await call('POST', '/v1/indices/ct100/quote', { side: 'buy', amountUsd: 10, slippageTolerance: 0.01 }).send({ payload: JSON.stringify({ side: 'buy', amountUsd: 1_000_000, slippageTolerance: 0.01 }) });
    expect(tampered.json<Problem>()).toMatchObject({ status: 401, code: 'SIGNATURE_INVALID' });
    const once = call('GET', '/v1/portfolio');
    expect((await once.send()).statusCode).toBe(200);
    expect((await once.send()).json<Problem>()).toMatchObject({ status: 401, code: 'REPLAYED' });
    const stale = call('GET', '/v1/portfolio');
    h.clock.advance(6000);
    expect((await stale.send()).json<Problem>()).toMatchObject({ status: 401, code: 'REPLAYED' });
  });
});
