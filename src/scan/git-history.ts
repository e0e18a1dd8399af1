import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { findRepoRoot } from './walker.ts';

/** Lines added to one file by one commit (or by the staged changes), contiguous in the new file. */
export interface AddedHunk {
  commit?: string;
  author?: string;
  date?: string;
  file: string;
  /** Line number, in the file after the change, of the first added line. */
  firstLine: number;
  /** The added lines, joined with `\n`. */
  text: string;
}

/** What to read: the whole history (`log`), a commit range, or the staged changes (`staged`). */
export type GitSource = { kind: 'log'; range?: string } | { kind: 'staged' };

const COMMIT_MARK = '\u0001clavis-commit\u0001';

/** Decodes a path git quoted C-style (`"a\tb"`, octal escapes for non-ASCII bytes). */
export function unquoteGitPath(raw: string): string {
  if (!raw.startsWith('"') || !raw.endsWith('"')) return raw;
  const bytes: number[] = [];
  const body = raw.slice(1, -1);
  const simple: Record<string, number> = { n: 10, t: 9, r: 13, '"': 34, '\\': 92, a: 7, b: 8, f: 12, v: 11 };
  for (let i = 0; i < body.length; i++) {
    const c = body.charAt(i);
    if (c !== '\\') {
      bytes.push(...Buffer.from(c, 'utf8'));
      continue;
    }
    const next = body.charAt(i + 1);
    const octal = /^[0-7]{3}/.exec(body.slice(i + 1, i + 4));
    if (octal !== null) {
      bytes.push(parseInt(octal[0], 8));
      i += 3;
    } else {
      bytes.push(simple[next] ?? next.charCodeAt(0));
      i += 1;
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

/** Arguments of the git command for a source. `-U0`: added lines only, no context. */
export function gitArgs(source: GitSource): string[] {
  const common = ['-c', 'core.quotePath=off', '-c', 'diff.noprefix=false'];
  const diff = ['-U0', '--no-color', '--no-ext-diff', '--no-textconv', '--diff-filter=AMRC', '--src-prefix=a/', '--dst-prefix=b/'];
  if (source.kind === 'staged') return [...common, 'diff', '--cached', ...diff];
  return [...common, 'log', '-p', ...diff, `--format=${COMMIT_MARK}%H%x00%an <%ae>%x00%aI`, ...(source.range === undefined ? ['--all'] : [source.range])];
}

/**
 * Parses `git log -p -U0` / `git diff -U0` output line by line into added hunks. Removed lines,
 * binary files and deleted files yield nothing: a secret that was only ever removed was added
 * by an earlier commit, where it is found.
 */
export class PatchParser {
  #commit: { commit: string; author: string; date: string } | undefined;
  #file: string | null = null;
  #hunk: { firstLine: number; lines: string[] } | null = null;
  #newLine = 0;
  #inHeader = false;
  readonly #emit: (h: AddedHunk) => void;
  readonly #onCommit: (() => void) | undefined;

  constructor(emit: (h: AddedHunk) => void, onCommit?: () => void) {
    this.#emit = emit;
    this.#onCommit = onCommit;
  }

  #flush(): void {
    if (this.#hunk !== null && this.#hunk.lines.length > 0 && this.#file !== null) {
      const h: AddedHunk = { file: this.#file, firstLine: this.#hunk.firstLine, text: this.#hunk.lines.join('\n') };
      if (this.#commit !== undefined) Object.assign(h, this.#commit);
      this.#emit(h);
    }
    this.#hunk = null;
  }

  push(line: string): void {
    if (line.startsWith(COMMIT_MARK)) {
      this.#flush();
      const [commit = '', author = '', date = ''] = line.slice(COMMIT_MARK.length).split('\u0000');
      this.#commit = { commit, author, date };
      this.#file = null;
      this.#onCommit?.();
      return;
    }
    if (line.startsWith('diff --git ')) {
      this.#flush();
      this.#file = null;
      this.#inHeader = true;
      return;
    }
    if (this.#inHeader) {
      if (line.startsWith('+++ ')) {
        // Git ends the name with a tab when it holds a space, to keep it apart from what follows.
        const target = line.slice(4).replace(/\t$/, '');
        this.#file = target === '/dev/null' ? null : unquoteGitPath(target).replace(/^b\//, '');
        this.#inHeader = false;
      } else if (line.startsWith('Binary files ')) {
        this.#inHeader = false;
        this.#file = null;
      }
      return;
    }
    if (line.startsWith('@@')) {
      this.#flush();
      const m = /^@@ -\d+(?:,\d+)? \+(\d+)(?:,\d+)? @@/.exec(line);
      this.#newLine = m?.[1] === undefined ? 0 : Number(m[1]);
      this.#hunk = { firstLine: this.#newLine, lines: [] };
      return;
    }
    if (this.#hunk === null) return;
    if (line.startsWith('+')) {
      this.#hunk.lines.push(line.slice(1));
      this.#newLine++;
    } else if (line.startsWith(' ')) {
      // Context (absent with -U0): ends a run of added lines.
      this.#flush();
      this.#newLine++;
      this.#hunk = { firstLine: this.#newLine, lines: [] };
    }
    // '-' lines and '\ No newline at end of file' change nothing in the new file.
  }

  end(): void {
    this.#flush();
  }
}

/** Runs git and returns its stdout, trimmed; throws with git's message on failure. */
export async function gitOutput(cwd: string, args: readonly string[]): Promise<string> {
  const child = spawn('git', [...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
  child.stderr.setEncoding('utf8').on('data', (c: string) => (err += c));
  const code = await new Promise<number | null>((resolveExit, reject) => {
    child.once('error', reject);
    child.once('close', resolveExit);
  });
  if (code !== 0) throw new Error(`git ${args.join(' ')} failed: ${err.trim() || `exit ${code}`}`);
  return out.trim();
}

/** How many commits `clavis scan --git` will read, for the progress bar. */
export async function countCommits(cwd: string, range?: string): Promise<number> {
  const out = await gitOutput(cwd, ['rev-list', '--count', ...(range === undefined ? ['--all'] : [range])]);
  return Number(out) || 0;
}

/**
 * Streams the added hunks of a repository's history (or of its staged changes) from `git`
 * child processes. Needs `git` on the PATH; `cwd` is any folder inside the repository.
 *
 * @example for await (const h of readGitHunks('.', { kind: 'log' })) console.log(h.commit, h.file, h.firstLine)
 */
export async function* readGitHunks(cwd: string, source: GitSource, onCommit?: () => void): AsyncGenerator<AddedHunk> {
  const child = spawn('git', gitArgs(source), { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr.setEncoding('utf8').on('data', (c: string) => (err += c));
  const exited = new Promise<number | null>((resolveExit, reject) => {
    child.once('error', reject);
    child.once('close', resolveExit);
  });
  const queue: AddedHunk[] = [];
  const parser = new PatchParser((h) => queue.push(h), onCommit);
  const lines = createInterface({ input: child.stdout, crlfDelay: Infinity });
  try {
    for await (const line of lines) {
      parser.push(line);
      while (queue.length > 0) {
        const h = queue.shift();
        if (h !== undefined) yield h;
      }
    }
    parser.end();
    yield* queue.splice(0);
  } finally {
    if (child.exitCode === null) child.kill();
  }
  const code = await exited;
  if (code !== 0) throw new Error(`git ${source.kind === 'staged' ? 'diff --cached' : 'log'} failed: ${err.trim() || `exit ${code}`}`);
}

/** The repository root around `dir` as git sees it; throws when `dir` is not inside a repository. */
export function findRepoRootOrThrow(dir: string): string {
  const root = findRepoRoot(dir);
  if (root === null) throw new Error(`${dir} is not inside a git repository`);
  return root;
}
