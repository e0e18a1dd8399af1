import type { AddressInfo } from 'node:net';
import { signRequest } from '@clavis/sdk/signing';
import type { FastifyInstance } from 'fastify';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { buildGatewayApp } from '../../src/gateway/gateway-app.ts';
import { parseRoutesFile } from '../../src/gateway/routes-file.ts';
import { makeHarness, type Harness } from '../support/harness.ts';
import { startUpstream, type Echo, type Upstream } from './upstream.ts';

// The gateway in front of an upstream, with a key that signs with HMAC-SHA256.

let upstream: Upstream;
let h: Harness;
let gateway: FastifyInstance;
let base: string;

beforeAll(async () => {
  upstream = await startUpstream();
});
afterAll(async () => upstream.close());

beforeEach(async () => {
  h = await makeHarness();
  // Signed requests carry a real timestamp: the verifier's clock must be near it.
  h.clock.t = Date.now();
  const routes = parseRoutesFile(JSON.stringify({ environment: 'live', workspaceId: h.workspaceId, routes: [{ method: 'POST', path: '/v1/orders', scope: 'portfolio:trade' }] }), 'routes.json');
  gateway = await buildGatewayApp({ services: h.services, routes, upstream: upstream.url, verify: true, logger: false });
  await gateway.listen({ host: '127.0.0.1', port: 0 });
  base = `http://127.0.0.1:${(gateway.server.address() as AddressInfo).port}`;
});
afterEach(async () => {
  await gateway.close();
  await h.close();
});

describe('gateway: an HMAC-signing key', () => {
  it('forwards a signed request (without the signature headers) and refuses bad signatures, tampered bodies and replays', async () => {
    const issued = await h.services.keys.create(
      { workspaceId: h.workspaceId, actor: { type: 'system', id: 'test' } },
      { name: 'bot', environment: 'live', scopes: ['portfolio:trade'], ipAllowlist: ['127.0.0.1/32'], signing: { scheme: 'hmac-sha256' } },
    );
    const secret = issued.signingSecret ?? '';
    const body = JSON.stringify({ pair: 'BTC-USD', qty: 1 });
    const signed = signRequest({ key: issued.secret, signer: { scheme: 'hmac-sha256', secret }, method: 'POST', url: '/v1/orders', body });
    const post = async (headers: Record<string, string>, payload = body) => {
      const res = await fetch(`${base}/v1/orders`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: payload });
      return { status: res.status, text: await res.text() };
    };
    /** The status and problem code of a refusal. */
    const refusal = async (headers: Record<string, string>, payload = body) => {
      const r = await post(headers, payload);
      return [r.status, (JSON.parse(r.text) as { code: string }).code];
    };
    const before = upstream.seen.length;
    expect(await refusal({ 'x-clavis-key': issued.secret })).toEqual([401, 'SIGNATURE_REQUIRED']);
    expect(await refusal(signed, body.replace('1', '9'))).toEqual([401, 'SIGNATURE_INVALID']);
    const other = signRequest({ key: issued.secret, signer: { scheme: 'hmac-sha256', secret: Buffer.alloc(32, 1).toString('base64') }, method: 'POST', url: '/v1/orders', body });
    expect(await refusal(other)).toEqual([401, 'SIGNATURE_INVALID']);
    expect(upstream.seen.length).toBe(before);

    const ok = await post(signed);
    expect(ok.status, ok.text).toBe(200);
    const echo = JSON.parse(ok.text) as Echo;
    expect(echo.body).toBe(body);
    expect(echo.headers['x-clavis-key-id']).toBe(issued.record.id);
    for (const name of ['x-clavis-key', 'x-clavis-timestamp', 'x-clavis-nonce', 'x-clavis-signature']) expect(echo.headers[name]).toBeUndefined();
    expect(await refusal(signed)).toEqual([401, 'REPLAYED']);
    const stale = signRequest({ key: issued.secret, signer: { scheme: 'hmac-sha256', secret }, method: 'POST', url: '/v1/orders', body, timestamp: Date.now() - 60_000 });
    expect(await refusal(stale)).toEqual([401, 'REPLAYED']);
  });

  it('answers 503 SEALED, not a bad signature, while the keyring is sealed; forwards again once it is back', async () => {
    const issued = await h.services.keys.create(
      { workspaceId: h.workspaceId, actor: { type: 'system', id: 'test' } },
      { name: 'bot', environment: 'live', scopes: ['portfolio:trade'], ipAllowlist: ['127.0.0.1/32'], signing: { scheme: 'hmac-sha256' } },
    );
    const send = () => fetch(`${base}/v1/orders`, { method: 'POST', headers: { 'content-type': 'application/json', ...signRequest({ key: issued.secret, signer: { scheme: 'hmac-sha256', secret: issued.signingSecret ?? '' }, method: 'POST', url: '/v1/orders', body: '{}' }) }, body: '{}' });
    const provider = h.services.keyring.seal('test');
    const sealed = await send();
    expect(sealed.status).toBe(503);
    expect(await sealed.json()).toMatchObject({ code: 'SEALED' });
    if (provider === null) throw new Error('keyring was not unsealed');
    h.services.keyring.unseal(provider);
    expect((await send()).status).toBe(200);
  });
});
