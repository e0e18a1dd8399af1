import { Type } from '@sinclair/typebox';
import type { RouteModule } from '../../app-types.ts';
import { authOf } from '../../plugins/auth.ts';
import { errorResponses } from '../../schemas/common.ts';
import { checkpointView } from '../../views.ts';

export const auditProof: RouteModule = (app, s) => {
  app.get('/v1/audit/proof/:seq', {
    config: { permission: 'audit:read' },
    schema: {
      operationId: 'getAuditInclusionProof',
      tags: ['audit'],
      summary: 'RFC 6962 inclusion proof of one event in a signed checkpoint',
      params: Type.Object({ seq: Type.Integer({ minimum: 0 }) }, { additionalProperties: false }),
      querystring: Type.Object({ treeSize: Type.Optional(Type.Integer({ minimum: 1, description: 'Prove against the checkpoint of this size; default: the smallest covering one' })) }, { additionalProperties: false }),
      response: {
        200: Type.Object({ seq: Type.Integer(), leafHash: Type.String(), treeSize: Type.Integer(), rootHash: Type.String(), proof: Type.Array(Type.String()), checkpoint: Type.Ref('AuditCheckpoint') }),
        ...errorResponses(404),
      },
    },
    handler: async (req) => {
      const p = await s.audit.inclusionProof(authOf(req).workspaceId, req.params.seq, req.query.treeSize);
      return { ...p, checkpoint: checkpointView(p.checkpoint) };
    },
  });
};
