import { Type } from '@sinclair/typebox';
import type { RouteModule } from '../../app-types.ts';
import { authOf } from '../../plugins/auth.ts';
import { decodeSeqCursor, page } from '../../pagination.ts';
import { CursorQuery, errorResponses } from '../../schemas/common.ts';
import { auditEventView } from '../../views.ts';

const Query = Type.Object(
  {
    fromSeq: Type.Optional(Type.Integer({ minimum: 0, description: 'First seq (inclusive)' })),
    toSeq: Type.Optional(Type.Integer({ minimum: 0, description: 'Last seq (inclusive)' })),
    since: Type.Optional(Type.String({ format: 'date-time' })),
    until: Type.Optional(Type.String({ format: 'date-time' })),
    actor: Type.Optional(Type.String({ maxLength: 100, description: 'Actor id (token id)' })),
    target: Type.Optional(Type.String({ maxLength: 100, description: 'Target id (key, token or workspace id)' })),
    action: Type.Optional(Type.String({ maxLength: 64, description: 'e.g. key.revoked' })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
    cursor: Type.Optional(CursorQuery),
  },
  { additionalProperties: false },
);

export const auditEvents: RouteModule = (app, s) => {
  app.get('/v1/audit/events', {
    config: { permission: 'audit:read' },
    schema: {
      operationId: 'listAuditEvents',
      tags: ['audit'],
      summary: 'Audit events in log order, filtered',
      querystring: Query,
      response: { 200: Type.Object({ data: Type.Array(Type.Ref('AuditEvent')), nextCursor: Type.Union([Type.String(), Type.Null()]) }), ...errorResponses() },
    },
    handler: async (req) => {
      const q = req.query;
      const limit = q.limit ?? 100;
      const after = decodeSeqCursor(q.cursor);
      const rows = await s.store.audit.list(authOf(req).workspaceId, {
        fromSeq: after === undefined ? q.fromSeq : Math.max(after + 1, q.fromSeq ?? 0),
        toSeq: q.toSeq,
        since: q.since === undefined ? undefined : Date.parse(q.since),
        until: q.until === undefined ? undefined : Date.parse(q.until),
        actorId: q.actor,
        targetId: q.target,
        action: q.action,
        limit: limit + 1,
      });
      const p = page(rows, limit, (e) => String(e.event.seq));
      return { data: p.data.map(auditEventView), nextCursor: p.nextCursor };
    },
  });
};
