import type { QueryResultRow } from 'pg';
import type { AlertRepo, OwnerRepo, UsageRepo } from '../../core/ports/store.ts';
import { clampLimit } from '../common/rows.ts';
import {
  alertFromRow,
  chunks,
  lastUseFromRow,
  latestPerKey,
  offboardedFromRow,
  orNone,
  severityRankSql,
  scopeUseFromRow,
  usageSeriesFromRow,
  MAX_IDS_PER_QUERY,
  type AlertRow,
  type LastUseRow,
  type OffboardedRow,
  type ScopeUseDbRow,
  type UsageSeriesDbRow,
} from '../common/monitor-rows.ts';

/** Runs one statement and returns its rows (the store's pooled or transaction runner). */
type Run = <R extends QueryResultRow>(text: string, values: unknown[]) => Promise<R[]>;

const asIs = (value: unknown): unknown => value;
/** Rows per multi-row statement: one round trip each, well under the parameter and memory limits. */
const ROWS_PER_STATEMENT = 2000;

const ADD_BUCKETS = `INSERT INTO usage_buckets (workspace_id, key_id, minute, route, code, country, scope, count)
  SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::text[], $5::text[], $6::text[], $7::text[], $8::bigint[])
  ON CONFLICT (workspace_id, key_id, minute, route, code, country, scope) DO UPDATE SET count = usage_buckets.count + excluded.count`;

// The primary key starts (workspace_id, key_id, minute): one index range per key.
const SCOPE_USE = `SELECT key_id, scope, SUM(count) AS count FROM usage_buckets
  WHERE workspace_id = $1 AND key_id = ANY($2::text[]) AND minute >= $3 AND code = 'VALID' AND scope <> ''
  GROUP BY key_id, scope ORDER BY key_id, scope`;

const RECORD_LAST_USE = `INSERT INTO key_last_use (key_id, workspace_id, at, ip, country)
  SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::text[], $5::text[])
  ON CONFLICT (key_id) DO UPDATE SET workspace_id = excluded.workspace_id, at = excluded.at, ip = excluded.ip, country = excluded.country
  WHERE excluded.at > key_last_use.at`;

const RAISE = `INSERT INTO alerts (id, workspace_id, type, severity, status, key_id, dedupe_key, summary, evidence, occurrences,
    first_seen_at, last_seen_at, created_at, updated_at)
  VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::jsonb, $10, $11, $12, $13, $14)
  ON CONFLICT (workspace_id, dedupe_key) WHERE status <> 'resolved' DO UPDATE SET
    occurrences = alerts.occurrences + excluded.occurrences,
    last_seen_at = GREATEST(alerts.last_seen_at, excluded.last_seen_at),
    evidence = excluded.evidence,
    summary = excluded.summary,
    severity = CASE WHEN ${severityRankSql('excluded.severity')} > ${severityRankSql('alerts.severity')} THEN excluded.severity ELSE alerts.severity END,
    updated_at = excluded.updated_at
  RETURNING *`;

