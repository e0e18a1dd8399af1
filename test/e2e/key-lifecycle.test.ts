import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  cleanup,
  http,
  listAll,
  startServer,
  verifyKey,
  type ApiKey,
  type AuditEvent,
  type KeyCreated,
  type KeyRotated,
  type Page,
  type Problem,
  type Server,
  type TokenCreated,
  type WorkspaceAnswer,
} from './process.ts';

const KEY_PATTERN = /^clv_test_[0-9A-Za-z]{49}$/;

let server: Server;
let owner: string;
let ownerTokenId: string;

beforeAll(async () => {
  server = await startServer();
  owner = readFileSync(server.tokenFile, 'utf8').trim();
  const who = await http<WorkspaceAnswer>(server.url, 'GET', '/v1/workspace', { token: owner });
  expect(who.status).toBe(200);
  ownerTokenId = who.body.caller.tokenId;
});

afterAll(cleanup);

describe('key lifecycle over real HTTP', () => {
  // Filled in by the lifecycle test, read by the audit test (tests in a file run in order).
  const secrets: string[] = [];
  const ids: string[] = [];

  it('create, verify, rotate, suspend, resume, revoke', async () => {
    const created = await http<KeyCreated>(server.url, 'POST', '/v1/keys', {
      token: owner,
      body: { name: 'e2e lifecycle', environment: 'test', scopes: ['prices:read'] },
    });
    expect(created.status).toBe(201);
    expect(created.headers.get('cache-control')).toBe('no-store');
    const first = created.body;
    expect(first.key).toMatch(KEY_PATTERN);
    expect(first.status).toBe('active');
    expect(first.scopes).toEqual(['prices:read']);
    expect(first.key.startsWith(first.start)).toBe(true);
    secrets.push(first.key);
    ids.push(first.id);

    // The key is never shown again.
    const got = await http<ApiKey>(server.url, 'GET', `/v1/keys/${first.id}`, { token: owner });
    expect(got.status).toBe(200);
    expect(got.text).not.toContain(first.key);

    expect(await verifyKey(server.url, owner, first.key, 'prices:read')).toMatchObject({ valid: true, code: 'VALID', keyId: first.id });
    expect(await verifyKey(server.url, owner, first.key, 'portfolio:trade')).toMatchObject({ valid: false, code: 'INSUFFICIENT_SCOPE', keyId: first.id });

    const rotated = await http<KeyRotated>(server.url, 'POST', `/v1/keys/${first.id}/rotate`, { token: owner, body: { gracePeriodSeconds: 0 } });
    expect(rotated.status).toBe(200);
    const next = rotated.body;
    expect(next.key).toMatch(KEY_PATTERN);
    expect(next.key).not.toBe(first.key);
    expect(next.successor.replacesId).toBe(first.id);
    expect(next.previous.replacedById).toBe(next.successor.id);
    secrets.push(next.key);
    ids.push(next.successor.id);
    expect(await verifyKey(server.url, owner, first.key)).toMatchObject({ valid: false, code: 'EXPIRED' });
    expect(await verifyKey(server.url, owner, next.key, 'prices:read')).toMatchObject({ valid: true, code: 'VALID', keyId: next.successor.id });

    const suspended = await http<ApiKey>(server.url, 'POST', `/v1/keys/${next.successor.id}/suspend`, { token: owner, body: { reason: 'e2e' } });
    expect(suspended.status).toBe(200);
    expect(suspended.body.status).toBe('suspended');
    expect(await verifyKey(server.url, owner, next.key)).toMatchObject({ valid: false, code: 'SUSPENDED' });

    const resumed = await http<ApiKey>(server.url, 'POST', `/v1/keys/${next.successor.id}/resume`, { token: owner, body: {} });
    expect(resumed.status).toBe(200);
    expect(resumed.body.status).toBe('active');
    expect(await verifyKey(server.url, owner, next.key)).toMatchObject({ valid: true, code: 'VALID' });

    const revoked = await http<ApiKey>(server.url, 'POST', `/v1/keys/${next.successor.id}/revoke`, { token: owner, body: { reason: 'e2e done' } });
    expect(revoked.status).toBe(200);
    expect(revoked.body.status).toBe('revoked');
    expect(await verifyKey(server.url, owner, next.key)).toMatchObject({ valid: false, code: 'REVOKED' });

    const again = await http<Problem>(server.url, 'POST', `/v1/keys/${next.successor.id}/revoke`, { token: owner, body: { reason: 'twice' } });
    expect(again.status).toBe(409);
    expect(again.body.code).toBe('KEY_STATE_CONFLICT');
  });

  it('a read-only admin token can list keys but not create them', async () => {
    const made = await http<TokenCreated>(server.url, 'POST', '/v1/tokens', { token: owner, body: { name: 'e2e reader', role: 'read-only' } });
    expect(made.status).toBe(201);
    expect(made.body.role).toBe('read-only');
    const reader = made.body.token;
    expect(reader).toMatch(/^clv_adm_[0-9A-Za-z]{49}$/);

    const denied = await http<Problem>(server.url, 'POST', '/v1/keys', { token: reader, body: { name: 'nope', environment: 'test', scopes: ['prices:read'] } });
    expect(denied.status).toBe(403);
    expect(denied.body.code).toBe('PERMISSION_DENIED');
    expect(denied.headers.get('content-type')).toMatch(/^application\/problem\+json/);

    const listed = await http<Page<ApiKey>>(server.url, 'GET', '/v1/keys', { token: reader });
    expect(listed.status).toBe(200);
    expect(listed.body.data.map((k) => k.id)).toEqual(expect.arrayContaining(ids));
    expect(listed.text).not.toMatch(/clv_test_[0-9A-Za-z]{49}/);

    // Only the owner's key creation got through: no key was created by the reader.
    const keys = await listAll<ApiKey>(server.url, '/v1/keys', owner);
    expect(keys.map((k) => k.name)).not.toContain('nope');
  });

  it('the audit log names the owner token as actor and never holds a key or its hash', async () => {
    const events = await listAll<AuditEvent>(server.url, '/v1/audit/events?limit=1000', owner);
    const ofKeys = events.filter((e) => e.target?.type === 'key');
    const [firstId, secondId] = ids;
    expect(firstId).toBeDefined();
    expect(secondId).toBeDefined();

    const actions = ofKeys.map((e) => `${e.action} ${e.target?.id ?? ''}`);
    expect(actions).toEqual(
      expect.arrayContaining([
        `key.created ${String(firstId)}`,
        `key.rotated ${String(firstId)}`,
        `key.created ${String(secondId)}`,
        `key.suspended ${String(secondId)}`,
        `key.resumed ${String(secondId)}`,
        `key.revoked ${String(secondId)}`,
      ]),
    );
    for (const e of ofKeys) expect(e.actor).toEqual({ type: 'token', id: ownerTokenId });
    // In log order, with consecutive sequence numbers.
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i));

    const dump = JSON.stringify(events);
    expect(secrets).toHaveLength(2);
    for (const secret of secrets) {
      expect(dump).not.toContain(secret);
      expect(dump).not.toContain(createHash('sha256').update(secret).digest('hex'));
      // Nor the secret body beyond the displayed start.
      expect(dump).not.toContain(secret.slice(secret.length - 30));
    }
    expect(dump).not.toContain(owner.slice('clv_adm_'.length));
    expect(dump).not.toContain(createHash('sha256').update(owner).digest('hex'));
  });
});
