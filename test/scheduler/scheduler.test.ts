import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ClavisError } from '../../src/core/errors/registry.ts';
import type { CreateKeyInput } from '../../src/core/keys/key-service.ts';
import type { ApiKeyRecord, AuditEvent } from '../../src/core/model.ts';
import { Scheduler } from '../../src/scheduler/scheduler.ts';
import { DAY_MS } from '../support/harness.ts';
import { makeWorld, type World } from './world.ts';

const HOUR_MS = 3_600_000;
const VAULT = { everyDays: 30, graceHours: 24, mode: 'vault' as const, vaultPath: 'consumers/acme/clavis-key' };

async function create(w: World, input: Partial<CreateKeyInput> = {}): Promise<{ record: ApiKeyRecord; secret: string }> {
  return w.services.keys.create(w.acting, { name: 'acme', environment: 'test', scopes: ['prices:read'], ...input });
}

async function events(w: World, action?: string): Promise<AuditEvent[]> {
  return (await w.store.audit.list(w.workspaceId, { limit: 10_000, ...(action === undefined ? {} : { action }) })).map((e) => e.event);
}

async function valid(w: World, key: string): Promise<string> {
  return (await w.services.verifier.verify({ key, workspaceId: w.workspaceId })).code;
}

function ed25519PublicKey(): string {
  const { publicKey } = generateKeyPairSync('ed25519');
  return publicKey.export({ format: 'der', type: 'spki' }).subarray(-32).toString('base64');
}

/** A key with a high-risk scope, as policy requires it (allowlist and signing). */
async function highRisk(w: World): Promise<ApiKeyRecord> {
  return (await create(w, { scopes: ['portfolio:trade'], ipAllowlist: ['203.0.113.0/24'], signing: { scheme: 'ed25519', publicKey: ed25519PublicKey() } })).record;
}

