/**
 * Runs every `*.bench.ts` next to this file, one at a time, each in its own child process
 * (`node --import tsx <file>`), and passes their stdout lines through. Arguments filter by file
 * name: `npm run bench -- verify` runs only the files whose name contains `verify`.
 *
 * Exits non-zero when a benchmark exits non-zero, is killed, times out, prints nothing, or prints
 * a line that is not a result line. The summary goes to stderr so stdout holds only JSON lines.
 */
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

/** A benchmark should stay well under this; past it the child is killed and counted as failed. */
const TIMEOUT_MS = 300_000;

const benchDir = dirname(fileURLToPath(import.meta.url));
const root = dirname(benchDir);

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Why `line` is not a result line, or null when it is one. */
export function resultLineProblem(line: string): string | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    return 'not JSON';
  }
  if (!isRecord(parsed)) return 'not a JSON object';
  const { name, unit, value, baseline, ratio, n } = parsed;
  if (typeof name !== 'string' || name === '') return 'no name';
  if (!['ops/s', 'ms', 'MB/s', 'bytes'].includes(String(unit))) return `unit ${String(unit)} is not one of ops/s, ms, MB/s, bytes`;
  if (typeof value !== 'number' || !(value > 0)) return 'value is not a positive number';
  if (!isRecord(baseline) || typeof baseline.name !== 'string' || typeof baseline.value !== 'number' || !(baseline.value > 0)) {
    return 'baseline needs a name and a positive value';
  }
  if (typeof ratio !== 'number' || !Number.isFinite(ratio)) return 'ratio is not a number';
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 1) return 'n is not a positive integer';
  return null;
}

interface Outcome {
  file: string;
  ok: boolean;
  lines: number;
  ms: number;
  why: string;
}

async function runOne(file: string): Promise<Outcome> {
  const started = performance.now();
  const child = spawn(process.execPath, ['--import', 'tsx', file], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
  let lines = 0;
  const problems: string[] = [];
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill('SIGKILL');
  }, TIMEOUT_MS);

  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => resolve({ code, signal }));
  });
  const reader = createInterface({ input: child.stdout, crlfDelay: Infinity });
  for await (const line of reader) {
    if (line.trim() === '') continue;
    process.stdout.write(`${line}\n`);
    lines++;
    const problem = resultLineProblem(line);
    if (problem !== null) problems.push(`line ${lines}: ${problem}`);
  }
  const { code, signal } = await exited.finally(() => clearTimeout(timer));
  const ms = performance.now() - started;

  let why = '';
  if (timedOut) why = `timed out after ${TIMEOUT_MS} ms`;
  else if (signal !== null) why = `killed by ${signal}`;
  else if (code !== 0) why = `exit code ${code}`;
  else if (problems.length > 0) why = problems.join('; ');
  else if (lines === 0) why = 'printed no result line';
  return { file, ok: why === '', lines, ms, why };
}

const filters = process.argv.slice(2).filter((a) => a !== '');
const files = readdirSync(benchDir)
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
  .sort()
  .map((f) => join(benchDir, f));

if (files.length === 0) {
  process.stderr.write(`bench: no *.bench.ts in ${relative(root, benchDir) || '.'} matches ${JSON.stringify(filters)}\n`);
  process.exit(2);
}

const outcomes: Outcome[] = [];
for (const file of files) {
  process.stderr.write(`bench: running ${relative(root, file)}\n`);
  try {
    outcomes.push(await runOne(file));
  } catch (err) {
    outcomes.push({ file, ok: false, lines: 0, ms: 0, why: err instanceof Error ? err.message : String(err) });
  }
}

for (const o of outcomes) {
  const status = o.ok ? 'ok  ' : 'FAIL';
  process.stderr.write(`bench: ${status} ${basename(o.file)} (${o.lines} line(s), ${(o.ms / 1000).toFixed(1)} s)${o.ok ? '' : `: ${o.why}`}\n`);
}
const failed = outcomes.filter((o) => !o.ok).length;
if (failed > 0) {
  process.stderr.write(`bench: ${failed} of ${outcomes.length} failed\n`);
  process.exitCode = 1;
}
