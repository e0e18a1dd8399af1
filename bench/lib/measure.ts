/**
 * A small benchmark harness: warm-up, then timed samples until an iteration or time budget runs
 * out, with process.hrtime.bigint. Results go to stdout as one JSON line each ({@link emit});
 * anything else a benchmark says goes to stderr, so stdout stays machine-readable.
 *
 * Nothing here asserts on a time: a benchmark fails only when the code under test throws.
 */

/** One operation; `i` counts up from 0 across warm-up and measurement, so callers can pick inputs. */
export type SyncOp = (i: number) => unknown;
export type AsyncOp = (i: number) => Promise<unknown>;

export interface MeasureOptions {
  /** Operations run before timing starts (JIT, caches, page cache). */
  warmup: number;
  /** Most operations to time. */
  iterations: number;
  /** Stop timing after this many milliseconds even if `iterations` is not reached. */
  maxMs: number;
  /**
   * Operations per timed sample. 1 times every operation (and gives per-operation latency
   * percentiles); for sub-microsecond operations use a larger batch so the clock reads do not
   * dominate, and percentiles are left out.
   */
  batch?: number;
}

export interface Measurement {
  /** Operations timed. */
  ops: number;
  /** Wall time of the timed operations, in nanoseconds. */
  elapsedNs: bigint;
  opsPerSec: number;
  /** Per-operation latency percentiles in microseconds; only when every operation was timed alone. */
  p50Us?: number;
  p99Us?: number;
}

interface Samples {
  ops: number;
  elapsedNs: bigint;
  /** Nanoseconds per sample, when batch is 1. */
  latencies: number[] | null;
}

function check(opts: MeasureOptions): number {
  const batch = opts.batch ?? 1;
  for (const [name, v] of [['warmup', opts.warmup], ['iterations', opts.iterations], ['maxMs', opts.maxMs], ['batch', batch]] as const) {
    if (!Number.isSafeInteger(v) || v < 0) throw new RangeError(`measure: ${name} must be a non-negative integer, got ${v}`);
  }
  if (batch < 1 || opts.iterations < 1) throw new RangeError('measure: batch and iterations must be at least 1');
  return batch;
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] ?? Number.NaN;
}

function summarise(s: Samples): Measurement {
  const seconds = Number(s.elapsedNs) / 1e9;
  const m: Measurement = { ops: s.ops, elapsedNs: s.elapsedNs, opsPerSec: seconds > 0 ? s.ops / seconds : Number.NaN };
  if (s.latencies !== null && s.latencies.length > 0) {
    const sorted = [...s.latencies].sort((a, b) => a - b);
    m.p50Us = percentile(sorted, 50) / 1000;
    m.p99Us = percentile(sorted, 99) / 1000;
  }
  return m;
}

function merge(parts: readonly Samples[]): Samples {
  const latencies: number[] = [];
  let ops = 0;
  let elapsedNs = 0n;
  let timedAlone = true;
  for (const p of parts) {
    ops += p.ops;
    elapsedNs += p.elapsedNs;
    if (p.latencies === null) timedAlone = false;
    else for (const l of p.latencies) latencies.push(l);
  }
  return { ops, elapsedNs, latencies: timedAlone ? latencies : null };
}

async function sampleAsync(side: AsyncSide, opts: MeasureOptions, start: number): Promise<Samples> {
  const batch = check(opts);
  const { op, before } = side;
  if (before !== undefined && batch !== 1) throw new RangeError('measure: an untimed `before` step needs batch 1');
  let i = start;
  for (let w = 0; w < opts.warmup; w++) {
    if (before !== undefined) await before(i);
    await op(i++);
  }
  const budgetNs = BigInt(opts.maxMs) * 1_000_000n;
  const latencies: number[] | null = batch === 1 ? [] : null;
  let ops = 0;
  let elapsedNs = 0n;
  while (ops < opts.iterations && elapsedNs < budgetNs) {
    const n = Math.min(batch, opts.iterations - ops);
    if (before !== undefined) await before(i);
    const t0 = process.hrtime.bigint();
    for (let k = 0; k < n; k++) await op(i++);
    const dt = process.hrtime.bigint() - t0;
    elapsedNs += dt;
    ops += n;
    latencies?.push(Number(dt));
  }
  return { ops, elapsedNs, latencies };
}

function sampleSync(side: SyncSide, opts: MeasureOptions, start: number): Samples {
  const batch = check(opts);
  const { op } = side;
  let i = start;
  for (let w = 0; w < opts.warmup; w++) op(i++);
  const budgetNs = BigInt(opts.maxMs) * 1_000_000n;
  const latencies: number[] | null = batch === 1 ? [] : null;
  let ops = 0;
  let elapsedNs = 0n;
  while (ops < opts.iterations && elapsedNs < budgetNs) {
    const n = Math.min(batch, opts.iterations - ops);
    const t0 = process.hrtime.bigint();
    for (let k = 0; k < n; k++) op(i++);
    const dt = process.hrtime.bigint() - t0;
    elapsedNs += dt;
    ops += n;
    latencies?.push(Number(dt));
  }
  return { ops, elapsedNs, latencies };
}

