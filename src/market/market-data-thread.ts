import { Worker } from 'node:worker_threads';
import { MarketDataUnavailableError, describeMarketData, marketDataOver, reviveError, type MarketData, type MarketDataSettings, type SerializedError } from './market-data.ts';

/** A call the server thread sends to the data worker. */
export interface WorkerRequest {
  id: number;
  target: 'market' | 'index';
  method: string;
  args: readonly unknown[];
}

/** What the data worker sends back. */
export type WorkerReply =
  | { type: 'ready' }
  | { type: 'failed'; error: SerializedError }
  | { type: 'result'; id: number; value: unknown }
  | { type: 'error'; id: number; error: SerializedError };

interface Pending {
  resolve: (value: unknown) => void;
  reject: (err: Error) => void;
}

/**
 * Loads the market data in a worker thread and serves it to this thread: `npm start` listens at
 * once, and the seconds of CPU that simulating years of market and computing the index take never
 * stall a request. Calls made before the data is loaded wait for it. Results cross the thread
 * boundary by structured clone, errors as their class and fields (see `reviveError`).
 *
 * @example const data = startMarketDataThread({ kind: 'simulator' }); await data.market.latestPrices(['bitcoin'])
 */
export function startMarketDataThread(settings: MarketDataSettings, opts: { resolveApiKey?: () => Promise<string | undefined> } = {}): MarketData {
  // The server runs its TypeScript through tsx; a worker thread needs tsx registered in it too.
  const entry = new URL('./market-data-worker.ts', import.meta.url).href;
  const tsx = import.meta.resolve('tsx/esm/api');
  const boot = `import(${JSON.stringify(tsx)}).then(({ register }) => { register(); return import(${JSON.stringify(entry)}); });`;

  const pending = new Map<number, Pending>();
  let nextId = 1;
  let gone: Error | null = null;
  let settle: { resolve: () => void; reject: (err: Error) => void } | undefined;
  const ready = new Promise<void>((resolve, reject) => {
    settle = { resolve, reject };
  });
  ready.catch(() => undefined);

  const fail = (err: Error): void => {
    if (gone !== null) return;
    gone = err;
    settle?.reject(err);
    for (const p of pending.values()) p.reject(err);
    pending.clear();
  };

  // The worker starts once its settings are complete: a CoinGecko API key held in the secrets
  // vault can only be read after the keyring is unsealed, which happens after this is called.
  const started: Promise<Worker> = (async () => {
    const apiKey = settings.kind === 'coingecko' && settings.apiKey === undefined ? await opts.resolveApiKey?.() : undefined;
    const w = new Worker(boot, { eval: true, workerData: { settings: apiKey === undefined ? settings : { ...settings, apiKey } } });
    attach(w);
    return w;
  })();
  started.catch((err: unknown) => fail(new MarketDataUnavailableError(`the market data could not start: ${err instanceof Error ? err.message : String(err)}`)));

  function attach(worker: Worker): void {
    worker.on('message', (m: WorkerReply) => {
      if (m.type === 'ready') settle?.resolve();
      else if (m.type === 'failed') settle?.reject(reviveError(m.error));
      else {
        const p = pending.get(m.id);
        pending.delete(m.id);
        if (m.type === 'result') p?.resolve(m.value);
        else p?.reject(reviveError(m.error));
      }
    });
    worker.on('error', (err) => fail(new MarketDataUnavailableError(`the market data worker failed: ${err.message}`)));
    worker.on('exit', (code) => fail(new MarketDataUnavailableError(`the market data worker stopped (exit code ${code})`)));
  }

  return marketDataOver(
    describeMarketData(settings),
    (target, method, args) => {
      if (gone !== null) return Promise.reject(gone);
      const id = nextId++;
      return new Promise<unknown>((resolve, reject) => {
        pending.set(id, { resolve, reject });
        const req: WorkerRequest = { id, target, method, args };
        started.then((w) => w.postMessage(req), reject);
      });
    },
    () => ready,
    async () => {
      fail(new MarketDataUnavailableError('the server is shutting down'));
      const w = await started.catch(() => null);
      await w?.terminate();
    },
  );
}
