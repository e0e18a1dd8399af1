import { readFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Clock } from '../../src/core/clock.ts';
import { dayOf } from '../../src/market/calendar.ts';
import { CoinGeckoClient, type CoinGeckoClientOptions } from '../../src/market/coingecko-client.ts';
import { createCoinGeckoProvider } from '../../src/market/coingecko-provider.ts';
import { assetIndex } from '../../src/market/dataset.ts';
import { MarketApiError } from '../../src/market/errors.ts';
import { createRateLimiter } from '../../src/market/rate-limiter.ts';

const fixture = (name: string): string => readFileSync(new URL(`../fixtures/market/coingecko/${name}`, import.meta.url), 'utf8');
const KEY = 'CG-test-key-0123456789';

interface Seen {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
}

/** Scripted answers per path prefix, used before the fixture replay: status, body file, headers. */
type Script = { status: number; file?: string; body?: string; headers?: Record<string, string> }[];

let server: Server;
let base: string;
let seen: Seen[] = [];
let scripts = new Map<string, Script>();

/** Replays the recorded fixtures like the CoinGecko API v3 would. */
function replay(url: URL): { status: number; body: string } {
  if (url.pathname === '/api/v3/ping') return { status: 200, body: '{"gecko_says":"(V3) To the Moon!"}' };
  if (url.pathname === '/api/v3/coins/markets') {
    if (url.searchParams.get('vs_currency') !== 'usd') return { status: 400, body: '{"error":"invalid vs_currency"}' };
    const all = JSON.parse(fixture('markets.json')) as { id: string }[];
    const ids = url.searchParams.get('ids');
    const perPage = Number(url.searchParams.get('per_page') ?? '100');
    const page = Number(url.searchParams.get('page') ?? '1');
    const list = ids === null ? all : all.filter((m) => ids.split(',').includes(m.id));
    return { status: 200, body: JSON.stringify(list.slice((page - 1) * perPage, page * perPage)) };
  }
  const m = /^\/api\/v3\/coins\/([^/]+)\/market_chart\/range$/.exec(url.pathname);
  if (m !== null) {
    if (url.searchParams.get('from') === null || url.searchParams.get('to') === null) return { status: 400, body: '{"error":"missing from/to"}' };
    try {
      return { status: 200, body: fixture(`${m[1] ?? ''}-range.json`) };
    } catch {
      return { status: 404, body: fixture('error-404.json') };
    }
  }
  return { status: 404, body: '{"error":"route not found"}' };
}

