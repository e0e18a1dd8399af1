import type { GatewayRoute, PatternSegment, RouteTable } from './routes-file.ts';

/** The outcome of matching a request: the first route that takes it, or why none does. */
export type RouteMatch = { route: GatewayRoute; reason?: undefined } | { route: null; reason: string };

/**
 * The request path as segments to match, percent-decoded and lower-cased, or why the gateway
 * refuses it. Paths an upstream could route somewhere other than where the gateway matched them
 * are refused rather than guessed at: dot segments (`..` walks up after the check), empty
 * segments (`//` is collapsed by many servers), encoded or literal `/` and `\` inside a segment,
 * NUL, `;` (servlet containers drop `;params` from a segment) and malformed percent-encoding.
 *
 * @example requestSegments('/v1/Prices/bit%63oin?vs=usd') // { segments: ['v1', 'prices', 'bitcoin'] }
 */
export function requestSegments(url: string): { segments: string[] } | { problem: string } {
  if (!url.startsWith('/')) return { problem: 'the request target must be a path starting with "/"' };
  const q = url.indexOf('?');
  const path = q < 0 ? url : url.slice(0, q);
  const parts = path.split('/').slice(1);
  if (parts.length > 0 && parts.at(-1) === '') parts.pop();
  const segments: string[] = new Array<string>(parts.length);
  for (const [i, part] of parts.entries()) {
    let s = part;
    if (s.includes('%')) {
      try {
        s = decodeURIComponent(s);
      } catch {
        return { problem: 'the path has malformed percent-encoding' };
      }
    }
    if (s === '') return { problem: 'the path has an empty segment ("//")' };
    if (s === '.' || s === '..') return { problem: 'the path has a "." or ".." segment' };
    if (/[/\\;\0]/.test(s)) return { problem: 'a path segment contains "/", "\\", ";" or NUL (encoded or not)' };
    segments[i] = s.toLowerCase();
  }
  return { segments };
}

function segmentsMatch(pattern: readonly PatternSegment[], segments: readonly string[]): boolean {
  for (let i = 0; i < pattern.length; i++) {
    const p = pattern[i];
    if (p === undefined) return false;
    if (p.kind === 'rest') return true;
    const s = segments[i];
    if (s === undefined) return false;
    if (p.kind === 'literal' && p.value !== s) return false;
  }
  return pattern.length === segments.length;
}

function methodMatches(route: GatewayRoute, method: string): boolean {
  return route.methods === null || route.methods.has(method) || (method === 'HEAD' && route.methods.has('GET'));
}

/**
 * The first route of the table that takes `method` and the path of `url` (first match wins), or
 * why none does: fail closed, a request no route names is refused.
 *
 * @example const m = matchRoute(table, 'GET', '/v1/prices/bitcoin'); if (m.route === null) refuse(m.reason)
 */
export function matchRoute(table: RouteTable, method: string, url: string): RouteMatch {
  const checked = requestSegments(url);
  if ('problem' in checked) return { route: null, reason: `${checked.problem}; the gateway refuses paths an upstream could route elsewhere` };
  for (const route of table.routes) {
    if (methodMatches(route, method) && segmentsMatch(route.segments, checked.segments)) return { route };
  }
  return { route: null, reason: `no gateway route takes ${method} ${url.split('?')[0] ?? url}` };
}
