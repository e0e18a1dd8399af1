import { afterEach, describe, expect, it } from 'vitest';
import { SHIPPED_PLAYBOOKS_DIR, loadPlaybooks } from '../../src/playbooks/playbook-files.ts';
import { makeHarness, type Harness } from '../support/harness.ts';

let h: Harness | undefined;

afterEach(async () => {
  await h?.close();
  h = undefined;
});

// Found by the incident scenario (issue #6): one incident raises several high alerts on one key
// in the same drain (impossible travel for each far country, a bad-signature burst), and each
// fires key-compromise. The runs overlap; the one that lost the race used to fail with
// KEY_STATE_CONFLICT ("cannot suspend a suspended key") and audit playbook.failed.
describe('issue #6: key-compromise runs that overlap on one key', () => {
  it('both complete: the later one skips what the earlier did, and the key is suspended and rotated once', async () => {
    h = await makeHarness({ playbooks: loadPlaybooks(SHIPPED_PLAYBOOKS_DIR) });
    const hh = h;
    const created = await hh.services.keys.create({ workspaceId: hh.workspaceId, actor: { type: 'system', id: 't' } }, { name: 'svc', environment: 'test', scopes: ['prices:read'] });
    const target = { workspaceId: hh.workspaceId, keyId: created.record.id };
    const runs = await Promise.all([0, 1, 2].map(() => hh.services.playbooks.run('key-compromise', target, { actor: { type: 'system', id: 'playbook' } })));
    expect(runs.map((r) => [r.status, r.error])).toEqual([['completed', null], ['completed', null], ['completed', null]]);
    const stepStatus = (action: string): string[] => runs.map((r) => r.steps.find((s) => s.action === action)?.status ?? 'missing').sort();
    expect(stepStatus('suspend-key')).toEqual(['done', 'skipped', 'skipped']);
    expect(stepStatus('rotate-key')).toEqual(['done', 'skipped', 'skipped']);

    const stored = await hh.store.keys.findById(hh.workspaceId, created.record.id);
    expect(stored?.status).toBe('suspended');
    const actions = (await hh.store.audit.list(hh.workspaceId, { limit: 1000 })).map((e) => e.event.action);
    expect(actions.filter((a) => a === 'key.suspended')).toHaveLength(1);
    expect(actions.filter((a) => a === 'key.rotated')).toHaveLength(1);
    expect(actions.filter((a) => a === 'playbook.completed')).toHaveLength(3);
    expect(actions).not.toContain('playbook.failed');
    // Every skipped rotation names the one successor.
    const successors = new Set(runs.flatMap((r) => r.steps.filter((s) => s.action === 'rotate-key').map((s) => s.keyIds[1])));
    expect([...successors]).toEqual([stored?.replacedById]);
  });

  it('a conflict that is not the work already done still fails the run', async () => {
    h = await makeHarness({ playbooks: loadPlaybooks(SHIPPED_PLAYBOOKS_DIR) });
    const created = await h.services.keys.create({ workspaceId: h.workspaceId, actor: { type: 'system', id: 't' } }, { name: 'short', environment: 'test', scopes: ['prices:read'], ttlSeconds: 60 });
    h.clock.advance(61_000);
    const run = await h.services.playbooks.run('key-compromise', { workspaceId: h.workspaceId, keyId: created.record.id }, { actor: { type: 'system', id: 'playbook' } });
    expect(run.status).toBe('failed');
    expect(run.error).toMatchObject({ code: 'KEY_STATE_CONFLICT' });
  });
});