describe('vault rotation', () => {
  it('rotates a due key, writes the successor into the vault in the same commit, audits as system:scheduler, sends ids only', async () => {
    const w = await makeWorld();
    const { record: old, secret: oldSecret } = await create(w, { rotation: VAULT });
    expect((await w.services.scheduler.tick()).actions).toEqual([]);
    w.clock.advance(30 * DAY_MS - 1);
    expect((await w.services.scheduler.tick()).actions).toEqual([]);
    w.clock.advance(1);

    const report = await w.services.scheduler.tick();
    expect(report.failures).toEqual([]);
    expect(report.actions).toHaveLength(1);
    const [action] = report.actions;
    expect(action).toMatchObject({ type: 'key.rotated', workspaceId: w.workspaceId, keyId: old.id });
    const successorId = action?.successorId ?? '';

    // The vault holds the successor: it verifies, inherits the policy; the old key works 24 h more.
    const stored = await w.services.secrets.get(w.acting, { workspaceId: w.workspaceId, environment: 'test', path: VAULT.vaultPath });
    expect(stored.version).toBe(1);
    expect(stored.createdBy).toBe('scheduler');
    const verified = await w.services.verifier.verify({ key: stored.value, workspaceId: w.workspaceId });
    expect(verified).toMatchObject({ valid: true, code: 'VALID' });
    expect(verified.key?.id).toBe(successorId);
    const successor = await w.services.keys.get(w.workspaceId, successorId);
    expect(successor.rotation).toEqual(VAULT);
    expect(successor.replacesId).toBe(old.id);
    const previous = await w.services.keys.get(w.workspaceId, old.id);
    expect(previous.replacedById).toBe(successorId);
    expect(previous.expiresAt).toBe(w.clock.now() + 24 * HOUR_MS);
    expect(await valid(w, oldSecret)).toBe('VALID');
    w.clock.advance(24 * HOUR_MS);
    expect(await valid(w, oldSecret)).toBe('EXPIRED');

    const byScheduler = (await events(w)).filter((e) => e.actor.type === 'system' && e.actor.id === 'scheduler');
    expect(byScheduler.map((e) => e.action).sort()).toEqual(['key.created', 'key.rotated', 'secret.written']);
    expect(byScheduler.find((e) => e.action === 'secret.written')?.data).toMatchObject({ environment: 'test', path: VAULT.vaultPath, version: 1 });

    // Webhooks carry ids, never the key; no audit event holds it either.
    const deliveries = await w.webhooks();
    const rotated = deliveries.filter((d) => d.eventType === 'key.rotated');
    expect(rotated).toHaveLength(1);
    expect(JSON.parse(rotated[0]?.payload ?? '{}')).toMatchObject({ type: 'key.rotated', data: { target: { type: 'key', id: old.id }, successorId, actor: { type: 'system', id: 'scheduler' } } });
    for (const d of deliveries) expect(d.payload).not.toContain(stored.value);
    for (const e of await events(w)) expect(JSON.stringify(e)).not.toContain(stored.value);
  });

  it('is idempotent: a second tick (or a hundred) does nothing more, and the successor waits its own period', async () => {
    const w = await makeWorld();
    await create(w, { rotation: VAULT });
    w.clock.advance(30 * DAY_MS);
    expect((await w.services.scheduler.tick()).actions).toHaveLength(1);
    for (let i = 0; i < 3; i += 1) expect((await w.services.scheduler.tick()).actions).toEqual([]);
    expect(await events(w, 'key.rotated')).toHaveLength(1);
    expect((await w.services.secrets.versions({ workspaceId: w.workspaceId, environment: 'test', path: VAULT.vaultPath })).currentVersion).toBe(1);
    // Thirty days on, the successor rotates in its turn: version 2 of the same secret.
    w.clock.advance(30 * DAY_MS);
    const next = await w.services.scheduler.tick();
    expect(next.actions.map((a) => a.type)).toEqual(['key.rotated']);
    expect((await w.services.secrets.versions({ workspaceId: w.workspaceId, environment: 'test', path: VAULT.vaultPath })).currentVersion).toBe(2);
  });

  it('falls due graceHours before expiry when the key expires first; the successor gets the same lifetime', async () => {
    const w = await makeWorld();
    const { record } = await create(w, { rotation: { ...VAULT, everyDays: 90 }, ttlSeconds: 10 * 86_400 });
    w.clock.advance(9 * DAY_MS - 1);
    expect((await w.services.scheduler.tick()).actions).toEqual([]);
    w.clock.advance(1);
    const [action] = (await w.services.scheduler.tick()).actions;
    expect(action?.keyId).toBe(record.id);
    const successor = await w.services.keys.get(w.workspaceId, action?.successorId ?? '');
    expect(successor.expiresAt).toBe(w.clock.now() + 10 * DAY_MS);
    // The old key keeps its own expiry (the grace reaches it exactly).
    expect((await w.services.keys.get(w.workspaceId, record.id)).expiresAt).toBe(record.expiresAt);
  });

  it('leaves suspended, revoked and expired keys alone', async () => {
    const w = await makeWorld();
    const suspended = (await create(w, { rotation: VAULT })).record;
    await w.services.keys.suspend(w.acting, suspended.id);
    const revoked = (await create(w, { rotation: VAULT })).record;
    await w.services.keys.revoke(w.acting, revoked.id, 'gone');
    await create(w, { rotation: { ...VAULT, everyDays: 400 }, ttlSeconds: 40 * 86_400 });
    w.clock.advance(45 * DAY_MS);
    const report = await w.services.scheduler.tick();
    expect(report.actions).toEqual([]);
    expect(report.failures).toEqual([]);
  });

  it('fails whole when the keyring is sealed (no successor, no half rotation), and succeeds on a later tick', async () => {
    const w = await makeWorld();
    const { record } = await create(w, { rotation: VAULT });
    w.clock.advance(30 * DAY_MS);
    const provider = w.services.keyring.provider();
    w.services.keyring.seal('test: provider away');
    const failed = await w.services.scheduler.tick();
    expect(failed.actions).toEqual([]);
    expect(failed.failures).toEqual([expect.objectContaining({ type: 'key.rotated', keyId: record.id, error: expect.stringContaining('SEALED') as unknown })]);
    expect((await w.services.keys.get(w.workspaceId, record.id)).replacedById).toBeNull();
    expect((await w.services.keys.list(w.workspaceId, { limit: 10 })).length).toBe(1);
    expect(await events(w, 'key.rotated')).toEqual([]);
    w.services.keyring.unseal(provider);
    expect((await w.services.scheduler.tick()).actions.map((a) => a.type)).toEqual(['key.rotated']);
  });

  it('rolls the rotation back when another write took the vault version it prepared, then prepares again', async () => {
    const w = await makeWorld();
    const ref = { workspaceId: w.workspaceId, environment: 'test' as const, path: VAULT.vaultPath };
    await w.services.secrets.put(w.acting, ref, 'hand-written');
    await create(w, { rotation: VAULT });
    w.clock.advance(30 * DAY_MS);
    // A writer that lands between prepare and commit, once.
    const secrets = w.services.secrets;
    let raced = false;
    const racing: Pick<typeof secrets, 'prepareWrite' | 'commitWrite'> = {
      prepareWrite: async (r, v) => {
        const p = await secrets.prepareWrite(r, v);
        if (!raced) {
          raced = true;
          await secrets.put(w.acting, ref, 'another writer');
        }
        return p;
      },
      commitWrite: (tx, a, p) => secrets.commitWrite(tx, a, p),
    };
    const scheduler = new Scheduler({ store: w.store, keys: w.services.keys, secrets: racing, audit: w.services.audit, limiter: w.limiter, clock: w.clock, nodeId: 'racer', settings: { expiryNoticeDays: 0, quotaLowPercent: 0, highRiskIdleDays: 0, leaseMs: 60_000 } });
    const report = await scheduler.tick();
    expect(report.failures).toEqual([]);
    expect(report.actions.map((a) => a.type)).toEqual(['key.rotated']);
    const latest = await secrets.get(w.acting, ref);
    expect(latest.version).toBe(3);
    expect(await valid(w, latest.value)).toBe('VALID');
    // One successor only: the rolled-back attempt left nothing behind.
    expect((await w.services.keys.list(w.workspaceId, { limit: 10 })).length).toBe(2);
  });
});

