import { Type } from '@sinclair/typebox';
import type { RouteModule } from '../../app-types.ts';
import { authOf } from '../../plugins/auth.ts';
import { NullableTimestamp, Timestamp, errorResponses } from '../../schemas/common.ts';
import { HYGIENE_FINDINGS, hygieneReport, type HygieneReport } from '../../../reports/hygiene-report.ts';

const Finding = Type.Union(HYGIENE_FINDINGS.map((f) => Type.Literal(f)));
const Days = (description: string) => Type.Optional(Type.Integer({ minimum: 1, maximum: 3650, description }));
const Query = Type.Object(
  {
    // No schema default: the server's CLAVIS_REPORT_*_DAYS settings are the defaults.
    rotationDays: Days('Keys older than this and not rotated are rotation-overdue (default CLAVIS_REPORT_ROTATION_DAYS, 90)'),
    unusedDays: Days('Keys not used for this long (never used: since creation) are unused (default CLAVIS_REPORT_UNUSED_DAYS, 90)'),
    overPrivilegeDays: Days('Active keys older than this holding a scope not exercised in the last this-many days are over-privileged (default CLAVIS_REPORT_OVER_PRIVILEGE_DAYS, 30)'),
  },
  { additionalProperties: false },
);

/** The report as the API answers it (shared with the evidence pack route). */
export const HygieneReportSchema = Type.Object({
  generatedAt: Timestamp,
  rotationDays: Type.Integer(),
  unusedDays: Type.Integer(),
  overPrivilegeDays: Type.Integer(),
  summary: Type.Object({ keys: Type.Integer(), flagged: Type.Integer(), ...Object.fromEntries(HYGIENE_FINDINGS.map((f) => [f, Type.Integer()])) }),
  keys: Type.Array(Type.Object({
    keyId: Type.String(),
    name: Type.String(),
    environment: Type.String(),
    status: Type.String(),
    ownerId: Type.Union([Type.String(), Type.Null()]),
    scopes: Type.Array(Type.String()),
    createdAt: Timestamp,
    expiresAt: NullableTimestamp,
    lastUsedAt: NullableTimestamp,
    findings: Type.Array(Finding),
    unusedScopes: Type.Array(Type.String(), { description: 'Scopes of an over-privileged key that no successful verification exercised in the window; empty otherwise' }),
  })),
  limitations: Type.Array(Type.String()),
});

const iso = (ms: number): string => new Date(ms).toISOString();

/** The report with ISO 8601 times, as the API and the evidence pack show it. */
export function hygieneView(r: HygieneReport) {
  return {
    ...r,
    generatedAt: iso(r.generatedAt),
    keys: r.keys.map((k) => ({ ...k, createdAt: iso(k.createdAt), expiresAt: k.expiresAt === null ? null : iso(k.expiresAt), lastUsedAt: k.lastUsedAt === null ? null : iso(k.lastUsedAt) })),
  };
}

export const reportsHygiene: RouteModule = (app, s) => {
  app.get('/v1/reports/hygiene', {
    config: { permission: 'keys:read' },
    schema: {
      operationId: 'getHygieneReport',
      tags: ['reports'],
      summary: 'Key hygiene: no expiry, rotation overdue, unused, over-privileged (scopes never exercised), high-risk without IP allowlist or signing',
      querystring: Query,
      response: { 200: HygieneReportSchema, ...errorResponses() },
    },
    handler: async (req) => {
      const q = req.query;
      const r = await hygieneReport({ store: s.store, clock: s.clock }, authOf(req).workspaceId, {
        ...s.hygiene,
        ...(q.rotationDays !== undefined ? { rotationDays: q.rotationDays } : {}),
        ...(q.unusedDays !== undefined ? { unusedDays: q.unusedDays } : {}),
        ...(q.overPrivilegeDays !== undefined ? { overPrivilegeDays: q.overPrivilegeDays } : {}),
      });
      return hygieneView(r);
    },
  });
};
