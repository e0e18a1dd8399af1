/**
 * KeyVerifier.verify on a warm cache, against a bare SHA-256 of the same key (the one hash every
 * verify must compute). Extras: a malformed key (bad checksum: rejected before any lookup) and an
 * unknown well-formed key (answered by the negative cache), and p50/p99 of a valid verify timed one
 * call at a time.
 *
 * Set-up: a memory store with 10,000 live keys created through KeyService, a fixed clock (so no
 * cache entry expires mid-run) and the cache defaults of src/config.ts.
 */
import { createHash } from 'node:crypto';
import { generateCredential } from '../src/core/keys/key-format.ts';
import type { VerifyRequest } from '../src/core/keys/verify.ts';
import { createMemoryStore } from '../src/storage/memory/memory-store.ts';
import { compareAll, emit, latencyExtras, measure, note, round } from './lib/measure.ts';
import { BENCH_POLICY, counterIds, fixedClock, servicesWithWorkspace } from './lib/setup.ts';

const KEYS = 10_000;
const SCOPE = 'prices:read';

/** Flips the last checksum character, keeping the shape: the full parse runs, then fails. */
function breakChecksum(key: string): string {
  const last = key.at(-1);
  return key.slice(0, -1) + (last === 'A' ? 'B' : 'A');
}

const t0 = performance.now();
const store = createMemoryStore();
const { services, acting } = await servicesWithWorkspace(store, { clock: fixedClock, ids: counterIds() });
const secrets: string[] = [];
for (let i = 0; i < KEYS; i++) {
  const issued = await services.keys.create(acting, { name: `bench-${i}`, environment: 'live', scopes: [SCOPE, 'signals:read'] });
  secrets.push(issued.secret);
}
const setupMs = performance.now() - t0;
note(`verify: ${KEYS} keys created through KeyService in ${Math.round(setupMs)} ms`);

const request = (key: string): VerifyRequest => ({ key, workspaceId: acting.workspaceId, environment: 'live', scope: SCOPE });
const valid = secrets.map(request);
const malformed = secrets.map((s) => request(breakChecksum(s)));
const unknown = secrets.map(() => request(generateCredential(BENCH_POLICY.prefix, 'live')));

// Fill both caches and check the set-up once, outside any timing.
for (const [reqs, code] of [[valid, 'VALID'], [malformed, 'MALFORMED'], [unknown, 'NOT_FOUND']] as const) {
  for (const req of reqs) {
    const result = await services.verifier.verify(req);
    if (result.code !== code) throw new Error(`verify set-up: expected ${code}, got ${result.code}`);
  }
}

const pick = <T>(list: readonly T[], i: number): T => {
  const item = list[i % list.length];
  if (item === undefined) throw new Error('empty input list');
  return item;
};

const budget = { warmup: 20_000, iterations: 3_000_000, maxMs: 2500, batch: 500, rounds: 10 };
const [ok, bad, miss, sha] = await compareAll(
  [
    { kind: 'async', op: (i) => services.verifier.verify(pick(valid, i)) },
    { kind: 'async', op: (i) => services.verifier.verify(pick(malformed, i)) },
    { kind: 'async', op: (i) => services.verifier.verify(pick(unknown, i)) },
    { kind: 'sync', op: (i) => createHash('sha256').update(pick(secrets, i)).digest('hex') },
  ],
  budget,
);
if (ok === undefined || bad === undefined || miss === undefined || sha === undefined) throw new Error('verify: missing a measurement');

// Latency: one call per timed sample. The two clock reads add roughly 0.1 µs to each figure.
const latency = await measure(
  { kind: 'async', op: (i) => services.verifier.verify(pick(valid, i)) },
  { warmup: 1000, iterations: 200_000, maxMs: 1000, batch: 1 },
);

emit({
  name: 'verify.valid.warm-cache',
  unit: 'ops/s',
  value: ok.opsPerSec,
  baseline: { name: 'sha256-hex-of-key', value: sha.opsPerSec },
  n: ok.ops,
  keys: KEYS,
  nsPerOp: round(1e9 / ok.opsPerSec, 4),
  baselineNsPerOp: round(1e9 / sha.opsPerSec, 4),
  ...latencyExtras('', latency),
  malformedOpsPerSec: round(bad.opsPerSec, 6),
  malformedRatio: round(bad.opsPerSec / sha.opsPerSec, 4),
  unknownOpsPerSec: round(miss.opsPerSec, 6),
  unknownRatio: round(miss.opsPerSec / sha.opsPerSec, 4),
  setupMs: Math.round(setupMs),
});
