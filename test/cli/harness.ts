import { Readable } from 'node:stream';
import { run } from '../../src/cli/run.ts';
import { buildApp } from '../../src/http/app.ts';
import { ephemeralSigner } from '../../src/keyring/local-signer.ts';
import { createServices, type ServiceOptions, type Services } from '../../src/services.ts';
import { createMemoryStore } from '../../src/storage/memory/memory-store.ts';

/** What one CLI run produced. */
export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface CliRunOptions {
  /** Replaces the whole environment (default: CLAVIS_URL and CLAVIS_TOKEN of the test server). */
  env?: Record<string, string | undefined>;
  stdin?: string;
  stderrIsTty?: boolean;
}

/** A real server on a random local port, and a way to run the CLI against it. */
export interface TestServer {
  url: string;
  token: string;
  workspaceId: string;
  services: Services;
  cli(args: readonly string[], opts?: CliRunOptions): Promise<CliResult>;
  close(): Promise<void>;
}

/** Runs the CLI in-process with captured output. */
export async function runCli(args: readonly string[], opts: CliRunOptions = {}): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  const code = await run(['node', 'clavis', ...args], {
    stdout: (s) => {
      stdout += s;
    },
    stderr: (s) => {
      stderr += s;
    },
    env: opts.env ?? {},
    stdin: () => Readable.from([opts.stdin ?? '']),
    stderrIsTty: opts.stderrIsTty ?? false,
  });
  return { code, stdout, stderr };
}

/** Starts a bootstrapped in-memory server listening on 127.0.0.1. */
export async function startServer(opts: Pick<ServiceOptions, 'playbooks'> = {}): Promise<TestServer> {
  const services = createServices({
    ...opts,
    store: createMemoryStore(),
    signer: ephemeralSigner(),
    policy: { prefix: 'clv', maxTtlMs: { live: 90 * 864e5, test: null, dev: null }, defaultGraceMs: 864e5 },
    cache: { ttlMs: 5000, negativeTtlMs: 1000, maxEntries: 10000 },
    auditOrigin: 'clavis.test',
  });
  const boot = await services.workspaces.bootstrap();
  if (boot === null) throw new Error('bootstrap did not run');
  const app = await buildApp({ services, logger: false });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  if (address === null || typeof address === 'string') throw new Error('server has no TCP address');
  const url = `http://127.0.0.1:${address.port}`;
  const token = boot.ownerToken.secret;
  return {
    url,
    token,
    workspaceId: boot.workspace.id,
    services,
    cli: (args, opts = {}) => runCli(args, { ...opts, env: opts.env ?? { CLAVIS_URL: url, CLAVIS_TOKEN: token } }),
    close: () => app.close(),
  };
}

/** Parses the JSON a `--json` run printed, failing with the run's output when it is not JSON. */
export function parseJson<T>(r: CliResult): T {
  try {
    return JSON.parse(r.stdout) as T;
  } catch {
    throw new Error(`not JSON (exit ${r.code}):\n${r.stdout}\n${r.stderr}`);
  }
}
