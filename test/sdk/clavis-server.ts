import { ClavisClient } from '@clavis/sdk';
import { buildApp } from '../../src/http/app.ts';
import { ephemeralLocalKeyring } from '../../src/keyring/local-keyring.ts';
import { ephemeralSigner } from '../../src/keyring/local-signer.ts';
import { createServices } from '../../src/services.ts';
import { createMemoryNonceStore } from '../../src/storage/memory/memory-limiter.ts';
import { createMemoryStore } from '../../src/storage/memory/memory-store.ts';
import { ManualClock } from '../support/harness.ts';

/** A real Clavis server on 127.0.0.1 and a random port, as a provider's service reaches it. */
export interface ClavisServer {
  url: string;
  /** Owner client, for setting keys up. */
  admin: ClavisClient;
  /** A developer token: all a provider's verifier needs. */
  developerToken: string;
  /** The server's clock (starts at the real time; tests move it for expiry and signatures). */
  clock: ManualClock;
  /** `POST /v1/keys/verify` requests the server has received. */
  verifyCalls(): number;
  close(): Promise<void>;
}

/**
 * Starts an in-memory Clavis with a bootstrapped workspace.
 *
 * @example const clavis = await startClavis(); const { key } = await clavis.admin.createKey({ name: 'a', environment: 'test', scopes: ['prices:read'] })
 */
export async function startClavis(): Promise<ClavisServer> {
  const store = createMemoryStore();
  const clock = new ManualClock(Date.now());
  const services = createServices({
    store,
    signer: ephemeralSigner(),
    clock,
    policy: { prefix: 'clv', maxTtlMs: { live: 90 * 86_400_000, test: null, dev: null }, defaultGraceMs: 86_400_000 },
    cache: { ttlMs: 5000, negativeTtlMs: 1000, maxEntries: 10_000 },
    auditOrigin: 'clavis.test',
    nonces: createMemoryNonceStore(),
    signatureWindowMs: 5000,
  });
  // Unsealed, as a started server is: keys that sign with HMAC need the keyring.
  services.keyring.unseal(await ephemeralLocalKeyring(store, clock));
  const boot = await services.workspaces.bootstrap();
  if (boot === null) throw new Error('bootstrap did not run on an empty store');
  const app = await buildApp({ services, logger: false });
  let verifies = 0;
  // A second 'request' listener beside Fastify's: counts at the HTTP edge of Clavis itself.
  app.server.on('request', (req: { method?: string; url?: string }) => {
    if (req.method === 'POST' && req.url === '/v1/keys/verify') verifies += 1;
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const url = `http://127.0.0.1:${portOf(app.server.address())}`;
  const admin = new ClavisClient({ url, token: boot.ownerToken.secret });
  const developer = await admin.createToken({ name: 'provider service', role: 'developer' });
  return {
    url,
    admin,
    developerToken: developer.token,
    clock,
    verifyCalls: () => verifies,
    close: async () => {
      await app.close();
      await store.close();
    },
  };
}

/** The port of a listening server's address. */
export function portOf(address: string | { port: number } | null): number {
  if (address === null || typeof address === 'string') throw new Error('the server has no TCP address');
  return address.port;
}
