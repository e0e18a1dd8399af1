import { Type } from '@sinclair/typebox';
import type { RouteModule } from '../../app-types.ts';
import { authOf } from '../../plugins/auth.ts';
import { NullableTimestamp, Timestamp, errorResponses } from '../../schemas/common.ts';
import { checkpointView } from '../../views.ts';
import { buildEvidence, LIFECYCLE_ACTION_PREFIXES } from '../../../reports/evidence-pack.ts';
import { MAX_EVIDENCE_DAYS, parseEvidenceRange } from '../../../reports/evidence-range.ts';
import { HygieneReportSchema, hygieneView } from './reports-hygiene.ts';

// Only bounded here: the format is checked by parseEvidenceRange, so a bad date gets EVIDENCE_RANGE_INVALID.
const Bound = (description: string) => Type.String({ minLength: 1, maxLength: 40, description });
const Query = Type.Object(
  {
    from: Bound('Start of the period, inclusive: a date (2026-01-01, 00:00 UTC) or an ISO 8601 time with a zone'),
    to: Bound('End of the period: a date includes that whole UTC day (2026-03-31 ends at 2026-04-01T00:00Z); a time is exclusive'),
  },
  { additionalProperties: false },
);

const Nullable = <T extends ReturnType<typeof Type.String>>(t: T) => Type.Union([t, Type.Null()]);

const Evidence = Type.Object({
  workspaceId: Type.String(),
  from: Timestamp,
  to: Timestamp,
  generatedAt: Timestamp,
  inventory: Type.Array(
    Type.Object({
      keyId: Type.String(),
      name: Type.String(),
      environment: Type.String(),
      start: Type.String({ description: 'Display start of the key (never the key or its hash)' }),
      status: Type.String(),
      scopes: Type.Array(Type.String()),
      ownerId: Nullable(Type.String()),
      createdAt: Timestamp,
      expiresAt: NullableTimestamp,
      lastUsedAt: NullableTimestamp,
      revokedAt: NullableTimestamp,
      revokeReason: Nullable(Type.String()),
      suspendedAt: NullableTimestamp,
      replacesId: Nullable(Type.String()),
      replacedById: Nullable(Type.String()),
      ipAllowlist: Type.Array(Type.String()),
      signingRequired: Type.Boolean(),
    }),
    { description: 'Keys that existed at some time in the period, in their state now' },
  ),
  lifecycleEvents: Type.Array(
    Type.Object({
      seq: Type.Integer(),
      time: Timestamp,
      actor: Type.String(),
      action: Type.String(),
      target: Nullable(Type.String()),
      data: Type.Record(Type.String(), Type.Unknown()),
      leafHash: Type.String({ description: 'RFC 6962 leaf hash: the same event of the audit bundle has it' }),
    }),
    { description: `Audit events of the period whose action starts with ${LIFECYCLE_ACTION_PREFIXES.join(', ')}` },
  ),
  alerts: Type.Array(
    Type.Object({
      id: Type.String(),
      type: Type.String(),
      severity: Type.String(),
      status: Type.String(),
      keyId: Nullable(Type.String()),
      summary: Type.String(),
      occurrences: Type.Integer(),
      firstSeenAt: Timestamp,
      lastSeenAt: Timestamp,
      acknowledgedAt: NullableTimestamp,
      acknowledgedBy: Nullable(Type.String()),
      resolvedAt: NullableTimestamp,
      resolvedBy: Nullable(Type.String()),
      note: Nullable(Type.String()),
      evidenceSha256: Type.String({ description: 'SHA-256 of the canonical JSON of the stored evidence (which holds client addresses and stays out of the pack)' }),
    }),
    { description: 'Alerts open at some time in the period' },
  ),
  hygiene: HygieneReportSchema,
  auditLog: Type.Object({
    origin: Type.String(),
    verifierKey: Type.String(),
    size: Type.Integer({ description: 'Events in the workspace log now' }),
    eventsInPeriod: Type.Integer(),
    checkpoint: Type.Union([Type.Ref('AuditCheckpoint'), Type.Null()], { description: 'The latest signed checkpoint (null before the first); `clavis report evidence` signs a fresh one for the bundle' }),
  }),
});

const iso = (ms: number): string => new Date(ms).toISOString();
const isoOrNull = (ms: number | null): string | null => (ms === null ? null : iso(ms));

export const reportsEvidence: RouteModule = (app, s) => {
  app.get('/v1/reports/evidence', {
    config: { permission: 'audit:read' },
    schema: {
      operationId: 'getEvidenceReport',
      tags: ['reports'],
      summary: 'Evidence for a period (SOC 2 / ISO 27001): key inventory, lifecycle events, alert history, hygiene, latest signed checkpoint',
      description: `EVIDENCE_RANGE_INVALID when a bound does not parse, from is not before to, from is in the future, or the period spans more than ${MAX_EVIDENCE_DAYS} days. The verifiable audit bundle is not in this answer: \`clavis report evidence\` fetches it with the audit endpoints and writes the whole pack.`,
      querystring: Query,
      response: { 200: Evidence, ...errorResponses() },
    },
    handler: async (req) => {
      const ws = authOf(req).workspaceId;
      const range = parseEvidenceRange(req.query.from, req.query.to, s.clock.now());
      const d = await buildEvidence({ store: s.store, clock: s.clock, hygiene: s.hygiene }, ws, range);
      return {
        workspaceId: d.workspaceId,
        from: iso(d.from),
        to: iso(d.to),
        generatedAt: iso(d.generatedAt),
        inventory: d.inventory.map((k) => ({ ...k, createdAt: iso(k.createdAt), expiresAt: isoOrNull(k.expiresAt), lastUsedAt: isoOrNull(k.lastUsedAt), revokedAt: isoOrNull(k.revokedAt), suspendedAt: isoOrNull(k.suspendedAt) })),
        lifecycleEvents: d.lifecycleEvents,
        alerts: d.alerts.map((a) => ({ ...a, firstSeenAt: iso(a.firstSeenAt), lastSeenAt: iso(a.lastSeenAt), acknowledgedAt: isoOrNull(a.acknowledgedAt), resolvedAt: isoOrNull(a.resolvedAt) })),
        hygiene: hygieneView(d.hygiene),
        auditLog: { origin: s.audit.originOf(ws), verifierKey: s.audit.verifierKey, size: d.auditLog.size, eventsInPeriod: d.auditLog.eventsInPeriod, checkpoint: d.auditLog.checkpoint === null ? null : checkpointView(d.auditLog.checkpoint) },
      };
    },
  });
};
