import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Webhook } from 'standardwebhooks';
import { signRequest } from '@clavis/sdk/signing';
import { afterEach, describe, expect, it } from 'vitest';
import type { AlertType } from '../../src/monitor/thresholds.ts';
import { SHIPPED_PLAYBOOKS_DIR, loadPlaybooks } from '../../src/playbooks/playbook-files.ts';
import { PlaybookError, parsePlaybook, type Playbook } from '../../src/playbooks/playbook.ts';
import { bearer, makeHarness, type Harness } from '../support/harness.ts';
import { startReceiver, type Receiver } from '../webhooks/receiver.ts';
import { startServer, type TestServer } from '../cli/harness.ts';

const shipped = loadPlaybooks(SHIPPED_PLAYBOOKS_DIR);
let h: Harness | undefined;
let rx: Receiver | undefined;
let server: TestServer | undefined;

afterEach(async () => {
  await rx?.close();
  await h?.close();
  await server?.close();
  h = undefined;
  rx = undefined;
  server = undefined;
});

async function harness(playbooks: readonly Playbook[] = shipped): Promise<Harness> {
  // The receiver listens on 127.0.0.1, which the webhook egress filter refuses unless allowed.
  h = await makeHarness({ playbooks, webhooks: { allowedNetworks: ['127.0.0.1'] } });
  h.clock.t = Date.now();
  return h;
}

async function createKey(hh: Harness, name: string, over: Record<string, unknown> = {}): Promise<{ id: string; key: string }> {
  const res = await hh.app.inject({ method: 'POST', url: '/v1/keys', headers: bearer(hh.owner.secret), payload: { name, environment: 'test', scopes: ['prices:read'], ...over } });
  expect(res.statusCode, res.body).toBe(201);
  return res.json<{ id: string; key: string }>();
}

async function actions(hh: Harness): Promise<string[]> {
  return (await hh.store.audit.list(hh.workspaceId, { limit: 1000 })).map((e) => e.event.action);
}

