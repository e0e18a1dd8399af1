import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { sha256Hex, signRequest } from '@clavis/sdk/signing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { REDACT_PATHS, buildApp } from '../../src/http/app.ts';
import type { App } from '../../src/http/app-types.ts';
import { enrolledUser, ed25519Signing, withMfa } from '../mfa/support.ts';
import { bearer, makeHarness, type Harness } from '../support/harness.ts';

interface Created {
  id: string;
  key: string;
  signingSecret?: string;
  signing: unknown;
}

let h: Harness;
let app: App;
let logs: string[];
beforeEach(async () => {
  h = await makeHarness();
  logs = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      logs.push(chunk.toString('utf8'));
      done();
    },
  });
  // The same app as the harness's, logging everything, to show no secret reaches a log line.
  app = await buildApp({ services: h.services, logger: { level: 'trace', stream, redact: { paths: REDACT_PATHS, censor: '[redacted]' } } });
});
afterEach(async () => {
  await app.close();
  await h.close();
});

async function call<T>(method: 'GET' | 'POST' | 'PATCH', url: string, payload?: unknown): Promise<{ status: number; body: T; headers: Record<string, unknown> }> {
  const res = await app.inject({ method, url, headers: bearer(h.owner.secret), ...(payload === undefined ? {} : { payload: payload as object }) });
  return { status: res.statusCode, body: res.json<T>(), headers: res.headers };
}

async function createHmacKey(extra: Record<string, unknown> = {}): Promise<Created & { signingSecret: string }> {
  const r = await call<Created>('POST', '/v1/keys', { name: 'trader', environment: 'test', scopes: ['prices:read'], signing: { scheme: 'hmac-sha256' }, ...extra });
  expect(r.status).toBe(201);
  const secret = r.body.signingSecret;
  if (secret === undefined) throw new Error('no signing secret in the create answer');
  return { ...r.body, signingSecret: secret };
}

/** The verify body for a request signed with `secret`, as a provider's service forwards it. */
function signature(key: string, secret: string, over: { timestamp?: number; nonce?: string; body?: string; sentBody?: string } = {}) {
  const body = over.body ?? '{"qty":1}';
  const headers = signRequest({ key, signer: { scheme: 'hmac-sha256', secret }, method: 'POST', url: '/v1/orders?side=buy', body, timestamp: over.timestamp ?? h.clock.now(), ...(over.nonce !== undefined ? { nonce: over.nonce } : {}) });
  return {
    method: 'POST',
    url: '/v1/orders?side=buy',
    timestamp: Number(headers['x-clavis-timestamp']),
    nonce: headers['x-clavis-nonce'] ?? '',
    signature: headers['x-clavis-signature'] ?? '',
    bodySha256: sha256Hex(over.sentBody ?? body),
  };
}

describe('POST /v1/keys/verify with an HMAC-SHA256 key', () => {
  it('answers VALID for a good signature; SIGNATURE_INVALID for a wrong secret or a tampered body; REPLAYED for a far timestamp or a reused nonce', async () => {
    const k = await createHmacKey();
    const verify = async (sig?: ReturnType<typeof signature>) => (await call<{ valid: boolean; code: string; keyId: string }>('POST', '/v1/keys/verify', { key: k.key, ...(sig === undefined ? {} : { signature: sig }) })).body;

    expect(await verify()).toMatchObject({ valid: false, code: 'SIGNATURE_REQUIRED', keyId: k.id });
    const good = signature(k.key, k.signingSecret);
    expect(await verify(good)).toMatchObject({ valid: true, code: 'VALID', keyId: k.id });
    expect(await verify(signature(k.key, randomBytes(32).toString('base64')))).toMatchObject({ valid: false, code: 'SIGNATURE_INVALID' });
    expect(await verify(signature(k.key, k.signingSecret, { sentBody: '{"qty":1000}' }))).toMatchObject({ valid: false, code: 'SIGNATURE_INVALID' });
    expect(await verify(signature(k.key, k.signingSecret, { timestamp: h.clock.now() - 5001 }))).toMatchObject({ code: 'REPLAYED' });
    expect(await verify(signature(k.key, k.signingSecret, { timestamp: h.clock.now() + 60_000 }))).toMatchObject({ code: 'REPLAYED' });
    expect(await verify(good)).toMatchObject({ valid: false, code: 'REPLAYED' });
    expect(await verify({ ...signature(k.key, k.signingSecret), signature: 'not base64!' })).toMatchObject({ code: 'SIGNATURE_INVALID' });
  });

  it('answers 400 VALIDATION_FAILED, never 5xx, for a signature object of the wrong shape', async () => {
    const k = await createHmacKey();
    const good = signature(k.key, k.signingSecret);
    for (const sig of [{ ...good, timestamp: 'soon' }, { ...good, timestamp: 1.5 }, { ...good, bodySha256: 'xyz' }, { ...good, signature: 'A'.repeat(257) }, { ...good, extra: 1 }, { ...good, nonce: '' }]) {
      const r = await call<{ code: string }>('POST', '/v1/keys/verify', { key: k.key, signature: sig });
      expect(r.status, JSON.stringify(sig)).toBe(400);
      expect(r.body.code).toBe('VALIDATION_FAILED');
    }
    // A huge integer timestamp is well-formed JSON and simply far outside the window.
    const huge = await call<{ code: string }>('POST', '/v1/keys/verify', { key: k.key, signature: { ...good, timestamp: 1e300 } });
    expect(huge.status).toBe(200);
    expect(huge.body.code).toBe('REPLAYED');
  });
});

