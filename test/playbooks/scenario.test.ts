import { Webhook } from 'standardwebhooks';
import { afterEach, describe, expect, it } from 'vitest';
import { SHIPPED_PLAYBOOKS_DIR, loadPlaybooks } from '../../src/playbooks/playbook-files.ts';
import { bearer, makeHarness, type Harness } from '../support/harness.ts';
import { startReceiver, type Receiver } from '../webhooks/receiver.ts';

let h: Harness | undefined;
let rx: Receiver | undefined;

afterEach(async () => {
  await rx?.close();
  await h?.close();
});

// The scenario in one process (the detectors, the alert service, the playbook engine and
// the webhook worker as the server wires them; not the real server process).
describe('scenario: a key used normally, then hammered with bad signatures', () => {
  it('raises an alert, the compromise playbook suspends and rotates the key, signed webhooks reach the receiver, all audited', async () => {
    h = await makeHarness({ playbooks: loadPlaybooks(SHIPPED_PLAYBOOKS_DIR), webhooks: { allowedNetworks: ['127.0.0.1'] } });
    h.clock.t = Date.now();
    rx = await startReceiver();
    const ep = (await h.app.inject({ method: 'POST', url: '/v1/webhooks', headers: bearer(h.owner.secret), payload: { url: rx.url, events: ['alert.raised', 'key.suspended', 'key.rotated', 'playbook.notify', 'playbook.completed'] } })).json<{ secret: string }>();
    const created = await h.services.keys.create({ workspaceId: h.workspaceId, actor: { type: 'system', id: 't' } }, { name: 'svc', environment: 'test', scopes: ['prices:read'] });
    const key = { id: created.record.id, workspaceId: h.workspaceId, ownerId: null, createdAt: created.record.createdAt };
    for (let i = 0; i < 30; i += 1) {
      h.services.usage.record({ route: 'verify-api', code: 'VALID', ip: '198.51.100.7', workspaceId: h.workspaceId, key });
      h.clock.advance(1000);
    }
    await h.services.usage.flush();
    expect(await h.store.alerts.list(h.workspaceId, { limit: 10 })).toEqual([]);
    for (let i = 0; i < 8; i += 1) {
      h.services.usage.record({ route: 'verify-api', code: 'SIGNATURE_INVALID', ip: `203.0.113.${i + 1}`, workspaceId: h.workspaceId, key });
      h.clock.advance(500);
    }
    await h.services.usage.flush();
    const alerts = await h.store.alerts.list(h.workspaceId, { limit: 10 });
    expect(alerts.map((a) => `${a.type}:${a.severity}`)).toContain('bad-signature-burst:high');
    await h.services.playbooks.settled();

    const stored = await h.store.keys.findById(h.workspaceId, key.id);
    expect(stored?.status).toBe('suspended');
    expect(stored?.replacedById).not.toBeNull();

    expect((await h.services.webhookDispatcher.runOnce()).delivered).toBeGreaterThanOrEqual(5);
    const wh = new Webhook(ep.secret);
    const types = rx.received.map((r) => (wh.verify(r.body, { 'webhook-id': String(r.headers['webhook-id']), 'webhook-timestamp': String(r.headers['webhook-timestamp']), 'webhook-signature': String(r.headers['webhook-signature']) }) as { type: string }).type);
    for (const t of ['alert.raised', 'key.suspended', 'key.rotated', 'playbook.notify', 'playbook.completed']) expect(types).toContain(t);

    const actions = (await h.store.audit.list(h.workspaceId, { limit: 1000 })).map((e) => e.event.action);
    const order = ['alert.raised', 'playbook.started', 'key.suspended', 'key.rotated', 'playbook.notify', 'playbook.evidence', 'playbook.completed'].map((a) => actions.indexOf(a));
    expect(order.every((i) => i >= 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    // The audit log still verifies end to end.
    const cp = await h.services.audit.checkpoint(h.workspaceId);
    expect(cp?.treeSize).toBe(actions.length);
  });
});
