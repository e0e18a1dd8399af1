import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkSecretPath } from '../../src/core/vault/secret-path.ts';
import { bearer, makeHarness, type Harness } from '../support/harness.ts';

let h: Harness;
let otherOwner: string;
let developer: string;
let auditor: string;
const put = (token: string, url: string, payload: unknown) => h.app.inject({ method: 'PUT', url, headers: bearer(token), payload: payload as object });

beforeAll(async () => {
  h = await makeHarness();
  const other = await h.services.workspaces.create({ tokenId: h.owner.record.id, workspaceId: h.workspaceId, role: 'owner' }, 'tenant b');
  otherOwner = other.ownerToken.secret;
  developer = await h.tokenFor('developer');
  auditor = await h.tokenFor('auditor');
});
afterAll(async () => h.close());

describe('secrets API', () => {
  it('PUT writes versions, GET reads the latest or ?version, no-store', async () => {
    const first = await put(h.owner.secret, '/v1/secrets/live/exchanges/binance/api-secret', { value: 'bn-1' });
    expect(first.statusCode).toBe(200);
    expect(first.json()).toEqual({ environment: 'live', path: 'exchanges/binance/api-secret', version: 1 });
    expect((await put(h.owner.secret, '/v1/secrets/live/exchanges/binance/api-secret', { value: 'bn-2', cas: 1 })).json()).toMatchObject({ version: 2 });
    const got = await h.app.inject({ url: '/v1/secrets/live/exchanges/binance/api-secret', headers: bearer(h.owner.secret) });
    expect(got.statusCode).toBe(200);
    expect(got.headers['cache-control']).toBe('no-store');
    expect(got.json()).toMatchObject({ value: 'bn-2', version: 2, environment: 'live', path: 'exchanges/binance/api-secret' });
    expect((await h.app.inject({ url: '/v1/secrets/live/exchanges/binance/api-secret?version=1', headers: bearer(h.owner.secret) })).json()).toMatchObject({ value: 'bn-1' });
  });

  it('CAS conflicts answer 409 CAS_MISMATCH', async () => {
    const r = await put(h.owner.secret, '/v1/secrets/live/exchanges/binance/api-secret', { value: 'x', cas: 0 });
    expect(r.statusCode).toBe(409);
    expect(r.json()).toMatchObject({ code: 'CAS_MISMATCH' });
  });

  it('lists metadata only, never values, with a cursor', async () => {
    await put(h.owner.secret, '/v1/secrets/test/webhooks/stripe', { value: 'whsec_list_canary' });
    await put(h.owner.secret, '/v1/secrets/live/a', { value: 'a' });
    const page1 = await h.app.inject({ url: '/v1/secrets?limit=2', headers: bearer(auditor) });
    expect(page1.statusCode).toBe(200);
    const body = page1.json<{ data: { path: string; state: string }[]; nextCursor: string | null }>();
    expect(body.data.map((d) => d.path)).toEqual(['a', 'exchanges/binance/api-secret']);
    expect(page1.body).not.toContain('bn-2');
    const page2 = await h.app.inject({ url: `/v1/secrets?limit=2&cursor=${body.nextCursor ?? ''}`, headers: bearer(auditor) });
    expect(page2.json<{ data: { path: string }[] }>().data.map((d) => d.path)).toEqual(['webhooks/stripe']);
    expect(page2.body).not.toContain('whsec_list_canary');
    const live = await h.app.inject({ url: '/v1/secrets?environment=test', headers: bearer(auditor) });
    expect(live.json<{ data: unknown[] }>().data).toHaveLength(1);
  });

  it('DELETE soft-deletes, …/undelete restores, …/destroy erases; unknown actions are 404', async () => {
    await put(h.owner.secret, '/v1/secrets/dev/tmp/key', { value: 'v1' });
    expect((await h.app.inject({ method: 'DELETE', url: '/v1/secrets/dev/tmp/key', headers: bearer(developer) })).json()).toMatchObject({ versions: [1] });
    const gone = await h.app.inject({ url: '/v1/secrets/dev/tmp/key', headers: bearer(h.owner.secret) });
    expect(gone.statusCode).toBe(410);
    expect(gone.json()).toMatchObject({ code: 'SECRET_DELETED' });
    expect((await h.app.inject({ method: 'POST', url: '/v1/secrets/dev/tmp/key/undelete', headers: bearer(developer) })).json()).toMatchObject({ versions: [1] });
    expect((await h.app.inject({ url: '/v1/secrets/dev/tmp/key', headers: bearer(h.owner.secret) })).json()).toMatchObject({ value: 'v1' });
    expect((await h.app.inject({ method: 'POST', url: '/v1/secrets/dev/tmp/key/destroy', headers: bearer(developer), payload: { versions: [1] } })).json()).toMatchObject({ versions: [1] });
    expect((await h.app.inject({ url: '/v1/secrets/dev/tmp/key', headers: bearer(h.owner.secret) })).json()).toMatchObject({ code: 'SECRET_DESTROYED' });
    const odd = await h.app.inject({ method: 'POST', url: '/v1/secrets/dev/tmp/key/explode', headers: bearer(developer) });
    expect(odd.statusCode).toBe(404);
  });

  it('reading a value needs secrets:reveal; a developer may write but not read', async () => {
    expect((await put(developer, '/v1/secrets/live/dev-written', { value: 'dv' })).statusCode).toBe(200);
    const r = await h.app.inject({ url: '/v1/secrets/live/dev-written', headers: bearer(developer) });
    expect(r.statusCode).toBe(403);
    expect(r.json()).toMatchObject({ code: 'PERMISSION_DENIED' });
  });

  it("never reaches another workspace's secret", async () => {
    expect((await h.app.inject({ url: '/v1/secrets/live/exchanges/binance/api-secret', headers: bearer(otherOwner) })).json()).toMatchObject({ code: 'SECRET_NOT_FOUND' });
    expect((await h.app.inject({ method: 'DELETE', url: '/v1/secrets/live/exchanges/binance/api-secret', headers: bearer(otherOwner) })).statusCode).toBe(404);
    expect((await h.app.inject({ method: 'POST', url: '/v1/secrets/live/exchanges/binance/api-secret/destroy', headers: bearer(otherOwner) })).statusCode).toBe(404);
    expect((await h.app.inject({ url: '/v1/secrets', headers: bearer(otherOwner) })).json<{ data: unknown[] }>().data).toEqual([]);
    expect((await h.app.inject({ url: '/v1/secrets/live/exchanges/binance/api-secret', headers: bearer(h.owner.secret) })).json()).toMatchObject({ value: 'bn-2' });
    // A tenant owner cannot manage the deployment's master keyring.
    expect((await h.app.inject({ method: 'POST', url: '/v1/keyring/rotate', headers: bearer(otherOwner), payload: {} })).json()).toMatchObject({ code: 'OPERATOR_ONLY' });
  });

  it('refuses bad paths', async () => {
    // `..` and `.` segments never reach the route (URLs are normalised first); the domain refuses them too.
    for (const path of ['a/../b', 'a/./b', '..', '/a', 'a/']) expect(() => checkSecretPath(path), path).toThrow(/path/);
    for (const path of ['a//b', 'sp ace', 'a%2F..%2Fb', `${'x'.repeat(300)}`]) {
      const r = await put(h.owner.secret, `/v1/secrets/live/${path}`, { value: 'v' });
      expect(r.statusCode, path).toBe(400);
    }
    expect((await put(h.owner.secret, '/v1/secrets/prod/a', { value: 'v' })).statusCode).toBe(400);
  });

  it('keyring: status, rotate, rewrap, retire over HTTP', async () => {
    const status = await h.app.inject({ url: '/v1/keyring', headers: bearer(h.owner.secret) });
    expect(status.json()).toMatchObject({ state: 'unsealed', provider: 'local', currentVersion: 1, minDecryptionVersion: 1 });
    expect((await h.app.inject({ method: 'POST', url: '/v1/keyring/rotate', headers: bearer(h.owner.secret) })).json()).toEqual({ version: 2 });
    const blocked = await h.app.inject({ method: 'POST', url: '/v1/keyring/retire', headers: bearer(h.owner.secret), payload: { minDecryptionVersion: 2 } });
    expect(blocked.json()).toMatchObject({ code: 'RETIRE_BLOCKED' });
    const rewrap = await h.app.inject({ method: 'POST', url: '/v1/keyring/rewrap', headers: bearer(h.owner.secret), payload: {} });
    expect(rewrap.json()).toMatchObject({ currentVersion: 2, remaining: 0 });
    expect((await h.app.inject({ method: 'POST', url: '/v1/keyring/retire', headers: bearer(h.owner.secret), payload: { minDecryptionVersion: 2 } })).json()).toEqual({ minDecryptionVersion: 2, stranded: 0 });
    expect((await h.app.inject({ url: '/v1/secrets/live/exchanges/binance/api-secret', headers: bearer(h.owner.secret) })).json()).toMatchObject({ value: 'bn-2' });
    expect((await h.app.inject({ method: 'POST', url: '/v1/keyring/rotate', headers: bearer(await h.tokenFor('admin')) })).statusCode).toBe(403);
  });

  it('sealed: secrets answer 503 SEALED, /readyz says so, metadata still lists', async () => {
    const ready = await h.app.inject({ url: '/readyz' });
    expect(ready.json()).toEqual({ status: 'ready', store: 'memory', keyring: { state: 'unsealed', provider: 'local' } });
    const provider = h.services.keyring.seal('the token was removed');
    try {
      const r = await h.app.inject({ url: '/v1/secrets/live/a', headers: bearer(h.owner.secret) });
      expect(r.statusCode).toBe(503);
      expect(r.json()).toMatchObject({ code: 'SEALED', detail: expect.stringContaining('the token was removed') as string });
      expect((await put(h.owner.secret, '/v1/secrets/live/a', { value: 'v' })).statusCode).toBe(503);
      const sealedReady = await h.app.inject({ url: '/readyz' });
      expect(sealedReady.statusCode).toBe(503);
      expect(sealedReady.json()).toMatchObject({ code: 'SEALED' });
      expect((await h.app.inject({ url: '/v1/secrets', headers: bearer(h.owner.secret) })).statusCode).toBe(200);
      expect((await h.app.inject({ url: '/v1/keyring', headers: bearer(h.owner.secret) })).json()).toMatchObject({ state: 'sealed', reason: 'the token was removed' });
      expect((await h.app.inject({ method: 'POST', url: '/v1/keyring/unseal', headers: bearer(h.owner.secret), payload: { passphrase: 'x' } })).json()).toMatchObject({ code: 'UNSEAL_FAILED' });
    } finally {
      if (provider !== null) h.services.keyring.unseal(provider);
    }
    expect((await h.app.inject({ url: '/readyz' })).statusCode).toBe(200);
  });

  it('audits reads and writes without the value', async () => {
    const events = (await h.app.inject({ url: '/v1/audit/events?limit=1000', headers: bearer(h.owner.secret) })).json<{ data: { action: string }[] }>().data;
    expect(events.filter((e) => e.action === 'secret.read').length).toBeGreaterThan(2);
    const text = JSON.stringify(events);
    for (const v of ['bn-1', 'bn-2', 'whsec_list_canary']) expect(text).not.toContain(`"${v}"`);
  });
});
