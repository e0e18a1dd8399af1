import { escapeIdentifier } from 'pg';
import type { PoolClient } from 'pg';
import { loadMigrations } from '../common/migrations.ts';

const MIGRATIONS_DIR = new URL('../migrations/postgres/', import.meta.url);

/**
 * Creates the schema when asked and applies pending migrations, in one transaction under a
 * transaction-scoped advisory lock: instances starting together take turns, and the later ones
 * find nothing left to do. `client` must already have the schema on its search_path.
 * Returns the versions applied now.
 */
export async function migratePostgres(client: PoolClient, schema: string | undefined, now: () => number = Date.now): Promise<number[]> {
  const migrations = loadMigrations(MIGRATIONS_DIR);
  const applied: number[] = [];
  await client.query('BEGIN');
  try {
    await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`clavis:migrate:${schema ?? ''}`]);
    if (schema !== undefined) {
      // Checked first so a role without CREATE on the database can use a schema made for it.
      const found = await client.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema]);
      if (found.rowCount === 0) await client.query(`CREATE SCHEMA ${escapeIdentifier(schema)}`);
    }
    await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version     INTEGER NOT NULL PRIMARY KEY,
      name        TEXT    NOT NULL,
      applied_at  BIGINT  NOT NULL
    )`);
    const done = new Set(
      (await client.query<{ version: number }>('SELECT version FROM schema_migrations')).rows.map((r) => r.version),
    );
    for (const m of migrations) {
      if (done.has(m.version)) continue;
      await client.query(m.sql);
      await client.query('INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)', [
        m.version,
        m.name,
        now(),
      ]);
      applied.push(m.version);
    }
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
  return applied;
}
