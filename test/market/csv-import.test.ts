import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { dayOf, isoDay } from '../../src/market/calendar.ts';
import { CSV_COLUMNS, KNOWN_TAGS, formatMarketCsv, parseMarketCsv } from '../../src/market/csv-import.ts';
import { assetIndex, datasetFromRows, type MarketRow } from '../../src/market/dataset.ts';
import { MarketDataError } from '../../src/market/errors.ts';
import { loadMarketFile } from '../../src/market/file-import.ts';

const fixture = (name: string): string => new URL(`../fixtures/market/${name}`, import.meta.url).pathname;
const HEADER = CSV_COLUMNS.join(',');

function errorOf(fn: () => unknown): MarketDataError {
  try {
    fn();
  } catch (error) {
    if (error instanceof MarketDataError) return error;
    throw error;
  }
  throw new Error('expected a MarketDataError');
}

describe('CSV import', () => {
  it('loads the documented format into a dataset (quotes, empty amounts, tags)', async () => {
    const ds = await loadMarketFile(fixture('prices-good.csv'));
    expect(ds.firstDay).toBe(dayOf('2024-01-01'));
    expect(ds.days).toBe(3);
    expect(ds.assets.map((a) => a.id)).toEqual(['bitcoin', 'usd-coin', 'staked-ether', 'weird-coin']);
    const btc = assetIndex(ds, 'bitcoin');
    expect(ds.price[btc * ds.days + 1]).toBe(44950.1);
    const weird = ds.assets[assetIndex(ds, 'weird-coin')];
    expect(weird?.symbol).toBe('W,"Q"');
    expect(Number.isNaN(ds.marketCap[assetIndex(ds, 'weird-coin') * ds.days + 1] ?? 0)).toBe(true);
    // A day without a row is NaN everywhere.
    expect(Number.isNaN(ds.price[assetIndex(ds, 'staked-ether') * ds.days + 2] ?? 0)).toBe(true);
    expect(ds.assets[assetIndex(ds, 'staked-ether')]?.tags).toEqual(['staking', 'wrapped']);
  });

  it('names the file, line and field of a bad price', async () => {
    const path = fixture('prices-bad-price.csv');
    await expect(loadMarketFile(path)).rejects.toThrow(`${path}:4: price: expected a plain decimal number (no currency sign or thousands separator), got "$42840"`);
  });

  const cases: [string, string, string][] = [
    ['bad date', `${HEADER}\n2024-02-30,bitcoin,btc,1,1,1,\n`, 'p.csv:2: date: expected a UTC date YYYY-MM-DD, got "2024-02-30"'],
    ['zero price', `${HEADER}\n2024-01-01,bitcoin,btc,0,1,1,\n`, 'p.csv:2: price: must be greater than 0, got "0"'],
    ['empty price', `${HEADER}\n2024-01-01,bitcoin,btc,,1,1,\n`, 'p.csv:2: price: is empty; a price is required'],
    ['negative volume', `${HEADER}\n2024-01-01,bitcoin,btc,1,1,-5,\n`, 'p.csv:2: volume: expected a plain decimal number'],
    ['unknown tag', `${HEADER}\n2024-01-01,usd-coin,usdc,1,1,1,stablecoins\n`, 'p.csv:2: tags: unknown tag "stablecoins"'],
    ['upper-case id', `${HEADER}\n2024-01-01,Bitcoin,btc,1,1,1,\n`, 'p.csv:2: id: expected a provider id'],
    ['field count', `${HEADER}\n2024-01-01,bitcoin,btc,1,1,1\n`, 'p.csv:2: has 6 fields, the header has 7'],
    ['unknown column', 'date,id,symbol,price,mcap,volume,tags\n', 'p.csv:1: mcap: unknown column "mcap"'],
    ['missing column', 'date,id,symbol,price,market_cap,volume\n', 'p.csv:1: the header lacks tags'],
    ['empty file', '', 'p.csv:1: the file is empty'],
    ['unclosed quote', `${HEADER}\n2024-01-01,bitcoin,"btc,1,1,1,\n`, 'p.csv:2: a quoted field is not closed'],
    ['quoted newline in a symbol', `${HEADER}\n2024-01-01,bitcoin,"b\ntc",1,1,1,\n`, 'p.csv:2: symbol: expected 1–20 printable characters'],
  ];
  it.each(cases)('refuses a %s with file, line and field', (_name, text, message) => {
    expect(errorOf(() => parseMarketCsv(text, 'p.csv')).message).toContain(message);
  });

  it('reports a duplicate day naming both lines', () => {
    const rows = parseMarketCsv(`${HEADER}\n2024-01-01,bitcoin,btc,1,1,1,\n2024-01-02,bitcoin,btc,1,1,1,\n2024-01-01,bitcoin,btc,2,1,1,\n`, 'p.csv');
    const e = errorOf(() => datasetFromRows(rows, 'p.csv'));
    expect(e.message).toBe('p.csv:4: date: bitcoin has a second row for 2024-01-01 (the first is at p.csv:2)');
    expect(e.location).toEqual({ file: 'p.csv', line: 4, field: 'date' });
  });

  it('accepts columns in any order, CRLF line ends and a byte-order mark', () => {
    const rows = parseMarketCsv('\ufefftags,volume,market_cap,price,symbol,id,date\r\nstablecoin,5,6,1.001,usdc,usd-coin,2024-01-01\r\n', 'p.csv');
    expect(rows).toEqual([{ day: dayOf('2024-01-01'), id: 'usd-coin', symbol: 'usdc', price: 1.001, marketCap: 6, volume: 5, tags: ['stablecoin'], at: { file: 'p.csv', line: 2 } }]);
  });

  it('round-trips any rows through formatMarketCsv', () => {
    const row = fc.record({
      day: fc.integer({ min: 0, max: 30000 }),
      id: fc.stringMatching(/^[a-z0-9][a-z0-9._-]{0,15}$/),
      symbol: fc.string({ minLength: 1, maxLength: 12 }).filter((s) => s.trim() === s && s !== '' && !/[\u0000-\u001f\u007f]/.test(s)),
      price: fc.double({ min: 1e-9, max: 1e12, noNaN: true }),
      marketCap: fc.oneof(fc.constant(Number.NaN), fc.double({ min: 0, max: 1e13, noNaN: true })),
      volume: fc.oneof(fc.constant(Number.NaN), fc.double({ min: 0, max: 1e13, noNaN: true })),
      tags: fc.uniqueArray(fc.constantFrom(...KNOWN_TAGS), { maxLength: 3 }),
    });
    fc.assert(
      fc.property(fc.array(row, { maxLength: 20 }), (rows: MarketRow[]) => {
        const back = parseMarketCsv(formatMarketCsv(rows, isoDay), 'r.csv').map(({ at: _at, ...r }) => r);
        expect(back).toEqual(rows.map((r) => ({ ...r, marketCap: r.marketCap, volume: r.volume })));
      }),
    );
  });

  it('keeps the documented header in the fixture', () => {
    expect(readFileSync(fixture('prices-good.csv'), 'utf8').split('\n')[0]).toBe(HEADER);
  });
});
