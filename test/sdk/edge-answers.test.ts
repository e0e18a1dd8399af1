import { EDGE_ERRORS, edgeProblem, rateLimitHeaders, type EdgeCode, type RefusalCode } from '@clavis/sdk';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../../src/core/errors/registry.ts';
import { VERIFY_CODES } from '../../src/core/keys/verify.ts';
import { limitHeaders } from '../../src/core/limits/headers.ts';
import type { CreditDecision, LimitDecision } from '../../src/core/ports/limiter.ts';

const REFUSALS = VERIFY_CODES.filter((c): c is RefusalCode => c !== 'VALID');

describe('edge problems', () => {
  it('refuse every verify code with the status and title of the server registry', () => {
    for (const code of REFUSALS) expect(EDGE_ERRORS[code], code).toEqual(ERROR_CODES[code]);
  });

  it('give the SDK its own codes for its own failures, apart from the registry', () => {
    const own = (Object.keys(EDGE_ERRORS) as EdgeCode[]).filter((c) => !(REFUSALS as readonly string[]).includes(c));
    expect(own.sort()).toEqual(['RAW_BODY_UNAVAILABLE', 'VERIFIER_MISCONFIGURED', 'VERIFIER_UNAVAILABLE']);
    for (const code of own) expect(Object.keys(ERROR_CODES), `${code} would shadow a server code`).not.toContain(code);
    expect(own.map((c) => EDGE_ERRORS[c].status)).toEqual(own.map((c) => (c === 'VERIFIER_UNAVAILABLE' ? 503 : 500)));
  });

  it('link the type to the code anchor, under a configurable base', () => {
    expect(edgeProblem('IP_NOT_ALLOWED')).toMatchObject({ type: '/docs/errors.md#ip-not-allowed', status: 403, code: 'IP_NOT_ALLOWED' });
    expect(edgeProblem('REVOKED', 'https://clavis.example/docs/errors.md').type).toBe('https://clavis.example/docs/errors.md#revoked');
  });
});

/** The verify answer's wire form of server decisions, as src/http/routes/v1/keys-verify.ts builds it. */
function wire(limits: LimitDecision | null, credits: CreditDecision | null) {
  return {
    rateLimit: limits === null ? null : { allowed: limits.allowed, refusedBy: limits.refusedBy, retryAfter: limits.retryAfter, limits: limits.limits.map((l) => ({ name: l.name, limit: l.limit, windowSeconds: l.windowSeconds, remaining: l.remaining, reset: l.reset })) },
    credits: credits === null ? null : { allowed: credits.allowed, quota: credits.quota, remaining: credits.remaining, reset: credits.reset },
  };
}

const seconds = fc.integer({ min: 0, max: 100_000 });

const limitDecision: fc.Arbitrary<LimitDecision> = fc
  .record({
    allowed: fc.boolean(),
    retryAfter: fc.option(fc.integer({ min: 1, max: 100_000 })),
    limits: fc.array(
      fc.record({
        name: fc.stringMatching(/^[a-z0-9-]{1,32}$/),
        algorithm: fc.constantFrom('sliding-window' as const, 'token-bucket' as const),
        limit: fc.integer({ min: 1, max: 1_000_000 }),
        windowSeconds: fc.integer({ min: 1, max: 86_400 }),
        remaining: fc.integer({ min: 0, max: 1_000_000 }),
        reset: seconds,
        retryAfter: fc.constant(0),
      }),
      { maxLength: 3 },
    ),
  })
  .map((d) => ({ allowed: d.allowed, refusedBy: d.allowed ? null : (d.limits[0]?.name ?? 'x'), retryAfter: d.allowed ? 0 : d.retryAfter, limits: d.limits }));

/** Credits as the server decides them: a refusal waits for the refill unless none will cover the cost. */
const creditDecision = (cost: number): fc.Arbitrary<CreditDecision> =>
  fc.record({ allowed: fc.boolean(), quota: fc.integer({ min: 1, max: 1000 }), remaining: fc.integer({ min: 0, max: 1000 }), reset: fc.option(seconds) }).map((c) => ({
    ...c,
    retryAfter: c.allowed ? 0 : c.reset === null || cost > c.quota ? null : c.reset,
  }));

describe('rateLimitHeaders', () => {
  it('writes what the server writes, from the verify answer (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2000 }).chain((cost) => fc.tuple(fc.constant(cost), fc.option(limitDecision), fc.option(creditDecision(cost)))),
        ([cost, limits, credits]) => {
          const server = limitHeaders({ limits, credits });
          // The answer does not carry the algorithm: the one parameter the SDK leaves out.
          if (server['RateLimit-Policy'] !== undefined) server['RateLimit-Policy'] = server['RateLimit-Policy'].replace(/;clavis-alg=[a-z-]+/g, '');
          expect(rateLimitHeaders(wire(limits, credits), cost)).toEqual(server);
        },
      ),
      { numRuns: 500 },
    );
  });
});
