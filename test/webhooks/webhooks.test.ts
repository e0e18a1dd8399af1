import { Webhook } from 'standardwebhooks';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { signWebhook } from '../../src/webhooks/standard-webhooks.ts';
import { WebhookDispatcher } from '../../src/webhooks/webhook-dispatcher.ts';
import { WebhookEgress } from '../../src/webhooks/webhook-egress.ts';
import { WebhookSecretBox } from '../../src/webhooks/webhook-secret-box.ts';
import { bearer, makeHarness, type Harness } from '../support/harness.ts';
import { startReceiver, type Receiver } from './receiver.ts';

interface Payload {
  type: string;
  timestamp: string;
  data: Record<string, unknown>;
}

let h: Harness;
let rx: Receiver;

/** The receivers of these tests listen on 127.0.0.1, which the egress filter refuses unless allowed. */
const LOOPBACK_ALLOWED = { allowedNetworks: ['127.0.0.1'] };

beforeEach(async () => {
  h = await makeHarness({ webhooks: LOOPBACK_ALLOWED });
  // standardwebhooks checks the timestamp against the real time (±5 minutes).
  h.clock.t = Date.now();
  rx = await startReceiver();
});

afterEach(async () => {
  await rx.close();
  await h.close();
});

async function addEndpoint(events: string[], url = rx.url): Promise<{ id: string; secret: string }> {
  const res = await h.app.inject({ method: 'POST', url: '/v1/webhooks', headers: bearer(h.owner.secret), payload: { url, events } });
  expect(res.statusCode, res.body).toBe(201);
  expect(res.headers['cache-control']).toBe('no-store');
  return res.json<{ id: string; secret: string }>();
}

async function createKey(name: string): Promise<{ id: string; key: string }> {
  const res = await h.app.inject({ method: 'POST', url: '/v1/keys', headers: bearer(h.owner.secret), payload: { name, environment: 'test', scopes: ['prices:read'] } });
  expect(res.statusCode, res.body).toBe(201);
  return res.json<{ id: string; key: string }>();
}

