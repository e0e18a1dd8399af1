import { ClavisError } from '../core/errors/registry.ts';
import { ID_PATTERN } from '../core/ids.ts';

export function encodeCursor(value: string): string {
  return Buffer.from(value, 'utf8').toString('base64url');
}

/** Decodes an id cursor; anything that does not decode to a typed id is INVALID_CURSOR. */
export function decodeIdCursor(cursor: string | undefined): string | undefined {
  if (cursor === undefined) return undefined;
  const id = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!ID_PATTERN.test(id)) throw new ClavisError('INVALID_CURSOR', 'the cursor is not one this server gave out', [{ field: '/querystring/cursor', message: 'invalid' }]);
  return id;
}

/** Decodes a sequence-number cursor (audit events). */
export function decodeSeqCursor(cursor: string | undefined): number | undefined {
  if (cursor === undefined) return undefined;
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!/^(0|[1-9]\d{0,15})$/.test(text)) throw new ClavisError('INVALID_CURSOR', 'the cursor is not one this server gave out', [{ field: '/querystring/cursor', message: 'invalid' }]);
  return Number(text);
}

/** Fetches limit+1 rows to know whether another page exists. */
export function page<T>(rows: T[], limit: number, cursorOf: (last: T) => string): { data: T[]; nextCursor: string | null } {
  if (rows.length <= limit) return { data: rows, nextCursor: null };
  const data = rows.slice(0, limit);
  const last = data[data.length - 1];
  return { data, nextCursor: last === undefined ? null : encodeCursor(cursorOf(last)) };
}
