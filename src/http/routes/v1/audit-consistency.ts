import { Type } from '@sinclair/typebox';
import type { RouteModule } from '../../app-types.ts';
import { authOf } from '../../plugins/auth.ts';
import { errorResponses } from '../../schemas/common.ts';

export const auditConsistency: RouteModule = (app, s) => {
  app.get('/v1/audit/consistency', {
    config: { permission: 'audit:read' },
    schema: {
      operationId: 'getAuditConsistencyProof',
      tags: ['audit'],
      summary: 'RFC 6962 consistency proof between two tree sizes',
      querystring: Type.Object({ from: Type.Integer({ minimum: 0 }), to: Type.Integer({ minimum: 0 }) }, { additionalProperties: false }),
      response: { 200: Type.Object({ from: Type.Integer(), to: Type.Integer(), proof: Type.Array(Type.String()) }), ...errorResponses() },
    },
    handler: async (req) => ({ from: req.query.from, to: req.query.to, proof: await s.audit.consistencyProof(authOf(req).workspaceId, req.query.from, req.query.to) }),
  });
};
