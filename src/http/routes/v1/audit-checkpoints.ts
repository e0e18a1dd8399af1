import { Type } from '@sinclair/typebox';
import type { RouteModule } from '../../app-types.ts';
import { authOf } from '../../plugins/auth.ts';
import { errorResponses } from '../../schemas/common.ts';
import { checkpointView } from '../../views.ts';

const Query = Type.Object(
  {
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
    beforeTreeSize: Type.Optional(Type.Integer({ minimum: 1, description: 'Page back: only checkpoints smaller than this' })),
  },
  { additionalProperties: false },
);

export const auditCheckpoints: RouteModule = (app, s) => {
  app.get('/v1/audit/checkpoints', {
    config: { permission: 'audit:read' },
    schema: {
      operationId: 'listAuditCheckpoints',
      tags: ['audit'],
      summary: 'Signed checkpoints of the workspace log, newest first, with the verifier key',
      querystring: Query,
      response: { 200: Type.Object({ origin: Type.String(), verifierKey: Type.String(), treeSize: Type.Integer(), data: Type.Array(Type.Ref('AuditCheckpoint')) }), ...errorResponses() },
    },
    handler: async (req) => {
      const ws = authOf(req).workspaceId;
      const rows = await s.store.audit.listCheckpoints(ws, req.query.limit ?? 100, req.query.beforeTreeSize);
      return { origin: s.audit.originOf(ws), verifierKey: s.audit.verifierKey, treeSize: await s.store.audit.size(ws), data: rows.map(checkpointView) };
    },
  });
};
