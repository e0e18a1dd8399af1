/**
 * Helpers for end-to-end tests that drive the real Clavis process: spawn `node --import tsx
 * src/main.ts`, read the URL it prints, talk to it over real HTTP(S), and kill it afterwards.
 *
 * Every child and temp folder made here is tracked, so `cleanup()` in an afterEach/afterAll hook
 * ends and removes all of them even when a test fails half-way.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (the server's working directory). */
export const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));

/** How long the server may take to print its URL (it starts in about a second). */
export const START_TIMEOUT_MS = 20_000;

const LISTENING = /^Clavis is listening on (\S+) /;

const children = new Set<ChildProcess>();
const tempDirs = new Set<string>();

/** A fresh temp folder, removed by `cleanup()`. */
export function makeTempDir(label = 'clavis-e2e-'): string {
  const dir = mkdtempSync(join(tmpdir(), label));
  tempDirs.add(dir);
  return dir;
}

/**
 * The environment of a child: the parent's without any CLAVIS_* setting (so a developer's shell
 * cannot change what a test sees), plus `env`.
 */
export function childEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('CLAVIS_')) out[k] = v;
  return { ...out, ...env };
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** Lines of a stream, gathered as they arrive; `text()` is everything so far, partial line included. */
class LineCollector {
  readonly lines: string[] = [];
  #partial = '';
  #listeners = new Set<() => void>();

