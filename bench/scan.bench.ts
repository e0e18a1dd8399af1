/**
 * `clavis scan` throughput (MB/s) on a generated tree of at least 200 MB, side by side in the
 * same run with `secretlint` (npm, @secretlint/secretlint-rule-preset-recommend) on the same
 * files, and the recall of both on the secrets planted in the tree.
 *
 * Both tools run as child processes the way a CI job runs them (start-up included), with JSON
 * output written to a file. The tree lives in a temporary folder and is removed at the end.
 *
 * secretlint is much slower, so when its projected time on the whole tree exceeds the budget it
 * runs on a sample of the tree (whole folders, in file order) and its MB/s and recall are those
 * of the sample; `baseline.scope` and `baseline.mb` say so, and `ratio` then compares both tools
 * on that same sample (clavis also scans the sample, for a like-for-like figure). Nothing here
 * asserts on time.
 *
 * Environment: CLAVIS_BENCH_SCAN_MB (default 200), CLAVIS_BENCH_SECRETLINT_BUDGET_S (default 60),
 * CLAVIS_BENCH_SCAN_KEEP=1 keeps the generated tree (its path goes to stderr) for profiling.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateCredential } from '../src/core/keys/key-format.ts';
import { note, round } from './lib/measure.ts';

const TARGET_MB = Number(process.env.CLAVIS_BENCH_SCAN_MB ?? 200);
const SECRETLINT_BUDGET_S = Number(process.env.CLAVIS_BENCH_SECRETLINT_BUDGET_S ?? 60);
const PROBE_FOLDERS = 4;
const FOLDERS = 40;
const FILE_BYTES = 100 * 1024;
const PLANTS_PER_KIND = 12;
const CLAVIS_PLANTS = 120;

const root = dirname(dirname(fileURLToPath(import.meta.url)));

// A seeded generator, so every run builds the same tree shape (the keys differ only in the bytes
// the seed gives them).
let seed = 0x9e3779b9;
function rand(): number {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const int = (n: number): number => Math.floor(rand() * n);
const pick = <T>(list: readonly T[]): T => {
  const v = list[int(list.length)];
  if (v === undefined) throw new Error('empty list');
  return v;
};
const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const chars = (alphabet: string, n: number): string => {
  let s = '';
  for (let i = 0; i < n; i++) s += alphabet.charAt(int(alphabet.length));
  return s;
};
const bytes = (n: number): Buffer => Buffer.from(Array.from({ length: n }, () => int(256)));
const mixed = (n: number): string => `${chars('0123456789', 1)}${chars('abcdefghij', 1)}${chars(BASE62, n - 2)}`;
const j = (...parts: string[]): string => parts.join('');

const WORDS = ['price', 'order', 'user', 'market', 'client', 'signal', 'quote', 'symbol', 'ledger', 'account', 'session', 'window', 'cache', 'limit', 'buffer', 'stream'];
const word = (): string => pick(WORDS);

/** Ordinary lines: code, config, hashes, ids, base64, secret-ish names without secrets, Clavis-shaped noise. */
const noiseLine = (): string => {
  switch (int(14)) {
    case 0:
      return `  const ${word()}${int(999)} = compute${word()}(input${int(50)}, ${int(10000)});`;
    case 1:
      return `  if (user.password === undefined) throw new Error('password required for ${word()}');`;
    case 2:
      return `  const token = await getToken(${word()}Client, { ttl: ${int(3600)} });`;
    case 3:
      return `export const ${word().toUpperCase()}_ID = '${chars('0123456789abcdef', 8)}-${chars('0123456789abcdef', 4)}-4${chars('0123456789abcdef', 3)}-a${chars('0123456789abcdef', 3)}-${chars('0123456789abcdef', 12)}';`;
    case 4:
      return `  "${word()}_sha256": "${chars('0123456789abcdef', 64)}",`;
    case 5:
      return `# rotate the api keys and secrets of ${word()} every ${int(90)} days`;
    case 6:
      return `  data: "${bytes(60).toString('base64')}",`;
    case 7:
      return `${word().toUpperCase()}_${word().toUpperCase()}=${word()}-${int(100)}`;
    case 8:
      return `  url: 'https://api.example.com/v1/${word()}/${int(1e6)}',`;
    case 9:
      return `  // looks like a key, checksum fails: clv_live_${chars(BASE62, 49)}`;
    case 10:
      return `  api_key = os.environ["${word().toUpperCase()}_API_KEY"]`;
    case 11:
      return `  password: \${${word().toUpperCase()}_PASSWORD}`;
    case 12:
      return `    for (let i = 0; i < ${word()}.length; i += 1) total += ${word()}[i] * ${rand().toFixed(4)};`;
    default:
      return `  return { ${word()}: ${word()}, ${word()}: await ${word()}Repo.find${word()}ById(id) };`;
  }
};

