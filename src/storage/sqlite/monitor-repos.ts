import type Database from 'better-sqlite3';
import type { Statement } from 'better-sqlite3';
import type { AlertRepo, OwnerRepo, UsageRepo } from '../../core/ports/store.ts';
import { clampLimit } from '../common/rows.ts';
import {
  alertFromRow,
  lastUseFromRow,
  latestPerKey,
  offboardedFromRow,
  orNone,
  severityRankSql,
  scopeUseFromRow,
  usageSeriesFromRow,
  type AlertRow,
  type LastUseRow,
  type OffboardedRow,
  type ScopeUseDbRow,
  type UsageSeriesDbRow,
} from '../common/monitor-rows.ts';

type Params = Record<string, string | number | null>;
type Exec = <T>(op: () => T) => Promise<T>;

const parseJson = (value: unknown): unknown => JSON.parse(value as string);

/** Prepared statements of the monitor tables; prepare after migrating. */
export function prepareMonitorStatements(db: Database.Database) {
  const cache = new Map<string, Statement<[Params], AlertRow>>();
  return {
    addBucket: db.prepare<[Params]>(
      `INSERT INTO usage_buckets (workspace_id, key_id, minute, route, code, country, scope, count)
       VALUES (@workspace_id, @key_id, @minute, @route, @code, @country, @scope, @count)
       ON CONFLICT (workspace_id, key_id, minute, route, code, country, scope) DO UPDATE SET count = count + excluded.count`,
    ),
    // The primary key starts (workspace_id, key_id, minute): one index range per key.
    scopeUse: db.prepare<[Params], ScopeUseDbRow>(
      `SELECT key_id, scope, SUM(count) AS count FROM usage_buckets
       WHERE workspace_id = @workspace_id AND key_id IN (SELECT value FROM json_each(@key_ids)) AND minute >= @since AND code = 'VALID' AND scope <> ''
       GROUP BY key_id, scope ORDER BY key_id, scope`,
    ),
    series: db.prepare<[Params], UsageSeriesDbRow>(
      `SELECT minute - (minute % @bucket) AS start, route, code, country, SUM(count) AS count FROM usage_buckets
       WHERE workspace_id = @workspace_id AND key_id = @key_id AND minute >= @from AND minute < @to
       GROUP BY start, route, code, country ORDER BY start, route, code, country`,
    ),
    recordLastUse: db.prepare<[Params]>(
      `INSERT INTO key_last_use (key_id, workspace_id, at, ip, country) VALUES (@key_id, @workspace_id, @at, @ip, @country)
       ON CONFLICT (key_id) DO UPDATE SET workspace_id = excluded.workspace_id, at = excluded.at, ip = excluded.ip, country = excluded.country
       WHERE excluded.at > key_last_use.at`,
    ),
    lastUse: db.prepare<[string], LastUseRow>('SELECT * FROM key_last_use WHERE key_id IN (SELECT value FROM json_each(?))'),
    prune: db.prepare<[number]>('DELETE FROM usage_buckets WHERE minute < ?'),

    raise: db.prepare<[Params], AlertRow>(
      `INSERT INTO alerts (id, workspace_id, type, severity, status, key_id, dedupe_key, summary, evidence, occurrences,
         first_seen_at, last_seen_at, created_at, updated_at, acknowledged_at, acknowledged_by, resolved_at, resolved_by, note)
       VALUES (@id, @workspace_id, @type, @severity, @status, @key_id, @dedupe_key, @summary, @evidence, @occurrences,
         @first_seen_at, @last_seen_at, @created_at, @updated_at, NULL, NULL, NULL, NULL, NULL)
       ON CONFLICT (workspace_id, dedupe_key) WHERE status <> 'resolved' DO UPDATE SET
         occurrences = alerts.occurrences + excluded.occurrences,
         last_seen_at = MAX(alerts.last_seen_at, excluded.last_seen_at),
         evidence = excluded.evidence,
         summary = excluded.summary,
         severity = CASE WHEN ${severityRankSql('excluded.severity')} > ${severityRankSql('alerts.severity')} THEN excluded.severity ELSE alerts.severity END,
         updated_at = excluded.updated_at
       RETURNING *`,
    ),
    findAlert: db.prepare<[string, string], AlertRow>('SELECT * FROM alerts WHERE id = ? AND workspace_id = ?'),
    acknowledge: db.prepare<[Params], AlertRow>(
      `UPDATE alerts SET status = 'acknowledged', acknowledged_at = @at, acknowledged_by = @by, updated_at = @at, note = COALESCE(@note, note)
       WHERE id = @id AND workspace_id = @workspace_id AND status IN (SELECT value FROM json_each(@from)) RETURNING *`,
    ),
    resolve: db.prepare<[Params], AlertRow>(
      `UPDATE alerts SET status = 'resolved', resolved_at = @at, resolved_by = @by, updated_at = @at, note = COALESCE(@note, note)
       WHERE id = @id AND workspace_id = @workspace_id AND status IN (SELECT value FROM json_each(@from)) RETURNING *`,
    ),
    /** One statement per filter shape, prepared on first use (so each uses its index). */
    alertList: (sql: string): Statement<[Params], AlertRow> => {
      let stmt = cache.get(sql);
      if (stmt === undefined) {
        stmt = db.prepare<[Params], AlertRow>(sql);
        cache.set(sql, stmt);
      }
      return stmt;
    },

    offboard: db.prepare<[Params]>(
      `INSERT INTO offboarded_owners (workspace_id, owner_id, offboarded_at, reason, offboarded_by)
       VALUES (@workspace_id, @owner_id, @offboarded_at, @reason, @offboarded_by) ON CONFLICT DO NOTHING`,
    ),
    findOwner: db.prepare<[string, string], OffboardedRow>('SELECT * FROM offboarded_owners WHERE workspace_id = ? AND owner_id = ?'),
    reinstate: db.prepare<[string, string]>('DELETE FROM offboarded_owners WHERE workspace_id = ? AND owner_id = ?'),
    listOffboarded: db.prepare<[string, string, number], OffboardedRow>(
      'SELECT * FROM offboarded_owners WHERE workspace_id = ? AND owner_id > ? ORDER BY owner_id LIMIT ?',
    ),
    allOffboarded: db.prepare<[number], OffboardedRow>('SELECT * FROM offboarded_owners ORDER BY workspace_id, owner_id LIMIT ?'),
  };
}