describe('dry run', () => {
  it('reports what a tick would do and changes nothing', async () => {
    const w = await makeWorld();
    const vault = (await create(w, { rotation: VAULT })).record;
    const soon = (await create(w, { ttlSeconds: 35 * 86_400 })).record;
    w.clock.advance(30 * DAY_MS);
    const before = (await events(w)).length;
    const dry = await w.services.scheduler.tick({ dryRun: true });
    expect(dry.dryRun).toBe(true);
    expect(dry.actions.map((a) => [a.type, a.keyId])).toEqual([
      ['key.rotated', vault.id],
      ['key.expiring_soon', soon.id],
    ]);
    expect(dry.actions.every((a) => a.detail.startsWith('would: ') && a.successorId === null)).toBe(true);
    expect((await events(w)).length).toBe(before);
    expect(await w.store.scheduler.findLease('scheduler')).toBeNull();
    // The real tick does exactly that.
    const real = await w.services.scheduler.tick();
    expect(real.actions.map((a) => [a.type, a.keyId])).toEqual(dry.actions.map((a) => [a.type, a.keyId]));
    expect((await w.services.scheduler.tick({ dryRun: true })).actions).toEqual([]);
  });
});

describe('notify rotation', () => {
  it('sends key.rotation_due once per period until the owner rotates; the successor starts afresh', async () => {
    const w = await makeWorld();
    const { record } = await create(w, { rotation: { everyDays: 30, graceHours: 12, mode: 'notify' } });
    w.clock.advance(30 * DAY_MS);
    const first = await w.services.scheduler.tick();
    expect(first.actions.map((a) => [a.type, a.keyId])).toEqual([['key.rotation_due', record.id]]);
    expect((await w.services.scheduler.tick()).actions).toEqual([]);
    // Nothing is rotated: the owner does it.
    expect((await w.services.keys.get(w.workspaceId, record.id)).replacedById).toBeNull();
    w.clock.advance(30 * DAY_MS);
    expect((await w.services.scheduler.tick()).actions.map((a) => a.type)).toEqual(['key.rotation_due']);
    const notices = await events(w, 'key.rotation_due');
    expect(notices.map((e) => e.data.period)).toEqual([1, 2]);
    expect(notices[0]).toMatchObject({ actor: { type: 'system', id: 'scheduler' }, target: { type: 'key', id: record.id }, data: { everyDays: 30, name: 'acme', environment: 'test' } });
    const payloads = (await w.webhooks()).filter((d) => d.eventType === 'key.rotation_due');
    expect(payloads).toHaveLength(2);

    const rotated = await w.services.keys.rotate(w.acting, record.id, 3600);
    expect(rotated.record.rotation).toEqual({ everyDays: 30, graceHours: 12, mode: 'notify' });
    expect((await w.services.scheduler.tick()).actions).toEqual([]);
    w.clock.advance(30 * DAY_MS);
    expect((await w.services.scheduler.tick()).actions.map((a) => [a.type, a.keyId])).toEqual([['key.rotation_due', rotated.record.id]]);
  });
});

