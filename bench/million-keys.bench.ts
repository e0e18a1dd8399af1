/**
 * One million keys on SQLite (edge issue: "memory per cached key and cold-start time reported").
 *
 * Set-up (not part of any result): a SQLite store in a temp dir (WAL, synchronous=normal) is
 * filled with real keys — `generateCredential` (the OS CSPRNG, read 64 KiB at a time),
 * `hashCredential`, `displayStart` — as records of the shape `KeyService.create` writes (live,
 * two scopes, expiring, no allowlist, no metadata, no enforcement), inserted through the store
 * port, `store.transact(tx => tx.keys.insert(record) …)`, 10,000 per transaction. The audit log
 * is skipped for this bulk fill (a real create also appends a `key.created` event in the same
 * transaction); ids are counter ids of the production shape. The rows are inserted in hash
 * order, so the unique hash index grows at its end instead of at a random page per insert: that
 * halves the fill on this disk, and leaves that index denser (and the file smaller) than one
 * grown by real creates. The keys and their hashes go to a file in the temp dir, fixed width, in
 * the order they were generated (random with respect to the hash index), and the measuring
 * process reads them into one Buffer, so its JS heap holds no million key strings besides what
 * the verifier keeps, and its look-ups are not in index order.
 *
 * Measured in a fresh child process (this file with `--measure`, run with `--expose-gc`):
 * - cold start: `openSqliteStore` on the filled file, the `KeyVerifier` as `createServices` wires
 *   it (cache of the src/config.ts defaults, at least as many entries as keys), and the first
 *   verify answered. Baseline: a bare better-sqlite3 open of the same file, prepare, and one
 *   `SELECT * … WHERE hash = ?`.
 * - cold verify rate: every key verified once (each a cache miss: store read, row to record,
 *   cache insert), in chunks of 50,000 taking turns with the baseline, a bare
 *   `SELECT * FROM api_keys WHERE hash = ?` on a second connection to the same file, for every
 *   fourth key of each chunk (a rate; all keys would add about 10 s to the run).
 * - memory per cached key: `process.memoryUsage().heapUsed` after `gc()`, before and after that
 *   pass, divided by the keys it cached. Baseline: bytes per entry of a plain
 *   `Map<string, string>` holding the same hash → id pairs, read from the same table, measured
 *   the same way in the same process after the verifier is dropped.
 * - warm verify rate: verifies from the full cache, keys picked by a stride across all of them,
 *   against a bare SHA-256 of the same keys (as in verify.bench.ts, which uses 10,000 keys).
 *
 * The clock is fixed (bench/lib/setup.ts) so no cache entry expires during the run.
 * BENCH_MILLION_KEYS=<n> changes the count (default 1,000,000); every line carries `keys`.
 * The temp dir (about 0.6 GB for 1M keys) is removed at the end, and by a small watcher process
 * if this one is killed (bench/run.ts kills a benchmark after 120 s).
 */
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { displayStart, generateCredential, hashCredential } from '../src/core/keys/key-format.ts';
import type { VerifyRequest } from '../src/core/keys/verify.ts';
import { NO_ENFORCEMENT, type ApiKeyRecord } from '../src/core/model.ts';
import { ephemeralSigner } from '../src/keyring/local-signer.ts';
import { createServices } from '../src/services.ts';
import { openSqliteStore } from '../src/storage/sqlite/sqlite-store.ts';
import { compare, emit, note, round } from './lib/measure.ts';
import { BENCH_CACHE, BENCH_POLICY, FIXED_NOW, counterIds, fixedClock, servicesWithWorkspace, tempDir } from './lib/setup.ts';

const KEYS = Number(process.env.BENCH_MILLION_KEYS ?? 1_000_000);
const TX_BATCH = 10_000;
const CHUNK = 50_000;
/** The bare select runs for every BARE_EVERY-th key of a chunk. */
const BARE_EVERY = 4;
const SCOPE = 'prices:read';
/** `clv_live_` + 49 base62 characters. */
const KEY_LENGTH = 58;
const HASH_LENGTH = 64;
/** One record of the keys file: the key, then its SHA-256 hex, no separator. */
const RECORD = KEY_LENGTH + HASH_LENGTH;
const EXPIRES_AT = FIXED_NOW + 30 * 86_400_000;

const self = fileURLToPath(import.meta.url);
const MiB = 1024 * 1024;

