import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DAY_MS, bearer, makeHarness, type Harness } from '../support/harness.ts';

let h: Harness;
beforeEach(async () => {
  h = await makeHarness();
});
afterEach(async () => h.close());

interface Problem {
  code: string;
  errors?: { field: string; message: string }[];
}

interface KeyAnswer {
  id: string;
  key: string;
  rotation: unknown;
}

interface TickAnswer {
  startedAt: string;
  node: string;
  dryRun: boolean;
  skipped: string | null;
  actions: { type: string; workspaceId: string; keyId: string; successorId: string | null; detail: string }[];
  failures: unknown[];
}

const VAULT = { everyDays: 30, graceHours: 24, mode: 'vault', vaultPath: 'consumers/acme/clavis-key' };

async function call<T>(method: 'POST' | 'PATCH' | 'GET', url: string, payload?: unknown, token = h.owner.secret): Promise<{ status: number; body: T }> {
  const res = await h.app.inject({ method, url, headers: bearer(token), ...(payload === undefined ? {} : { payload: payload as object }) });
  return { status: res.statusCode, body: res.json<T>() };
}

describe('rotation policies over the API', () => {
  it('are set at creation, shown on reads, changed and removed by PATCH', async () => {
    const created = await call<KeyAnswer>('POST', '/v1/keys', { name: 'acme', environment: 'test', scopes: ['prices:read'], rotation: VAULT });
    expect(created.status).toBe(201);
    expect(created.body.rotation).toEqual(VAULT);
    expect((await call<KeyAnswer>('GET', `/v1/keys/${created.body.id}`)).body.rotation).toEqual(VAULT);
    const notify = { everyDays: 90, graceHours: 0, mode: 'notify' };
    const patched = await call<KeyAnswer>('PATCH', `/v1/keys/${created.body.id}`, { rotation: notify });
    expect(patched.status).toBe(200);
    expect(patched.body.rotation).toEqual(notify);
    expect((await call<KeyAnswer>('PATCH', `/v1/keys/${created.body.id}`, { rotation: null })).body.rotation).toBeNull();
    const plain = await call<KeyAnswer>('POST', '/v1/keys', { name: 'plain', environment: 'test', scopes: ['prices:read'] });
    expect(plain.body.rotation).toBeNull();
  });

  it('refuses bad policies at the edge with VALIDATION_FAILED naming the field, and writes nothing', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ ...VAULT, vaultPath: undefined }, '/body/rotation/vaultPath'],
      [{ ...VAULT, vaultPath: 'a//b' }, '/body/rotation/vaultPath'],
      [{ ...VAULT, vaultPath: '../up' }, '/body/rotation/vaultPath'],
      [{ ...VAULT, mode: 'rotate' }, '/body/rotation/mode'],
      [{ ...VAULT, everyDays: 0 }, '/body/rotation/everyDays'],
      [{ ...VAULT, graceHours: 721 }, '/body/rotation/graceHours'],
      [{ ...VAULT, everyDays: 1, graceHours: 24 }, '/body/rotation/graceHours'],
      [{ ...VAULT, colour: 'red' }, '/body/rotation/colour'],
      [{ everyDays: 30, graceHours: 1, mode: 'notify', vaultPath: 'a/b' }, '/body/rotation/vaultPath'],
    ];
    for (const [rotation, field] of cases) {
      const r = await call<Problem>('POST', '/v1/keys', { name: 'bad', environment: 'test', scopes: ['prices:read'], rotation });
      expect(r.status, JSON.stringify(rotation)).toBe(400);
      expect(r.body.code).toBe('VALIDATION_FAILED');
      expect(r.body.errors?.map((e) => e.field), JSON.stringify(rotation)).toContain(field);
    }
    expect(await h.store.keys.list(h.workspaceId, { limit: 10 })).toEqual([]);
  });
});

describe('POST /v1/scheduler/run', () => {
  it('runs a tick now, or dry-runs it, for the operator workspace', async () => {
    const created = await call<KeyAnswer>('POST', '/v1/keys', { name: 'acme', environment: 'test', scopes: ['prices:read'], rotation: VAULT });
    h.clock.advance(30 * DAY_MS);
    const first = await h.app.inject({ method: 'POST', url: '/v1/scheduler/run', headers: bearer(h.owner.secret) });
    expect(first.statusCode).toBe(200);
    const body = first.json<TickAnswer>();
    expect(body).toMatchObject({ dryRun: false, skipped: null, failures: [] });
    // Without a body it is a real tick: the key was rotated.
    expect(body.actions.map((a) => [a.type, a.keyId])).toEqual([['key.rotated', created.body.id]]);
    expect(body.startedAt).toBe(new Date(h.clock.now()).toISOString());
    expect(JSON.stringify(body)).not.toContain(created.body.key.slice(0, 20));
    const again = await call<TickAnswer>('POST', '/v1/scheduler/run', { dryRun: true });
    expect(again.body).toMatchObject({ dryRun: true, actions: [] });
    const bad = await call<Problem>('POST', '/v1/scheduler/run', { dryRun: 'yes' });
    expect(bad.status).toBe(400);
  });

  it('is refused to roles without scheduler:run and to other workspaces', async () => {
    for (const role of ['developer', 'auditor', 'read-only'] as const) {
      const r = await call<Problem>('POST', '/v1/scheduler/run', { dryRun: true }, await h.tokenFor(role));
      expect(r.status, role).toBe(403);
      expect(r.body.code).toBe('PERMISSION_DENIED');
    }
    expect((await call<TickAnswer>('POST', '/v1/scheduler/run', { dryRun: true }, await h.tokenFor('admin'))).status).toBe(200);
    const tenant = await h.services.workspaces.create({ tokenId: h.owner.record.id, workspaceId: h.workspaceId, role: 'owner' }, 'tenant');
    const r = await call<Problem>('POST', '/v1/scheduler/run', { dryRun: true }, tenant.ownerToken.secret);
    expect(r.status).toBe(403);
    expect(r.body.code).toBe('OPERATOR_ONLY');
  });
});
