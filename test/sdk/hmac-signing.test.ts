import { RemoteVerifier, signRequest } from '@clavis/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startClavis, type ClavisServer } from './clavis-server.ts';
import { startProtected, type ProtectedApp } from './protected-apps.ts';

// The SDK round trip with HMAC-SHA256: the admin client creates the key and gets the secret
// once, a consumer signs with signRequest, a provider's service protected by the middleware asks
// Clavis, which checks the HMAC.

let clavis: ClavisServer;
let apps: ProtectedApp[];
beforeAll(async () => {
  clavis = await startClavis();
  const verifier = new RemoteVerifier({ url: clavis.url, token: clavis.developerToken });
  apps = [await startProtected('fastify', { verifier, environment: 'test' }), await startProtected('node:http', { verifier, environment: 'test' })];
});
afterAll(async () => {
  for (const a of apps) await a.close();
  await clavis.close();
});

describe('SDK: HMAC-SHA256 signing, end to end', () => {
  it('createKey returns the secret once; getKey and listKeys never do; rotateKey and updateKey issue new ones', async () => {
    const created = await clavis.admin.createKey({ name: 'hmac', environment: 'test', scopes: ['prices:read'], signing: { scheme: 'hmac-sha256' } });
    expect(created.signing).toEqual({ scheme: 'hmac-sha256' });
    expect(created.signingSecret).toMatch(/^[A-Za-z0-9+/]{43}=$/);
    expect(await clavis.admin.getKey(created.id)).not.toHaveProperty('signingSecret');
    expect(JSON.stringify(await clavis.admin.listKeys())).not.toContain(created.signingSecret);
    const updated = await clavis.admin.updateKey(created.id, { signing: { scheme: 'hmac-sha256' } });
    expect(updated.signingSecret).toMatch(/^[A-Za-z0-9+/]{43}=$/);
    expect(updated.signingSecret).not.toBe(created.signingSecret);
    const rotated = await clavis.admin.rotateKey(created.id, 60);
    expect(rotated.signingSecret).toMatch(/^[A-Za-z0-9+/]{43}=$/);
    expect((await clavis.admin.updateKey(created.id, { name: 'plain change' })).signingSecret).toBeUndefined();
  });

  it.each([0, 1])('a request signed with the secret passes the middleware (app %i); another secret or body does not', async (i) => {
    const app = apps[i];
    if (app === undefined) throw new Error('no app');
    const created = await clavis.admin.createKey({ name: 'hmac', environment: 'test', scopes: ['prices:read'], signing: { scheme: 'hmac-sha256' } });
    const secret = created.signingSecret ?? '';
    const url = '/v1/orders?side=buy';
    const body = JSON.stringify({ qty: 1 });
    const sign = (s: string, b = body) => signRequest({ key: created.key, signer: { scheme: 'hmac-sha256', secret: s }, method: 'POST', url, body: b, timestamp: clavis.clock.now() });
    const post = async (headers: Record<string, string>, b = body) => {
      const res = await fetch(`${app.url}${url}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: b });
      return { status: res.status, json: (await res.json()) as { code?: string; body?: unknown } };
    };
    expect(await post(sign(secret))).toMatchObject({ status: 200, json: { body: { qty: 1 } } });
    expect(await post(sign(Buffer.alloc(32, 9).toString('base64')))).toMatchObject({ status: 401, json: { code: 'SIGNATURE_INVALID' } });
    expect(await post(sign(secret), JSON.stringify({ qty: 1000 }))).toMatchObject({ status: 401, json: { code: 'SIGNATURE_INVALID' } });
    const headers = sign(secret);
    expect((await post(headers)).status).toBe(200);
    expect(await post(headers)).toMatchObject({ status: 401, json: { code: 'REPLAYED' } });
    // The raw bytes work as well as the base64 text.
    expect((await post(signRequest({ key: created.key, signer: { scheme: 'hmac-sha256', secret: Buffer.from(secret, 'base64') }, method: 'POST', url, body, timestamp: clavis.clock.now() }))).status).toBe(200);
  });
});
