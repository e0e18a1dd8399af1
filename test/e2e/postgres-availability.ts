import pg from 'pg';

/** The PostgreSQL server the end-to-end suites use. */
export const E2E_POSTGRES_URL = process.env.E2E_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/**
 * Why PostgreSQL cannot be used, or null when it can. On CI an unreachable server is an error
 * (the suite must not skip there); elsewhere it prints one line saying the suite is skipped.
 */
export async function postgresProblem(suite: string): Promise<string | null> {
  const client = new pg.Client({ connectionString: E2E_POSTGRES_URL, connectionTimeoutMillis: 3000 });
  let problem: string | null = null;
  try {
    await client.connect();
    await client.query('SELECT 1');
  } catch (err) {
    problem = err instanceof Error ? err.message : String(err);
  } finally {
    await client.end().catch(() => undefined);
  }
  if (problem === null) return null;
  if (process.env.CI !== undefined && process.env.CI !== '' && process.env.CI !== 'false') {
    throw new Error(`PostgreSQL at ${E2E_POSTGRES_URL} cannot be reached (${problem}); the ${suite} suite must run on CI`);
  }
  console.warn(`${suite}: skipped, PostgreSQL at ${E2E_POSTGRES_URL} cannot be reached (${problem})`);
  return problem;
}
