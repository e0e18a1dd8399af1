import { closeSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Store } from '../core/ports/store.ts';
import { openPostgresStore } from './postgres/postgres-store.ts';
import { openSqliteStore } from './sqlite/sqlite-store.ts';

export interface OpenStoreOptions {
  /** A postgres:// or postgresql:// URL selects PostgreSQL; unset or empty selects SQLite. */
  databaseUrl?: string;
  sqlitePath: string;
  sqliteSynchronous?: 'full' | 'normal';
}

const POSTGRES_URL = /^postgres(ql)?:\/\//i;

/**
 * Opens the configured store and brings its schema up to date. Any other non-empty URL throws
 * rather than quietly falling back to a local SQLite file the operator did not ask for.
 *
 * @example const store = await openStore({ databaseUrl: process.env.DATABASE_URL, sqlitePath: '.clavis/clavis.db' })
 */
export async function openStore(opts: OpenStoreOptions): Promise<Store> {
  const url = opts.databaseUrl?.trim() ?? '';
  if (POSTGRES_URL.test(url)) return openPostgresStore({ url });
  if (url !== '') throw new RangeError('database URL must start with postgres:// or postgresql://');
  if (opts.sqlitePath !== ':memory:') {
    mkdirSync(dirname(opts.sqlitePath), { recursive: true, mode: 0o700 });
    // Create the file owner-only before SQLite does; its -wal and -shm files copy this mode.
    closeSync(openSync(opts.sqlitePath, 'a', 0o600));
  }
  return openSqliteStore({ path: opts.sqlitePath, synchronous: opts.sqliteSynchronous ?? 'full' });
}