function gc(): void {
  const collect = globalThis.gc;
  if (collect === undefined) throw new Error('million-keys: the measuring process needs --expose-gc');
  // Twice: the first pass can leave objects that only the second one finds unreachable.
  collect();
  collect();
}

/** Runs this file in a child process and returns its stdout lines as they come. */
function child(args: readonly string[], nodeArgs: readonly string[] = []) {
  // stdin stays open while this process lives: the child exits when it closes.
  const proc = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', self, ...args], { stdio: ['pipe', 'pipe', 'inherit'] });
  const exited = new Promise<void>((resolve, reject) => {
    proc.once('error', reject);
    proc.once('close', (code, signal) => (code === 0 ? resolve() : reject(new Error(`million-keys ${args[0] ?? ''}: exited with code ${code}, signal ${signal}`))));
  });
  // Awaited later; until then a failure must not count as an unhandled rejection.
  exited.catch(() => undefined);
  return { proc, lines: createInterface({ input: proc.stdout, crlfDelay: Infinity }), exited };
}

/**
 * Starts a watcher that removes `dir` when its stdin closes: when this process calls the
 * returned function, or when it dies, however it dies (bench/run.ts sends SIGKILL on timeout).
 */
function removeOnExit(dir: string): () => void {
  const script = `process.stdin.resume();process.stdin.on('end',()=>{require('node:fs').rmSync(${JSON.stringify(dir)},{recursive:true,force:true});process.exit(0)})`;
  const watcher = spawn(process.execPath, ['-e', script], { stdio: ['pipe', 'ignore', 'ignore'] });
  watcher.unref();
  return () => {
    watcher.stdin.end();
  };
}

/** In a child: exit as soon as the parent is gone (its end of our stdin closes). */
function exitWithParent(): void {
  process.stdin.on('end', () => process.exit(1));
  process.stdin.resume();
}

/** Lets pending I/O callbacks run (such as stdin closing) between long stretches of work. */
const breathe = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

// ---------------------------------------------------------------------------------------------
// --measure <json>: the fresh process that opens the filled store and measures.

interface MeasureInput {
  dbPath: string;
  keysPath: string;
  count: number;
  workspaceId: string;
}

interface MeasureOutput {
  coldStartMs: number;
  bareColdStartMs: number;
  processMsAtFirstVerify: number;
  verifyAllMs: number;
  bareMs: number;
  bareN: number;
  chunkVerifyRates: number[];
  cachedKeys: number;
  heapBeforeBytes: number;
  heapAfterBytes: number;
  rssDeltaBytes: number;
  externalDeltaBytes: number;
  bytesPerCachedKey: number;
  mapEntries: number;
  mapBytesPerEntry: number;
  warmOpsPerSec: number;
  warmN: number;
  shaOpsPerSec: number;
  shaN: number;
}

