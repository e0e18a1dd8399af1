import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { ENVIRONMENTS, type Environment } from '../core/keys/key-format.ts';
import { SCOPE_NAMES, isScope, type Scope } from '../core/keys/scopes.ts';

/**
 * The gateway's route file (docs/guides/gateway.md): JSON, because it must be readable without a
 * YAML parser and checkable by any JSON tool.
 *
 * ```json
 * {
 *   "environment": "live",
 *   "workspaceId": "ws_…",
 *   "websocketQueryKey": true,
 *   "routes": [
 *     { "method": "GET", "path": "/v1/prices/*", "scope": "prices:read" },
 *     { "method": ["POST", "DELETE"], "path": "/v1/orders/**", "scope": "portfolio:trade" },
 *     { "method": "*", "path": "/v1/portfolios/:id", "scope": "portfolio:read", "description": "any method" }
 *   ]
 * }
 * ```
 *
 * - `environment` (required): keys of another environment are refused (ENV_MISMATCH).
 * - `workspaceId` (optional): keys of another workspace are refused as unknown (NOT_FOUND).
 * - `websocketQueryKey` (optional, default true): whether a websocket upgrade may carry its key
 *   as `?key=` (browsers cannot set headers on a websocket).
 * - `routes`, in order, first match wins; a request matching none is refused. Path segments:
 *   a literal, `*` (exactly one segment), `:name` (exactly one segment, named for readers) or
 *   `**` (the rest: zero or more segments; last only). Literals compare case-insensitively and
 *   against the percent-decoded request segment; a trailing slash is ignored on both sides.
 */

/** One compiled segment of a route's path pattern. */
export type PatternSegment = { kind: 'literal'; value: string } | { kind: 'one'; name: string | null } | { kind: 'rest' };

export interface GatewayRoute {
  /** Position in the file's `routes` (0-based), for messages and logs. */
  index: number;
  /** Upper-case methods the route takes; null: any method. A GET route also takes HEAD. */
  methods: ReadonlySet<string> | null;
  /** The pattern as written. */
  path: string;
  scope: Scope;
  segments: readonly PatternSegment[];
}

export interface RouteTable {
  /** The file it came from (for messages). */
  file: string;
  environment: Environment;
  /** Only keys of this workspace verify; undefined: keys of any workspace. */
  workspaceId: string | undefined;
  websocketQueryKey: boolean;
  routes: readonly GatewayRoute[];
}

