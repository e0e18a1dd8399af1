import { Type } from '@sinclair/typebox';
import type { RouteModule } from '../../app-types.ts';
import { authOf } from '../../plugins/auth.ts';
import { NullableTimestamp, Timestamp, errorResponses } from '../../schemas/common.ts';
import { HYGIENE_FINDINGS, hygieneReport } from '../../../reports/hygiene-report.ts';

const Finding = Type.Union(HYGIENE_FINDINGS.map((f) => Type.Literal(f)));
const Query = Type.Object(
  {
    rotationDays: Type.Optional(Type.Integer({ minimum: 1, maximum: 3650, default: 90, description: 'Keys older than this and not rotated are rotation-overdue' })),
    unusedDays: Type.Optional(Type.Integer({ minimum: 1, maximum: 3650, default: 90, description: 'Keys not used for this long (never used: since creation) are unused' })),
  },
  { additionalProperties: false },
);

const Report = Type.Object({
  generatedAt: Timestamp,
  rotationDays: Type.Integer(),
  unusedDays: Type.Integer(),
  summary: Type.Object({ keys: Type.Integer(), flagged: Type.Integer(), 'no-expiry': Type.Integer(), 'rotation-overdue': Type.Integer(), unused: Type.Integer(), 'high-risk-unprotected': Type.Integer() }),
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
  })),
  limitations: Type.Array(Type.String()),
});

const iso = (ms: number): string => new Date(ms).toISOString();

export const reportsHygiene: RouteModule = (app, s) => {
  app.get('/v1/reports/hygiene', {
    config: { permission: 'keys:read' },
    schema: { operationId: 'getHygieneReport', tags: ['reports'], summary: 'Key hygiene: no expiry, rotation overdue, unused, high-risk without IP allowlist or signing', querystring: Query, response: { 200: Report, ...errorResponses() } },
    handler: async (req) => {
      const r = await hygieneReport({ store: s.store, clock: s.clock }, authOf(req).workspaceId, { rotationDays: req.query.rotationDays ?? 90, unusedDays: req.query.unusedDays ?? 90 });
      return {
        ...r,
        generatedAt: iso(r.generatedAt),
        keys: r.keys.map((k) => ({ ...k, createdAt: iso(k.createdAt), expiresAt: k.expiresAt === null ? null : iso(k.expiresAt), lastUsedAt: k.lastUsedAt === null ? null : iso(k.lastUsedAt) })),
      };
    },
  });
};
