import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { SCOPE_NOT_RECORDED } from '../../src/core/ports/monitor-store.ts';
import type { Store } from '../../src/core/ports/store.ts';
import { ephemeralSigner } from '../../src/keyring/local-signer.ts';
import { createServices, type Services } from '../../src/services.ts';
import { loadMigrations } from '../../src/storage/common/migrations.ts';
import { openPostgresStore } from '../../src/storage/postgres/postgres-store.ts';
import { openSqliteStore } from '../../src/storage/sqlite/sqlite-store.ts';
import { DAY_MS, ManualClock } from '../support/harness.ts';
import { PG_AVAILABLE, PG_REQUIRED, PG_URL, STORES, dropSchemas, freshSchema, freshSqlitePath, pgAdmin, removeFiles } from './report-stores.ts';

afterAll(async () => {
  await dropSchemas();
  removeFiles();
});

const T0 = Date.UTC(2026, 0, 5, 12);

async function servicesOn(store: Store): Promise<{ services: Services; clock: ManualClock; ws: string }> {
  const clock = new ManualClock(T0);
  const services = createServices({
    store,
    signer: ephemeralSigner(),
    clock,
    policy: { prefix: 'clv', maxTtlMs: { live: 90 * DAY_MS, test: null, dev: null }, defaultGraceMs: 0, highRisk: { requireIpAllowlist: false, requireSigning: false } },
    cache: { ttlMs: 5000, negativeTtlMs: 1000, maxEntries: 1000 },
    auditOrigin: 'clavis.test',
    monitor: { schedule: () => undefined },
  });
  const boot = await services.workspaces.bootstrap();
  if (boot === null) throw new Error('no bootstrap');
  return { services, clock, ws: boot.workspace.id };
}

for (const c of STORES) {
  describe.skipIf(c.skip)(`usage per scope (${c.name})`, () => {
    it('counts the scope of successful verifications only, in the buckets the monitor flushes', async () => {
      const store = await c.open();
      try {
        const { services, clock, ws } = await servicesOn(store);
        const acting = { workspaceId: ws, actor: { type: 'system' as const, id: 't' } };
        const k = (await services.keys.create(acting, { name: 'k', environment: 'test', scopes: ['prices:read', 'index:read', 'signals:read'] })).record;
        const key = { id: k.id, workspaceId: ws, ownerId: null, createdAt: k.createdAt };
        const use = (scope: string | undefined, code: 'VALID' | 'INSUFFICIENT_SCOPE' | 'RATE_LIMITED' = 'VALID') => services.usage.record({ route: 'verify-api', code, ip: '203.0.113.9', workspaceId: ws, key, scope });
        use('prices:read');
        use('prices:read');
        use('index:read');
        use(undefined);
        // A refusal exercised nothing, whatever it asked for.
        use('signals:read', 'RATE_LIMITED');
        use('portfolio:trade', 'INSUFFICIENT_SCOPE');
        clock.advance(61_000);
        use('prices:read');
        await services.usage.flush();
        expect(await store.usage.scopeUse(ws, [k.id], T0 - (T0 % 60_000))).toEqual([
          { keyId: k.id, scope: 'index:read', count: 1 },
          { keyId: k.id, scope: 'prices:read', count: 3 },
        ]);
        // The per-minute series is unchanged by the extra dimension: it sums over scopes.
        const minute = T0 - (T0 % 60_000);
        expect(await store.usage.series(ws, { keyId: k.id, from: minute, to: minute + 120_000, bucketMs: 3_600_000 })).toEqual([
          { start: T0 - (T0 % 3_600_000), route: 'verify-api', code: 'INSUFFICIENT_SCOPE', country: null, count: 1 },
          { start: T0 - (T0 % 3_600_000), route: 'verify-api', code: 'RATE_LIMITED', country: null, count: 1 },
          { start: T0 - (T0 % 3_600_000), route: 'verify-api', code: 'VALID', country: null, count: 5 },
        ]);
      } finally {
        await store.close();
      }
    });
  });
}

