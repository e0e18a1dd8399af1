import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from './config.ts';
import type { ChangeWatch, Store } from './core/ports/store.ts';
import { startServerKeyring, type ServerKeyring } from './keyring/server-keyring.ts';
import { systemClock } from './core/clock.ts';
import { createServices, type ServiceOptions, type Services } from './services.ts';
import { createMemoryLimiter, createMemoryNonceStore } from './storage/memory/memory-limiter.ts';
import { openRedisLimiter } from './storage/redis/redis-limiter.ts';
import { openStore } from './storage/open-store.ts';
import { loadGeoipLite } from './geoip/geoip-lite-locator.ts';
import { SHIPPED_PLAYBOOKS_DIR, loadPlaybooks } from './playbooks/playbook-files.ts';

/** What a server process runs on: the store, the services over it and its change feed. */
export interface ServerState {
  store: Store;
  services: Services;
  /** Push invalidation from other nodes (PostgreSQL LISTEN/NOTIFY; SQLite delivers nothing). */
  watch: ChangeWatch;
  /** The master keyring: sealed or unsealed, and the line main prints about it. */
  keyring: ServerKeyring;
  /** Closes the change feed, the limiter and the store, in that order. */
  close(): Promise<void>;
}

/** The embedded database file in the data folder. */
export function sqlitePath(config: Config): string {
  return join(config.dataDir, 'clavis.db');
}

/**
 * Opens what the admin API and the gateway share, from the configuration: the data folder, the
 * store (SQLite or PostgreSQL), the audit signer, the rate-limit/credit/nonce backend (Redis when
 * configured), the services, and the change feed — subscribed before the caller accepts traffic,
 * since until it is up the caches would be blind to revocations made on other nodes.
 *
 * @example const { services, close } = await openServerState(loadConfig(process.env))
 */
export async function openServerState(config: Config, extra: Pick<ServiceOptions, 'marketData'> = {}): Promise<ServerState> {
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  const store = await openStore({ databaseUrl: config.databaseUrl, sqlitePath: sqlitePath(config), sqliteSynchronous: config.sqliteSynchronous });
  // The key provider holds the master keys and (for new data folders) the audit signing key; when
  // it cannot be opened the server starts sealed and keeps retrying (src/keyring/server-keyring.ts).
  const keyring = await startServerKeyring({
    store,
    clock: systemClock,
    settings: config.keyProvider,
    signingKeyFile: config.audit.signingKeyFile,
    signingKeyFileSet: config.auditSigningKeyFileSet,
    retryMs: config.unsealRetrySeconds * 1000,
    warn: (message) => process.stderr.write(`clavis: ${message}\n`),
  });
  const signer = keyring.signer;
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
    keyring: keyring.keyring,
    secretsMaxVersions: config.secretsMaxVersions,
    mfaIssuer: config.mfaIssuer,
    webhooks: { maxAttempts: config.webhooks.maxAttempts, allowedNetworks: config.webhooks.allowedNetworks },
    playbooks: loadPlaybooks(config.playbooksDir ?? SHIPPED_PLAYBOOKS_DIR),
    hygiene: config.reports,
    scheduler: { expiryNoticeDays: config.scheduler.expiryNoticeDays, quotaLowPercent: config.scheduler.quotaLowPercent, highRiskIdleDays: config.scheduler.highRiskIdleDays, leaseMs: config.scheduler.leaseSeconds * 1000 },
    monitor: {
      ...(config.monitor.geoip ? { geo: loadGeoipLite() } : {}),
      thresholds: config.monitor.thresholds,
      disabled: config.monitor.disabled,
      trustProxy: config.monitor.trustProxy,
      retentionDays: config.monitor.retentionDays,
      maxPendingEvents: config.monitor.maxPendingEvents,
      processMetrics: true,
      onError: (err, what) => process.stderr.write(`clavis: ${what} failed: ${err instanceof Error ? err.message : String(err)}\n`),
    },
    ...(keyring.unseal !== undefined ? { unseal: keyring.unseal } : {}),
    ...(extra.marketData !== undefined ? { marketData: extra.marketData } : {}),
    dataApi: { environment: config.dataApi.environment, priceStreamIntervalMs: config.dataApi.priceStreamIntervalMs },
  });
  const watch = await store.watch(services.changeListener);
  return {
    store,
    services,
    watch,
    keyring,
    close: async () => {
      await keyring.close();
      await watch.close();
      await edge.limiter.close();
      await store.close();
    },
  };
}

/** The certificate and key for HTTPS, when configured. */
export function readTls(config: Config): { cert: Buffer; key: Buffer } | undefined {
  return config.tls === undefined ? undefined : { cert: readFileSync(config.tls.certFile), key: readFileSync(config.tls.keyFile) };
}

/**
 * The URLs of a listening server: `listen` names the address as configured, `connect` is where a
 * client should connect (a wildcard address is where the server listens, not where to connect).
 *
 * @example serverUrls('0.0.0.0', 8420, 'http') // { listen: 'http://0.0.0.0:8420', connect: 'http://127.0.0.1:8420' }
 */
export function serverUrls(host: string, port: number, scheme: 'http' | 'https'): { listen: string; connect: string } {
  const urlOf = (h: string): string => `${scheme}://${h.includes(':') ? `[${h}]` : h}:${port}`;
  return { listen: urlOf(host), connect: urlOf(host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host) };
}

/** The port a Fastify server actually listens on (the configured one may have been 0). */
export function listeningPort(server: { address(): unknown }, configured: number): number {
  const address = server.address();
  return typeof address === 'object' && address !== null && 'port' in address && typeof address.port === 'number' ? address.port : configured;
}
