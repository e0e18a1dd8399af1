/**
 * What the HTTP benchmarks share: autocannon runs that keep every 2xx response time (autocannon's
 * own histogram rounds to whole milliseconds, too coarse for a p99 around 1 ms), latency
 * percentiles over pooled runs, and child processes that print one JSON line once they listen.
 */
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { createRequire } from 'node:module';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';

// autocannon 8 ships no types: the part used here, typed by hand.
interface CannonResult {
  duration: number;
  errors: number;
  timeouts: number;
  non2xx: number;
  '2xx': number;
  throughput: { total: number };
}
interface CannonInstance {
  on(event: 'response', listener: (client: unknown, statusCode: number, bytes: number, responseTimeMs: number) => void): unknown;
}
type Cannon = (
  opts: { url: string; method: 'GET' | 'POST'; connections: number; duration: number; headers: Record<string, string>; body?: string },
  done: (err: Error | null, result: CannonResult) => void,
) => CannonInstance;

let cannon: Cannon | undefined;
function autocannon(): Cannon {
  if (cannon === undefined) {
    const loaded: unknown = createRequire(import.meta.url)('autocannon');
    if (typeof loaded !== 'function') throw new Error('autocannon did not load as a function');
    cannon = loaded as Cannon;
  }
  return cannon;
}

/** One timed autocannon run. */
export interface LoadRun {
  seconds: number;
  ok: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  /** Bytes received in all. */
  bytes: number;
  /** Response time of every 2xx response, ms. */
  latencies: Float64Array;
}

/**
 * Drives `url` for `seconds` at `connections`, from this process.
 *
 * @example const run = await runLoad({ url, connections: 50, seconds: 2, headers: {} })
 */
export async function runLoad(opts: { url: string; connections: number; seconds: number; headers: Record<string, string>; method?: 'GET' | 'POST'; body?: string }): Promise<LoadRun> {
  let latencies = new Float64Array(1 << 18);
  let count = 0;
  const result = await new Promise<CannonResult>((resolve, reject) => {
    const instance = autocannon()(
      { url: opts.url, method: opts.method ?? 'GET', connections: opts.connections, duration: opts.seconds, headers: opts.headers, ...(opts.body !== undefined ? { body: opts.body } : {}) },
      (err, res) => (err === null ? resolve(res) : reject(err)),
    );
    instance.on('response', (_client, statusCode, _bytes, ms) => {
      if (statusCode < 200 || statusCode > 299) return;
      if (count === latencies.length) {
        const grown = new Float64Array(latencies.length * 2);
        grown.set(latencies);
        latencies = grown;
      }
      latencies[count++] = ms;
    });
  });
  return {
    seconds: result.duration,
    ok: result['2xx'],
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    bytes: result.throughput.total,
    latencies: latencies.subarray(0, count),
  };
}

/** What went wrong in a run (non-2xx answers, connection errors, timeouts); empty when nothing did. */
export function loadFailures(run: LoadRun): string[] {
  const out: string[] = [];
  if (run.non2xx > 0) out.push(`${run.non2xx} non-2xx response(s)`);
  if (run.errors > 0) out.push(`${run.errors} connection error(s)`);
  if (run.timeouts > 0) out.push(`${run.timeouts} timeout(s)`);
  return out;
}

/** The nearest-rank percentile of sorted values; NaN for none. */
export function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? Number.NaN;
}

/** Every 2xx response time of `runs`, in one sorted array. */
export function pooledLatencies(runs: readonly Pick<LoadRun, 'latencies'>[]): Float64Array {
  const all = new Float64Array(runs.reduce((n, r) => n + r.latencies.length, 0));
  let at = 0;
  for (const r of runs) {
    all.set(r.latencies, at);
    at += r.latencies.length;
  }
  return all.sort();
}

/** A child process that printed its start-up line. */
export interface Child {
  name: string;
  child: ChildProcessByStdio<null, Readable, null>;
  /** The start-up line (a JSON object): port, url, tokens, … */
  info: Record<string, unknown>;
}

/**
 * Spawns `node <args>` in `cwd` and waits (30 s at most) for its first stdout line that is a
 * JSON object; other lines go to stderr, prefixed with the name. `env` replaces every CLAVIS_
 * variable of this process, so a benchmark never inherits a developer's settings.
 *
 * @example const upstream = await startChild('upstream', ['--import', 'tsx', file, 'upstream'], { cwd: root })
 */
export async function startChild(name: string, args: readonly string[], opts: { cwd: string; env?: Record<string, string> }): Promise<Child> {
  const clean: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('CLAVIS_')) clean[k] = v;
  const child = spawn(process.execPath, [...args], { cwd: opts.cwd, env: { ...clean, ...opts.env }, stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout, crlfDelay: Infinity });
  try {
    const info = await new Promise<Record<string, unknown>>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${name}: no start-up line within 30 s`)), 30_000);
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`${name}: exited before it listened (code ${code}, signal ${signal})`));
      });
      lines.on('line', (line) => {
        let parsed: unknown;
        try {
          parsed = JSON.parse(line);
        } catch {
          process.stderr.write(`[${name}] ${line}\n`);
          return;
        }
        if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) {
          clearTimeout(timer);
          resolve({ ...parsed });
        } else process.stderr.write(`[${name}] ${line}\n`);
      });
    });
    return { name, child, info };
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
}

/** SIGTERM, then SIGKILL after 10 s; resolves when the child has exited. */
export async function stopChild(c: Child): Promise<void> {
  const { child } = c;
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}
