/** The base62 alphabet of the key format: `0-9A-Za-z`, in that (ASCII-ascending) order. */
export const BASE62_ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

const DIGIT = new Map<string, number>([...BASE62_ALPHABET].map((c, i) => [c, i]));

/**
 * Encodes an unsigned big-endian integer (given as bytes) in base62, left-padded with `0` to
 * `width` characters. Throws when the value needs more than `width` characters.
 *
 * @example encodeBase62(Buffer.from([0xff]), 3) // '047'
 */
export function encodeBase62(bytes: Uint8Array, width: number): string {
  let n = 0n;
  for (const b of bytes) n = (n << 8n) | BigInt(b);
  return encodeBase62BigInt(n, width);
}

/** Encodes a non-negative integer in base62, left-padded with `0` to `width` characters. */
export function encodeBase62BigInt(value: bigint, width: number): string {
  if (value < 0n) throw new RangeError('base62: negative value');
  let n = value;
  let out = '';
  while (n > 0n) {
    out = BASE62_ALPHABET.charAt(Number(n % 62n)) + out;
    n /= 62n;
  }
  if (out.length > width) throw new RangeError(`base62: value needs ${out.length} characters, width is ${width}`);
  return out.padStart(width, '0');
}

/** Decodes a base62 string to a bigint; returns null on a character outside the alphabet. */
export function decodeBase62(text: string): bigint | null {
  let n = 0n;
  for (const c of text) {
    const d = DIGIT.get(c);
    if (d === undefined) return null;
    n = n * 62n + BigInt(d);
  }
  return n;
}
