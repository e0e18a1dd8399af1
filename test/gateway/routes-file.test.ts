import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { clientIp, trustedProxies } from '../../src/gateway/client-ip.ts';
import { matchRoute, requestSegments } from '../../src/gateway/route-match.ts';
import { RoutesFileError, loadRoutesFile, parseRoutesFile, type RouteTable } from '../../src/gateway/routes-file.ts';

const GOOD = {
  environment: 'live',
  workspaceId: 'ws_0000000000000000000001',
  routes: [
    { method: 'GET', path: '/v1/prices/*', scope: 'prices:read' },
    { method: ['post', 'DELETE'], path: '/v1/orders/**', scope: 'portfolio:trade', description: 'trading' },
    { method: '*', path: '/v1/portfolios/:id', scope: 'portfolio:read' },
    { method: 'GET', path: '/v1/index/', scope: 'index:read' },
    { method: 'GET', path: '/v1/**', scope: 'signals:read' },
  ],
};

function parse(value: unknown, file = 'routes.json'): RouteTable {
  return parseRoutesFile(JSON.stringify(value), file);
}

/** The problems a bad file is refused with. */
function problems(value: unknown): string[] {
  try {
    parseRoutesFile(typeof value === 'string' ? value : JSON.stringify(value), 'bad.json');
  } catch (err) {
    expect(err).toBeInstanceOf(RoutesFileError);
    const e = err as RoutesFileError;
    expect(e.file).toBe('bad.json');
    expect(e.message).toContain('bad.json');
    return e.problems;
  }
  throw new Error('expected the file to be refused');
}

const route = (table: RouteTable, method: string, url: string): number | string => {
  const m = matchRoute(table, method, url);
  return m.route === null ? m.reason : m.route.index;
};

