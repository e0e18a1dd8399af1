import { AuditLog } from './core/audit/audit-log.ts';
import { TokenService } from './core/auth/token-service.ts';
import { systemClock, type Clock } from './core/clock.ts';
import { createIdGenerator, type IdGenerator } from './core/ids.ts';
import { KeyService } from './core/keys/key-service.ts';
import type { KeyPolicy } from './core/keys/key-policy.ts';
import { KeyVerifier } from './core/keys/verify.ts';
import type { LimiterStore, NonceStore } from './core/ports/limiter.ts';
import type { CheckpointSigner } from './core/ports/signer.ts';
import type { ChangeListener, Store } from './core/ports/store.ts';
import { WorkspaceService } from './core/workspaces/workspace-service.ts';
import { Keyring } from './core/vault/keyring.ts';
import { KeyringAdmin } from './core/vault/keyring-admin.ts';
import { SecretsService } from './core/vault/secrets-service.ts';
import { LeakReportService, type LeakPolicy } from './scan/leaks/leak-report.ts';
import type { CompromisePlaybook } from './scan/compromise-playbook.ts';
import { randomBytes, type KeyObject } from 'node:crypto';
import { createMemoryLimiter, createMemoryNonceStore } from './storage/memory/memory-limiter.ts';
import { clientIp, trustedProxies } from './gateway/client-ip.ts';
import { createPrometheusMetrics, type PrometheusMetrics } from './metrics/prometheus-metrics.ts';
import { AlertService } from './monitor/alert-service.ts';
import { NO_GEO, type GeoLocator } from './monitor/geo-locator.ts';
import { DEFAULT_THRESHOLDS, type AlertType, type DetectorThresholds } from './monitor/thresholds.ts';
import { UsageMonitor } from './monitor/usage-monitor.ts';
import type { Environment } from './core/keys/key-format.ts';
import type { MarketData } from './market/market-data.ts';
import { PortfolioService } from './portfolio/portfolio-service.ts';
import { WaitlistService } from './portfolio/waitlist-service.ts';
import { BulkRevoker } from './core/keys/revoke-all.ts';
import { MfaService } from './core/mfa/mfa-service.ts';
import { totpDataKeys } from './core/mfa/totp-secret-box.ts';
import { SigningSecretBox, hmacKeySource, signingSecretDataKeys } from './core/signing/signing-secret-box.ts';
import { UserService } from './core/users/user-service.ts';
import { PlaybookEngine } from './playbooks/playbook-engine.ts';
import { Scheduler, type SchedulerSettings } from './scheduler/scheduler.ts';
import { HYGIENE_DEFAULTS, type HygieneOptions } from './reports/hygiene-report.ts';
import type { Playbook } from './playbooks/playbook.ts';
import { WebhookDispatcher } from './webhooks/webhook-dispatcher.ts';
import { WebhookEgress, type ResolveHost } from './webhooks/webhook-egress.ts';
import { WebhookSecretBox, webhookDataKeys } from './webhooks/webhook-secret-box.ts';
import { WebhookService, webhookOutbox } from './webhooks/webhook-service.ts';

/** Edge settings of the data API (docs/guides/data-api.md). */
export interface DataApiSettings {
  /** Keys must be of this environment (ENV_MISMATCH otherwise); undefined: any. */
  environment: Environment | undefined;
  /** Interval of the price stream's simulated ticks. */
  priceStreamIntervalMs: number;
  /** How often an open price stream verifies its key again (it ends when the key is refused). */
  streamReverifyMs: number;
  /** How long a quote can be executed. */
  quoteTtlMs: number;
}

