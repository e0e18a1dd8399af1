/**
 * KeyService.create on SQLite (a WAL file in a temp dir), once with synchronous=full and once
 * with synchronous=normal, against a bare better-sqlite3 INSERT of a row of the same size in one
 * transaction per row, on the same kind of file with the same setting. A create writes the key
 * row and its audit event (plus the audit head and the indexes) in one transaction; the
 * baseline shows what a single commit of that much data costs on this disk.
 */
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { createIdGenerator } from '../src/core/ids.ts';
import { openSqliteStore } from '../src/storage/sqlite/sqlite-store.ts';
import { compare, emit, latencyExtras, note } from './lib/measure.ts';
import { servicesWithWorkspace, tempDir } from './lib/setup.ts';

type Synchronous = 'full' | 'normal';

const BUDGET: Record<Synchronous, { warmup: number; iterations: number; maxMs: number; rounds: number }> = {
  full: { warmup: 50, iterations: 20_000, maxMs: 3500, rounds: 4 },
  normal: { warmup: 500, iterations: 50_000, maxMs: 2500, rounds: 4 },
};

async function bench(synchronous: Synchronous): Promise<void> {
  const tmp = tempDir();
  const store = openSqliteStore({ path: join(tmp.dir, 'clavis.db'), synchronous });
  const bare = new Database(join(tmp.dir, 'bare.db'));
  try {
    const { services, acting } = await servicesWithWorkspace(store);
    const input = (i: number) => ({
      name: `bench-key-${i}`,
      environment: 'live' as const,
      scopes: ['prices:read', 'signals:read'],
      metadata: { team: 'bench', i },
    });

    // Size of what one create writes: the key row and its audit event, as JSON.
    const probe = await services.keys.create(acting, input(-1));
    const size = await store.audit.size(acting.workspaceId);
    const event = await store.audit.findBySeq(acting.workspaceId, size - 1);
    if (event === null) throw new Error('create set-up: the probe key left no audit event');
    const rowBytes = JSON.stringify(probe.record).length + JSON.stringify(event).length;

    // The baseline file is opened the way openSqliteStore opens its own.
    bare.pragma('journal_mode = WAL');
    bare.pragma(`synchronous = ${synchronous === 'normal' ? 'NORMAL' : 'FULL'}`);
    bare.exec('CREATE TABLE rows (id TEXT NOT NULL PRIMARY KEY, body TEXT NOT NULL) STRICT');
    const begin = bare.prepare('BEGIN IMMEDIATE');
    const commit = bare.prepare('COMMIT');
    const insert = bare.prepare<[string, string]>('INSERT INTO rows (id, body) VALUES (?, ?)');
    const ids = createIdGenerator();
    const body = 'x'.repeat(rowBytes - 26);

    const { subject, baseline } = await compare(
      { kind: 'async', op: (i) => services.keys.create(acting, input(i)) },
      {
        kind: 'sync',
        op: () => {
          begin.run();
          insert.run(ids('key'), body);
          commit.run();
        },
      },
      BUDGET[synchronous],
    );

    emit({
      name: `keys.create.sqlite.${synchronous}`,
      unit: 'ops/s',
      value: subject.opsPerSec,
      baseline: { name: `sqlite-bare-insert-tx.${synchronous}`, value: baseline.opsPerSec },
      n: subject.ops,
      baselineN: baseline.ops,
      synchronous,
      journal: 'wal',
      rowBytes,
      ...latencyExtras('', subject),
      ...latencyExtras('baseline', baseline),
    });
  } finally {
    bare.close();
    await store.close();
    tmp.remove();
  }
}

note('create: temp files under ' + (process.env.BENCH_TMPDIR ?? 'the OS temp dir'));
await bench('full');
await bench('normal');