async function measureVerifier(input: MeasureInput, keys: Buffer) {
  const keyAt = (i: number): string => keys.toString('latin1', i * RECORD, i * RECORD + KEY_LENGTH);
  const hashAt = (i: number): string => keys.toString('latin1', i * RECORD + KEY_LENGTH, (i + 1) * RECORD);
  const request = (i: number): VerifyRequest => ({ key: keyAt(i), workspaceId: input.workspaceId, environment: 'live', scope: SCOPE });
  const n = input.count;

  // (a) Cold start: nothing of the store or the verifier exists yet in this process.
  const t0 = performance.now();
  const store = openSqliteStore({ path: input.dbPath, synchronous: 'normal' });
  // The production wiring builds the KeyVerifier (with its nonce store and limiter).
  const { verifier } = createServices({
    store,
    signer: ephemeralSigner(),
    policy: BENCH_POLICY,
    cache: { ...BENCH_CACHE, maxEntries: Math.max(BENCH_CACHE.maxEntries, n) },
    clock: fixedClock,
    auditOrigin: 'bench.clavis.local',
  });
  const first = await verifier.verify(request(0));
  const coldStartMs = performance.now() - t0;
  const processMsAtFirstVerify = performance.now();
  if (first.code !== 'VALID') throw new Error(`cold start: the first verify answered ${first.code}`);

  const t1 = performance.now();
  const bare = new Database(input.dbPath);
  const select = bare.prepare<[string], unknown>('SELECT * FROM api_keys WHERE hash = ?');
  const row = select.get(hashAt(n > 1 ? 1 : 0));
  const bareColdStartMs = performance.now() - t1;
  if (row === undefined) throw new Error('cold start: the bare select found no row');

  try {
    gc();
    const before = process.memoryUsage();
    const cachedBefore = verifier.cachedKeys;

    // (b) Every key once, chunks taking turns with the bare select.
    let verifyMs = 0;
    let bareMs = 0;
    let bareN = 0;
    let invalid = 0;
    let missing = 0;
    const chunkVerifyRates: number[] = [];
    for (let start = 0, c = 0; start < n; start += CHUNK, c++) {
      const end = Math.min(n, start + CHUNK);
      const runVerify = async (): Promise<void> => {
        const s = performance.now();
        for (let i = start; i < end; i++) {
          const r = await verifier.verify(request(i));
          if (r.code !== 'VALID') invalid++;
        }
        const ms = performance.now() - s;
        verifyMs += ms;
        chunkVerifyRates.push(Math.round(((end - start) / ms) * 1000));
      };
      const runBare = (): void => {
        const s = performance.now();
        for (let i = start; i < end; i += BARE_EVERY) if (select.get(hashAt(i)) === undefined) missing++;
        bareMs += performance.now() - s;
        bareN += Math.ceil((end - start) / BARE_EVERY);
      };
      if (c % 2 === 0) {
        runBare();
        await runVerify();
      } else {
        await runVerify();
        runBare();
      }
      if (c % 4 === 3) note(`million-keys: ${end} keys verified (${Math.round(performance.now() / 1000)} s)`);
      await breathe();
    }
    if (invalid > 0 || missing > 0) throw new Error(`cold pass: ${invalid} verify answer(s) not VALID, ${missing} bare select(s) without a row`);

    // (c) Memory of the full cache.
    gc();
    const after = process.memoryUsage();
    note(`million-keys: heap ${Math.round(after.heapUsed / MiB)} MiB with ${verifier.cachedKeys} keys cached; warm verifies next (${Math.round(performance.now() / 1000)} s)`);
    const cachedKeys = verifier.cachedKeys;
    const added = cachedKeys - cachedBefore;
    if (added < 1) throw new Error('the cold pass cached nothing');

    // (d) Warm verifies across the whole cache (stride 7919, a prime: every key in turn).
    const pick = (i: number): number => (i * 7919) % n;
    const { subject: warm, baseline: sha } = await compare(
      { kind: 'async', op: (i) => verifier.verify(request(pick(i))) },
      { kind: 'sync', op: (i) => createHash('sha256').update(keyAt(pick(i))).digest('hex') },
      { warmup: 20_000, iterations: 5_000_000, maxMs: 2500, batch: 500, rounds: 4 },
    );
    if (verifier.cachedKeys !== cachedKeys) throw new Error('the warm pass changed the cache size');

    return {
      coldStartMs,
      bareColdStartMs,
      processMsAtFirstVerify,
      verifyAllMs: verifyMs,
      bareMs,
      bareN,
      chunkVerifyRates,
      cachedKeys,
      heapBeforeBytes: before.heapUsed,
      heapAfterBytes: after.heapUsed,
      rssDeltaBytes: after.rss - before.rss,
      externalDeltaBytes: after.external - before.external,
      bytesPerCachedKey: (after.heapUsed - before.heapUsed) / added,
      warmOpsPerSec: warm.opsPerSec,
      warmN: warm.ops,
      shaOpsPerSec: sha.opsPerSec,
      shaN: sha.ops,
    };
  } finally {
    bare.close();
    await store.close();
  }
}

/** Bytes per entry of a plain Map<string, string> of the same hash → id pairs. */
function measureMap(input: MeasureInput): { entries: number; bytesPerEntry: number } {
  const db = new Database(input.dbPath, { readonly: true });
  try {
    const rows = db.prepare<[string], { hash: string; id: string }>('SELECT hash, id FROM api_keys WHERE workspace_id = ?');
    gc();
    const before = process.memoryUsage().heapUsed;
    const map = new Map<string, string>();
    for (const r of rows.iterate(input.workspaceId)) map.set(r.hash, r.id);
    gc();
    const after = process.memoryUsage().heapUsed;
    if (map.size !== input.count) throw new Error(`map baseline: ${map.size} entries, expected ${input.count}`);
    return { entries: map.size, bytesPerEntry: (after - before) / map.size };
  } finally {
    db.close();
  }
}

