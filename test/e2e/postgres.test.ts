import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanup, createKey, http, listAll, startServer, verifyKey, type ApiKey, type Checkpoints, type KeyCreated } from './process.ts';
import { E2E_POSTGRES_URL, postgresProblem } from './postgres-availability.ts';

/**
 * The same first start / create / verify / kill -9 / restart flow against PostgreSQL. Each run
 * gets its own schema, passed to the server through the URL's `options=-c search_path=<schema>`
 * (node-postgres sends it in the startup packet), and dropped afterwards.
 *
 * Unreachable PostgreSQL fails the suite on CI and skips it (with a warning) elsewhere.
 */
const BASE_URL = E2E_POSTGRES_URL;
const problem = await postgresProblem('test/e2e/postgres.test.ts');

/** BASE_URL with the search_path of `schema`. */
function urlWithSchema(schema: string): string {
  const url = new URL(BASE_URL);
  url.searchParams.set('options', `-c search_path=${schema}`);
  return url.toString();
}

describe.skipIf(problem !== null)('PostgreSQL store, end to end', () => {
  const schema = `clavis_e2e_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: BASE_URL });

  beforeAll(async () => {
    await admin.connect();
    await admin.query(`CREATE SCHEMA ${pg.escapeIdentifier(schema)}`);
  });

  afterAll(async () => {
    // The server must be gone before its schema is dropped.
    await cleanup();
    await admin.query(`DROP SCHEMA IF EXISTS ${pg.escapeIdentifier(schema)} CASCADE`);
    await admin.end();
  });

  it('first start, create, verify, kill -9, restart: every key still verifies', async () => {
    const env = { CLAVIS_DATABASE_URL: urlWithSchema(schema) };
    const first = await startServer(env);
    expect(first.stdout.join('\n')).toContain('store: postgres');
    expect(first.stdout.join('\n')).toMatch(/First start/);
    const token = readFileSync(first.tokenFile, 'utf8').trim();

    const ready = await http<{ status: string; store: string; keyring: unknown }>(first.url, 'GET', '/readyz');
    expect(ready.status).toBe(200);
    expect(ready.body).toEqual({ status: 'ready', store: 'postgres', keyring: { state: 'unsealed', provider: 'local' } });

    // The tables went into our schema, not public.
    const tables = await admin.query<{ table_name: string }>('SELECT table_name FROM information_schema.tables WHERE table_schema = $1', [schema]);
    expect(tables.rows.map((r) => r.table_name)).toEqual(expect.arrayContaining(['api_keys', 'schema_migrations']));

    const created: KeyCreated[] = [];
    for (let i = 0; i < 10; i++) created.push(await createKey(first.url, token, `pg ${i}`));
    for (const k of created) expect(await verifyKey(first.url, token, k.key, 'prices:read')).toMatchObject({ valid: true, code: 'VALID' });

    const exit = await first.kill9();
    expect(exit.signal).toBe('SIGKILL');

    // Same schema and data dir (the audit signing key lives there); the owner exists already.
    const second = await startServer(env, { dataDir: first.dataDir });
    expect(second.stdout.join('\n')).not.toMatch(/First start/);
    const listed = await listAll<ApiKey>(second.url, '/v1/keys?limit=200', token);
    expect(listed.map((k) => k.id).sort()).toEqual(created.map((k) => k.id).sort());
    for (const k of created) expect(await verifyKey(second.url, token, k.key, 'prices:read')).toMatchObject({ valid: true, code: 'VALID', keyId: k.id });

    const cps = await http<Checkpoints>(second.url, 'GET', '/v1/audit/checkpoints', { token });
    expect(cps.status).toBe(200);
    expect(cps.body.treeSize).toBe(2 + created.length);
    expect((await second.stop()).code).toBe(0);
  });
});
