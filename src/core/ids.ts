import { randomBytes } from 'node:crypto';
import { encodeBase62 } from './encoding/base62.ts';

/** Typed id prefixes: every id says what it names. */
export type IdPrefix = 'key' | 'ws' | 'evt' | 'tok' | 'req' | 'alr' | 'qt' | 'trd' | 'pf' | 'wl' | 'usr' | 'mfa';

/** Makes ids; injected so tests can control them. */
export type IdGenerator = (prefix: IdPrefix) => string;

const ID_BODY_LENGTH = 22;

/**
 * Time-sortable ids: 48-bit millisecond time then 80 random bits, base62 with a fixed width, so
 * that string order is creation order (used by cursor pagination).
 *
 * @example createIdGenerator(() => Date.now())('key') // 'key_0TQx…'
 */
export function createIdGenerator(now: () => number = Date.now): IdGenerator {
  return (prefix) => {
    const bytes = Buffer.alloc(16);
    bytes.writeUIntBE(Math.max(0, Math.floor(now())), 0, 6);
    randomBytes(10).copy(bytes, 6);
    return `${prefix}_${encodeBase62(bytes, ID_BODY_LENGTH)}`;
  };
}

export const ID_PATTERN = /^[a-z]{2,4}_[0-9A-Za-z]{22}$/;
