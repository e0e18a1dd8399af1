import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startReceiver, type Receiver } from '../webhooks/receiver.ts';
import { cleanup, http, runNode, startServer, verifyKey, waitFor, type KeyCreated, type Server } from './process.ts';

const CLI = 'packages/clavis-cli/bin/clavis.js';

let server: Server;
let owner: string;
let receiver: Receiver;

interface Payload {
  type: string;
  data: Record<string, unknown> & { target: { id: string }; actor: { type: string; id: string } };
}

beforeAll(async () => {
  receiver = await startReceiver();
  // Ticks every second; webhooks may reach the receiver on this host.
  server = await startServer({ CLAVIS_SCHEDULER_INTERVAL_SECONDS: '1', CLAVIS_WEBHOOK_POLL_INTERVAL_SECONDS: '1', CLAVIS_WEBHOOK_ALLOWED_NETWORKS: '127.0.0.1' });
  owner = readFileSync(server.tokenFile, 'utf8').trim();
  const hook = await http(server.url, 'POST', '/v1/webhooks', { token: owner, body: { url: receiver.url, events: ['key.rotated', 'key.expiring_soon', 'key.quota_low'] } });
  expect(hook.status).toBe(201);
});

afterAll(async () => {
  await cleanup();
  await receiver.close();
});

function payloads(): Payload[] {
  return receiver.received.map((r) => JSON.parse(r.body) as Payload);
}

describe('the scheduler in a started server', () => {
  it('rotates a due key into the vault, sends lifecycle webhooks without the key, and answers run-once', async () => {
    // Lives one hour and two seconds with a one-hour grace: the rotation falls due two seconds in.
    const path = 'consumers/acme/clavis-key';
    const created = await http<KeyCreated>(server.url, 'POST', '/v1/keys', {
      token: owner,
      body: { name: 'acme', environment: 'test', scopes: ['prices:read'], ttlSeconds: 3602, rotation: { everyDays: 30, graceHours: 1, mode: 'vault', vaultPath: path } },
    });
    expect(created.status).toBe(201);
    const credits = await http<KeyCreated>(server.url, 'POST', '/v1/keys', { token: owner, body: { name: 'metered', environment: 'test', scopes: ['prices:read'], credits: { quota: 10, refill: 'daily' } } });
    for (let i = 0; i < 10; i += 1) expect((await verifyKey(server.url, owner, credits.body.key)).code).toBe('VALID');
    const shortLived = await http<KeyCreated>(server.url, 'POST', '/v1/keys', { token: owner, body: { name: 'short', environment: 'test', scopes: ['prices:read'], ttlSeconds: 86_400 } });

    const first = await waitFor(async () => {
      const r = await http<{ value: string; version: number }>(server.url, 'GET', `/v1/secrets/test/${path}`, { token: owner });
      return r.status === 200 ? r.body : undefined;
    }, 15_000, 200);
    expect(first.version).toBeGreaterThanOrEqual(1);
    // Every successor lives as long (an hour and two seconds) and so falls due two seconds after
    // its birth in turn: take the policy off whatever key carries it now, to stop the cycle.
    await waitFor(async () => {
      const keys = await http<{ data: (KeyCreated & { rotation: unknown })[] }>(server.url, 'GET', '/v1/keys?limit=100', { token: owner });
      const rotating = keys.body.data.filter((k) => k.rotation !== null && k.replacedById === null && k.status === 'active');
      for (const k of rotating) await http(server.url, 'PATCH', `/v1/keys/${k.id}`, { token: owner, body: { rotation: null } });
      return rotating.length === 0;
    }, 15_000, 100);

    // One key.rotated webhook per vault version, each for another key: no key rotated twice. (A
    // tick that read a key before the policy came off may still rotate it once: wait for quiet.)
    const { seen, secret } = await waitFor(async () => {
      const current = (await http<{ value: string; version: number }>(server.url, 'GET', `/v1/secrets/test/${path}`, { token: owner })).body;
      const all = payloads();
      const types = new Set(all.map((p) => p.type));
      const rotations = all.filter((p) => p.type === 'key.rotated').length;
      return types.has('key.expiring_soon') && types.has('key.quota_low') && rotations === current.version ? { seen: all, secret: current } : undefined;
    }, 15_000, 200);
    const successor = await verifyKey(server.url, owner, secret.value, 'prices:read');
    expect(successor).toMatchObject({ valid: true, code: 'VALID' });
    expect(successor.keyId).not.toBe(created.body.id);
    // The first key works through its grace.
    expect(await verifyKey(server.url, owner, created.body.key)).toMatchObject({ valid: true, code: 'VALID', keyId: created.body.id });
    const rotated = seen.filter((p) => p.type === 'key.rotated');
    expect(new Set(rotated.map((p) => p.data.target.id)).size).toBe(rotated.length);
    expect(rotated.find((p) => p.data.target.id === created.body.id)?.data).toMatchObject({ actor: { type: 'system', id: 'scheduler' }, target: { type: 'key', id: created.body.id } });
    expect(rotated.map((p) => p.data.successorId)).toContain(successor.keyId);
    expect(seen.find((p) => p.type === 'key.quota_low')?.data).toMatchObject({ target: { id: credits.body.id }, remaining: 0, quota: 10 });
    // Keys rotating into the vault expire within the week too, but get no notice: a successor takes over.
    expect(seen.filter((p) => p.type === 'key.expiring_soon').map((p) => p.data.target.id)).toEqual([shortLived.body.id]);
    // Signed like every delivery, and never carrying a key.
    for (const r of receiver.received) {
      expect(r.headers['webhook-signature']).toMatch(/^v1,/);
      expect(r.body).not.toContain(secret.value);
      expect(r.body).not.toContain(first.value);
      expect(r.body).not.toContain(created.body.key);
    }
    // The quota notice went out once, however many ticks ran meanwhile.
    expect(seen.filter((p) => p.type === 'key.quota_low')).toHaveLength(1);

    const dry = await runNode([CLI, 'scheduler', 'run-once', '--dry-run', '--json'], { CLAVIS_URL: server.url, CLAVIS_TOKEN: owner });
    expect(dry.code, dry.stderr).toBe(0);
    expect(JSON.parse(dry.stdout)).toMatchObject({ dryRun: true, actions: [], failures: [] });
    const text = await runNode([CLI, 'scheduler', 'run-once'], { CLAVIS_URL: server.url, CLAVIS_TOKEN: owner });
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/Nothing was due\.|another node holds the lease/);
  });
});
