/**
 * Bad input at the edge (issue #5): "oversized headers, garbage signatures, timestamps far off,
 * unicode in keys, a body that does not match its signature is refused with the right code and
 * no 5xx". A real server (`src/main.ts`) and then a real gateway (`clavis gateway`) on the same
 * data folder get hostile requests over raw TCP (so nothing in a client library cleans them up),
 * and every answer is checked for its exact status and problem code. No answer may be a 5xx.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SIGNATURE_HEADERS, sha256Hex, signRequest } from '@clavis/sdk/signing';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startUpstream, type Echo, type Upstream } from '../gateway/upstream.ts';
import { cleanup, http, makeTempDir, spawnNode, startServer, waitFor, type Server, type Spawned } from './process.ts';
import { rawRequest, type RawAnswer, type RawRequest } from './raw-http.ts';

const CLI = 'packages/clavis-cli/bin/clavis.js';
const GATEWAY_LINE = /^Clavis gateway is listening on (\S+) -> /;

interface Keys {
  /** index:read and prices:read, no signing. */
  plain: string;
  /** index:read, HMAC-SHA256 signing. */
  hmac: { key: string; secret: string };
  /** index:read, Ed25519 signing. */
  ed25519: string;
}

let server: Server;
let token: string;
let keys: Keys;
/** Every status seen, with what was sent: none may be a 5xx. */
const seen: { status: number; what: string }[] = [];

async function send(base: string, req: RawRequest, what = `${req.method} ${req.path}`): Promise<RawAnswer> {
  const answer = await rawRequest(base, req);
  seen.push({ status: answer.status, what });
  return answer;
}

/** A problem+json refusal with exactly this status and code. */
function expectProblem(r: RawAnswer, status: number, code: string, what = ''): void {
  expect([r.status, (r.json as { code?: unknown } | undefined)?.code], `${what}: ${r.body.slice(0, 300)}`).toEqual([status, code]);
  expect(r.headers['content-type'], what).toMatch(/^application\/problem\+json/);
  expect((r.json as { requestId?: unknown }).requestId, what).toMatch(/^req_/);
}

const WAITLIST_BODY = JSON.stringify({ email: 'edge@example.com' });

// This suite sends bursts of bad signatures on purpose: the detectors would (rightly) raise
// alerts and the compromise playbook would suspend the keys under test.
const DETECTION_OFF = { CLAVIS_GEOIP: 'false', CLAVIS_DETECTORS_DISABLED: 'bad-signature-burst,failed-verify-burst' };

/** Headers of a request signed with the HMAC key over `body`, with `over` replacing some of them. */
function hmacHeaders(method: string, url: string, body: string, over: Record<string, string | Buffer> = {}): Record<string, string | Buffer> {
  const signed = signRequest({ key: keys.hmac.key, signer: { scheme: 'hmac-sha256', secret: keys.hmac.secret }, method, url, body });
  return { ...signed, 'content-type': 'application/json', ...over };
}

beforeAll(async () => {
  server = await startServer(DETECTION_OFF);
  token = readFileSync(server.tokenFile, 'utf8').trim();
  const create = async (body: Record<string, unknown>): Promise<{ key: string; signingSecret?: string }> => {
    const r = await http<{ key: string; signingSecret?: string }>(server.url, 'POST', '/v1/keys', { token, body: { environment: 'test', ...body } });
    if (r.status !== 201) throw new Error(`POST /v1/keys: ${r.status} ${r.text}`);
    return r.body;
  };
  const publicKey = Buffer.from('d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a', 'hex').toString('base64');
  const hmac = await create({ name: 'edge hmac', scopes: ['index:read'], signing: { scheme: 'hmac-sha256' } });
  keys = {
    plain: (await create({ name: 'edge plain', scopes: ['index:read', 'prices:read'] })).key,
    hmac: { key: hmac.key, secret: hmac.signingSecret ?? '' },
    ed25519: (await create({ name: 'edge ed25519', scopes: ['index:read'], signing: { scheme: 'ed25519', publicKey } })).key,
  };
}, 60_000);