/** Usage, alert and owner repos on PostgreSQL. */
export function makePostgresMonitorRepos(run: Run): { usage: UsageRepo; alerts: AlertRepo; owners: OwnerRepo } {
  const usage: UsageRepo = {
    addBuckets: async (rows) => {
      for (const part of chunks(rows, ROWS_PER_STATEMENT)) {
        await run(ADD_BUCKETS, [
          part.map((r) => r.workspaceId),
          part.map((r) => orNone(r.keyId)),
          part.map((r) => r.minute),
          part.map((r) => r.route),
          part.map((r) => r.code),
          part.map((r) => orNone(r.country)),
          part.map((r) => orNone(r.scope)),
          part.map((r) => r.count),
        ]);
      }
    },
    series: async (workspaceId, q) =>
      (
        await run<UsageSeriesDbRow>(
          `SELECT minute - (minute % $5::bigint) AS start, route, code, country, SUM(count) AS count FROM usage_buckets
           WHERE workspace_id = $1 AND key_id = $2 AND minute >= $3 AND minute < $4
           GROUP BY 1, route, code, country ORDER BY 1, route, code, country`,
          [workspaceId, q.keyId, q.from, q.to, q.bucketMs],
        )
      ).map(usageSeriesFromRow),
    recordLastUse: async (rows) => {
      for (const part of chunks(latestPerKey(rows), ROWS_PER_STATEMENT)) {
        await run(RECORD_LAST_USE, [part.map((r) => r.keyId), part.map((r) => r.workspaceId), part.map((r) => r.at), part.map((r) => r.ip), part.map((r) => r.country)]);
      }
    },
    lastUse: async (keyIds) => {
      const out = [];
      for (const part of chunks(keyIds, MAX_IDS_PER_QUERY)) out.push(...(await run<LastUseRow>('SELECT * FROM key_last_use WHERE key_id = ANY($1::text[])', [part])).map(lastUseFromRow));
      return out;
    },
    scopeUse: async (workspaceId, keyIds, since) => {
      const out = [];
      for (const part of chunks(keyIds, MAX_IDS_PER_QUERY)) out.push(...(await run<ScopeUseDbRow>(SCOPE_USE, [workspaceId, part, since])).map(scopeUseFromRow));
      return out;
    },
    pruneBefore: async (minute) => (await run<{ one: number }>('DELETE FROM usage_buckets WHERE minute < $1 RETURNING 1 AS one', [minute])).length,
  };

  const alerts: AlertRepo = {
    raise: async (a) => {
      const [row] = await run<AlertRow>(RAISE, [
        a.id,
        a.workspaceId,
        a.type,
        a.severity,
        a.status,
        a.keyId,
        a.dedupeKey,
        a.summary,
        JSON.stringify(a.evidence),
        a.occurrences,
        a.firstSeenAt,
        a.lastSeenAt,
        a.createdAt,
        a.updatedAt,
      ]);
      if (row === undefined) throw new Error('alerts upsert returned no row');
      return { alert: alertFromRow(row, asIs), created: row.id === a.id };
    },
    findById: async (workspaceId, id) => {
      const [row] = await run<AlertRow>('SELECT * FROM alerts WHERE id = $1 AND workspace_id = $2', [id, workspaceId]);
      return row ? alertFromRow(row, asIs) : null;
    },
    transition: async (workspaceId, id, from, t) => {
      const set = t.status === 'acknowledged' ? 'acknowledged_at = $4, acknowledged_by = $5' : 'resolved_at = $4, resolved_by = $5';
      const [row] = await run<AlertRow>(
        `UPDATE alerts SET status = $3, ${set}, updated_at = $4, note = COALESCE($6, note)
         WHERE id = $1 AND workspace_id = $2 AND status = ANY($7::text[]) RETURNING *`,
        [id, workspaceId, t.status, t.at, t.by, t.note, [...from]],
      );
      return row ? alertFromRow(row, asIs) : null;
    },
    list: async (workspaceId, f) => {
      const values: unknown[] = [workspaceId];
      const where = ['workspace_id = $1'];
      const add = (clause: string, value: string | undefined): void => {
        if (value === undefined) return;
        values.push(value);
        where.push(clause.replace('?', `$${values.length}`));
      };
      add('status = ?', f.status);
      add('severity = ?', f.severity);
      add('type = ?', f.type);
      add('key_id = ?', f.keyId);
      add('id < ?', f.beforeId);
      values.push(clampLimit(f.limit));
      return (await run<AlertRow>(`SELECT * FROM alerts WHERE ${where.join(' AND ')} ORDER BY id DESC LIMIT $${values.length}`, values)).map((row) => alertFromRow(row, asIs));
    },
  };

  const owners: OwnerRepo = {
    offboard: async (r) =>
      (
        await run<{ one: number }>(
          `INSERT INTO offboarded_owners (workspace_id, owner_id, offboarded_at, reason, offboarded_by) VALUES ($1, $2, $3, $4, $5)
           ON CONFLICT DO NOTHING RETURNING 1 AS one`,
          [r.workspaceId, r.ownerId, r.offboardedAt, r.reason, r.by],
        )
      ).length === 1,
    find: async (workspaceId, ownerId) => {
      const [row] = await run<OffboardedRow>('SELECT * FROM offboarded_owners WHERE workspace_id = $1 AND owner_id = $2', [workspaceId, ownerId]);
      return row ? offboardedFromRow(row) : null;
    },
    reinstate: async (workspaceId, ownerId) => (await run<{ one: number }>('DELETE FROM offboarded_owners WHERE workspace_id = $1 AND owner_id = $2 RETURNING 1 AS one', [workspaceId, ownerId])).length === 1,
    listOffboarded: async (workspaceId, page) =>
      (await run<OffboardedRow>('SELECT * FROM offboarded_owners WHERE workspace_id = $1 AND owner_id > $2 ORDER BY owner_id LIMIT $3', [workspaceId, page.afterOwnerId ?? '', clampLimit(page.limit)])).map(offboardedFromRow),
    allOffboarded: async (limit) => (await run<OffboardedRow>('SELECT * FROM offboarded_owners ORDER BY workspace_id, owner_id LIMIT $1', [clampLimit(limit)])).map(offboardedFromRow),
  };

  return { usage, alerts, owners };
}
