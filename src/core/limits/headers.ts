import type { CreditDecision, LimitDecision } from '../ports/limiter.ts';

/**
 * The revision of the IETF RateLimit header draft that {@link limitHeaders} follows:
 * `RateLimit-Policy` and `RateLimit` as Structured Field Lists (RFC 9651) of String items with
 * parameters, replacing the older RateLimit-Limit/-Remaining/-Reset trio.
 */
export const RATELIMIT_DRAFT = 'draft-ietf-httpapi-ratelimit-headers-11';

export const HEADER = {
  policy: 'RateLimit-Policy',
  rateLimit: 'RateLimit',
  retryAfter: 'Retry-After',
  creditsRemaining: 'Clavis-Credits-Remaining',
  creditsReset: 'Clavis-Credits-Reset',
} as const;

/** An sf-string: printable ASCII in quotes, with `"` and `\` escaped (RFC 9651 section 4.1.6). */
function sfString(s: string): string {
  if (!/^[\x20-\x7e]*$/.test(s)) throw new RangeError(`not a printable ASCII string: ${JSON.stringify(s)}`);
  return `"${s.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`;
}

function sfInteger(n: number): string {
  if (!Number.isSafeInteger(n) || n < 0 || n > 999_999_999_999_999) throw new RangeError(`not a non-negative sf-integer: ${n}`);
  return String(n);
}

/**
 * The `Retry-After` of a refusal: the largest wait among the refusing decisions, or null when
 * none refused or one can never be satisfied by waiting (the header is then left out).
 */
function retryAfterOf(limits: LimitDecision | null, credits: CreditDecision | null): number | null {
  const refusals = [limits, credits].filter((d): d is LimitDecision | CreditDecision => d !== null && !d.allowed);
  if (refusals.length === 0) return null;
  let wait = 0;
  for (const d of refusals) {
    if (d.retryAfter === null) return null;
    wait = Math.max(wait, d.retryAfter);
  }
  return wait;
}

/**
 * The response headers for a key's rate-limit and credit decisions, per
 * {@link RATELIMIT_DRAFT}:
 *
 * ```
 * RateLimit-Policy: "burst";q=20;w=1;clavis-alg=token-bucket, "per-day";q=10000;w=86400;clavis-alg=sliding-window
 * RateLimit: "burst";r=19;t=1, "per-day";r=9000;t=86400
 * Retry-After: 3                        (only on a refusal that waiting can cure)
 * Clavis-Credits-Remaining: 4999        (only with credits)
 * Clavis-Credits-Reset: 43200           (seconds to the next refill; not for refill `none`)
 * ```
 *
 * `q` is the limit (a token bucket's capacity) and `w` its window in seconds; `r` is what can be
 * used now and `t` the seconds until the limit is full again, during which the client should not
 * use more than `r` (conservative: a token bucket or sliding window refills gradually). When
 * Retry-After is present, every `t` is capped to it, as the draft asks that Retry-After not point
 * before the end of an effective window. No partition key (`pk`) is sent: the partition is the
 * API key itself. Limits are listed in the key's order; no limits, no RateLimit fields.
 *
 * @example reply.headers(limitHeaders({ limits: decision, credits: creditDecision }))
 */
export function limitHeaders(input: { limits?: LimitDecision | null; credits?: CreditDecision | null }): Record<string, string> {
  const limits = input.limits ?? null;
  const credits = input.credits ?? null;
  const headers: Record<string, string> = {};
  const retryAfter = retryAfterOf(limits, credits);
  if (limits !== null && limits.limits.length > 0) {
    headers[HEADER.policy] = limits.limits
      .map((l) => `${sfString(l.name)};q=${sfInteger(l.limit)};w=${sfInteger(l.windowSeconds)};clavis-alg=${l.algorithm}`)
      .join(', ');
    headers[HEADER.rateLimit] = limits.limits
      .map((l) => `${sfString(l.name)};r=${sfInteger(l.remaining)};t=${sfInteger(retryAfter === null ? l.reset : Math.min(l.reset, retryAfter))}`)
      .join(', ');
  }
  if (retryAfter !== null) headers[HEADER.retryAfter] = sfInteger(retryAfter);
  if (credits !== null) {
    headers[HEADER.creditsRemaining] = sfInteger(credits.remaining);
    if (credits.reset !== null) headers[HEADER.creditsReset] = sfInteger(credits.reset);
  }
  return headers;
}