export interface ServiceOptions {
  store: Store;
  signer: CheckpointSigner;
  clock?: Clock;
  ids?: IdGenerator;
  policy: KeyPolicy;
  cache: { ttlMs: number; negativeTtlMs: number; maxEntries: number };
  auditOrigin: string;
  /** Replay protection for signed requests; Redis-backed when several nodes share keys. */
  nonces?: NonceStore;
  /** Rate limits and credits; Redis-backed when several nodes share keys. Default in-process. */
  limiter?: LimiterStore;
  /** Default 5 s. */
  signatureWindowMs?: number;
  /** Leak reports (POST /v1/leaks): reporter keys and policy. Default: off (no keys), policy revoke. */
  leaks?: { publicKeys: ReadonlyMap<string, KeyObject>; policy: LeakPolicy; playbook?: CompromisePlaybook };
  /** The master keyring (sealed or unsealed). Default: a sealed one, so secrets answer SEALED. */
  keyring?: Keyring;
  /** Unseals with a passphrase given over the API (`POST /v1/keyring/unseal`); absent when the provider takes none. */
  unseal?: (passphrase: string) => Promise<void>;
  /** Versions kept per secret; default 10. */
  secretsMaxVersions?: number;
  /** Usage counting and detection. Default: no GeoIP, DEFAULT_THRESHOLDS, no proxy trusted, no process metrics. */
  monitor?: MonitorOptions;
  /** Market and index data of the data API; absent: its routes answer MARKET_DATA_UNAVAILABLE (tests, gateway). */
  marketData?: MarketData;
  /** Defaults: keys of any environment, 5 s ticks, 60 s stream re-verification, 30 s quotes. */
  dataApi?: Partial<DataApiSettings>;
  /** Issuer shown by authenticator apps for TOTP enrolments (CLAVIS_MFA_ISSUER); default `Clavis`. */
  mfaIssuer?: string;
  /** Loaded playbooks (src/playbooks); default none. The server loads CLAVIS_PLAYBOOKS_DIR. */
  playbooks?: readonly Playbook[];
  /**
   * Webhook delivery: node id of the leases (default random), attempts, backoff, timeout, and the
   * egress filter's allowed networks (default none: public https receivers only) and resolver (tests).
   */
  webhooks?: { nodeId?: string; maxAttempts?: number; backoffMs?: readonly number[]; timeoutMs?: number; allowedNetworks?: readonly string[]; resolve?: ResolveHost };
  /** The rotation and expiry scheduler: its rules (defaults 7 days, 10 %, 30 days), lease length (180 s) and lease holder name (default random). */
  scheduler?: Partial<SchedulerSettings> & { nodeId?: string };
  /** Default periods of the hygiene report (CLAVIS_REPORT_*_DAYS); default HYGIENE_DEFAULTS. */
  hygiene?: Partial<Pick<HygieneOptions, 'rotationDays' | 'unusedDays' | 'overPrivilegeDays'>>;
}

/** The monitor part of the service options (src/config.ts `monitor`). */
export interface MonitorOptions {
  geo?: GeoLocator;
  thresholds?: DetectorThresholds;
  disabled?: readonly AlertType[];
  /** Proxies whose X-Forwarded-For names the client address (CLAVIS_TRUST_PROXY). */
  trustProxy?: readonly string[];
  retentionDays?: number;
  maxPendingEvents?: number;
  /** process_* and nodejs_* metrics on /metrics (the server turns them on). */
  processMetrics?: boolean;
  /** Early drains; default setImmediate. Tests pass one they control. */
  schedule?: (fn: () => void) => void;
  onError?: (err: unknown, what: string) => void;
}

/** Everything a handler calls; built once per process (or per test). */
export interface Services {
  store: Store;
  clock: Clock;
  ids: IdGenerator;
  audit: AuditLog;
  keys: KeyService;
  verifier: KeyVerifier;
  tokens: TokenService;
  workspaces: WorkspaceService;
  leaks: LeakReportService;
  /** Hand to `store.watch`: keeps this node's caches in step with every other node. */
  changeListener: ChangeListener;
  keyring: Keyring;
  keyringAdmin: KeyringAdmin;
  secrets: SecretsService;
  unseal: ((passphrase: string) => Promise<void>) | null;
  /** Counts every verification and runs the detectors (`usage.record` is all the verify path pays). */
  usage: UsageMonitor;
  alerts: AlertService;
  metrics: PrometheusMetrics;
  /** Users of a workspace (the people tokens are issued for). */
  users: UserService;
  /** TOTP enrolment and the step-up check of critical operations. */
  mfa: MfaService;
  /** Revokes every key of a workspace (POST /v1/keys/revoke-all). */
  bulkRevoke: BulkRevoker;
  /** The client address of a request: the socket peer, or X-Forwarded-For behind a trusted proxy. */
  clientIp(socketAddress: string | undefined, forwardedFor: string | string[] | undefined): string;
  /** The data API: market data (null when none is served), its settings, paper portfolios, the waitlist. */
  marketData: MarketData | null;
  dataApi: DataApiSettings;
  portfolios: PortfolioService;
  waitlist: WaitlistService;
  /** Webhook endpoints and their delivery logs. */
  webhooks: WebhookService;
  /** Sends due webhook deliveries; the server calls `runOnce` on a timer. */
  webhookDispatcher: WebhookDispatcher;
  /** Declarative incident response: manual runs, alert-fired runs, the compromise hook. */
  playbooks: PlaybookEngine;
  /** Rotations into the vault, lifecycle notices, idle high-risk suspension; the server ticks it on a timer. */
  scheduler: Scheduler;
  /** Default periods of the hygiene report and the usage retention it reads within. */
  hygiene: HygieneOptions;
}

