import { systemClock, type Clock } from '../core/clock.ts';
import { lastClosedDay, MS_PER_DAY } from './calendar.ts';
import type { CoinGeckoClient } from './coingecko-client.ts';
import { chartToRows, type CoinGeckoMarket } from './coingecko-shapes.ts';
import { datasetFromRows, type MarketRow } from './dataset.ts';
import type { MarketDataProvider } from './provider.ts';

/** Options of {@link createCoinGeckoProvider}. */
export interface CoinGeckoProviderOptions {
  client: Pick<CoinGeckoClient, 'markets' | 'marketChartRange'>;
  /** How many assets by market cap to load (default 150: enough for the Top 100 and its buffer). */
  top?: number;
  /** Ids loaded besides the top ones (default bitcoin and usd-coin, which the index needs). */
  include?: readonly string[];
  /** History loaded when the range has no start (default 400 days: the 200-day SMA and more). */
  defaultDays?: number;
  clock?: Clock;
}

/**
 * Live daily closes from CoinGecko: the top assets of `/coins/markets`, then each one's
 * `/coins/{id}/market_chart/range`. Only closed days are kept (today's partial day is not a
 * close). CoinGecko's endpoints carry no stablecoin/wrapped tags, so the index relies on its
 * versioned denylist and the $1 price rule for these assets.
 *
 * @example const provider = createCoinGeckoProvider({ client: new CoinGeckoClient({ apiKey }) })
 */
export function createCoinGeckoProvider(opts: CoinGeckoProviderOptions): MarketDataProvider {
  const clock = opts.clock ?? systemClock;
  const top = opts.top ?? 150;
  return {
    name: 'coingecko',
    load: async (range) => {
      const closed = lastClosedDay(clock.now());
      const to = Math.min(range?.to ?? closed, closed);
      const from = range?.from ?? to - (opts.defaultDays ?? 400) + 1;
      const assets = new Map<string, CoinGeckoMarket>();
      for (let page = 1; assets.size < top; page++) {
        const perPage = Math.min(250, top);
        const batch = await opts.client.markets({ page, perPage });
        for (const m of batch) if (assets.size < top) assets.set(m.id, m);
        if (batch.length < perPage) break;
      }
      const extra = (opts.include ?? ['bitcoin', 'usd-coin']).filter((id) => !assets.has(id));
      if (extra.length > 0) for (const m of await opts.client.markets({ ids: extra, perPage: extra.length })) assets.set(m.id, m);

      const rows: MarketRow[] = [];
      // The close of day D is the last point in (D 00:00, D+1 00:00]: ask from D 00:00 to D+1 00:00 of the last day.
      const fromSec = (from * MS_PER_DAY) / 1000;
      const toSec = ((to + 1) * MS_PER_DAY) / 1000;
      for (const m of assets.values()) {
        const chart = await opts.client.marketChartRange(m.id, fromSec, toSec);
        for (const r of chartToRows(chart, { id: m.id, symbol: m.symbol, name: m.name }, { name: `coingecko ${m.id}`, text: '' }, { lastClosedDay: to })) {
          if (r.day >= from) rows.push(r);
        }
      }
      return datasetFromRows(rows, 'coingecko');
    },
  };
}
