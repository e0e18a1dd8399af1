import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveConnection } from '../../src/cli/connection.ts';
import { CliError } from '../../src/cli/io.ts';
import { runCli, startServer, type TestServer } from './harness.ts';

let server: TestServer;

beforeAll(async () => {
  server = await startServer();
});

afterAll(async () => {
  await server.close();
});

/** A local port nothing listens on. */
async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const address = probe.address();
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

describe('connection', () => {
  it('takes --url/--token over CLAVIS_URL/CLAVIS_TOKEN, and defaults the URL', () => {
    expect(resolveConnection({}, { CLAVIS_TOKEN: 't' })).toEqual({ url: 'http://127.0.0.1:8420', token: 't' });
    expect(resolveConnection({ url: 'https://a:1', token: 'flag' }, { CLAVIS_URL: 'http://b:2', CLAVIS_TOKEN: 'env' })).toEqual({ url: 'https://a:1', token: 'flag' });
    expect(resolveConnection({}, { CLAVIS_URL: 'http://b:2', CLAVIS_TOKEN: 'env' })).toEqual({ url: 'http://b:2', token: 'env' });
    expect(() => resolveConnection({ url: 'ftp://x' }, { CLAVIS_TOKEN: 't' })).toThrow(CliError);
  });

  it('exits 2 with a clear error when no token is given', async () => {
    const r = await runCli(['keys', 'list'], { env: { CLAVIS_URL: server.url } });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^error: no admin token: set CLAVIS_TOKEN or pass --token/);
  });

  it('works with --url and --token flags instead of the environment', async () => {
    const r = await runCli(['keys', 'list', '--url', server.url, '--token', server.token]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout + r.stderr).not.toContain(server.token);
  });

  it('never prints the token, even when the server rejects it', async () => {
    const wrong = `${server.token.slice(0, -4)}AAAA`;
    for (const env of [{ CLAVIS_URL: server.url, CLAVIS_TOKEN: wrong }, {}]) {
      const args = Object.keys(env).length === 0 ? ['--url', server.url, '--token', wrong, 'keys', 'list'] : ['keys', 'list'];
      const r = await runCli(args, { env });
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/^error: AUTH_INVALID: /);
      expect(r.stdout + r.stderr).not.toContain(wrong);
      expect(r.stdout + r.stderr).not.toContain(wrong.slice(8));
    }
  });

  it('reports an unreachable server with exit 2', async () => {
    const url = `http://127.0.0.1:${await closedPort()}`;
    const r = await runCli(['workspace'], { env: { CLAVIS_URL: url, CLAVIS_TOKEN: 'clv_adm_secret' } });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`cannot reach the server at ${url}: ECONNREFUSED`);
    expect(r.stderr).not.toContain('clv_adm_secret');
  });

  it('does not print credentials embedded in the URL', async () => {
    const port = await closedPort();
    const r = await runCli(['workspace'], { env: { CLAVIS_URL: `http://user:hunter2@127.0.0.1:${port}`, CLAVIS_TOKEN: 't' } });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('must not hold a user name or password');
    expect(r.stderr).not.toContain('hunter2');
    const swapped = await runCli(['workspace', '--url', 'clv_adm_pasted', '--token', 'x']);
    expect(swapped.code).toBe(2);
    expect(swapped.stderr).not.toContain('clv_adm_pasted');
  });

  it('refuses a token-less permission with PERMISSION_DENIED', async () => {
    const created = await server.cli(['tokens', 'create', '--name', 'reader', '--role', 'read-only', '--json']);
    const { token } = JSON.parse(created.stdout) as { token: string };
    const r = await runCli(['keys', 'create', '--name', 'x', '--env', 'dev', '--scope', 'prices:read'], { env: { CLAVIS_URL: server.url, CLAVIS_TOKEN: token } });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('PERMISSION_DENIED');
    expect(r.stderr).not.toContain(token);
  });
});

describe('--version and --help', () => {
  it('prints the version', async () => {
    const r = await runCli(['--version']);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('has help with examples on every command', async () => {
    const commands = [
      [],
      ['keys'],
      ['keys', 'create'],
      ['keys', 'list'],
      ['keys', 'get'],
      ['keys', 'update'],
      ['keys', 'rotate'],
      ['keys', 'revoke'],
      ['keys', 'suspend'],
      ['keys', 'resume'],
      ['keys', 'verify'],
      ['tokens'],
      ['tokens', 'create'],
      ['tokens', 'list'],
      ['tokens', 'revoke'],
      ['workspace'],
      ['workspaces'],
      ['workspaces', 'create'],
      ['audit'],
      ['audit', 'events'],
      ['audit', 'proof'],
      ['audit', 'export'],
      ['audit', 'verify'],
    ];
    for (const c of commands) {
      const r = await runCli([...c, '--help']);
      expect(r.code, c.join(' ')).toBe(0);
      expect(r.stdout, c.join(' ')).toContain(`Usage: clavis${c.length > 0 ? ` ${c.join(' ')}` : ''}`);
      expect(r.stdout, c.join(' ')).toContain('Examples:');
    }
  });

  it('says in the export help that csv is not verifiable', async () => {
    const r = await runCli(['audit', 'export', '--help']);
    expect(r.stdout).toMatch(/CANNOT be verified/);
  });

  it('exits 2 on an unknown command', async () => {
    const r = await runCli(['keyz']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown command 'keyz'/);
  });
});
