import type { AdminToken, CreatedToken, PageOf, Workspace } from '@clavis/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseJson, runCli, startServer, type TestServer } from './harness.ts';

let server: TestServer;

beforeAll(async () => {
  server = await startServer();
});

afterAll(async () => {
  await server.close();
});

describe('clavis tokens', () => {
  it('creates, lists and revokes admin tokens', async () => {
    const created = await server.cli(['tokens', 'create', '--name', 'ci', '--role', 'developer', '--ttl', '3600']);
    expect(created.code, created.stderr).toBe(0);
    expect(created.stdout).toContain('it will not be shown again');
    const id = /^id\s+(\S+)$/m.exec(created.stdout)?.[1] ?? '';
    expect(id).toMatch(/^tok_/);

    const list = await server.cli(['tokens', 'list']);
    expect(list.stdout.split('\n')[0]).toMatch(/^ID\s+NAME\s+ROLE\s+STATUS/);
    expect(list.stdout).toContain(id);

    const revoked = await server.cli(['tokens', 'revoke', id]);
    expect(revoked.code).toBe(0);
    expect(revoked.stdout).toMatch(/^status\s+revoked$/m);

    const json = parseJson<PageOf<AdminToken>>(await server.cli(['tokens', 'list', '--limit', '1', '--json']));
    expect(json.data.find((t) => t.id === id)?.status).toBe('revoked');
    expect(json.data.length).toBeGreaterThanOrEqual(2);
  });

  it('defaults the role to read-only and refuses an unknown role', async () => {
    const t = parseJson<CreatedToken>(await server.cli(['tokens', 'create', '--name', 'viewer', '--json']));
    expect(t.role).toBe('read-only');
    const bad = await server.cli(['tokens', 'create', '--name', 'x', '--role', 'root']);
    expect(bad.code).toBe(2);
  });
});

describe('clavis workspace(s)', () => {
  it('shows the current workspace and caller', async () => {
    const r = await server.cli(['workspace']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^workspace\\s+${server.workspaceId}$`, 'm'));
    expect(r.stdout).toMatch(/^role\s+owner$/m);
    const json = parseJson<{ workspace: Workspace; caller: { role: string } }>(await server.cli(['workspace', '--json']));
    expect(json.workspace).toMatchObject({ id: server.workspaceId, operator: true });
  });

  it('creates a tenant workspace whose owner token works', async () => {
    const r = parseJson<{ workspace: Workspace; ownerToken: CreatedToken }>(await server.cli(['workspaces', 'create', 'acme', '--json']));
    expect(r.workspace.name).toBe('acme');
    const tenant = await runCli(['workspace', '--json'], { env: { CLAVIS_URL: server.url, CLAVIS_TOKEN: r.ownerToken.token } });
    expect(parseJson<{ workspace: Workspace }>(tenant).workspace.id).toBe(r.workspace.id);

    const denied = await runCli(['workspaces', 'create', 'nested'], { env: { CLAVIS_URL: server.url, CLAVIS_TOKEN: r.ownerToken.token } });
    expect(denied.code).toBe(2);
    expect(denied.stderr).toContain('PERMISSION_DENIED');
  });
});