/** Every migration before 010, applied by hand, so the test starts from the schema 010 upgrades. */
const before010 = (dialect: 'sqlite' | 'postgres') => loadMigrations(new URL(`../../src/storage/migrations/${dialect}/`, import.meta.url)).filter((m) => m.version < 10);

describe('migration 010 on counts from before it', () => {
  const legacy = [
    ['ws_1', 'key_a', T0, 'verify-api', 'VALID', 'GB', 5],
    ['ws_1', 'key_a', T0, 'verify-api', 'INSUFFICIENT_SCOPE', 'GB', 2],
    ['ws_1', '', T0, 'verify-api', 'NOT_FOUND', '', 9],
  ] as const;
  const expectUpgraded = async (store: Store): Promise<void> => {
    // Successful uses of unknown scope, not "no scope": the report must not call key_a over-privileged.
    expect(await store.usage.scopeUse('ws_1', ['key_a'], T0)).toEqual([{ keyId: 'key_a', scope: SCOPE_NOT_RECORDED, count: 5 }]);
    expect(await store.usage.series('ws_1', { keyId: 'key_a', from: T0, to: T0 + 60_000, bucketMs: 60_000 })).toEqual([
      { start: T0, route: 'verify-api', code: 'INSUFFICIENT_SCOPE', country: 'GB', count: 2 },
      { start: T0, route: 'verify-api', code: 'VALID', country: 'GB', count: 5 },
    ]);
    // New counts land beside the old ones.
    await store.transact((tx) => tx.usage.addBuckets([{ workspaceId: 'ws_1', keyId: 'key_a', minute: T0, route: 'verify-api', code: 'VALID', country: 'GB', scope: 'prices:read', count: 1 }]));
    expect(await store.usage.scopeUse('ws_1', ['key_a'], T0)).toEqual([
      { keyId: 'key_a', scope: SCOPE_NOT_RECORDED, count: 5 },
      { keyId: 'key_a', scope: 'prices:read', count: 1 },
    ]);
  };

  it('sqlite: marks old successful counts as of unknown scope and keeps every count', async () => {
    const path = freshSqlitePath();
    const db = new Database(path);
    db.exec('CREATE TABLE schema_migrations (version INTEGER NOT NULL PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL) STRICT');
    for (const m of before010('sqlite')) {
      db.exec(m.sql);
      db.prepare('INSERT INTO schema_migrations VALUES (?, ?, 0)').run(m.version, m.name);
    }
    const insert = db.prepare('INSERT INTO usage_buckets (workspace_id, key_id, minute, route, code, country, count) VALUES (?, ?, ?, ?, ?, ?, ?)');
    for (const row of legacy) insert.run(...row);
    db.close();
    const store = openSqliteStore({ path });
    try {
      await expectUpgraded(store);
    } finally {
      await store.close();
    }
  });

  it.skipIf(!PG_AVAILABLE && !PG_REQUIRED)('postgres: marks old successful counts as of unknown scope and keeps every count', async () => {
    const schema = freshSchema();
    await pgAdmin(async (c) => {
      await c.query(`CREATE SCHEMA "${schema}"`);
      await c.query(`SET search_path TO "${schema}"`);
      await c.query('CREATE TABLE schema_migrations (version INTEGER NOT NULL PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)');
      for (const m of before010('postgres')) {
        await c.query(m.sql);
        await c.query('INSERT INTO schema_migrations VALUES ($1, $2, 0)', [m.version, m.name]);
      }
      for (const row of legacy) await c.query('INSERT INTO usage_buckets (workspace_id, key_id, minute, route, code, country, count) VALUES ($1, $2, $3, $4, $5, $6, $7)', [...row]);
    });
    const store = await openPostgresStore({ url: PG_URL, schema, poolSize: 2 });
    try {
      await expectUpgraded(store);
    } finally {
      await store.close();
    }
  });
});
