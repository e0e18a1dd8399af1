import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { base32Decode } from '../../src/core/mfa/totp.ts';
import { ROOT, childEnv, cleanup, http, startServer } from './process.ts';

// Step-up MFA against the real process and the real CLI, with codes made by oathtool (RFC 6238
// interoperability): a user enrols through `clavis mfa enrol`, confirms with an oathtool code, a
// critical operation is refused without a code, accepted with the next one, refused when that code
// is replayed — also after a restart, since the used step lives in the database.

function oathtoolAvailable(): boolean {
  try {
    execFileSync('oathtool', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
const hasOathtool = oathtoolAvailable();
if (!hasOathtool) {
  if (process.env.CI !== undefined && process.env.CI !== '') throw new Error('oathtool is required on CI (apt-get install oathtool)');
  console.warn('test/e2e/mfa.test.ts: skipped: oathtool is not installed (apt-get install oathtool)');
}

afterEach(cleanup);

const CLI = 'packages/clavis-cli/bin/clavis.js';

function cli(args: string[], env: Record<string, string>): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd: ROOT, env: childEnv(env), encoding: 'utf8', timeout: 30_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** `oathtool --totp -b SECRET`, at the wall clock plus `aheadSeconds`. */
function oathtool(secret: string, aheadSeconds = 0): string {
  return execFileSync('oathtool', ['--totp', '-b', secret, `--now=@${Math.floor(Date.now() / 1000) + aheadSeconds}`], { encoding: 'utf8' }).trim();
}

function filesContaining(dir: string, needle: Buffer): string[] {
  return readdirSync(dir).filter((f) => statSync(join(dir, f)).isFile() && readFileSync(join(dir, f)).includes(needle));
}

describe.skipIf(!hasOathtool)('step-up MFA end to end (oathtool)', () => {
  it('accepts oathtool codes for enrolment and a critical operation, once each, across a restart', async () => {
    const server = await startServer({ CLAVIS_MFA_ISSUER: 'Clavis e2e' });
    const owner = readFileSync(server.tokenFile, 'utf8').trim();
    const user = await http<{ id: string }>(server.url, 'POST', '/v1/users', { token: owner, body: { email: 'ops@example.com', name: 'Ops', role: 'owner' } });
    expect(user.status).toBe(201);
    const issued = await http<{ token: string }>(server.url, 'POST', '/v1/tokens', { token: owner, body: { name: 'ops laptop', role: 'owner', userId: user.body.id } });
    expect(issued.status).toBe(201);
    const env = { CLAVIS_URL: server.url, CLAVIS_TOKEN: issued.body.token };

    const enrol = cli(['mfa', 'enrol', '--json'], env);
    expect(enrol.code).toBe(0);
    const e = JSON.parse(enrol.stdout) as { secret: string; otpauthUri: string; recoveryCodes: string[] };
    expect(e.otpauthUri).toMatch(/^otpauth:\/\/totp\/Clavis%20e2e:ops%40example\.com\?secret=[A-Z2-7]+&issuer=Clavis%20e2e&algorithm=SHA1&digits=6&period=30$/);
    const confirm = cli(['mfa', 'confirm', oathtool(e.secret)], env);
    expect(confirm.stderr).toBe('');
    expect(confirm.stdout).toMatch(/totp\s+enrolled/);

    expect((await http(server.url, 'PUT', '/v1/secrets/live/exchanges/kraken/api-secret', { token: owner, body: { value: 'E2E-MFA-CANARY' } })).status).toBe(200);
    const path = '/v1/secrets/live/exchanges/kraken/api-secret';
    const refused = await http<{ code: string }>(server.url, 'GET', path, { token: issued.body.token });
    expect(refused.status).toBe(401);
    expect(refused.body.code).toBe('MFA_REQUIRED');

    // The next step's code: above the confirming one, within the one step of drift allowed.
    const code = oathtool(e.secret, 30);
    const got = cli(['secrets', 'get', 'live', 'exchanges/kraken/api-secret', '--mfa', code], env);
    expect(got).toMatchObject({ code: 0, stdout: 'E2E-MFA-CANARY\n' });
    const replay = await http<{ code: string }>(server.url, 'GET', path, { token: issued.body.token, headers: { 'x-clavis-mfa': code } });
    expect(replay.status).toBe(401);
    expect(replay.body.code).toBe('MFA_REPLAYED');

    expect((await server.stop()).code).toBe(0);
    const again = await startServer({ CLAVIS_MFA_ISSUER: 'Clavis e2e' }, { dataDir: server.dataDir });
    const afterRestart = await http<{ code: string }>(again.url, 'GET', path, { token: issued.body.token, headers: { 'x-clavis-mfa': code } });
    expect(afterRestart.body.code).toBe('MFA_REPLAYED');
    const recovery = await http<{ value: string }>(again.url, 'GET', path, { token: issued.body.token, headers: { 'x-clavis-mfa': e.recoveryCodes[0] ?? '' } });
    expect(recovery.body.value).toBe('E2E-MFA-CANARY');

    const events = await http<{ data: { action: string; data: Record<string, unknown> }[] }>(again.url, 'GET', '/v1/audit/events?limit=1000', { token: owner });
    const text = JSON.stringify(events.body);
    expect(events.body.data.map((ev) => ev.action)).toEqual(expect.arrayContaining(['user.created', 'mfa.totp.enrolled', 'mfa.step_up.failed', 'mfa.step_up.succeeded']));
    expect(text).not.toContain(code);
    expect(text).not.toContain(e.secret);
    expect((await again.stop()).code).toBe(0);

    // Neither the secret nor a recovery code is anywhere in the data folder or the logs.
    const raw = base32Decode(e.secret) ?? Buffer.alloc(0);
    expect(filesContaining(again.dataDir, raw)).toEqual([]);
    expect(filesContaining(again.dataDir, Buffer.from(e.secret))).toEqual([]);
    for (const c of e.recoveryCodes) expect(filesContaining(again.dataDir, Buffer.from(c.replaceAll('-', '')))).toEqual([]);
    const logs = [...server.stdout, ...server.stderr, ...again.stdout, ...again.stderr].join('\n');
    expect(logs).not.toContain(code);
    expect(logs).not.toContain(e.secret);
  });
});
