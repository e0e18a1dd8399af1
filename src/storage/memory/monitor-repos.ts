import type { AlertRecord, AlertRepo, AlertSeverity, KeyLastUse, OffboardedOwner, OwnerRepo, UsageBucketRow, UsageRepo, UsageSeriesRow } from '../../core/ports/store.ts';
import type { KeyScopeUse } from '../../core/ports/monitor-store.ts';
import { clampLimit } from '../common/rows.ts';
import { JournaledMap, type Journal } from './journal.ts';

/** The monitor part of the memory store's state; journaled, so rollbacks undo it. */
export interface MonitorState {
  buckets: Map<string, UsageBucketRow>;
  lastUse: Map<string, KeyLastUse>;
  alerts: Map<string, AlertRecord>;
  /** `workspace \0 dedupeKey` → id of the unresolved alert (the SQL adapters' partial unique index). */
  unresolved: Map<string, string>;
  owners: Map<string, OffboardedOwner>;
  workspaceExists: (id: string) => boolean;
}

export function createMonitorState(journal: Journal, workspaceExists: (id: string) => boolean): MonitorState {
  return { buckets: new JournaledMap(journal), lastUse: new JournaledMap(journal), alerts: new JournaledMap(journal), unresolved: new JournaledMap(journal), owners: new JournaledMap(journal), workspaceExists };
}

type Exec = <T>(op: (state: MonitorState) => T) => Promise<T>;

const RANK: Record<AlertSeverity, number> = { low: 1, medium: 2, high: 3, critical: 4 };
const bucketKey = (r: UsageBucketRow): string => [r.workspaceId, r.keyId ?? '', r.minute, r.route, r.code, r.country ?? '', r.scope ?? ''].join('\u0000');
const pair = (a: string, b: string): string => `${a}\u0000${b}`;
const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
const copyAlert = (a: AlertRecord): AlertRecord => ({ ...a, evidence: structuredClone(a.evidence) });

function fkError(): Error {
  return new Error('FOREIGN KEY constraint failed (memory store)');
}

