import { generateKeyPairSync, createHash, type KeyObject } from 'node:crypto';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import { signRequest } from '@clavis/sdk/signing';
import type { FastifyInstance } from 'fastify';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { CreateKeyInput } from '../../src/core/keys/key-service.ts';
import { generateCredential } from '../../src/core/keys/key-format.ts';
import { buildGatewayApp, type GatewayAppOptions } from '../../src/gateway/gateway-app.ts';
import { parseRoutesFile, type RouteTable } from '../../src/gateway/routes-file.ts';
import { makeHarness, type Harness } from '../support/harness.ts';
import { BLOCK, DOWNLOAD_BYTES, startUpstream, websocketAccept, type Echo, type Upstream } from './upstream.ts';

interface Problem {
  type: string;
  status: number;
  code: string;
  detail: string;
  requestId: string;
}

let upstream: Upstream;
let h: Harness;
let gateway: FastifyInstance;
let base: string;
const extraApps: FastifyInstance[] = [];

beforeAll(async () => {
  upstream = await startUpstream();
});
afterAll(async () => upstream.close());

function routesFor(workspaceId: string, extra: Record<string, unknown> = {}): RouteTable {
  return parseRoutesFile(
    JSON.stringify({
      environment: 'live',
      workspaceId,
      routes: [
        { method: 'GET', path: '/v1/prices/*', scope: 'prices:read' },
        { method: 'POST', path: '/v1/quotes', scope: 'prices:read' },
        { method: ['GET', 'POST', 'PUT'], path: '/v1/files/**', scope: 'prices:read' },
        { method: 'GET', path: '/v1/stream/**', scope: 'signals:read' },
        { method: 'GET', path: '/v1/index/**', scope: 'index:read' },
      ],
      ...extra,
    }),
    'test-routes.json',
  );
}

async function startGateway(over: Partial<GatewayAppOptions> = {}): Promise<string> {
  const app = await buildGatewayApp({ services: h.services, routes: routesFor(h.workspaceId), upstream: upstream.url, verify: true, logger: false, ...over });
  await app.listen({ host: '127.0.0.1', port: 0 });
  extraApps.push(app);
  return `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
}

beforeEach(async () => {
  h = await makeHarness();
  // Signed requests carry a real timestamp: the verifier's clock must be near it.
  h.clock.t = Date.now();
  gateway = await buildGatewayApp({ services: h.services, routes: routesFor(h.workspaceId), upstream: upstream.url, verify: true, logger: false });
  await gateway.listen({ host: '127.0.0.1', port: 0 });
  base = `http://127.0.0.1:${(gateway.server.address() as AddressInfo).port}`;
});

afterEach(async () => {
  await gateway.close();
  for (const app of extraApps.splice(0)) await app.close();
  await h.close();
});

async function createKey(input: Partial<CreateKeyInput> = {}): Promise<{ id: string; secret: string }> {
  const issued = await h.services.keys.create(
    { workspaceId: h.workspaceId, actor: { type: 'system', id: 'test' } },
    { name: 'consumer', environment: 'live', scopes: ['prices:read', 'signals:read'], ...input },
  );
  return { id: issued.record.id, secret: issued.secret };
}

async function call(path: string, init: RequestInit = {}, at = base): Promise<{ status: number; headers: Headers; text: string }> {
  const res = await fetch(`${at}${path}`, init);
  return { status: res.status, headers: res.headers, text: await res.text() };
}

/** A refusal: problem+json with the code and its registry status, and nothing reached the upstream. */
async function expectRefused(path: string, init: RequestInit, status: number, code: string): Promise<Problem> {
  const before = upstream.seen.length;
  const res = await call(path, init);
  expect(res.status, res.text).toBe(status);
  expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  const problem = JSON.parse(res.text) as Problem;
  expect(problem).toMatchObject({ status, code, type: `/docs/errors.md#${code.toLowerCase().replaceAll('_', '-')}` });
  expect(problem.requestId).toMatch(/^req_/);
  expect(res.headers.get('x-request-id')).toBe(problem.requestId);
  expect(upstream.seen.length, `${code} must not be forwarded`).toBe(before);
  return problem;
}

function keyPair(): { privateKey: KeyObject; raw: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return { privateKey, raw: publicKey.export({ format: 'der', type: 'spki' }).subarray(12).toString('base64') };
}

