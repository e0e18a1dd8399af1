import type { Database } from 'better-sqlite3';
import { loadMigrations } from '../common/migrations.ts';

const MIGRATIONS_DIR = new URL('../migrations/sqlite/', import.meta.url);

/**
 * Applies pending migrations in version order, all in one `BEGIN IMMEDIATE` transaction so a
 * second process opening the same file waits (busy_timeout) and then finds nothing to do.
 * Returns the versions applied now.
 */
export function migrateSqlite(db: Database, now: () => number = Date.now): number[] {
  const migrations = loadMigrations(MIGRATIONS_DIR);
  const applied: number[] = [];
  db.exec('BEGIN IMMEDIATE');
  try {
    db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version     INTEGER NOT NULL PRIMARY KEY,
      name        TEXT    NOT NULL,
      applied_at  INTEGER NOT NULL
    ) STRICT`);
    const done = new Set(
      db
        .prepare<[], { version: number }>('SELECT version FROM schema_migrations')
        .all()
        .map((r) => r.version),
    );
    const record = db.prepare<[number, string, number]>(
      'INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)',
    );
    for (const m of migrations) {
      if (done.has(m.version)) continue;
      db.exec(m.sql);
      record.run(m.version, m.name, now());
      applied.push(m.version);
    }
    db.exec('COMMIT');
  } catch (err) {
    if (db.inTransaction) db.exec('ROLLBACK');
    throw err;
  }
  return applied;
}