  push(chunk: string): void {
    const parts = (this.#partial + chunk).split('\n');
    this.#partial = parts.pop() ?? '';
    this.lines.push(...parts);
    for (const l of this.#listeners) l();
  }

  end(): void {
    if (this.#partial !== '') this.lines.push(this.#partial);
    this.#partial = '';
    for (const l of this.#listeners) l();
  }

  text(): string {
    return this.lines.join('\n') + (this.#partial === '' ? '' : `\n${this.#partial}`);
  }

  onChange(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
}

export interface Spawned {
  child: ChildProcess;
  stdout: LineCollector;
  stderr: LineCollector;
  /** Resolves when the process has exited and its output is fully read. */
  exited: Promise<Exit>;
}

/** Spawns `node <args>` in the repository root, tracked for `cleanup()`. */
export function spawnNode(args: string[], env: Record<string, string>): Spawned {
  const child = spawn(process.execPath, args, { cwd: ROOT, env: childEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  const stdout = new LineCollector();
  const stderr = new LineCollector();
  child.stdout?.setEncoding('utf8').on('data', (c: string) => stdout.push(c));
  child.stderr?.setEncoding('utf8').on('data', (c: string) => stderr.push(c));
  const exited = new Promise<Exit>((done, fail) => {
    child.once('error', fail);
    // 'close' fires after the exit and after both pipes are drained.
    child.once('close', (code, signal) => {
      stdout.end();
      stderr.end();
      children.delete(child);
      done({ code, signal });
    });
  });
  // A test that never awaits `exited` must not leave an unhandled rejection behind.
  exited.catch(() => undefined);
  return { child, stdout, stderr, exited };
}

export interface RunResult extends Exit {
  stdout: string;
  stderr: string;
}

/** Runs `node <args>` to completion (killed after `timeoutMs`). */
export async function runNode(args: string[], env: Record<string, string>, timeoutMs = 30_000): Promise<RunResult> {
  const p = spawnNode(args, env);
  const timer = setTimeout(() => p.child.kill('SIGKILL'), timeoutMs);
  try {
    const exit = await p.exited;
    return { ...exit, stdout: p.stdout.text(), stderr: p.stderr.text() };
  } finally {
    clearTimeout(timer);
  }
}

export interface Server {
  /** The URL printed on stdout, e.g. `http://127.0.0.1:41234`. */
  url: string;
  dataDir: string;
  /** `<dataDir>/admin-token`. */
  tokenFile: string;
  /** Every stdout/stderr line so far (live: lines printed later are appended). */
  stdout: string[];
  stderr: string[];
  child: ChildProcess;
  exited: Promise<Exit>;
  /** SIGTERM (clean shut-down), then SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<Exit>;
  /** SIGKILL: a crash, with no shut-down code run. */
  kill9(): Promise<Exit>;
}

export interface StartOptions {
  /** Reuse a data folder (a restart); a fresh temp one by default. */
  dataDir?: string;
  timeoutMs?: number;
}

/** The error of a server that exited instead of listening, with what it printed. */
export class ServerExitedError extends Error {
  constructor(
    readonly exit: Exit,
    readonly stdout: string,
    readonly stderr: string,
  ) {
    super(`the server exited (code ${String(exit.code)}, signal ${String(exit.signal)}) before listening\nstdout:\n${stdout}\nstderr:\n${stderr}`);
    this.name = 'ServerExitedError';
  }
}

/**
 * Starts the real server (port 0, log level warn, its own data folder unless given) and waits
 * for the `Clavis is listening on <url>` line and the lines after it.
 *
 * @example const server = await startServer({ CLAVIS_SQLITE_SYNCHRONOUS: 'full' })
 */
export async function startServer(env: Record<string, string> = {}, opts: StartOptions = {}): Promise<Server> {
  const dataDir = opts.dataDir ?? join(makeTempDir(), 'data');
  const p = spawnNode(['--import', 'tsx', 'src/main.ts'], {
    CLAVIS_PORT: '0',
    CLAVIS_LOG_LEVEL: 'warn',
    CLAVIS_DATA_DIR: dataDir,
    // Suites that do not test the data API skip the market simulator's seconds of start-up CPU.
    CLAVIS_MARKET_DATA: 'off',
    ...env,
  });
  const stop = async (graceMs = 10_000): Promise<Exit> => {
    if (p.child.exitCode === null && p.child.signalCode === null) {
      p.child.kill('SIGTERM');
      const timer = setTimeout(() => p.child.kill('SIGKILL'), graceMs);
      try {
        return await p.exited;
      } finally {
        clearTimeout(timer);
      }
    }
    return p.exited;
  };
  const kill9 = async (): Promise<Exit> => {
    if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
    return p.exited;
  };

  let url: string;
  try {
    url = await new Promise<string>((done, fail) => {
      const timer = setTimeout(() => fail(new Error(`the server printed no URL within ${opts.timeoutMs ?? START_TIMEOUT_MS} ms\nstdout:\n${p.stdout.text()}\nstderr:\n${p.stderr.text()}`)), opts.timeoutMs ?? START_TIMEOUT_MS);
      const check = (): void => {
        // The four start-up lines are written at once; wait for the last ("Try: …") too.
        const found = p.stdout.lines.map((l) => LISTENING.exec(l)?.[1]).find((u) => u !== undefined);
        if (found !== undefined && p.stdout.lines.some((l) => l.startsWith('Try: '))) {
          clearTimeout(timer);
          off();
          done(found);
        }
      };
      const off = p.stdout.onChange(check);
      p.exited.then(
        (exit) => {
          clearTimeout(timer);
          off();
          fail(new ServerExitedError(exit, p.stdout.text(), p.stderr.text()));
        },
        (err: unknown) => {
          clearTimeout(timer);
          off();
          fail(err instanceof Error ? err : new Error(String(err)));
        },
      );
      check();
    });
  } catch (err) {
    await kill9();
    throw err;
  }
  return { url, dataDir, tokenFile: join(dataDir, 'admin-token'), stdout: p.stdout.lines, stderr: p.stderr.lines, child: p.child, exited: p.exited, stop, kill9 };
}

/** Kills every child still running (SIGKILL) and removes every temp folder. For afterEach/afterAll. */
export async function cleanup(): Promise<void> {
  const waits = [...children].map(
    (c) =>
      new Promise<void>((done) => {
        if (c.exitCode !== null || c.signalCode !== null) return done();
        c.once('close', () => done());
        c.kill('SIGKILL');
      }),
  );
  await Promise.all(waits);
  children.clear();
  for (const d of tempDirs) rmSync(d, { recursive: true, force: true });
  tempDirs.clear();
}

/**
 * Polls `probe` until it returns something other than undefined/false, or fails after `timeoutMs`.
 *
 * @example await waitFor(async () => (await http(url, 'GET', '/readyz')).status === 200)
 */
export async function waitFor<T>(probe: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 10_000, intervalMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: string | undefined;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined && v !== false) return v;
    } catch (err) {
      last = err instanceof Error ? err.message : JSON.stringify(err);
    }
    if (Date.now() > deadline) throw new Error(`waitFor: condition not met within ${timeoutMs} ms${last === undefined ? '' : `; last error: ${last}`}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

export interface HttpResult<T> {
  status: number;
  headers: Headers;
  /** The parsed JSON body (or the text when it is not JSON). */
  body: T;
  text: string;
}

export interface HttpOptions {
  token?: string;
  body?: unknown;
  headers?: Record<string, string>;
}

/**
 * One request with fetch; JSON in and out. The type parameter names the expected body shape:
 * tests check the status first, so the cast only types what the server was asked to send.
 *
 * @example const r = await http<KeyCreated>(url, 'POST', '/v1/keys', { token, body: { … } })
 */
export async function http<T = unknown>(baseUrl: string, method: string, path: string, opts: HttpOptions = {}): Promise<HttpResult<T>> {
  const headers: Record<string, string> = { accept: 'application/json', ...opts.headers };
  if (opts.token !== undefined) headers.authorization = `Bearer ${opts.token}`;
  if (opts.body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(new URL(path, baseUrl), { method, headers, body: opts.body === undefined ? undefined : JSON.stringify(opts.body) });
  const text = await res.text();
  let body: unknown = text;
  if (text !== '' && /json/.test(res.headers.get('content-type') ?? '')) body = JSON.parse(text);
  return { status: res.status, headers: res.headers, body: body as T, text };
}

// ---- Shapes of the answers the tests read (a subset of the OpenAPI schemas). ----

export interface ApiKey {
  id: string;
  workspaceId: string;
  name: string;
  environment: 'live' | 'test' | 'dev';
  start: string;
  scopes: string[];
  status: 'active' | 'suspended' | 'revoked' | 'expired';
  expiresAt: string | null;
  replacesId: string | null;
  replacedById: string | null;
}

export interface KeyCreated extends ApiKey {
  key: string;
}

export interface KeyRotated {
  key: string;
  successor: ApiKey;
  previous: ApiKey;
}

export interface VerifyAnswer {
  valid: boolean;
  code: string;
  keyId: string | null;
}

export interface Problem {
  status: number;
  code: string;
  detail: string;
  requestId: string;
}

export interface Page<T> {
  data: T[];
  nextCursor: string | null;
}

export interface AuditEvent {
  id: string;
  seq: number;
  actor: { type: string; id: string };
  action: string;
  target: { type: string; id: string } | null;
  data: Record<string, unknown>;
}

export interface Checkpoints {
  origin: string;
  treeSize: number;
  data: { treeSize: number; rootHash: string }[];
}

export interface WorkspaceAnswer {
  workspace: { id: string; name: string };
  caller: { tokenId: string; role: string };
}

export interface TokenCreated {
  token: string;
  id: string;
  role: string;
}

/** Every page of a cursor-paginated list. */
export async function listAll<T>(baseUrl: string, path: string, token: string): Promise<T[]> {
  const out: T[] = [];
  let cursor: string | null = null;
  for (;;) {
    const sep = path.includes('?') ? '&' : '?';
    const r: HttpResult<Page<T>> = await http<Page<T>>(baseUrl, 'GET', cursor === null ? path : `${path}${sep}cursor=${encodeURIComponent(cursor)}`, { token });
    if (r.status !== 200) throw new Error(`GET ${path}: ${r.status} ${r.text}`);
    out.push(...r.body.data);
    cursor = r.body.nextCursor;
    if (cursor === null) return out;
  }
}

/** Creates a test-environment key with `prices:read`; throws unless the answer is 201. */
export async function createKey(baseUrl: string, token: string, name: string, scopes: string[] = ['prices:read']): Promise<KeyCreated> {
  const r = await http<KeyCreated>(baseUrl, 'POST', '/v1/keys', { token, body: { name, environment: 'test', scopes } });
  if (r.status !== 201) throw new Error(`POST /v1/keys: ${r.status} ${r.text}`);
  return r.body;
}

/** POST /v1/keys/verify. */
export async function verifyKey(baseUrl: string, token: string, key: string, scope?: string): Promise<VerifyAnswer> {
  const r = await http<VerifyAnswer>(baseUrl, 'POST', '/v1/keys/verify', { token, body: scope === undefined ? { key } : { key, scope } });
  if (r.status !== 200) throw new Error(`POST /v1/keys/verify: ${r.status} ${r.text}`);
  return r.body;
}