describe('gateway: forwarding a verified request', () => {
  it('forwards with the identity headers, without the key, and streams the answer back', async () => {
    const key = await createKey({ ownerId: 'alice@example.com' });
    const res = await call('/v1/prices/bitcoin?vs=usd', { headers: { 'x-clavis-key': key.secret, 'x-custom': 'kept', 'x-clavis-key-id': 'key_forged', 'x-forwarded-for': '198.51.100.1' } });
    expect(res.status).toBe(200);
    const echo = JSON.parse(res.text) as Echo;
    expect(echo).toMatchObject({ method: 'GET', url: '/v1/prices/bitcoin?vs=usd' });
    expect(echo.headers).toMatchObject({
      'x-clavis-key-id': key.id,
      'x-clavis-owner-id': 'alice@example.com',
      'x-clavis-scopes': 'prices:read,signals:read',
      'x-clavis-environment': 'live',
      'x-clavis-workspace-id': h.workspaceId,
      'x-custom': 'kept',
      'x-forwarded-for': '127.0.0.1',
      'x-forwarded-proto': 'http',
    });
    expect(echo.headers['x-clavis-request-id']).toMatch(/^req_/);
    expect(JSON.stringify(echo)).not.toContain(key.secret);
    expect(echo.headers['x-clavis-key']).toBeUndefined();
    // The upstream's headers come back, without its hop-by-hop ones.
    expect(res.headers.get('x-upstream')).toBe('echo');
    expect(res.headers.getSetCookie()).toEqual(['a=1', 'b=2']);
    expect(res.headers.get('x-hop')).toBeNull();
  });

  it('strips Authorization when it carried the key, keeps it when X-Clavis-Key did', async () => {
    const key = await createKey();
    const viaBearer = JSON.parse((await call('/v1/prices/eth', { headers: { authorization: `Bearer ${key.secret}` } })).text) as Echo;
    expect(viaBearer.headers.authorization).toBeUndefined();
    expect(viaBearer.headers['x-clavis-key-id']).toBe(key.id);
    const both = JSON.parse((await call('/v1/prices/eth', { headers: { 'x-clavis-key': key.secret, authorization: 'Basic dXBzdHJlYW06b3duCg==' } })).text) as Echo;
    expect(both.headers.authorization).toBe('Basic dXBzdHJlYW06b3duCg==');
  });

  it('percent-encodes an owner id that is not plain ASCII', async () => {
    const key = await createKey({ ownerId: 'Zoë 100%' });
    const echo = JSON.parse((await call('/v1/prices/x', { headers: { 'x-clavis-key': key.secret } })).text) as Echo;
    expect(echo.headers['x-clavis-owner-id']).toBe('Zo%C3%AB%20100%25');
    expect(decodeURIComponent(String(echo.headers['x-clavis-owner-id']))).toBe('Zoë 100%');
  });

  it('adds the RateLimit headers, and refuses with RATE_LIMITED and Retry-After once spent', async () => {
    const key = await createKey({ rateLimits: [{ name: 'burst', algorithm: 'token-bucket', limit: 2, windowSeconds: 60 }], credits: { quota: 100, refill: 'none' } });
    const init = { headers: { 'x-clavis-key': key.secret } };
    const first = await call('/v1/prices/x', init);
    expect(first.status).toBe(200);
    expect(first.headers.get('ratelimit-policy')).toBe('"burst";q=2;w=60;clavis-alg=token-bucket');
    expect(first.headers.get('ratelimit')).toMatch(/^"burst";r=1;t=\d+$/);
    expect(first.headers.get('clavis-credits-remaining')).toBe('99');
    expect((await call('/v1/prices/x', init)).status).toBe(200);
    await expectRefused('/v1/prices/x', init, 429, 'RATE_LIMITED');
    const again = await call('/v1/prices/x', init);
    expect(again.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(again.headers.get('ratelimit')).toMatch(/^"burst";r=0;/);
  });
});

describe('gateway: refusals are problem+json and never forwarded', () => {
  it('no key → MALFORMED 401; unknown → NOT_FOUND 401; revoked → REVOKED 401', async () => {
    const p = await expectRefused('/v1/prices/x', {}, 401, 'MALFORMED');
    expect(p.detail).toMatch(/X-Clavis-Key/);
    await expectRefused('/v1/prices/x', { headers: { 'x-clavis-key': 'clv_live_nope' } }, 401, 'MALFORMED');
    await expectRefused('/v1/prices/x', { headers: { 'x-clavis-key': generateCredential('clv', 'live') } }, 401, 'NOT_FOUND');
    const key = await createKey();
    await h.services.keys.revoke({ workspaceId: h.workspaceId, actor: { type: 'system', id: 'test' } }, key.id, 'leaked');
    await expectRefused('/v1/prices/x', { headers: { 'x-clavis-key': key.secret } }, 401, 'REVOKED');
  });

  it('wrong scope → INSUFFICIENT_SCOPE 403; other environment → ENV_MISMATCH 403', async () => {
    const key = await createKey();
    const p = await expectRefused('/v1/index/level', { headers: { 'x-clavis-key': key.secret } }, 403, 'INSUFFICIENT_SCOPE');
    expect(p.detail).toBe('this route needs the scope index:read');
    const testKey = await createKey({ environment: 'test' });
    await expectRefused('/v1/prices/x', { headers: { 'x-clavis-key': testKey.secret } }, 403, 'ENV_MISMATCH');
  });

  it('IP outside the allowlist → IP_NOT_ALLOWED 403; X-Forwarded-For counts only from a trusted proxy', async () => {
    const key = await createKey({ ipAllowlist: ['203.0.113.0/24'] });
    const headers = { 'x-clavis-key': key.secret, 'x-forwarded-for': '203.0.113.9' };
    await expectRefused('/v1/prices/x', { headers }, 403, 'IP_NOT_ALLOWED');
    const trusting = await startGateway({ trustProxy: ['127.0.0.1'] });
    const res = await call('/v1/prices/x', { headers }, trusting);
    expect(res.status).toBe(200);
    expect((JSON.parse(res.text) as Echo).headers['x-forwarded-for']).toBe('203.0.113.9');
  });

  it('signed requests: required, invalid, replayed, valid with the body hashed', async () => {
    const { privateKey, raw } = keyPair();
    const key = await createKey({ signing: { scheme: 'ed25519', publicKey: raw } });
    const body = JSON.stringify({ pair: 'BTC-USD', qty: 1 });
    const signed = signRequest({ key: key.secret, signer: { scheme: 'ed25519', privateKey }, method: 'POST', url: '/v1/quotes?side=buy', body });
    const post = (headers: Record<string, string>, payload = body): RequestInit => ({ method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: payload });

    await expectRefused('/v1/quotes?side=buy', post({ 'x-clavis-key': key.secret }), 401, 'SIGNATURE_REQUIRED');
    await expectRefused('/v1/quotes?side=buy', post(signed, body.replace('1', '9')), 401, 'SIGNATURE_INVALID');
    const ok = await call('/v1/quotes?side=buy', post(signed));
    expect(ok.status, ok.text).toBe(200);
    const echo = JSON.parse(ok.text) as Echo;
    expect(echo.body).toBe(body);
    for (const name of ['x-clavis-key', 'x-clavis-timestamp', 'x-clavis-nonce', 'x-clavis-signature']) expect(echo.headers[name]).toBeUndefined();
    expect(echo.headers['x-clavis-key-id']).toBe(key.id);
    await expectRefused('/v1/quotes?side=buy', post(signed), 401, 'REPLAYED');
    const stale = signRequest({ key: key.secret, signer: { scheme: 'ed25519', privateKey }, method: 'POST', url: '/v1/quotes?side=buy', body, timestamp: Date.now() - 60_000 });
    await expectRefused('/v1/quotes?side=buy', post(stale), 401, 'REPLAYED');
  });

  it('a signed body over the limit → BODY_TOO_LARGE 413 before anything is forwarded', async () => {
    const small = await startGateway({ signedBodyLimitBytes: 1024 });
    const { privateKey, raw } = keyPair();
    const key = await createKey({ signing: { scheme: 'ed25519', publicKey: raw } });
    const body = 'x'.repeat(4096);
    const headers = signRequest({ key: key.secret, signer: { scheme: 'ed25519', privateKey }, method: 'POST', url: '/v1/quotes', body });
    const before = upstream.seen.length;
    const res = await call('/v1/quotes', { method: 'POST', headers, body }, small);
    expect(res.status).toBe(413);
    expect(JSON.parse(res.text)).toMatchObject({ code: 'BODY_TOO_LARGE' });
    expect(upstream.seen.length).toBe(before);
  });

  it('a path no route names, or one an upstream could read differently, → ROUTE_NOT_FOUND 404', async () => {
    const key = await createKey();
    const headers = { 'x-clavis-key': key.secret };
    await expectRefused('/v1/admin/keys', { headers }, 404, 'ROUTE_NOT_FOUND');
    await expectRefused('/v1/prices/x', { method: 'DELETE', headers }, 404, 'ROUTE_NOT_FOUND');
    // fetch would normalise these paths; send them as written.
    for (const path of ['/v1/prices/%2e%2e/admin', '/v1/prices/a%2Fb', '/v1/prices;x/y']) {
      const before = upstream.seen.length;
      const res = await rawRequest('GET', path, headers);
      expect(res.status, path).toBe(404);
      expect(JSON.parse(res.body)).toMatchObject({ code: 'ROUTE_NOT_FOUND' });
      expect(upstream.seen.length).toBe(before);
    }
  });

  it('upstream down → GATEWAY_UPSTREAM_UNAVAILABLE 502', async () => {
    const closed = createServer();
    await new Promise<void>((done) => closed.listen(0, '127.0.0.1', done));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((done) => closed.close(() => done()));
    const down = await startGateway({ upstream: `http://127.0.0.1:${port}` });
    const key = await createKey();
    const res = await call('/v1/prices/x', { headers: { 'x-clavis-key': key.secret } }, down);
    expect(res.status).toBe(502);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(JSON.parse(res.text)).toMatchObject({ code: 'GATEWAY_UPSTREAM_UNAVAILABLE', status: 502, detail: 'the upstream did not answer: ECONNREFUSED' });
  });
});

/** One request with node:http, so the path is sent exactly as written. */
function rawRequest(method: string, path: string, headers: Record<string, string>, body?: Buffer): Promise<{ status: number; headers: IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${base}${path}`, { method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function waitUntil(check: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('gateway: streaming', () => {
  it('refuses an upload without a key before reading it: nothing forwarded, the connection closed', async () => {
    upstream.uploadReceived = 0;
    const before = upstream.seen.length;
    const res = await rawRequest('PUT', '/v1/files/upload', { 'content-type': 'application/octet-stream' }, Buffer.alloc(256 * 1024, 1));
    expect(res.status).toBe(401);
    expect(res.headers.connection).toBe('close');
    expect(JSON.parse(res.body)).toMatchObject({ code: 'MALFORMED' });
    expect(upstream.seen.length).toBe(before);
    expect(upstream.uploadReceived).toBe(0);
  });

  it('streams a 10 MB upload through: the upstream reads it before the client has finished sending', async () => {
    const key = await createKey();
    const chunk = Buffer.alloc(1024 * 1024, 7);
    upstream.uploadReceived = 0;
    const answer = new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = httpRequest(`${base}/v1/files/upload`, { method: 'PUT', headers: { 'x-clavis-key': key.secret, 'content-type': 'application/octet-stream' } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      });
      req.on('error', reject);
      void (async () => {
        req.write(chunk);
        // Nothing more is sent until the upstream has bytes: a gateway that buffered would hang here.
        await waitUntil(() => upstream.uploadReceived > 0, 'the first upload bytes at the upstream');
        for (let i = 1; i < 10; i++) if (!req.write(chunk)) await new Promise((r) => req.once('drain', r));
        req.end();
      })().catch(reject);
    });
    const res = await answer;
    expect(res.status).toBe(200);
    const expected = createHash('sha256');
    for (let i = 0; i < 10; i++) expected.update(chunk);
    expect(JSON.parse(res.body)).toEqual({ bytes: 10 * 1024 * 1024, sha256: expected.digest('hex'), chunked: true });
  });

  it('streams a 10 MB download back: the client reads before the upstream has finished', async () => {
    const key = await createKey();
    const res = await fetch(`${base}/v1/files/download`, { headers: { 'x-clavis-key': key.secret } });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-upstream')).toBe('download');
    const body = res.body;
    if (body === null) throw new Error('no body');
    const reader = (body as ReadableStream<Uint8Array>).getReader();
    let got = 0;
    const hash = createHash('sha256');
    // The upstream holds after 1 MiB until released: these bytes came through before that.
    while (got < 512 * 1024) {
      const { value, done } = await reader.read();
      if (done) throw new Error('the stream ended early');
      got += value.length;
      hash.update(value);
    }
    upstream.releaseDownload();
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      got += value.length;
      hash.update(value);
    }
    expect(got).toBe(DOWNLOAD_BYTES);
    const expected = createHash('sha256');
    for (let i = 0; i < DOWNLOAD_BYTES / BLOCK.length; i++) expected.update(BLOCK);
    expect(hash.digest('hex')).toBe(expected.digest('hex'));
  });
});

/** A websocket handshake on a raw socket; resolves with the status line, headers and the socket. */
function handshake(path: string, headers: Record<string, string>, at = base): Promise<{ status: number; head: string; socket: Socket; wsKey: string }> {
  const url = new URL(at);
  const wsKey = Buffer.from('0123456789abcdef').toString('base64');
  return new Promise((resolve, reject) => {
    const socket = connect(Number(url.port), url.hostname);
    let buf = Buffer.alloc(0);
    socket.on('error', reject);
    socket.on('connect', () => {
      const lines = [`GET ${path} HTTP/1.1`, `Host: ${url.host}`, 'Upgrade: websocket', 'Connection: Upgrade', `Sec-WebSocket-Key: ${wsKey}`, 'Sec-WebSocket-Version: 13', ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`)];
      socket.write(`${lines.join('\r\n')}\r\n\r\n`);
    });
    const onData = (c: Buffer): void => {
      buf = Buffer.concat([buf, c]);
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      socket.off('data', onData);
      // Hold what came after the head (a body, or echoed frames) for the next reader.
      socket.pause();
      const head = buf.subarray(0, end).toString('latin1');
      const rest = buf.subarray(end + 4);
      if (rest.length > 0) socket.unshift(rest);
      resolve({ status: Number(head.split(' ')[1]), head, socket, wsKey });
    };
    socket.on('data', onData);
  });
}