export type MonitorStatements = ReturnType<typeof prepareMonitorStatements>;

/** Usage, alert and owner repos on SQLite. */
export function makeSqliteMonitorRepos(s: MonitorStatements, exec: Exec): { usage: UsageRepo; alerts: AlertRepo; owners: OwnerRepo } {
  const usage: UsageRepo = {
    addBuckets: (rows) =>
      exec(() => {
        for (const r of rows) {
          s.addBucket.run({ workspace_id: r.workspaceId, key_id: orNone(r.keyId), minute: r.minute, route: r.route, code: r.code, country: orNone(r.country), scope: orNone(r.scope), count: r.count });
        }
      }),
    series: (workspaceId, q) =>
      exec(() => s.series.all({ workspace_id: workspaceId, key_id: q.keyId, from: q.from, to: q.to, bucket: q.bucketMs }).map(usageSeriesFromRow)),
    recordLastUse: (rows) =>
      exec(() => {
        for (const r of latestPerKey(rows)) s.recordLastUse.run({ key_id: r.keyId, workspace_id: r.workspaceId, at: r.at, ip: r.ip, country: r.country });
      }),
    lastUse: (keyIds) => exec(() => (keyIds.length === 0 ? [] : s.lastUse.all(JSON.stringify(keyIds)).map(lastUseFromRow))),
    scopeUse: (workspaceId, keyIds, since) =>
      exec(() => (keyIds.length === 0 ? [] : s.scopeUse.all({ workspace_id: workspaceId, key_ids: JSON.stringify(keyIds), since }).map(scopeUseFromRow))),
    pruneBefore: (minute) => exec(() => s.prune.run(minute).changes),
  };

  const alerts: AlertRepo = {
    raise: (a) =>
      exec(() => {
        const row = s.raise.get({
          id: a.id,
          workspace_id: a.workspaceId,
          type: a.type,
          severity: a.severity,
          status: a.status,
          key_id: a.keyId,
          dedupe_key: a.dedupeKey,
          summary: a.summary,
          evidence: JSON.stringify(a.evidence),
          occurrences: a.occurrences,
          first_seen_at: a.firstSeenAt,
          last_seen_at: a.lastSeenAt,
          created_at: a.createdAt,
          updated_at: a.updatedAt,
        });
        if (row === undefined) throw new Error('alerts upsert returned no row');
        return { alert: alertFromRow(row, parseJson), created: row.id === a.id };
      }),
    findById: (workspaceId, id) =>
      exec(() => {
        const row = s.findAlert.get(id, workspaceId);
        return row ? alertFromRow(row, parseJson) : null;
      }),
    transition: (workspaceId, id, from, t) =>
      exec(() => {
        const stmt = t.status === 'acknowledged' ? s.acknowledge : s.resolve;
        const row = stmt.get({ id, workspace_id: workspaceId, from: JSON.stringify(from), at: t.at, by: t.by, note: t.note });
        return row ? alertFromRow(row, parseJson) : null;
      }),
    list: (workspaceId, f) =>
      exec(() => {
        const where = ['workspace_id = @workspace_id'];
        const params: Params = { workspace_id: workspaceId, limit: clampLimit(f.limit) };
        const add = (clause: string, name: string, value: string | undefined): void => {
          if (value === undefined) return;
          where.push(clause);
          params[name] = value;
        };
        add('status = @status', 'status', f.status);
        add('severity = @severity', 'severity', f.severity);
        add('type = @type', 'type', f.type);
        add('key_id = @key_id', 'key_id', f.keyId);
        add('id < @before_id', 'before_id', f.beforeId);
        const sql = `SELECT * FROM alerts WHERE ${where.join(' AND ')} ORDER BY id DESC LIMIT @limit`;
        return s.alertList(sql).all(params).map((row) => alertFromRow(row, parseJson));
      }),
  };

  const owners: OwnerRepo = {
    offboard: (r) =>
      exec(() => s.offboard.run({ workspace_id: r.workspaceId, owner_id: r.ownerId, offboarded_at: r.offboardedAt, reason: r.reason, offboarded_by: r.by }).changes === 1),
    find: (workspaceId, ownerId) =>
      exec(() => {
        const row = s.findOwner.get(workspaceId, ownerId);
        return row ? offboardedFromRow(row) : null;
      }),
    reinstate: (workspaceId, ownerId) => exec(() => s.reinstate.run(workspaceId, ownerId).changes === 1),
    listOffboarded: (workspaceId, page) => exec(() => s.listOffboarded.all(workspaceId, page.afterOwnerId ?? '', clampLimit(page.limit)).map(offboardedFromRow)),
    allOffboarded: (limit) => exec(() => s.allOffboarded.all(clampLimit(limit)).map(offboardedFromRow)),
  };

  return { usage, alerts, owners };
}