interface Plant {
  kind: string;
  file: string;
  /** 1-based lines the planted text spans. */
  first: number;
  last: number;
}

function ecPem(): string[] {
  const body = Buffer.concat([Buffer.from('308187020100301306072a8648ce3d020106082a8648ce3d030107046d306b0201010420', 'hex'), bytes(100)]).toString('base64');
  return ['-----BEGIN PRIVATE KEY-----', ...(body.match(/.{1,64}/g) ?? []), '-----END PRIVATE KEY-----'];
}

function jwt(): string {
  const enc = (v: unknown): string => Buffer.from(JSON.stringify(v)).toString('base64url');
  return `${enc({ alg: 'HS256', typ: 'JWT' })}.${enc({ sub: `user_${int(1e6)}`, iat: 1767225600 })}.${bytes(32).toString('base64url')}`;
}

/** Lines of one planted secret of `kind`, as it would sit in real code or config. */
function plantLines(kind: string): string[] {
  switch (kind) {
    case 'clavis-api-key':
      return [`const CLAVIS_KEY = '${generateCredential('clv', pick(['live', 'test', 'dev'] as const), bytes)}';`];
    case 'aws-access-key-id':
      return [`aws_access_key_id = ${j('AK', 'IA', chars('ABCDEFGHIJKLMNOPQRSTUVWXYZ234567', 16))}`];
    case 'github-token':
      return [`GITHUB_TOKEN=${j('gh', 'p_', chars(BASE62, 36))}`];
    case 'slack-token':
      return [`slack: { token: '${j('xo', 'xb-', chars('0123456789', 12), '-', chars('0123456789', 13), '-', chars(BASE62, 24))}' },`];
    case 'stripe-secret-key':
      return [`STRIPE_SECRET_KEY="${j('sk', '_live_', chars(BASE62, 99))}"`];
    case 'private-key':
      return ecPem();
    case 'jwt':
      return [`  const session = '${jwt()}';`];
    case 'database-url-password':
      return [`DATABASE_URL=postgres://app:${mixed(20)}@db.internal:5432/app`];
    case 'gitlab-token':
      return [`export GITLAB_TOKEN=${j('gl', 'pat-', chars(BASE62, 20))}`];
    case 'generic-secret-assignment':
      return [`  api_secret = "${mixed(32)}"`];
    default:
      throw new Error(`no plant for ${kind}`);
  }
}

const THIRD_PARTY = ['aws-access-key-id', 'github-token', 'slack-token', 'stripe-secret-key', 'private-key', 'jwt', 'database-url-password', 'gitlab-token', 'generic-secret-assignment'];

