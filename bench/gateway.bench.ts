/**
 * Requests per second through the gateway (`clavis gateway`, verification on) against the same
 * gateway with verification switched off (`--no-verify --i-know`), both in front of the same local
 * upstream. Target (edge issue): at least 85 % of the unverified gateway's requests per second,
 * in the same run. The ratio is what verification costs (route match is done by both); the extra
 * `upstreamDirectRps` shows what the proxy itself costs.
 *
 * Three child processes: the upstream (this file run with the argument `upstream`: a bare
 * node:http server answering `GET /v1/prices/:id` with a small JSON object, and echoing the
 * X-Clavis-Key-Id it got in X-Seen-Key-Id), and the two gateways, started the way an operator
 * starts one (`node packages/clavis-cli/bin/clavis.js --json gateway …`), each on its own SQLite
 * data folder; the verifying one holds one `live` key with scope `prices:read`, created before it
 * starts. Log level warn, cache settings the defaults.
 *
 * autocannon drives them from this process at 50 connections: a warm-up run each, then ROUNDS
 * rounds of RUN_SECONDS per side, taking turns (the order flips each round) so machine drift hits
 * both. The headline ratio pools every round; `medianRoundRatio` (the median of each round's
 * verified/unverified ratio) and `cpuRatio` are the figures to trust on a shared, noisy machine,
 * where one side's turn can catch a burst of someone else's load. `cpuRatio` is the unverified
 * gateway's CPU time per request over the verified one's, from /proc/<pid>/stat (user + system
 * time of each gateway process during its own runs): what verification costs in CPU, whatever
 * else the machine was doing (Linux only; absent elsewhere). Latency percentiles come from every 2xx
 * response time autocannon reports. Any non-2xx answer, connection error or timeout fails the
 * benchmark.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openStore } from '../src/storage/open-store.ts';
import { loadFailures, percentile, pooledLatencies, runLoad, startChild as spawnChild, stopChild, type Child, type LoadRun } from './lib/load.ts';
import { emit, note, round } from './lib/measure.ts';
import { servicesWithWorkspace, tempDir } from './lib/setup.ts';

const CONNECTIONS = 50;
const RUN_SECONDS = 2;
const ROUNDS = 10;
const WARMUP_SECONDS = 3;
const TARGET_RATIO = 0.85;
const PATH = '/v1/prices/bitcoin';

const benchFile = fileURLToPath(import.meta.url);
const root = dirname(dirname(benchFile));

// ---------------------------------------------------------------------------------------------
// The upstream, when this file runs as the child `upstream`.

if (process.argv[2] === 'upstream') {
  const answer = JSON.stringify({ id: 'bitcoin', vs: 'usd', price: 97_412.55, time: '2026-11-28T00:00:00.000Z' });
  const server = createServer((req, res) => {
    const seen = req.headers['x-clavis-key-id'];
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(answer), 'x-seen-key-id': typeof seen === 'string' ? seen : '-' });
    res.end(answer);
  });
  server.keepAliveTimeout = 60_000;
  server.listen(0, '127.0.0.1', () => {
    const address = server.address();
    if (typeof address !== 'object' || address === null) throw new Error('upstream: no TCP address');
    process.stdout.write(`${JSON.stringify({ port: address.port })}\n`);
  });
  const stop = (): void => {
    server.close(() => process.exit(0));
    server.closeAllConnections();
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
} else {
  await runBenchmark();
}

// ---------------------------------------------------------------------------------------------
// Child processes and load runs (bench/lib/load.ts)

function startChild(name: string, args: string[], env: Record<string, string>): Promise<Child> {
  return spawnChild(name, args, { cwd: root, env });
}

interface Run {
  seconds: number;
  ok: number;
  bad: string[];
  latencies: Float64Array;
}

async function load(url: string, seconds: number, headers: Record<string, string>): Promise<Run> {
  const run: LoadRun = await runLoad({ url, connections: CONNECTIONS, seconds, headers });
  return { seconds: run.seconds, ok: run.ok, bad: loadFailures(run), latencies: run.latencies };
}

/** CPU time a process has used, in ms (user + system, /proc/<pid>/stat at USER_HZ 100), or null. */
function cpuMs(pid: number | undefined): number | null {
  if (pid === undefined) return null;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return null;
  }
}

