import { existsSync, readFileSync } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import ignore, { type Ignore } from 'ignore';
import { hasBinaryExtension } from './binary.ts';

/** A file the walk chose to scan. */
export interface WalkedFile {
  /** Absolute path. */
  path: string;
  /** Path to print: relative to the current directory, with `/` separators. */
  display: string;
  size: number;
}

/** Why a file was left out. */
export type SkipReason = 'binary' | 'too-large' | 'allowlisted' | 'unreadable';

export interface WalkOptions {
  /** Files larger than this are skipped (counted as too large). */
  maxFileSizeBytes: number;
  /** Paths (as displayed) the user allowlisted; .gitignore-style. */
  pathAllowlist: Ignore | null;
  /** Base for displayed paths (the current directory). */
  cwd: string;
  onSkip?: (file: string, reason: SkipReason) => void;
}

/** One .gitignore and the folder it applies from. */
interface IgnoreLevel {
  dir: string;
  rules: Ignore;
}

function toPosix(p: string): string {
  return sep === '/' ? p : p.split(sep).join('/');
}

function readIgnoreFile(file: string): Ignore | null {
  try {
    return ignore({ allowRelativePaths: true }).add(readFileSync(file, 'utf8'));
  } catch {
    return null;
  }
}

/** The repository root above `dir` (a folder holding `.git`), or null. */
export function findRepoRoot(dir: string): string | null {
  for (let d = resolve(dir); ; d = dirname(d)) {
    if (existsSync(join(d, '.git'))) return d;
    if (dirname(d) === d) return null;
  }
}

/**
 * Whether `path` (absolute) is ignored by the .gitignore levels. Git's rule: the last matching
 * pattern wins, deeper files override shallower ones, and a `!pattern` can re-include.
 */
function ignoredBy(levels: readonly IgnoreLevel[], path: string, isDir: boolean): boolean {
  let ignored = false;
  for (const level of levels) {
    const rel = toPosix(relative(level.dir, path));
    if (rel === '' || rel.startsWith('..')) continue;
    const r = level.rules.test(isDir ? `${rel}/` : rel);
    if (r.ignored) ignored = true;
    else if (r.unignored) ignored = false;
  }
  return ignored;
}

/** The .gitignore levels that apply to `dir` from above: the repository's, down to `dir`'s parent. */
function levelsAbove(dir: string): IgnoreLevel[] {
  const root = findRepoRoot(dir);
  if (root === null) return [];
  const levels: IgnoreLevel[] = [];
  const exclude = readIgnoreFile(join(root, '.git', 'info', 'exclude'));
  if (exclude !== null) levels.push({ dir: root, rules: exclude });
  const chain: string[] = [];
  for (let d = dirname(resolve(dir)); d.startsWith(root); d = dirname(d)) {
    chain.unshift(d);
    if (d === root) break;
  }
  for (const d of chain) {
    const rules = readIgnoreFile(join(d, '.gitignore'));
    if (rules !== null) levels.push({ dir: d, rules });
  }
  return levels;
}

/**
 * Walks files and folders, depth first in name order, and yields the files to scan. Folders
 * honour every .gitignore on the way (and those above, up to the repository root, plus
 * .git/info/exclude); `.git` itself is never entered. Files named on the command line are
 * scanned even when ignored: the user asked for them. Binary extensions, files over the size
 * limit and allowlisted paths are reported through `onSkip` and left out.
 *
 * @example for await (const f of walk(['src'], { maxFileSizeBytes: 5e6, pathAllowlist: null, cwd: process.cwd() })) console.log(f.display)
 */
export async function* walk(roots: readonly string[], opts: WalkOptions): AsyncGenerator<WalkedFile> {
  const display = (p: string): string => {
    const rel = toPosix(relative(opts.cwd, p));
    return rel === '' ? '.' : rel;
  };
  const skip = (p: string, reason: SkipReason): void => opts.onSkip?.(display(p), reason);
  const consider = (path: string, size: number): WalkedFile | null => {
    const shown = display(path);
    if (opts.pathAllowlist?.ignores(shown.startsWith('../') ? path : shown) === true) return skip(path, 'allowlisted'), null;
    if (hasBinaryExtension(path)) return skip(path, 'binary'), null;
    if (size > opts.maxFileSizeBytes) return skip(path, 'too-large'), null;
    return { path, display: shown, size };
  };

  async function* dir(path: string, levels: IgnoreLevel[]): AsyncGenerator<WalkedFile> {
    const own = readIgnoreFile(join(path, '.gitignore'));
    const here = own === null ? levels : [...levels, { dir: path, rules: own }];
    let entries;
    try {
      entries = await readdir(path, { withFileTypes: true });
    } catch {
      skip(path, 'unreadable');
      return;
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      const child = join(path, e.name);
      if (e.isDirectory()) {
        if (e.name === '.git' || ignoredBy(here, child, true)) continue;
        yield* dir(child, here);
      } else if (e.isFile()) {
        if (ignoredBy(here, child, false)) continue;
        let size: number;
        try {
          size = (await stat(child)).size;
        } catch {
          skip(child, 'unreadable');
          continue;
        }
        const f = consider(child, size);
        if (f !== null) yield f;
      }
      // Symbolic links are not followed: they can loop, and their target is scanned where it lives.
    }
  }

  for (const root of roots) {
    const abs = resolve(opts.cwd, root);
    let info;
    try {
      info = await stat(abs);
    } catch {
      throw new Error(`cannot read ${root}: no such file or folder`);
    }
    if (info.isDirectory()) yield* dir(abs, levelsAbove(abs));
    else {
      const f = consider(abs, info.size);
      if (f !== null) yield f;
    }
  }
}
