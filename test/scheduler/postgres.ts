import { randomBytes } from 'node:crypto';
import { Client } from 'pg';

/** The PostgreSQL server of the scheduler suites (the storage suites' setting). */
export const PG_URL = process.env.CLAVIS_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const required = Boolean(process.env.CI) || process.env.CLAVIS_REQUIRE_POSTGRES === '1';

/**
 * Whether the suites can use PostgreSQL. Unreachable: one line saying the suite is skipped, or an
 * error on CI (or with CLAVIS_REQUIRE_POSTGRES=1), where it must run.
 */
export async function postgresReachable(suite: string): Promise<boolean> {
  const client = new Client({ connectionString: PG_URL, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch (err) {
    if (required) throw new Error(`PostgreSQL is required (CI or CLAVIS_REQUIRE_POSTGRES=1) but cannot be reached: ${err instanceof Error ? err.message : String(err)}`);
    console.warn(`${suite}: PostgreSQL suites skipped, cannot connect to the test database`);
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Throwaway schemas, one per store, dropped by `dropAll()`. */
export function throwawaySchemas(): { fresh(): string; dropAll(): Promise<void> } {
  const run = `${process.pid}_${randomBytes(4).toString('hex')}`;
  const made: string[] = [];
  return {
    fresh: () => {
      const schema = `clavis_sched_${run}_${made.length + 1}`;
      made.push(schema);
      return schema;
    },
    dropAll: async () => {
      if (made.length === 0) return;
      const client = new Client({ connectionString: PG_URL, connectionTimeoutMillis: 3000 });
      await client.connect();
      try {
        for (const s of made.splice(0)) await client.query(`DROP SCHEMA IF EXISTS "${s}" CASCADE`);
      } finally {
        await client.end();
      }
    },
  };
}
