/**
 * `POST /v1/keys/verify` over HTTP against a bare Fastify route answering a constant JSON object
 * of the same shape. Target (edge issue): at 50 connections, at least 70 % of the bare route's
 * requests per second, and a p99 latency at most 1.5 times the bare route's p99, in the same run.
 *
 * Each server runs in its own child process (`node --import tsx bench/servers/<name>.ts`, which
 * prints its port, and for Clavis the owner token and a key, as one JSON line). autocannon drives
 * them from this process, one server at a time, taking turns (bare, Clavis, then Clavis, bare, …)
 * so machine drift hits both: a warm-up run each, then four rounds of 2 s per server at 50
 * connections and four at 10. `ratio` pools all rounds; `roundRatios` gives each round's own
 * ratio, to show how much the load of the machine moved it.
 * Both servers get the same request: `{key, scope: 'prices:read', environment: 'test'}` with
 * `Authorization: Bearer <owner token>`.
 *
 * Latency percentiles are computed here from every 2xx response time autocannon reports
 * (microsecond resolution); autocannon's own histogram rounds to whole milliseconds, which at
 * 10 connections (p99 around 1 ms) would make the ratio meaningless. Any non-2xx response,
 * connection error or timeout fails the benchmark.
 *
 * BENCH_CPU_PROF_DIR=<dir> starts both servers with `--cpu-prof`, writing to <dir>/clavis and
 * <dir>/bare-fastify (each profile is written when its server exits at the end).
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadFailures, pooledLatencies, percentile, runLoad, startChild, stopChild, type Child, type LoadRun } from './lib/load.ts';
import { emit, note, round } from './lib/measure.ts';

const CONNECTIONS = [50, 10] as const;
/**
 * Seconds per timed run; each server gets ROUNDS runs per connection count (8 s in all). Short
 * runs, taking turns, so a change in machine load falls on both servers.
 */
const RUN_SECONDS = 2;
const ROUNDS = 4;
const WARMUP_SECONDS = 2;
/** Targets of the edge issue, repeated in the result lines. */
const TARGET_RPS_RATIO = 0.7;
const TARGET_P99_RATIO = 1.5;

const benchDir = dirname(fileURLToPath(import.meta.url));
const root = dirname(benchDir);

// ---------------------------------------------------------------------------------------------
// Servers and load runs (bench/lib/load.ts)

interface Server extends Child {
  url: string;
}

async function startServer(name: string, file: string, nodeArgs: readonly string[] = []): Promise<Server> {
  const c = await startChild(name, [...nodeArgs, '--import', 'tsx', join(benchDir, 'servers', file)], { cwd: root });
  if (typeof c.info.port !== 'number') {
    await stopChild(c);
    throw new Error(`${name}: the start-up line has no port`);
  }
  return { ...c, url: `http://127.0.0.1:${c.info.port}/v1/keys/verify` };
}

type Run = LoadRun;

function load(url: string, connections: number, seconds: number, headers: Record<string, string>, body: string): Promise<Run> {
  return runLoad({ url, method: 'POST', connections, seconds, headers, body });
}

interface Summary {
  rps: number;
  ok: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  seconds: number;
  bytesPerResponse: number;
  p50Ms: number;
  p99Ms: number;
  p999Ms: number;
  roundsRps: number[];
}

function summarise(runs: readonly Run[]): Summary {
  const all = pooledLatencies(runs);
  const sum = (f: (r: Run) => number): number => runs.reduce((n, r) => n + f(r), 0);
  const ok = sum((r) => r.ok);
  const seconds = sum((r) => r.seconds);
  return {
    rps: ok / seconds,
    ok,
    non2xx: sum((r) => r.non2xx),
    errors: sum((r) => r.errors),
    timeouts: sum((r) => r.timeouts),
    seconds,
    bytesPerResponse: ok > 0 ? sum((r) => r.bytes) / ok : 0,
    p50Ms: percentile(all, 50),
    p99Ms: percentile(all, 99),
    p999Ms: percentile(all, 99.9),
    roundsRps: runs.map((r) => Math.round(r.ok / r.seconds)),
  };
}

function failures(name: string, runs: readonly Run[]): string[] {
  return runs.flatMap((r) => loadFailures(r).map((f) => `${name}: ${f}`));
}

// ---------------------------------------------------------------------------------------------

