import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe } from 'vitest';
import { createMemoryStore } from '../../src/storage/memory/memory-store.ts';
import { openPostgresStore } from '../../src/storage/postgres/postgres-store.ts';
import { openSqliteStore } from '../../src/storage/sqlite/sqlite-store.ts';
import { PG_URL, postgresReachable, throwawaySchemas } from './postgres.ts';
import { runSchedulerStoreContract } from './scheduler-store-contract.ts';

const dir = mkdtempSync(join(tmpdir(), 'clavis-sched-'));
let n = 0;
const schemas = throwawaySchemas();
const pg = await postgresReachable('scheduler store contract');

afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  await schemas.dropAll();
});

runSchedulerStoreContract('memory', async () => {
  const store = createMemoryStore();
  return { store, cleanup: () => store.close() };
});

runSchedulerStoreContract('sqlite', async () => {
  const store = openSqliteStore({ path: join(dir, `sched-${++n}.db`) });
  return { store, cleanup: () => store.close() };
});

describe.skipIf(!pg)('postgres', () => {
  runSchedulerStoreContract('postgres', async () => {
    const store = await openPostgresStore({ url: PG_URL, schema: schemas.fresh(), poolSize: 6 });
    return { store, cleanup: () => store.close() };
  });
});
