import { Type } from '@sinclair/typebox';
import type { RouteModule } from '../../app-types.ts';
import { decodeIdCursor, page } from '../../pagination.ts';
import { authOf } from '../../plugins/auth.ts';
import { CursorQuery, LimitQuery, errorResponses } from '../../schemas/common.ts';
import { AlertSeveritySchema, AlertStatusSchema, AlertTypeSchema, alertView } from './alerts-schemas.ts';

const Query = Type.Object(
  {
    status: Type.Optional(AlertStatusSchema),
    severity: Type.Optional(AlertSeveritySchema),
    type: Type.Optional(AlertTypeSchema),
    keyId: Type.Optional(Type.String({ pattern: '^key_[0-9A-Za-z]{22}$' })),
    limit: Type.Optional(LimitQuery),
    cursor: Type.Optional(CursorQuery),
  },
  { additionalProperties: false },
);

export const alertsList: RouteModule = (app, s) => {
  app.get('/v1/alerts', {
    config: { permission: 'alerts:read' },
    schema: {
      operationId: 'listAlerts',
      tags: ['alerts'],
      summary: 'Alerts of the workspace, newest first, filtered, with cursor pagination',
      querystring: Query,
      response: { 200: Type.Object({ data: Type.Array(Type.Ref('Alert')), nextCursor: Type.Union([Type.String(), Type.Null()]) }), ...errorResponses() },
    },
    handler: async (req) => {
      const q = req.query;
      const limit = q.limit ?? 50;
      const rows = await s.alerts.list(authOf(req).workspaceId, { status: q.status, severity: q.severity, type: q.type, keyId: q.keyId, beforeId: decodeIdCursor(q.cursor), limit: limit + 1 });
      const p = page(rows, limit, (a) => a.id);
      return { data: p.data.map(alertView), nextCursor: p.nextCursor };
    },
  });
};
