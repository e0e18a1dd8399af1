import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { cleanup, http, makeTempDir, runNode, spawnNode, startServer, waitFor, type KeyCreated } from '../e2e/process.ts';
import { startUpstream, type Echo, type Upstream } from './upstream.ts';

const CLI = 'packages/clavis-cli/bin/clavis.js';
const GATEWAY_LINE = /^Clavis gateway is listening on (\S+) -> /;

let upstream: Upstream;
beforeAll(async () => {
  upstream = await startUpstream();
});
afterAll(async () => upstream.close());
afterEach(cleanup);

function routesFile(dir: string, routes: unknown[] = [{ method: 'GET', path: '/v1/prices/*', scope: 'prices:read' }]): string {
  const file = join(dir, 'routes.json');
  writeFileSync(file, JSON.stringify({ environment: 'test', routes }));
  return file;
}

async function createKey(url: string, token: string): Promise<KeyCreated> {
  const created = await http<KeyCreated>(url, 'POST', '/v1/keys', { token, body: { name: 'consumer', environment: 'test', scopes: ['prices:read'], ownerId: 'acme' } });
  expect(created.status).toBe(201);
  return created.body;
}

describe('the gateway in the real processes', () => {
  it('npm start runs it beside the admin API when CLAVIS_GATEWAY_* is set; a revocation holds at once', async () => {
    const dir = makeTempDir();
    const server = await startServer({ CLAVIS_GATEWAY_UPSTREAM: upstream.url, CLAVIS_GATEWAY_ROUTES_FILE: routesFile(dir), CLAVIS_GATEWAY_PORT: '0' });
    const line = server.stdout.find((l) => GATEWAY_LINE.test(l));
    expect(line).toContain(`-> ${upstream.url} (1 route(s) from ${join(dir, 'routes.json')}, test keys)`);
    const gateway = GATEWAY_LINE.exec(line ?? '')?.[1] ?? '';
    const token = readFileSync(server.tokenFile, 'utf8').trim();
    const key = await createKey(server.url, token);

    const ok = await http<Echo>(gateway, 'GET', '/v1/prices/btc', { headers: { 'x-clavis-key': key.key } });
    expect(ok.status).toBe(200);
    expect(ok.body.headers).toMatchObject({ 'x-clavis-key-id': key.id, 'x-clavis-owner-id': 'acme' });

    expect((await http(server.url, 'POST', `/v1/keys/${key.id}/revoke`, { token, body: { reason: 'test' } })).status).toBe(200);
    const refused = await http<{ code: string }>(gateway, 'GET', '/v1/prices/btc', { headers: { 'x-clavis-key': key.key } });
    expect(refused.status).toBe(401);
    expect(refused.body.code).toBe('REVOKED');
    expect((await server.stop()).code).toBe(0);
    expect([...server.stdout, ...server.stderr].join('\n')).not.toContain(key.key);
  });

  it('clavis gateway serves the store of CLAVIS_DATA_DIR, prints its URL, and stops cleanly on SIGTERM', async () => {
    const dir = makeTempDir();
    const server = await startServer();
    const token = readFileSync(server.tokenFile, 'utf8').trim();
    const key = await createKey(server.url, token);
    await server.stop();

    const p = spawnNode([CLI, 'gateway', '--upstream', upstream.url, '--routes', routesFile(dir), '--port', '0'], { CLAVIS_DATA_DIR: server.dataDir, CLAVIS_LOG_LEVEL: 'warn' });
    const gateway = await waitFor(() => p.stdout.lines.map((l) => GATEWAY_LINE.exec(l)?.[1]).find((u) => u !== undefined), 20_000);
    expect(p.stderr.text()).toMatch(/the store is SQLite .* within CLAVIS_CACHE_TTL_MS/);
    const ok = await http<Echo>(gateway, 'GET', '/v1/prices/eth', { headers: { authorization: `Bearer ${key.key}` } });
    expect(ok.status).toBe(200);
    expect(ok.body.headers['x-clavis-key-id']).toBe(key.id);
    expect(ok.body.headers.authorization).toBeUndefined();
    expect((await http(gateway, 'GET', '/v1/prices/eth')).status).toBe(401);
    p.child.kill('SIGTERM');
    expect((await p.exited).code).toBe(0);
  });

  it('refuses --no-verify without --i-know, a bad route file, and missing settings, with exit 2', async () => {
    const dir = makeTempDir();
    const noVerify = await runNode([CLI, 'gateway', '--upstream', upstream.url, '--routes', routesFile(dir), '--no-verify'], { CLAVIS_DATA_DIR: join(dir, 'data') });
    expect(noVerify.code).toBe(2);
    expect(noVerify.stderr).toMatch(/--no-verify .* Add --i-know/);

    const bad = routesFile(dir, [{ method: 'GET', path: '/v1/prices/*', scope: 'prices:write' }]);
    const badFile = await runNode([CLI, 'gateway', '--upstream', upstream.url, '--routes', bad], { CLAVIS_DATA_DIR: join(dir, 'data') });
    expect(badFile.code).toBe(2);
    expect(badFile.stderr).toContain(`invalid gateway route file ${bad}`);
    expect(badFile.stderr).toContain('routes[0] (GET /v1/prices/*): scope "prices:write" is not a Clavis scope');

    const missing = await runNode([CLI, 'gateway', '--upstream', upstream.url], { CLAVIS_DATA_DIR: join(dir, 'data') });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/CLAVIS_GATEWAY_UPSTREAM and CLAVIS_GATEWAY_ROUTES_FILE go together/);
  });
});
