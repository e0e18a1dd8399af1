import { execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateCredential } from '../../src/core/keys/key-format.ts';
import { PatchParser, unquoteGitPath, type AddedHunk } from '../../src/scan/git-history.ts';
import type { JsonReport } from '../../src/scan/report-json.ts';
import { clavis } from './cli-run.ts';
import { secretFor } from './tokens.ts';

// A real repository built with real git commands: a key is added in one commit and removed in
// the next, so only the history still holds it.

let repo: string;
const key = generateCredential('clv', 'live');
const token = secretFor('github-token', 'history');
const commits: Record<string, string> = {};

function git(...args: string[]): string {
  return execFileSync('git', ['-c', 'user.name=Ada Lovelace', '-c', 'user.email=ada@example.com', '-c', 'commit.gpgsign=false', '-c', 'init.defaultBranch=main', ...args], {
    cwd: repo,
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '', HOME: repo, GIT_CONFIG_NOSYSTEM: '1' },
  }).trim();
}

beforeAll(() => {
  repo = mkdtempSync(join(tmpdir(), 'clavis-git-'));
  git('init', '-q');
  mkdirSync(join(repo, 'config'));
  writeFileSync(join(repo, 'config', 'app.env'), 'PORT=3000\nLOG_LEVEL=info\n');
  writeFileSync(join(repo, 'README.md'), '# app\n');
  git('add', '.');
  git('commit', '-q', '-m', 'initial');
  commits.initial = git('rev-parse', 'HEAD');
  writeFileSync(join(repo, 'config', 'app.env'), `PORT=3000\nCLAVIS_API_KEY=${key}\nLOG_LEVEL=info\n`);
  git('commit', '-q', '-am', 'add the price API key');
  commits.added = git('rev-parse', 'HEAD');
  writeFileSync(join(repo, 'config', 'app.env'), 'PORT=3000\nCLAVIS_API_KEY=${CLAVIS_API_KEY}\nLOG_LEVEL=info\n');
  git('commit', '-q', '-am', 'read the key from the environment');
  commits.removed = git('rev-parse', 'HEAD');
  // A file with a space in its name, on a side branch: --git reads every ref.
  git('checkout', '-q', '-b', 'feature');
  writeFileSync(join(repo, 'deploy notes.md'), `token: ${token}\n`);
  git('add', '.');
  git('commit', '-q', '-m', 'notes');
  commits.feature = git('rev-parse', 'HEAD');
  git('checkout', '-q', 'main');
});

afterAll(() => rmSync(repo, { recursive: true, force: true }));

describe('clavis scan --git', () => {
  it('finds a key that was added and later removed, with commit, author, file and line', () => {
    const tree = clavis(['scan', '--format', 'json'], { cwd: repo });
    expect(tree.code, tree.stdout).toBe(0);

    const r = clavis(['scan', '--git', '--format', 'json'], { cwd: repo });
    expect(r.code, r.stderr).toBe(1);
    const report = JSON.parse(r.stdout) as JsonReport;
    const found = report.findings.map((f) => ({ ruleId: f.ruleId, commit: f.commit, author: f.author, file: f.file, line: f.line, column: f.column }));
    expect(found).toEqual([
      { ruleId: 'clavis-api-key', commit: commits.added, author: 'Ada Lovelace <ada@example.com>', file: 'config/app.env', line: 2, column: 16 },
      { ruleId: 'github-token', commit: commits.feature, author: 'Ada Lovelace <ada@example.com>', file: 'deploy notes.md', line: 1, column: 8 },
    ]);
    expect(report.stats.commitsScanned).toBe(4);
    expect(r.stdout).not.toContain(key);
  });

  it('limits the history to a range, and prints commits in text and SARIF', () => {
    const r = clavis(['scan', '--git', '--range', `${commits.removed}..feature`, '--format', 'json'], { cwd: repo });
    expect((JSON.parse(r.stdout) as JsonReport).findings.map((f) => f.ruleId)).toEqual(['github-token']);
    const text = clavis(['scan', '--git'], { cwd: repo });
    expect(text.stdout).toMatch(/COMMIT\s+AUTHOR/);
    expect(text.stdout).toContain((commits.added ?? '').slice(0, 12));
    const sarif = clavis(['scan', '--git', '--format', 'sarif'], { cwd: repo });
    expect(sarif.stdout).toContain(`"commit": "${commits.added ?? ''}"`);
  });

  it('scans only staged changes with --staged (the pre-commit hook)', () => {
    const staged = generateCredential('clv', 'test');
    writeFileSync(join(repo, 'config', 'app.env'), `PORT=3000\nCLAVIS_API_KEY=\${CLAVIS_API_KEY}\nLOG_LEVEL=info\nBACKUP_KEY=${staged}\n`);
    try {
      expect(clavis(['scan', '--staged'], { cwd: repo }).code).toBe(0);
      git('add', 'config/app.env');
      const r = clavis(['scan', '--staged', '--format', 'json'], { cwd: repo });
      expect(r.code).toBe(1);
      const f = (JSON.parse(r.stdout) as JsonReport).findings;
      expect(f.map((x) => [x.ruleId, x.file, x.line, x.commit])).toEqual([['clavis-api-key', 'config/app.env', 4, undefined]]);
    } finally {
      git('reset', '-q', '--hard');
    }
  });

  it('fails with exit 2 outside a repository', () => {
    const outside = mkdtempSync(join(tmpdir(), 'clavis-nogit-'));
    try {
      const r = clavis(['scan', '--git'], { cwd: outside });
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('not inside a git repository');
    } finally {
      rmSync(outside, { recursive: true, force: true });
    }
  });
});

describe('the patch parser', () => {
  it('yields added runs with their new line numbers, skipping removals, binaries and deletions', () => {
    const hunks: AddedHunk[] = [];
    const p = new PatchParser((h) => hunks.push(h));
    const patch = [
      '\u0001clavis-commit\u0001abc\u0000A <a@x>\u00002026-01-01T00:00:00Z',
      'diff --git a/x.txt b/x.txt',
      'index 1..2 100644',
      '--- a/x.txt',
      '+++ b/x.txt',
      '@@ -3,2 +3,3 @@',
      '-old',
      '+new 3',
      '+new 4',
      '\\ No newline at end of file',
      '@@ -10 +11 @@',
      '+new 11',
      'diff --git a/img.png b/img.png',
      'Binary files a/img.png and b/img.png differ',
      'diff --git a/gone.txt b/gone.txt',
      'deleted file mode 100644',
      '--- a/gone.txt',
      '+++ /dev/null',
      '@@ -1 +0,0 @@',
      '-bye',
    ];
    for (const l of patch) p.push(l);
    p.end();
    expect(hunks).toEqual([
      { commit: 'abc', author: 'A <a@x>', date: '2026-01-01T00:00:00Z', file: 'x.txt', firstLine: 3, text: 'new 3\nnew 4' },
      { commit: 'abc', author: 'A <a@x>', date: '2026-01-01T00:00:00Z', file: 'x.txt', firstLine: 11, text: 'new 11' },
    ]);
  });

  it('decodes C-quoted paths', () => {
    expect(unquoteGitPath('"b/caf\\303\\251 \\"x\\"\\tq.txt"')).toBe('b/café "x"\tq.txt');
    expect(unquoteGitPath('b/plain.txt')).toBe('b/plain.txt');
  });
});
