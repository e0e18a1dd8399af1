import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { bearer, makeHarness, type Harness } from '../support/harness.ts';

let h: Harness;
beforeEach(async () => {
  h = await makeHarness();
});
afterEach(async () => h.close());

async function call(method: 'GET' | 'POST', url: string, token: string, payload?: object) {
  const res = await h.app.inject({ method, url, headers: bearer(token), payload });
  return { status: res.statusCode, body: res.json<Record<string, unknown>>() };
}

describe('admin tokens', () => {
  it('creates least-privilege tokens by default, shows the secret once, and revokes them', async () => {
    const created = await call('POST', '/v1/tokens', h.owner.secret, { name: 'ci' });
    expect(created.status).toBe(201);
    expect(created.body.role).toBe('read-only');
    const secret = created.body.token as string;
    expect(secret).toMatch(/^clv_adm_[0-9A-Za-z]{49}$/);
    expect((await call('GET', '/v1/keys', secret)).status).toBe(200);
    expect((await call('POST', '/v1/keys', secret, { name: 'x', environment: 'test', scopes: ['prices:read'] })).body.code).toBe('PERMISSION_DENIED');
    const list = await call('GET', '/v1/tokens', h.owner.secret);
    expect(JSON.stringify(list.body)).not.toContain(secret);
    const revoked = await call('POST', `/v1/tokens/${created.body.id as string}/revoke`, h.owner.secret, {});
    expect(revoked.body.status).toBe('revoked');
    const after = await call('GET', '/v1/keys', secret);
    expect(after.status).toBe(401);
    expect(after.body.code).toBe('AUTH_INVALID');
    expect((await call('POST', `/v1/tokens/${created.body.id as string}/revoke`, h.owner.secret, {})).body.code).toBe('TOKEN_STATE_CONFLICT');
  });

  it('never lets a token grant or revoke above its own role', async () => {
    const admin = await h.tokenFor('admin');
    expect((await call('POST', '/v1/tokens', admin, { name: 'o', role: 'owner' })).body.code).toBe('ROLE_NOT_GRANTABLE');
    expect((await call('POST', `/v1/tokens/${h.owner.record.id}/revoke`, admin, {})).body.code).toBe('ROLE_NOT_GRANTABLE');
    expect((await call('POST', '/v1/tokens', admin, { name: 'd', role: 'developer' })).status).toBe(201);
    const dev = await h.tokenFor('developer');
    expect((await call('POST', '/v1/tokens', dev, { name: 'x' })).body.code).toBe('PERMISSION_DENIED');
    expect((await call('POST', '/v1/tokens', h.owner.secret, { name: 'x', role: 'superuser' })).body.code).toBe('VALIDATION_FAILED');
  });

  it('audits token creation and revocation without the secret', async () => {
    const created = await call('POST', '/v1/tokens', h.owner.secret, { name: 'aud', role: 'auditor' });
    await call('POST', `/v1/tokens/${created.body.id as string}/revoke`, h.owner.secret, {});
    const events = await call('GET', `/v1/audit/events?target=${created.body.id as string}`, h.owner.secret);
    const data = events.body.data as { action: string }[];
    expect(data.map((e) => e.action)).toEqual(['token.created', 'token.revoked']);
    expect(JSON.stringify(events.body)).not.toContain(created.body.token as string);
  });
});

describe('workspaces', () => {
  it('lets operator owners create isolated tenant workspaces, and nobody else', async () => {
    const created = await call('POST', '/v1/workspaces', h.owner.secret, { name: 'tenant' });
    expect(created.status).toBe(201);
    const ws = created.body.workspace as { id: string; operator: boolean };
    const tenantOwner = (created.body.ownerToken as { token: string }).token;
    expect(ws.operator).toBe(false);
    const me = await call('GET', '/v1/workspace', tenantOwner);
    expect((me.body.workspace as { id: string }).id).toBe(ws.id);
    expect((await call('POST', '/v1/workspaces', tenantOwner, { name: 'nested' })).body.code).toBe('PERMISSION_DENIED');
    const admin = await h.tokenFor('admin');
    expect((await call('POST', '/v1/workspaces', admin, { name: 'x' })).body.code).toBe('PERMISSION_DENIED');
    // The tenant's log starts with its own creation; the operator log records it too.
    const tenantEvents = (await call('GET', '/v1/audit/events', tenantOwner)).body.data as { action: string; seq: number }[];
    expect(tenantEvents.map((e) => [e.seq, e.action])).toEqual([[0, 'workspace.created'], [1, 'token.created']]);
    const opEvents = (await call('GET', '/v1/audit/events?action=workspace.created', h.owner.secret)).body.data as { target: { id: string } }[];
    expect(opEvents.some((e) => e.target.id === ws.id)).toBe(true);
  });

  it('does not bootstrap twice', async () => {
    expect(await h.services.workspaces.bootstrap()).toBeNull();
  });
});

describe('health', () => {
  it('answers liveness and readiness without a token', async () => {
    expect((await h.app.inject({ url: '/healthz' })).json()).toEqual({ status: 'ok' });
    expect((await h.app.inject({ url: '/readyz' })).json()).toEqual({ status: 'ready', store: 'memory', keyring: { state: 'unsealed', provider: 'local' } });
    const nf = await h.app.inject({ url: '/v2/nothing' });
    expect(nf.statusCode).toBe(404);
    expect(nf.json<{ code: string }>().code).toBe('ROUTE_NOT_FOUND');
  });

  it('reports NOT_READY when the store does not answer', async () => {
    h.store.ping = async () => {
      throw new Error('down');
    };
    const r = await h.app.inject({ url: '/readyz' });
    expect(r.statusCode).toBe(503);
    expect(r.json<{ code: string }>().code).toBe('NOT_READY');
  });
});
