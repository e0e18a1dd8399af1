import { buildApp } from '../http/app.ts';
import { ephemeralSigner } from '../keyring/local-signer.ts';
import { createServices } from '../services.ts';
import { createMemoryNonceStore } from '../storage/memory/memory-limiter.ts';
import { createMemoryStore } from '../storage/memory/memory-store.ts';

/** The OpenAPI document exactly as a server serves it at /openapi.json. */
export async function openApiDocument(): Promise<unknown> {
  const store = createMemoryStore();
  const services = createServices({
    store,
    signer: ephemeralSigner(),
    policy: { prefix: 'clv', maxTtlMs: { live: 1, test: null, dev: null }, defaultGraceMs: 0, highRisk: { requireIpAllowlist: true, requireSigning: true } },
    cache: { ttlMs: 0, negativeTtlMs: 0, maxEntries: 0 },
    auditOrigin: 'clavis.local',
    nonces: createMemoryNonceStore(),
    signatureWindowMs: 5000,
  });
  const app = await buildApp({ services, logger: false });
  try {
    return app.swagger();
  } finally {
    await app.close();
    await store.close();
  }
}