/** Writes the tree; returns its files in scan order and the planted secrets. */
function generateTree(dir: string): { files: { path: string; size: number; folder: number }[]; plants: Plant[] } {
  const count = Math.ceil((TARGET_MB * 1024 * 1024) / FILE_BYTES);
  const kinds = [...Array.from({ length: CLAVIS_PLANTS }, () => 'clavis-api-key'), ...THIRD_PARTY.flatMap((k) => Array.from({ length: PLANTS_PER_KIND }, () => k))];
  const byFile = new Map<number, string[]>();
  for (const k of kinds) {
    const f = int(count);
    byFile.set(f, [...(byFile.get(f) ?? []), k]);
  }
  const pool = Array.from({ length: 20_000 }, noiseLine);
  const files: { path: string; size: number; folder: number }[] = [];
  const plants: Plant[] = [];
  for (let i = 0; i < count; i++) {
    const folder = i % FOLDERS;
    const ext = pick(['ts', 'py', 'yaml', 'json', 'env', 'md', 'go', 'js']);
    const path = join(dir, `pkg-${String(folder).padStart(2, '0')}`, `module-${String(i).padStart(5, '0')}.${ext}`);
    const lines: string[] = [];
    let size = 0;
    while (size < FILE_BYTES) {
      const l = pick(pool);
      lines.push(l);
      size += l.length + 1;
    }
    // Insert at ascending spots of the noise, shifted by what was inserted before, so that no
    // plant lands inside another and every recorded line stays right.
    const mine = byFile.get(i) ?? [];
    const spots = mine.map(() => int(lines.length)).sort((a, b) => a - b);
    let shift = 0;
    mine.forEach((kind, k) => {
      const at = (spots[k] ?? 0) + shift;
      const planted = plantLines(kind);
      lines.splice(at, 0, ...planted);
      plants.push({ kind, file: relative(dir, path), first: at + 1, last: at + planted.length });
      shift += planted.length;
    });
    mkdirSync(dirname(path), { recursive: true });
    const text = `${lines.join('\n')}\n`;
    writeFileSync(path, text);
    files.push({ path, size: Buffer.byteLength(text), folder });
  }
  files.sort((a, b) => (a.path < b.path ? -1 : 1));
  return { files, plants };
}

interface Hit {
  file: string;
  line: number;
}

/** Recall per kind and overall: a plant counts as found when a finding starts on one of its lines. */
function recall(plants: readonly Plant[], hits: readonly Hit[]): Record<string, number> {
  const byFile = new Map<string, number[]>();
  for (const h of hits) byFile.set(h.file, [...(byFile.get(h.file) ?? []), h.line]);
  const found = (p: Plant): boolean => (byFile.get(p.file) ?? []).some((l) => l >= p.first && l <= p.last);
  const out: Record<string, number> = { all: round(plants.filter(found).length / Math.max(1, plants.length), 4) };
  for (const kind of new Set(plants.map((p) => p.kind))) {
    const of = plants.filter((p) => p.kind === kind);
    out[kind] = round(of.filter(found).length / of.length, 4);
  }
  const third = plants.filter((p) => p.kind !== 'clavis-api-key');
  out.thirdParty = round(third.filter(found).length / Math.max(1, third.length), 4);
  return out;
}

function timed(cmd: string, args: string[], cwd: string): { seconds: number; status: number | null; stderr: string } {
  const t0 = performance.now();
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  return { seconds: (performance.now() - t0) / 1000, status: r.status, stderr: r.stderr };
}

function runClavis(dir: string, paths: string[], out: string): { seconds: number; hits: Hit[] } {
  const r = timed(process.execPath, [join(root, 'packages/clavis-cli/bin/clavis.js'), 'scan', ...paths, '--format', 'json', '--offline', '--no-progress', '--output', out], dir);
  if (r.status !== 1 && r.status !== 0) throw new Error(`clavis scan exited ${r.status}: ${r.stderr}`);
  const report = JSON.parse(readFileSync(out, 'utf8')) as { findings: { file: string; line: number }[] };
  return { seconds: r.seconds, hits: report.findings.map((f) => ({ file: f.file, line: f.line })) };
}

function runSecretlint(dir: string, globs: string[], out: string): { seconds: number; hits: Hit[] } {
  const rc = JSON.stringify({ rules: [{ id: '@secretlint/secretlint-rule-preset-recommend' }] });
  const r = timed(process.execPath, [join(root, 'node_modules/secretlint/bin/secretlint.js'), ...globs, '--format', 'json', '--output', out, '--secretlintrcJSON', rc, '--no-color'], dir);
  if (r.status !== 1 && r.status !== 0) throw new Error(`secretlint exited ${r.status}: ${r.stderr}`);
  const results = JSON.parse(readFileSync(out, 'utf8')) as { filePath: string; messages: { loc: { start: { line: number } } }[] }[];
  return { seconds: r.seconds, hits: results.flatMap((res) => res.messages.map((m) => ({ file: relative(dir, res.filePath), line: m.loc.start.line }))) };
}

