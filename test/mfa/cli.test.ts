import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/core/clock.ts';
import { ephemeralLocalKeyring } from '../../src/keyring/local-keyring.ts';
import { parseJson, startServer, type TestServer } from '../cli/harness.ts';
import { codeAt } from './support.ts';

// The CLI side of users and step-up MFA, in-process against a real listening server: users
// create/list/disable, tokens for a user, mfa enrol/confirm/status, and --mfa / CLAVIS_MFA_CODE on
// a critical command.

let server: TestServer;
beforeAll(async () => {
  server = await startServer();
  server.services.keyring.unseal(await ephemeralLocalKeyring(server.services.store, systemClock));
});
afterAll(async () => server.close());

describe('clavis users and clavis mfa', () => {
  it('creates a user and a token for it, enrols TOTP, and needs --mfa on a critical command', async () => {
    const created = await server.cli(['users', 'create', '--email', 'Ada@Example.com', '--name', 'Ada', '--role', 'owner', '--json']);
    expect(created.stderr).toBe('');
    const user = parseJson<{ id: string; email: string }>(created);
    expect(user.email).toBe('ada@example.com');
    const tok = parseJson<{ token: string; userId: string }>(await server.cli(['tokens', 'create', '--name', 'ada laptop', '--role', 'owner', '--user', user.id, '--json']));
    expect(tok.userId).toBe(user.id);
    const env = { CLAVIS_URL: server.url, CLAVIS_TOKEN: tok.token };

    const enrol = await server.cli(['mfa', 'enrol'], { env });
    expect(enrol.code).toBe(0);
    expect(enrol.stdout).toMatch(/otpauth:\/\/totp\/Clavis:ada%40example\.com\?secret=/);
    const secret = /secret \(base32[^\n]*\n\s+([A-Z2-7]+)/.exec(enrol.stdout)?.[1] ?? '';
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    const recovery = [...enrol.stdout.matchAll(/^\s+([A-Z2-7]{4}-[A-Z2-7]{4}-[A-Z2-7]{4}-[A-Z2-7]{4})$/gm)].map((m) => m[1] ?? '');
    expect(recovery).toHaveLength(10);
    expect((await server.cli(['mfa', 'confirm', '12345'], { env })).code).toBe(2);
    const confirm = await server.cli(['mfa', 'confirm', codeAt(secret, Date.now())], { env });
    expect(confirm.stdout).toMatch(/totp\s+enrolled/);
    expect((await server.cli(['mfa', 'status', '--json'], { env })).stdout).toMatch(/"recoveryCodesLeft": 10/);

    expect((await server.cli(['secrets', 'put', 'live', 'cex/api-secret'], { stdin: 'cli-canary-value\n' })).code).toBe(0);
    const without = await server.cli(['secrets', 'get', 'live', 'cex/api-secret'], { env });
    expect(without.code).toBe(2);
    expect(without.stderr).toMatch(/MFA_REQUIRED[\s\S]*--mfa CODE/);
    // One step ahead is within the accepted drift, and is above the confirming code's step.
    const next = codeAt(secret, Date.now(), 1);
    const withCode = await server.cli(['secrets', 'get', 'live', 'cex/api-secret', '--mfa', next], { env });
    expect(withCode).toMatchObject({ code: 0, stdout: 'cli-canary-value\n' });
    const replay = await server.cli(['secrets', 'get', 'live', 'cex/api-secret'], { env: { ...env, CLAVIS_MFA_CODE: next } });
    expect(replay.stderr).toMatch(/MFA_REPLAYED/);
    const byRecovery = await server.cli(['secrets', 'get', 'live', 'cex/api-secret', '--mfa', recovery[0] ?? ''], { env });
    expect(byRecovery.stdout).toBe('cli-canary-value\n');

    const list = await server.cli(['users', 'list']);
    expect(list.stdout).toMatch(/ada@example\.com\s+Ada\s+owner\s+active\s+totp/);
    const disabled = await server.cli(['users', 'disable', user.id]);
    expect(disabled.stdout).toMatch(/tokens revoked\s+1/);
    const after = await server.cli(['mfa', 'status'], { env });
    expect(after.stderr).toMatch(/AUTH_INVALID/);
  });
});