describe('the HMAC signing secret over the admin API', () => {
  it('is returned once, with Cache-Control: no-store, and never by get, list, the audit log, a webhook or a log line', async () => {
    await h.store.transact((tx) =>
      tx.webhooks.insertEndpoint({ id: 'whk_test', workspaceId: h.workspaceId, url: 'https://hooks.example/x', events: ['key.created', 'key.rotated'], ciphertext: randomBytes(40), wrappedKey: randomBytes(40), keyVersion: 1, createdAt: h.clock.now(), createdBy: 'test' }),
    );
    const res = await app.inject({ method: 'POST', url: '/v1/keys', headers: bearer(h.owner.secret), payload: { name: 'h', environment: 'test', scopes: ['prices:read'], signing: { scheme: 'hmac-sha256' } } });
    expect(res.statusCode).toBe(201);
    expect(res.headers['cache-control']).toBe('no-store');
    const created = res.json<Created & { signingSecret: string }>();
    expect(created.signing).toEqual({ scheme: 'hmac-sha256' });
    expect(Buffer.from(created.signingSecret, 'base64')).toHaveLength(32);
    const rotated = await call<{ key: string; signingSecret: string; successor: { id: string } }>('POST', `/v1/keys/${created.id}/rotate`, { gracePeriodSeconds: 60 });
    expect(rotated.status).toBe(200);
    expect(rotated.headers['cache-control']).toBe('no-store');
    const secrets = [created.signingSecret, rotated.body.signingSecret, Buffer.from(created.signingSecret, 'base64').toString('hex')];

    const seen = [
      JSON.stringify((await call('GET', `/v1/keys/${created.id}`)).body),
      JSON.stringify((await call('GET', `/v1/keys/${rotated.body.successor.id}`)).body),
      JSON.stringify((await call('GET', '/v1/keys')).body),
      JSON.stringify((await call('GET', '/v1/audit/events?limit=100')).body),
      JSON.stringify(await h.store.webhooks.listDeliveries(h.workspaceId, 'whk_test', { limit: 100 })),
    ];
    expect(seen[0]).toContain('"signing":{"scheme":"hmac-sha256"}');
    expect(seen[3]).toContain('key.rotated');
    expect(seen[4]).toContain('key.created');
    await call('POST', '/v1/keys/verify', { key: created.key, signature: signature(created.key, created.signingSecret) });
    await call('POST', '/v1/keys/verify', { key: created.key, signature: signature(created.key, randomBytes(32).toString('base64')) });
    const logText = logs.join('');
    expect(logs.length).toBeGreaterThan(5);
    for (const text of [...seen, logText]) for (const secret of secrets) expect(text).not.toContain(secret);
  });

  it('PATCH issues a new secret (old one refused at once), null drops the requirement; a plain change shows no secret', async () => {
    const k = await createHmacKey();
    const renamed = await call<Record<string, unknown>>('PATCH', `/v1/keys/${k.id}`, { name: 'renamed' });
    expect(renamed.status).toBe(200);
    expect(renamed.body).not.toHaveProperty('signingSecret');
    expect(renamed.headers['cache-control']).toBeUndefined();
    const again = await call<{ signingSecret: string; signing: unknown }>('PATCH', `/v1/keys/${k.id}`, { signing: { scheme: 'hmac-sha256' } });
    expect(again.status).toBe(200);
    expect(again.headers['cache-control']).toBe('no-store');
    expect(again.body.signing).toEqual({ scheme: 'hmac-sha256' });
    expect(again.body.signingSecret).not.toBe(k.signingSecret);
    const code = async (secret: string) => (await call<{ code: string }>('POST', '/v1/keys/verify', { key: k.key, signature: signature(k.key, secret) })).body.code;
    expect(await code(k.signingSecret)).toBe('SIGNATURE_INVALID');
    expect(await code(again.body.signingSecret)).toBe('VALID');
    const dropped = await call<{ signing: unknown }>('PATCH', `/v1/keys/${k.id}`, { signing: null });
    expect(dropped.body.signing).toBeNull();
    expect((await call<{ code: string }>('POST', '/v1/keys/verify', { key: k.key })).body.code).toBe('VALID');
  });

  it('takes Ed25519 with or without a scheme, refuses mixed or unknown shapes with VALIDATION_FAILED', async () => {
    const publicKey = Buffer.from('d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a', 'hex').toString('base64');
    const noScheme = await call<Created>('POST', '/v1/keys', { name: 'e', environment: 'test', scopes: ['prices:read'], signing: { publicKey } });
    expect(noScheme.status).toBe(201);
    expect(noScheme.body.signing).toEqual({ scheme: 'ed25519', publicKey });
    expect(noScheme.body).not.toHaveProperty('signingSecret');
    for (const signing of [{ scheme: 'hmac-sha256', publicKey }, { scheme: 'hmac-sha256', secret: 'mine' }, { scheme: 'rsa', publicKey }, { scheme: 'ed25519' }, {}, 'hmac-sha256']) {
      const r = await call<{ code: string }>('POST', '/v1/keys', { name: 'x', environment: 'test', scopes: ['prices:read'], signing });
      expect(r.status, JSON.stringify(signing)).toBe(400);
      expect(r.body.code).toBe('VALIDATION_FAILED');
    }
  });

  it('satisfies the high-risk rule; a new signing credential for a live high-risk key needs step-up MFA like the key itself', async () => {
    const u = await enrolledUser(h, 'admin');
    const send = (method: 'POST' | 'PATCH', url: string, payload: object, code?: string) => h.app.inject({ method, url, headers: withMfa(u.token, code), payload });
    const high = await send('POST', '/v1/keys', { name: 't', environment: 'live', scopes: ['portfolio:trade'], ipAllowlist: ['203.0.113.0/24'], signing: { scheme: 'hmac-sha256' } }, u.code());
    expect(high.statusCode, high.body).toBe(201);
    expect(high.json<Created>().signingSecret).toMatch(/^[A-Za-z0-9+/]{43}=$/);
    u.nextStep();
    const id = high.json<Created>().id;
    expect((await send('PATCH', `/v1/keys/${id}`, { signing: { scheme: 'hmac-sha256' } })).json<{ code: string }>().code).toBe('MFA_REQUIRED');
    expect((await send('PATCH', `/v1/keys/${id}`, { signing: ed25519Signing() })).json<{ code: string }>().code).toBe('MFA_REQUIRED');
    expect((await send('PATCH', `/v1/keys/${id}`, { name: 'renamed' })).statusCode).toBe(200);
    const issued = await send('PATCH', `/v1/keys/${id}`, { signing: { scheme: 'hmac-sha256' } }, u.code());
    expect(issued.statusCode, issued.body).toBe(200);
    expect(issued.json<Created>().signingSecret).toMatch(/^[A-Za-z0-9+/]{43}=$/);
    // A low-risk live key, or a test key, gets a new secret without a code.
    const low = await send('POST', '/v1/keys', { name: 'r', environment: 'live', scopes: ['prices:read'] });
    expect((await send('PATCH', `/v1/keys/${low.json<Created>().id}`, { signing: { scheme: 'hmac-sha256' } })).statusCode).toBe(200);
  });
});
