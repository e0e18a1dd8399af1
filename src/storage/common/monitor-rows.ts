import type { AlertRecord, AlertSeverity, AlertStatus, KeyLastUse, OffboardedOwner, UsageSeriesRow } from '../../core/ports/store.ts';
import type { KeyScopeUse } from '../../core/ports/monitor-store.ts';
import type { JsonDecoder } from './rows.ts';

/**
 * Row shapes of the monitor tables, shared by the SQL adapters. In usage rows an unknown key or
 * country is stored as '' (it is part of the primary key) and read back as null.
 */
export const NONE = '';

export const orNone = (v: string | null): string => v ?? NONE;
export const noneToNull = (v: string): string | null => (v === NONE ? null : v);

export interface UsageSeriesDbRow {
  start: number;
  route: string;
  code: string;
  country: string;
  count: number;
}

export function usageSeriesFromRow(r: UsageSeriesDbRow): UsageSeriesRow {
  return { start: Number(r.start), route: r.route, code: r.code, country: noneToNull(r.country), count: Number(r.count) };
}

export interface ScopeUseDbRow {
  key_id: string;
  scope: string;
  count: number | string;
}

export function scopeUseFromRow(r: ScopeUseDbRow): KeyScopeUse {
  return { keyId: r.key_id, scope: r.scope, count: Number(r.count) };
}

export interface LastUseRow {
  key_id: string;
  workspace_id: string;
  at: number;
  ip: string;
  country: string | null;
}

export function lastUseFromRow(r: LastUseRow): KeyLastUse {
  return { keyId: r.key_id, workspaceId: r.workspace_id, at: r.at, ip: r.ip, country: r.country };
}

export interface AlertRow {
  id: string;
  workspace_id: string;
  type: string;
  severity: string;
  status: string;
  key_id: string | null;
  dedupe_key: string;
  summary: string;
  evidence: unknown;
  occurrences: number;
  first_seen_at: number;
  last_seen_at: number;
  created_at: number;
  updated_at: number;
  acknowledged_at: number | null;
  acknowledged_by: string | null;
  resolved_at: number | null;
  resolved_by: string | null;
  note: string | null;
}

export function alertFromRow(r: AlertRow, json: JsonDecoder): AlertRecord {
  return {
    id: r.id,
    workspaceId: r.workspace_id,
    type: r.type,
    severity: r.severity as AlertSeverity,
    status: r.status as AlertStatus,
    keyId: r.key_id,
    dedupeKey: r.dedupe_key,
    summary: r.summary,
    evidence: json(r.evidence) as Record<string, unknown>,
    occurrences: r.occurrences,
    firstSeenAt: r.first_seen_at,
    lastSeenAt: r.last_seen_at,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    acknowledgedAt: r.acknowledged_at,
    acknowledgedBy: r.acknowledged_by,
    resolvedAt: r.resolved_at,
    resolvedBy: r.resolved_by,
    note: r.note,
  };
}

export interface OffboardedRow {
  workspace_id: string;
  owner_id: string;
  offboarded_at: number;
  reason: string | null;
  offboarded_by: string;
}

export function offboardedFromRow(r: OffboardedRow): OffboardedOwner {
  return { workspaceId: r.workspace_id, ownerId: r.owner_id, offboardedAt: r.offboarded_at, reason: r.reason, by: r.offboarded_by };
}

/** SQL rank of a severity, so an upsert keeps the higher of two. */
export function severityRankSql(column: string): string {
  return `(CASE ${column} WHEN 'low' THEN 1 WHEN 'medium' THEN 2 WHEN 'high' THEN 3 ELSE 4 END)`;
}

/** Caps the number of ids sent in one IN list. */
export const MAX_IDS_PER_QUERY = 500;

export function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** The latest use per key, so one statement never sees the same key twice. */
export function latestPerKey(rows: readonly KeyLastUse[]): KeyLastUse[] {
  const out = new Map<string, KeyLastUse>();
  for (const r of rows) {
    const cur = out.get(r.keyId);
    if (cur === undefined || r.at > cur.at) out.set(r.keyId, r);
  }
  return [...out.values()];
}
