import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';
import { ConfigError, loadConfig, type Config } from './config.ts';
import { RoutesFileError, loadRoutesFile, type RouteTable } from './gateway/routes-file.ts';
import { startGateway, type RunningGateway } from './gateway/start-gateway.ts';
import { REDACT_PATHS, buildApp } from './http/app.ts';
import { listeningPort, openServerState, readTls, serverUrls, sqlitePath } from './server-setup.ts';
import { startMarketDataThread } from './market/market-data-thread.ts';
import { readVaultApiKey } from './market/vault-api-key.ts';
import { startSchedulerLoop, type SchedulerLoop } from './scheduler/scheduler-loop.ts';

/** Where the first admin token is written; the file is the only place it ever appears. */
export function adminTokenPath(config: Config): string {
  return join(config.dataDir, 'admin-token');
}

/**
 * Start-up: config, store, services, first-run bootstrap, listen (and the gateway beside the
 * admin API when CLAVIS_GATEWAY_UPSTREAM is set); and a clean shut-down on SIGINT/SIGTERM (stop
 * accepting, finish in-flight requests, checkpoint, close the store).
 */
export async function main(env: Record<string, string | undefined> = process.env): Promise<void> {
  let config: Config;
  let routes: RouteTable | undefined;
  try {
    config = loadConfig(env);
    if (config.gateway !== undefined) routes = loadRoutesFile(config.gateway.routesFile);
  } catch (err) {
    if (err instanceof ConfigError || err instanceof RoutesFileError) {
      process.stderr.write(`clavis: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  const log = pino({ level: config.logLevel, redact: { paths: REDACT_PATHS, censor: '[redacted]' } });
  // The change feed is subscribed in there, before the server accepts traffic: other nodes
  // announce revocations and changes through the store, and until the feed is up the caches
  // would be blind to them.
  // The data API's market data loads in a worker thread (seconds of CPU for the simulator) while
  // the server starts and listens; data requests wait for it.
  // A CoinGecko key kept in the vault is read once the server state (and its keyring) is open.
  let resolveApiKey: (key: string | undefined) => void = () => undefined;
  const apiKey = new Promise<string | undefined>((resolve) => {
    resolveApiKey = resolve;
  });
  const marketData = config.marketData === undefined ? undefined : startMarketDataThread(config.marketData, { resolveApiKey: () => apiKey });
  marketData?.ready().catch((err: unknown) => process.stderr.write(`clavis: market data could not be loaded (data API answers 503): ${err instanceof Error ? err.message : String(err)}\n`));
  const state = await openServerState(config, marketData === undefined ? {} : { marketData });
  resolveApiKey(config.coingeckoApiKeySecret === undefined ? undefined : await readVaultApiKey(state.services, config.coingeckoApiKeySecret));
  const { store, services } = state;
  const boot = await services.workspaces.bootstrap();
  const tokenFile = adminTokenPath(config);
  if (boot !== null) {
    writeFileSync(tokenFile, `${boot.ownerToken.secret}\n`, { mode: 0o600 });
    log.info({ workspaceId: boot.workspace.id, tokenId: boot.ownerToken.record.id, file: tokenFile }, 'first start: created the operator workspace and its owner admin token');
  }

  const https = readTls(config);
  const logger = { level: config.logLevel, redact: { paths: REDACT_PATHS, censor: '[redacted]' } };
  const app = await buildApp({ services, logger, bodyLimitBytes: config.bodyLimitBytes, https });
  await app.listen({ host: config.host, port: config.port });
  const urls = serverUrls(config.host, listeningPort(app.server, config.port), https === undefined ? 'http' : 'https');
  const url = urls.connect;
  let gateway: RunningGateway | undefined;
  if (config.gateway !== undefined && routes !== undefined) gateway = await startGateway({ config, gateway: config.gateway, routes, services, verify: true, https, logger });
  const lines = [
    `Clavis is listening on ${urls.listen} (store: ${store.kind}${store.kind === 'sqlite' ? `, ${sqlitePath(config)}` : ''})`,
    `API docs: ${url}/docs   OpenAPI: ${url}/openapi.json`,
    boot !== null ? `First start: the owner admin token was written to ${tokenFile} (mode 0600). It is not shown anywhere else.` : `Admin token of the first start: ${tokenFile} (if you kept it)`,
    ...(gateway === undefined ? [] : [gateway.line]),
    state.keyring.line(),
    marketData === undefined ? 'Market data: off (CLAVIS_MARKET_DATA=off): the data API answers 503' : `Market data: ${marketData.source} at ${url}/v1/prices and ${url}/v1/indices/ct100 (API key with prices:read, index:read; docs/guides/data-api.md)`,
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
  // Usage counts and detector findings reach the store on this timer; the verify path only queues.
  let usageTimer: NodeJS.Timeout | undefined;
  if (config.monitor.flushIntervalSeconds > 0) {
    usageTimer = setInterval(() => {
      services.usage.flush().catch((err: unknown) => log.error({ err: err instanceof Error ? err.message : String(err) }, 'usage flush failed'));
    }, config.monitor.flushIntervalSeconds * 1000);
    usageTimer.unref();
  }

  // Webhook deliveries queued by audited changes are sent from this timer (leased per row).
  let webhookTimer: NodeJS.Timeout | undefined;
  if (config.webhooks.pollIntervalSeconds > 0) {
    webhookTimer = setInterval(() => {
      services.webhookDispatcher.runOnce().catch((err: unknown) => log.error({ err: err instanceof Error ? err.message : String(err) }, 'webhook delivery failed'));
    }, config.webhooks.pollIntervalSeconds * 1000);
    webhookTimer.unref();
  }

  // The rotation and expiry scheduler: every node ticks, the one holding the lease acts. Each
  // action is audited (and a webhook); the log line names the key, never anything secret.
  let schedulerLoop: SchedulerLoop | undefined;
  if (config.scheduler.intervalSeconds > 0) {
    schedulerLoop = startSchedulerLoop(services.scheduler, {
      intervalMs: config.scheduler.intervalSeconds * 1000,
      onReport: (r) => {
        for (const a of r.actions) log.info({ action: a.type, workspaceId: a.workspaceId, keyId: a.keyId, successorId: a.successorId }, `scheduler: ${a.detail}`);
        for (const f of r.failures) log.warn({ action: f.type, workspaceId: f.workspaceId, keyId: f.keyId }, `scheduler: ${f.type} failed: ${f.error}`);
      },
      onError: (err) => log.error({ err: err instanceof Error ? err.message : String(err) }, 'scheduler tick failed'),
    });
  }

  let closing = false;
  const shutdown = (signal: string): void => {
    if (closing) return;
    closing = true;
    log.info({ signal }, 'shutting down');
    if (timer !== undefined) clearInterval(timer);
    if (usageTimer !== undefined) clearInterval(usageTimer);
    if (webhookTimer !== undefined) clearInterval(webhookTimer);
    // Stops ticking at once; the running tick finishes and the lease is given up before the store closes.
    const schedulerStopped = schedulerLoop?.stop().catch((err: unknown) => log.error({ err: err instanceof Error ? err.message : String(err) }, 'scheduler stop failed'));
    const force = setTimeout(() => process.exit(1), 10_000);
    force.unref();
    (gateway === undefined ? Promise.resolve() : gateway.app.close())
      .then(() => app.close())
      // After the last request: every counted verification and finding reaches the store (the
      // alerts it raises are audited, so the checkpoint comes after).
      .then(() => services.usage.flush().catch((err: unknown) => log.error({ err: err instanceof Error ? err.message : String(err) }, 'usage flush at shutdown failed')))
      // Playbooks fired by the last alerts finish before the store closes.
      .then(() => services.playbooks.settled())
      .then(() => schedulerStopped)
      .then(() => services.audit.checkpointAll())
      .then(() => state.close())
      .then(() => marketData?.close())
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
