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
import type { KeyObject } from 'node:crypto';
import { createMemoryLimiter, createMemoryNonceStore } from './storage/memory/memory-limiter.ts';

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
}

/**
 * Wires the domain services together.
 *
 * @example const services = createServices({ store, signer, policy, cache, auditOrigin: 'clavis.local' })
 */
export function createServices(opts: ServiceOptions): Services {
  const clock = opts.clock ?? systemClock;
  const ids = opts.ids ?? createIdGenerator(() => clock.now());
  const audit = new AuditLog({ audit: opts.store.audit, signer: opts.signer, clock, ids, origin: opts.auditOrigin });
  const verifier = new KeyVerifier({ keys: opts.store.keys, clock, cache: opts.cache, nonces: opts.nonces ?? createMemoryNonceStore(), limiter: opts.limiter ?? createMemoryLimiter(), signatureWindowMs: opts.signatureWindowMs ?? 5000 });
  const keys = new KeyService({ store: opts.store, audit, clock, ids, policy: opts.policy, onKeyChanged: (h) => verifier.invalidate(h) });
  const tokens = new TokenService({ store: opts.store, audit, clock, ids, prefix: opts.policy.prefix, cacheTtlMs: opts.cache.ttlMs });
  const workspaces = new WorkspaceService({ store: opts.store, audit, tokens, clock, ids });
  const leaks = new LeakReportService({ store: opts.store, keys, audit, clock, policy: opts.leaks?.policy ?? 'revoke', publicKeys: opts.leaks?.publicKeys ?? new Map(), ...(opts.leaks?.playbook !== undefined ? { playbook: opts.leaks.playbook } : {}) });
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
  const keyring = opts.keyring ?? new Keyring(clock, 'no key provider is configured');
  const secrets = new SecretsService({ store: opts.store, keyring, audit, clock, maxVersions: opts.secretsMaxVersions ?? 10 });
  const keyringAdmin = new KeyringAdmin({ store: opts.store, keyring, audit, clock });
  return { store: opts.store, clock, ids, audit, keys, verifier, tokens, workspaces, leaks, changeListener, keyring, keyringAdmin, secrets, unseal: opts.unseal ?? null };
}