/** Log lines of an unexpected failure (pino error and fatal levels). */
const failures = (lines: readonly string[]): string[] => lines.filter((l) => /"level":(50|60)|unexpected error/.test(l));

afterAll(async () => {
  await cleanup();
  const fives = seen.filter((s) => s.status >= 500);
  expect(fives, 'no answer may be a 5xx').toEqual([]);
  expect(seen.length).toBeGreaterThan(300);
  expect(failures([...server.stdout, ...server.stderr]), 'the server logged a failure').toEqual([]);
});

/** The parser and router refusals every Clavis listener shares (the server's and the gateway's). */
function transportCases(base: () => string, path: string, postPath: string): void {
  it('headers over the limit: 431 HEADERS_TOO_LARGE, one huge header or very many small ones', async () => {
    expectProblem(await send(base(), { method: 'GET', path, headers: { 'x-clavis-key': 'a'.repeat(20_000) } }), 431, 'HEADERS_TOO_LARGE', 'one 20 KB header');
    const many: Record<string, string> = {};
    for (let i = 0; i < 1500; i += 1) many[`x-h${i}`] = 'abcdefgh';
    expectProblem(await send(base(), { method: 'GET', path, headers: many }), 431, 'HEADERS_TOO_LARGE', '1500 headers');
  });

  it('requests that are not HTTP: 400 MALFORMED_REQUEST (control characters, broken framing, raw UTF-8 in the path)', async () => {
    expectProblem(await send(base(), { method: 'GET', path, headers: { 'x-clavis-key': 'clv_test_\u0001abc' } }), 400, 'MALFORMED_REQUEST', 'control character in a header value');
    expectProblem(await send(base(), { method: 'GET', path, headers: { 'x-clavis-key': 'clv_test_\u0000abc' } }), 400, 'MALFORMED_REQUEST', 'NUL in a header value');
    expectProblem(await send(base(), { method: 'GET', path, headers: { 'bad header': 'x' } }), 400, 'MALFORMED_REQUEST', 'space in a header name');
    const key = { authorization: `Bearer ${keys.plain}`, 'content-type': 'application/json' };
    expectProblem(await send(base(), { method: 'POST', path: postPath, headers: { ...key, 'content-length': '2', 'transfer-encoding': 'chunked' }, body: '2\r\n{}\r\n0\r\n\r\n' }), 400, 'MALFORMED_REQUEST', 'Content-Length and chunked');
    expectProblem(await send(base(), { method: 'POST', path: postPath, headers: { ...key, 'content-length': '100' }, body: '{}', endAfterWrite: true }), 400, 'MALFORMED_REQUEST', 'body shorter than its Content-Length');
    expectProblem(await send(base(), { method: 'POST', path: postPath, headers: { ...key, 'transfer-encoding': 'chunked' }, body: '5\r\n{}', endAfterWrite: true }), 400, 'MALFORMED_REQUEST', 'chunked body cut short');
    expectProblem(await send(base(), { method: 'POST', path: postPath, headers: { ...key, 'transfer-encoding': 'chunked' }, body: 'zz\r\n{}\r\n0\r\n\r\n' }), 400, 'MALFORMED_REQUEST', 'chunk size not hex');
    expectProblem(await send(base(), { method: 'GET', path: `${path}/ключ` }), 400, 'MALFORMED_REQUEST', 'raw UTF-8 in the path');
    expectProblem(await send(base(), { method: 'G\u00e9T', path }), 400, 'MALFORMED_REQUEST', 'non-token method');
  });

  it('URLs the router cannot read: 400 INVALID_URL for a broken percent-encoding', async () => {
    expectProblem(await send(base(), { method: 'GET', path: '/v1/keys/%E0%A4%A' }), 400, 'INVALID_URL', 'truncated percent-encoding');
    expectProblem(await send(base(), { method: 'GET', path: '/v1/keys/%FF' }), 400, 'INVALID_URL', 'percent-encoded byte that is not UTF-8');
  });
}

