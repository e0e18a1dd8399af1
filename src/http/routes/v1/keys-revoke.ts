import { Type } from '@sinclair/typebox';
import type { RouteModule } from '../../app-types.ts';
import { authOf } from '../../plugins/auth.ts';
import { IdParam, errorResponses } from '../../schemas/common.ts';
import { keyView } from '../../views.ts';
import { Reason } from './keys-schemas.ts';

const RevokeBody = Type.Object({ reason: Reason }, { additionalProperties: false });

export const keysRevoke: RouteModule = (app, s) => {
  app.post('/v1/keys/:id/revoke', {
    config: { permission: 'keys:write' },
    schema: { operationId: 'revokeKey', tags: ['keys'], summary: 'Revoke a key for good', params: IdParam, body: RevokeBody, response: { 200: Type.Ref('ApiKey'), ...errorResponses(404, 409) } },
    handler: async (req) => {
      const ctx = authOf(req);
      return keyView(await s.keys.revoke({ workspaceId: ctx.workspaceId, actor: { type: 'token', id: ctx.tokenId } }, req.params.id, req.body.reason), s.clock.now());
    },
  });
};
