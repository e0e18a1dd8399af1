import { Type, type Static } from '@sinclair/typebox';
import { ALERT_SEVERITIES, ALERT_STATUSES, type AlertRecord } from '../../../core/ports/monitor-store.ts';
import { ALERT_TYPES } from '../../../monitor/thresholds.ts';
import { NullableTimestamp, Timestamp } from '../../schemas/common.ts';

export const AlertSeveritySchema = Type.Union(ALERT_SEVERITIES.map((v) => Type.Literal(v)));
export const AlertStatusSchema = Type.Union(ALERT_STATUSES.map((v) => Type.Literal(v)));
export const AlertTypeSchema = Type.Union(ALERT_TYPES.map((v) => Type.Literal(v)), { description: 'The detector rule (docs/guides/monitoring.md)' });
export const AlertIdParam = Type.Object({ id: Type.String({ pattern: '^[a-z]{2,4}_[0-9A-Za-z]{22}$', description: 'Alert id (alr_…)' }) }, { additionalProperties: false });
export const NoteBody = Type.Object({ note: Type.Optional(Type.String({ minLength: 1, maxLength: 1000, description: 'What was found or done (kept on the alert and in the audit event)' })) }, { additionalProperties: false });

export const AlertView = Type.Object(
  {
    id: Type.String(),
    workspaceId: Type.String(),
    type: AlertTypeSchema,
    severity: AlertSeveritySchema,
    status: AlertStatusSchema,
    keyId: Type.Union([Type.String(), Type.Null()]),
    dedupeKey: Type.String({ description: 'Type and subject: one unresolved alert per dedupe key' }),
    summary: Type.String(),
    evidence: Type.Record(Type.String(), Type.Unknown(), { description: 'Counts, addresses, countries and times behind the latest occurrence' }),
    occurrences: Type.Integer({ description: 'Findings folded into this alert while it was unresolved' }),
    firstSeenAt: Timestamp,
    lastSeenAt: Timestamp,
    createdAt: Timestamp,
    updatedAt: Timestamp,
    acknowledgedAt: NullableTimestamp,
    acknowledgedBy: Type.Union([Type.String(), Type.Null()]),
    resolvedAt: NullableTimestamp,
    resolvedBy: Type.Union([Type.String(), Type.Null()]),
    note: Type.Union([Type.String(), Type.Null()]),
  },
  { $id: 'Alert' },
);

const iso = (ms: number): string => new Date(ms).toISOString();
const isoOrNull = (ms: number | null): string | null => (ms === null ? null : iso(ms));

export function alertView(a: AlertRecord): Static<typeof AlertView> {
  return {
    id: a.id,
    workspaceId: a.workspaceId,
    type: a.type as Static<typeof AlertTypeSchema>,
    severity: a.severity,
    status: a.status,
    keyId: a.keyId,
    dedupeKey: a.dedupeKey,
    summary: a.summary,
    evidence: a.evidence,
    occurrences: a.occurrences,
    firstSeenAt: iso(a.firstSeenAt),
    lastSeenAt: iso(a.lastSeenAt),
    createdAt: iso(a.createdAt),
    updatedAt: iso(a.updatedAt),
    acknowledgedAt: isoOrNull(a.acknowledgedAt),
    acknowledgedBy: a.acknowledgedBy,
    resolvedAt: isoOrNull(a.resolvedAt),
    resolvedBy: a.resolvedBy,
    note: a.note,
  };
}

export const OffboardedOwnerView = Type.Object({ ownerId: Type.String(), offboardedAt: Timestamp, reason: Type.Union([Type.String(), Type.Null()]), offboardedBy: Type.String() });
