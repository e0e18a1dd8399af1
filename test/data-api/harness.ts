import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { signRequest } from '@clavis/sdk/signing';
import type { App } from '../../src/http/app-types.ts';
import { buildApp } from '../../src/http/app.ts';
import { ephemeralLocalKeyring } from '../../src/keyring/local-keyring.ts';
import { ephemeralSigner } from '../../src/keyring/local-signer.ts';
import { inProcessMarketData, loadDataServices, type DataServices, type MarketData } from '../../src/market/market-data.ts';
import { createSimulatorProvider } from '../../src/market/simulator.ts';
import { createServices, type DataApiSettings, type Services } from '../../src/services.ts';
import { createMemoryNonceStore } from '../../src/storage/memory/memory-limiter.ts';
import { createMemoryStore } from '../../src/storage/memory/memory-store.ts';
import type { Store } from '../../src/core/ports/store.ts';
import { DAY_MS, ManualClock, bearer } from '../support/harness.ts';

/** The last day of the simulated market the data-API tests serve: a bull state holding 74 assets. */
export const SIM_END = '2017-12-31';

let shared: Promise<DataServices> | undefined;

/** The simulated market up to {@link SIM_END} (computed once per test file, ~0.5 s). */
export function simulatedData(): MarketData {
  shared ??= loadDataServices(createSimulatorProvider({ end: SIM_END }));
  const loaded = shared;
  return inProcessMarketData('simulator (seed 1)', () => loaded);
}

export interface CreatedKey {
  id: string;
  key: string;
}

export interface DataHarness {
  app: App;
  services: Services;
  store: Store;
  clock: ManualClock;
  ownerToken: string;
  workspaceId: string;
  /** Creates a key through the admin API (test environment, 30 days, unless the body says otherwise). */
  createKey(body: Record<string, unknown>): Promise<CreatedKey>;
  /** A `portfolio:trade` key as the high-risk policy wants it: owner, IP allowlist, Ed25519 signing. */
  createTraderKey(ownerId?: string, extra?: Record<string, unknown>): Promise<CreatedKey & { privateKey: KeyObject }>;
  revokeKey(id: string): Promise<void>;
  close(): Promise<void>;
}

/**
 * An app on a memory store with a manual clock, the simulated market, and an owner token.
 *
 * @example const h = await makeDataHarness(); const { key } = await h.createKey({ name: 'r', scopes: ['prices:read'] })
 */
export async function makeDataHarness(opts: { marketData?: MarketData | null; dataApi?: Partial<DataApiSettings> } = {}): Promise<DataHarness> {
  const store = createMemoryStore();
  const clock = new ManualClock();
  const marketData = opts.marketData === undefined ? simulatedData() : opts.marketData;
  const services = createServices({
    store,
    signer: ephemeralSigner(),
    clock,
    policy: { prefix: 'clv', maxTtlMs: { live: 90 * DAY_MS, test: 365 * DAY_MS, dev: null }, defaultGraceMs: DAY_MS, highRisk: { requireIpAllowlist: true, requireSigning: true } },
    cache: { ttlMs: 5000, negativeTtlMs: 1000, maxEntries: 10_000 },
    auditOrigin: 'clavis.test',
    nonces: createMemoryNonceStore(),
    signatureWindowMs: 5000,
    ...(marketData === null ? {} : { marketData }),
    ...(opts.dataApi === undefined ? {} : { dataApi: opts.dataApi }),
  });
  services.keyring.unseal(await ephemeralLocalKeyring(store, clock));
  const boot = await services.workspaces.bootstrap();
  if (boot === null) throw new Error('bootstrap did not run on an empty store');
  const app = await buildApp({ services, logger: false });
  const ownerToken = boot.ownerToken.secret;
  const createKey = async (body: Record<string, unknown>): Promise<CreatedKey> => {
    const res = await app.inject({ method: 'POST', url: '/v1/keys', headers: bearer(ownerToken), payload: { environment: 'test', ttlSeconds: 30 * 86_400, ...body } });
    if (res.statusCode !== 201) throw new Error(`POST /v1/keys: ${res.statusCode} ${res.body}`);
    return res.json<CreatedKey>();
  };
  return {
    app,
    services,
    store,
    clock,
    ownerToken,
    workspaceId: boot.workspace.id,
    createKey,
    createTraderKey: async (ownerId = 'alice', extra = {}) => {
      const { privateKey, publicKey } = generateKeyPairSync('ed25519');
      const raw = publicKey.export({ format: 'der', type: 'spki' }).subarray(12).toString('base64');
      const created = await createKey({
        name: `trader ${ownerId}`,
        environment: 'live',
        scopes: ['index:read', 'portfolio:read', 'portfolio:trade'],
        ownerId,
        ipAllowlist: ['127.0.0.1/32'],
        signing: { scheme: 'ed25519', publicKey: raw },
        ...extra,
      });
      return { ...created, privateKey };
    },
    revokeKey: async (id) => {
      const res = await app.inject({ method: 'POST', url: `/v1/keys/${id}/revoke`, headers: bearer(ownerToken), payload: { reason: 'test' } });
      if (res.statusCode !== 200) throw new Error(`revoke: ${res.statusCode} ${res.body}`);
    },
    close: async () => {
      await app.close();
      await store.close();
    },
  };
}

/** Headers of a signed request with the harness clock's time (the verifier's window uses it). */
export function signed(h: Pick<DataHarness, 'clock'>, key: { key: string; privateKey: KeyObject }, method: string, url: string, body?: string): Record<string, string> {
  return signRequest({ key: key.key, signer: { scheme: 'ed25519', privateKey: key.privateKey }, method, url, ...(body === undefined ? {} : { body }), timestamp: h.clock.now() });
}
