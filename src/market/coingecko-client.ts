import { systemClock, type Clock } from '../core/clock.ts';
import { parseChart, parseMarkets, type CoinGeckoChart, type CoinGeckoMarket } from './coingecko-shapes.ts';
import { MarketApiError, MarketDataError } from './errors.ts';
import { createRateLimiter, realSleep, type RateLimiter, type Sleep } from './rate-limiter.ts';

/** CoinGecko plans differ in base URL and key header. */
export type CoinGeckoPlan = 'demo' | 'pro';

/** Options of {@link CoinGeckoClient}; every one has a default except the key. */
export interface CoinGeckoClientOptions {
  /**
   * The API key. Clavis has no secrets vault yet, so the caller passes the key in (read it from
   * the environment or a file with mode 0600); once the vault exists the key belongs there and this
   * option takes what the vault returns. It travels only in a request header: never in a URL, an
   * error message or a log line.
   */
  apiKey?: string;
  /** `demo` (default): api.coingecko.com, header x-cg-demo-api-key; `pro`: pro-api.coingecko.com, x-cg-pro-api-key. */
  plan?: CoinGeckoPlan;
  /** Overrides the plan's base URL (a local fixture server in tests, a proxy). */
  baseUrl?: string;
  /** Requests started per minute (default 30, the demo plan's limit). */
  requestsPerMinute?: number;
  /** Attempts per request, the first included (default 4). */
  maxAttempts?: number;
  /** Per-attempt timeout (default 15 s). */
  timeoutMs?: number;
  /** First back-off after a failure; doubles per attempt (default 1 s). A Retry-After header wins. */
  backoffMs?: number;
  /** Longest wait honoured from Retry-After (default 120 s). */
  maxRetryAfterMs?: number;
  fetch?: typeof fetch;
  clock?: Clock;
  sleep?: Sleep;
  /** Jitter source in [0, 1) for back-off (default Math.random). */
  random?: () => number;
}

const BASE_URLS: Readonly<Record<CoinGeckoPlan, string>> = {
  demo: 'https://api.coingecko.com/api/v3',
  pro: 'https://pro-api.coingecko.com/api/v3',
};
const KEY_HEADERS: Readonly<Record<CoinGeckoPlan, string>> = { demo: 'x-cg-demo-api-key', pro: 'x-cg-pro-api-key' };
const RETRY_STATUS = new Set([408, 429, 500, 502, 503, 504]);

/** The message of a CoinGecko error body (`{"error": …}` or `{"status": {"error_message": …}}`). */
function errorMessage(body: string): string {
  try {
    const v: unknown = JSON.parse(body);
    if (typeof v === 'object' && v !== null) {
      if ('error' in v && typeof v.error === 'string') return v.error;
      if ('status' in v && typeof v.status === 'object' && v.status !== null && 'error_message' in v.status && typeof v.status.error_message === 'string') return v.status.error_message;
    }
  } catch {
    // Not JSON: fall through to the raw text.
  }
  return body.slice(0, 200).replace(/\s+/g, ' ').trim();
}

/** Seconds or an HTTP date, as milliseconds from now; null when absent or unreadable. */
function retryAfterMs(header: string | null, now: number): number | null {
  if (header === null) return null;
  const trimmed = header.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Number(trimmed) * 1000;
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? null : Math.max(0, at - now);
}

/**
 * A client for the CoinGecko API v3 (or any server answering in its shapes): rate-limited (even
 * spacing), retried with exponential back-off on network errors, timeouts, 408, 429 and 5xx
 * (honouring Retry-After), and answers checked against the expected shapes.
 *
 * @example
 * const cg = new CoinGeckoClient({ apiKey: process.env.COINGECKO_API_KEY })
 * const top = await cg.markets({ perPage: 250 })
 */
export class CoinGeckoClient {
  private readonly base: string;
  private readonly headers: Record<string, string>;
  private readonly limiter: RateLimiter;
  private readonly fetchFn: typeof fetch;
  private readonly clock: Clock;
  private readonly sleep: Sleep;
  private readonly random: () => number;
  private readonly maxAttempts: number;
  private readonly timeoutMs: number;
  private readonly backoffMs: number;
  private readonly maxRetryAfterMs: number;

