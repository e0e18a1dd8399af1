import { describe, expect, it } from 'vitest';
import { dayOf } from '../../src/market/calendar.ts';
import { chartToRows, parseChart } from '../../src/market/coingecko-shapes.ts';
import { assetIndex } from '../../src/market/dataset.ts';
import { MarketDataError } from '../../src/market/errors.ts';
import { createFileProvider, loadMarketFile } from '../../src/market/file-import.ts';
import { formatPath, lineOfPath } from '../../src/market/json-locate.ts';

const fixture = (name: string): string => new URL(`../fixtures/market/${name}`, import.meta.url).pathname;

describe('CoinGecko-shaped JSON import', () => {
  it('reads a market_chart/range file: a point at 00:00 UTC is the close of the day before', async () => {
    const ds = await loadMarketFile(fixture('coingecko/bitcoin-range.json'));
    expect(ds.assets.map((a) => a.id)).toEqual(['bitcoin-range']);
    // Points at 2024-01-02T00:00Z … 2024-01-06T00:00Z, plus 2024-01-06T13:00Z (the last point of 2024-01-06 wins).
    expect(ds.firstDay).toBe(dayOf('2024-01-01'));
    expect(ds.days).toBe(6);
    expect(Array.from(ds.price)).toEqual([42283.58, 44179.92, 44946.09, 42845.23, 44151.1, 44010.5]);
    expect(ds.marketCap[0]).toBe(828e9);
  });

  it('merges a directory: charts by file name, symbols from the markets snapshot, which only fills missing days', async () => {
    const ds = await loadMarketFile(fixture('import-dir'));
    const btc = assetIndex(ds, 'bitcoin');
    expect(ds.assets[btc]).toEqual({ id: 'bitcoin', symbol: 'btc', name: 'Bitcoin', tags: [] });
    expect(assetIndex(ds, 'usd-coin')).toBeGreaterThanOrEqual(0);
    // The snapshot (2024-01-06T13:00Z) and the chart's intraday point agree on 2024-01-06: the chart wins, no conflict.
    expect(ds.price[btc * ds.days + ds.days - 1]).toBe(44010.5);
    // Ethereum and tether are only in the snapshot: one row each, on 2024-01-06.
    const eth = assetIndex(ds, 'ethereum');
    expect(ds.price[eth * ds.days + ds.days - 1]).toBe(2261.2);
    expect(Number.isNaN(ds.price[eth * ds.days] ?? 0)).toBe(true);
  });

  it('names file, line and JSON path of a bad value', async () => {
    const path = fixture('bad-chart.json');
    const err = await loadMarketFile(path).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MarketDataError);
    expect((err as MarketDataError).message).toBe(`${path}:13: prices[2][1]: expected a price > 0, got "44946.09"`);
  });

  it('names the line of a JSON syntax error', async () => {
    const path = fixture('bad-syntax.json');
    await expect(loadMarketFile(path)).rejects.toThrow(new RegExp(`^${path}:4: not valid JSON`));
  });

  it('refuses JSON of another shape and unknown extensions', async () => {
    await expect(loadMarketFile(fixture('coingecko/error-404.json'))).rejects.toThrow(/expected a CoinGecko \/coins\/markets array or a \/coins\/\{id\}\/market_chart\/range object/);
    await expect(loadMarketFile(fixture('import-dir/../prices-good.csv.txt'))).rejects.toThrow(/cannot read/);
  });

  it('keeps only closed days when told the last closed day', () => {
    const text = JSON.stringify({ prices: [[Date.UTC(2024, 0, 2), 10], [Date.UTC(2024, 0, 2, 12), 11]], market_caps: [], total_volumes: [] });
    const chart = parseChart(JSON.parse(text) as unknown, { name: 't', text });
    const rows = chartToRows(chart, { id: 'x', symbol: 'x' }, { name: 't', text }, { lastClosedDay: dayOf('2024-01-01') });
    expect(rows.map((r) => [r.day, r.price, Number.isNaN(r.marketCap)])).toEqual([[dayOf('2024-01-01'), 10, true]]);
  });

  it('file provider slices a range and retries a failed read', async () => {
    const p = createFileProvider(fixture('coingecko/bitcoin-range.json'));
    const ds = await p.load({ from: dayOf('2024-01-03'), to: dayOf('2024-01-04') });
    expect(Array.from(ds.price)).toEqual([44946.09, 42845.23]);
    const missing = createFileProvider(fixture('nope.csv'));
    await expect(missing.load()).rejects.toThrow(/cannot read/);
    await expect(missing.load()).rejects.toThrow(/cannot read/);
  });
});

describe('JSON locations', () => {
  it('finds the line of a path', () => {
    const text = '{\n  "a": [1,\n    {"b": "x,]}"},\n    3],\n  "c": 4\n}';
    expect(lineOfPath(text, ['a', 2])).toBe(4);
    expect(lineOfPath(text, ['a', 1, 'b'])).toBe(3);
    expect(lineOfPath(text, ['c'])).toBe(5);
    expect(lineOfPath(text, ['a', 9])).toBeUndefined();
    expect(formatPath(['prices', 2, 1])).toBe('prices[2][1]');
    expect(formatPath([3, 'current_price'])).toBe('[3].current_price');
  });
});
