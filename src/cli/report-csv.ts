import type { EvidenceAlert, EvidenceInventoryKey, EvidenceLifecycleEvent, HygieneReport } from '@clavis/sdk';
import { toCsv } from '../reports/csv.ts';

// The tabular files of `clavis report`: one row per object, lists joined with `;`, times as
// the API gives them (ISO 8601 UTC), empty cells for null. Quoting and formula defusing: toCsv.

const list = (items: readonly string[]): string => items.join(';');

/** The hygiene report's flagged keys, one row per key. */
export function hygieneCsv(r: HygieneReport): string {
  return toCsv(
    ['keyId', 'name', 'environment', 'status', 'ownerId', 'scopes', 'createdAt', 'expiresAt', 'lastUsedAt', 'findings', 'unusedScopes'],
    r.keys.map((k) => [k.keyId, k.name, k.environment, k.status, k.ownerId, list(k.scopes), k.createdAt, k.expiresAt, k.lastUsedAt, list(k.findings), list(k.unusedScopes)]),
  );
}

/** The key inventory of an evidence pack. */
export function inventoryCsv(keys: readonly EvidenceInventoryKey[]): string {
  return toCsv(
    ['keyId', 'name', 'environment', 'start', 'status', 'scopes', 'ownerId', 'createdAt', 'expiresAt', 'lastUsedAt', 'suspendedAt', 'revokedAt', 'revokeReason', 'replacesId', 'replacedById', 'ipAllowlist', 'signingRequired'],
    keys.map((k) => [k.keyId, k.name, k.environment, k.start, k.status, list(k.scopes), k.ownerId, k.createdAt, k.expiresAt, k.lastUsedAt, k.suspendedAt, k.revokedAt, k.revokeReason, k.replacesId, k.replacedById, list(k.ipAllowlist), String(k.signingRequired)]),
  );
}

/** Lifecycle events of an evidence pack; `data-json` is the event's data as JSON, `leafHash` ties the row to the bundle. */
export function lifecycleCsv(events: readonly EvidenceLifecycleEvent[]): string {
  return toCsv(
    ['seq', 'time', 'actor', 'action', 'target', 'leafHash', 'data-json'],
    events.map((e) => [e.seq, e.time, e.actor, e.action, e.target, e.leafHash, JSON.stringify(e.data)]),
  );
}

/** Alert history of an evidence pack. */
export function alertsCsv(alerts: readonly EvidenceAlert[]): string {
  return toCsv(
    ['id', 'type', 'severity', 'status', 'keyId', 'summary', 'occurrences', 'firstSeenAt', 'lastSeenAt', 'acknowledgedAt', 'acknowledgedBy', 'resolvedAt', 'resolvedBy', 'note', 'evidenceSha256'],
    alerts.map((a) => [a.id, a.type, a.severity, a.status, a.keyId, a.summary, a.occurrences, a.firstSeenAt, a.lastSeenAt, a.acknowledgedAt, a.acknowledgedBy, a.resolvedAt, a.resolvedBy, a.note, a.evidenceSha256]),
  );
}