function summarise(runs: readonly Run[]): { rps: number; ok: number; p50Ms: number; p99Ms: number; roundsRps: number[] } {
  const all = pooledLatencies(runs);
  const ok = runs.reduce((n, r) => n + r.ok, 0);
  const seconds = runs.reduce((n, r) => n + r.seconds, 0);
  return { rps: ok / seconds, ok, p50Ms: percentile(all, 50), p99Ms: percentile(all, 99), roundsRps: runs.map((r) => Math.round(r.ok / r.seconds)) };
}

// ---------------------------------------------------------------------------------------------

async function runBenchmark(): Promise<void> {
  const tmp = tempDir();
  const children: Child[] = [];
  try {
    // The key lives in the verifying gateway's store, written before that gateway opens it.
    const verifiedDir = join(tmp.dir, 'verified');
    const store = await openStore({ sqlitePath: join(verifiedDir, 'clavis.db'), sqliteSynchronous: 'normal' });
    const { services, acting } = await servicesWithWorkspace(store);
    const issued = await services.keys.create(acting, { name: 'gateway-bench', environment: 'live', scopes: ['prices:read'] });
    await store.close();
    const routes = join(tmp.dir, 'routes.json');
    writeFileSync(routes, JSON.stringify({ environment: 'live', routes: [{ method: 'GET', path: '/v1/prices/*', scope: 'prices:read' }] }));

    const upstream = await startChild('upstream', ['--import', 'tsx', benchFile, 'upstream'], {});
    children.push(upstream);
    const upstreamUrl = `http://127.0.0.1:${String(upstream.info.port)}`;
    const cli = ['packages/clavis-cli/bin/clavis.js', '--json', 'gateway', '--upstream', upstreamUrl, '--routes', routes, '--port', '0'];
    const env = { CLAVIS_LOG_LEVEL: 'warn' };
    const verified = await startChild('gateway', cli, { ...env, CLAVIS_DATA_DIR: verifiedDir });
    children.push(verified);
    const open = await startChild('gateway-no-verify', [...cli, '--no-verify', '--i-know'], { ...env, CLAVIS_DATA_DIR: join(tmp.dir, 'open') });
    children.push(open);
    const urlOf = (c: Child): string => {
      if (typeof c.info.url !== 'string') throw new Error(`${c.name}: the start-up line has no url`);
      return `${c.info.url}${PATH}`;
    };
    const sides = [
      { name: 'gateway', url: urlOf(verified), pid: verified.child.pid, runs: [] as Run[], cpu: 0 as number | null },
      { name: 'gateway-no-verify', url: urlOf(open), pid: open.child.pid, runs: [] as Run[], cpu: 0 as number | null },
    ];
    const headers = { 'x-clavis-key': issued.secret };

    // Set-up checks, outside any timing: the key passes and its identity reaches the upstream;
    // without it the verifying gateway refuses and the other does not.
    const check = async (url: string, h: Record<string, string>): Promise<{ status: number; seen: string | null }> => {
      const res = await fetch(url, { headers: h });
      await res.arrayBuffer();
      return { status: res.status, seen: res.headers.get('x-seen-key-id') };
    };
    const [withKey, withoutKey, openWithout] = [await check(urlOf(verified), headers), await check(urlOf(verified), {}), await check(urlOf(open), {})];
    if (withKey.status !== 200 || withKey.seen !== issued.record.id) throw new Error(`set-up: the verified gateway answered ${withKey.status}, upstream saw ${String(withKey.seen)}`);
    if (withoutKey.status !== 401) throw new Error(`set-up: the verified gateway let a request without a key through (${withoutKey.status})`);
    if (openWithout.status !== 200) throw new Error(`set-up: the unverified gateway answered ${openWithout.status}`);

    note(`gateway: warm-up, ${WARMUP_SECONDS} s at ${CONNECTIONS} connections per side`);
    for (const s of sides) {
      const warm = await load(s.url, WARMUP_SECONDS, headers);
      if (warm.bad.length > 0) throw new Error(`${s.name} warm-up: ${warm.bad.join(', ')}`);
    }
    const direct: Run[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      for (const s of r % 2 === 0 ? sides : [...sides].reverse()) {
        const cpuBefore = cpuMs(s.pid);
        const run = await load(s.url, RUN_SECONDS, headers);
        const cpuAfter = cpuMs(s.pid);
        if (run.bad.length > 0) throw new Error(`${s.name} round ${r + 1}: ${run.bad.join(', ')}`);
        s.runs.push(run);
        s.cpu = s.cpu === null || cpuBefore === null || cpuAfter === null ? null : s.cpu + (cpuAfter - cpuBefore);
        note(`gateway: ${s.name} round ${r + 1}: ${Math.round(run.ok / run.seconds)} req/s`);
      }
    }
    // What the proxy itself costs: the upstream alone, once, after the comparison.
    direct.push(await load(`${upstreamUrl}${PATH}`, RUN_SECONDS, {}));
    const [subject, baseline] = sides.map((s) => summarise(s.runs));
    const [subjectSide, baselineSide] = sides;
    if (subject === undefined || baseline === undefined || subjectSide === undefined || baselineSide === undefined) throw new Error('gateway: lost a side');
    const cpuUs = (cpu: number | null, ok: number): number | null => (cpu === null || cpu <= 0 ? null : (cpu * 1000) / ok);
    const subjectCpuUs = cpuUs(subjectSide.cpu, subject.ok);
    const baselineCpuUs = cpuUs(baselineSide.cpu, baseline.ok);
    const cpu =
      subjectCpuUs === null || baselineCpuUs === null
        ? {}
        : { cpuUsPerRequest: round(subjectCpuUs, 4), baselineCpuUsPerRequest: round(baselineCpuUs, 4), cpuRatio: round(baselineCpuUs / subjectCpuUs, 4) };
    const upstreamDirect = summarise(direct);
    const roundRatios = subject.roundsRps.map((v, i) => v / (baseline.roundsRps[i] ?? Number.NaN)).sort((a, b) => a - b);
    const medianRoundRatio = ((roundRatios[Math.floor((roundRatios.length - 1) / 2)] ?? 0) + (roundRatios[Math.ceil((roundRatios.length - 1) / 2)] ?? 0)) / 2;
    emit({
      name: `gateway.verified.rps.c${CONNECTIONS}`,
      unit: 'ops/s',
      value: subject.rps,
      baseline: { name: `gateway.no-verify.rps.c${CONNECTIONS}`, value: baseline.rps },
      n: subject.ok,
      baselineN: baseline.ok,
      target: `ratio >= ${TARGET_RATIO}`,
      connections: CONNECTIONS,
      rounds: ROUNDS,
      runSeconds: RUN_SECONDS,
      p50Ms: round(subject.p50Ms, 3),
      p99Ms: round(subject.p99Ms, 3),
      baselineP50Ms: round(baseline.p50Ms, 3),
      baselineP99Ms: round(baseline.p99Ms, 3),
      medianRoundRatio: round(medianRoundRatio, 4),
      ...cpu,
      roundsRps: subject.roundsRps,
      baselineRoundsRps: baseline.roundsRps,
      upstreamDirectRps: Math.round(upstreamDirect.rps),
    });
  } finally {
    for (const c of children.reverse()) await stopChild(c);
    tmp.remove();
  }
}