function readSome(socket: Socket, bytes: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    let buf = Buffer.alloc(0);
    const onData = (c: Buffer): void => {
      buf = Buffer.concat([buf, c]);
      if (buf.length >= bytes) {
        socket.off('data', onData);
        resolve(buf);
      }
    };
    socket.on('data', onData);
    socket.once('error', reject);
    socket.once('end', () => resolve(buf));
    socket.resume();
  });
}

describe('gateway: websockets', () => {
  it('verifies the upgrade, then tunnels both ways', async () => {
    const key = await createKey();
    const before = upstream.seen.length;
    const ws = await handshake('/v1/stream/ticks', { 'X-Clavis-Key': key.secret });
    expect(ws.status).toBe(101);
    expect(ws.head).toContain(`Sec-WebSocket-Accept: ${websocketAccept(ws.wsKey)}`);
    expect(ws.head).toContain(`X-Seen-Key-Id: ${key.id}`);
    expect(upstream.seen.length).toBe(before + 1);
    expect(upstream.seen.at(-1)?.headers['x-clavis-key']).toBeUndefined();
    ws.socket.write('ping-through-the-gateway');
    expect((await readSome(ws.socket, 24)).toString()).toBe('ping-through-the-gateway');
    ws.socket.destroy();
  });

  it('takes ?key= for browsers and removes it before forwarding', async () => {
    const key = await createKey();
    const ws = await handshake(`/v1/stream/ticks?pair=btc&key=${encodeURIComponent(key.secret)}`, {});
    expect(ws.status).toBe(101);
    expect(upstream.seen.at(-1)?.url).toBe('/v1/stream/ticks?pair=btc');
    ws.socket.destroy();
    const strict = await startGateway({ routes: routesFor(h.workspaceId, { websocketQueryKey: false }) });
    const refused = await handshake(`/v1/stream/ticks?key=${encodeURIComponent(key.secret)}`, {}, strict);
    expect(refused.status).toBe(401);
    refused.socket.destroy();
  });

  it('refuses an upgrade as it refuses a request, and never forwards it', async () => {
    const key = await createKey({ scopes: ['prices:read'] });
    const before = upstream.seen.length;
    for (const [path, headers, status, code] of [
      ['/v1/stream/ticks', {}, 401, 'MALFORMED'],
      ['/v1/stream/ticks', { 'X-Clavis-Key': key.secret }, 403, 'INSUFFICIENT_SCOPE'],
      ['/v2/nothing', { 'X-Clavis-Key': key.secret }, 404, 'ROUTE_NOT_FOUND'],
    ] as const) {
      const ws = await handshake(path, headers);
      expect(ws.status).toBe(status);
      expect(ws.head).toMatch(/content-type: application\/problem\+json/i);
      const body = (await readSome(ws.socket, 1_000_000)).toString();
      expect(JSON.parse(body)).toMatchObject({ code, status });
      ws.socket.destroy();
    }
    expect(upstream.seen.length).toBe(before);
  });

  it("relays the upstream's own refusal of an upgrade", async () => {
    const key = await createKey();
    const ws = await handshake('/v1/stream/refused', { 'X-Clavis-Key': key.secret });
    expect(ws.status).toBe(403);
    expect((await readSome(ws.socket, 4)).toString()).toBe('nope');
    ws.socket.destroy();
  });
});

describe('gateway: verification switched off (benchmark baseline)', () => {
  it('forwards matched requests without a key, still strips credentials and refuses unmatched paths', async () => {
    const open = await startGateway({ verify: false });
    const res = await call('/v1/prices/x', { headers: { authorization: 'Bearer whatever' } }, open);
    expect(res.status).toBe(200);
    const echo = JSON.parse(res.text) as Echo;
    expect(echo.headers.authorization).toBeUndefined();
    expect(echo.headers['x-clavis-key-id']).toBeUndefined();
    expect((await call('/v1/admin', {}, open)).status).toBe(404);
  });
});
