/**
 * What usage counting costs the verify path: KeyVerifier.verify on a warm cache followed by
 * `usage.record` (the queue push the verify route does, with the scope asked for), against verify alone. The counting side
 * also pays, amortised, everything the monitor does off the request: a drain every 1,000
 * verifications (GeoIP lookup through the real geoip-lite database behind a cache, minute
 * buckets, last use, every detector) and a flush to the memory store every 50,000.
 *
 * Extras split the cost: `recordNsPerOp` is what the verify path itself pays (the queue push),
 * `drainNsPerEvent` the monitor's later work per verification, each timed alone.
 *
 * Set-up: a memory store with 1,000 live keys, each used from two addresses of one public range
 * (2,000 in all), the default detector thresholds and a fixed clock. Steady traffic: no alert is
 * raised (checked), so no alert transaction is measured.
 */
import { loadGeoipLite } from '../src/geoip/geoip-lite-locator.ts';
import type { VerifyRequest } from '../src/core/keys/verify.ts';
import { ephemeralSigner } from '../src/keyring/local-signer.ts';
import { createServices } from '../src/services.ts';
import { createMemoryStore } from '../src/storage/memory/memory-store.ts';
import { compare, emit, note, round } from './lib/measure.ts';
import { BENCH_CACHE, BENCH_POLICY, counterIds, fixedClock } from './lib/setup.ts';

const KEYS = 1000;
const ADDRESSES = 2000;
const DRAIN_EVERY = 1000;
const FLUSH_EVERY = 50_000;

const t0 = performance.now();
const geo = loadGeoipLite();
const geoMs = performance.now() - t0;
const store = createMemoryStore();
const services = createServices({
  store,
  signer: ephemeralSigner(),
  policy: BENCH_POLICY,
  cache: BENCH_CACHE,
  auditOrigin: 'bench.clavis.local',
  clock: fixedClock,
  ids: counterIds(),
  monitor: { geo, schedule: () => undefined },
});
const boot = await services.workspaces.bootstrap('bench');
if (boot === null) throw new Error('bench: expected a fresh store');
const acting = { workspaceId: boot.workspace.id, actor: { type: 'system' as const, id: 'bench' } };
const requests: VerifyRequest[] = [];
for (let i = 0; i < KEYS; i++) {
  const { secret } = await services.keys.create(acting, { name: `bench-${i}`, environment: 'live', scopes: ['prices:read'], ownerId: `owner-${i % 50}` });
  requests.push({ key: secret, workspaceId: acting.workspaceId, environment: 'live', scope: 'prices:read' });
}
// Public addresses in a few provider ranges, so GeoIP answers for most of them.
const blocks = ['81.2.', '45.83.', '133.242.', '3.80.', '177.71.', '94.142.', '188.81.', '5.255.'];
const ips = Array.from({ length: ADDRESSES }, (_, i) => `${blocks[i % blocks.length] ?? '81.2.'}${(i * 7) % 250}.${(i * 13) % 250}`);
for (const req of requests) if ((await services.verifier.verify(req)).code !== 'VALID') throw new Error('bench set-up: a key does not verify');
note(`usage: ${KEYS} keys, geoip-lite loaded in ${Math.round(geoMs)} ms, set-up ${Math.round(performance.now() - t0)} ms`);

const pick = <T>(list: readonly T[], i: number): T => {
  const item = list[i % list.length];
  if (item === undefined) throw new Error('empty input list');
  return item;
};

const counted = async (i: number): Promise<void> => {
  const r = await services.verifier.verify(pick(requests, i));
  // Each key keeps to two addresses of one range (steady traffic raises no alert; alerts cost a
  // transaction each, which is the point of an alert, not of this benchmark).
  services.usage.record({ route: 'verify-api', code: r.code, ip: pick(ips, (i % KEYS) + KEYS * (Math.floor(i / KEYS) % 2)), workspaceId: acting.workspaceId, key: r.key, scope: 'prices:read' });
  if (i % FLUSH_EVERY === FLUSH_EVERY - 1) await services.usage.flush();
  else if (i % DRAIN_EVERY === DRAIN_EVERY - 1) await services.usage.drain();
};

const { subject: on, baseline: off } = await compare(
  { kind: 'async', op: counted },
  { kind: 'async', op: (i) => services.verifier.verify(pick(requests, i)) },
  { warmup: 20_000, iterations: 2_000_000, maxMs: 4000, batch: 500, rounds: 10 },
);
// The split: what the verify path pays (record: a queue push) and what the monitor does later
// per verification (drain: GeoIP, buckets, detectors), each timed alone over the same traffic.
let recordNs = 0n;
let drainNs = 0n;
const SPLIT_ROUNDS = 200;
const answers = await Promise.all(requests.map((r) => services.verifier.verify(r)));
for (let round = 0; round < SPLIT_ROUNDS; round++) {
  const t = process.hrtime.bigint();
  for (let j = 0; j < DRAIN_EVERY; j++) {
    const i = round * DRAIN_EVERY + j;
    const r = pick(answers, i);
    services.usage.record({ route: 'verify-api', code: r.code, ip: pick(ips, (i % KEYS) + KEYS * (Math.floor(i / KEYS) % 2)), workspaceId: acting.workspaceId, key: r.key, scope: 'prices:read' });
  }
  const t1 = process.hrtime.bigint();
  await services.usage.drain();
  drainNs += process.hrtime.bigint() - t1;
  recordNs += t1 - t;
}
const splitOps = SPLIT_ROUNDS * DRAIN_EVERY;
await services.usage.flush();
const stats = services.usage.stats();
if (stats.dropped !== 0) throw new Error(`usage: ${stats.dropped} verifications dropped`);
const [firstKey] = await store.keys.list(acting.workspaceId, { limit: 1 });
if (firstKey === undefined || (await store.usage.lastUse([firstKey.id])).length !== 1) throw new Error('usage: nothing reached the store');
// The scope each verification exercised is counted too (the hygiene report's over-privileged keys).
if ((await store.usage.scopeUse(acting.workspaceId, [firstKey.id], 0)).length !== 1) throw new Error('usage: no scope counted');
const alerts = await services.alerts.list(acting.workspaceId, { limit: 10 });
if (alerts.length > 0) throw new Error(`usage: steady traffic raised ${alerts.map((a) => a.dedupeKey).join(', ')}`);

emit({
  name: 'usage.verify.counting-on',
  unit: 'ops/s',
  value: on.opsPerSec,
  baseline: { name: 'verify.counting-off', value: off.opsPerSec },
  n: on.ops,
  nsPerOp: round(1e9 / on.opsPerSec, 4),
  baselineNsPerOp: round(1e9 / off.opsPerSec, 4),
  addedNsPerOp: round(1e9 / on.opsPerSec - 1e9 / off.opsPerSec, 4),
  recordNsPerOp: round(Number(recordNs) / splitOps, 4),
  drainNsPerEvent: round(Number(drainNs) / splitOps, 4),
  keys: KEYS,
  addresses: ADDRESSES,
  drainEvery: DRAIN_EVERY,
  flushEvery: FLUSH_EVERY,
  geoipLoadMs: Math.round(geoMs),
});