beforeAll(async () => {
  server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers });
    const script = [...scripts.entries()].find(([prefix]) => url.pathname.startsWith(prefix))?.[1];
    const step = script?.shift();
    if (step !== undefined) {
      res.writeHead(step.status, { 'content-type': 'application/json', ...step.headers });
      res.end(step.body ?? (step.file === undefined ? '' : fixture(step.file)));
      return;
    }
    const { status, body } = replay(url);
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v3`;
});

afterAll(async () => {
  await new Promise<void>((resolve, reject) => server.close((e) => (e === undefined ? resolve() : reject(e))));
});

beforeEach(() => {
  seen = [];
  scripts = new Map();
});

/** A client on the fixture server whose sleeps advance a fake clock instead of waiting. */
function client(opts: Partial<CoinGeckoClientOptions> = {}): { cg: CoinGeckoClient; sleeps: number[]; clock: Clock } {
  let now = Date.UTC(2024, 0, 6, 13, 30);
  const sleeps: number[] = [];
  const clock: Clock = { now: () => now };
  const cg = new CoinGeckoClient({
    baseUrl: base,
    apiKey: KEY,
    clock,
    sleep: async (ms) => {
      sleeps.push(ms);
      now += ms;
    },
    random: () => 0,
    requestsPerMinute: 600,
    ...opts,
  });
  return { cg, sleeps, clock };
}

describe('CoinGecko client against a fixture server', () => {
  it('reads /coins/markets and sends the key only in its header', async () => {
    const { cg } = client();
    const markets = await cg.markets({ perPage: 3 });
    expect(markets.map((m) => m.id)).toEqual(['bitcoin', 'ethereum', 'tether']);
    expect(markets[0]).toMatchObject({ symbol: 'btc', current_price: 44010.5, last_updated: '2024-01-06T13:00:00.000Z' });
    expect(seen).toHaveLength(1);
    expect(seen[0]?.headers['x-cg-demo-api-key']).toBe(KEY);
    expect(seen[0]?.url).not.toContain(KEY);
    expect(seen[0]?.url).toBe('/api/v3/coins/markets?vs_currency=usd&order=market_cap_desc&per_page=3&page=1');
  });

  it('uses the pro header on the pro plan', async () => {
    const { cg } = client({ plan: 'pro' });
    await cg.ping();
    expect(seen[0]?.headers['x-cg-pro-api-key']).toBe(KEY);
    expect(seen[0]?.headers['x-cg-demo-api-key']).toBeUndefined();
  });

  it('reads /coins/{id}/market_chart/range', async () => {
    const { cg } = client();
    const chart = await cg.marketChartRange('bitcoin', 1704067200, 1704585600);
    expect(chart.prices[0]).toEqual([1704153600000, 42283.58]);
    expect(seen[0]?.url).toBe('/api/v3/coins/bitcoin/market_chart/range?vs_currency=usd&from=1704067200&to=1704585600');
  });

  it('waits as long as Retry-After says after a 429, then succeeds', async () => {
    scripts.set('/api/v3/coins/markets', [{ status: 429, file: 'error-429.json', headers: { 'retry-after': '7' } }]);
    const { cg, sleeps } = client();
    const markets = await cg.markets({ perPage: 2 });
    expect(markets).toHaveLength(2);
    expect(seen).toHaveLength(2);
    expect(sleeps).toContain(7000);
  });

  it('retries 5xx with exponential back-off and gives up after maxAttempts, naming the path but never the key', async () => {
    scripts.set('/api/v3/coins/markets', [{ status: 503, body: 'upstream down' }, { status: 502, body: '' }, { status: 500, body: '{"error":"boom"}' }]);
    const { cg, sleeps } = client({ maxAttempts: 3, backoffMs: 100 });
    const err = await cg.markets().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MarketApiError);
    const e = err as MarketApiError;
    expect(e.status).toBe(500);
    expect(e.attempts).toBe(3);
    expect(e.message).toContain('/coins/markets?vs_currency=usd');
    expect(e.message).toContain('HTTP 500: boom');
    expect(e.message).not.toContain(KEY);
    // Back-off of 100 and 200 ms (jitter 0) between the three attempts, besides rate-limit waits.
    expect(sleeps.filter((s) => s === 100 || s === 200)).toEqual([100, 200]);
    expect(seen).toHaveLength(3);
  });

  it('does not retry a 404', async () => {
    const { cg } = client();
    const err = await cg.marketChartRange('no-such-coin', 0, 1).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MarketApiError);
    expect((err as MarketApiError).message).toBe('CoinGecko GET /coins/no-such-coin/market_chart/range?vs_currency=usd&from=0&to=1 failed: HTTP 404: coin not found');
    expect(seen).toHaveLength(1);
  });

  it('retries a network error', async () => {
    let calls = 0;
    const flaky: typeof fetch = async (input, init) => {
      calls++;
      if (calls === 1) throw new TypeError('fetch failed', { cause: { code: 'ECONNRESET' } });
      return fetch(input, init);
    };
    const { cg } = client({ fetch: flaky });
    await cg.ping();
    expect(calls).toBe(2);
  });

  it('refuses an answer of the wrong shape, naming the request and field', async () => {
    scripts.set('/api/v3/coins/markets', [{ status: 200, body: '[{"id":"bitcoin","symbol":"btc","name":"Bitcoin","current_price":"high","market_cap":1,"total_volume":1,"last_updated":null}]' }]);
    const { cg } = client();
    await expect(cg.markets()).rejects.toThrow(/^GET \/coins\/markets\?.*:1: \[0\]\.current_price: expected a number ≥ 0 or null, got "high"$/);
  });

  it('spaces requests to the rate limit', async () => {
    const { cg, sleeps } = client({ requestsPerMinute: 30 });
    await cg.ping();
    await cg.ping();
    await cg.ping();
    expect(sleeps).toEqual([2000, 2000]);
  });
});

describe('rate limiter', () => {
  it('queues concurrent callers in call order, one slot per interval', async () => {
    let now = 0;
    const starts: number[] = [];
    const pending: { at: number; resolve: () => void }[] = [];
    const limiter = createRateLimiter({
      perMinute: 60,
      clock: { now: () => now },
      sleep: (ms) => new Promise<void>((resolve) => pending.push({ at: now + ms, resolve })),
    });
    const run = (i: number): Promise<void> => limiter.acquire().then(() => void starts.push(i));
    const all = Promise.all([run(0), run(1), run(2)]);
    await Promise.resolve();
    expect(pending.map((p) => p.at)).toEqual([1000, 2000]);
    for (const p of pending) {
      now = p.at;
      p.resolve();
    }
    await all;
    expect(starts).toEqual([0, 1, 2]);
  });
});

describe('CoinGecko provider', () => {
  it('loads the top assets and their histories, keeping only closed days', async () => {
    const { cg, clock } = client();
    const provider = createCoinGeckoProvider({ client: cg, top: 2, clock, defaultDays: 10 });
    const ds = await provider.load();
    // Top 2 (bitcoin, ethereum) plus the ids the index needs (usd-coin); today (2024-01-06, 13:30) is not closed.
    expect(ds.assets.map((a) => a.id)).toEqual(['bitcoin', 'ethereum', 'usd-coin']);
    expect(ds.firstDay).toBe(dayOf('2024-01-01'));
    expect(ds.firstDay + ds.days - 1).toBe(dayOf('2024-01-05'));
    expect(ds.price[assetIndex(ds, 'bitcoin') * ds.days + 4]).toBe(44151.1);
    expect(Number.isNaN(ds.volume[assetIndex(ds, 'ethereum') * ds.days + 4] ?? 0)).toBe(true);
    const ranges = seen.filter((s) => s.url.includes('market_chart')).map((s) => s.url);
    expect(ranges).toHaveLength(3);
    expect(ranges[0]).toContain(`from=${(dayOf('2024-01-05') - 9) * 86400}&to=${(dayOf('2024-01-05') + 1) * 86400}`);
  });
});
