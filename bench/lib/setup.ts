import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Clock } from '../../src/core/clock.ts';
import type { IdGenerator } from '../../src/core/ids.ts';
import type { Acting } from '../../src/core/keys/key-service.ts';
import type { KeyPolicy } from '../../src/core/keys/key-policy.ts';
import type { Store } from '../../src/core/ports/store.ts';
import { ephemeralSigner } from '../../src/keyring/local-signer.ts';
import { createServices, type Services } from '../../src/services.ts';

/** The defaults of src/config.ts: prefix `clv`, live keys expire within 90 days, 1 day rotation grace. */
export const BENCH_POLICY: KeyPolicy = {
  prefix: 'clv',
  maxTtlMs: { live: 7_776_000_000, test: 31_536_000_000, dev: null },
  defaultGraceMs: 86_400_000,
};

/** The cache defaults of src/config.ts. */
export const BENCH_CACHE = { ttlMs: 5000, negativeTtlMs: 2000, maxEntries: 1_000_000 };

/** 2025-01-01T00:00:00Z: a fixed "now" for benchmarks that must not see a cache entry expire. */
export const FIXED_NOW = Date.UTC(2025, 0, 1);
export const fixedClock: Clock = { now: () => FIXED_NOW };

/**
 * Deterministic ids of the production shape (`<prefix>_<22 base62>`), sortable in creation order
 * like the real ones.
 */
export function counterIds(): IdGenerator {
  let n = 0;
  return (prefix) => `${prefix}_${(n++).toString().padStart(22, '0')}`;
}

/** Builds the production wiring (createServices) on `store` and bootstraps one workspace. */
export async function servicesWithWorkspace(
  store: Store,
  opts: { clock?: Clock; ids?: IdGenerator } = {},
): Promise<{ services: Services; acting: Acting }> {
  const services = createServices({
    store,
    signer: ephemeralSigner(),
    policy: BENCH_POLICY,
    cache: BENCH_CACHE,
    auditOrigin: 'bench.clavis.local',
    ...(opts.clock !== undefined ? { clock: opts.clock } : {}),
    ...(opts.ids !== undefined ? { ids: opts.ids } : {}),
  });
  const boot = await services.workspaces.bootstrap('bench');
  if (boot === null) throw new Error('bench: the store already had an owner; expected a fresh store');
  return { services, acting: { workspaceId: boot.workspace.id, actor: { type: 'system', id: 'bench' } } };
}

/**
 * A fresh directory for database files, under $BENCH_TMPDIR or the OS temp dir. Remove it with
 * the returned function.
 */
export function tempDir(): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(process.env.BENCH_TMPDIR ?? tmpdir(), 'clavis-bench-'));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
