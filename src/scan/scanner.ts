import { readFile } from 'node:fs/promises';
import type { Ignore } from 'ignore';
import { looksBinary } from './binary.ts';
import { detectSecrets, type Origin, type RuleSet } from './detect.ts';
import { emptyStats, sortFindings, type Finding, type ScanStats } from './finding.ts';
import { countCommits, findRepoRootOrThrow, readGitHunks, type GitSource } from './git-history.ts';
import { scanInWorkers, workerCount } from './parallel-scan.ts';
import type { ScanConfig } from './scan-config.ts';
import { walk, type SkipReason, type WalkedFile } from './walker.ts';

/** Where a scan stands, for a progress bar. `total` is 0 while unknown. */
export interface ScanProgress {
  unit: 'files' | 'commits';
  done: number;
  total: number;
  bytes: number;
}

export interface ScanOptions {
  ruleSet: RuleSet;
  maxFileSizeBytes: number;
  pathAllowlist: Ignore | null;
  /** Fingerprints to leave out (a baseline), or null. */
  baseline: Set<string> | null;
  /** Base of displayed paths. */
  cwd: string;
  onProgress?: (p: ScanProgress) => void;
  /**
   * Scan files on worker threads (one per core, at most 4) when the files add up to at least
   * `minBytes`: workers compile their own rules from `config`, so it must be the config
   * `ruleSet` came from. Without it, or below the threshold, the scan runs on this thread.
   */
  parallel?: { config: ScanConfig; reportMalformed: boolean; minBytes: number; workers?: number };
}

export interface ScanResult {
  findings: Finding[];
  stats: ScanStats;
}

/** How many files are read ahead of the one being scanned, so the disk works while the CPU does. */
const READ_AHEAD = 4;

class Collector {
  readonly stats = emptyStats();
  readonly findings: Finding[] = [];
  readonly #started = performance.now();
  constructor(private readonly opts: ScanOptions) {}

  skip(reason: SkipReason): void {
    if (reason === 'binary') this.stats.skippedBinary++;
    else if (reason === 'too-large') this.stats.skippedTooLarge++;
    else if (reason === 'allowlisted') this.stats.skippedAllowlisted++;
    else this.stats.skippedUnreadable++;
  }

  scan(text: string, origin: Origin): void {
    const r = detectSecrets(text, origin, this.opts.ruleSet);
    this.add(r.findings, r.allowed);
  }

  add(findings: readonly Finding[], allowed: number): void {
    this.stats.allowed += allowed;
    for (const f of findings) {
      if (this.opts.baseline?.has(f.fingerprint) === true) this.stats.baselined++;
      else this.findings.push(f);
    }
  }

  result(): ScanResult {
    this.stats.findings = this.findings.length;
    this.stats.durationMs = Math.round(performance.now() - this.#started);
    return { findings: sortFindings(this.findings), stats: this.stats };
  }
}

async function readText(file: WalkedFile): Promise<{ text: string } | { skip: SkipReason }> {
  let bytes: Buffer;
  try {
    bytes = await readFile(file.path);
  } catch {
    return { skip: 'unreadable' };
  }
  if (looksBinary(bytes)) return { skip: 'binary' };
  return { text: bytes.toString('utf8') };
}

/**
 * Scans files and folders (see {@link walk} for what is skipped).
 *
 * @example const { findings } = await scanPaths(['.'], { ruleSet, maxFileSizeBytes: DEFAULT_MAX_FILE_SIZE, pathAllowlist: null, baseline: null, cwd: process.cwd() })
 */
export async function scanPaths(paths: readonly string[], opts: ScanOptions): Promise<ScanResult> {
  const c = new Collector(opts);
  const files: WalkedFile[] = [];
  for await (const f of walk(paths, { maxFileSizeBytes: opts.maxFileSizeBytes, pathAllowlist: opts.pathAllowlist, cwd: opts.cwd, onSkip: (_f, reason) => c.skip(reason) })) files.push(f);
  const total = files.reduce((n, f) => n + f.size, 0);
  const par = opts.parallel;
  if (par !== undefined && total >= par.minBytes && workerCount(par.workers) > 1 && files.length > 1) {
    let done = 0;
    await scanInWorkers(files, { config: par.config, reportMalformed: par.reportMalformed }, workerCount(par.workers), (r) => {
      c.add(r.findings, r.allowed);
      c.stats.filesScanned += r.scanned;
      c.stats.bytesScanned += r.bytes;
      c.stats.skippedBinary += r.binary;
      c.stats.skippedUnreadable += r.unreadable;
      done += r.scanned + r.binary + r.unreadable;
      opts.onProgress?.({ unit: 'files', done, total: files.length, bytes: c.stats.bytesScanned });
    });
    return c.result();
  }
  const pending: Promise<{ text: string } | { skip: SkipReason }>[] = [];
  let next = 0;
  const fill = (): void => {
    while (pending.length < READ_AHEAD && next < files.length) {
      const f = files[next++];
      if (f !== undefined) pending.push(readText(f));
    }
  };
  fill();
  for (let i = 0; i < files.length; i++) {
    const file = files[i];
    const read = pending.shift();
    fill();
    if (file === undefined || read === undefined) break;
    const r = await read;
    if ('skip' in r) c.skip(r.skip);
    else {
      c.stats.filesScanned++;
      c.stats.bytesScanned += file.size;
      c.scan(r.text, { file: file.display });
    }
    opts.onProgress?.({ unit: 'files', done: i + 1, total: files.length, bytes: c.stats.bytesScanned });
  }
  return c.result();
}

/** Scans one text (stdin), reported under `name`. */
export function scanText(text: string, name: string, opts: ScanOptions): ScanResult {
  const c = new Collector(opts);
  c.stats.filesScanned = 1;
  c.stats.bytesScanned = Buffer.byteLength(text);
  c.scan(text, { file: name });
  return c.result();
}

/**
 * Scans the lines each commit added (`--git`) or the staged changes (`--staged`) of the
 * repository around `dir`, with `git` child processes. Paths are relative to the repository root.
 */
export async function scanGit(dir: string, source: GitSource, opts: ScanOptions): Promise<ScanResult> {
  const root = findRepoRootOrThrow(dir);
  const c = new Collector(opts);
  const total = source.kind === 'log' ? await countCommits(root, source.range) : 0;
  let commits = 0;
  const seenFiles = new Set<string>();
  const progress = (): void => opts.onProgress?.({ unit: 'commits', done: commits, total, bytes: c.stats.bytesScanned });
  for await (const h of readGitHunks(root, source, () => {
    commits++;
    if (commits % 25 === 0) progress();
  })) {
    if (opts.pathAllowlist?.ignores(h.file) === true) {
      c.stats.skippedAllowlisted++;
      continue;
    }
    if (h.text.length > opts.maxFileSizeBytes) {
      c.stats.skippedTooLarge++;
      continue;
    }
    seenFiles.add(`${h.commit ?? ''}\u0000${h.file}`);
    c.stats.bytesScanned += Buffer.byteLength(h.text);
    c.scan(h.text, h);
  }
  c.stats.commitsScanned = commits;
  c.stats.filesScanned = seenFiles.size;
  progress();
  return c.result();
}