async function measure(input: MeasureInput): Promise<void> {
  exitWithParent();
  const keys = readFileSync(input.keysPath);
  if (keys.length !== input.count * RECORD) throw new Error(`keys file: ${keys.length} bytes, expected ${input.count * RECORD}`);
  const v = await measureVerifier(input, keys);
  // The verifier, its cache and the store are unreachable now; the map is measured on its own.
  note(`million-keys: plain Map baseline next (${Math.round(performance.now() / 1000)} s)`);
  const m = measureMap(input);
  note(`million-keys: measured (${Math.round(performance.now() / 1000)} s)`);
  const out: MeasureOutput = { ...v, mapEntries: m.entries, mapBytesPerEntry: m.bytesPerEntry };
  process.stdout.write(`${JSON.stringify(out)}\n`);
  process.exit(0);
}

// ---------------------------------------------------------------------------------------------
// Default: fill, run the measuring process, emit.

function isMeasureOutput(v: unknown): v is MeasureOutput {
  return typeof v === 'object' && v !== null && 'bytesPerCachedKey' in v && typeof v.bytesPerCachedKey === 'number';
}

/** Generates the keys (in a Buffer laid out like the keys file) and their insert order: by hash. */
function generateKeys(): { keys: Buffer; order: number[] } {
  let pool = randomBytes(0);
  let at = 0;
  const random = (n: number): Buffer => {
    if (at + n > pool.length) {
      pool = randomBytes(65_536);
      at = 0;
    }
    at += n;
    return pool.subarray(at - n, at);
  };
  const keys = Buffer.alloc(KEYS * RECORD);
  const hashes: string[] = [];
  for (let i = 0; i < KEYS; i++) {
    const key = generateCredential(BENCH_POLICY.prefix, 'live', random);
    if (key.length !== KEY_LENGTH) throw new Error(`unexpected key length ${key.length}`);
    const hash = hashCredential(key);
    keys.write(key, i * RECORD, 'latin1');
    keys.write(hash, i * RECORD + KEY_LENGTH, 'latin1');
    hashes.push(hash);
  }
  const order = Array.from({ length: KEYS }, (_, i) => i);
  order.sort((a, b) => ((hashes[a] ?? '') < (hashes[b] ?? '') ? -1 : 1));
  return { keys, order };
}

async function fill(dbPath: string, keysPath: string): Promise<{ workspaceId: string; fillMs: number; generateMs: number }> {
  const t0 = performance.now();
  const { keys, order } = generateKeys();
  writeFileSync(keysPath, keys);
  const generateMs = performance.now() - t0;
  note(`million-keys: ${KEYS} keys generated and sorted by hash in ${Math.round(generateMs / 1000)} s`);

  const store = openSqliteStore({ path: dbPath, synchronous: 'normal' });
  try {
    const { acting } = await servicesWithWorkspace(store, { clock: fixedClock, ids: counterIds() });
    const ids = counterIds();
    for (let done = 0; done < KEYS; ) {
      const n = Math.min(TX_BATCH, KEYS - done);
      const records: ApiKeyRecord[] = [];
      for (let k = done; k < done + n; k++) {
        const i = order[k] ?? 0;
        const key = keys.toString('latin1', i * RECORD, i * RECORD + KEY_LENGTH);
        records.push({
          id: ids('key'),
          workspaceId: acting.workspaceId,
          name: `bulk-${i}`,
          environment: 'live',
          start: displayStart(key),
          hash: keys.toString('latin1', i * RECORD + KEY_LENGTH, (i + 1) * RECORD),
          scopes: [SCOPE, 'signals:read'],
          status: 'active',
          createdAt: FIXED_NOW,
          updatedAt: FIXED_NOW,
          expiresAt: EXPIRES_AT,
          ipAllowlist: [],
          metadata: {},
          ownerId: null,
          replacesId: null,
          replacedById: null,
          revokedAt: null,
          revokeReason: null,
          suspendedAt: null,
          enforcement: NO_ENFORCEMENT,
        });
      }
      await store.transact(async (tx) => {
        for (const r of records) await tx.keys.insert(r);
      });
      done += n;
      if (done % 200_000 === 0) note(`million-keys: ${done} keys inserted (${Math.round((performance.now() - t0) / 1000)} s)`);
    }
    return { workspaceId: acting.workspaceId, fillMs: performance.now() - t0, generateMs };
  } finally {
    await store.close();
  }
}

