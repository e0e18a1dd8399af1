import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KEY_REGEX_SOURCE, generateCredential } from '../../src/core/keys/key-format.ts';
import { BUILTIN_RULES } from '../../src/scan/builtin-rules.ts';

// docs/guides/secret-scanning.md promises things a reader will copy: keep them true.

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const guide = readFileSync(join(root, 'docs', 'guides', 'secret-scanning.md'), 'utf8');

function block(lang: string, after: string): string {
  const from = guide.indexOf(after);
  const start = guide.indexOf(`\`\`\`${lang}\n`, from);
  if (from === -1 || start === -1) throw new Error(`no ${lang} block after "${after}"`);
  const body = start + lang.length + 4;
  return guide.slice(body, guide.indexOf('\n```', body) + 1);
}

let tmp: string;
beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'clavis-guide-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('the secret-scanning guide', () => {
  it('lists every built-in rule', () => {
    for (const r of BUILTIN_RULES) expect(guide, r.id).toContain(`| \`${r.id}\` |`);
  });

  it('publishes the key regex, and its gitleaks rules match keys and tokens', () => {
    expect(guide).toContain(KEY_REGEX_SOURCE.replaceAll('\\\\', '\\'));
    const toml = block('toml', 'gitleaks (`.gitleaks.toml`)');
    const regexes = [...toml.matchAll(/^regex = '''(.+)'''$/gm)].map((m) => new RegExp(m[1] ?? '(?!)'));
    expect(regexes).toHaveLength(2);
    expect(regexes[0]?.source).toBe(KEY_REGEX_SOURCE);
    for (const env of ['live', 'test', 'dev'] as const) expect(regexes[0]?.test(`KEY=${generateCredential('clv', env)}`)).toBe(true);
    expect(regexes[1]?.test(`T=${generateCredential('clv', 'adm')}`)).toBe(true);
    expect(regexes[0]?.test(`T=${generateCredential('clv', 'adm')}`)).toBe(false);
  });

  it('gives a secretlint rule that reports real keys and tokens, and not look-alikes', () => {
    const rule = join(tmp, 'secretlint-rule-clavis.mjs');
    writeFileSync(rule, block('js', 'tools/secretlint-rule-clavis/index.mjs'));
    const key = generateCredential('clv', 'live');
    const token = generateCredential('acme', 'adm');
    const lookAlike = `${key.slice(0, -1)}${key.endsWith('A') ? 'B' : 'A'}`;
    writeFileSync(join(tmp, 'app.env'), `A=${lookAlike}\nB=${key}\nC=${token}\n`);
    const r = spawnSync(
      process.execPath,
      [join(root, 'node_modules', 'secretlint', 'bin', 'secretlint.js'), 'app.env', '--format', 'json', '--no-maskSecrets', '--secretlintrcJSON', JSON.stringify({ rules: [{ id: rule }] })],
      { cwd: tmp, encoding: 'utf8' },
    );
    expect(r.status, r.stderr + r.stdout).toBe(1);
    const results = JSON.parse(r.stdout) as { messages: { ruleId: string; loc: { start: { line: number } }; message: string }[] }[];
    const messages = results.flatMap((x) => x.messages);
    expect(messages.map((m) => [m.ruleId, m.loc.start.line])).toEqual([
      [rule, 2],
      [rule, 3],
    ]);
    expect(messages[1]?.message).toContain('admin token');
  });
});
