import type { IssuedToken } from '../../src/core/auth/token-service.ts';
import type { Clock } from '../../src/core/clock.ts';
import type { Role } from '../../src/core/model.ts';
import type { Store } from '../../src/core/ports/store.ts';
import type { App } from '../../src/http/app-types.ts';
import { buildApp } from '../../src/http/app.ts';
import { ephemeralLocalKeyring } from '../../src/keyring/local-keyring.ts';
import { ephemeralSigner } from '../../src/keyring/local-signer.ts';
import { createServices, type ServiceOptions, type Services } from '../../src/services.ts';
import { createMemoryNonceStore } from '../../src/storage/memory/memory-limiter.ts';
import { createMemoryStore } from '../../src/storage/memory/memory-store.ts';

/** A clock tests move by hand. */
export class ManualClock implements Clock {
  constructor(public t = Date.UTC(2026, 0, 1)) {}
  now(): number {
    return this.t;
  }
  advance(ms: number): void {
    this.t += ms;
  }
}

export const DAY_MS = 86_400_000;

export interface Harness {
  app: App;
  services: Services;
  store: Store;
  clock: ManualClock;
  owner: IssuedToken;
  workspaceId: string;
  /** Creates a token of `role` in the operator workspace. */
  tokenFor(role: Role): Promise<string>;
  close(): Promise<void>;
}

/**
 * An app on a memory store with a manual clock and a bootstrapped operator workspace.
 *
 * @example const h = await makeHarness(); await h.app.inject({ url: '/v1/keys', headers: bearer(h.owner.secret) })
 */
export async function makeHarness(opts: { store?: Store; playbooks?: ServiceOptions['playbooks']; webhooks?: ServiceOptions['webhooks'] } = {}): Promise<Harness> {
  const store = opts.store ?? createMemoryStore();
  const clock = new ManualClock();
  const services = createServices({
    store,
    signer: ephemeralSigner(),
    clock,
    policy: { prefix: 'clv', maxTtlMs: { live: 90 * DAY_MS, test: 365 * DAY_MS, dev: null }, defaultGraceMs: DAY_MS, highRisk: { requireIpAllowlist: true, requireSigning: true } },
    cache: { ttlMs: 5000, negativeTtlMs: 1000, maxEntries: 10_000 },
    auditOrigin: 'clavis.test',
    nonces: createMemoryNonceStore(),
    signatureWindowMs: 5000,
    ...(opts.playbooks !== undefined ? { playbooks: opts.playbooks } : {}),
    ...(opts.webhooks !== undefined ? { webhooks: opts.webhooks } : {}),
  });
  // An unsealed keyring, as a started server has: secrets work, /readyz answers ready.
  services.keyring.unseal(await ephemeralLocalKeyring(store, clock));
  const boot = await services.workspaces.bootstrap();
  if (boot === null) throw new Error('bootstrap did not run on an empty store');
  const app = await buildApp({ services, logger: false });
  const ownerCtx = { tokenId: boot.ownerToken.record.id, workspaceId: boot.workspace.id, role: 'owner' as const };
  return {
    app,
    services,
    store,
    clock,
    owner: boot.ownerToken,
    workspaceId: boot.workspace.id,
    tokenFor: async (role) => (await services.tokens.create(ownerCtx, { name: `${role} token`, role })).secret,
    close: async () => {
      await app.close();
      await store.close();
    },
  };
}

export function bearer(token: string): Record<string, string> {
  return { authorization: `Bearer ${token}` };
}
