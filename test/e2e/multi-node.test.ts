import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanup, createKey, http, makeTempDir, startServer, verifyKey, waitFor, type Server } from './process.ts';
import { E2E_POSTGRES_URL, postgresProblem } from './postgres-availability.ts';

/**
 * Two real server processes on one PostgreSQL schema, with a one-hour cache TTL: a change made on
 * node A can only reach node B's cache by push (LISTEN/NOTIFY), never by expiry. Then B's change
 * feed is cut (its LISTEN connection terminated) and B must stay correct while it is down and
 * recover by itself.
 */
const BASE_URL = E2E_POSTGRES_URL;
const problem = await postgresProblem('test/e2e/multi-node.test.ts');

describe.skipIf(problem !== null)('many nodes on PostgreSQL', () => {
  const schema = `clavis_mn_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: BASE_URL });
  let a: Server;
  let b: Server;
  let token: string;

  beforeAll(async () => {
    await admin.connect();
    await admin.query(`CREATE SCHEMA ${pg.escapeIdentifier(schema)}`);
    const url = new URL(BASE_URL);
    url.searchParams.set('options', `-c search_path=${schema}`);
    const shared = makeTempDir('clavis-mn-');
    const env = { CLAVIS_DATABASE_URL: url.toString(), CLAVIS_CACHE_TTL_MS: '3600000', CLAVIS_NEGATIVE_CACHE_TTL_MS: '3600000', CLAVIS_AUDIT_SIGNING_KEY_FILE: join(shared, 'audit.pem') };
    a = await startServer(env);
    token = readFileSync(a.tokenFile, 'utf8').trim();
    b = await startServer(env);
  }, 60_000);

  afterAll(async () => {
    await cleanup();
    await admin.query(`DROP SCHEMA IF EXISTS ${pg.escapeIdentifier(schema)} CASCADE`);
    await admin.end();
  });

  it('enforces a revocation, suspension and scope change made on A at B, by push', async () => {
    const k = await createKey(a.url, token, 'mn', ['prices:read', 'index:read']);
    expect((await verifyKey(b.url, token, k.key, 'index:read')).code).toBe('VALID'); // now cached on B
    await http(a.url, 'PATCH', `/v1/keys/${k.id}`, { token, body: { scopes: ['prices:read'] } });
    await waitFor(async () => (await verifyKey(b.url, token, k.key, 'index:read')).code === 'INSUFFICIENT_SCOPE');
    await http(a.url, 'POST', `/v1/keys/${k.id}/suspend`, { token, body: {} });
    await waitFor(async () => (await verifyKey(b.url, token, k.key)).code === 'SUSPENDED');
    await http(a.url, 'POST', `/v1/keys/${k.id}/resume`, { token, body: {} });
    await waitFor(async () => (await verifyKey(b.url, token, k.key)).code === 'VALID');
    await http(a.url, 'POST', `/v1/keys/${k.id}/revoke`, { token, body: { reason: 'test' } });
    await waitFor(async () => (await verifyKey(b.url, token, k.key)).code === 'REVOKED');
  });

  it('refuses a revoked admin token at B once A revokes it', async () => {
    const created = await http<{ id: string; token: string }>(a.url, 'POST', '/v1/tokens', { token, body: { name: 'mn', role: 'developer' } });
    const t = created.body.token;
    expect((await http(b.url, 'GET', '/v1/keys', { token: t })).status).toBe(200); // cached on B
    await http(a.url, 'POST', `/v1/tokens/${created.body.id}/revoke`, { token, body: {} });
    await waitFor(async () => (await http(b.url, 'GET', '/v1/keys', { token: t })).status === 401);
  });

  it('never serves a stale key while its change feed is cut, and recovers by itself', async () => {
    const k = await createKey(a.url, token, 'feed', ['prices:read']);
    expect((await verifyKey(b.url, token, k.key)).code).toBe('VALID');
    // Cut every LISTEN connection (A's and B's); the revocation's NOTIFY may then reach nobody.
    await admin.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'clavis-listen' AND pid <> pg_backend_pid()`);
    await http(a.url, 'POST', `/v1/keys/${k.id}/revoke`, { token, body: { reason: 'cut feed' } });
    // B dropped its cache at the gap and reads the store: the revocation holds at once.
    await waitFor(async () => (await verifyKey(b.url, token, k.key)).code === 'REVOKED', 5_000);
    // The feed comes back by itself (a new LISTEN connection per node) and push works again.
    await waitFor(async () => {
      const r = await admin.query<{ n: string }>(`SELECT count(*) AS n FROM pg_stat_activity WHERE application_name = 'clavis-listen'`);
      return Number(r.rows[0]?.n ?? 0) >= 2;
    }, 15_000);
    const k2 = await createKey(a.url, token, 'after', ['prices:read']);
    expect((await verifyKey(b.url, token, k2.key)).code).toBe('VALID');
    await http(a.url, 'POST', `/v1/keys/${k2.id}/revoke`, { token, body: { reason: 'after recovery' } });
    await waitFor(async () => (await verifyKey(b.url, token, k2.key)).code === 'REVOKED');
  });
});
