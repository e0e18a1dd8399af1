import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, createKey, http, listAll, startServer, verifyKey, type ApiKey, type AuditEvent, type Checkpoints, type KeyCreated } from './process.ts';

const COUNT = 50;
/** Events of the first start: workspace.created and token.created. */
const BOOTSTRAP_EVENTS = 2;

afterEach(cleanup);

describe('crash durability (SQLite, synchronous=full)', () => {
  it('every acknowledged key survives a SIGKILL right after the last answer', async () => {
    const first = await startServer();
    const token = readFileSync(first.tokenFile, 'utf8').trim();

    const created: KeyCreated[] = [];
    for (let i = 0; i < COUNT; i++) created.push(await createKey(first.url, token, `crash ${i}`));
    // No request, no shut-down hook, no checkpoint: the process dies right after the 50th 201.
    const exit = await first.kill9();
    expect(exit.signal).toBe('SIGKILL');
    expect(created).toHaveLength(COUNT);

    const second = await startServer({}, { dataDir: first.dataDir });
    expect(second.stdout.join('\n')).not.toMatch(/First start/);

    const listed = await listAll<ApiKey>(second.url, '/v1/keys?limit=200', token);
    const byId = new Map(listed.map((k) => [k.id, k]));
    for (const k of created) {
      expect(byId.get(k.id)?.status, k.id).toBe('active');
    }
    expect(listed).toHaveLength(COUNT);

    const verdicts = await Promise.all(created.map((k) => verifyKey(second.url, token, k.key, 'prices:read')));
    verdicts.forEach((v, i) => expect(v, created[i]?.id).toMatchObject({ valid: true, code: 'VALID', keyId: created[i]?.id }));

    const cps = await http<Checkpoints>(second.url, 'GET', '/v1/audit/checkpoints', { token });
    expect(cps.status).toBe(200);
    expect(cps.body.treeSize).toBe(BOOTSTRAP_EVENTS + COUNT);

    const events = await listAll<AuditEvent>(second.url, '/v1/audit/events?action=key.created&limit=1000', token);
    expect(events.map((e) => e.target?.id).sort()).toEqual(created.map((k) => k.id).sort());
  });

  it('also when the 50 creates arrive at once, and the log has no gap or duplicate', async () => {
    const first = await startServer();
    const token = readFileSync(first.tokenFile, 'utf8').trim();

    const created = await Promise.all(Array.from({ length: COUNT }, (_, i) => createKey(first.url, token, `burst ${i}`)));
    await first.kill9();

    const second = await startServer({}, { dataDir: first.dataDir });
    const listed = await listAll<ApiKey>(second.url, '/v1/keys?limit=200', token);
    expect(listed.map((k) => k.id).sort()).toEqual(created.map((k) => k.id).sort());
    const verdicts = await Promise.all(created.map((k) => verifyKey(second.url, token, k.key)));
    expect(verdicts.every((v) => v.code === 'VALID')).toBe(true);

    const cps = await http<Checkpoints>(second.url, 'GET', '/v1/audit/checkpoints', { token });
    expect(cps.body.treeSize).toBe(BOOTSTRAP_EVENTS + COUNT);
    const events = await listAll<AuditEvent>(second.url, '/v1/audit/events?limit=1000', token);
    expect(events.map((e) => e.seq)).toEqual(Array.from({ length: BOOTSTRAP_EVENTS + COUNT }, (_, i) => i));
    expect(events.filter((e) => e.action === 'key.created')).toHaveLength(COUNT);
  });
});