const work = mkdtempSync(join(tmpdir(), 'clavis-scan-bench-'));
const tree = join(work, 'tree');
try {
  const t0 = performance.now();
  const { files, plants } = generateTree(tree);
  const totalBytes = files.reduce((n, f) => n + f.size, 0);
  const mb = totalBytes / 1024 / 1024;
  note(`scan: generated ${files.length} files, ${mb.toFixed(1)} MiB, ${plants.length} planted secrets in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

  const ours = runClavis(tree, ['.'], join(work, 'clavis.json'));
  const oursMBps = mb / ours.seconds;
  const oursRecall = recall(plants, ours.hits);
  const extra = ours.hits.filter((h) => !plants.some((p) => p.file === h.file && h.line >= p.first && h.line <= p.last)).length;
  note(`scan: clavis ${ours.seconds.toFixed(1)} s, ${oursMBps.toFixed(1)} MB/s, ${ours.hits.length} findings, ${extra} not planted`);

  // Probe secretlint on a few folders (about 20 MB, so its start-up does not dominate) to
  // project its time on the whole tree.
  const folderMb = (k: number): number => files.filter((f) => f.folder < k).reduce((n, f) => n + f.size, 0) / 1024 / 1024;
  const globsFor = (k: number): string[] => Array.from({ length: k }, (_, i) => `pkg-${String(i).padStart(2, '0')}/**/*`);
  const probe = runSecretlint(tree, globsFor(PROBE_FOLDERS), join(work, 'secretlint-probe.json'));
  const probeRate = folderMb(PROBE_FOLDERS) / probe.seconds;
  const projected = mb / probeRate;
  let folders = FOLDERS;
  if (projected > SECRETLINT_BUDGET_S) folders = Math.max(1, Math.min(FOLDERS, Math.floor((SECRETLINT_BUDGET_S * probeRate) / (mb / FOLDERS))));
  note(`scan: secretlint probe ${folderMb(PROBE_FOLDERS).toFixed(1)} MiB in ${probe.seconds.toFixed(1)} s (${probeRate.toFixed(2)} MB/s); projected ${projected.toFixed(0)} s for the tree → ${folders === FOLDERS ? 'whole tree' : `sample of ${folders}/${FOLDERS} folders`}`);

  const sampleMb = folderMb(folders);
  const theirs = runSecretlint(tree, globsFor(folders), join(work, 'secretlint.json'));
  const theirsMBps = sampleMb / theirs.seconds;
  const samplePlants = plants.filter((p) => Number(p.file.slice(4, 6)) < folders);
  const theirsRecall = recall(samplePlants, theirs.hits);
  // Like for like: clavis on exactly the files secretlint saw.
  const oursOnSample = folders === FOLDERS ? ours : runClavis(tree, globsFor(folders).map((g) => g.replace('/**/*', '')), join(work, 'clavis-sample.json'));
  const oursSampleMBps = sampleMb / oursOnSample.seconds;
  note(`scan: secretlint ${theirs.seconds.toFixed(1)} s on ${sampleMb.toFixed(1)} MiB, ${theirsMBps.toFixed(2)} MB/s; clavis on the same files ${oursSampleMBps.toFixed(1)} MB/s`);

  process.stdout.write(
    `${JSON.stringify({
      name: 'scan',
      unit: 'MB/s',
      value: round(oursMBps, 4),
      baseline: { name: 'secretlint', value: round(theirsMBps, 4), scope: folders === FOLDERS ? 'whole tree' : 'sample', mb: round(sampleMb, 4), version: '11.7.1 + preset-recommend' },
      ratio: round(oursSampleMBps / theirsMBps, 4),
      recall: { clavis: oursRecall, secretlint: theirsRecall },
      treeMb: round(mb, 4),
      files: files.length,
      planted: plants.length,
      clavisNotPlanted: extra,
      clavisSeconds: round(ours.seconds, 4),
      secretlintSeconds: round(theirs.seconds, 4),
      n: files.length,
    })}\n`,
  );
} finally {
  if (process.env.CLAVIS_BENCH_SCAN_KEEP === '1') note(`scan: kept ${tree}`);
  else rmSync(work, { recursive: true, force: true });
}
