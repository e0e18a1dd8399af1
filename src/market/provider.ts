import { sliceDataset, type MarketDataset } from './dataset.ts';

/** Inclusive day numbers ({@link parseDay}); an open end takes everything the provider has. */
export interface DayRange {
  from?: number;
  to?: number;
}

/**
 * A source of daily closes. Implementations: the market simulator (the embedded default), file
 * import (CSV, CoinGecko-shaped JSON) and the CoinGecko HTTP client. The index engine only ever
 * sees the {@link MarketDataset} a provider loads, so every provider gives the same index for the
 * same data.
 *
 * @example const ds = await createSimulatorProvider({ seed: 1 }).load({ to: dayOf('2024-12-31') })
 */
export interface MarketDataProvider {
  /** A short description for logs and reports: `simulator (seed 1)`, `file prices.csv`, `coingecko`. */
  readonly name: string;
  load(range?: DayRange): Promise<MarketDataset>;
}

/** A provider over a dataset already in memory (tests, benchmarks). */
export function staticProvider(dataset: MarketDataset, name = dataset.source): MarketDataProvider {
  return {
    name,
    load: async (range) => (range === undefined ? dataset : sliceDataset(dataset, range.from ?? Number.NEGATIVE_INFINITY, range.to ?? Number.POSITIVE_INFINITY)),
  };
}