describe('route file parsing', () => {
  it('reads a good file: methods upper-cased, "*" as any method, workspace and environment kept', () => {
    const t = parse(GOOD);
    expect(t).toMatchObject({ file: 'routes.json', environment: 'live', workspaceId: 'ws_0000000000000000000001', websocketQueryKey: true });
    expect(t.routes.map((r) => [r.index, r.methods === null ? null : [...r.methods], r.scope])).toEqual([
      [0, ['GET'], 'prices:read'],
      [1, ['POST', 'DELETE'], 'portfolio:trade'],
      [2, null, 'portfolio:read'],
      [3, ['GET'], 'index:read'],
      [4, ['GET'], 'signals:read'],
    ]);
    expect(parse({ environment: 'test', websocketQueryKey: false, routes: [GOOD.routes[0]] })).toMatchObject({ workspaceId: undefined, websocketQueryKey: false });
  });

  it('loads from disk and names an unreadable file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'clavis-routes-'));
    try {
      const file = join(dir, 'routes.json');
      writeFileSync(file, JSON.stringify(GOOD));
      expect(loadRoutesFile(file).routes).toHaveLength(5);
      expect(() => loadRoutesFile(join(dir, 'missing.json'))).toThrow(/missing\.json[\s\S]*cannot be read/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses bad files, naming each bad entry', () => {
    expect(problems('{ "routes": [ }')[0]).toMatch(/^not valid JSON/);
    expect(problems([])).toEqual(['(top level): Expected object, received array']);
    expect(problems({ routes: [GOOD.routes[0]] })).toEqual(['environment: Required']);
    expect(problems({ environment: 'prod', routes: [GOOD.routes[0]] })[0]).toMatch(/^environment: /);
    expect(problems({ environment: 'live', routes: [] })[0]).toMatch(/^routes: must list at least one route/);
    expect(problems({ environment: 'live', workspaceId: 'acme', routes: [GOOD.routes[0]] })).toEqual(['workspaceId: must be a workspace id (ws_…)']);
    expect(problems({ environment: 'live', route: [], routes: [GOOD.routes[0]] })[0]).toMatch(/Unrecognized key.*route/);

    const bad = problems({
      environment: 'live',
      routes: [
        { method: 'GET', path: '/ok/*', scope: 'prices:read' },
        { method: 'GET', path: 'v1/x', scope: 'prices:read' },
        { method: 'GET', path: '/v1/**/x', scope: 'prices:read' },
        { method: 'GET', path: '/v1/pri*', scope: 'prices:read' },
        { method: 'GET', path: '/v1/x', scope: 'prices:write' },
        { method: 'G T', path: '/v1/x', scope: 'prices:read' },
        { method: 'GET', path: '/v1/x', scope: 'prices:read', scopes: ['x'] },
        { method: ['*', 'GET'], path: '/v1/y', scope: 'prices:read' },
        { method: 'GET', path: '/v1/:id/:id', scope: 'prices:read' },
        { method: 'GET', path: '/v1/../admin', scope: 'prices:read' },
        { method: 'GET', path: '/v1//x', scope: 'prices:read' },
        { method: 'GET', path: '/v1/x?y=1', scope: 'prices:read' },
        { method: 'GET', path: '/v1/%7E', scope: 'prices:read' },
        { method: 'get', path: '/OK/:name/', scope: 'index:read' },
        { path: '/v1/z', scope: 'prices:read' },
        { method: [], path: '/v1/z', scope: 'prices:read' },
      ],
    });
    expect(bad).toEqual([
      'routes[1] (GET v1/x): path must start with "/"',
      'routes[2] (GET /v1/**/x): path "**" matches the rest of the path, so it must be the last segment',
      'routes[3] (GET /v1/pri*): path "pri*": a wildcard must be a whole segment ("*" or "**")',
      expect.stringMatching(/^routes\[4\] \(GET \/v1\/x\): scope "prices:write" is not a Clavis scope \(one of prices:read, /),
      'routes[5].method: must be an HTTP method such as "GET", or "*" for any method',
      expect.stringMatching(/^routes\[6\]: Unrecognized key.*scopes/),
      'routes[7] (*,GET /v1/y): method: "*" already means any method; give it alone',
      'routes[8] (GET /v1/:id/:id): path ":id" appears twice',
      'routes[9] (GET /v1/../admin): path must not contain "." or ".." segments',
      'routes[10] (GET /v1//x): path has an empty segment ("//")',
      'routes[11] (GET /v1/x?y=1): path must not contain a query or fragment ("?" or "#"): routes match the path only',
      'routes[12] (GET /v1/%7E): path "%7E": write literals decoded (requests are matched after percent-decoding)',
      'routes[13] (GET /OK/:name/): repeats the method and path of routes[0]; the first match wins, so this one is never used',
      'routes[14].method: Required',
      'routes[15].method: must list at least one method',
    ]);
  });
});

describe('route matching', () => {
  const t = parse(GOOD);

  it('matches "*" one segment, ":param" one segment, "**" the rest; first match wins', () => {
    expect(route(t, 'GET', '/v1/prices/bitcoin?vs=usd')).toBe(0);
    expect(route(t, 'GET', '/v1/prices')).toBe(4); // "*" needs a segment; the catch-all takes it
    expect(route(t, 'GET', '/v1/prices/bitcoin/history')).toBe(4);
    expect(route(t, 'POST', '/v1/orders')).toBe(1); // "**" matches zero segments too
    expect(route(t, 'DELETE', '/v1/orders/o_1/legs/2')).toBe(1);
    expect(route(t, 'PATCH', '/v1/portfolios/p_1')).toBe(2);
    expect(route(t, 'PROPFIND', '/v1/portfolios/p_1')).toBe(2);
    expect(route(t, 'GET', '/v1/index')).toBe(3);
  });

  it('GET routes take HEAD; other methods need their own route', () => {
    expect(route(t, 'HEAD', '/v1/prices/bitcoin')).toBe(0);
    expect(route(t, 'POST', '/v1/prices/bitcoin')).toMatch(/^no gateway route takes POST \/v1\/prices\/bitcoin/);
    expect(route(t, 'GET', '/v2/prices/bitcoin')).toMatch(/^no gateway route/);
    expect(route(t, 'GET', '/')).toMatch(/^no gateway route/);
  });

  it('compares literals case-insensitively, after percent-decoding, ignoring one trailing slash', () => {
    expect(route(t, 'GET', '/V1/Prices/BTC')).toBe(0);
    expect(route(t, 'GET', '/v1/pr%69ces/btc')).toBe(0);
    expect(route(t, 'GET', '/v1/prices/btc/')).toBe(0);
    expect(route(t, 'POST', '/V1/ORDERS/x')).toBe(1);
  });

  it('refuses paths an upstream could route elsewhere, whatever the routes say', () => {
    for (const url of ['/v1/prices/../orders/x', '/v1/prices/%2e%2E/x', '/v1/./prices/x', '/v1//prices/x', '/v1/prices/a%2Fb', '/v1/prices/a%5Cb', '/v1/prices/a\\b', '/v1/prices;x=1/y', '/v1/prices/%00', '/v1/prices/%zz', 'http://evil/v1/prices/x', '*']) {
      expect(route(t, 'GET', url), url).toMatch(/the gateway refuses paths an upstream could route elsewhere/);
    }
  });

  it('a path pattern made of the request segments matches that request (property)', () => {
    const segment = fc.stringMatching(/^[A-Za-z0-9_~-]{1,12}$/);
    fc.assert(
      fc.property(fc.array(segment, { minLength: 1, maxLength: 6 }), fc.nat(), (segments, cut) => {
        const at = cut % segments.length;
        const pattern = segments.map((s, i) => (i === at ? '*' : s)).join('/');
        const table = parse({ environment: 'live', routes: [{ method: 'GET', path: `/${pattern}`, scope: 'prices:read' }, { method: 'GET', path: `/${segments.slice(0, at).join('/')}${at === 0 ? '' : '/'}**`, scope: 'index:read' }] });
        const url = `/${segments.join('/')}`;
        expect(route(table, 'GET', url)).toBe(0);
        expect(route(table, 'GET', `${url}/extra`)).toBe(1);
        expect(requestSegments(url)).toEqual({ segments: segments.map((s) => s.toLowerCase()) });
      }),
      { numRuns: 200 },
    );
  });
});

describe('client address', () => {
  const trusted = trustedProxies(['10.0.0.0/8', '::1']);

  it('is the socket peer unless that peer is a trusted proxy', () => {
    expect(clientIp('203.0.113.9', '198.51.100.1', trusted)).toBe('203.0.113.9');
    expect(clientIp('127.0.0.1', '198.51.100.1', null)).toBe('127.0.0.1');
    expect(clientIp('::ffff:10.0.0.2', undefined, trusted)).toBe('10.0.0.2');
  });

  it('reads X-Forwarded-For from the right, skipping trusted proxies, ignoring what the client wrote', () => {
    expect(clientIp('10.0.0.2', '198.51.100.1, 203.0.113.9', trusted)).toBe('203.0.113.9');
    expect(clientIp('10.0.0.2', '198.51.100.1, 203.0.113.9, 10.0.0.7', trusted)).toBe('203.0.113.9');
    expect(clientIp('::1', ['203.0.113.9', '10.1.1.1'], trusted)).toBe('203.0.113.9');
    expect(clientIp('10.0.0.2', '10.0.0.3', trusted)).toBe('10.0.0.3');
    expect(clientIp('10.0.0.2', 'garbage, 203.0.113.9', trusted)).toBe('203.0.113.9');
    expect(clientIp('10.0.0.2', '203.0.113.9, garbage', trusted)).toBe('10.0.0.2');
  });

  it('an empty list trusts no one; a bad entry is refused', () => {
    expect(trustedProxies([])).toBeNull();
    expect(() => trustedProxies(['10.0.0.0/33'])).toThrow(/not an IP address or CIDR range/);
  });
});
