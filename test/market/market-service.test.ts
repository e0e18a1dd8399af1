import { describe, expect, it } from 'vitest';
import { dayOf } from '../../src/market/calendar.ts';
import { createDataset } from '../../src/market/dataset.ts';
import { createMarketService } from '../../src/market/market-service.ts';
import { staticProvider } from '../../src/market/provider.ts';

const N = Number.NaN;
const ds = createDataset({
  source: 'test',
  firstDay: dayOf('2024-01-01'),
  days: 5,
  assets: [
    { id: 'bitcoin', symbol: 'btc', name: 'Bitcoin', tags: [] },
    { id: 'usd-coin', symbol: 'usdc', name: 'USDC', tags: ['stablecoin'] },
    { id: 'gone', symbol: 'gone', name: 'Gone', tags: [] },
    { id: 'gappy', symbol: 'gap', name: 'Gappy', tags: [] },
  ],
  // bitcoin, usd-coin, gone (last close 4 days before the end), gappy (no close on the last day)
  price: Float64Array.of(100, 110, 99, 101, 102, 1, 1, 1, 1, 1, 5, N, N, N, N, 3, 3, 3, 4, N),
  marketCap: Float64Array.of(1e12, 1.1e12, 9.9e11, 1e12, 1e12, 5e10, 5e10, 5e10, 5e10, 5e10, 1e6, N, N, N, N, 3e8, 3e8, 3e8, 4e8, N),
  volume: Float64Array.of(1e10, 1e10, 1e10, 1e10, 2e10, 1e9, 1e9, 1e9, 1e9, 1e9, 1e3, N, N, N, N, 1e6, 1e6, 1e6, 1e6, N),
});

describe('market service', () => {
  it('lists the latest close of every asset priced within 72 h, largest first', async () => {
    const m = await createMarketService(staticProvider(ds));
    expect(m.asOf()).toBe('2024-01-05');
    const latest = m.latestPrices();
    expect(latest.map((p) => [p.id, p.date])).toEqual([
      ['bitcoin', '2024-01-05'],
      ['usd-coin', '2024-01-05'],
      ['gappy', '2024-01-04'],
    ]);
    expect(latest[0]?.change24h).toBeCloseTo(102 / 101 - 1, 12);
    expect(latest[2]?.change24h).toBeCloseTo(4 / 3 - 1, 12);
    expect(m.latestPrices(['usd-coin']).map((p) => p.id)).toEqual(['usd-coin']);
  });

  it('serves one asset, its history and a range', async () => {
    const m = await createMarketService(staticProvider(ds));
    expect(m.price('gone')?.date).toBe('2024-01-01');
    expect(m.price('gone', '2024-01-03')).toBeNull();
    expect(m.price('bitcoin', '2024-01-02')?.price).toBe(110);
    expect(m.price('nope')).toBeNull();
    expect(m.history('nope')).toBeNull();
    expect(m.history('gappy', '2024-01-02')?.map((h) => [h.date, h.price])).toEqual([
      ['2024-01-02', 3],
      ['2024-01-03', 3],
      ['2024-01-04', 4],
    ]);
    expect(() => m.history('bitcoin', '2024/01/01')).toThrow(/from: expected a date/);
  });
});
