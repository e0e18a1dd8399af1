import { Type } from '@sinclair/typebox';
import type { RouteModule } from '../../app-types.ts';
import { authOf } from '../../plugins/auth.ts';
import { errorResponses } from '../../schemas/common.ts';
import { EnvironmentSchema, Reason } from './keys-schemas.ts';

const Body = Type.Object({ reason: Reason, environment: Type.Optional(EnvironmentSchema) }, { additionalProperties: false });

export const keysRevokeAll: RouteModule = (app, s) => {
  app.post('/v1/keys/revoke-all', {
    config: { permission: 'keys:write', critical: true },
    schema: {
      operationId: 'revokeAllKeys',
      tags: ['keys'],
      summary: 'Revoke every active and suspended key of the workspace (or of one environment): each key gets its own audit event, and the operation one more',
      body: Body,
      response: { 200: Type.Object({ revoked: Type.Integer(), environment: Type.Union([EnvironmentSchema, Type.Null()]) }), ...errorResponses() },
    },
    handler: async (req) => {
      const ctx = authOf(req);
      return s.bulkRevoke.revokeAll({ workspaceId: ctx.workspaceId, actor: { type: 'token', id: ctx.tokenId } }, { reason: req.body.reason, ...(req.body.environment !== undefined ? { environment: req.body.environment } : {}) });
    },
  });
};
