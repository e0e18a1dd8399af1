import type { ApiKey, CreatedKey, SchedulerTick } from '@clavis/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseJson, startServer, type TestServer } from '../cli/harness.ts';

let server: TestServer;

beforeAll(async () => {
  server = await startServer();
});

afterAll(async () => {
  await server.close();
});

describe('clavis keys … --rotate-*', () => {
  it('sets a vault policy at creation, shows it, switches it to notify and removes it', async () => {
    const created = await server.cli(['keys', 'create', '--name', 'acme', '--env', 'test', '--scope', 'prices:read', '--rotate-every', '90', '--rotate-vault-path', 'consumers/acme/key', '--json']);
    expect(created.code, created.stderr).toBe(0);
    const key = parseJson<CreatedKey>(created);
    expect(key.rotation).toEqual({ everyDays: 90, graceHours: 24, mode: 'vault', vaultPath: 'consumers/acme/key' });

    const shown = await server.cli(['keys', 'get', key.id]);
    expect(shown.stdout).toMatch(/rotation\s+every 90 days into the vault at consumers\/acme\/key, 24 h grace/);

    const notify = await server.cli(['keys', 'update', key.id, '--rotate-every', '30', '--rotate-grace', '0', '--json']);
    expect(notify.code, notify.stderr).toBe(0);
    expect(parseJson<ApiKey>(notify).rotation).toEqual({ everyDays: 30, graceHours: 0, mode: 'notify' });

    const removed = await server.cli(['keys', 'update', key.id, '--no-rotation', '--json']);
    expect(removed.code, removed.stderr).toBe(0);
    expect(parseJson<ApiKey>(removed).rotation).toBeNull();
  });

  it('refuses incomplete or contradictory options before sending anything (exit 2)', async () => {
    const cases: [string[], RegExp][] = [
      [['--rotate-vault-path', 'a/b'], /go with --rotate-every/],
      [['--rotate-every', '30', '--rotate-mode', 'vault'], /needs --rotate-vault-path/],
      [['--rotate-every', '30', '--rotate-mode', 'notify', '--rotate-vault-path', 'a/b'], /is for --rotate-mode vault/],
      [['--rotate-every', '0'], /at least 1/],
    ];
    for (const [extra, message] of cases) {
      const r = await server.cli(['keys', 'create', '--name', 'x', '--env', 'test', '--scope', 'prices:read', ...extra]);
      expect(r.code, extra.join(' ')).toBe(2);
      expect(r.stderr).toMatch(message);
    }
    // The server's own checks come back with the field.
    const r = await server.cli(['keys', 'create', '--name', 'x', '--env', 'test', '--scope', 'prices:read', '--rotate-every', '1', '--rotate-vault-path', 'a/b']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/VALIDATION_FAILED[\s\S]*\/body\/rotation\/graceHours/);
  });
});

describe('clavis scheduler run-once', () => {
  it('dry-runs and runs a tick on the server', async () => {
    const dry = await server.cli(['scheduler', 'run-once', '--dry-run']);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toMatch(/dry run\s+yes: nothing was changed/);
    expect(dry.stdout).toContain('Nothing is due.');
    const real = await server.cli(['scheduler', 'run-once', '--json']);
    expect(real.code, real.stderr).toBe(0);
    expect(parseJson<SchedulerTick>(real)).toMatchObject({ dryRun: false, skipped: null, failures: [] });
  });
});
