import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { closeDayOf, closeTime, dayOf, isoDay, lastClosedDay, parseDay, weekday } from '../../src/market/calendar.ts';

describe('calendar', () => {
  it('parses strict ISO dates and refuses impossible ones', () => {
    expect(parseDay('1970-01-01')).toBe(0);
    expect(parseDay('2024-02-29')).toBe(19782);
    expect(parseDay('2023-02-29')).toBeNull();
    expect(parseDay('2024-13-01')).toBeNull();
    expect(parseDay('2024-1-01')).toBeNull();
    expect(parseDay('2024-01-01T00:00:00Z')).toBeNull();
    expect(() => dayOf('yesterday')).toThrow(/not a date/);
  });

  it('round-trips every day between 1900 and 2200', () => {
    fc.assert(
      fc.property(fc.integer({ min: -25567, max: 84000 }), (day) => {
        expect(parseDay(isoDay(day))).toBe(day);
      }),
    );
  });

  it('knows the weekday (2024-01-07 was a Sunday)', () => {
    expect(weekday(dayOf('2024-01-07'))).toBe(0);
    expect(weekday(dayOf('2024-01-06'))).toBe(6);
    expect(weekday(dayOf('1969-12-28'))).toBe(0);
  });

  it('puts a point at midnight in the close of the day before', () => {
    expect(closeDayOf(Date.UTC(2024, 0, 2))).toBe(dayOf('2024-01-01'));
    expect(closeDayOf(Date.UTC(2024, 0, 2) + 1)).toBe(dayOf('2024-01-02'));
    expect(closeDayOf(Date.UTC(2024, 0, 2, 23, 59))).toBe(dayOf('2024-01-02'));
    expect(closeTime(dayOf('2024-01-01'))).toBe('2024-01-02T00:00:00.000Z');
    expect(lastClosedDay(Date.UTC(2024, 0, 2, 13))).toBe(dayOf('2024-01-01'));
  });
});
