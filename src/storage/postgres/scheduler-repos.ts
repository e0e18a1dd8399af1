import type { QueryResultRow } from 'pg';
import type { KeyScanPage, NoticeKind, SchedulerRepo } from '../../core/ports/store.ts';
import { BEFORE_ALL_IDS, clampLimit, keyFromRow, type KeyRow } from '../common/rows.ts';

/** Runs one statement and returns its rows (the store's pooled or transaction runner). */
type Run = <R extends QueryResultRow>(text: string, values: unknown[]) => Promise<R[]>;

const asIs = (value: unknown): unknown => value;

/** Keys a scan may act on: active and not replaced by a rotation. */
const LIVE = "status = 'active' AND replaced_by_id IS NULL";

// A conflicting insert waits for the row's lock and then evaluates the WHERE against the committed
// row, so of two nodes racing for a free lease exactly one gets a row back.
const ACQUIRE_LEASE = `INSERT INTO scheduler_leases (name, holder, expires_at) VALUES ($1, $2, $4)
  ON CONFLICT (name) DO UPDATE SET holder = EXCLUDED.holder, expires_at = EXCLUDED.expires_at
  WHERE scheduler_leases.holder = EXCLUDED.holder OR scheduler_leases.expires_at <= $3
  RETURNING holder`;

const after = (page: KeyScanPage): string => page.afterId ?? BEFORE_ALL_IDS;

/** Scheduler repos on PostgreSQL. */
export function makePostgresSchedulerRepos(run: Run): { scheduler: SchedulerRepo } {
  const keys = async (sql: string, values: unknown[]) => (await run<KeyRow>(sql, values)).map((r) => keyFromRow(r, asIs));
  const scheduler: SchedulerRepo = {
    acquireLease: async (name, holder, now, expiresAt) => (await run<{ holder: string }>(ACQUIRE_LEASE, [name, holder, now, expiresAt])).length === 1,
    releaseLease: async (name, holder) => (await run<{ name: string }>('DELETE FROM scheduler_leases WHERE name = $1 AND holder = $2 RETURNING name', [name, holder])).length === 1,
    findLease: async (name) => {
      const [row] = await run<{ name: string; holder: string; expires_at: number }>('SELECT * FROM scheduler_leases WHERE name = $1', [name]);
      return row === undefined ? null : { name: row.name, holder: row.holder, expiresAt: row.expires_at };
    },
    recordNotice: async (n) =>
      (
        await run<{ key_id: string }>(
          'INSERT INTO scheduler_notices (key_id, kind, period, workspace_id, at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (key_id, kind, period) DO NOTHING RETURNING key_id',
          [n.keyId, n.kind, n.period, n.workspaceId, n.at],
        )
      ).length === 1,
    notices: async (keyIds, kind) =>
      keyIds.length === 0
        ? []
        : (
            await run<{ key_id: string; kind: string; period: number; workspace_id: string; at: number }>(
              'SELECT * FROM scheduler_notices WHERE kind = $1 AND key_id = ANY ($2::text[]) ORDER BY key_id, period',
              [kind, [...keyIds]],
            )
          ).map((r) => ({ keyId: r.key_id, kind: r.kind as NoticeKind, period: r.period, workspaceId: r.workspace_id, at: r.at })),
    keysWithRotation: (page) => keys(`SELECT * FROM api_keys WHERE rotation IS NOT NULL AND ${LIVE} AND id > $1 ORDER BY id LIMIT $2`, [after(page), clampLimit(page.limit)]),
    keysExpiringBetween: (from, to, page) =>
      keys(`SELECT * FROM api_keys WHERE expires_at > $1 AND expires_at <= $2 AND status <> 'revoked' AND replaced_by_id IS NULL AND id > $3 ORDER BY id LIMIT $4`, [from, to, after(page), clampLimit(page.limit)]),
    keysWithCredits: (page) => keys(`SELECT * FROM api_keys WHERE jsonb_typeof(enforcement -> 'credits') = 'object' AND ${LIVE} AND id > $1 ORDER BY id LIMIT $2`, [after(page), clampLimit(page.limit)]),
    keysWithAnyScope: (scopes, page) => keys(`SELECT * FROM api_keys WHERE scopes ?| $1::text[] AND ${LIVE} AND id > $2 ORDER BY id LIMIT $3`, [[...scopes], after(page), clampLimit(page.limit)]),
  };
  return { scheduler };
}