describe('playbook files', () => {
  it('ships key-compromise and personnel-offboarding, valid', () => {
    expect(shipped.map((p) => p.name)).toEqual(['key-compromise', 'personnel-offboarding']);
    expect(shipped[0]?.steps.map((s) => s.action)).toEqual(['suspend-key', 'rotate-key', 'notify-webhook', 'snapshot-evidence']);
    expect(shipped[0]?.trigger).toMatchObject({ type: 'alert', minSeverity: 'high' });
    expect(shipped[1]?.trigger).toEqual({ type: 'manual' });
  });

  it('refuses bad JSON, unknown fields and actions, bad triggers, and a file not named after its playbook', () => {
    const ok = { name: 'x', description: 'd', trigger: { type: 'manual' }, steps: [{ action: 'snapshot-evidence' }] };
    expect(parsePlaybook(JSON.stringify(ok), 'x.json').name).toBe('x');
    const bad: [unknown, RegExp][] = [
      ['{', /not valid JSON/],
      [{ ...ok, extra: 1 }, /Unrecognized key/],
      [{ ...ok, steps: [{ action: 'delete-everything' }] }, /\/steps\/0\/action/],
      [{ ...ok, steps: [{ action: 'revoke-key' }] }, /\/steps\/0\/reason/],
      [{ ...ok, steps: [{ action: 'suspend-key', resaon: 'typo' }] }, /Unrecognized key/],
      [{ ...ok, steps: [] }, /\/steps/],
      [{ ...ok, trigger: { type: 'alert', alertTypes: ['nope'], minSeverity: 'high' } }, /\/trigger\/alertTypes\/0/],
      [{ ...ok, trigger: { type: 'alert', alertTypes: ['rate-spike'], minSeverity: 'urgent' } }, /\/trigger\/minSeverity/],
    ];
    for (const [value, message] of bad) expect(() => parsePlaybook(typeof value === 'string' ? value : JSON.stringify(value), 'x.json')).toThrow(message);
    const dir = mkdtempSync(join(tmpdir(), 'clavis-playbooks-'));
    try {
      writeFileSync(join(dir, 'y.json'), JSON.stringify(ok));
      expect(() => loadPlaybooks(dir)).toThrow(PlaybookError);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('running playbooks', () => {
  it('key-compromise: suspends, rotates, notifies by signed webhook and snapshots evidence, every step audited', async () => {
    const hh = await harness();
    rx = await startReceiver();
    const ep = (await hh.app.inject({ method: 'POST', url: '/v1/webhooks', headers: bearer(hh.owner.secret), payload: { url: rx.url, events: ['playbook.notify', 'playbook.completed', 'key.rotated'] } })).json<{ secret: string }>();
    const key = await createKey(hh, 'svc');
    const res = await hh.app.inject({ method: 'POST', url: '/v1/playbooks/key-compromise/run', headers: bearer(hh.owner.secret), payload: { keyId: key.id } });
    expect(res.statusCode, res.body).toBe(200);
    const run = res.json<{ status: string; steps: { action: string; status: string; keyIds: string[] }[]; newKeySecret: string | null }>();
    expect(run.status).toBe('completed');
    expect(run.steps.map((s) => `${s.action}:${s.status}`)).toEqual(['suspend-key:done', 'rotate-key:done', 'notify-webhook:done', 'snapshot-evidence:done']);
    expect(run.newKeySecret).toMatch(/^clv_test_/);
    expect(res.json<{ newKeySigningSecret: string | null }>().newKeySigningSecret).toBeNull();
    const stored = await hh.store.keys.findById(hh.workspaceId, key.id);
    expect(stored).toMatchObject({ status: 'suspended' });
    expect(stored?.replacedById).toBe(run.steps[1]?.keyIds[1]);
    const acts = await actions(hh);
    for (const a of ['playbook.started', 'key.suspended', 'key.rotated', 'playbook.notify', 'playbook.evidence', 'playbook.completed']) expect(acts).toContain(a);
    expect(acts.filter((a) => a === 'playbook.step')).toHaveLength(4);
    const all = JSON.stringify(await hh.store.audit.list(hh.workspaceId, { limit: 1000 }));
    expect(all).not.toContain(run.newKeySecret ?? 'x');

    await hh.services.webhookDispatcher.runOnce();
    const wh = new Webhook(ep.secret);
    const types = rx.received.map((r) => (wh.verify(r.body, { 'webhook-id': String(r.headers['webhook-id']), 'webhook-timestamp': String(r.headers['webhook-timestamp']), 'webhook-signature': String(r.headers['webhook-signature']) }) as { type: string }).type);
    expect(types.sort()).toEqual(['key.rotated', 'playbook.completed', 'playbook.notify']);
    expect(rx.received.map((r) => r.body).join('')).not.toContain(run.newKeySecret ?? 'x');
  });

  it('a manual rotation of an HMAC-signing key shows the successor its signing secret once, and the successor signs with it', async () => {
    const hh = await harness();
    const key = await createKey(hh, 'hmac', { signing: { scheme: 'hmac-sha256' } });
    const res = await hh.app.inject({ method: 'POST', url: '/v1/playbooks/key-compromise/run', headers: bearer(hh.owner.secret), payload: { keyId: key.id } });
    expect(res.statusCode, res.body).toBe(200);
    const run = res.json<{ status: string; newKeySecret: string | null; newKeySigningSecret: string | null }>();
    expect(run.status).toBe('completed');
    expect(Buffer.from(run.newKeySigningSecret ?? '', 'base64')).toHaveLength(32);
    const successor = run.newKeySecret ?? '';
    const url = '/v1/prices';
    const headers = signRequest({ key: successor, signer: { scheme: 'hmac-sha256', secret: run.newKeySigningSecret ?? '' }, method: 'GET', url, timestamp: hh.clock.now() });
    const verify = await hh.app.inject({
      method: 'POST',
      url: '/v1/keys/verify',
      headers: bearer(hh.owner.secret),
      payload: { key: successor, scope: 'prices:read', signature: { method: 'GET', url, timestamp: Number(headers['x-clavis-timestamp']), nonce: headers['x-clavis-nonce'], signature: headers['x-clavis-signature'], bodySha256: createHash('sha256').update('').digest('hex') } },
    });
    expect(verify.json<{ code: string }>().code).toBe('VALID');
    expect(JSON.stringify(await hh.store.audit.list(hh.workspaceId, { limit: 1000 }))).not.toContain(run.newKeySigningSecret ?? 'x');
  });

  it('a dry run changes nothing and audits nothing', async () => {
    const hh = await harness();
    const key = await createKey(hh, 'svc');
    const before = await actions(hh);
    const res = await hh.app.inject({ method: 'POST', url: '/v1/playbooks/key-compromise/run', headers: bearer(hh.owner.secret), payload: { keyId: key.id, dryRun: true } });
    expect(res.json()).toMatchObject({ status: 'planned', dryRun: true, newKeySecret: null, steps: [{ status: 'planned', detail: `suspend ${key.id}` }, { status: 'planned' }, { status: 'planned' }, { status: 'planned' }] });
    expect(await actions(hh)).toEqual(before);
    expect((await hh.store.keys.findById(hh.workspaceId, key.id))?.status).toBe('active');
  });

  it('stops at the first failed step and reports it (audited playbook.failed)', async () => {
    const failing: Playbook = { name: 'rotate-then-notify', description: 'd', trigger: { type: 'manual' }, steps: [{ action: 'snapshot-evidence' }, { action: 'rotate-key', gracePeriodSeconds: 60 }, { action: 'notify-webhook', message: 'm' }] };
    const hh = await harness([failing]);
    const key = await createKey(hh, 'short', { ttlSeconds: 60 });
    hh.clock.advance(120_000);
    const res = await hh.app.inject({ method: 'POST', url: '/v1/playbooks/rotate-then-notify/run', headers: bearer(hh.owner.secret), payload: { keyId: key.id } });
    const run = res.json<{ status: string; steps: { status: string }[]; error: { code: string; message: string } }>();
    expect(run.status).toBe('failed');
    expect(run.steps.map((s) => s.status)).toEqual(['done', 'failed']);
    expect(run.error).toMatchObject({ code: 'KEY_STATE_CONFLICT' });
    expect(run.error.message).toMatch(/step 2 \(rotate-key\) failed/);
    const acts = await actions(hh);
    expect(acts).toContain('playbook.failed');
    expect(acts).not.toContain('playbook.notify');
  });

  it('refuses a missing target or an unknown playbook', async () => {
    const hh = await harness();
    const noKey = await hh.app.inject({ method: 'POST', url: '/v1/playbooks/key-compromise/run', headers: bearer(hh.owner.secret), payload: {} });
    expect(noKey.json<{ code: string }>().code).toBe('PLAYBOOK_TARGET_MISSING');
    const unknown = await hh.app.inject({ method: 'POST', url: '/v1/playbooks/nope/run', headers: bearer(hh.owner.secret), payload: {} });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json<{ code: string }>().code).toBe('PLAYBOOK_NOT_FOUND');
  });

  it('fires on a new alert at or above its severity, not below, and not on a repeat', async () => {
    const hh = await harness();
    const a = await createKey(hh, 'a');
    const b = await createKey(hh, 'b');
    const raise = (keyId: string, severity: 'medium' | 'high', type: AlertType = 'bad-signature-burst') =>
      hh.services.alerts.raise({ type, severity, workspaceId: hh.workspaceId, keyId, dedupeKey: `${type}:key:${keyId}`, summary: 's', evidence: { ips: ['203.0.113.9'] }, at: hh.clock.now() });
    await raise(b.id, 'medium', 'scope-denial-burst');
    await raise(a.id, 'high');
    await hh.services.playbooks.settled();
    expect((await hh.store.keys.findById(hh.workspaceId, a.id))?.status).toBe('suspended');
    expect((await hh.store.keys.findById(hh.workspaceId, b.id))?.status).toBe('active');
    const runs = (await hh.store.audit.list(hh.workspaceId, { action: 'playbook.started', limit: 100 })).map((e) => e.event);
    expect(runs).toHaveLength(1);
    expect(runs[0]?.actor).toEqual({ type: 'system', id: 'playbook' });
    // The same alert again (an occurrence) does not run it twice.
    await raise(a.id, 'high');
    await hh.services.playbooks.settled();
    expect(await hh.store.audit.list(hh.workspaceId, { action: 'playbook.started', limit: 100 })).toHaveLength(1);
  });

  it('the compromise hook (leak reports, scans) runs key-compromise on an already revoked key: skips, notifies, snapshots', async () => {
    const hh = await harness();
    const key = await createKey(hh, 'leaked');
    await hh.services.keys.revoke({ workspaceId: hh.workspaceId, actor: { type: 'system', id: 'leaks' } }, key.id, 'leaked');
    await hh.services.playbooks.keyCompromised({ keyId: key.id, workspaceId: hh.workspaceId, source: 'leak-report', where: 'https://paste.example/1', action: 'revoked' });
    const steps = (await hh.store.audit.list(hh.workspaceId, { action: 'playbook.step', limit: 100 })).map((e) => `${String(e.event.data.action)}:${String(e.event.data.status)}`);
    expect(steps).toEqual(['suspend-key:skipped', 'rotate-key:skipped', 'notify-webhook:done', 'snapshot-evidence:done']);
  });
});

describe('clavis playbook', () => {
  it('run personnel-offboarding --owner: dry run lists the keys, the run revokes only that owner\'s keys', async () => {
    server = await startServer({ playbooks: shipped });
    const ctx = { workspaceId: server.workspaceId, actor: { type: 'system' as const, id: 't' } };
    const mk = (name: string, ownerId: string) => server?.services.keys.create(ctx, { name, environment: 'test', scopes: ['prices:read'], ownerId });
    const a1 = await mk('a1', 'alice');
    const a2 = await mk('a2', 'alice');
    const b1 = await mk('b1', 'bob');
    const dry = await server.cli(['playbook', 'run', 'personnel-offboarding', '--owner', 'alice', '--dry-run']);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toContain('Dry run of playbook personnel-offboarding');
    expect(dry.stdout).toContain(`revoke 2 key(s) of owner alice`);
    expect((await server.services.keys.get(server.workspaceId, a1?.record.id ?? '')).status).toBe('active');
    const ran = await server.cli(['playbook', 'run', 'personnel-offboarding', '--owner', 'alice', '--json']);
    expect(ran.code, ran.stderr).toBe(0);
    expect(JSON.parse(ran.stdout)).toMatchObject({ status: 'completed' });
    for (const k of [a1, a2]) expect((await server.services.keys.get(server.workspaceId, k?.record.id ?? '')).status).toBe('revoked');
    expect((await server.services.keys.get(server.workspaceId, b1?.record.id ?? '')).status).toBe('active');
    const list = await server.cli(['playbook', 'list']);
    expect(list.stdout).toContain('key-compromise');
    const missing = await server.cli(['playbook', 'run', 'key-compromise']);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toContain('PLAYBOOK_TARGET_MISSING');
  });
});
