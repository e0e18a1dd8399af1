import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadMigrations } from '../../src/storage/common/migrations.ts';
import { ClavisError } from '../../src/core/errors/registry.ts';
import { openStore } from '../../src/storage/open-store.ts';
import { openPostgresStore } from '../../src/storage/postgres/postgres-store.ts';
import { runStoreContract } from './store-contract.ts';

const url = process.env.CLAVIS_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const required = Boolean(process.env.CI) || process.env.CLAVIS_REQUIRE_POSTGRES === '1';
const runId = `${process.pid}_${randomBytes(4).toString('hex')}`;

function withoutPassword(raw: string): string {
  try {
    const u = new URL(raw);
    u.password = '';
    return u.toString();
  } catch {
    return '(unparseable URL)';
  }
}

async function admin<T>(fn: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

async function reachable(): Promise<boolean> {
  try {
    await admin((c) => c.query('SELECT 1'));
    return true;
  } catch {
    return false;
  }
}

async function tablesIn(schema: string): Promise<string[]> {
  const result = await admin((c) =>
    c.query<{ table_name: string }>(
      'SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY table_name',
      [schema],
    ),
  );
  return result.rows.map((r) => r.table_name);
}

const canConnect = await reachable();
const schemas: string[] = [];
let n = 0;
function freshSchema(): string {
  const schema = `clavis_test_${runId}_${++n}`;
  schemas.push(schema);
  return schema;
}

if (!canConnect && required) {
  describe('postgres store', () => {
    beforeAll(() => {
      throw new Error(`PostgreSQL is required (CI or CLAVIS_REQUIRE_POSTGRES=1) but cannot connect to ${withoutPassword(url)}`);
    });
    it('connects', () => undefined);
  });
} else if (!canConnect) {
  console.warn(`PostgreSQL suite skipped: cannot connect to ${withoutPassword(url)}`);
}

describe.skipIf(!canConnect)('postgres', () => {
  afterAll(async () => {
    if (schemas.length === 0) return;
    await admin(async (c) => {
      for (const schema of schemas) await c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    });
  });

  runStoreContract('postgres', async () => {
    const store = await openPostgresStore({ url, schema: freshSchema(), poolSize: 5 });
    return { store, cleanup: () => store.close() };
  });

  describe('postgres change feed', () => {
    it('delivers announcements of committed transactions to every watcher, and none of rolled-back ones', async () => {
      const schema = freshSchema();
      const one = await openPostgresStore({ url, schema, poolSize: 2 });
      const two = await openPostgresStore({ url, schema, poolSize: 2 });
      const seen: string[] = [];
      const watch = await two.watch({ onChange: (c) => seen.push(`${c.kind}:${c.hash.slice(0, 4)}`), onGap: () => seen.push('gap'), onResume: () => seen.push('resume') });
      try {
        const h = (c: string) => c.repeat(64);
        await one.transact((tx) => tx.changes.announce({ kind: 'key', hash: h('a') }));
        await expect(
          one.transact(async (tx) => {
            await tx.changes.announce({ kind: 'key', hash: h('b') });
            throw new Error('roll back');
          }),
        ).rejects.toThrow('roll back');
        await one.transact((tx) => tx.changes.announce({ kind: 'token', hash: h('c') }));
        for (let i = 0; i < 100 && seen.length < 2; i += 1) await new Promise((r) => setTimeout(r, 20));
        expect(seen).toEqual(['key:aaaa', 'token:cccc']);
      } finally {
        await watch.close();
        await one.close();
        await two.close();
      }
    });
  });

  describe('postgres store', () => {
    it('creates its schema, keeps tables there, and migrates once even when started concurrently', async () => {
      const schema = freshSchema();
      const stores = await Promise.all([1, 2, 3].map(() => openPostgresStore({ url, schema, poolSize: 2 })));
      await Promise.all(stores.map((s) => s.close()));
      const again = await openPostgresStore({ url, schema, poolSize: 1 });
      await again.close();
      const versions = await admin((c) =>
        c.query<{ version: number }>(`SELECT version FROM "${schema}".schema_migrations ORDER BY version`),
      );
      const tables = await tablesIn(schema);
      expect(versions.rows.map((v) => v.version)).toEqual(loadMigrations(new URL('../../src/storage/migrations/postgres/', import.meta.url)).map((m) => m.version));
      expect(tables).toEqual([
        'admin_tokens',
        'alerts',
        'api_keys',
        'audit_checkpoints',
        'audit_events',
        'audit_heads',
        'key_last_use',
        'key_signing_secrets',
        'mfa_recovery_codes',
        'mfa_totp',
        'offboarded_owners',
        'paper_portfolios',
        'paper_positions',
        'paper_quotes',
        'paper_trades',
        'scheduler_leases',
        'scheduler_notices',
        'schema_migrations',
        'usage_buckets',
        'users',
        'vault_keyring',
        'vault_root_keys',
        'vault_secret_versions',
        'vault_secrets',
        'waitlist_signups',
        'webhook_deliveries',
        'webhook_endpoints',
        'workspace_settings',
        'workspaces',
      ]);
    });

    it('returns BIGINT columns as numbers beyond 2^32', async () => {
      const store = await openPostgresStore({ url, schema: freshSchema(), poolSize: 2 });
      try {
        const ws = { id: 'ws_big', name: 'big', createdAt: 2 ** 52 + 1, operator: false };
        await store.transact((tx) => tx.workspaces.insert(ws));
        const found = await store.workspaces.findById(ws.id);
        expect(found).toEqual(ws);
        expect(typeof found?.createdAt).toBe('number');
      } finally {
        await store.close();
      }
    });

    it('fails with STORE_UNAVAILABLE when the server cannot be reached', async () => {
      const dead = new URL(url);
      dead.port = '1';
      const err: unknown = await openPostgresStore({ url: dead.toString(), schema: freshSchema() }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ClavisError);
      expect((err as ClavisError).code).toBe('STORE_UNAVAILABLE');
      expect((err as ClavisError).status).toBe(503);
    });

    it('survives the server dropping its idle connections', async () => {
      // A name of our own, so only this store's connections are terminated.
      const appName = `clavis_test_${runId}_terminate`;
      const named = new URL(url);
      named.searchParams.set('application_name', appName);
      const store = await openPostgresStore({ url: named.toString(), schema: freshSchema(), poolSize: 2 });
      try {
        await store.ping();
        const killed = await admin((c) =>
          c.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1', [appName]),
        );
        expect(killed.rowCount).toBeGreaterThan(0);
        await new Promise((resolve) => setTimeout(resolve, 200));
        await expect(store.ping()).resolves.toBeUndefined();
        expect(await store.tokens.anyOwner()).toBe(false);
      } finally {
        await store.close();
      }
    });

    it('openStore picks PostgreSQL for a postgres:// URL, honouring options in the URL', async () => {
      // openStore takes no schema, so the URL's own search_path keeps the test out of public.
      const schema = freshSchema();
      await admin((c) => c.query(`CREATE SCHEMA "${schema}"`));
      const scoped = new URL(url);
      scoped.searchParams.set('options', `-c search_path=${schema}`);
      const store = await openStore({ databaseUrl: scoped.toString(), sqlitePath: '/nonexistent/never-created.db' });
      try {
        expect(store.kind).toBe('postgres');
        await store.ping();
      } finally {
        await store.close();
      }
      expect(await tablesIn(schema)).toContain('schema_migrations');
    });

    it('merges a URL options parameter with the schema search_path', async () => {
      const schema = freshSchema();
      const withOptions = new URL(url);
      withOptions.searchParams.set('options', '-c statement_timeout=60000');
      const store = await openPostgresStore({ url: withOptions.toString(), schema, poolSize: 1 });
      try {
        await store.transact((tx) => tx.workspaces.insert({ id: 'ws_opt', name: 'o', createdAt: 1, operator: false }));
      } finally {
        await store.close();
      }
      expect(await tablesIn(schema)).toContain('workspaces');
      const rows = await admin((c) => c.query<{ n: number }>(`SELECT count(*)::int AS n FROM "${schema}".workspaces`));
      expect(rows.rows[0]?.n).toBe(1);
    });

    it('rejects a schema name it would have to quote', async () => {
      await expect(openPostgresStore({ url, schema: 'Bad-Name' })).rejects.toThrow(RangeError);
    });
  });
});