describe('expiring soon', () => {
  it('sends key.expiring_soon once per expiry, again for a new expiry, never for rotated or vault-rotated keys', async () => {
    const w = await makeWorld();
    const { record } = await create(w, { ttlSeconds: 10 * 86_400 });
    const rotatedAway = (await create(w, { ttlSeconds: 10 * 86_400 })).record;
    // Rotated a day later: the successor expires a day after the others (same lifetime).
    w.clock.advance(DAY_MS);
    const successor = (await w.services.keys.rotate(w.acting, rotatedAway.id, 40 * 86_400)).record;
    await create(w, { ttlSeconds: 9 * 86_400, rotation: { ...VAULT, everyDays: 365 } });
    w.clock.advance(2 * DAY_MS - 1);
    expect((await w.services.scheduler.tick()).actions).toEqual([]);
    w.clock.advance(1);
    const report = await w.services.scheduler.tick();
    // Not the replaced key (its successor takes over), not the key that rotates into the vault.
    expect(report.actions.map((a) => [a.type, a.keyId])).toEqual([['key.expiring_soon', record.id]]);
    w.clock.advance(DAY_MS);
    expect((await w.services.scheduler.tick()).actions.map((a) => [a.type, a.keyId])).toEqual([['key.expiring_soon', successor.id]]);
    expect((await w.services.scheduler.tick()).actions).toEqual([]);
    const [notice] = await events(w, 'key.expiring_soon');
    expect(notice?.data).toMatchObject({ expiresAt: new Date(record.expiresAt ?? 0).toISOString(), expiresInSeconds: 7 * 86_400, status: 'active', name: 'acme', start: record.start });

    // A new expiry is a new notice when it comes near.
    await w.services.keys.update(w.acting, record.id, { expiresAt: w.clock.now() + 20 * DAY_MS });
    expect((await w.services.scheduler.tick()).actions).toEqual([]);
    w.clock.advance(13 * DAY_MS);
    await w.services.keys.revoke(w.acting, successor.id, 'done with it');
    const again = (await w.services.scheduler.tick()).actions.filter((a) => a.keyId === record.id);
    expect(again.map((a) => a.type)).toEqual(['key.expiring_soon']);
    expect((await w.webhooks()).filter((d) => d.eventType === 'key.expiring_soon').map((d) => (JSON.parse(d.payload) as { data: { target: { id: string } } }).data.target.id)).toContain(record.id);
  });

  it('is off with expiryNoticeDays 0', async () => {
    const w = await makeWorld({ settings: { expiryNoticeDays: 0 } });
    await create(w, { ttlSeconds: 86_400 });
    expect((await w.services.scheduler.tick()).actions).toEqual([]);
  });
});

describe('quota low', () => {
  it('sends key.quota_low once per credit period when credits fall under the threshold', async () => {
    const w = await makeWorld();
    const credits = { quota: 100, refill: 'daily' as const };
    const { record } = await create(w, { credits });
    await w.limiter.consumeCredits(record.id, credits, 90, w.clock.now());
    // 10 of 100 left is 10 %: not below it.
    expect((await w.services.scheduler.tick()).actions).toEqual([]);
    await w.limiter.consumeCredits(record.id, credits, 1, w.clock.now());
    const report = await w.services.scheduler.tick();
    expect(report.actions.map((a) => [a.type, a.keyId])).toEqual([['key.quota_low', record.id]]);
    expect((await w.services.scheduler.tick()).actions).toEqual([]);
    const [notice] = await events(w, 'key.quota_low');
    expect(notice?.data).toMatchObject({ quota: 100, remaining: 9, refill: 'daily', thresholdPercent: 10, resetsAt: new Date(w.clock.now() + DAY_MS).toISOString() });
    // Peeking spent nothing.
    expect((await w.limiter.peekCredits(record.id, credits, w.clock.now())).remaining).toBe(9);

    // The next day the balance is full again; spent low again, a new notice.
    w.clock.advance(DAY_MS);
    expect((await w.services.scheduler.tick()).actions).toEqual([]);
    await w.limiter.consumeCredits(record.id, credits, 95, w.clock.now());
    expect((await w.services.scheduler.tick()).actions.map((a) => a.type)).toEqual(['key.quota_low']);
    expect((await w.webhooks()).filter((d) => d.eventType === 'key.quota_low')).toHaveLength(2);
  });

  it('never notices a zero quota (every request refused by design) and honours another threshold', async () => {
    const w = await makeWorld({ settings: { quotaLowPercent: 50 } });
    await create(w, { credits: { quota: 0, refill: 'none' } });
    const { record } = await create(w, { credits: { quota: 10, refill: 'none' } });
    await w.limiter.consumeCredits(record.id, { quota: 10, refill: 'none' }, 6, w.clock.now());
    expect((await w.services.scheduler.tick()).actions.map((a) => [a.type, a.keyId])).toEqual([['key.quota_low', record.id]]);
    w.clock.advance(400 * DAY_MS);
    expect((await w.services.scheduler.tick()).actions).toEqual([]);
  });
});