/** A synchronous operation to time. */
export interface SyncSide {
  kind: 'sync';
  op: SyncOp;
}

/** An asynchronous operation to time, each call awaited before the next starts. */
export interface AsyncSide {
  kind: 'async';
  op: AsyncOp;
  /** Untimed step awaited before each operation (set-up it needs, such as growing a log); batch must be 1. */
  before?: (i: number) => Promise<void>;
}

/** A side of a comparison: the code under test or its baseline. */
export type Side = SyncSide | AsyncSide;

async function sample(side: Side, opts: MeasureOptions, start: number): Promise<Samples> {
  return side.kind === 'sync' ? sampleSync(side, opts, start) : sampleAsync(side, opts, start);
}

/** Times one operation on its own: warm-up, then samples until the iteration or time budget runs out. */
export async function measure(side: Side, opts: MeasureOptions): Promise<Measurement> {
  return summarise(await sample(side, opts, 0));
}

export interface CompareOptions extends MeasureOptions {
  /**
   * The sides take turns this many times, each turn with an equal share of the iteration and
   * time budgets (warm-up runs once per side, before the first turn). Interleaving spreads
   * machine noise over every side, so their ratios hold even when the absolute numbers drift.
   */
  rounds: number;
}

/**
 * Measures every side in interleaved rounds (the order rotates each round so no side always
 * runs first) and pools each side's samples. Each side's `i` keeps counting across rounds.
 * Returns the measurements in the order of `sides`.
 */
export async function compareAll(sides: readonly Side[], opts: CompareOptions): Promise<Measurement[]> {
  check(opts);
  if (!Number.isSafeInteger(opts.rounds) || opts.rounds < 1) throw new RangeError('compare: rounds must be at least 1');
  const per: MeasureOptions = {
    warmup: 0,
    iterations: Math.max(1, Math.ceil(opts.iterations / opts.rounds)),
    maxMs: Math.max(1, Math.ceil(opts.maxMs / opts.rounds)),
    batch: opts.batch ?? 1,
  };
  const state = sides.map((side) => ({ side, next: 0, parts: [] as Samples[] }));
  const run = async (s: (typeof state)[number], o: MeasureOptions): Promise<Samples> => {
    const out = await sample(s.side, o, s.next);
    s.next += o.warmup + out.ops;
    return out;
  };
  for (const s of state) await run(s, { ...per, warmup: opts.warmup, maxMs: 0 });
  for (let r = 0; r < opts.rounds; r++) {
    for (let k = 0; k < state.length; k++) {
      const s = state[(r + k) % state.length];
      if (s !== undefined) s.parts.push(await run(s, per));
    }
  }
  return state.map((s) => summarise(merge(s.parts)));
}

/** {@link compareAll} for the usual pair: the code under test and its baseline. */
export async function compare(subject: Side, baseline: Side, opts: CompareOptions): Promise<{ subject: Measurement; baseline: Measurement }> {
  const [s, b] = await compareAll([subject, baseline], opts);
  if (s === undefined || b === undefined) throw new Error('compare: lost a side');
  return { subject: s, baseline: b };
}

/** A benchmark's one-line result. `ratio` is computed by {@link emit}. */
export interface BenchResult {
  name: string;
  unit: 'ops/s' | 'ms' | 'MB/s' | 'bytes';
  value: number;
  baseline: { name: string; value: number };
  /** Operations timed for `value`. */
  n: number;
  [extra: string]: unknown;
}

/** Rounds to a few significant digits so the JSON line stays readable. */
export function round(x: number, digits = 4): number {
  if (!Number.isFinite(x) || x === 0) return x;
  const scale = 10 ** Math.max(0, digits - 1 - Math.floor(Math.log10(Math.abs(x))));
  return Math.round(x * scale) / scale;
}

/** Prints the result as exactly one JSON line on stdout: name, unit, value, baseline, ratio, n, extras. */
export function emit(result: BenchResult): void {
  const { name, unit, value, baseline, n, ...extra } = result;
  if (!(value > 0) || !(baseline.value > 0)) throw new RangeError(`${name}: value and baseline must be positive, got ${value} and ${baseline.value}`);
  const line = {
    name,
    unit,
    value: round(value, 6),
    baseline: { name: baseline.name, value: round(baseline.value, 6) },
    ratio: round(value / baseline.value, 4),
    n,
    ...extra,
  };
  process.stdout.write(`${JSON.stringify(line)}\n`);
}

/** Latency fields of a measurement for a result's extras, in microseconds: `p50Us`, or `<prefix>P50Us`. */
export function latencyExtras(prefix: string, m: Measurement): Record<string, number> {
  const out: Record<string, number> = {};
  const key = (p: string): string => (prefix === '' ? p : `${prefix}${p.charAt(0).toUpperCase()}${p.slice(1)}`);
  if (m.p50Us !== undefined) out[key('p50Us')] = round(m.p50Us, 4);
  if (m.p99Us !== undefined) out[key('p99Us')] = round(m.p99Us, 4);
  return out;
}

/** Writes a progress note to stderr (stdout carries only the JSON lines). */
export function note(message: string): void {
  process.stderr.write(`[bench] ${message}\n`);
}
