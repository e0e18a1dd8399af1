import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { generateCredential, hashCredential } from '../../src/core/keys/key-format.ts';
import { REDACT_PATHS, buildApp } from '../../src/http/app.ts';
import type { App } from '../../src/http/app-types.ts';
import { LeakReportService, type LeakPolicy } from '../../src/scan/leaks/leak-report.ts';
import { parseLeakPublicKeys } from '../../src/scan/leaks/leak-signature.ts';
import type { JsonReport } from '../../src/scan/report-json.ts';
import { bearer, makeHarness, type Harness } from '../support/harness.ts';
import { clavisAsync as clavis } from './cli-run.ts';
import { secretFor } from './tokens.ts';

let h: Harness;
const acting = () => ({ workspaceId: h.workspaceId, actor: { type: 'system' as const, id: 'test' } });

beforeAll(async () => {
  h = await makeHarness();
});
afterAll(async () => h.close());

async function key(environment: 'live' | 'test' = 'live', ttlSeconds = 30 * 86_400): Promise<{ id: string; secret: string }> {
  const k = await h.services.keys.create(acting(), { name: 'k', environment, scopes: ['prices:read'], ttlSeconds });
  return { id: k.record.id, secret: k.secret };
}

describe('POST /v1/keys/lookup', () => {
  it('answers live, revoked, suspended, expired and unknown per hash, within the caller workspace only', async () => {
    const live = await key();
    const revoked = await key();
    await h.services.keys.revoke(acting(), revoked.id, 'test');
    const suspended = await key();
    await h.services.keys.suspend(acting(), suspended.id);
    const expired = await key('test', 60);
    h.clock.advance(61_000);
    const other = await h.services.workspaces.create({ tokenId: h.owner.record.id, workspaceId: h.workspaceId, role: 'owner' }, 'tenant');
    const foreign = await h.services.keys.create({ workspaceId: other.workspace.id, actor: { type: 'system', id: 'test' } }, { name: 'f', environment: 'live', scopes: ['prices:read'] });
    const unknown = generateCredential('clv', 'live');
    const hashes = [live, revoked, suspended, expired].map((k) => hashCredential(k.secret));
    const res = await h.app.inject({
      method: 'POST',
      url: '/v1/keys/lookup',
      headers: bearer(await h.tokenFor('read-only')),
      payload: { hashes: [...hashes, hashCredential(foreign.secret), hashCredential(unknown).toUpperCase()] },
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json<{ results: unknown[] }>().results).toEqual([
      { hash: hashes[0], status: 'live', keyId: live.id },
      { hash: hashes[1], status: 'revoked', keyId: revoked.id },
      { hash: hashes[2], status: 'suspended', keyId: suspended.id },
      { hash: hashes[3], status: 'expired', keyId: expired.id },
      { hash: hashCredential(foreign.secret), status: 'unknown' },
      { hash: hashCredential(unknown), status: 'unknown' },
    ]);
  });

  it('takes 1000 hashes and refuses 1001 or anything that is not a SHA-256 hex', async () => {
    const many = Array.from({ length: 1000 }, (_, i) => i.toString(16).padStart(64, '0'));
    const ok = await h.app.inject({ method: 'POST', url: '/v1/keys/lookup', headers: bearer(h.owner.secret), payload: { hashes: many } });
    expect(ok.statusCode).toBe(200);
    expect(ok.json<{ results: { status: string }[] }>().results.every((r) => r.status === 'unknown')).toBe(true);
    for (const hashes of [[...many, 'f'.repeat(64)], ['clv_live_abc'], []]) {
      const bad = await h.app.inject({ method: 'POST', url: '/v1/keys/lookup', headers: bearer(h.owner.secret), payload: { hashes } });
      expect(bad.statusCode).toBe(400);
      expect(bad.json<{ code: string }>().code).toBe('VALIDATION_FAILED');
    }
  });
});

describe('POST /v1/leaks (GitHub secret scanning partner format)', () => {
  let signer: KeyObject;
  let stranger: KeyObject;
  let publicKeys: Map<string, KeyObject>;
  const KEY_ID = 'f9525bf080f75b3506ca1ead061add62b8633a346606dc5fe544e29231c6ee0d';
  const logs: string[] = [];

  beforeAll(() => {
    const pair = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    signer = pair.privateKey;
    stranger = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey;
    const spki = pair.publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
    const pem = pair.publicKey.export({ type: 'spki', format: 'pem' }).toString().replace(/\n/g, '\\n');
    publicKeys = parseLeakPublicKeys(`${KEY_ID}=${spki}, old-key=${pem}`);
  });

  async function appWith(policy: LeakPolicy | null): Promise<App> {
    const s = h.services;
    const leaks = new LeakReportService({ store: s.store, keys: s.keys, audit: s.audit, clock: s.clock, policy: policy ?? 'revoke', publicKeys: policy === null ? new Map() : publicKeys });
    const stream = new Writable({
      write(chunk: Buffer, _enc, done) {
        logs.push(chunk.toString('utf8'));
        done();
      },
    });
    return buildApp({ services: { ...s, leaks }, logger: { level: 'trace', stream, redact: { paths: REDACT_PATHS, censor: '[redacted]' } } });
  }

  function post(app: App, body: unknown, opts: { key?: KeyObject; id?: string; tamper?: boolean } = {}) {
    const raw = JSON.stringify(body);
    const signature = sign('sha256', Buffer.from(raw), opts.key ?? signer).toString('base64');
    return app.inject({
      method: 'POST',
      url: '/v1/leaks',
      headers: { 'content-type': 'application/json', 'github-public-key-identifier': opts.id ?? KEY_ID, 'github-public-key-signature': signature },
      payload: opts.tamper === true ? raw.replace('content', 'commit') : raw,
    });
  }

  it('is off (404) without configured keys, and refuses missing, foreign or tampered signatures (401)', async () => {
    const off = await appWith(null);
    const r = await post(off, [{ token: 'x', type: 'clavis_api_key', url: 'https://github.com/o/r', source: 'content' }]);
    expect(r.statusCode).toBe(404);
    expect(r.json<{ code: string }>().code).toBe('LEAK_REPORTS_DISABLED');
    await off.close();

    const app = await appWith('revoke');
    const report = [{ token: 'x', type: 'clavis_api_key', url: 'https://github.com/o/r', source: 'content' }];
    for (const res of [
      await app.inject({ method: 'POST', url: '/v1/leaks', headers: { 'content-type': 'application/json' }, payload: JSON.stringify(report) }),
      await post(app, report, { key: stranger }),
      await post(app, report, { id: 'unknown-id' }),
      await post(app, report, { tamper: true }),
    ]) {
      expect(res.statusCode).toBe(401);
      expect(res.json<{ code: string }>().code).toBe('LEAK_SIGNATURE_INVALID');
    }
    expect((await post(app, report)).statusCode).toBe(200);
    await app.close();
  });

  it('revokes a reported live key in its workspace, audited as system:leak-report, and labels every token', async () => {
    const app = await appWith('revoke');
    const live = await key();
    const stripe = secretFor('stripe-secret-key', 'leak');
    const unknown = generateCredential('clv', 'live');
    const url = 'https://github.com/octo/app/blob/abc/config.env';
    const res = await post(app, [
      { token: live.secret, type: 'clavis_api_key', url, source: 'content' },
      { token: stripe, type: 'clavis_api_key', url, source: 'content' },
      { token: unknown, type: 'clavis_api_key', url, source: 'commit' },
      { token: live.secret, type: 'clavis_api_key', url, source: 'commit' },
    ]);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toEqual([
      { token_raw: live.secret, token_type: 'clavis_api_key', label: 'true_positive' },
      { token_raw: stripe, token_type: 'clavis_api_key', label: 'false_positive' },
      { token_raw: unknown, token_type: 'clavis_api_key', label: 'false_positive' },
      { token_raw: live.secret, token_type: 'clavis_api_key', label: 'true_positive' },
    ]);
    const k = await h.store.keys.findById(h.workspaceId, live.id);
    expect(k?.status).toBe('revoked');
    expect(k?.revokeReason).toBe(`leaked: reported by GitHub secret scanning (content) at ${url}`);
    const events = await h.store.audit.list(h.workspaceId, { targetId: live.id, limit: 10 });
    expect(events.filter((e) => e.event.action === 'key.revoked').map((e) => e.event.actor)).toEqual([{ type: 'system', id: 'leak-report' }]);
    await app.close();
    const all = logs.join('');
    for (const secret of [live.secret, stripe, unknown, live.secret.slice(9, 30), stripe.slice(8, 30)]) expect(all).not.toContain(secret);
    expect(all).toContain(live.id);
  });

  it('suspends under the suspend policy and only records an audit event under notify', async () => {
    const suspendApp = await appWith('suspend');
    const a = await key();
    expect((await post(suspendApp, [{ token: a.secret, type: 't', url: 'u', source: 'content' }])).json()).toEqual([{ token_raw: a.secret, token_type: 't', label: 'true_positive' }]);
    expect((await h.store.keys.findById(h.workspaceId, a.id))?.status).toBe('suspended');
    await suspendApp.close();

    const notifyApp = await appWith('notify');
    const b = await key();
    await post(notifyApp, [{ token: b.secret, type: 't', url: 'https://gist.github.com/x', source: 'gist' }]);
    expect((await h.store.keys.findById(h.workspaceId, b.id))?.status).toBe('active');
    const events = await h.store.audit.list(h.workspaceId, { targetId: b.id, limit: 10 });
    expect(events.map((e) => [e.event.action, e.event.actor.id, e.event.data.url])).toContainEqual(['key.leak_reported', 'leak-report', 'https://gist.github.com/x']);
    await notifyApp.close();
  });

  it('reads the reporter keys and the policy from the environment, naming a bad setting', () => {
    const spki = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
    const config = loadConfig({ CLAVIS_LEAK_REPORT_PUBLIC_KEYS: `${KEY_ID}=${spki}`, CLAVIS_LEAK_POLICY: 'suspend' });
    expect([...config.leakReports.publicKeys.keys()]).toEqual([KEY_ID]);
    expect(config.leakReports.policy).toBe('suspend');
    expect(loadConfig({}).leakReports).toEqual({ publicKeys: new Map(), policy: 'revoke' });
    expect(() => loadConfig({ CLAVIS_LEAK_REPORT_PUBLIC_KEYS: 'k=nope!', CLAVIS_LEAK_POLICY: 'delete' })).toThrow(/CLAVIS_LEAK_REPORT_PUBLIC_KEYS: key k[\s\S]*CLAVIS_LEAK_POLICY/);
  });

  it('refuses configured keys that are not ECDSA P-256, naming them', () => {
    const ed = generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
    expect(() => parseLeakPublicKeys(`edkey=${ed}`)).toThrow(/edkey.*P-256/);
    expect(() => parseLeakPublicKeys('nokey')).toThrow(/id=key/);
    expect(() => parseLeakPublicKeys('k=notbase64!!')).toThrow(/k:/);
  });
});

describe('clavis scan with a server', () => {
  let dir: string;
  let url: string;
  let server: App;

  beforeAll(async () => {
    server = await buildApp({ services: h.services, logger: false });
    await server.listen({ port: 0, host: '127.0.0.1' });
    const address = server.server.address();
    if (address === null || typeof address === 'string') throw new Error('no address');
    url = `http://127.0.0.1:${address.port}`;
    dir = mkdtempSync(join(tmpdir(), 'clavis-revoke-'));
  });
  afterAll(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('looks found keys up by hash, and --revoke revokes the live ones with the finding as the reason', async () => {
    const live = await key();
    const revoked = await key();
    await h.services.keys.revoke(acting(), revoked.id, 'earlier');
    const unknown = generateCredential('clv', 'live');
    writeFileSync(join(dir, 'app.env'), `A=${live.secret}\nB=${revoked.secret}\nC=${unknown}\n`);
    writeFileSync(join(dir, 'copy.txt'), `again ${live.secret}\n`);
    const env = { CLAVIS_URL: url, CLAVIS_TOKEN: h.owner.secret };

    const verify = await clavis(['scan', '--format', 'json'], { cwd: dir, env });
    expect(verify.code, verify.stderr).toBe(1);
    const verified = (JSON.parse(verify.stdout) as JsonReport).findings.map((f) => [f.file, f.line, f.verified]);
    expect(verified).toEqual([
      ['app.env', 1, 'live'],
      ['app.env', 2, 'revoked'],
      ['app.env', 3, 'unknown'],
      ['copy.txt', 1, 'live'],
    ]);
    expect((await h.store.keys.findById(h.workspaceId, live.id))?.status).toBe('active');

    const offline = await clavis(['scan', '--format', 'json', '--offline'], { cwd: dir, env });
    expect((JSON.parse(offline.stdout) as JsonReport).findings.every((f) => f.verified === undefined)).toBe(true);

    const revoke = await clavis(['scan', '--revoke', '--format', 'json'], { cwd: dir, env });
    expect(revoke.code, revoke.stderr).toBe(1);
    expect(revoke.stderr).toContain(`revoked 1 key(s) found live or suspended: ${live.id}`);
    const after = await h.store.keys.findById(h.workspaceId, live.id);
    expect(after?.status).toBe('revoked');
    expect(after?.revokeReason).toBe('leaked: found by clavis scan at app.env:1');
    expect((JSON.parse(revoke.stdout) as JsonReport).findings.filter((f) => f.revoked === live.id)).toHaveLength(2);
    expect((await h.store.keys.findById(h.workspaceId, revoked.id))?.revokeReason).toBe('earlier');
  });

  it('fails with exit 2 when --verify cannot reach the server, and only warns when the lookup was implied', async () => {
    writeFileSync(join(dir, 'k.env'), `K=${generateCredential('clv', 'live')}\n`);
    const env = { CLAVIS_URL: 'http://127.0.0.1:1', CLAVIS_TOKEN: h.owner.secret };
    const explicit = await clavis(['scan', 'k.env', '--verify'], { cwd: dir, env });
    expect(explicit.code).toBe(2);
    expect(explicit.stderr).toContain('cannot reach the server');
    const implied = await clavis(['scan', 'k.env'], { cwd: dir, env });
    expect(implied.code).toBe(1);
    expect(implied.stderr).toContain('warning: could not look the found keys up');
    expect((await clavis(['scan', 'k.env', '--revoke'], { cwd: dir, env: {} })).code).toBe(2);
  });
});

