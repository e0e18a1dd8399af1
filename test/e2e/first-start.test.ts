import { readFileSync, statSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, http, startServer, waitFor, type WorkspaceAnswer } from './process.ts';

interface OpenApiDoc {
  openapi: string;
  paths: Record<string, unknown>;
}

afterEach(cleanup);

describe('first start of the real process', () => {
  it('writes the owner token to a 0600 file, prints where, never prints the token', async () => {
    const server = await startServer();
    const st = statSync(server.tokenFile);
    expect(st.mode & 0o777).toBe(0o600);
    const token = readFileSync(server.tokenFile, 'utf8').trim();
    expect(token).toMatch(/^clv_adm_[0-9A-Za-z]{49}$/);

    const out = server.stdout.join('\n');
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(out).toContain(`Clavis is listening on ${server.url}`);
    expect(out).toContain(`${server.url}/docs`);
    expect(out).toContain(server.tokenFile);

    // Exercise the API a little so that request logs (if any) would have a chance to leak it.
    expect((await http(server.url, 'GET', '/v1/workspace', { token })).status).toBe(200);
    expect((await http(server.url, 'GET', '/v1/workspace', { token: `${token.slice(0, -1)}x` })).status).toBe(401);

    const exit = await server.stop();
    expect(exit.code).toBe(0);
    const all = [...server.stdout, ...server.stderr].join('\n');
    expect(all).not.toContain(token);
    // Not even the random body of it.
    expect(all).not.toContain(token.slice('clv_adm_'.length, 'clv_adm_'.length + 20));
  });

  it('does not print the token even at log level trace', async () => {
    const server = await startServer({ CLAVIS_LOG_LEVEL: 'trace' });
    const token = readFileSync(server.tokenFile, 'utf8').trim();
    expect((await http(server.url, 'GET', '/v1/keys', { token })).status).toBe(200);
    expect((await http(server.url, 'POST', '/v1/keys', { token, body: { name: 'x', environment: 'test', scopes: ['nope:read'] } })).status).toBe(400);
    await server.stop();
    const all = [...server.stdout, ...server.stderr].join('\n');
    expect(all.length).toBeGreaterThan(0);
    expect(all).not.toContain(token.slice('clv_adm_'.length, 'clv_adm_'.length + 20));
  });

  it('answers health, readiness, the OpenAPI 3.1 document and the HTML docs', async () => {
    const server = await startServer();

    const health = await http<{ status: string }>(server.url, 'GET', '/healthz');
    expect(health.status).toBe(200);
    expect(health.body).toEqual({ status: 'ok' });

    const ready = await waitFor(async () => {
      const r = await http<{ status: string; store: string }>(server.url, 'GET', '/readyz');
      return r.status === 200 && r;
    });
    expect(ready.body).toEqual({ status: 'ready', store: 'sqlite', keyring: { state: 'unsealed', provider: 'local' } });

    const spec = await http<OpenApiDoc>(server.url, 'GET', '/openapi.json');
    expect(spec.status).toBe(200);
    expect(spec.body.openapi).toMatch(/^3\.1\./);
    expect(Object.keys(spec.body.paths)).toContain('/v1/keys');

    // /docs may redirect to /docs/ (fetch follows it); either way the answer is an HTML page.
    const docs = await fetch(new URL('/docs', server.url), { headers: { accept: 'text/html' } });
    expect(docs.status).toBe(200);
    expect(docs.headers.get('content-type') ?? '').toMatch(/text\/html/);
    expect((await docs.text()).toLowerCase()).toContain('<html');
  });

  it('a second start on the same data dir keeps the token file and the old token works', async () => {
    const first = await startServer();
    const before = readFileSync(first.tokenFile, 'utf8');
    const beforeStat = statSync(first.tokenFile);
    const token = before.trim();
    const who = await http<WorkspaceAnswer>(first.url, 'GET', '/v1/workspace', { token });
    expect(who.status).toBe(200);
    expect((await first.stop()).code).toBe(0);

    const second = await startServer({}, { dataDir: first.dataDir });
    const out = second.stdout.join('\n');
    expect(out).not.toMatch(/First start/);
    expect(out).toContain(second.tokenFile);
    expect(readFileSync(second.tokenFile, 'utf8')).toBe(before);
    const afterStat = statSync(second.tokenFile);
    expect(afterStat.mtimeMs).toBe(beforeStat.mtimeMs);
    expect(afterStat.ino).toBe(beforeStat.ino);
    expect(afterStat.mode & 0o777).toBe(0o600);

    const again = await http<WorkspaceAnswer>(second.url, 'GET', '/v1/workspace', { token });
    expect(again.status).toBe(200);
    expect(again.body.caller).toEqual(who.body.caller);
    expect(again.body.workspace.id).toBe(who.body.workspace.id);
    expect(again.body.caller.role).toBe('owner');
  });
});
