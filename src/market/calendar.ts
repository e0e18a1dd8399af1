/**
 * UTC calendar days as whole numbers: day 0 is 1970-01-01. Every date in the market and index
 * code is one of these; ISO `YYYY-MM-DD` text appears only at the edges (files, CLI, API).
 */

export const MS_PER_DAY = 86_400_000;

const ISO_DAY = /^(\d{4})-(\d{2})-(\d{2})$/;

/**
 * The day number of a strict `YYYY-MM-DD` date, or null when the text is not a real date.
 *
 * @example parseDay('1970-01-02') // 1
 */
export function parseDay(text: string): number | null {
  const m = ISO_DAY.exec(text);
  if (m === null) return null;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const ms = Date.UTC(y, mo - 1, d);
  const back = new Date(ms);
  // Date.UTC rolls 2023-02-30 over to March; a real date survives the round trip.
  if (back.getUTCFullYear() !== y || back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d) return null;
  return ms / MS_PER_DAY;
}

/** Like {@link parseDay} but throws a RangeError naming the text. */
export function dayOf(text: string): number {
  const day = parseDay(text);
  if (day === null) throw new RangeError(`not a date (expected YYYY-MM-DD): "${text}"`);
  return day;
}

/** `YYYY-MM-DD` of a day number. */
export function isoDay(day: number): string {
  return new Date(day * MS_PER_DAY).toISOString().slice(0, 10);
}

/** 0 = Sunday … 6 = Saturday (1970-01-01, day 0, was a Thursday). */
export function weekday(day: number): number {
  return (((day + 4) % 7) + 7) % 7;
}

/** The instant of a day's close, 24:00 UTC of that date, as an ISO time (`<next day>T00:00:00.000Z`). */
export function closeTime(day: number): string {
  return new Date((day + 1) * MS_PER_DAY).toISOString();
}

/**
 * The day whose close a timestamp belongs to: the window (D 00:00, D+1 00:00] is day D, so a
 * point stamped exactly at midnight is the close of the day before.
 *
 * @example closeDayOf(Date.UTC(2024, 0, 2)) === parseDay('2024-01-01')
 */
export function closeDayOf(ms: number): number {
  return Math.ceil(ms / MS_PER_DAY) - 1;
}

/** The last day whose close has happened at `nowMs` (yesterday until 24:00 UTC today). */
export function lastClosedDay(nowMs: number): number {
  return Math.floor(nowMs / MS_PER_DAY) - 1;
}
