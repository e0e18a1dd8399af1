import { CoinGeckoClient } from './coingecko-client.ts';
import { createCoinGeckoProvider } from './coingecko-provider.ts';
import { MarketApiError, MarketDataError } from './errors.ts';
import { createFileProvider } from './file-import.ts';
import { createMarketService, type MarketService } from './market-service.ts';
import type { MarketDataProvider } from './provider.ts';
import { createSimulatorProvider } from './simulator.ts';
import { IndexDataError, IndexQueryError } from '../indices/errors.ts';
import { createIndexService, type IndexService } from '../indices/index-service.ts';

/** Where the data API's market data comes from (`CLAVIS_MARKET_DATA`). */
export type MarketDataSettings =
  | { kind: 'simulator'; seed?: number; end?: string; start?: string }
  | { kind: 'file'; path: string }
  | { kind: 'coingecko'; apiKey?: string; plan?: 'demo' | 'pro'; baseUrl?: string };

/** The market and index services the data API reads, loaded from one provider. */
export interface DataServices {
  market: MarketService;
  /** The index over that market, or why it cannot be computed there (prices are served either way). */
  index: IndexService | IndexDataError;
}

/** The market-service methods the data API calls. */
export const MARKET_CALLS = ['asOf', 'latestPrices', 'price', 'history'] as const satisfies readonly (keyof MarketService)[];
/** The index-service methods the data API calls. */
export const INDEX_CALLS = ['info', 'regime', 'index', 'holdings', 'transactions', 'levels', 'metrics', 'quote'] as const satisfies readonly (keyof IndexService)[];
export type MarketCall = (typeof MARKET_CALLS)[number];
export type IndexCall = (typeof INDEX_CALLS)[number];

/** The chosen methods of a service, each answering with a promise. */
export type AsyncMethods<T, K extends keyof T> = {
  readonly [P in K]: T[P] extends (...args: infer A) => infer R ? (...args: A) => Promise<Awaited<R>> : never;
};

/**
 * The data API's view of market and index data: the same methods as {@link MarketService} and
 * {@link IndexService}, asynchronous, so that the data can be computed and held in this thread
 * (tests) or in a worker thread (`npm start`, where loading takes seconds of CPU that must not
 * stall the event loop). A call made while the data loads waits for it; once a load failed,
 * every call rejects with that error.
 */
export interface MarketData {
  /** What is served, known before loading ends: `simulator (seed 1)`, `file prices.csv`, `coingecko`. */
  readonly source: string;
  readonly market: AsyncMethods<MarketService, MarketCall>;
  readonly index: AsyncMethods<IndexService, IndexCall>;
  /** Resolves once the data is loaded; rejects with the load error. */
  ready(): Promise<void>;
  close(): Promise<void>;
}

/** The data cannot be served at all (none configured, or the worker holding it is gone). */
export class MarketDataUnavailableError extends Error {
  readonly code = 'MARKET_DATA_UNAVAILABLE';

  constructor(message: string) {
    super(message);
    this.name = 'MarketDataUnavailableError';
  }
}

/** A one-line description of the settings, as the start-up line and `source` show them. */
export function describeMarketData(settings: MarketDataSettings): string {
  switch (settings.kind) {
    case 'simulator':
      return `simulator (seed ${settings.seed ?? 1})`;
    case 'file':
      return `file ${settings.path}`;
    case 'coingecko':
      return `coingecko (${settings.plan ?? 'demo'} plan)`;
  }
}

/** The provider for the settings. */
export function marketProvider(settings: MarketDataSettings): MarketDataProvider {
  switch (settings.kind) {
    case 'simulator':
      return createSimulatorProvider({ ...(settings.seed === undefined ? {} : { seed: settings.seed }), ...(settings.end === undefined ? {} : { end: settings.end }), ...(settings.start === undefined ? {} : { start: settings.start }) });
    case 'file':
      return createFileProvider(settings.path);
    case 'coingecko':
      return createCoinGeckoProvider({
        client: new CoinGeckoClient({ ...(settings.apiKey === undefined ? {} : { apiKey: settings.apiKey }), plan: settings.plan ?? 'demo', ...(settings.baseUrl === undefined ? {} : { baseUrl: settings.baseUrl }) }),
      });
  }
}

