/**
 * The worker-thread side of {@link startMarketDataThread}: loads the market and computes the index
 * off the server's event loop, then answers the data API's calls. Every day, shortly after the UTC
 * close, it reloads (the simulator and CoinGecko grow by a day; a file stays as it is).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { MS_PER_DAY } from './calendar.ts';
import { callDataService, loadDataServices, marketProvider, serializeError, type MarketDataSettings } from './market-data.ts';
import type { WorkerReply, WorkerRequest } from './market-data-thread.ts';

/** Minutes after 00:00 UTC at which the day's close is fetched (a provider may publish late). */
const REFRESH_DELAY_MS = 5 * 60_000;

const port = parentPort;
if (port === null) throw new Error('market-data-worker.ts runs in a worker thread');
const { settings } = workerData as { settings: MarketDataSettings };
const post = (m: WorkerReply): void => port.postMessage(m);

const loaded = loadDataServices(marketProvider(settings));
loaded.then(
  () => post({ type: 'ready' }),
  (err: unknown) => post({ type: 'failed', error: serializeError(err) }),
);

port.on('message', (req: WorkerRequest) => {
  loaded
    .then((services) => callDataService(services, req.target, req.method, req.args))
    .then(
      (value) => post({ type: 'result', id: req.id, value }),
      (err: unknown) => post({ type: 'error', id: req.id, error: serializeError(err) }),
    );
});

function scheduleRefresh(): void {
  const now = Date.now();
  const next = (Math.floor(now / MS_PER_DAY) + 1) * MS_PER_DAY + REFRESH_DELAY_MS;
  setTimeout(() => {
    loaded
      // The index refreshes the market under it; without an index, the market alone.
      .then((services) => (services.index instanceof Error ? services.market.refresh() : services.index.refresh()))
      .catch((err: unknown) => process.stderr.write(`clavis: market data refresh failed (still serving the previous data): ${err instanceof Error ? err.message : String(err)}\n`))
      .finally(scheduleRefresh);
  }, next - now);
}
if (settings.kind !== 'file') scheduleRefresh();