/** Usage, alert and owner repos of the memory store, with the SQL adapters' constraints. */
export function makeMemoryMonitorRepos(exec: Exec): { usage: UsageRepo; alerts: AlertRepo; owners: OwnerRepo } {
  const usage: UsageRepo = {
    addBuckets: (rows) =>
      exec((s) => {
        for (const r of rows) {
          const k = bucketKey(r);
          const cur = s.buckets.get(k);
          s.buckets.set(k, { ...r, count: (cur?.count ?? 0) + r.count });
        }
      }),
    series: (workspaceId, q) =>
      exec((s) => {
        const sums = new Map<string, UsageSeriesRow>();
        for (const r of s.buckets.values()) {
          if (r.workspaceId !== workspaceId || r.keyId !== q.keyId || r.minute < q.from || r.minute >= q.to) continue;
          const start = r.minute - (r.minute % q.bucketMs);
          const k = [start, r.route, r.code, r.country ?? ''].join('\u0000');
          const cur = sums.get(k);
          if (cur === undefined) sums.set(k, { start, route: r.route, code: r.code, country: r.country, count: r.count });
          else cur.count += r.count;
        }
        return [...sums.values()].sort((a, b) => a.start - b.start || cmp(a.route, b.route) || cmp(a.code, b.code) || cmp(a.country ?? '', b.country ?? ''));
      }),
    recordLastUse: (rows) =>
      exec((s) => {
        for (const r of rows) {
          const cur = s.lastUse.get(r.keyId);
          if (cur === undefined || r.at > cur.at) s.lastUse.set(r.keyId, { ...r });
        }
      }),
    lastUse: (keyIds) =>
      exec((s) => keyIds.flatMap((id) => {
        const r = s.lastUse.get(id);
        return r === undefined ? [] : [{ ...r }];
      })),
    scopeUse: (workspaceId, keyIds, since) =>
      exec((s) => {
        const wanted = new Set(keyIds);
        const sums = new Map<string, KeyScopeUse>();
        for (const r of s.buckets.values()) {
          if (r.workspaceId !== workspaceId || r.keyId === null || !wanted.has(r.keyId) || r.minute < since || r.code !== 'VALID' || r.scope === null) continue;
          const k = pair(r.keyId, r.scope);
          const cur = sums.get(k);
          if (cur === undefined) sums.set(k, { keyId: r.keyId, scope: r.scope, count: r.count });
          else cur.count += r.count;
        }
        return [...sums.values()].sort((a, b) => cmp(a.keyId, b.keyId) || cmp(a.scope, b.scope));
      }),
    pruneBefore: (minute) =>
      exec((s) => {
        let n = 0;
        for (const [k, r] of [...s.buckets.entries()]) {
          if (r.minute < minute) {
            s.buckets.delete(k);
            n += 1;
          }
        }
        return n;
      }),
  };

  const alerts: AlertRepo = {
    raise: (alert) =>
      exec((s) => {
        if (!s.workspaceExists(alert.workspaceId)) throw fkError();
        const dk = pair(alert.workspaceId, alert.dedupeKey);
        const openId = s.unresolved.get(dk);
        const open = openId === undefined ? undefined : s.alerts.get(openId);
        if (open === undefined) {
          if (s.alerts.has(alert.id)) throw new Error('UNIQUE constraint failed: alerts.id (memory store)');
          s.alerts.set(alert.id, copyAlert(alert));
          s.unresolved.set(dk, alert.id);
          return { alert: copyAlert(alert), created: true };
        }
        const next: AlertRecord = {
          ...open,
          occurrences: open.occurrences + alert.occurrences,
          lastSeenAt: Math.max(open.lastSeenAt, alert.lastSeenAt),
          evidence: structuredClone(alert.evidence),
          summary: alert.summary,
          severity: RANK[alert.severity] > RANK[open.severity] ? alert.severity : open.severity,
          updatedAt: alert.updatedAt,
        };
        s.alerts.set(open.id, next);
        return { alert: copyAlert(next), created: false };
      }),
    findById: (workspaceId, id) =>
      exec((s) => {
        const a = s.alerts.get(id);
        return a !== undefined && a.workspaceId === workspaceId ? copyAlert(a) : null;
      }),
    transition: (workspaceId, id, from, t) =>
      exec((s) => {
        const a = s.alerts.get(id);
        if (a === undefined || a.workspaceId !== workspaceId || !from.includes(a.status)) return null;
        const next: AlertRecord = { ...a, status: t.status, updatedAt: t.at, note: t.note ?? a.note };
        if (t.status === 'acknowledged') {
          next.acknowledgedAt = t.at;
          next.acknowledgedBy = t.by;
        } else {
          next.resolvedAt = t.at;
          next.resolvedBy = t.by;
          s.unresolved.delete(pair(a.workspaceId, a.dedupeKey));
        }
        s.alerts.set(id, next);
        return copyAlert(next);
      }),
    list: (workspaceId, f) =>
      exec((s) =>
        [...s.alerts.values()]
          .filter(
            (a) =>
              a.workspaceId === workspaceId &&
              (f.status === undefined || a.status === f.status) &&
              (f.severity === undefined || a.severity === f.severity) &&
              (f.type === undefined || a.type === f.type) &&
              (f.keyId === undefined || a.keyId === f.keyId) &&
              (f.beforeId === undefined || a.id < f.beforeId),
          )
          .sort((a, b) => cmp(b.id, a.id))
          .slice(0, clampLimit(f.limit))
          .map(copyAlert),
      ),
  };

  const owners: OwnerRepo = {
    offboard: (r) =>
      exec((s) => {
        if (!s.workspaceExists(r.workspaceId)) throw fkError();
        const k = pair(r.workspaceId, r.ownerId);
        if (s.owners.has(k)) return false;
        s.owners.set(k, { ...r });
        return true;
      }),
    find: (workspaceId, ownerId) =>
      exec((s) => {
        const o = s.owners.get(pair(workspaceId, ownerId));
        return o === undefined ? null : { ...o };
      }),
    reinstate: (workspaceId, ownerId) => exec((s) => s.owners.delete(pair(workspaceId, ownerId))),
    listOffboarded: (workspaceId, page) =>
      exec((s) =>
        [...s.owners.values()]
          .filter((o) => o.workspaceId === workspaceId && (page.afterOwnerId === undefined || o.ownerId > page.afterOwnerId))
          .sort((a, b) => cmp(a.ownerId, b.ownerId))
          .slice(0, clampLimit(page.limit))
          .map((o) => ({ ...o })),
      ),
    allOffboarded: (limit) =>
      exec((s) => [...s.owners.values()].sort((a, b) => cmp(a.workspaceId, b.workspaceId) || cmp(a.ownerId, b.ownerId)).slice(0, limit).map((o) => ({ ...o }))),
  };

  return { usage, alerts, owners };
}