/**
 * Wires the domain services together.
 *
 * @example const services = createServices({ store, signer, policy, cache, auditOrigin: 'clavis.local' })
 */
export function createServices(opts: ServiceOptions): Services {
  const clock = opts.clock ?? systemClock;
  const ids = opts.ids ?? createIdGenerator(() => clock.now());
  // Audited changes that are webhook events queue their deliveries in the same transaction.
  const audit = new AuditLog({ audit: opts.store.audit, signer: opts.signer, clock, ids, origin: opts.auditOrigin, onAppend: webhookOutbox({ clock, ids }) });
  const keyring = opts.keyring ?? new Keyring(clock, 'no key provider is configured');
  // HMAC signing secrets of keys: sealed under the keyring, unsealed once per verify cache entry.
  const signingSecrets = new SigningSecretBox(opts.store, keyring);
  // One limiter: the verifier charges it, the scheduler reads credit balances from it.
  const limiter = opts.limiter ?? createMemoryLimiter();
  const verifier = new KeyVerifier({ keys: opts.store.keys, clock, cache: opts.cache, nonces: opts.nonces ?? createMemoryNonceStore(), limiter, signatureWindowMs: opts.signatureWindowMs ?? 5000, hmacKeys: hmacKeySource(opts.store, signingSecrets) });
  const keys = new KeyService({ store: opts.store, audit, clock, ids, policy: opts.policy, onKeyChanged: (h) => verifier.invalidate(h), signingSecrets });
  const tokens = new TokenService({ store: opts.store, audit, clock, ids, prefix: opts.policy.prefix, cacheTtlMs: opts.cache.ttlMs });
  const workspaces = new WorkspaceService({ store: opts.store, audit, tokens, clock, ids });
  const playbooks = new PlaybookEngine({ store: opts.store, audit, keys, clock, ids, playbooks: opts.playbooks ?? [], ...(opts.monitor?.onError !== undefined ? { onError: opts.monitor.onError } : {}) });
  // Leak reports fire the compromise playbook on each key they act on, unless told otherwise.
  const leaks = new LeakReportService({ store: opts.store, keys, audit, clock, policy: opts.leaks?.policy ?? 'revoke', publicKeys: opts.leaks?.publicKeys ?? new Map(), playbook: opts.leaks?.playbook ?? playbooks });
  const changeListener: ChangeListener = {
    onChange: (c) => (c.kind === 'key' ? verifier.invalidate(c.hash) : tokens.invalidate(c.hash)),
    onGap: () => {
      verifier.setCaching(false);
      tokens.setCaching(false);
    },
    onResume: () => {
      verifier.setCaching(true);
      tokens.setCaching(true);
    },
  };
  const secrets = new SecretsService({ store: opts.store, keyring, audit, clock, maxVersions: opts.secretsMaxVersions ?? 10 });
  const keyringAdmin = new KeyringAdmin({ store: opts.store, keyring, audit, clock, extraDataKeys: [totpDataKeys(opts.store), webhookDataKeys(opts.store), signingSecretDataKeys(opts.store)] });
  const users = new UserService({ store: opts.store, audit, clock, ids, onTokenRevoked: (h) => tokens.invalidate(h) });
  const mfa = new MfaService({ store: opts.store, keyring, audit, clock, ids, issuer: opts.mfaIssuer ?? 'Clavis' });
  const bulkRevoke = new BulkRevoker({ store: opts.store, audit, clock, onKeyChanged: (h) => verifier.invalidate(h) });
  const m = opts.monitor ?? {};
  // The metrics read the monitor's sizes at scrape time and the monitor reports to the metrics.
  const live: { usage?: UsageMonitor } = {};
  const metrics = createPrometheusMetrics(() => ({ ...(live.usage?.stats() ?? { pendingEvents: 0, pendingBuckets: 0, trackedSubjects: 0 }), verifyCacheKeys: verifier.cachedKeys }), { processMetrics: m.processMetrics === true });
  const alerts = new AlertService({ store: opts.store, audit, clock, ids, onOwnersChanged: () => live.usage?.ownersChanged(), onRaised: (a, created) => playbooks.onAlert(a, created) });
  const usage = new UsageMonitor({
    store: opts.store,
    alerts,
    clock,
    geo: m.geo ?? NO_GEO,
    thresholds: m.thresholds ?? DEFAULT_THRESHOLDS,
    disabled: new Set(m.disabled ?? []),
    metrics: metrics.sink,
    ...(m.retentionDays !== undefined ? { retentionDays: m.retentionDays } : {}),
    ...(m.maxPendingEvents !== undefined ? { maxPendingEvents: m.maxPendingEvents } : {}),
    ...(m.schedule !== undefined ? { schedule: m.schedule } : {}),
    ...(m.onError !== undefined ? { onError: m.onError } : {}),
  });
  live.usage = usage;
  const trusted = trustedProxies(m.trustProxy ?? []);
  const dataApi: DataApiSettings = { environment: undefined, priceStreamIntervalMs: 5000, streamReverifyMs: 60_000, quoteTtlMs: 30_000, ...opts.dataApi };
  const marketData = opts.marketData ?? null;
  const webhookBox = new WebhookSecretBox(opts.store, keyring);
  const w = opts.webhooks ?? {};
  // One egress filter: creation answers early, delivery checks every connection again.
  const egress = new WebhookEgress({ allowedNetworks: w.allowedNetworks ?? [], ...(w.resolve !== undefined ? { resolve: w.resolve } : {}) });
  const webhookDispatcher = new WebhookDispatcher({
    store: opts.store, box: webhookBox, clock, nodeId: w.nodeId ?? `node-${randomBytes(6).toString('hex')}`,
    ...(w.maxAttempts !== undefined ? { maxAttempts: w.maxAttempts } : {}),
    ...(w.backoffMs !== undefined ? { backoffMs: w.backoffMs } : {}),
    ...(w.timeoutMs !== undefined ? { timeoutMs: w.timeoutMs } : {}),
    egress,
  });
  return {
    store: opts.store, clock, ids, audit, keys, verifier, tokens, workspaces, leaks, changeListener, keyring, keyringAdmin, secrets, unseal: opts.unseal ?? null,
    usage, alerts, metrics, users, mfa, bulkRevoke,
    clientIp: (socketAddress, forwardedFor) => clientIp(socketAddress, forwardedFor, trusted),
    marketData,
    dataApi,
    portfolios: new PortfolioService({ store: opts.store, audit, clock, ids, data: marketData, quoteTtlMs: dataApi.quoteTtlMs }),
    waitlist: new WaitlistService({ store: opts.store, clock, ids }),
    webhooks: new WebhookService({ store: opts.store, audit, clock, ids, box: webhookBox, egress }),
    webhookDispatcher,
    playbooks,
    scheduler: new Scheduler({
      store: opts.store, keys, secrets, audit, limiter, clock,
      nodeId: opts.scheduler?.nodeId ?? `node-${randomBytes(6).toString('hex')}`,
      settings: { expiryNoticeDays: 7, quotaLowPercent: 10, highRiskIdleDays: 30, leaseMs: 180_000, ...opts.scheduler },
    }),
    hygiene: { ...HYGIENE_DEFAULTS, ...opts.hygiene, usageRetentionDays: m.retentionDays ?? 90 },
  };
}