/** A route file that cannot be used; `problems` lists every one found, each naming its entry. */
export class RoutesFileError extends Error {
  constructor(
    readonly file: string,
    readonly problems: string[],
  ) {
    super(`invalid gateway route file ${file}:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'RoutesFileError';
  }
}

const METHOD = z.string().regex(/^(\*|[A-Za-z]{1,20})$/, 'must be an HTTP method such as "GET", or "*" for any method');

const RouteSchema = z
  .object({
    method: z.union([METHOD, z.array(METHOD).min(1, 'must list at least one method')], {
      errorMap: (_issue, ctx) => ({ message: ctx.data === undefined ? 'Required' : 'must be an HTTP method such as "GET", "*" for any method, or a list of methods' }),
    }),
    path: z.string().min(1),
    scope: z.string().min(1),
    description: z.string().optional(),
  })
  .strict();

const FileSchema = z
  .object({
    environment: z.enum(ENVIRONMENTS),
    workspaceId: z.string().regex(/^ws_[0-9A-Za-z]{1,64}$/, 'must be a workspace id (ws_…)').optional(),
    websocketQueryKey: z.boolean().optional(),
    routes: z.array(z.unknown()).min(1, 'must list at least one route: a gateway without routes refuses everything'),
    description: z.string().optional(),
  })
  .strict();

const PARAM = /^:[A-Za-z_][A-Za-z0-9_]*$/;

/** `routes[2].method` from a zod issue path. */
function pathText(path: readonly (string | number)[]): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('');
}

/** Compiles a path pattern, or returns why it is not one. */
function compilePattern(path: string): { segments: PatternSegment[] } | { problem: string } {
  if (!path.startsWith('/')) return { problem: 'must start with "/"' };
  if (/[?#]/.test(path)) return { problem: 'must not contain a query or fragment ("?" or "#"): routes match the path only' };
  const parts = path.split('/').slice(1);
  if (parts.length > 1 && parts.at(-1) === '') parts.pop();
  if (parts.length === 1 && parts[0] === '') parts.pop();
  const segments: PatternSegment[] = [];
  const names = new Set<string>();
  for (const [i, part] of parts.entries()) {
    if (part === '') return { problem: 'has an empty segment ("//")' };
    if (part === '.' || part === '..') return { problem: 'must not contain "." or ".." segments' };
    if (part === '**') {
      if (i !== parts.length - 1) return { problem: '"**" matches the rest of the path, so it must be the last segment' };
      segments.push({ kind: 'rest' });
    } else if (part === '*') {
      segments.push({ kind: 'one', name: null });
    } else if (part.startsWith(':')) {
      if (!PARAM.test(part)) return { problem: `"${part}": a parameter is ":" and a name of letters, digits and "_"` };
      if (names.has(part)) return { problem: `"${part}" appears twice` };
      names.add(part);
      segments.push({ kind: 'one', name: part.slice(1) });
    } else if (part.includes('*')) {
      return { problem: `"${part}": a wildcard must be a whole segment ("*" or "**")` };
    } else if (part.includes('%')) {
      return { problem: `"${part}": write literals decoded (requests are matched after percent-decoding)` };
    } else {
      segments.push({ kind: 'literal', value: part.toLowerCase() });
    }
  }
  return { segments };
}

/** The normalised form of a pattern, for spotting a route that repeats an earlier one. */
function patternKey(segments: readonly PatternSegment[]): string {
  return segments.map((s) => (s.kind === 'literal' ? `=${s.value}` : s.kind === 'one' ? '*' : '**')).join('/');
}

/**
 * Parses and checks a route file's text. Throws a {@link RoutesFileError} listing every problem,
 * each naming the entry (`routes[2] (GET /v1/x): …`).
 *
 * @example const table = parseRoutesFile('{"environment":"live","routes":[{"method":"GET","path":"/v1/prices/*","scope":"prices:read"}]}', 'routes.json')
 */
export function parseRoutesFile(text: string, file: string): RouteTable {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new RoutesFileError(file, [`not valid JSON: ${err instanceof Error ? err.message : String(err)}`]);
  }
  const top = FileSchema.safeParse(json);
  if (!top.success) throw new RoutesFileError(file, top.error.issues.map((i) => `${i.path.length === 0 ? '(top level)' : pathText(i.path)}: ${i.message}`));

  const problems: string[] = [];
  const routes: GatewayRoute[] = [];
  const seen = new Map<string, number>();
  for (const [index, raw] of top.data.routes.entries()) {
    const parsed = RouteSchema.safeParse(raw);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) problems.push(`routes[${index}]${issue.path.length === 0 ? '' : `.${pathText(issue.path)}`}: ${issue.message}`);
      continue;
    }
    const r = parsed.data;
    const methodList = (Array.isArray(r.method) ? r.method : [r.method]).map((m) => m.toUpperCase());
    const label = `routes[${index}] (${methodList.join(',')} ${r.path})`;
    const mixedStar = methodList.includes('*') && methodList.length > 1;
    if (mixedStar) problems.push(`${label}: method: "*" already means any method; give it alone`);
    const compiled = compilePattern(r.path);
    if ('problem' in compiled) problems.push(`${label}: path ${compiled.problem}`);
    if (!isScope(r.scope)) problems.push(`${label}: scope "${r.scope}" is not a Clavis scope (one of ${SCOPE_NAMES.join(', ')})`);
    if (mixedStar || 'problem' in compiled || !isScope(r.scope)) continue;
    const methods = methodList.includes('*') ? null : new Set(methodList);
    const keys = methods === null ? ['*'] : [...methods];
    for (const m of keys) {
      const key = `${m} ${patternKey(compiled.segments)}`;
      const earlier = seen.get(key);
      if (earlier !== undefined) problems.push(`${label}: repeats the method and path of routes[${earlier}]; the first match wins, so this one is never used`);
      else seen.set(key, index);
    }
    routes.push({ index, methods, path: r.path, scope: r.scope, segments: compiled.segments });
  }
  if (problems.length > 0) throw new RoutesFileError(file, problems);
  return {
    file,
    environment: top.data.environment,
    workspaceId: top.data.workspaceId,
    websocketQueryKey: top.data.websocketQueryKey ?? true,
    routes,
  };
}

/**
 * Reads and checks a route file. Throws a {@link RoutesFileError} when it cannot be read or used.
 *
 * @example const table = loadRoutesFile('./gateway-routes.json')
 */
export function loadRoutesFile(path: string): RouteTable {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new RoutesFileError(path, [`cannot be read: ${err instanceof Error ? err.message : String(err)}`]);
  }
  return parseRoutesFile(text, path);
}