describe('webhook endpoints', () => {
  it('answers the whsec_ secret once, lists endpoints without it, stores it only encrypted, and audits create and delete', async () => {
    const created = await addEndpoint(['key.revoked']);
    expect(created.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    const list = await h.app.inject({ url: '/v1/webhooks', headers: bearer(h.owner.secret) });
    const listed = list.json<{ data: Record<string, unknown>[] }>().data;
    expect(listed).toHaveLength(1);
    expect(Object.keys(listed[0] ?? {}).sort()).toEqual(['createdAt', 'createdBy', 'events', 'id', 'url']);
    expect(listed[0]).toMatchObject({ id: created.id, url: rx.url, events: ['key.revoked'] });
    expect(list.body).not.toContain(created.secret.slice(6, 20));
    const row = await h.store.webhooks.findEndpoint(h.workspaceId, created.id);
    expect(row).not.toBeNull();
    const raw = Buffer.from(created.secret.slice(6), 'base64');
    expect(row?.ciphertext.includes(raw)).toBe(false);
    expect(row?.ciphertext.includes(Buffer.from(created.secret))).toBe(false);
    // The box opens it back to the same secret.
    if (row !== null) expect(await new WebhookSecretBox(h.store, h.services.keyring).open(row)).toBe(created.secret);

    const del = await h.app.inject({ method: 'DELETE', url: `/v1/webhooks/${created.id}`, headers: bearer(h.owner.secret) });
    expect(del.json()).toEqual({ deleted: true });
    const again = await h.app.inject({ method: 'DELETE', url: `/v1/webhooks/${created.id}`, headers: bearer(h.owner.secret) });
    expect(again.statusCode).toBe(404);
    expect(again.json<{ code: string }>().code).toBe('WEBHOOK_NOT_FOUND');
    const audit = await h.store.audit.list(h.workspaceId, { limit: 1000 });
    const actions = audit.map((e) => e.event.action);
    expect(actions).toContain('webhook.created');
    expect(actions).toContain('webhook.deleted');
    expect(JSON.stringify(audit)).not.toContain(created.secret);
  });

  it('refuses URLs that are not http(s) or carry credentials, and unknown event types', async () => {
    for (const url of ['ftp://example.com/x', 'https://user:pw@example.com/x', 'not a url']) {
      const res = await h.app.inject({ method: 'POST', url: '/v1/webhooks', headers: bearer(h.owner.secret), payload: { url, events: ['key.revoked'] } });
      expect(res.statusCode, url).toBe(400);
      expect(res.json<{ code: string }>().code).toBe('WEBHOOK_URL_INVALID');
    }
    const res = await h.app.inject({ method: 'POST', url: '/v1/webhooks', headers: bearer(h.owner.secret), payload: { url: rx.url, events: ['key.exploded'] } });
    expect(res.json<{ code: string }>().code).toBe('VALIDATION_FAILED');
  });
});

describe('webhook delivery', () => {
  it('delivers lifecycle and alert events signed in the Standard Webhooks format, with no secret in any payload', async () => {
    const ep = await addEndpoint(['key.created', 'key.rotated', 'key.revoked', 'alert.raised']);
    const key = await createKey('svc');
    const rotated = await h.app.inject({ method: 'POST', url: `/v1/keys/${key.id}/rotate`, headers: bearer(h.owner.secret), payload: {} });
    expect(rotated.statusCode, rotated.body).toBe(200);
    const successorSecret = rotated.json<{ key: string }>().key;
    await h.app.inject({ method: 'POST', url: `/v1/keys/${key.id}/suspend`, headers: bearer(h.owner.secret), payload: {} });
    await h.app.inject({ method: 'POST', url: `/v1/keys/${key.id}/revoke`, headers: bearer(h.owner.secret), payload: { reason: 'leaked' } });
    await h.services.alerts.raise({ type: 'bad-signature-burst', severity: 'high', workspaceId: h.workspaceId, keyId: key.id, dedupeKey: `bad-signature-burst:key:${key.id}`, summary: 'bad signatures', evidence: { ips: ['203.0.113.9'] }, at: h.clock.now() });

    expect(await h.services.webhookDispatcher.runOnce()).toEqual({ attempted: 5, delivered: 5 });
    const wh = new Webhook(ep.secret);
    const payloads = rx.received.map((r) => {
      expect(r.headers['content-type']).toBe('application/json');
      expect(String(r.headers['webhook-id'])).toMatch(/^msg_/);
      expect(String(r.headers['webhook-signature'])).toMatch(/^v1,/);
      return wh.verify(r.body, { 'webhook-id': String(r.headers['webhook-id']), 'webhook-timestamp': String(r.headers['webhook-timestamp']), 'webhook-signature': String(r.headers['webhook-signature']) }) as Payload;
    });
    // key.created twice (the key and its successor), rotated, revoked, alert — not key.suspended (not subscribed).
    expect(payloads.map((p) => p.type).sort()).toEqual(['alert.raised', 'key.created', 'key.created', 'key.revoked', 'key.rotated']);
    const revoked = payloads.find((p) => p.type === 'key.revoked');
    expect(revoked?.data).toMatchObject({ workspaceId: h.workspaceId, target: { type: 'key', id: key.id }, reason: 'leaked', status: 'revoked' });
    expect(payloads.find((p) => p.type === 'alert.raised')?.data).toMatchObject({ type: 'bad-signature-burst', severity: 'high', keyId: key.id });
    const all = rx.received.map((r) => r.body).join('\n');
    for (const secret of [key.key, successorSecret, ep.secret, ep.secret.slice(6)]) expect(all).not.toContain(secret);
    expect(all).not.toContain('"hash"');

    // A tampered body or another secret does not verify.
    const first = rx.received[0];
    if (first === undefined) throw new Error('nothing received');
    const headers = { 'webhook-id': String(first.headers['webhook-id']), 'webhook-timestamp': String(first.headers['webhook-timestamp']), 'webhook-signature': String(first.headers['webhook-signature']) };
    expect(() => wh.verify(`${first.body} `, headers)).toThrow();
    expect(() => new Webhook('whsec_' + Buffer.alloc(32, 1).toString('base64')).verify(first.body, headers)).toThrow();

    const log = await h.app.inject({ url: `/v1/webhooks/${ep.id}/deliveries?limit=2`, headers: bearer(h.owner.secret) });
    const page = log.json<{ data: { status: string; attempts: number; lastStatusCode: number; nextAttemptAt: string | null }[]; nextCursor: string | null }>();
    expect(page.data).toHaveLength(2);
    expect(page.data[0]).toMatchObject({ status: 'delivered', attempts: 1, lastStatusCode: 200, nextAttemptAt: null });
    expect(page.nextCursor).not.toBeNull();
    // A second pass has nothing to send.
    expect(await h.services.webhookDispatcher.runOnce()).toEqual({ attempted: 0, delivered: 0 });
  });

  it('signs exactly as the standardwebhooks package expects (fixed vector)', () => {
    const secret = `whsec_${Buffer.alloc(32, 7).toString('base64')}`;
    const ts = Math.floor(Date.now() / 1000);
    const headers = signWebhook(secret, 'msg_1', ts, '{"a":1}');
    expect(headers['webhook-signature']).toBe(new Webhook(secret).sign('msg_1', new Date(ts * 1000), '{"a":1}'));
  });

  it('retries a failed attempt after the backoff, and gives up after the last attempt', async () => {
    const ep = await addEndpoint(['key.created']);
    const dispatcher = new WebhookDispatcher({ store: h.store, box: new WebhookSecretBox(h.store, h.services.keyring), clock: h.clock, nodeId: 'n1', maxAttempts: 3, backoffMs: [1000, 5000], egress: new WebhookEgress(LOOPBACK_ALLOWED) });
    rx.statuses.push(500, 503, 500, 500);
    await createKey('a');
    expect(await dispatcher.runOnce()).toEqual({ attempted: 1, delivered: 0 });
    const [d1] = await h.store.webhooks.listDeliveries(h.workspaceId, ep.id, { limit: 10 });
    expect(d1).toMatchObject({ status: 'pending', attempts: 1, lastStatusCode: 500, lastError: 'HTTP 500', nextAttemptAt: h.clock.now() + 1000, leaseOwner: null });
    // Not due yet.
    expect(await dispatcher.runOnce()).toEqual({ attempted: 0, delivered: 0 });
    h.clock.advance(1000);
    expect(await dispatcher.runOnce()).toEqual({ attempted: 1, delivered: 0 });
    h.clock.advance(5000);
    expect(await dispatcher.runOnce()).toEqual({ attempted: 1, delivered: 0 });
    const [d3] = await h.store.webhooks.listDeliveries(h.workspaceId, ep.id, { limit: 10 });
    expect(d3).toMatchObject({ status: 'failed', attempts: 3, lastStatusCode: 500 });
    h.clock.advance(60_000);
    expect(await dispatcher.runOnce()).toEqual({ attempted: 0, delivered: 0 });
    expect(rx.received).toHaveLength(3);
    // Every attempt of a message carries the same webhook-id.
    expect(new Set(rx.received.map((r) => r.headers['webhook-id'])).size).toBe(1);

    // A second message: a 503 then success on the retry.
    rx.statuses.length = 0;
    rx.statuses.push(503);
    await createKey('b');
    await dispatcher.runOnce();
    h.clock.advance(1000);
    expect(await dispatcher.runOnce()).toEqual({ attempted: 1, delivered: 1 });
  });

  it('records an unreachable receiver as an error and does not follow redirects', async () => {
    await rx.close();
    const ep = await addEndpoint(['key.created'], 'http://127.0.0.1:9/unreachable');
    await createKey('a');
    expect(await h.services.webhookDispatcher.runOnce()).toEqual({ attempted: 1, delivered: 0 });
    const [d] = await h.store.webhooks.listDeliveries(h.workspaceId, ep.id, { limit: 1 });
    expect(d?.lastStatusCode).toBeNull();
    expect(d?.lastError).toMatch(/fetch failed/);
    rx = await startReceiver();
    rx.statuses.push(302);
    const ep2 = await addEndpoint(['key.created']);
    await createKey('b');
    await h.services.webhookDispatcher.runOnce();
    const [d2] = await h.store.webhooks.listDeliveries(h.workspaceId, ep2.id, { limit: 1 });
    expect(d2).toMatchObject({ status: 'pending', lastStatusCode: 302 });
  });

  it('two nodes sharing the store deliver each message once (leases)', async () => {
    await addEndpoint(['key.created']);
    for (let i = 0; i < 10; i += 1) await createKey(`k${i}`);
    const box = new WebhookSecretBox(h.store, h.services.keyring);
    const egress = new WebhookEgress(LOOPBACK_ALLOWED);
    const a = new WebhookDispatcher({ store: h.store, box, clock: h.clock, nodeId: 'a', batch: 4, egress });
    const b = new WebhookDispatcher({ store: h.store, box, clock: h.clock, nodeId: 'b', batch: 4, egress });
    let total = 0;
    for (let round = 0; round < 5; round += 1) {
      // Each node leases at most 4 per pass; concurrent passes never share a message.
      const runs = await Promise.all([a.runOnce(), b.runOnce()]);
      total += runs.reduce((n, r) => n + r.delivered, 0);
    }
    expect(total).toBe(10);
    expect(new Set(rx.received.map((r) => r.headers['webhook-id'])).size).toBe(10);
    expect(rx.received).toHaveLength(10);
  });

  it('queues nothing for a change that rolled back, and nothing for another workspace', async () => {
    await addEndpoint(['key.revoked']);
    const key = await createKey('a');
    await h.app.inject({ method: 'POST', url: `/v1/keys/${key.id}/revoke`, headers: bearer(h.owner.secret), payload: { reason: 'x' } });
    // Revoking again fails inside the transaction: no event, no delivery.
    const twice = await h.app.inject({ method: 'POST', url: `/v1/keys/${key.id}/revoke`, headers: bearer(h.owner.secret), payload: { reason: 'x' } });
    expect(twice.statusCode).toBe(409);
    const other = await h.services.workspaces.create({ workspaceId: h.workspaceId, tokenId: h.owner.record.id, role: 'owner' }, 'other');
    const otherKey = await h.services.keys.create({ workspaceId: other.workspace.id, actor: { type: 'token', id: 'tok_x' } }, { name: 'o', environment: 'test', scopes: ['prices:read'] });
    await h.services.keys.revoke({ workspaceId: other.workspace.id, actor: { type: 'token', id: 'tok_x' } }, otherKey.record.id, 'x');
    expect(await h.services.webhookDispatcher.runOnce()).toEqual({ attempted: 1, delivered: 1 });
  });
});

describe('webhook secrets and the master keyring', () => {
  it('moves endpoint secrets on rewrap, counts them at retire, and still signs afterwards', async () => {
    const ep = await addEndpoint(['key.created']);
    const acting = { workspaceId: h.workspaceId, actor: { type: 'token' as const, id: h.owner.record.id } };
    await h.services.keyringAdmin.rotate(acting);
    // Retiring version 1 before a rewrap would strand the endpoint's secret.
    await expect(h.services.keyringAdmin.retire(acting, 2)).rejects.toMatchObject({ code: 'RETIRE_BLOCKED' });
    await h.services.keyringAdmin.rewrap(acting);
    expect((await h.store.webhooks.findEndpoint(h.workspaceId, ep.id))?.keyVersion).toBe(2);
    await h.services.keyringAdmin.retire(acting, 2);
    await createKey('after');
    expect(await h.services.webhookDispatcher.runOnce()).toEqual({ attempted: 1, delivered: 1 });
    const r = rx.received[0];
    if (r === undefined) throw new Error('nothing received');
    expect(() => new Webhook(ep.secret).verify(r.body, { 'webhook-id': String(r.headers['webhook-id']), 'webhook-timestamp': String(r.headers['webhook-timestamp']), 'webhook-signature': String(r.headers['webhook-signature']) })).not.toThrow();
  });
});