async function main(): Promise<void> {
  if (!Number.isSafeInteger(KEYS) || KEYS < 2) throw new RangeError('BENCH_MILLION_KEYS must be an integer of at least 2');
  const label = KEYS === 1_000_000 ? '1m' : String(KEYS);
  const tmp = tempDir();
  const releaseWatcher = removeOnExit(tmp.dir);
  try {
    const dbPath = join(tmp.dir, 'clavis.db');
    const keysPath = join(tmp.dir, 'keys.bin');
    note(`million-keys: filling ${KEYS} keys (SQLite, synchronous=normal, ${TX_BATCH} inserts per transaction in hash order, no audit events)`);
    const { workspaceId, fillMs, generateMs } = await fill(dbPath, keysPath);
    const dbBytes = statSync(dbPath).size + (statSync(`${dbPath}-wal`, { throwIfNoEntry: false })?.size ?? 0);
    note(`million-keys: filled in ${Math.round(fillMs / 1000)} s, ${Math.round(dbBytes / MiB)} MiB; measuring in a fresh process`);

    const input: MeasureInput = { dbPath, keysPath, count: KEYS, workspaceId };
    const m = child(['--measure', JSON.stringify(input)], ['--expose-gc']);
    const out: string[] = [];
    for await (const line of m.lines) out.push(line);
    await m.exited;
    const parsed: unknown = JSON.parse(out.join('\n'));
    if (!isMeasureOutput(parsed)) throw new Error('million-keys: the measuring process printed no result');
    const r = parsed;

    const common = { keys: KEYS, auditLogged: false, fillMs: Math.round(fillMs), generateMs: Math.round(generateMs), dbBytes };
    emit({
      name: `keys.${label}.cold-start.sqlite`,
      unit: 'ms',
      value: r.coldStartMs,
      baseline: { name: 'sqlite-bare-open+select-by-hash', value: r.bareColdStartMs },
      n: 1,
      ...common,
      processMsAtFirstVerify: round(r.processMsAtFirstVerify, 4),
    });
    emit({
      name: `keys.${label}.verify.cold-cache.sqlite`,
      unit: 'ops/s',
      value: KEYS / (r.verifyAllMs / 1000),
      baseline: { name: 'sqlite-bare-select-by-hash', value: r.bareN / (r.bareMs / 1000) },
      n: KEYS,
      baselineN: r.bareN,
      ...common,
      verifyAllMs: Math.round(r.verifyAllMs),
      chunkRatesMin: Math.min(...r.chunkVerifyRates),
      chunkRatesMax: Math.max(...r.chunkVerifyRates),
    });
    emit({
      name: `keys.${label}.memory.per-cached-key`,
      unit: 'bytes',
      value: r.bytesPerCachedKey,
      baseline: { name: 'map-string-string-hash-to-id', value: r.mapBytesPerEntry },
      n: r.cachedKeys,
      baselineN: r.mapEntries,
      ...common,
      heapBeforeMiB: round(r.heapBeforeBytes / MiB, 4),
      heapAfterMiB: round(r.heapAfterBytes / MiB, 4),
      rssDeltaMiB: round(r.rssDeltaBytes / MiB, 4),
      externalDeltaMiB: round(r.externalDeltaBytes / MiB, 4),
      mapMiB: round((r.mapBytesPerEntry * r.mapEntries) / MiB, 4),
    });
    emit({
      name: `keys.${label}.verify.warm-cache`,
      unit: 'ops/s',
      value: r.warmOpsPerSec,
      baseline: { name: 'sha256-hex-of-key', value: r.shaOpsPerSec },
      n: r.warmN,
      baselineN: r.shaN,
      keys: KEYS,
      cachedKeys: r.cachedKeys,
      nsPerOp: round(1e9 / r.warmOpsPerSec, 4),
      baselineNsPerOp: round(1e9 / r.shaOpsPerSec, 4),
    });
  } finally {
    tmp.remove();
    releaseWatcher();
  }
}

const mode = process.argv[2];
if (mode === '--measure') {
  const input: unknown = JSON.parse(String(process.argv[3]));
  if (typeof input !== 'object' || input === null || !('dbPath' in input) || !('keysPath' in input)) throw new Error('--measure needs its input as JSON');
  await measure(input as MeasureInput);
} else await main();