/**
 * Loads the market once and computes the index over it (seconds of CPU for the simulator's years
 * of history).
 *
 * @example const { market, index } = await loadDataServices(createSimulatorProvider({ end: '2024-12-31' }))
 */
export async function loadDataServices(provider: MarketDataProvider): Promise<DataServices> {
  const market = await createMarketService(provider);
  try {
    return { market, index: await createIndexService({ market }) };
  } catch (err) {
    // Data without BTC, the bear asset or 200 days of history still has prices to serve.
    if (err instanceof IndexDataError) return { market, index: err };
    throw err;
  }
}

type Invoke = (target: 'market' | 'index', method: string, args: readonly unknown[]) => Promise<unknown>;

function bind<T, K extends keyof T & string>(target: 'market' | 'index', names: readonly K[], invoke: Invoke): AsyncMethods<T, K> {
  const out: Record<string, (...args: unknown[]) => Promise<unknown>> = {};
  for (const name of names) out[name] = (...args) => invoke(target, name, args);
  // Each entry forwards exactly the arguments of T[K] and answers its result.
  return out as unknown as AsyncMethods<T, K>;
}

/** Builds a {@link MarketData} over one `invoke` function (in this thread or across a worker boundary). */
export function marketDataOver(source: string, invoke: Invoke, ready: () => Promise<void>, close: () => Promise<void>): MarketData {
  return { source, market: bind<MarketService, MarketCall>('market', MARKET_CALLS, invoke), index: bind<IndexService, IndexCall>('index', INDEX_CALLS, invoke), ready, close };
}

/** Calls `method` of the loaded services with `args`. */
export function callDataService(services: DataServices, target: 'market' | 'index', method: string, args: readonly unknown[]): unknown {
  const allowed: readonly string[] = target === 'market' ? MARKET_CALLS : INDEX_CALLS;
  if (!allowed.includes(method)) throw new TypeError(`not a data call: ${target}.${method}`);
  const service = services[target];
  if (service instanceof IndexDataError) throw service;
  const fn: unknown = (service as unknown as Record<string, unknown>)[method];
  if (typeof fn !== 'function') throw new TypeError(`not a data call: ${target}.${method}`);
  return (fn as (...a: readonly unknown[]) => unknown)(...args);
}

/**
 * Market data computed and held in this thread: `load` runs once, at once.
 *
 * @example const data = inProcessMarketData('simulator (seed 1)', () => loadDataServices(createSimulatorProvider({ end: '2019-06-30' })))
 */
export function inProcessMarketData(source: string, load: () => Promise<DataServices>): MarketData {
  const loaded = load();
  // A failed load is reported to every caller; it must not also be an unhandled rejection.
  loaded.catch(() => undefined);
  return marketDataOver(
    source,
    async (target, method, args) => callDataService(await loaded, target, method, args),
    async () => {
      await loaded;
    },
    async () => undefined,
  );
}

/** An error as it crosses a thread boundary: its class name, message and the fields that class carries. */
export interface SerializedError {
  name: string;
  message: string;
  code?: string;
  field?: string;
  status?: number | null;
  path?: string;
  attempts?: number;
}

/** See {@link reviveError}. */
export function serializeError(err: unknown): SerializedError {
  if (err instanceof IndexQueryError) return { name: err.name, message: err.message, code: err.code, field: err.field };
  if (err instanceof MarketApiError) return { name: err.name, message: err.message, status: err.status, path: err.path, attempts: err.attempts };
  if (err instanceof Error) return { name: err.name, message: err.message };
  return { name: 'Error', message: String(err) };
}

/** Rebuilds the error classes the data layer throws, so this side can tell them apart as the other side could. */
export function reviveError(e: SerializedError): Error {
  switch (e.name) {
    case 'IndexQueryError':
      return new IndexQueryError((e.code ?? 'INDEX_QUERY_INVALID') as IndexQueryError['code'], e.field ?? '', e.message);
    case 'IndexDataError':
      return new IndexDataError(e.message);
    case 'MarketDataError':
      return new MarketDataError(e.message);
    case 'MarketApiError':
      return new MarketApiError(e.message, { status: e.status ?? null, path: e.path ?? '', attempts: e.attempts ?? 0 });
    case 'MarketDataUnavailableError':
      return new MarketDataUnavailableError(e.message);
    case 'RangeError':
      return new RangeError(e.message);
    case 'TypeError':
      return new TypeError(e.message);
    default:
      return new Error(e.message);
  }
}
