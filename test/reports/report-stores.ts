import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import type { Store } from '../../src/core/ports/store.ts';
import { createMemoryStore } from '../../src/storage/memory/memory-store.ts';
import { openPostgresStore } from '../../src/storage/postgres/postgres-store.ts';
import { openSqliteStore } from '../../src/storage/sqlite/sqlite-store.ts';

// The reports read the store through several repos at once: their tests run on each adapter, as
// the storage contract suite does. PostgreSQL is skipped with one line when it is not reachable,
// and required in CI (CLAVIS_REQUIRE_POSTGRES=1).

export const PG_URL = process.env.CLAVIS_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
export const PG_REQUIRED = Boolean(process.env.CI) || process.env.CLAVIS_REQUIRE_POSTGRES === '1';

/** Runs `fn` with a client to the test database. */
export async function pgAdmin<T>(fn: (c: Client) => Promise<T>): Promise<T> {
  const c = new Client({ connectionString: PG_URL, connectionTimeoutMillis: 3000 });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

async function pgReachable(): Promise<boolean> {
  try {
    await pgAdmin((c) => c.query('SELECT 1'));
    return true;
  } catch {
    return false;
  }
}

export const PG_AVAILABLE = await pgReachable();
if (!PG_AVAILABLE && !PG_REQUIRED) console.warn('reports: PostgreSQL runs skipped: cannot connect to the test database');

const runId = `${process.pid}_${randomBytes(4).toString('hex')}`;
let n = 0;
/** A schema name of this run; dropped by {@link dropSchemas}. */
export function freshSchema(): string {
  return `clavis_reports_${runId}_${++n}`;
}

/** Drops every schema this run made. */
export async function dropSchemas(): Promise<void> {
  if (!PG_AVAILABLE || n === 0) return;
  await pgAdmin(async (c) => {
    for (let i = 1; i <= n; i += 1) await c.query(`DROP SCHEMA IF EXISTS "clavis_reports_${runId}_${i}" CASCADE`);
  });
}

const dir = mkdtempSync(join(tmpdir(), 'clavis-reports-'));
/** A fresh SQLite file path; the folder goes with {@link removeFiles}. */
export function freshSqlitePath(): string {
  return join(dir, `reports-${++n}.db`);
}

export function removeFiles(): void {
  rmSync(dir, { recursive: true, force: true });
}

export interface StoreCase {
  name: string;
  /** Skipped when the store cannot run here (PostgreSQL unreachable outside CI). */
  skip: boolean;
  open(): Promise<Store>;
}

/** Memory, SQLite (a file) and PostgreSQL (a schema of its own). */
export const STORES: readonly StoreCase[] = [
  { name: 'memory', skip: false, open: async () => createMemoryStore() },
  { name: 'sqlite', skip: false, open: async () => openSqliteStore({ path: freshSqlitePath() }) },
  { name: 'postgres', skip: !PG_AVAILABLE && !PG_REQUIRED, open: () => openPostgresStore({ url: PG_URL, schema: freshSchema(), poolSize: 3 }) },
];
