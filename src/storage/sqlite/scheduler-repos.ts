import type Database from 'better-sqlite3';
import type { KeyScanPage, NoticeKind, SchedulerRepo } from '../../core/ports/store.ts';
import { BEFORE_ALL_IDS, clampLimit, keyFromRow, type KeyRow } from '../common/rows.ts';

type Params = Record<string, string | number | null>;
type Exec = <T>(op: () => T) => Promise<T>;

interface LeaseRow {
  name: string;
  holder: string;
  expires_at: number;
}

interface NoticeRow {
  key_id: string;
  kind: string;
  period: number;
  workspace_id: string;
  at: number;
}

const parseJson = (value: unknown): unknown => JSON.parse(value as string);

/** Keys a scan may act on: active and not replaced by a rotation. */
const LIVE = "status = 'active' AND replaced_by_id IS NULL";

/** Prepared statements of the scheduler tables; prepare after migrating. */
export function prepareSchedulerStatements(db: Database.Database) {
  return {
    // The upsert's WHERE lets it through only for a free, expired or own lease; RETURNING gives a
    // row only when it went through. One statement on the one connection: atomic.
    acquireLease: db.prepare<[Params], { holder: string }>(
      `INSERT INTO scheduler_leases (name, holder, expires_at) VALUES (@name, @holder, @expires_at)
       ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
       WHERE scheduler_leases.holder = excluded.holder OR scheduler_leases.expires_at <= @now
       RETURNING holder`,
    ),
    releaseLease: db.prepare<[string, string]>('DELETE FROM scheduler_leases WHERE name = ? AND holder = ?'),
    findLease: db.prepare<[string], LeaseRow>('SELECT * FROM scheduler_leases WHERE name = ?'),
    recordNotice: db.prepare<[Params]>(
      `INSERT INTO scheduler_notices (key_id, kind, period, workspace_id, at) VALUES (@key_id, @kind, @period, @workspace_id, @at)
       ON CONFLICT (key_id, kind, period) DO NOTHING`,
    ),
    notices: db.prepare<[string, string], NoticeRow>('SELECT * FROM scheduler_notices WHERE kind = ? AND key_id IN (SELECT value FROM json_each(?)) ORDER BY key_id, period'),
    keysWithRotation: db.prepare<[string, number], KeyRow>(`SELECT * FROM api_keys WHERE rotation IS NOT NULL AND ${LIVE} AND id > ? ORDER BY id LIMIT ?`),
    keysExpiringBetween: db.prepare<[number, number, string, number], KeyRow>(
      `SELECT * FROM api_keys WHERE expires_at > ? AND expires_at <= ? AND status <> 'revoked' AND replaced_by_id IS NULL AND id > ? ORDER BY id LIMIT ?`,
    ),
    // A JSON null (no quota) extracts as SQL NULL.
    keysWithCredits: db.prepare<[string, number], KeyRow>(`SELECT * FROM api_keys WHERE json_extract(enforcement, '$.credits') IS NOT NULL AND ${LIVE} AND id > ? ORDER BY id LIMIT ?`),
    keysWithAnyScope: db.prepare<[string, string, number], KeyRow>(
      `SELECT * FROM api_keys WHERE EXISTS (SELECT 1 FROM json_each(api_keys.scopes) s WHERE s.value IN (SELECT value FROM json_each(?)))
       AND ${LIVE} AND id > ? ORDER BY id LIMIT ?`,
    ),
  };
}

export type SchedulerStatements = ReturnType<typeof prepareSchedulerStatements>;

const after = (page: KeyScanPage): string => page.afterId ?? BEFORE_ALL_IDS;

/** Scheduler repos on SQLite. */
export function makeSqliteSchedulerRepos(s: SchedulerStatements, exec: Exec): { scheduler: SchedulerRepo } {
  const scheduler: SchedulerRepo = {
    acquireLease: (name, holder, now, expiresAt) => exec(() => s.acquireLease.get({ name, holder, now, expires_at: expiresAt }) !== undefined),
    releaseLease: (name, holder) => exec(() => s.releaseLease.run(name, holder).changes === 1),
    findLease: (name) =>
      exec(() => {
        const row = s.findLease.get(name);
        return row === undefined ? null : { name: row.name, holder: row.holder, expiresAt: row.expires_at };
      }),
    recordNotice: (n) => exec(() => s.recordNotice.run({ key_id: n.keyId, kind: n.kind, period: n.period, workspace_id: n.workspaceId, at: n.at }).changes === 1),
    notices: (keyIds, kind) =>
      exec(() =>
        keyIds.length === 0
          ? []
          : s.notices.all(kind, JSON.stringify(keyIds)).map((r) => ({ keyId: r.key_id, kind: r.kind as NoticeKind, period: r.period, workspaceId: r.workspace_id, at: r.at })),
      ),
    keysWithRotation: (page) => exec(() => s.keysWithRotation.all(after(page), clampLimit(page.limit)).map((r) => keyFromRow(r, parseJson))),
    keysExpiringBetween: (from, to, page) => exec(() => s.keysExpiringBetween.all(from, to, after(page), clampLimit(page.limit)).map((r) => keyFromRow(r, parseJson))),
    keysWithCredits: (page) => exec(() => s.keysWithCredits.all(after(page), clampLimit(page.limit)).map((r) => keyFromRow(r, parseJson))),
    keysWithAnyScope: (scopes, page) => exec(() => s.keysWithAnyScope.all(JSON.stringify(scopes), after(page), clampLimit(page.limit)).map((r) => keyFromRow(r, parseJson))),
  };
  return { scheduler };
}
