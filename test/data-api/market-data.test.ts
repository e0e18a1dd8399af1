import { describe, expect, it } from 'vitest';
import { IndexDataError, IndexQueryError } from '../../src/indices/errors.ts';
import { MarketApiError, MarketDataError } from '../../src/market/errors.ts';
import { MarketDataUnavailableError, callDataService, reviveError, serializeError } from '../../src/market/market-data.ts';
import { simulatedData } from './harness.ts';

describe('market data across a thread boundary', () => {
  it('revives each error class of the data layer with the fields the error handler reads', () => {
    const cases: Error[] = [
      new IndexQueryError('INDEX_DATE_OUT_OF_RANGE', 'asOf', 'asOf: out of range'),
      new IndexDataError('no bitcoin'),
      new MarketDataError('price must be positive', { file: 'p.csv', line: 3, field: 'price' }),
      new MarketApiError('coingecko answered 429', { status: 429, path: '/coins/markets', attempts: 4 }),
      new MarketDataUnavailableError('worker stopped'),
      new RangeError('from: expected a date'),
    ];
    for (const err of cases) {
      const back = reviveError(structuredClone(serializeError(err)));
      expect(back.constructor).toBe(err.constructor);
      expect(back.message).toBe(err.message);
      expect((back as { code?: unknown }).code).toBe((err as { code?: unknown }).code);
    }
    expect(reviveError(serializeError(new IndexQueryError('ASSET_NOT_FOUND', 'to', 'x')))).toMatchObject({ code: 'ASSET_NOT_FOUND', field: 'to' });
    expect(reviveError(serializeError('a string'))).toBeInstanceOf(Error);
  });

  it('calls only the data methods of the services', async () => {
    const data = simulatedData();
    await data.ready();
    expect(await data.market.asOf()).toBe('2017-12-31');
    expect((await data.index.info()).id).toBe('ct100');
    const services = { market: { refresh: () => 'no' }, index: new IndexDataError('none') } as unknown as Parameters<typeof callDataService>[0];
    expect(() => callDataService(services, 'market', 'refresh', [])).toThrow(TypeError);
    expect(() => callDataService(services, 'index', 'info', [])).toThrow(IndexDataError);
  });
});
