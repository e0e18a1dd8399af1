import type { VerifyResult } from '../types.ts';

/**
 * The RateLimit headers of a verify answer, in the format the Clavis server and gateway send
 * (draft-ietf-httpapi-ratelimit-headers-11, Structured Field Lists), reimplemented here because
 * the SDK imports no server code:
 *
 * ```
 * RateLimit-Policy: "burst";q=20;w=1
 * RateLimit: "burst";r=19;t=1
 * Retry-After: 3                    (only on a refusal that waiting can cure)
 * Clavis-Credits-Remaining: 4999    (only with credits)
 * Clavis-Credits-Reset: 43200       (not for refill `none`)
 * ```
 *
 * One difference: the verify answer does not carry each limit's algorithm, so the server's
 * `clavis-alg` parameter is left out of RateLimit-Policy.
 *
 * @example reply.headers(rateLimitHeaders(result, 1))
 */
export function rateLimitHeaders(result: Pick<VerifyResult, 'rateLimit' | 'credits'>, cost = 1): Record<string, string> {
  const headers: Record<string, string> = {};
  const retryAfter = retryAfterOf(result, cost);
  const limits = (result.rateLimit?.limits ?? []).filter((l) => PRINTABLE.test(l.name));
  if (limits.length > 0) {
    headers['RateLimit-Policy'] = limits.map((l) => `${sfString(l.name)};q=${sfInteger(l.limit)};w=${sfInteger(l.windowSeconds)}`).join(', ');
    // As the draft asks, no `t` points past a Retry-After.
    headers.RateLimit = limits.map((l) => `${sfString(l.name)};r=${sfInteger(l.remaining)};t=${sfInteger(retryAfter === null ? l.reset : Math.min(l.reset, retryAfter))}`).join(', ');
  }
  if (retryAfter !== null) headers['Retry-After'] = sfInteger(retryAfter);
  if (result.credits !== null) {
    headers['Clavis-Credits-Remaining'] = sfInteger(result.credits.remaining);
    if (result.credits.reset !== null) headers['Clavis-Credits-Reset'] = sfInteger(result.credits.reset);
  }
  return headers;
}

const PRINTABLE = /^[\x20-\x7e]*$/;

function sfString(s: string): string {
  return `"${s.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`;
}

function sfInteger(n: number): string {
  return String(Number.isSafeInteger(n) && n > 0 ? n : 0);
}

/**
 * The largest wait among the refusing decisions; null when none refused or one can never be
 * cured by waiting. The answer carries a rate-limit retryAfter but no credit one: a credit
 * refusal is cured at the refill (`reset`) unless the policy never refills or the cost exceeds
 * the whole quota, as the server decides it.
 */
function retryAfterOf(result: Pick<VerifyResult, 'rateLimit' | 'credits'>, cost: number): number | null {
  const waits: (number | null)[] = [];
  if (result.rateLimit !== null && !result.rateLimit.allowed) waits.push(result.rateLimit.retryAfter);
  if (result.credits !== null && !result.credits.allowed) waits.push(result.credits.reset === null || cost > result.credits.quota ? null : result.credits.reset);
  if (waits.length === 0) return null;
  let wait = 0;
  for (const w of waits) {
    if (w === null) return null;
    wait = Math.max(wait, w);
  }
  return wait;
}
