import { request, type IncomingMessage } from 'node:http';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { simulatedTicks } from '../../src/market/simulated-ticks.ts';
import type { PriceView } from '../../src/market/market-service.ts';
import { bearer } from '../support/harness.ts';
import { makeDataHarness, type DataHarness } from './harness.ts';

interface SseEvent {
  event: string;
  id: string;
  data: unknown;
}

/** An SSE client over node:http: events as they arrive, and whether the server closed the stream. */
class EventReader {
  readonly events: SseEvent[] = [];
  ended = false;
  #buffer = '';
  #waiters = new Set<() => void>();

  constructor(readonly res: IncomingMessage) {
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => {
      this.#buffer += chunk;
      let cut: number;
      while ((cut = this.#buffer.indexOf('\n\n')) >= 0) {
        const block = this.#buffer.slice(0, cut);
        this.#buffer = this.#buffer.slice(cut + 2);
        const fields = new Map(block.split('\n').filter((l) => !l.startsWith(':') && l.includes(': ')).map((l) => [l.slice(0, l.indexOf(': ')), l.slice(l.indexOf(': ') + 2)]));
        const event = fields.get('event');
        if (event !== undefined) this.events.push({ event, id: fields.get('id') ?? '', data: JSON.parse(fields.get('data') ?? 'null') });
      }
      this.#notify();
    });
    res.on('end', () => {
      this.ended = true;
      this.#notify();
    });
  }

  #notify(): void {
    for (const w of this.#waiters) w();
  }

  /** Resolves once `check` holds, or fails after `ms`. */
  async until(check: () => boolean, ms = 5000): Promise<void> {
    if (check()) return;
    await new Promise<void>((done, fail) => {
      const timer = setTimeout(() => {
        this.#waiters.delete(waiter);
        fail(new Error(`timed out; events so far: ${this.events.map((e) => e.event).join(', ')}; ended: ${String(this.ended)}`));
      }, ms);
      const waiter = (): void => {
        if (!check()) return;
        clearTimeout(timer);
        this.#waiters.delete(waiter);
        done();
      };
      this.#waiters.add(waiter);
    });
  }
}

function open(base: string, path: string, headers: Record<string, string>): Promise<IncomingMessage> {
  return new Promise((done, fail) => {
    const req = request(new URL(path, base), { headers: { accept: 'text/event-stream', ...headers } }, done);
    req.on('error', fail);
    req.end();
  });
}

let h: DataHarness;
let base: string;
beforeEach(async () => {
  h = await makeDataHarness({ dataApi: { priceStreamIntervalMs: 100, streamReverifyMs: 150 } });
  base = await h.app.listen({ host: '127.0.0.1', port: 0 });
});
afterEach(async () => h.close());

describe('GET /v1/prices/stream (Server-Sent Events)', () => {
  it('sends the latest prices at once, then simulated ticks, and ends when the key is revoked', async () => {
    const { id, key } = await h.createKey({ name: 'streamer', scopes: ['prices:read'], rateLimits: [{ name: 'burst', algorithm: 'token-bucket', limit: 5, windowSeconds: 60 }] });
    const res = await open(base, '/v1/prices/stream?ids=bitcoin,ethereum', bearer(key));
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.headers.ratelimit).toBe('"burst";r=4;t=12');
    const sse = new EventReader(res);

    // Long enough for a few re-verifications (every 150 ms here).
    await sse.until(() => sse.events.filter((e) => e.event === 'tick').length >= 4);
    const [first] = sse.events;
    expect(first?.event).toBe('prices');
    const prices = first?.data as { simulated: boolean; data: { id: string; price: number }[] };
    expect(prices.simulated).toBe(false);
    expect(prices.data.map((p) => p.id)).toEqual(['bitcoin', 'ethereum']);
    const tick = sse.events.find((e) => e.event === 'tick')?.data as { simulated: boolean; data: { id: string; price: number; changeFromClose: number }[] };
    expect(tick.simulated).toBe(true);
    expect(tick.data.map((t) => t.id)).toEqual(['bitcoin', 'ethereum']);
    for (const t of tick.data) {
      const close = prices.data.find((p) => p.id === t.id)?.price ?? Number.NaN;
      expect(Math.abs(t.price / close - 1)).toBeLessThanOrEqual(0.005);
    }
    expect(sse.events.map((e) => Number(e.id))).toEqual(sse.events.map((_, i) => i + 1));

    // Re-verification costs nothing against the key's limits: only the opening request counted.
    const peek = await h.app.inject({ url: '/v1/keys/verify', method: 'POST', headers: bearer(h.ownerToken), payload: { key, cost: 0 } });
    expect(peek.json<{ rateLimit: { limits: { remaining: number }[] } }>().rateLimit.limits[0]?.remaining).toBe(4);

    await h.revokeKey(id);
    await sse.until(() => sse.ended);
    expect(sse.events.at(-1)).toMatchObject({ event: 'end', data: { reason: 'REVOKED' } });
  });

  it('refuses to open without a valid key (problem+json, no stream)', async () => {
    const res = await open(base, '/v1/prices/stream', {});
    expect(res.statusCode).toBe(401);
    expect(res.headers['content-type']).toContain('application/problem+json');
    res.resume();
    const { key } = await h.createKey({ name: 'index only', scopes: ['index:read'] });
    const scoped = await open(base, '/v1/prices/stream', bearer(key));
    expect(scoped.statusCode).toBe(403);
    scoped.resume();
  });

  it('ends open streams cleanly when the server shuts down', async () => {
    const { key } = await h.createKey({ name: 'streamer', scopes: ['prices:read'] });
    const sse = new EventReader(await open(base, '/v1/prices/stream?ids=bitcoin', bearer(key)));
    await sse.until(() => sse.events.length >= 1);
    const started = Date.now();
    await h.app.close();
    await sse.until(() => sse.ended);
    expect(Date.now() - started).toBeLessThan(2000);
    expect(sse.events.at(-1)).toMatchObject({ event: 'end', data: { reason: 'shutdown' } });
  });
});

describe('simulated intraday ticks', () => {
  const close = (id: string, price: number): PriceView => ({ id, symbol: id.slice(0, 3), name: id, tags: [], date: '2025-01-01', price, marketCap: null, volume24h: null, change24h: null });
  const closeTime = Date.UTC(2025, 0, 2);

  it('start at the close, stay within ±0.5% of it, and are the same for the same time', () => {
    const base = [close('bitcoin', 50_000), close('ethereum', 3000), close('solana', 150)];
    expect(simulatedTicks(base, closeTime).map((t) => t.price)).toEqual([50_000, 3000, 150]);
    let moved = 0;
    for (let t = closeTime; t < closeTime + 86_400_000; t += 97_000) {
      for (const tick of simulatedTicks(base, t)) {
        expect(Math.abs(tick.changeFromClose)).toBeLessThanOrEqual(0.005);
        if (Math.abs(tick.changeFromClose) > 0.002) moved += 1;
      }
    }
    expect(moved).toBeGreaterThan(100);
    expect(simulatedTicks(base, closeTime + 12_345_678)).toEqual(simulatedTicks(base, closeTime + 12_345_678));
    const [a, b] = simulatedTicks(base, closeTime + 3_600_000);
    expect(a?.changeFromClose).not.toBe(b?.changeFromClose);
  });
});
