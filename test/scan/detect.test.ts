import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { KEY_REGEX_SOURCE, generateCredential, parseCredential } from '../../src/core/keys/key-format.ts';
import { CLAVIS_CANDIDATE, CLAVIS_KEYWORDS } from '../../src/scan/clavis-keys.ts';
import { clavisCandidates, detectSecrets } from '../../src/scan/detect.ts';
import { shannonEntropy } from '../../src/scan/entropy.ts';
import { redact } from '../../src/scan/redact.ts';
import { passesValidator } from '../../src/scan/rules.ts';
import { readScanConfig, ruleSetOf } from '../../src/scan/scan-config.ts';
import { walk } from '../../src/scan/walker.ts';

const defaults = ruleSetOf({}, false);
const withMalformed = ruleSetOf({}, true);
const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const base62 = (n: number) => fc.string({ unit: fc.constantFrom(...BASE62), minLength: n, maxLength: n });
/** Text around a key that cannot glue onto it: no letters or digits at the edges. */
const filler = fc.string({ unit: fc.constantFrom(' ', '\n', '=', '"', "'", ':', ',', '(', ')', '#', 'x', 'y', '7'), maxLength: 40 }).map((s) => ` ${s} `);

describe('Clavis keys', () => {
  it('finds every valid key and admin token in any surrounding text, at the right line and column', () => {
    fc.assert(
      fc.property(filler, filler, fc.constantFrom<'live' | 'test' | 'dev' | 'adm'>('live', 'test', 'dev', 'adm'), fc.constantFrom('clv', 'acme', 'zz'), (before, after, env, prefix) => {
        const key = generateCredential(prefix, env);
        const text = `${before}${key}${after}`;
        const { findings } = detectSecrets(text, { file: 'f' }, defaults);
        const hits = findings.filter((f) => f.secret === key);
        expect(hits).toHaveLength(1);
        const hit = hits[0];
        const lines = before.split('\n');
        expect(hit?.ruleId).toBe(env === 'adm' ? 'clavis-admin-token' : 'clavis-api-key');
        expect(hit?.line).toBe(lines.length);
        expect(hit?.column).toBe((lines.at(-1)?.length ?? 0) + 1);
      }),
      { numRuns: 300 },
    );
  });

  it('never reports a key-shaped string whose checksum fails (no false positives on valid-looking noise)', () => {
    fc.assert(
      fc.property(fc.constantFrom('clv', 'acme', 'abcdefgh'), fc.constantFrom('live', 'test', 'dev', 'adm'), base62(49), filler, (prefix, env, body, around) => {
        const candidate = `${prefix}_${env}_${body}`;
        fc.pre(parseCredential(candidate) === null);
        const text = `${around}${candidate}${around}`;
        expect(new RegExp(KEY_REGEX_SOURCE).test(candidate) || env === 'adm').toBe(true);
        expect(detectSecrets(text, { file: 'f' }, defaults).findings).toEqual([]);
        expect(detectSecrets(`api_key = "${candidate}"`, { file: 'f' }, defaults).findings).toEqual([]);
        const low = detectSecrets(text, { file: 'f' }, withMalformed).findings;
        expect(low.map((f) => [f.ruleId, f.severity])).toEqual([['clavis-malformed-key', 'low']]);
      }),
      { numRuns: 300 },
    );
  });

  it('locates candidates exactly as the CLAVIS_CANDIDATE regex does', () => {
    const piece = fc.oneof(base62(49), fc.constantFrom('_live_', '_test_', '_dev_', '_adm_', '_', 'clv', 'abcdefghi', 'x', ' ', '\n', '9', 'Z'));
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 12 }), (parts) => {
        const text = parts.join('');
        const at: number[] = [];
        for (const k of CLAVIS_KEYWORDS) for (let i = text.indexOf(k); i !== -1; i = text.indexOf(k, i + 1)) at.push(i);
        const expected = [...text.matchAll(CLAVIS_CANDIDATE)].map((m) => ({ start: m.index, text: m[0] }));
        expect(clavisCandidates(text, [...new Set(at)])).toEqual(expected);
      }),
      { numRuns: 500 },
    );
  });

  it('finds a key glued to a name by an underscore, and not one glued to letters', () => {
    const key = generateCredential('clv', 'live');
    expect(detectSecrets(`MY_${key}`, { file: 'f' }, defaults).findings.map((f) => f.secret)).toEqual([key]);
    expect(detectSecrets(`abcdefghij${key}`, { file: 'f' }, defaults).findings).toEqual([]);
    expect(detectSecrets(`${key}x`, { file: 'f' }, defaults).findings).toEqual([]);
  });

  it('honours clavis:allow on the line of the secret only', () => {
    const key = generateCredential('clv', 'dev');
    const r = detectSecrets(`a = "${key}" # clavis:allow\nb = "${key}"\n`, { file: 'f' }, defaults);
    expect(r.findings.map((f) => f.line)).toEqual([2]);
    expect(r.allowed).toBe(1);
  });
});

