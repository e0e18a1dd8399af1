import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';
import { ConfigError, loadConfig, type Config } from './config.ts';
import { REDACT_PATHS, buildApp } from './http/app.ts';
import { openLocalSigner } from './keyring/local-signer.ts';
import { createServices } from './services.ts';
import { createMemoryLimiter, createMemoryNonceStore } from './storage/memory/memory-limiter.ts';
import { openRedisLimiter } from './storage/redis/redis-limiter.ts';
import { openStore } from './storage/open-store.ts';

/** Where the first admin token is written; the file is the only place it ever appears. */
export function adminTokenPath(config: Config): string {
  return join(config.dataDir, 'admin-token');
}

/**
 * Start-up: config, store, services, first-run bootstrap, listen; and a clean shut-down on
 * SIGINT/SIGTERM (stop accepting, finish in-flight requests, checkpoint, close the store).
 */
export async function main(env: Record<string, string | undefined> = process.env): Promise<void> {
  let config: Config;
  try {
    config = loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`clavis: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  const log = pino({ level: config.logLevel, redact: { paths: REDACT_PATHS, censor: '[redacted]' } });
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  const store = await openStore({ databaseUrl: config.databaseUrl, sqlitePath: join(config.dataDir, 'clavis.db'), sqliteSynchronous: config.sqliteSynchronous });
  const signer = openLocalSigner(config.audit.signingKeyFile);
  // Rate limits, credits and replay nonces: shared through Redis when several nodes verify.
  const edge = config.redisUrl === undefined ? { limiter: createMemoryLimiter(), nonces: createMemoryNonceStore() } : await openRedisLimiter({ url: config.redisUrl });
  const services = createServices({
    store,
    signer,
    auditOrigin: config.audit.origin,
    cache: config.cache,
    policy: {
      prefix: config.keyPrefix,
      maxTtlMs: {
        live: config.maxTtlSeconds.live * 1000,
        test: config.maxTtlSeconds.test === null ? null : config.maxTtlSeconds.test * 1000,
        dev: config.maxTtlSeconds.dev === null ? null : config.maxTtlSeconds.dev * 1000,
      },
      defaultGraceMs: config.rotationGraceSeconds * 1000,
      highRisk: config.highRisk,
    },
    ...edge,
    signatureWindowMs: config.signatureWindowMs,
    leaks: config.leakReports,
  });

  // Other nodes announce revocations and changes through the store; until the feed is up the
  // caches would be blind to them, so this comes before the server accepts traffic.
  const watch = await store.watch(services.changeListener);
  const boot = await services.workspaces.bootstrap();
  const tokenFile = adminTokenPath(config);
  if (boot !== null) {
    writeFileSync(tokenFile, `${boot.ownerToken.secret}\n`, { mode: 0o600 });
    log.info({ workspaceId: boot.workspace.id, tokenId: boot.ownerToken.record.id, file: tokenFile }, 'first start: created the operator workspace and its owner admin token');
  }

  const https = config.tls === undefined ? undefined : { cert: readFileSync(config.tls.certFile), key: readFileSync(config.tls.keyFile) };
  const app = await buildApp({ services, logger: { level: config.logLevel, redact: { paths: REDACT_PATHS, censor: '[redacted]' } }, bodyLimitBytes: config.bodyLimitBytes, https });
  await app.listen({ host: config.host, port: config.port });
  const address = app.server.address();
  const port = typeof address === 'object' && address !== null ? address.port : config.port;
  // A wildcard address is where the server listens, not where a client should connect.
  const scheme = https === undefined ? 'http' : 'https';
  const urlOf = (h: string): string => `${scheme}://${h.includes(':') ? `[${h}]` : h}:${port}`;
  const url = urlOf(config.host === '0.0.0.0' ? '127.0.0.1' : config.host === '::' ? '::1' : config.host);
  const lines = [
    `Clavis is listening on ${urlOf(config.host)} (store: ${store.kind}${store.kind === 'sqlite' ? `, ${join(config.dataDir, 'clavis.db')}` : ''})`,
    `API docs: ${url}/docs   OpenAPI: ${url}/openapi.json`,
    boot !== null ? `First start: the owner admin token was written to ${tokenFile} (mode 0600). It is not shown anywhere else.` : `Admin token of the first start: ${tokenFile} (if you kept it)`,
    `Try: CLAVIS_URL=${url} CLAVIS_TOKEN=$(cat ${tokenFile}) npx clavis keys list`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);

  let timer: NodeJS.Timeout | undefined;
  if (config.audit.checkpointIntervalSeconds > 0) {
    timer = setInterval(() => {
      services.audit.checkpointAll().catch((err: unknown) => log.error({ err: err instanceof Error ? err.message : String(err) }, 'audit checkpoint failed'));
    }, config.audit.checkpointIntervalSeconds * 1000);
    timer.unref();
  }

  let closing = false;
  const shutdown = (signal: string): void => {
    if (closing) return;
    closing = true;
    log.info({ signal }, 'shutting down');
    if (timer !== undefined) clearInterval(timer);
    const force = setTimeout(() => process.exit(1), 10_000);
    force.unref();
    app
      .close()
      .then(() => services.audit.checkpointAll())
      .then(() => watch.close())
      .then(() => edge.limiter.close())
      .then(() => store.close())
      .then(() => process.exit(0))
      .catch((err: unknown) => {
        log.error({ err: err instanceof Error ? err.message : String(err) }, 'shutdown failed');
        process.exit(1);
      });
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}

if (import.meta.url === `file://${process.argv[1] ?? ''}`) {
  main().catch((err: unknown) => {
    process.stderr.write(`clavis: failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
}
