import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanup, http, makeTempDir, runNode, startServer, type ApiKey, type Checkpoints, type KeyCreated, type Page, type RunResult, type Server } from './process.ts';

/** The `npx clavis` launcher: npm links it as the `clavis` bin of the workspace. */
const CLI = 'packages/clavis-cli/bin/clavis.js';

interface VerifyReport {
  ok: boolean;
  events: number;
  checkpoints: number;
  firstProblem: { line: number; seq?: number; kind: string; message: string } | null;
}

let server: Server;
let token: string;
let work: string;

/** Runs `clavis <args>` against the test server, the way a user's shell would. */
function clavis(...args: string[]): Promise<RunResult> {
  return runNode([CLI, ...args], { CLAVIS_URL: server.url, CLAVIS_TOKEN: token });
}

/** Parses a JSON stdout, failing with the whole output when it is not JSON. */
function json<T>(r: RunResult): T {
  try {
    return JSON.parse(r.stdout) as T;
  } catch {
    throw new Error(`not JSON (exit ${String(r.code)}):\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`);
  }
}

beforeAll(async () => {
  server = await startServer();
  token = readFileSync(server.tokenFile, 'utf8').trim();
  work = makeTempDir('clavis-e2e-cli-');
});

afterAll(cleanup);

describe('the clavis CLI against the real server', () => {
  let created: KeyCreated;

  it('keys create --json prints the key; keys list --json includes it', async () => {
    const r = await clavis('keys', 'create', '--name', 'cli e2e', '--env', 'test', '--scope', 'prices:read', '--json');
    expect(r.code, r.stderr).toBe(0);
    created = json<KeyCreated>(r);
    expect(created.key).toMatch(/^clv_test_[0-9A-Za-z]{49}$/);
    expect(created).toMatchObject({ name: 'cli e2e', environment: 'test', scopes: ['prices:read'], status: 'active' });
    // The key goes to stdout only, never to stderr (which often lands in logs).
    expect(r.stderr).not.toContain(created.key);

    const listed = await clavis('keys', 'list', '--json');
    expect(listed.code, listed.stderr).toBe(0);
    const page = json<Page<ApiKey>>(listed);
    expect(page.data.map((k) => k.id)).toContain(created.id);
    expect(listed.stdout).not.toContain(created.key);

    // The server agrees.
    const got = await http<ApiKey>(server.url, 'GET', `/v1/keys/${created.id}`, { token });
    expect(got.status).toBe(200);
  });

  it('keys verify exits 0 for a valid key and 1 after keys revoke', async () => {
    const ok = await clavis('keys', 'verify', created.key);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toContain('VALID');

    const revoked = await clavis('keys', 'revoke', created.id, '--reason', 'cli e2e');
    expect(revoked.code, revoked.stderr).toBe(0);

    const bad = await clavis('keys', 'verify', created.key);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toContain('REVOKED');
  });

  it('audit export then audit verify exits 0; an edited event makes it exit 1 naming the entry', async () => {
    const file = join(work, 'audit.jsonl');
    const exported = await clavis('audit', 'export', '--out', file);
    expect(exported.code, exported.stderr).toBe(0);

    const cps = await http<Checkpoints & { verifierKey: string }>(server.url, 'GET', '/v1/audit/checkpoints', { token });
    expect(cps.status).toBe(200);
    const verifierKey = cps.body.verifierKey;

    const intact = await clavis('audit', 'verify', file);
    expect(intact.code, intact.stdout + intact.stderr).toBe(0);
    const trusted = await clavis('audit', 'verify', file, '--verifier-key', verifierKey, '--json');
    expect(trusted.code, trusted.stdout + trusted.stderr).toBe(0);
    const report = json<VerifyReport>(trusted);
    expect(report.ok).toBe(true);
    // workspace.created, token.created, key.created, key.revoked.
    expect(report.events).toBe(4);

    // Change the action of the key.revoked event, and nothing else.
    const lines = readFileSync(file, 'utf8').split('\n');
    const index = lines.findIndex((l) => l.includes('"action":"key.revoked"'));
    expect(index).toBeGreaterThan(0);
    const original = lines[index] ?? '';
    const seq = (JSON.parse(original) as { event: { seq: number } }).event.seq;
    lines[index] = original.replace('"action":"key.revoked"', '"action":"key.resumed"');
    const tampered = join(work, 'tampered.jsonl');
    writeFileSync(tampered, lines.join('\n'));

    const human = await clavis('audit', 'verify', tampered, '--verifier-key', verifierKey);
    expect(human.code).toBe(1);
    expect(human.stdout).toMatch(/FAIL/);
    expect(human.stdout).toMatch(new RegExp(`line\\s+${index + 1}\\b`));
    expect(human.stdout).toMatch(new RegExp(`seq\\s+${seq}\\b`));

    const machine = await clavis('audit', 'verify', tampered, '--json');
    expect(machine.code).toBe(1);
    const bad = json<VerifyReport>(machine);
    expect(bad.ok).toBe(false);
    expect(bad.firstProblem).toMatchObject({ line: index + 1, seq, kind: 'altered' });
  });

  it('fails with exit 2 and a clear message without a token', async () => {
    const r = await runNode([CLI, 'keys', 'list'], { CLAVIS_URL: server.url });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('CLAVIS_TOKEN');
  });
});
