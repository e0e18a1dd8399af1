import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ROOT, childEnv, cleanup, http, makeTempDir, startServer, waitFor } from './process.ts';

// The secrets vault against the real process and the real CLI: the two-command start on an empty
// data folder (development root key), `clavis init` with a passphrase, a wrong passphrase that
// starts the server sealed and a fixed passphrase file that unseals it without a restart.

afterEach(cleanup);

const CLI = 'packages/clavis-cli/bin/clavis.js';
const FAST_KDF = { CLAVIS_KEYRING_KDF_COST: '14' };

function cli(args: string[], env: Record<string, string>, input = ''): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd: ROOT, env: childEnv(env), input, encoding: 'utf8', timeout: 30_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function filesContain(dir: string, needle: string): string[] {
  return readdirSync(dir).filter((f) => statSync(join(dir, f)).isFile() && readFileSync(join(dir, f)).includes(Buffer.from(needle)));
}

describe('secrets vault end to end', () => {
  it('npm start on an empty folder makes a development root key, says so, and secrets work through the CLI', async () => {
    const server = await startServer(FAST_KDF);
    const rootKey = join(server.dataDir, 'root-key');
    expect(statSync(rootKey).mode & 0o777).toBe(0o600);
    expect(server.stderr.join('\n')).toMatch(/WARNING: no CLAVIS_MASTER_PASSPHRASE.*root-key/);
    expect(server.stdout.join('\n')).toMatch(/Keyring: unsealed \(local keyring/);
    const token = readFileSync(server.tokenFile, 'utf8').trim();
    const env = { CLAVIS_URL: server.url, CLAVIS_TOKEN: token };
    const value = 'E2E-PLAINTEXT-CANARY-9b2f61';

    const put = cli(['secrets', 'put', 'live', 'exchanges/binance/api-secret'], env, `${value}\n`);
    expect(put.stderr).toBe('');
    expect(put.code).toBe(0);
    expect(put.stdout).toMatch(/version\s+1/);
    const get = cli(['secrets', 'get', 'live', 'exchanges/binance/api-secret'], env);
    expect(get).toMatchObject({ code: 0, stdout: `${value}\n` });
    const conflict = cli(['secrets', 'put', 'live', 'exchanges/binance/api-secret', '--cas', '0'], env, 'other');
    expect(conflict.code).toBe(2);
    expect(conflict.stderr).toMatch(/CAS_MISMATCH/);
    const list = cli(['secrets', 'list', '--json'], env);
    expect(list.stdout).not.toContain(value);
    expect(JSON.parse(list.stdout)).toMatchObject({ data: [{ environment: 'live', path: 'exchanges/binance/api-secret', currentVersion: 1, state: 'active' }] });

    expect(cli(['keyring', 'rotate'], env).stdout).toMatch(/current version\s+2/);
    expect(cli(['keyring', 'rewrap', '--json'], env).stdout).toMatch(/"remaining": 0/);
    expect(cli(['keyring', 'retire', '--min-version', '2'], env).code).toBe(0);
    expect(cli(['secrets', 'get', 'live', 'exchanges/binance/api-secret'], env).stdout).toBe(`${value}\n`);
    expect(JSON.parse(cli(['keyring', 'status', '--json'], env).stdout)).toMatchObject({ state: 'unsealed', currentVersion: 2, minDecryptionVersion: 2, dataKeys: [{ keyVersion: 2, count: 1 }] });

    // The audit log holds the read, not the value; checkpoints are signed by the keyring's key.
    const events = await http<{ data: { action: string }[] }>(server.url, 'GET', '/v1/audit/events?limit=1000', { token });
    expect(events.body.data.map((e) => e.action)).toEqual(expect.arrayContaining(['secret.written', 'secret.read', 'keyring.rotated']));
    expect(JSON.stringify(events.body)).not.toContain(value);
    expect((await http(server.url, 'POST', '/v1/audit/checkpoints', { token, body: {} })).status).toBe(200);

    expect((await server.stop()).code).toBe(0);
    expect(filesContain(server.dataDir, value)).toEqual([]);
    expect([...server.stdout, ...server.stderr].join('\n')).not.toContain(value);
    expect(readdirSync(server.dataDir)).not.toContain('audit-signing-key.pem');
  });

  it('clavis init with a passphrase; a wrong one starts sealed; fixing the passphrase file unseals without a restart', async () => {
    const dataDir = join(makeTempDir(), 'data');
    const init = cli(['init'], { CLAVIS_DATA_DIR: dataDir, ...FAST_KDF }, 'a long enough passphrase\n');
    expect(init.stderr).toBe('');
    expect(init.code).toBe(0);
    expect(init.stdout).toMatch(/keyring\s+created \(local keyring \(passphrase, scrypt\)\)/);
    expect(cli(['init'], { CLAVIS_DATA_DIR: dataDir, ...FAST_KDF }, 'a long enough passphrase\n').stderr).toMatch(/already exists/);

    const passphraseFile = join(makeTempDir(), 'passphrase');
    writeFileSync(passphraseFile, 'not the passphrase\n', { mode: 0o600 });
    const server = await startServer({ CLAVIS_MASTER_PASSPHRASE_FILE: passphraseFile, CLAVIS_UNSEAL_RETRY_SECONDS: '1' }, { dataDir });
    expect(server.stdout.join('\n')).toMatch(/Keyring: SEALED: the passphrase does not open the keyring/);
    const token = readFileSync(server.tokenFile, 'utf8').trim();
    const ready = await http<{ code: string }>(server.url, 'GET', '/readyz');
    expect(ready.status).toBe(503);
    expect(ready.body.code).toBe('SEALED');
    expect((await http<{ status: string }>(server.url, 'GET', '/healthz')).status).toBe(200);
    const sealedPut = await http<{ code: string }>(server.url, 'PUT', '/v1/secrets/live/a', { token, body: { value: 'v' } });
    expect(sealedPut.status).toBe(503);
    expect(sealedPut.body.code).toBe('SEALED');
    // Keys still verify while sealed: only what needs a secret stops.
    expect((await http(server.url, 'GET', '/v1/keys', { token })).status).toBe(200);

    writeFileSync(passphraseFile, 'a long enough passphrase\n');
    await waitFor(async () => (await http(server.url, 'GET', '/readyz')).status === 200, 15_000, 200);
    expect((await http(server.url, 'PUT', '/v1/secrets/live/a', { token, body: { value: 'after unseal' } })).status).toBe(200);
    expect(server.stderr.join('\n')).toMatch(/unsealed now/);
    expect((await server.stop()).code).toBe(0);
  });
});
