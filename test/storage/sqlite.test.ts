import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { loadMigrations } from '../../src/storage/common/migrations.ts';
import { openStore } from '../../src/storage/open-store.ts';
import { migrateSqlite } from '../../src/storage/sqlite/sqlite-migrate.ts';
import { openSqliteStore } from '../../src/storage/sqlite/sqlite-store.ts';
import { runStoreContract } from './store-contract.ts';

const dir = mkdtempSync(join(tmpdir(), 'clavis-sqlite-'));
let n = 0;
const freshPath = (): string => join(dir, `store-${process.pid}-${++n}.db`);

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

runStoreContract('sqlite (file)', async () => {
  const store = openSqliteStore({ path: freshPath() });
  return { store, cleanup: () => store.close() };
});

runStoreContract('sqlite (:memory:, synchronous normal)', async () => {
  const store = openSqliteStore({ path: ':memory:', synchronous: 'normal' });
  return { store, cleanup: () => store.close() };
});

describe('sqlite store', () => {
  const ws = { id: 'ws_0001', name: 'Main', createdAt: 1_700_000_000_000, operator: true };

  it('keeps committed data across close and reopen', async () => {
    const path = freshPath();
    const first = openSqliteStore({ path });
    await first.transact(async (tx) => {
      await tx.workspaces.insert(ws);
      const seq = await tx.audit.nextSeq(ws.id);
      await tx.audit.insert(
        {
          id: 'evt_1',
          workspaceId: ws.id,
          seq,
          time: '2025-01-01T00:00:00.000Z',
          actor: { type: 'system', id: 'bootstrap' },
          action: 'workspace.create',
          target: { type: 'workspace', id: ws.id },
          data: { name: 'Main' },
        },
        'ab'.repeat(32),
      );
    });
    await first.close();

    const second = openSqliteStore({ path });
    expect(await second.workspaces.findById(ws.id)).toEqual(ws);
    expect(await second.audit.size(ws.id)).toBe(1);
    expect(await second.transact((tx) => tx.audit.nextSeq(ws.id))).toBe(1);
    await second.close();
  });

  it('applies migrations once: reopening and rerunning them changes nothing', async () => {
    const path = freshPath();
    await openSqliteStore({ path }).close();
    await openSqliteStore({ path }).close();
    const db = new Database(path);
    try {
      const versions = db.prepare<[], { version: number }>('SELECT version FROM schema_migrations ORDER BY version').all();
      expect(versions.map((v) => v.version)).toEqual(loadMigrations(new URL('../../src/storage/migrations/sqlite/', import.meta.url)).map((m) => m.version));
      expect(migrateSqlite(db)).toEqual([]);
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    } finally {
      db.close();
    }
  });

  it('rejects calls after close', async () => {
    const store = openSqliteStore({ path: ':memory:' });
    await store.close();
    await store.close();
    await expect(store.ping()).rejects.toThrow(/closed/);
  });

  it('openStore picks SQLite without a postgres URL and creates the folder 0700', async () => {
    const path = join(dir, 'nested', 'deeper', 'clavis.db');
    const store = await openStore({ sqlitePath: path, databaseUrl: '' });
    expect(store.kind).toBe('sqlite');
    await store.ping();
    await store.close();
    expect(statSync(join(dir, 'nested', 'deeper')).mode & 0o777).toBe(0o700);
    await expect(openStore({ sqlitePath: path, databaseUrl: 'mysql://db/clavis' })).rejects.toThrow(/postgres/);
  });
});
