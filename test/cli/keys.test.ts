import type { ApiKey, CreatedKey, PageOf, RotatedKey, VerifyResult } from '@clavis/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseJson, startServer, type TestServer } from './harness.ts';

let server: TestServer;

beforeAll(async () => {
  server = await startServer();
});

afterAll(async () => {
  await server.close();
});

/** The value of a `label  value` line of a record printed as a table. */
function field(text: string, label: string): string {
  const line = text.split('\n').find((l) => l.startsWith(`${label} `));
  if (line === undefined) throw new Error(`no "${label}" line in:\n${text}`);
  return line.slice(label.length).trim();
}

describe('clavis keys', () => {
  it('create → list → get → verify → rotate → revoke → verify REVOKED', async () => {
    const created = await server.cli(['keys', 'create', '--name', 'alice', '--env', 'live', '--scope', 'prices:read', '--scope', 'signals:read', '--ttl', '86400']);
    expect(created.code, created.stderr).toBe(0);
    expect(created.stdout).toContain('it will not be shown again');
    const secret = field(created.stdout, 'key');
    const id = field(created.stdout, 'id');
    expect(secret).toMatch(/^clv_live_/);
    expect(id).toMatch(/^key_/);

    const list = await server.cli(['keys', 'list']);
    expect(list.code).toBe(0);
    expect(list.stdout.split('\n')[0]).toMatch(/^ID\s+NAME\s+ENV\s+STATUS\s+SCOPES/);
    expect(list.stdout).toContain(id);
    expect(list.stdout).not.toContain(secret);

    const get = await server.cli(['keys', 'get', id]);
    expect(get.code).toBe(0);
    expect(field(get.stdout, 'status')).toBe('active');
    expect(field(get.stdout, 'scopes')).toBe('prices:read, signals:read');

    const valid = await server.cli(['keys', 'verify', secret, '--env', 'live', '--scope', 'prices:read']);
    expect(valid.code).toBe(0);
    expect(field(valid.stdout, 'valid')).toBe('yes');
    expect(field(valid.stdout, 'code')).toBe('VALID');

    const rotated = await server.cli(['keys', 'rotate', id, '--grace', '0']);
    expect(rotated.code, rotated.stderr).toBe(0);
    expect(rotated.stdout).toContain('it will not be shown again');
    const successorSecret = field(rotated.stdout, 'key');
    const successorId = field(rotated.stdout, 'successor');
    expect(field(rotated.stdout, 'previous')).toBe(id);
    expect(successorSecret).not.toBe(secret);

    const revoked = await server.cli(['keys', 'revoke', successorId, '--reason', 'leaked']);
    expect(revoked.code, revoked.stderr).toBe(0);
    expect(field(revoked.stdout, 'status')).toBe('revoked');
    expect(field(revoked.stdout, 'revoke reason')).toBe('leaked');

    const rejected = await server.cli(['keys', 'verify', successorSecret]);
    expect(rejected.code).toBe(1);
    expect(field(rejected.stdout, 'valid')).toBe('no');
    expect(field(rejected.stdout, 'code')).toBe('REVOKED');
  });

  it('prints parseable JSON with --json, the flag before or after the command', async () => {
    const created = await server.cli(['keys', 'create', '--name', 'bob', '--env', 'test', '--scope', 'prices:read', '--owner', 'user_7', '--metadata', '{"team":"quant"}', '--json']);
    expect(created.code, created.stderr).toBe(0);
    const key = parseJson<CreatedKey>(created);
    expect(key.key).toMatch(/^clv_test_/);
    expect(key.ownerId).toBe('user_7');
    expect(key.metadata).toEqual({ team: 'quant' });
    expect(created.stderr).toContain('will not be shown again');

    const list = parseJson<PageOf<ApiKey>>(await server.cli(['--json', 'keys', 'list', '--owner', 'user_7']));
    expect(list.data.map((k) => k.id)).toEqual([key.id]);

    const got = parseJson<ApiKey>(await server.cli(['keys', 'get', key.id, '--json']));
    expect(got).toMatchObject({ id: key.id, name: 'bob', environment: 'test' });

    const verify = parseJson<VerifyResult>(await server.cli(['keys', 'verify', key.key, '--env', 'live', '--json']));
    expect(verify).toMatchObject({ valid: false, code: 'ENV_MISMATCH' });

    const rotated = parseJson<RotatedKey>(await server.cli(['keys', 'rotate', key.id, '--json']));
    expect(rotated.previous.id).toBe(key.id);
    expect(rotated.successor.replacesId).toBe(key.id);
  });

  it('reads the key to verify from stdin with -', async () => {
    const key = parseJson<CreatedKey>(await server.cli(['keys', 'create', '--name', 'stdin', '--env', 'dev', '--scope', 'prices:read', '--json']));
    const ok = await server.cli(['keys', 'verify', '-'], { stdin: `${key.key}\n` });
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toContain('VALID');
    const empty = await server.cli(['keys', 'verify', '-'], { stdin: '' });
    expect(empty.code).toBe(2);
    expect(empty.stderr).toContain('stdin was empty');
  });

  it('follows nextCursor with --all and hints at the next page without it', async () => {
    for (const name of ['page-1', 'page-2', 'page-3']) {
      expect((await server.cli(['keys', 'create', '--name', name, '--env', 'dev', '--scope', 'prices:read', '--owner', 'pager'])).code).toBe(0);
    }
    const one = await server.cli(['keys', 'list', '--owner', 'pager', '--limit', '1']);
    expect(one.stdout.trim().split('\n')).toHaveLength(2);
    expect(one.stderr).toContain('--cursor');
    const all = parseJson<PageOf<ApiKey>>(await server.cli(['keys', 'list', '--owner', 'pager', '--limit', '1', '--all', '--json']));
    expect(all.data.map((k) => k.name)).toEqual(['page-1', 'page-2', 'page-3']);
    expect(all.nextCursor).toBeNull();
  });

  it('updates, suspends and resumes a key', async () => {
    const key = parseJson<CreatedKey>(await server.cli(['keys', 'create', '--name', 'carol', '--env', 'test', '--scope', 'prices:read', '--ip', '10.0.0.0/8', '--json']));
    const updated = parseJson<ApiKey>(
      await server.cli(['keys', 'update', key.id, '--name', 'carol-2', '--scope', 'signals:read', '--scope', 'index:read', '--any-ip', '--expires-at', '2999-01-01', '--json']),
    );
    expect(updated).toMatchObject({ name: 'carol-2', scopes: ['signals:read', 'index:read'], ipAllowlist: [], expiresAt: '2999-01-01T00:00:00.000Z' });

    const nothing = await server.cli(['keys', 'update', key.id]);
    expect(nothing.code).toBe(2);
    expect(nothing.stderr).toContain('nothing to update');

    const suspended = await server.cli(['keys', 'suspend', key.id, '--reason', 'odd traffic']);
    expect(field(suspended.stdout, 'status')).toBe('suspended');
    const refused = await server.cli(['keys', 'verify', key.key]);
    expect(refused.code).toBe(1);
    expect(refused.stdout).toContain('SUSPENDED');
    const resumed = await server.cli(['keys', 'resume', key.id]);
    expect(field(resumed.stdout, 'status')).toBe('active');
    expect((await server.cli(['keys', 'verify', key.key])).code).toBe(0);
  });

  it('prints the API error code and detail on stderr and exits 2', async () => {
    const missing = await server.cli(['keys', 'get', `key_${'0'.repeat(22)}`]);
    expect(missing.code).toBe(2);
    expect(missing.stdout).toBe('');
    expect(missing.stderr).toMatch(/^error: KEY_NOT_FOUND: /);
    expect(missing.stderr).toContain('HTTP 404');

    const malformed = await server.cli(['keys', 'get', 'not-an-id']);
    expect(malformed.code).toBe(2);
    expect(malformed.stderr).toMatch(/^error: VALIDATION_FAILED: \/params\/id: /);
    expect(malformed.stderr.match(/\/params\/id/g)).toHaveLength(1);

    const badScope = await server.cli(['keys', 'create', '--name', 'x', '--env', 'dev', '--scope', 'nope:nope']);
    expect(badScope.code).toBe(2);
    expect(badScope.stderr).toContain('UNKNOWN_SCOPE');

    const tooLong = await server.cli(['keys', 'create', '--name', 'x', '--env', 'live', '--scope', 'prices:read', '--ttl', String(365 * 86400)]);
    expect(tooLong.code).toBe(2);
    expect(tooLong.stderr).toContain('EXPIRY_TOO_LONG');
  });

  it('refuses bad usage before calling the server, with exit 2', async () => {
    const cases: { args: string[]; message: RegExp }[] = [
      { args: ['keys', 'create', '--name', 'x', '--scope', 'prices:read'], message: /--env/ },
      { args: ['keys', 'create', '--name', 'x', '--env', 'prod', '--scope', 'prices:read'], message: /Allowed choices are live, test, dev/ },
      { args: ['keys', 'create', '--name', 'x', '--env', 'dev', '--scope', 'prices:read', '--ttl', '10', '--expires-at', '2999-01-01'], message: /cannot be used with/ },
      { args: ['keys', 'create', '--name', 'x', '--env', 'dev', '--scope', 'prices:read', '--ttl', 'soon'], message: /whole number/ },
      { args: ['keys', 'create', '--name', 'x', '--env', 'dev', '--scope', 'prices:read', '--metadata', '[1]'], message: /JSON object/ },
      { args: ['keys', 'revoke', 'key_1'], message: /--reason/ },
      { args: ['keys', 'frobnicate'], message: /unknown command/ },
      { args: ['keys'], message: /Usage: clavis keys/ },
    ];
    for (const c of cases) {
      const r = await server.cli(c.args);
      expect(r.code, c.args.join(' ')).toBe(2);
      expect(r.stderr, c.args.join(' ')).toMatch(c.message);
    }
  });
});