describe('the server (admin API and data API)', () => {
  const base = (): string => server.url;
  transportCases(base, '/v1/waitlist', '/v1/waitlist');

  it('URLs the router cannot read: 414 URL_TOO_LONG for a path parameter over the router limit', async () => {
    expectProblem(await send(base(), { method: 'GET', path: `/v1/keys/${'a'.repeat(5000)}`, headers: { authorization: `Bearer ${token}` } }), 414, 'URL_TOO_LONG');
  });

  describe('POST /v1/keys/verify', () => {
    const verify = async (body: unknown, what: string, headers: Record<string, string> = {}): Promise<RawAnswer> =>
      send(base(), { method: 'POST', path: '/v1/keys/verify', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) }, what);
    const code = async (body: unknown, what: string): Promise<[number, unknown]> => {
      const r = await verify(body, what);
      return [r.status, r.status === 200 ? (r.json as { code: string }).code : (r.json as { code: string } | undefined)?.code];
    };
    /** The verify body of a request signed with the HMAC key. */
    const signature = (over: Partial<{ timestamp: number; nonce: string; signature: string; bodySha256: string }> = {}) => {
      const h = signRequest({ key: keys.hmac.key, signer: { scheme: 'hmac-sha256', secret: keys.hmac.secret }, method: 'POST', url: '/v1/orders', body: '{"qty":1}' });
      return { method: 'POST', url: '/v1/orders', timestamp: Number(h['x-clavis-timestamp']), nonce: h['x-clavis-nonce'] ?? '', signature: h['x-clavis-signature'] ?? '', bodySha256: sha256Hex('{"qty":1}'), ...over };
    };

    it('garbage, non-base64 and wrong-length signatures: SIGNATURE_INVALID, for HMAC and Ed25519 keys alike', async () => {
      for (const [key, label] of [[keys.hmac.key, 'hmac'], [keys.ed25519, 'ed25519']] as const) {
        for (const sig of ['not base64!', '====', 'A', Buffer.alloc(31).toString('base64'), Buffer.alloc(33).toString('base64'), Buffer.alloc(65).toString('base64'), 'é'.repeat(40), '\u0000'.repeat(10), randomBytes(32).toString('base64url')]) {
          expect(await code({ key, signature: signature({ signature: sig }) }, `${label} ${sig}`), `${label} ${JSON.stringify(sig)}`).toEqual([200, 'SIGNATURE_INVALID']);
        }
      }
      expect(await code({ key: keys.hmac.key, signature: signature({ signature: 'A'.repeat(257) }) }, 'over the schema limit')).toEqual([400, 'VALIDATION_FAILED']);
      expect(await code({ key: keys.hmac.key, signature: signature() }, 'good')).toEqual([200, 'VALID']);
    });

    it('timestamps far off are REPLAYED; non-numeric and non-integer ones are VALIDATION_FAILED', async () => {
      for (const timestamp of [Date.now() - 3_600_000, Date.now() + 3_600_000, 0, -1, 2 ** 53 + 2, 1e300, Number.MAX_SAFE_INTEGER]) {
        expect(await code({ key: keys.hmac.key, signature: signature({ timestamp }) }, `timestamp ${timestamp}`), String(timestamp)).toEqual([200, 'REPLAYED']);
      }
      for (const timestamp of ['now', '1700000000000', 1.5, null, true, {}]) {
        expect(await code(`{"key":${JSON.stringify(keys.hmac.key)},"signature":${JSON.stringify({ ...signature(), timestamp })}}`, `timestamp ${JSON.stringify(timestamp)}`), JSON.stringify(timestamp)).toEqual([400, 'VALIDATION_FAILED']);
      }
      // Numbers JSON can write but no clock can hold (they parse as Infinity): far off, like the rest.
      expect(await code(`{"key":${JSON.stringify(keys.hmac.key)},"signature":${JSON.stringify(signature()).replace(/"timestamp":\d+/, '"timestamp":1e400')}}`, 'timestamp 1e400')).toEqual([200, 'REPLAYED']);
      expect(await code(`{"key":${JSON.stringify(keys.hmac.key)},"signature":${JSON.stringify(signature()).replace(/"timestamp":\d+/, `"timestamp":${'9'.repeat(400)}`)}}`, 'timestamp 400 digits')).toEqual([200, 'REPLAYED']);
    });

    it('unicode, control characters and very long strings in the key: MALFORMED, or VALIDATION_FAILED past 256 characters', async () => {
      for (const key of ['clv_test_ключ', 'clv_test_😀😀😀', 'clv_test_\u0000\u0001\u001f', 'clv_test_\u202eabc', 'clv_test_\ud800', '\ufeffclv_test_abc', `${keys.plain} `, ` ${keys.plain}`, `${keys.plain}\n`, keys.plain.toUpperCase(), '', 'x'.repeat(256)]) {
        expect(await code({ key }, `key ${JSON.stringify(key).slice(0, 40)}`), JSON.stringify(key).slice(0, 60)).toEqual([200, 'MALFORMED']);
      }
      expect(await code({ key: 'x'.repeat(257) }, 'key of 257')).toEqual([400, 'VALIDATION_FAILED']);
      expect(await code({ key: 'x'.repeat(100_000) }, 'key of 100 000')).toEqual([413, 'BODY_TOO_LARGE']);
      expect(await code({ key: keys.plain, scope: 'prices:read\u0000' }, 'NUL in the scope')).toEqual([200, 'INSUFFICIENT_SCOPE']);
      expect(await code({ key: keys.plain, ip: '203.0.113.1\u0000' }, 'NUL in the ip')).toEqual([400, 'VALIDATION_FAILED']);
      expect(await code({ key: keys.plain }, 'the plain key')).toEqual([200, 'VALID']);
    });

    it('a valid signature over a different body, method, path or nonce: SIGNATURE_INVALID', async () => {
      for (const [what, over] of [
        ['body', { bodySha256: sha256Hex('{"qty":1000}') }],
        ['method', { method: 'PUT' }],
        ['path', { url: '/v1/orders/other' }],
        ['query', { url: '/v1/orders?qty=1000' }],
      ] as const) {
        expect(await code({ key: keys.hmac.key, signature: { ...signature(), ...over } }, `different ${what}`), what).toEqual([200, 'SIGNATURE_INVALID']);
      }
      const s = signature();
      expect(await code({ key: keys.hmac.key, signature: { ...s, nonce: `${s.nonce.slice(0, -1)}${s.nonce.endsWith('a') ? 'b' : 'a'}` } }, 'different nonce')).toEqual([200, 'SIGNATURE_INVALID']);
      // A URL no canonical form can encode (a lone surrogate, written as a JSON escape): refused, not a 500.
      for (const key of [keys.hmac.key, keys.ed25519]) {
        const body = JSON.stringify({ key, signature: { ...signature(), url: '/v1/orders?a=LONE' } }).replace('LONE', '\\ud800');
        expect(await code(body, 'lone surrogate in the signed URL')).toEqual([200, 'SIGNATURE_INVALID']);
      }
    });

    it('malformed JSON: 400 INVALID_JSON', async () => {
      for (const body of ['{', '{"key":', "{'key':'x'}", '{"key":"x"}}', '{"key":"x",}', 'nul', '\u0000', '{"key":"x"}\u0000', '{"__proto__":{"admin":true}}', '{"constructor":{"prototype":{"admin":true}}}']) {
        const r = await verify(body, `body ${JSON.stringify(body)}`);
        expectProblem(r, 400, 'INVALID_JSON', JSON.stringify(body));
      }
      expectProblem(await send(base(), { method: 'POST', path: '/v1/keys/verify', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'content-length': '0' } }), 400, 'INVALID_JSON', 'empty JSON body');
      // JSON that parses but is not an object: the schema's answer.
      for (const body of ['[]', 'null', '"clv"', '1', `${'['.repeat(5000)}${']'.repeat(5000)}`]) expectProblem(await verify(body, `body ${body.slice(0, 20)}`), 400, 'VALIDATION_FAILED', body.slice(0, 20));
    });

    it('wrong content types: 415 UNSUPPORTED_MEDIA_TYPE', async () => {
      for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/xml', 'application/jsonx', 'json', '*/*']) {
        expectProblem(await verify({ key: keys.plain }, `content-type ${type}`, { 'content-type': type }), 415, 'UNSUPPORTED_MEDIA_TYPE', type);
      }
      expectProblem(await send(base(), { method: 'POST', path: '/v1/keys/verify', headers: { authorization: `Bearer ${token}` }, body: '{"key":"x"}' }), 415, 'UNSUPPORTED_MEDIA_TYPE', 'no content type');
    });

    it('huge bodies: 413 BODY_TOO_LARGE, declared or chunked, before the body is read', async () => {
      expectProblem(await send(base(), { method: 'POST', path: '/v1/keys/verify', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'content-length': String(50 * 1024 * 1024) } }, 'declared 50 MB'), 413, 'BODY_TOO_LARGE');
      const chunk = 'a'.repeat(70_000);
      expectProblem(
        await send(base(), { method: 'POST', path: '/v1/keys/verify', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'transfer-encoding': 'chunked' }, body: `${chunk.length.toString(16)}\r\n${chunk}\r\n0\r\n\r\n` }, 'chunked 70 KB'),
        413,
        'BODY_TOO_LARGE',
      );
    });

    it('never answers a 5xx to an arbitrary JSON body (property)', async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.oneof(
            fc.jsonValue(),
            fc.record({ key: fc.oneof(fc.string(), fc.constant(keys.hmac.key)), signature: fc.record({ method: fc.string(), url: fc.string(), timestamp: fc.oneof(fc.integer(), fc.double(), fc.string()), nonce: fc.string(), signature: fc.string(), bodySha256: fc.string() }, { requiredKeys: [] }) }, { requiredKeys: [] }),
          ),
          async (body) => {
            const r = await verify(JSON.stringify(body) ?? 'null', 'property body');
            expect([200, 400, 413], r.body).toContain(r.status);
            if (r.status !== 200) expect(['VALIDATION_FAILED', 'INVALID_JSON', 'BODY_TOO_LARGE']).toContain((r.json as { code: string }).code);
          },
        ),
        { numRuns: 60 },
      );
    });
  });

  describe('the data API with signature headers (POST /v1/waitlist)', () => {
    const waitlist = (headers: Record<string, string | Buffer>, body = WAITLIST_BODY, what = 'waitlist') => send(base(), { method: 'POST', path: '/v1/waitlist', headers, body }, what);

    it('a signed request passes; a body that does not match its signature is SIGNATURE_INVALID', async () => {
      expect((await waitlist(hmacHeaders('POST', '/v1/waitlist', WAITLIST_BODY))).status).toBe(202);
      expectProblem(await waitlist(hmacHeaders('POST', '/v1/waitlist', WAITLIST_BODY), JSON.stringify({ email: 'evil@example.com' })), 401, 'SIGNATURE_INVALID', 'other body');
      expectProblem(await waitlist(hmacHeaders('POST', '/v1/waitlist', WAITLIST_BODY), `${WAITLIST_BODY} `), 401, 'SIGNATURE_INVALID', 'one more byte');
      expectProblem(await waitlist(hmacHeaders('POST', '/v1/waitlist?x=1', WAITLIST_BODY)), 401, 'SIGNATURE_INVALID', 'signed for another URL');
    });

    it('garbage, non-base64 and wrong-length signature headers: SIGNATURE_INVALID; a malformed nonce too', async () => {
      for (const sig of ['not base64!', '====', Buffer.alloc(31).toString('base64'), Buffer.alloc(64).toString('base64'), 'A'.repeat(4000)]) {
        expectProblem(await waitlist(hmacHeaders('POST', '/v1/waitlist', WAITLIST_BODY, { [SIGNATURE_HEADERS.signature]: sig })), 401, 'SIGNATURE_INVALID', sig.slice(0, 20));
      }
      expectProblem(await waitlist(hmacHeaders('POST', '/v1/waitlist', WAITLIST_BODY, { [SIGNATURE_HEADERS.signature]: Buffer.from('ésignature', 'utf8') })), 401, 'SIGNATURE_INVALID', 'UTF-8 bytes');
      expectProblem(await waitlist(hmacHeaders('POST', '/v1/waitlist', WAITLIST_BODY, { [SIGNATURE_HEADERS.nonce]: 'short' })), 401, 'SIGNATURE_INVALID', 'short nonce');
    });

    it('timestamps far off, non-numeric or huge: REPLAYED', async () => {
      for (const ts of [String(Date.now() - 3_600_000), String(Date.now() + 3_600_000), 'yesterday', '', '-5', '1e3', '0x10', '9'.repeat(40), '17000000000000000000', ' 1700000000000']) {
        expectProblem(await waitlist(hmacHeaders('POST', '/v1/waitlist', WAITLIST_BODY, { [SIGNATURE_HEADERS.timestamp]: ts })), 401, 'REPLAYED', `timestamp ${JSON.stringify(ts)}`);
      }
    });

    it('unicode, long and odd keys in the headers: MALFORMED; the Bearer scheme in any case works', async () => {
      for (const key of [Buffer.from('clv_test_ключ', 'utf8'), Buffer.from('clv_test_😀', 'utf8'), 'x'.repeat(8000), `${keys.plain}x`, 'clv_adm_notakey', keys.plain.toUpperCase()]) {
        expectProblem(await waitlist({ 'x-clavis-key': key, 'content-type': 'application/json' }), 401, 'MALFORMED', `key ${key.toString().slice(0, 20)}`);
        expectProblem(await waitlist({ authorization: Buffer.concat([Buffer.from('Bearer '), Buffer.isBuffer(key) ? key : Buffer.from(key, 'latin1')]), 'content-type': 'application/json' }), 401, 'MALFORMED', `bearer ${key.toString().slice(0, 20)}`);
      }
      for (const scheme of ['Bearer', 'bearer', 'BEARER']) expect((await waitlist({ authorization: `${scheme} ${keys.plain}`, 'content-type': 'application/json' })).status, scheme).toBe(202);
      expectProblem(await waitlist({ authorization: `Basic ${keys.plain}`, 'content-type': 'application/json' }), 401, 'MALFORMED', 'Basic scheme');
      expectProblem(await waitlist({ 'content-type': 'application/json' }), 401, 'MALFORMED', 'no key');
    });

    it('malformed JSON, wrong content types and huge bodies of consumers', async () => {
      expectProblem(await waitlist({ authorization: `Bearer ${keys.plain}`, 'content-type': 'application/json' }, '{"email":'), 400, 'INVALID_JSON', 'malformed JSON');
      expectProblem(await waitlist({ authorization: `Bearer ${keys.plain}`, 'content-type': 'text/plain' }), 415, 'UNSUPPORTED_MEDIA_TYPE', 'text/plain');
      expectProblem(await waitlist({ authorization: `Bearer ${keys.plain}`, 'content-type': 'application/json' }, JSON.stringify({ email: 'a'.repeat(100_000) })), 413, 'BODY_TOO_LARGE', 'huge body');
    });

    it('never answers a 5xx to arbitrary key and signature header values (property)', async () => {
      // Any ASCII but CR and LF (those would frame another header, not test a value).
      const ascii = fc.string({ unit: 'binary-ascii', maxLength: 120 }).map((v) => v.replace(/[\r\n]/g, ' '));
      const headerValue = fc.oneof(ascii, fc.base64String({ maxLength: 100 }), fc.stringMatching(/^[0-9]{0,30}$/));
      await fc.assert(
        fc.asyncProperty(headerValue, headerValue, headerValue, fc.boolean(), async (ts, nonce, sig, real) => {
          const headers = hmacHeaders('POST', '/v1/waitlist', WAITLIST_BODY, real ? { [SIGNATURE_HEADERS.signature]: sig } : { [SIGNATURE_HEADERS.timestamp]: ts, [SIGNATURE_HEADERS.nonce]: nonce, [SIGNATURE_HEADERS.signature]: sig });
          const r = await waitlist(headers, WAITLIST_BODY, 'property headers');
          // A value the HTTP parser refuses (a control character) is MALFORMED_REQUEST; the rest reach the pipeline.
          expect([[400, 'MALFORMED_REQUEST'], [401, 'SIGNATURE_INVALID'], [401, 'REPLAYED']], r.body).toContainEqual([r.status, (r.json as { code: string }).code]);
        }),
        { numRuns: 80 },
      );
    });
  });
});

describe('the gateway (clavis gateway)', () => {
  let upstream: Upstream;
  let gatewayProcess: Spawned;
  let gateway = '';
  const base = (): string => gateway;

  beforeAll(async () => {
    upstream = await startUpstream();
    // One process per SQLite file: the server hands its data folder (keys, keyring) to the gateway.
    await server.stop();
    const dir = makeTempDir();
    const routes = join(dir, 'routes.json');
    writeFileSync(routes, JSON.stringify({ environment: 'test', routes: [{ method: 'POST', path: '/v1/orders', scope: 'index:read' }, { method: 'GET', path: '/v1/prices/*', scope: 'prices:read' }, { method: 'GET', path: '/v1/keys/*', scope: 'prices:read' }, { method: 'GET', path: '/v1/waitlist', scope: 'index:read' }, { method: 'POST', path: '/v1/waitlist', scope: 'index:read' }] }));
    gatewayProcess = spawnNode([CLI, 'gateway', '--upstream', upstream.url, '--routes', routes, '--port', '0'], { CLAVIS_DATA_DIR: server.dataDir, CLAVIS_LOG_LEVEL: 'warn', ...DETECTION_OFF });
    gateway = await waitFor(() => gatewayProcess.stdout.lines.map((l) => GATEWAY_LINE.exec(l)?.[1]).find((u) => u !== undefined), 20_000);
  }, 60_000);
  afterAll(async () => {
    gatewayProcess.child.kill('SIGTERM');
    expect((await gatewayProcess.exited).code).toBe(0);
    await upstream.close();
    expect(failures([...gatewayProcess.stdout.lines, ...gatewayProcess.stderr.lines]), 'the gateway logged a failure').toEqual([]);
  });

  transportCases(base, '/v1/prices/btc', '/v1/orders');

  const order = (headers: Record<string, string | Buffer>, body = '{"qty":1}', what = 'order') => send(base(), { method: 'POST', path: '/v1/orders', headers, body }, what);

  it('forwards a signed request; refuses a body that does not match its signature (SIGNATURE_INVALID) without forwarding it', async () => {
    const before = upstream.seen.length;
    const ok = await order(hmacHeaders('POST', '/v1/orders', '{"qty":1}'));
    expect(ok.status, ok.body).toBe(200);
    expect((ok.json as Echo).body).toBe('{"qty":1}');
    expectProblem(await order(hmacHeaders('POST', '/v1/orders', '{"qty":1}'), '{"qty":1000}'), 401, 'SIGNATURE_INVALID', 'other body');
    expectProblem(await order(hmacHeaders('POST', '/v1/orders?qty=1000', '{"qty":1}')), 401, 'SIGNATURE_INVALID', 'signed for another URL');
    expect(upstream.seen.length).toBe(before + 1);
  });

  it('garbage signatures: SIGNATURE_INVALID; timestamps far off, non-numeric or huge: REPLAYED', async () => {
    for (const sig of ['not base64!', Buffer.alloc(31).toString('base64'), Buffer.alloc(64).toString('base64'), 'A'.repeat(4000)]) {
      expectProblem(await order(hmacHeaders('POST', '/v1/orders', '{"qty":1}', { [SIGNATURE_HEADERS.signature]: sig })), 401, 'SIGNATURE_INVALID', sig.slice(0, 20));
    }
    for (const ts of [String(Date.now() - 3_600_000), 'yesterday', '', '9'.repeat(40), '-1']) {
      expectProblem(await order(hmacHeaders('POST', '/v1/orders', '{"qty":1}', { [SIGNATURE_HEADERS.timestamp]: ts })), 401, 'REPLAYED', `timestamp ${JSON.stringify(ts)}`);
    }
  });

  it('unicode, long and odd keys: MALFORMED', async () => {
    for (const key of [Buffer.from('clv_test_ключ', 'utf8'), 'x'.repeat(8000), `${keys.plain.slice(0, -1)}!`, '']) {
      expectProblem(await send(base(), { method: 'GET', path: '/v1/prices/btc', headers: { 'x-clavis-key': key } }), 401, 'MALFORMED', `key ${key.toString().slice(0, 20)}`);
    }
    expect((await send(base(), { method: 'GET', path: '/v1/prices/btc', headers: { authorization: `bearer ${keys.plain}` } })).status).toBe(200);
  });

  it('a signed body over the limit: 413 BODY_TOO_LARGE; an unsigned body of any type or shape is the upstream\'s business', async () => {
    // Over the gateway's signed-body limit (CLAVIS_BODY_LIMIT_BYTES, 64 KiB by default).
    const big = 'a'.repeat(200 * 1024);
    expectProblem(await order(hmacHeaders('POST', '/v1/orders', big), big, 'signed 200 KB'), 413, 'BODY_TOO_LARGE', 'signed 200 KB');
    expectProblem(await order({ ...hmacHeaders('POST', '/v1/orders', '{}'), 'content-length': String(50 * 1024 * 1024) }, '', 'declared 50 MB'), 413, 'BODY_TOO_LARGE', 'declared 50 MB');
    for (const [type, body] of [['application/json', '{"qty":'], ['text/plain', 'hello'], ['application/octet-stream', '\u0000\u0001']] as const) {
      const r = await send(base(), { method: 'POST', path: '/v1/orders', headers: { 'x-clavis-key': keys.plain, 'content-type': type }, body }, `unsigned ${type}`);
      expect(r.status, r.body).toBe(200);
      expect((r.json as Echo).body).toBe(body);
    }
  });

  it('never answers a 5xx to arbitrary paths and signature header values (property)', async () => {
    const ascii = fc.string({ unit: 'binary-ascii', maxLength: 80 }).map((v) => v.replace(/[\r\n]/g, ' '));
    await fc.assert(
      fc.asyncProperty(fc.webPath(), ascii, ascii, async (path, ts, sig) => {
        const r = await send(base(), { method: 'GET', path: path === '' ? '/' : path, headers: { 'x-clavis-key': keys.hmac.key, [SIGNATURE_HEADERS.timestamp]: ts, [SIGNATURE_HEADERS.nonce]: 'nonce-nonce-nonce-1', [SIGNATURE_HEADERS.signature]: sig } }, 'property');
        expect([400, 401, 403, 404], r.body).toContain(r.status);
        expect(['MALFORMED_REQUEST', 'INVALID_URL', 'ROUTE_NOT_FOUND', 'SIGNATURE_INVALID', 'REPLAYED', 'INSUFFICIENT_SCOPE']).toContain((r.json as { code: string }).code);
      }),
      { numRuns: 80 },
    );
  });
});
