import { randomBytes } from 'node:crypto';
import type { Acting } from '../../src/core/keys/key-service.ts';
import type { Store, WebhookDeliveryRecord } from '../../src/core/ports/store.ts';
import { WEBHOOK_EVENT_TYPES } from '../../src/core/ports/webhook-store.ts';
import { ephemeralLocalKeyring } from '../../src/keyring/local-keyring.ts';
import { ephemeralSigner } from '../../src/keyring/local-signer.ts';
import type { SchedulerSettings } from '../../src/scheduler/scheduler.ts';
import { createServices, type Services } from '../../src/services.ts';
import { createMemoryLimiter, createMemoryNonceStore, type MemoryLimiter } from '../../src/storage/memory/memory-limiter.ts';
import { createMemoryStore } from '../../src/storage/memory/memory-store.ts';
import { DAY_MS, ManualClock } from '../support/harness.ts';

/** One node of Clavis over a store: services with a scheduler, an unsealed keyring, its limiter. */
export interface World {
  store: Store;
  clock: ManualClock;
  services: Services;
  limiter: MemoryLimiter;
  /** The operator workspace (bootstrapped by the first world on a store). */
  workspaceId: string;
  acting: Acting;
  /** Every webhook payload queued so far for the catch-all endpoint, oldest first. */
  webhooks(): Promise<WebhookDeliveryRecord[]>;
}

export interface WorldOptions {
  store?: Store;
  clock?: ManualClock;
  nodeId?: string;
  /** The root key of the local keyring (nodes sharing a store must share it); default one per process. */
  rootKey?: Buffer;
  settings?: Partial<SchedulerSettings>;
}

const ENDPOINT = 'whk_0000000000000000000000';
/** One root key for every node of this process, so nodes sharing a store open the same keyring. */
const ROOT_KEY = randomBytes(32);

/**
 * A node on a store (memory by default) with a manual clock. The first node on a store
 * bootstraps the operator workspace and adds a webhook endpoint subscribed to every event, so
 * tests can read the payloads queued for it (nothing is sent).
 *
 * @example const w = await makeWorld(); await w.services.scheduler.tick()
 */
export async function makeWorld(opts: WorldOptions = {}): Promise<World> {
  const store = opts.store ?? createMemoryStore();
  const clock = opts.clock ?? new ManualClock();
  const limiter = createMemoryLimiter();
  const services = createServices({
    store,
    signer: ephemeralSigner(),
    clock,
    policy: { prefix: 'clv', maxTtlMs: { live: 90 * DAY_MS, test: 365 * DAY_MS, dev: null }, defaultGraceMs: DAY_MS, highRisk: { requireIpAllowlist: true, requireSigning: true } },
    cache: { ttlMs: 0, negativeTtlMs: 0, maxEntries: 0 },
    auditOrigin: 'clavis.test',
    nonces: createMemoryNonceStore(),
    limiter,
    scheduler: { nodeId: opts.nodeId ?? `node-${randomBytes(3).toString('hex')}`, ...opts.settings },
  });
  services.keyring.unseal(await ephemeralLocalKeyring(store, clock, opts.rootKey ?? ROOT_KEY));
  const boot = await services.workspaces.bootstrap();
  const workspaceId = boot?.workspace.id ?? (await store.workspaces.list({ limit: 1 }))[0]?.id;
  if (workspaceId === undefined) throw new Error('no workspace');
  if (boot !== null) {
    await store.webhooks.insertEndpoint({ id: ENDPOINT, workspaceId, url: 'https://hooks.example/clavis', events: [...WEBHOOK_EVENT_TYPES], ciphertext: Buffer.alloc(1), wrappedKey: Buffer.alloc(1), keyVersion: 1, createdAt: clock.now(), createdBy: 'test' });
  }
  return {
    store,
    clock,
    services,
    limiter,
    workspaceId,
    acting: { workspaceId, actor: { type: 'token', id: 'tok_test' } },
    webhooks: async () => (await store.webhooks.listDeliveries(workspaceId, ENDPOINT, { limit: 1000 })).reverse(),
  };
}
