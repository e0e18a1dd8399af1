import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { limitHeaders, RATELIMIT_DRAFT } from '../../src/core/limits/headers.ts';
import type { CreditDecision, LimitDecision, LimitState } from '../../src/core/ports/limiter.ts';

type Bare = string | number;
interface Member {
  value: string;
  params: Record<string, Bare>;
}

/**
 * A parser for the part of RFC 9651 Lists these headers use (String items; Integer, Token and
 * String parameters), written apart from the serializer so one checks the other.
 */
function parseList(input: string): Member[] {
  let i = 0;
  const fail = (why: string): never => {
    throw new Error(`${why} at ${i} in ${JSON.stringify(input)}`);
  };
  const str = (): string => {
    if (input[i] !== '"') fail('expected a string');
    i++;
    let out = '';
    for (;;) {
      const c = input[i++];
      if (c === undefined) return fail('unterminated string');
      if (c === '"') return out;
      if (c === '\\') {
        const next = input[i++];
        if (next !== '"' && next !== '\\') fail('bad escape');
        out += next;
      } else {
        if (c < ' ' || c > '~') fail('bad character');
        out += c;
      }
    }
  };
  const bare = (): Bare => {
    if (input[i] === '"') return str();
    const m = /^(-?\d{1,15}(?![\d.])|[A-Za-z*][!#$%&'*+\-.^_`|~0-9A-Za-z:/]*)/.exec(input.slice(i));
    if (m?.[1] === undefined) return fail('expected an integer, token or string');
    i += m[1].length;
    return /^-?\d/.test(m[1]) ? Number(m[1]) : m[1];
  };
  const members: Member[] = [];
  for (;;) {
    const value = str();
    const params: Record<string, Bare> = {};
    while (input[i] === ';') {
      i++;
      const k = /^[a-z*][a-z0-9_\-.*]*/.exec(input.slice(i))?.[0] ?? fail('expected a key');
      i += k.length;
      if (input[i] === '=') {
        i++;
        params[k] = bare();
      } else params[k] = 1;
    }
    members.push({ value, params });
    if (i === input.length) return members;
    if (input[i] !== ',') fail('expected a comma');
    i++;
    while (input[i] === ' ' || input[i] === '\t') i++;
  }
}

const state = (over: Partial<LimitState> & { name: string }): LimitState => ({
  algorithm: 'token-bucket',
  limit: 10,
  windowSeconds: 60,
  remaining: 10,
  reset: 0,
  retryAfter: 0,
  ...over,
});

describe('limitHeaders', () => {
  it(`follows ${RATELIMIT_DRAFT}: policies and service limits as Structured Field Lists`, () => {
    const limits: LimitDecision = {
      allowed: true,
      refusedBy: null,
      retryAfter: 0,
      limits: [
        state({ name: 'burst', limit: 20, windowSeconds: 1, remaining: 19, reset: 1 }),
        state({ name: 'per-day', algorithm: 'sliding-window', limit: 10_000, windowSeconds: 86_400, remaining: 9_000, reset: 86_400 }),
      ],
    };
    const credits: CreditDecision = { allowed: true, quota: 5000, remaining: 4999, reset: 43_200, retryAfter: 0 };
    expect(limitHeaders({ limits, credits })).toEqual({
      'RateLimit-Policy': '"burst";q=20;w=1;clavis-alg=token-bucket, "per-day";q=10000;w=86400;clavis-alg=sliding-window',
      RateLimit: '"burst";r=19;t=1, "per-day";r=9000;t=86400',
      'Clavis-Credits-Remaining': '4999',
      'Clavis-Credits-Reset': '43200',
    });
  });

  it('adds Retry-After on a refusal and caps every effective window to it', () => {
    const limits: LimitDecision = {
      allowed: false,
      refusedBy: 'burst',
      retryAfter: 3,
      limits: [state({ name: 'burst', remaining: 0, reset: 60, retryAfter: 3 }), state({ name: 'slow', remaining: 5, reset: 2, retryAfter: 0 })],
    };
    expect(limitHeaders({ limits })).toEqual({
      'RateLimit-Policy': '"burst";q=10;w=60;clavis-alg=token-bucket, "slow";q=10;w=60;clavis-alg=token-bucket',
      RateLimit: '"burst";r=0;t=3, "slow";r=5;t=2',
      'Retry-After': '3',
    });
  });

  it('leaves Retry-After out when waiting cannot help, and sends nothing for no limits', () => {
    const never: LimitDecision = { allowed: false, refusedBy: 'x', retryAfter: null, limits: [state({ name: 'x', retryAfter: null })] };
    expect(limitHeaders({ limits: never })['Retry-After']).toBeUndefined();
    const spent: CreditDecision = { allowed: false, quota: 5, remaining: 0, reset: null, retryAfter: null };
    expect(limitHeaders({ credits: spent })).toEqual({ 'Clavis-Credits-Remaining': '0' });
    expect(limitHeaders({ limits: { allowed: true, refusedBy: null, retryAfter: 0, limits: [] } })).toEqual({});
    expect(limitHeaders({})).toEqual({});
  });

  it('takes Retry-After from the credits when they refused, the longer wait when both did', () => {
    const credits: CreditDecision = { allowed: false, quota: 5, remaining: 0, reset: 7200, retryAfter: 7200 };
    const limits: LimitDecision = { allowed: true, refusedBy: null, retryAfter: 0, limits: [state({ name: 'a', reset: 9000 })] };
    expect(limitHeaders({ limits, credits })).toMatchObject({ 'Retry-After': '7200', RateLimit: '"a";r=10;t=7200', 'Clavis-Credits-Reset': '7200' });
    const refused: LimitDecision = { ...limits, allowed: false, refusedBy: 'a', retryAfter: 8000 };
    expect(limitHeaders({ limits: refused, credits })['Retry-After']).toBe('8000');
  });

  it('escapes quotes and backslashes, and refuses what a header cannot carry', () => {
    const one = (name: string): LimitDecision => ({ allowed: true, refusedBy: null, retryAfter: 0, limits: [state({ name })] });
    expect(limitHeaders({ limits: one('a"b\\c') }).RateLimit).toBe('"a\\"b\\\\c";r=10;t=0');
    expect(() => limitHeaders({ limits: one('caf\u00e9') })).toThrow(RangeError);
    expect(() => limitHeaders({ limits: one('a\nb') })).toThrow(RangeError);
  });

  const limitState = fc.record({
    name: fc.string({ unit: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz0123456789-"\\ '.split('')), minLength: 1, maxLength: 32 }),
    algorithm: fc.constantFrom<LimitState['algorithm']>('token-bucket', 'sliding-window'),
    limit: fc.integer({ min: 1, max: 1_000_000 }),
    windowSeconds: fc.integer({ min: 1, max: 2_592_000 }),
    remaining: fc.integer({ min: 0, max: 1_000_000 }),
    reset: fc.integer({ min: 0, max: 5_184_000 }),
    retryAfter: fc.option(fc.integer({ min: 0, max: 5_184_000 })),
  });
  const credit = fc.option(
    fc.record({
      allowed: fc.boolean(),
      quota: fc.integer({ min: 0, max: 1e12 }),
      remaining: fc.integer({ min: 0, max: 1e12 }),
      reset: fc.option(fc.integer({ min: 0, max: 2_678_400 })),
      retryAfter: fc.option(fc.integer({ min: 0, max: 2_678_400 })),
    }),
  );

  it('round-trips through a Structured Field parser: every limit in order, each t within Retry-After', () => {
    fc.assert(
      fc.property(fc.array(limitState, { maxLength: 5 }), credit, (states, credits) => {
        const refused = states.filter((s) => s.retryAfter !== 0);
        const limits: LimitDecision = {
          allowed: refused.length === 0,
          refusedBy: refused[0]?.name ?? null,
          retryAfter: refused.some((s) => s.retryAfter === null) ? null : Math.max(0, ...refused.map((s) => s.retryAfter ?? 0)),
          limits: states,
        };
        const h = limitHeaders({ limits, credits });
        const waits = [limits, credits].filter((d) => d !== null && !d.allowed).map((d) => d?.retryAfter ?? null);
        const retryAfter = waits.length === 0 || waits.includes(null) ? null : Math.max(...waits.map((w) => w ?? 0));
        expect(h['Retry-After']).toBe(retryAfter === null ? undefined : String(retryAfter));

        if (states.length === 0) {
          expect(h.RateLimit).toBeUndefined();
          expect(h['RateLimit-Policy']).toBeUndefined();
        } else {
          const policy = parseList(h['RateLimit-Policy'] ?? '');
          const current = parseList(h.RateLimit ?? '');
          expect(policy).toEqual(states.map((s) => ({ value: s.name, params: { q: s.limit, w: s.windowSeconds, 'clavis-alg': s.algorithm } })));
          expect(current.map((m) => m.value)).toEqual(states.map((s) => s.name));
          current.forEach((m, i) => {
            const s = states[i];
            expect(m.params.r).toBe(s?.remaining);
            expect(m.params.t).toBe(retryAfter === null ? s?.reset : Math.min(s?.reset ?? 0, retryAfter));
          });
        }
        expect(h['Clavis-Credits-Remaining']).toBe(credits === null ? undefined : String(credits.remaining));
        expect(h['Clavis-Credits-Reset']).toBe(credits?.reset == null ? undefined : String(credits.reset));
      }),
      { numRuns: 300 },
    );
  });
});
