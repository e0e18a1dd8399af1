import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalJson } from '../../src/core/audit/canonical-json.ts';

/** Rebuilds every object with its keys in the order `order` gives, keeping all values. */
function reorder(value: unknown, order: (keys: string[]) => string[]): unknown {
  if (Array.isArray(value)) return value.map((v) => reorder(v, order));
  if (typeof value !== 'object' || value === null) return value;
  const record = value as Record<string, unknown>;
  // fromEntries defines own properties, so a '__proto__' key stays a key.
  return Object.fromEntries(order(Object.keys(record)).map((k) => [k, reorder(record[k], order)]));
}

function shuffle(keys: string[], seed: number): string[] {
  const out = keys.slice();
  let s = seed >>> 0;
  for (let i = out.length - 1; i > 0; i--) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    const j = s % (i + 1);
    const tmp = out[i];
    const other = out[j];
    if (tmp === undefined || other === undefined) throw new Error('index');
    out[i] = other;
    out[j] = tmp;
  }
  return out;
}

describe('canonicalJson', () => {
  it('sorts keys and writes no whitespace', () => {
    expect(canonicalJson({ b: 2, a: 1, c: [3, { z: null, y: true }] })).toBe('{"a":1,"b":2,"c":[3,{"y":true,"z":null}]}');
    expect(canonicalJson({})).toBe('{}');
    expect(canonicalJson([])).toBe('[]');
    expect(canonicalJson('x')).toBe('"x"');
    expect(canonicalJson(null)).toBe('null');
    expect(canonicalJson(false)).toBe('false');
  });

  it('sorts nested objects at every depth', () => {
    const value = { outer: { b: { d: 1, c: 2 }, a: [{ f: 1, e: 2 }] }, first: 0 };
    expect(canonicalJson(value)).toBe('{"first":0,"outer":{"a":[{"e":2,"f":1}],"b":{"c":2,"d":1}}}');
  });

  it('orders keys by UTF-16 code units (the RFC 8785 section 3.2.3 example)', () => {
    const value = {
      '\u20ac': 'Euro Sign',
      '\r': 'Carriage Return',
      '\ufb33': 'Hebrew Letter Dalet With Dagesh',
      '1': 'One',
      '\ud83d\ude00': 'Emoji: Grinning Face',
      '\u0080': 'Control',
      '\u00f6': 'Latin Small Letter O With Diaeresis',
    };
    // Code-point order would put U+1F600 last; UTF-16 order puts its high surrogate D83D before FB33.
    expect(canonicalJson(value)).toBe(
      '{"\\r":"Carriage Return","1":"One","\u0080":"Control","\u00f6":"Latin Small Letter O With Diaeresis",' +
        '"\u20ac":"Euro Sign","\ud83d\ude00":"Emoji: Grinning Face","\ufb33":"Hebrew Letter Dalet With Dagesh"}',
    );
  });

  it('writes strings and numbers as JSON.stringify does (RFC 8785 section 3.2.2)', () => {
    expect(canonicalJson('\u20ac$\u000f\nA\'B"\\\\"/')).toBe('"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"');
    expect(canonicalJson('\u2028 \ud83d\ude00')).toBe('"\u2028 \ud83d\ude00"');
    expect(canonicalJson([1e21, 1e-7, 0.000001, -0, 333333333.3333333, 9007199254740991, 4.5])).toBe(
      '[1e+21,1e-7,0.000001,0,333333333.3333333,9007199254740991,4.5]',
    );
  });

  it('omits object properties whose value is undefined', () => {
    expect(canonicalJson({ a: undefined, b: 1, c: { d: undefined } })).toBe('{"b":1,"c":{}}');
  });

  it('keeps a "__proto__" own key as an ordinary key', () => {
    const value = JSON.parse('{"__proto__":{"x":1},"a":2}') as unknown;
    expect(canonicalJson(value)).toBe('{"__proto__":{"x":1},"a":2}');
  });

  it('rejects what has no faithful JSON form', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    const rejected: unknown[] = [
      Number.NaN,
      Infinity,
      -Infinity,
      { a: [1, Number.NaN] },
      [undefined],
      [1, , 3],
      undefined,
      () => 1,
      { f: () => 1 },
      10n,
      { n: 10n },
      Symbol('s'),
      { s: Symbol('s') },
      new Date(0),
      new Map([['a', 1]]),
      Buffer.from('x'),
      { nested: new (class Point { x = 1 })() },
      cyclic,
    ];
    for (const value of rejected) expect(() => canonicalJson(value), String(typeof value)).toThrow(TypeError);
  });

  it('accepts a shared (non-cyclic) subobject twice', () => {
    const shared = { x: 1 };
    expect(canonicalJson({ a: shared, b: [shared] })).toBe('{"a":{"x":1},"b":[{"x":1}]}');
  });

  it('accepts null-prototype objects', () => {
    const bare = Object.create(null) as Record<string, unknown>;
    bare.b = 1;
    bare.a = 2;
    expect(canonicalJson(bare)).toBe('{"a":2,"b":1}');
  });

  it('round-trips every JSON value through JSON.parse', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        expect(JSON.parse(canonicalJson(value))).toEqual(JSON.parse(JSON.stringify(value)));
      }),
      { numRuns: 500 },
    );
  });

  it('is invariant under key order', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.nat(), (value, seed) => {
        const expected = canonicalJson(value);
        expect(canonicalJson(reorder(value, (keys) => keys.slice().reverse()))).toBe(expected);
        expect(canonicalJson(reorder(value, (keys) => shuffle(keys, seed)))).toBe(expected);
      }),
      { numRuns: 500 },
    );
  });

  it('is already canonical: canonicalising the parsed output changes nothing', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const once = canonicalJson(value);
        expect(canonicalJson(JSON.parse(once))).toBe(once);
      }),
      { numRuns: 300 },
    );
  });
});
