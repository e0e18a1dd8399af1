/**
 * Revocation propagation between two nodes on one PostgreSQL schema (DESIGN.md section 3: a
 * revoked key is refused by every node within a stated bound, goal p99 < 100 ms). Node A revokes;
 * node B, which holds the key in its verify cache, gets the LISTEN/NOTIFY announcement and drops
 * it. Latency = from A starting the revoke to B's cache invalidation, over 200 revocations.
 * Baseline: a bare `SELECT 1` round trip on the same server, timed the same way.
 *
 * Needs PostgreSQL at $CLAVIS_TEST_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/test);
 * uses a throwaway schema and drops it.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { ephemeralSigner } from '../src/keyring/local-signer.ts';
import { createServices, type Services } from '../src/services.ts';
import { openPostgresStore } from '../src/storage/postgres/postgres-store.ts';
import { BENCH_CACHE, BENCH_POLICY } from './lib/setup.ts';
import { emit, note, round } from './lib/measure.ts';

const URL_ = process.env.CLAVIS_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const REVOCATIONS = 200;
const schema = `clavis_bench_${randomBytes(5).toString('hex')}`;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

const admin = new pg.Client({ connectionString: URL_ });
await admin.connect();
try {
  const storeA = await openPostgresStore({ url: URL_, schema, poolSize: 4 });
  const storeB = await openPostgresStore({ url: URL_, schema, poolSize: 4 });
  const signer = ephemeralSigner();
  const make = (store: typeof storeA): Services => createServices({ store, signer, policy: BENCH_POLICY, cache: { ...BENCH_CACHE, ttlMs: 3_600_000 }, auditOrigin: 'bench' });
  const a = make(storeA);
  const b = make(storeB);
  const arrivals = new Map<string, (t: number) => void>();
  const watch = await storeB.watch({
    onChange: (c) => {
      b.changeListener.onChange(c);
      arrivals.get(c.hash)?.(performance.now());
    },
    onGap: () => b.changeListener.onGap(),
    onResume: () => b.changeListener.onResume(),
  });
  const boot = await a.workspaces.bootstrap('bench');
  if (boot === null) throw new Error('fresh schema expected');
  const acting = { workspaceId: boot.workspace.id, actor: { type: 'system' as const, id: 'bench' } };

  const latencies: number[] = [];
  for (let i = 0; i < REVOCATIONS + 20; i += 1) {
    const issued = await a.keys.create(acting, { name: `k${i}`, environment: 'test', scopes: ['prices:read'] });
    const before = await b.verifier.verify({ key: issued.secret, workspaceId: acting.workspaceId });
    if (before.code !== 'VALID') throw new Error(`B should see the new key as VALID, got ${before.code}`);
    const arrived = new Promise<number>((done) => arrivals.set(issued.record.hash, done));
    const t0 = performance.now();
    await a.keys.revoke(acting, issued.record.id, 'bench');
    const t1 = await Promise.race([arrived, new Promise<number>((_, fail) => setTimeout(() => fail(new Error('no announcement within 5 s')), 5000).unref())]);
    arrivals.delete(issued.record.hash);
    const after = await b.verifier.verify({ key: issued.secret, workspaceId: acting.workspaceId });
    if (after.code !== 'REVOKED') throw new Error(`B should refuse the revoked key, got ${after.code}`);
    if (i >= 20) latencies.push(t1 - t0); // the first 20 warm up pools and JIT
  }
  const rtts: number[] = [];
  for (let i = 0; i < REVOCATIONS + 20; i += 1) {
    const t0 = performance.now();
    await admin.query('SELECT 1');
    if (i >= 20) rtts.push(performance.now() - t0);
  }
  latencies.sort((x, y) => x - y);
  rtts.sort((x, y) => x - y);
  const p99 = percentile(latencies, 99);
  note(`propagation over ${latencies.length} revocations: p50 ${percentile(latencies, 50).toFixed(2)} ms, p99 ${p99.toFixed(2)} ms`);
  emit({
    name: 'revocation.propagation.p99',
    unit: 'ms',
    value: round(p99, 4),
    baseline: { name: 'postgres-select-1-roundtrip.p99', value: round(percentile(rtts, 99), 4) },
    n: latencies.length,
    p50Ms: round(percentile(latencies, 50), 4),
    p90Ms: round(percentile(latencies, 90), 4),
    maxMs: round(latencies.at(-1) ?? Number.NaN, 4),
    baselineP50Ms: round(percentile(rtts, 50), 4),
    note: 'latency from the start of the revoke on node A (commit included) to node B dropping the key from its cache',
  });
  await watch.close();
  await storeA.close();
  await storeB.close();
} finally {
  await admin.query(`DROP SCHEMA IF EXISTS ${pg.escapeIdentifier(schema)} CASCADE`);
  await admin.end();
}