describe('idle high-risk keys', () => {
  it('suspends a high-risk key neither used nor changed for the limit, audited with a key.suspended webhook', async () => {
    const w = await makeWorld();
    const idle = await highRisk(w);
    const used = await highRisk(w);
    await create(w, { ttlSeconds: 300 * 86_400 });
    w.clock.advance(20 * DAY_MS);
    await w.store.usage.recordLastUse([{ keyId: used.id, workspaceId: w.workspaceId, at: w.clock.now(), ip: '203.0.113.9', country: null }]);
    w.clock.advance(10 * DAY_MS - 1);
    expect((await w.services.scheduler.tick()).actions).toEqual([]);
    w.clock.advance(1);
    const report = await w.services.scheduler.tick();
    expect(report.actions.map((a) => [a.type, a.keyId])).toEqual([['key.suspended', idle.id]]);
    expect((await w.services.keys.get(w.workspaceId, idle.id)).status).toBe('suspended');
    expect((await w.services.keys.get(w.workspaceId, used.id)).status).toBe('active');
    const [event] = await events(w, 'key.suspended');
    expect(event).toMatchObject({ actor: { type: 'system', id: 'scheduler' }, target: { id: idle.id } });
    expect(String(event?.data.reason)).toMatch(/unused for 30 days/);
    expect((await w.webhooks()).filter((d) => d.eventType === 'key.suspended')).toHaveLength(1);
    expect((await w.services.scheduler.tick()).actions).toEqual([]);

    // A resume is a change: the key gets a whole period again before it is suspended anew.
    await w.services.keys.resume(w.acting, idle.id);
    w.clock.advance(29 * DAY_MS);
    expect((await w.services.scheduler.tick()).actions.map((a) => a.keyId)).toEqual([used.id]);
    w.clock.advance(DAY_MS);
    expect((await w.services.scheduler.tick()).actions.map((a) => [a.type, a.keyId])).toEqual([['key.suspended', idle.id]]);
  });

  it('is off with highRiskIdleDays 0', async () => {
    const w = await makeWorld({ settings: { highRiskIdleDays: 0 } });
    await highRisk(w);
    w.clock.advance(100 * DAY_MS);
    expect((await w.services.scheduler.tick()).actions.filter((a) => a.type === 'key.suspended')).toEqual([]);
  });
});