describe('third-party rules', () => {
  it('leaves names, paths, placeholders and environment reads alone', () => {
    const noise = [
      'password_reset = "password_reset_title"',
      'api_key: YOUR_API_KEY_HERE',
      'secret = os.environ["SECRET_KEY"]',
      'token = request.headers.get("Authorization")',
      'const password = readPassword(user);',
      'TOKEN_FILE=/run/secrets/deploy_token_v2',
      'private_key_id = "1f2e3d4c5b6a79881f2e3d4c5b6a7988"',
      'secret: ${{ secrets.DEPLOY_KEY }}',
      'DATABASE_URL=postgres://user:password@localhost/db',
      'REDIS_URL=redis://:${REDIS_PASSWORD}@cache:6379',
      'aws_access_key_id = AKIAIOSFODNN7EXAMPLE',
      'hash = "2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881"',
      'session = "eyJub3QiOiJqc29uIn0.eyJzdWIiOiJ4In0x.c2lnbmF0dXJlLW5vdC1yZWFs"',
      '-----BEGIN PRIVATE KEY-----\n...\n-----END PRIVATE KEY-----',
    ];
    for (const line of noise) expect(detectSecrets(line, { file: 'f' }, defaults).findings, line).toEqual([]);
  });

  it('needs entropy: a repetitive value assigned to a secret name is not reported', () => {
    expect(detectSecrets('api_secret = "aaaaaaaaaaaaaaaa1"', { file: 'f' }, defaults).findings).toEqual([]);
    expect(shannonEntropy('aaaa')).toBe(0);
    expect(shannonEntropy('abcd')).toBe(2);
  });

  it('reports a user rule, and a rule path allowlist keeps it off a file', () => {
    const set = ruleSetOf({ rules: [{ id: 'acme-token', description: 'ACME', keywords: ['acme_'], regex: '\\b(acme_[0-9a-f]{32})\\b', secretGroup: 1, allowlist: { paths: ['fixtures/'] } }] }, false);
    const text = `ACME=acme_${'0123456789abcdef'.repeat(2)}`;
    expect(detectSecrets(text, { file: 'src/a.ts' }, set).findings.map((f) => f.ruleId)).toEqual(['acme-token']);
    expect(detectSecrets(text, { file: 'fixtures/a.ts' }, set).findings).toEqual([]);
  });

  it('refuses rules that cannot run, naming them', () => {
    expect(() => ruleSetOf({ rules: [{ id: 'empty-match', description: 'x', keywords: [], regex: 'a*' }] }, false)).toThrow(/empty-match.*empty string/);
    expect(() => ruleSetOf({ rules: [{ id: 'no-group', description: 'x', keywords: [], regex: 'abc', secretGroup: 1 }] }, false)).toThrow(/no-group.*secretGroup 1/);
    const dir = mkdtempSync(join(tmpdir(), 'clavis-cfg-'));
    try {
      writeFileSync(join(dir, 'c.json'), JSON.stringify({ rules: [{ id: 'Bad Id', description: 'x', keywords: [], regex: 'x' }], unknown: 1 }));
      expect(() => readScanConfig(join(dir, 'c.json'))).toThrow(/rules\.0\.id.*kebab-case.*Unrecognized key/s);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('checks JWT headers and PEM bodies', () => {
    const enc = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
    expect(passesValidator('jwt', `${enc({ alg: 'HS256' })}.${enc({ sub: 1 })}.sig`)).toBe(true);
    expect(passesValidator('jwt', `${enc({ typ: 'x' })}.${enc({ sub: 1 })}.sig`)).toBe(false);
    expect(passesValidator('not-identifier', 'password_reset_title')).toBe(false);
    expect(passesValidator('not-identifier', 'https://example.com/x1')).toBe(false);
    expect(passesValidator('not-identifier', 'aZ3kq9x0Lm2')).toBe(true);
  });
});

describe('redaction', () => {
  it('shows at most the display start of a key and a fifth of anything else', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 300 }), (secret) => {
        const shown = redact('generic-secret-assignment', secret);
        const start = shown.slice(0, shown.indexOf('…'));
        expect(start.length).toBeLessThanOrEqual(Math.min(4, Math.floor(secret.length / 5)));
        expect(shown.endsWith(`(${secret.length} chars)`)).toBe(true);
      }),
    );
    const key = generateCredential('clv', 'live');
    expect(redact('clavis-api-key', key)).toBe(`${key.slice(0, 13)}…(58 chars)`);
  });
});

describe('the walker', () => {
  it('honours nested .gitignore files with negation, the repository root above, and skips .git', async () => {
    const root = mkdtempSync(join(tmpdir(), 'clavis-walk-'));
    try {
      mkdirSync(join(root, '.git'));
      mkdirSync(join(root, 'app', 'build'), { recursive: true });
      mkdirSync(join(root, 'app', 'logs'), { recursive: true });
      writeFileSync(join(root, '.gitignore'), '*.log\nbuild/\n');
      writeFileSync(join(root, 'app', '.gitignore'), '!keep.log\n');
      for (const f of ['.git/config', 'app/a.ts', 'app/x.log', 'app/keep.log', 'app/build/out.js', 'app/logs/b.ts']) writeFileSync(join(root, f), 'x');
      const seen: string[] = [];
      for await (const f of walk(['app'], { maxFileSizeBytes: 100, pathAllowlist: null, cwd: root })) seen.push(f.display);
      expect(seen).toEqual(['app/.gitignore', 'app/a.ts', 'app/keep.log', 'app/logs/b.ts']);
      // A file named explicitly is scanned even when ignored.
      const named: string[] = [];
      for await (const f of walk(['app/x.log'], { maxFileSizeBytes: 100, pathAllowlist: null, cwd: root })) named.push(f.display);
      expect(named).toEqual(['app/x.log']);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
