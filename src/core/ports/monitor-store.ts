/**
 * Storage of the monitor (docs/decisions/0006-usage-and-detection.md): usage counts per minute,
 * each key's last use, alerts, and the owners marked as offboarded.
 */

/**
 * The scope of usage counted before scopes were (migration 010): successful uses whose scope is
 * not known. A key with such uses in a window cannot be judged over-privileged over it.
 */
export const SCOPE_NOT_RECORDED = '?';

/** Verifications counted in one minute for one (workspace, key, route, outcome code, country, scope). */
export interface UsageBucketRow {
  workspaceId: string;
  /** null: the key was not recognised (malformed or unknown). */
  keyId: string | null;
  /** Epoch ms of the start of the minute (UTC). */
  minute: number;
  route: string;
  code: string;
  /** ISO 3166-1 alpha-2, or null when the address was not located. */
  country: string | null;
  /**
   * The scope a successful verification exercised (the one the caller asked for); null when the
   * verification failed or named no scope. SCOPE_NOT_RECORDED for counts from before migration 010.
   */
  scope: string | null;
  count: number;
}

/** How often a key exercised one scope (successful verifications that named it) in a window. */
export interface KeyScopeUse {
  keyId: string;
  /** A scope name, or SCOPE_NOT_RECORDED for successful uses counted before scopes were. */
  scope: string;
  count: number;
}

/** The latest verification seen for a key. */
export interface KeyLastUse {
  keyId: string;
  workspaceId: string;
  at: number;
  ip: string;
  country: string | null;
}

/** One row of a usage series: the counts of a bucket of `bucketMs`, per route, code and country. */
export interface UsageSeriesRow {
  /** Epoch ms of the bucket start, a multiple of the bucket width (UTC-aligned). */
  start: number;
  route: string;
  code: string;
  country: string | null;
  count: number;
}

export interface UsageSeriesQuery {
  keyId: string;
  /** Inclusive, epoch ms. */
  from: number;
  /** Exclusive, epoch ms. */
  to: number;
  /** Bucket width: 60 000 (minute), 3 600 000 (hour) or 86 400 000 (day). */
  bucketMs: number;
}

export interface UsageRepo {
  /**
   * Adds counts to their minute buckets, creating missing ones. An atomic add in the database, so
   * nodes flushing the same bucket concurrently add up. Rows must be unique per bucket.
   */
  addBuckets(rows: readonly UsageBucketRow[]): Promise<void>;
  /** The key's counts from `from` to `to`, summed per bucket, route, code and country, in that order. */
  series(workspaceId: string, query: UsageSeriesQuery): Promise<UsageSeriesRow[]>;
  /** Moves each key's last use forward; an older time than the stored one changes nothing. */
  recordLastUse(rows: readonly KeyLastUse[]): Promise<void>;
  /** Last uses of the given keys (any workspace); keys never used are absent. */
  lastUse(keyIds: readonly string[]): Promise<KeyLastUse[]>;
  /**
   * The scopes the given keys of the workspace exercised from minute `since` on: successful
   * verifications per key and scope, summed over routes and countries. Uses that named no scope
   * are left out; counts from before scopes were recorded come back as SCOPE_NOT_RECORDED.
   */
  scopeUse(workspaceId: string, keyIds: readonly string[], since: number): Promise<KeyScopeUse[]>;
  /** Deletes the buckets of minutes before `minute`; returns how many went. */
  pruneBefore(minute: number): Promise<number>;
}

export const ALERT_SEVERITIES = ['low', 'medium', 'high', 'critical'] as const;
export type AlertSeverity = (typeof ALERT_SEVERITIES)[number];

export const ALERT_STATUSES = ['open', 'acknowledged', 'resolved'] as const;
export type AlertStatus = (typeof ALERT_STATUSES)[number];

/** A detector's finding as stored: deduplicated per (workspace, dedupeKey) while unresolved. */
export interface AlertRecord {
  id: string;
  workspaceId: string;
  /** The detector that raised it, e.g. `impossible-travel`. */
  type: string;
  severity: AlertSeverity;
  status: AlertStatus;
  keyId: string | null;
  /** Type and subject, e.g. `failed-verify-burst:ip:203.0.113.9`: one unresolved alert each. */
  dedupeKey: string;
  summary: string;
  /** Counts, addresses, countries and times behind the finding (the latest occurrence's). */
  evidence: Record<string, unknown>;
  /** How many times the finding was raised while this alert was unresolved. */
  occurrences: number;
  firstSeenAt: number;
  lastSeenAt: number;
  createdAt: number;
  updatedAt: number;
  acknowledgedAt: number | null;
  acknowledgedBy: string | null;
  resolvedAt: number | null;
  resolvedBy: string | null;
  /** What the person who acknowledged or resolved it wrote. */
  note: string | null;
}

export interface AlertFilter {
  status?: AlertStatus;
  severity?: AlertSeverity;
  type?: string;
  keyId?: string;
  /** Cursor: alerts created before this id (lists are newest first). */
  beforeId?: string;
  limit: number;
}

export interface AlertTransition {
  status: 'acknowledged' | 'resolved';
  at: number;
  /** Actor id (admin token). */
  by: string;
  note: string | null;
}

export interface AlertRepo {
  /**
   * Inserts `alert` unless an unresolved alert with the same (workspace, dedupeKey) exists; then
   * that one gains `alert.occurrences` more occurrences, the new lastSeenAt and evidence, and the higher severity. A
   * unique index makes this hold across nodes. Returns the stored alert and whether it is new.
   */
  raise(alert: AlertRecord): Promise<{ alert: AlertRecord; created: boolean }>;
  findById(workspaceId: string, id: string): Promise<AlertRecord | null>;
  /** Moves the alert to `t.status` only if its status is one of `from` (check-and-set); null otherwise. */
  transition(workspaceId: string, id: string, from: readonly AlertStatus[], t: AlertTransition): Promise<AlertRecord | null>;
  /** Newest first. */
  list(workspaceId: string, filter: AlertFilter): Promise<AlertRecord[]>;
}

/** A key owner (the `ownerId` of keys) who left: any use of their keys is an alert. */
export interface OffboardedOwner {
  workspaceId: string;
  ownerId: string;
  offboardedAt: number;
  reason: string | null;
  /** Actor id that marked it. */
  by: string;
}

export interface OwnerRepo {
  /** Marks the owner offboarded; false when already marked (the first mark stays). */
  offboard(record: OffboardedOwner): Promise<boolean>;
  find(workspaceId: string, ownerId: string): Promise<OffboardedOwner | null>;
  /** Removes the mark; false when there was none. */
  reinstate(workspaceId: string, ownerId: string): Promise<boolean>;
  /** The workspace's offboarded owners in ownerId order, after `afterOwnerId`. */
  listOffboarded(workspaceId: string, page: { afterOwnerId?: string; limit: number }): Promise<OffboardedOwner[]>;
  /** Every offboarded owner of every workspace (the monitor's snapshot), at most `limit`. */
  allOffboarded(limit: number): Promise<OffboardedOwner[]>;
}
