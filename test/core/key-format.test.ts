import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  KEY_REGEX_SOURCE,
  checksum,
  displayStart,
  generateCredential,
  hashCredential,
  parseCredential,
} from '../../src/core/keys/key-format.ts';

// Vectors computed independently (Python: zlib.crc32 and a separate base62 routine) from fixed
// body bytes, so the format is pinned to the spec rather than to this implementation.
const VECTORS: [Buffer, string][] = [
  [Buffer.from(Array.from({ length: 32 }, (_, i) => i)), 'clv_test_003aUlTJC7tjlCTQj2uNU3MFagCXG9LRKRcwGkBIDlf01xVRv'],
  [Buffer.alloc(32, 0xff), 'clv_test_yhjskwdA6OZ1AL1YmHWZWm8LLG7HjnuCA2j5rOw8Xp12TY6xb'],
  [Buffer.alloc(32, 0), 'clv_test_00000000000000000000000000000000000000000000okpxn'],
];

describe('key format', () => {
  it('matches independently computed vectors', () => {
    for (const [bytes, expected] of VECTORS) {
      expect(generateCredential('clv', 'test', () => bytes)).toBe(expected);
      expect(parseCredential(expected)).toEqual({ prefix: 'clv', type: 'test' });
    }
  });

  it('generates keys that match the published regex and parse', () => {
    const re = new RegExp(`^${KEY_REGEX_SOURCE}$`);
    for (const env of ['live', 'test', 'dev'] as const) {
      const key = generateCredential('clv', env);
      expect(key).toMatch(re);
      expect(key.length).toBe(4 + env.length + 1 + 43 + 6);
      expect(parseCredential(key)).toEqual({ prefix: 'clv', type: env });
      expect(displayStart(key)).toBe(`clv_${env}_${key.slice(5 + env.length, 9 + env.length)}`);
    }
  });

  it('rejects any single-character change (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.nat(), fc.constantFrom(...'0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_'), (bytes, pos, ch) => {
        const key = generateCredential('clv', 'live', () => Buffer.from(bytes));
        expect(parseCredential(key)).not.toBeNull();
        const i = pos % key.length;
        fc.pre(key[i] !== ch);
        const mutated = key.slice(0, i) + ch + key.slice(i + 1);
        expect(parseCredential(mutated)).toBeNull();
      }),
      { numRuns: 2000 },
    );
  });

  it('rejects wrong shapes without throwing (property)', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 120 }), (s) => {
        expect(() => parseCredential(s)).not.toThrow();
      }),
    );
    expect(parseCredential('')).toBeNull();
    expect(parseCredential('clv_prod_' + 'a'.repeat(49))).toBeNull();
    expect(parseCredential('CLV_test_' + 'a'.repeat(49))).toBeNull();
    expect(parseCredential(`${generateCredential('clv', 'test')}x`)).toBeNull();
    expect(parseCredential(` ${generateCredential('clv', 'test')}`)).toBeNull();
    expect(parseCredential('a'.repeat(10_000))).toBeNull();
  });

  it('pads the checksum to six characters and hashes with SHA-256', () => {
    expect(checksum('')).toBe('000000');
    expect(hashCredential('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(() => generateCredential('CLV', 'test')).toThrow(RangeError);
    expect(generateCredential('acme', 'adm')).toMatch(/^acme_adm_[0-9A-Za-z]{49}$/);
  });
});
