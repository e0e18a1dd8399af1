import { createSecretKey, generateKeyPairSync, randomBytes } from 'node:crypto';
import { canonicalQuery, canonicalRequest, sha256Hex } from '@clavis/sdk/signing';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { verifyEd25519Request, verifyHmacRequest } from '../../src/core/signing/request-signature.ts';

// The query canonicaliser is the parser both sides of a signature run over the URL: it must be
// total on what HTTP can carry, stable under its own output, and blind to pair order.

const queryText = fc.string({ unit: 'grapheme', maxLength: 60 });
const pairs = fc.array(fc.tuple(queryText, queryText), { maxLength: 8 });
const join = (list: readonly (readonly [string, string])[]): string => list.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&');

describe('canonicalQuery (property)', () => {
  it('never throws on any query text a URL can carry, and its output is its own canonical form', () => {
    fc.assert(
      fc.property(fc.oneof(queryText, fc.string({ unit: 'binary-ascii', maxLength: 80 })), (q) => {
        const c = canonicalQuery(q);
        expect(canonicalQuery(c)).toBe(c);
      }),
      { numRuns: 1000 },
    );
  });

  it('does not depend on the order of the pairs', () => {
    fc.assert(
      fc.property(pairs, fc.integer({ min: 0, max: 1000 }), (list, seed) => {
        const shuffled = [...list].sort((a, b) => ((a[0].length * 31 + seed) % 7) - ((b[0].length * 31 + seed) % 7));
        expect(canonicalQuery(join(shuffled))).toBe(canonicalQuery(join(list)));
      }),
      { numRuns: 500 },
    );
  });

  it('reads + and %20 alike, and any percent-encoding of the same text alike', () => {
    fc.assert(
      fc.property(queryText, queryText, (k, v) => {
        const plus = `${encodeURIComponent(k)}=${encodeURIComponent(v).replace(/%20/g, '+')}`;
        expect(canonicalQuery(plus)).toBe(canonicalQuery(`${encodeURIComponent(k)}=${encodeURIComponent(v)}`));
        const upper = `${encodeURIComponent(k)}=${encodeURIComponent(v)}`;
        expect(canonicalQuery(upper.replace(/%[0-9A-F]{2}/g, (m) => m.toLowerCase()))).toBe(canonicalQuery(upper));
      }),
      { numRuns: 500 },
    );
  });

  it('a verify request whose URL no canonical form can encode (a lone surrogate) is refused, not thrown', () => {
    const key = createSecretKey(randomBytes(32));
    const ed25519 = generateKeyPairSync('ed25519').publicKey;
    // Built at run time: a lone surrogate written in the source may not survive the transform.
    const lone = String.fromCharCode(0xd800);
    for (const url of [`/x?a=${lone}`, `/x?${lone}=1`]) {
      expect(() => canonicalRequest({ method: 'GET', url, timestamp: 1, nonce: 'n' })).toThrow(URIError);
      expect(verifyHmacRequest(key, { method: 'GET', url, timestamp: 1, nonce: 'abcdefghijklmnop', signature: Buffer.alloc(32).toString('base64'), bodySha256: sha256Hex('') })).toBe(false);
      expect(verifyEd25519Request(ed25519, { method: 'GET', url, timestamp: 1, nonce: 'abcdefghijklmnop', signature: Buffer.alloc(64).toString('base64'), bodySha256: sha256Hex('') })).toBe(false);
    }
  });
});
