import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, createKey, http, startServer, type Problem } from '../e2e/process.ts';

afterEach(cleanup);

describe('npm start serves the data API (the real process)', () => {
  it('serves /v1/prices and /v1/indices/ct100 from the simulator to a key created through the admin API', async () => {
    const server = await startServer({ CLAVIS_GEOIP: 'false', CLAVIS_MARKET_DATA: 'simulator' });
    expect(server.stdout.join('\n')).toMatch(new RegExp(`^Market data: simulator \\(seed 1\\) at ${server.url}/v1/prices`, 'm'));
    const token = readFileSync(server.tokenFile, 'utf8').trim();
    const { key } = await createKey(server.url, token, 'e2e reader', ['prices:read', 'index:read']);
    const auth = { authorization: `Bearer ${key}` };

    // The data loads in a worker thread after the server listens; a request made meanwhile waits for it.
    const prices = await http<{ asOf: string; source: string; data: { id: string; price: number }[] }>(server.url, 'GET', '/v1/prices?ids=bitcoin,ethereum', { headers: auth });
    expect(prices.status).toBe(200);
    expect(prices.body.source).toBe('simulator (seed 1)');
    expect(prices.body.data.map((p) => p.id)).toEqual(['bitcoin', 'ethereum']);
    // The simulator runs to the last closed UTC day.
    expect(Date.parse(prices.body.asOf)).toBeGreaterThan(Date.now() - 3 * 86_400_000);

    const index = await http<{ id: string; asOf: string; level: { net: number }; regime: string; constituents: unknown[] }>(server.url, 'GET', '/v1/indices/ct100', { headers: auth });
    expect(index.status).toBe(200);
    expect(index.body).toMatchObject({ id: 'ct100', asOf: prices.body.asOf });
    expect(index.body.level.net).toBeGreaterThan(0);
    expect(index.body.constituents.length).toBeGreaterThan(0);

    const refused = await http<Problem>(server.url, 'GET', '/v1/signals/regime', { headers: auth });
    expect(refused.status).toBe(403);
    expect(refused.body.code).toBe('INSUFFICIENT_SCOPE');
    expect((await server.stop()).code).toBe(0);
  });

  it('serves a CSV file named by CLAVIS_MARKET_DATA', async () => {
    const file = fileURLToPath(new URL('../fixtures/market/prices-good.csv', import.meta.url));
    const server = await startServer({ CLAVIS_GEOIP: 'false', CLAVIS_MARKET_DATA: file });
    expect(server.stdout.join('\n')).toContain(`Market data: file ${file}`);
    const token = readFileSync(server.tokenFile, 'utf8').trim();
    const { key } = await createKey(server.url, token, 'file reader', ['prices:read']);
    const prices = await http<{ source: string; data: { id: string }[] }>(server.url, 'GET', '/v1/prices', { headers: { authorization: `Bearer ${key}` } });
    expect(prices.status).toBe(200);
    expect(prices.body.source).toBe(`file ${file}`);
    expect(prices.body.data.map((p) => p.id)).toContain('bitcoin');
  });
});