const profDir = process.env.BENCH_CPU_PROF_DIR;
const servers: Server[] = [];
try {
  const prof = (name: string): string[] => (profDir === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${join(profDir, name)}`]);
  const bare = await startServer('bare-fastify', 'bare-fastify.ts', prof('bare-fastify'));
  servers.push(bare);
  const clavis = await startServer('clavis', 'clavis.ts', prof('clavis'));
  servers.push(clavis);
  const { token, key } = clavis.info;
  if (typeof token !== 'string' || typeof key !== 'string') throw new Error('clavis server: the start-up line has no token or key');

  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
  const body = JSON.stringify({ key, scope: 'prices:read', environment: 'test' });

  // Check both answers once, outside any timing: both say VALID; fields only one of them has
  // are reported (Clavis's answer may grow while the bare constant stays as it is).
  const fields: string[][] = [];
  for (const s of [bare, clavis]) {
    const res = await fetch(s.url, { method: 'POST', headers, body });
    const answer: unknown = await res.json();
    if (res.status !== 200 || typeof answer !== 'object' || answer === null) throw new Error(`${s.name}: set-up check got HTTP ${res.status}`);
    if (!('code' in answer) || answer.code !== 'VALID') throw new Error(`${s.name}: set-up check did not answer VALID: ${JSON.stringify(answer)}`);
    fields.push(Object.keys(answer));
  }
  const [bareFields = [], clavisFields = []] = fields;
  const shapeDiff = {
    fieldsOnlyInClavis: clavisFields.filter((f) => !bareFields.includes(f)),
    fieldsOnlyInBare: bareFields.filter((f) => !clavisFields.includes(f)),
  };
  if (shapeDiff.fieldsOnlyInClavis.length + shapeDiff.fieldsOnlyInBare.length > 0) {
    note(`http-verify: the answers differ in shape: only Clavis has [${shapeDiff.fieldsOnlyInClavis.join(', ')}], only the bare route [${shapeDiff.fieldsOnlyInBare.join(', ')}]`);
  }

  note(`http-verify: warm-up, ${WARMUP_SECONDS} s at 50 connections per server`);
  const warm = [await load(bare.url, 50, WARMUP_SECONDS, headers, body), await load(clavis.url, 50, WARMUP_SECONDS, headers, body)];
  const problems = failures('warm-up', warm);
  if (problems.length > 0) throw new Error(problems.join('; '));

  for (const connections of CONNECTIONS) {
    const runs = new Map<Server, Run[]>([
      [bare, []],
      [clavis, []],
    ]);
    for (let r = 0; r < ROUNDS; r++) {
      const order = r % 2 === 0 ? [bare, clavis] : [clavis, bare];
      for (const s of order) {
        const run = await load(s.url, connections, RUN_SECONDS, headers, body);
        runs.get(s)?.push(run);
        note(`http-verify: ${s.name} at ${connections} connections, round ${r + 1}: ${Math.round(run.ok / run.seconds)} req/s`);
      }
    }
    const bareRuns = runs.get(bare) ?? [];
    const clavisRuns = runs.get(clavis) ?? [];
    const bad = [...failures(`bare-fastify at ${connections} connections`, bareRuns), ...failures(`clavis at ${connections} connections`, clavisRuns)];
    if (bad.length > 0) throw new Error(bad.join('; '));
    const b = summarise(bareRuns);
    const c = summarise(clavisRuns);
    const perRound = (f: (s: Summary) => number): number[] =>
      clavisRuns.map((run, i) => {
        const other = bareRuns[i];
        return other === undefined ? Number.NaN : round(f(summarise([run])) / f(summarise([other])), 3);
      });
    const common = {
      connections,
      seconds: round(c.seconds, 4),
      baselineSeconds: round(b.seconds, 4),
      p50Ms: round(c.p50Ms, 3),
      p99Ms: round(c.p99Ms, 3),
      p999Ms: round(c.p999Ms, 3),
      baselineP50Ms: round(b.p50Ms, 3),
      baselineP99Ms: round(b.p99Ms, 3),
      baselineP999Ms: round(b.p999Ms, 3),
      non2xx: c.non2xx,
      baselineNon2xx: b.non2xx,
    };
    emit({
      name: `http.verify.rps.c${connections}`,
      unit: 'ops/s',
      value: c.rps,
      baseline: { name: `bare-fastify-constant-json.rps.c${connections}`, value: b.rps },
      n: c.ok,
      baselineN: b.ok,
      target: `ratio >= ${TARGET_RPS_RATIO}`,
      ...common,
      roundsRps: c.roundsRps,
      baselineRoundsRps: b.roundsRps,
      roundRatios: perRound((x) => x.rps),
      bytesPerResponse: Math.round(c.bytesPerResponse),
      baselineBytesPerResponse: Math.round(b.bytesPerResponse),
      ...shapeDiff,
    });
    emit({
      name: `http.verify.p99.c${connections}`,
      unit: 'ms',
      value: c.p99Ms,
      baseline: { name: `bare-fastify-constant-json.p99.c${connections}`, value: b.p99Ms },
      n: c.ok,
      baselineN: b.ok,
      target: `ratio <= ${TARGET_P99_RATIO}`,
      ...common,
      roundRatios: perRound((x) => x.p99Ms),
    });
  }
} finally {
  for (const s of servers) await stopChild(s);
}