describe('the lease', () => {
  it('lets one node act at a time, passes to another when the holder stops renewing, and at once when it releases', async () => {
    const a = await makeWorld({ nodeId: 'node-a' });
    const b = await makeWorld({ store: a.store, clock: a.clock, nodeId: 'node-b' });
    await create(a, { rotation: { everyDays: 1, graceHours: 1, mode: 'notify' } });
    a.clock.advance(DAY_MS);
    expect((await a.services.scheduler.tick()).actions).toHaveLength(1);
    const held = await b.services.scheduler.tick();
    expect(held.skipped).toMatch(/another node holds the lease \(node-a until /);
    expect(held.actions).toEqual([]);
    // node-a crashed (it never renews): node-b takes over when the lease runs out (180 s).
    a.clock.advance(180_000 - 1);
    expect((await b.services.scheduler.tick()).skipped).not.toBeNull();
    a.clock.advance(1);
    a.clock.advance(DAY_MS);
    const takeover = await b.services.scheduler.tick();
    expect(takeover.skipped).toBeNull();
    expect(takeover.actions.map((x) => x.type)).toEqual(['key.rotation_due']);
    expect((await a.services.scheduler.tick()).skipped).toMatch(/node-b/);
    await b.services.scheduler.release();
    expect((await a.services.scheduler.tick()).skipped).toBeNull();
  });
});

describe('policy validation', () => {
  it('refuses policies that cannot work, naming the field', async () => {
    const w = await makeWorld();
    const refused = async (rotation: CreateKeyInput['rotation'], extra: Partial<CreateKeyInput> = {}): Promise<string[]> => {
      const err: unknown = await create(w, { rotation, ...extra }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ClavisError);
      expect((err as ClavisError).code).toBe('VALIDATION_FAILED');
      return (err as ClavisError).errors.map((e) => e.field);
    };
    expect(await refused({ everyDays: 30, graceHours: 24, mode: 'vault' })).toEqual(['/body/rotation/vaultPath']);
    expect(await refused({ ...VAULT, vaultPath: '../etc/passwd' })).toEqual(['/body/rotation/vaultPath']);
    expect(await refused({ everyDays: 30, graceHours: 24, mode: 'notify', vaultPath: 'a/b' })).toEqual(['/body/rotation/vaultPath']);
    expect(await refused({ ...VAULT, everyDays: 1, graceHours: 24 })).toEqual(['/body/rotation/graceHours']);
    expect(await refused({ ...VAULT, everyDays: 0 })).toEqual(['/body/rotation/everyDays']);
    // A vault rotation falls due graceHours before expiry: the key must live longer than that.
    expect(await refused({ ...VAULT }, { ttlSeconds: 24 * 3600 })).toEqual(['/body/rotation/graceHours']);
    expect(await refused({ ...VAULT }, { signing: { scheme: 'hmac-sha256' } })).toEqual(['/body/rotation/mode']);
    // The same rules on update, against the key's other settings.
    const { record } = await create(w, { ttlSeconds: 3600 });
    await expect(w.services.keys.update(w.acting, record.id, { rotation: VAULT })).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    const ok = await w.services.keys.update(w.acting, record.id, { rotation: { everyDays: 7, graceHours: 0, mode: 'notify' } });
    expect(ok.record.rotation).toEqual({ everyDays: 7, graceHours: 0, mode: 'notify' });
    const [updated] = await events(w, 'key.updated');
    expect(updated?.data).toMatchObject({ changed: ['rotation'], rotation: { everyDays: 7, graceHours: 0, mode: 'notify' } });
    expect((await w.services.keys.update(w.acting, record.id, { rotation: null })).record.rotation).toBeNull();
  });
});

describe('runByHand', () => {
  it('is for the operator workspace only, and is audited there', async () => {
    const w = await makeWorld();
    const other = await w.services.workspaces.create({ tokenId: 'tok_test', workspaceId: w.workspaceId, role: 'owner' }, 'tenant');
    await expect(w.services.scheduler.runByHand({ workspaceId: other.workspace.id, actor: { type: 'token', id: 'tok_x' } }, { dryRun: true })).rejects.toMatchObject({ code: 'OPERATOR_ONLY' });
    const report = await w.services.scheduler.runByHand(w.acting, { dryRun: true });
    expect(report.dryRun).toBe(true);
    const [run] = await events(w, 'scheduler.run');
    expect(run).toMatchObject({ actor: w.acting.actor, target: null, data: { dryRun: true, actions: 0, failures: 0, skipped: null } });
  });
});

describe('settings', () => {
  it('refuses settings out of range', () => {
    const w = { store: null, keys: null, secrets: null, audit: null, limiter: null, clock: null } as unknown as ConstructorParameters<typeof Scheduler>[0];
    expect(() => new Scheduler({ ...w, nodeId: 'n', settings: { expiryNoticeDays: -1, quotaLowPercent: 10, highRiskIdleDays: 30, leaseMs: 1000 } })).toThrow(RangeError);
    expect(() => new Scheduler({ ...w, nodeId: 'n', settings: { expiryNoticeDays: 7, quotaLowPercent: 101, highRiskIdleDays: 30, leaseMs: 1000 } })).toThrow(RangeError);
    expect(() => new Scheduler({ ...w, nodeId: 'n', settings: { expiryNoticeDays: 7, quotaLowPercent: 10, highRiskIdleDays: 30, leaseMs: 0 } })).toThrow(RangeError);
  });
});