  constructor(opts: CoinGeckoClientOptions = {}) {
    const plan = opts.plan ?? 'demo';
    this.base = (opts.baseUrl ?? BASE_URLS[plan]).replace(/\/+$/, '');
    this.headers = { accept: 'application/json', 'user-agent': 'clavis-market/1' };
    if (opts.apiKey !== undefined && opts.apiKey !== '') this.headers[KEY_HEADERS[plan]] = opts.apiKey;
    this.clock = opts.clock ?? systemClock;
    this.sleep = opts.sleep ?? realSleep;
    this.limiter = createRateLimiter({ perMinute: opts.requestsPerMinute ?? 30, clock: this.clock, sleep: this.sleep });
    this.fetchFn = opts.fetch ?? fetch;
    this.random = opts.random ?? Math.random;
    this.maxAttempts = Math.max(1, opts.maxAttempts ?? 4);
    this.timeoutMs = opts.timeoutMs ?? 15_000;
    this.backoffMs = opts.backoffMs ?? 1000;
    this.maxRetryAfterMs = opts.maxRetryAfterMs ?? 120_000;
  }

  /**
   * `GET /coins/markets`: current price, market cap and volume, by market cap.
   *
   * @example await cg.markets({ ids: ['bitcoin', 'usd-coin'] })
   */
  async markets(params: { vsCurrency?: string; ids?: readonly string[]; page?: number; perPage?: number } = {}): Promise<CoinGeckoMarket[]> {
    const q = new URLSearchParams({ vs_currency: params.vsCurrency ?? 'usd', order: 'market_cap_desc', per_page: String(params.perPage ?? 100), page: String(params.page ?? 1) });
    if (params.ids !== undefined && params.ids.length > 0) q.set('ids', params.ids.join(','));
    const path = `/coins/markets?${q.toString()}`;
    const { value, text } = await this.getJson(path);
    return parseMarkets(value, { name: `GET ${path}`, text });
  }

  /**
   * `GET /coins/{id}/market_chart/range` between two times in epoch seconds.
   *
   * @example await cg.marketChartRange('bitcoin', 1704067200, 1706745600)
   */
  async marketChartRange(id: string, fromSec: number, toSec: number, vsCurrency = 'usd'): Promise<CoinGeckoChart> {
    const q = new URLSearchParams({ vs_currency: vsCurrency, from: String(Math.floor(fromSec)), to: String(Math.floor(toSec)) });
    const path = `/coins/${encodeURIComponent(id)}/market_chart/range?${q.toString()}`;
    const { value, text } = await this.getJson(path);
    return parseChart(value, { name: `GET ${path}`, text });
  }

  /** `GET /ping`: resolves when the API answers. */
  async ping(): Promise<void> {
    await this.getJson('/ping');
  }

  private async getJson(path: string): Promise<{ value: unknown; text: string }> {
    let lastError: unknown;
    let lastStatus: number | null = null;
    let why = '';
    for (let attempt = 1; attempt <= this.maxAttempts; attempt++) {
      await this.limiter.acquire();
      let wait: number | null = null;
      try {
        const res = await this.fetchFn(`${this.base}${path}`, { headers: this.headers, signal: AbortSignal.timeout(this.timeoutMs) });
        const text = await res.text();
        if (res.ok) {
          try {
            return { value: JSON.parse(text) as unknown, text };
          } catch {
            throw new MarketDataError('the answer is not JSON', { file: `GET ${path}` });
          }
        }
        lastStatus = res.status;
        why = `HTTP ${res.status}: ${errorMessage(text)}`;
        if (!RETRY_STATUS.has(res.status)) {
          throw new MarketApiError(`CoinGecko GET ${path} failed: ${why}`, { status: res.status, path, attempts: attempt });
        }
        const ra = retryAfterMs(res.headers.get('retry-after'), this.clock.now());
        if (ra !== null) wait = Math.min(ra, this.maxRetryAfterMs);
      } catch (error) {
        if (error instanceof MarketApiError || error instanceof MarketDataError) throw error;
        lastError = error;
        lastStatus = null;
        why = error instanceof Error && error.name === 'TimeoutError' ? `no answer within ${this.timeoutMs} ms` : `network error: ${networkReason(error)}`;
      }
      if (attempt < this.maxAttempts) await this.sleep(wait ?? this.backoffMs * 2 ** (attempt - 1) * (1 + 0.25 * this.random()));
    }
    throw new MarketApiError(`CoinGecko GET ${path} failed after ${this.maxAttempts} attempt(s): ${why}`, { status: lastStatus, path, attempts: this.maxAttempts, cause: lastError });
  }
}

function networkReason(error: unknown): string {
  if (error instanceof Error) {
    const cause: unknown = error.cause;
    if (typeof cause === 'object' && cause !== null && 'code' in cause && typeof cause.code === 'string') return cause.code;
    return error.message;
  }
  return String(error);
}
