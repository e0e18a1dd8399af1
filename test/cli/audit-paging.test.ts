import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseJson, runCli, startServer, type TestServer } from './harness.ts';

let server: TestServer;
let dir: string;

beforeAll(async () => {
  server = await startServer();
  dir = await mkdtemp(join(tmpdir(), 'clavis-cli-paging-'));
});

afterAll(async () => {
  await server.close();
  await rm(dir, { recursive: true, force: true });
});

async function addKey(name: string): Promise<void> {
  await server.services.keys.create({ workspaceId: server.workspaceId, actor: { type: 'system', id: 'test' } }, { name, environment: 'dev', scopes: ['prices:read'] });
}

describe('clavis audit export across pages', () => {
  it('pages back through more than 1000 checkpoints and events', { timeout: 120_000 }, async () => {
    // One checkpoint per event: the checkpoint list and the event list both span two pages.
    for (let i = 0; i < 1005; i++) {
      await addKey(`bulk-${i}`);
      await server.services.audit.checkpoint(server.workspaceId);
    }
    const path = join(dir, 'big.jsonl');
    const r = await server.cli(['audit', 'export', '--out', path, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const summary = parseJson<{ events: number; checkpoints: number; treeSize: number; selfCheck: string }>(r);
    expect(summary.events).toBe(summary.treeSize);
    expect(summary.events).toBeGreaterThan(1000);
    expect(summary.checkpoints).toBeGreaterThan(1000);
    expect(summary.selfCheck).toBe('ok');

    const lines = (await readFile(path, 'utf8')).trimEnd().split('\n');
    expect(lines.filter((l) => l.startsWith('{"type":"checkpoint"'))).toHaveLength(summary.checkpoints);
    const verified = await runCli(['audit', 'verify', path, '--json'], { env: {} });
    expect(verified.code).toBe(0);
    expect(parseJson<{ checkpoints: number }>(verified).checkpoints).toBe(summary.checkpoints);
  });

  it('leaves out events logged after the newest checkpoint', async () => {
    const audit = server.services.audit;
    const checkpoint = audit.checkpoint.bind(audit);
    // An event lands right after the export's checkpoint is signed, as it would on a busy server.
    audit.checkpoint = async (workspaceId) => {
      const cp = await checkpoint(workspaceId);
      await addKey('racing');
      return cp;
    };
    try {
      const path = join(dir, 'race.jsonl');
      const r = await server.cli(['audit', 'export', '--out', path, '--json']);
      expect(r.code, r.stderr).toBe(0);
      const summary = parseJson<{ events: number; treeSize: number; notCovered: number }>(r);
      expect(summary.notCovered).toBe(1);
      expect(summary.events).toBe(summary.treeSize);
      expect(r.stderr).toContain('1 newer event(s) were left out');
      expect((await runCli(['audit', 'verify', path], { env: {} })).code).toBe(0);
    } finally {
      audit.checkpoint = checkpoint;
    }
  });

  it('lets an auditor token export', async () => {
    const token = parseJson<{ token: string }>(await server.cli(['tokens', 'create', '--name', 'auditor', '--role', 'auditor', '--json'])).token;
    const r = await runCli(['audit', 'export', '--out', join(dir, 'auditor.jsonl')], { env: { CLAVIS_URL: server.url, CLAVIS_TOKEN: token } });
    expect(r.code, r.stderr).toBe(0);
  });
});
