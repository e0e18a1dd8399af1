import { randomBytes } from 'node:crypto';
import { encodeBase62 } from './encoding/base62.ts';

/** Typed id prefixes: every id says what it names. */
export type IdPrefix = 'key' | 'ws' | 'evt' | 'tok' | 'req' | 'alr' | 'qt' | 'trd' | 'pf' | 'wl' | 'usr' | 'mfa' | 'whk' | 'msg' | 'pbr';

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

/**
 * Request ids for logs and problem answers: a random per-process prefix and a counter. They
 * only need to be unique, not unguessable, and a CSPRNG call per request costs measurable time
 * on the verify path.
 *
 * @example const next = createRequestIdGenerator(); next() // 'req_3fK9a…_0001'
 */
export function createRequestIdGenerator(): () => string {
  const prefix = encodeBase62(randomBytes(8), 11);
  let n = 0;
  return () => {
    n += 1;
    return `req_${prefix}${n.toString(36).padStart(6, '0')}`;
  };
}
