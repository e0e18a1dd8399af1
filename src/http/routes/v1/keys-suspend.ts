import { Type } from '@sinclair/typebox';
import type { RouteModule } from '../../app-types.ts';
import { authOf } from '../../plugins/auth.ts';
import { emptyBodyAsObject } from '../../plugins/optional-body.ts';
import { IdParam, errorResponses } from '../../schemas/common.ts';
import { keyView } from '../../views.ts';
import { Reason } from './keys-schemas.ts';

const SuspendBody = Type.Object({ reason: Type.Optional(Reason) }, { additionalProperties: false });

export const keysSuspend: RouteModule = (app, s) => {
  app.post('/v1/keys/:id/suspend', {
    preValidation: emptyBodyAsObject,
    config: { permission: 'keys:write' },
    schema: { operationId: 'suspendKey', tags: ['keys'], summary: 'Suspend a key until it is resumed', params: IdParam, body: SuspendBody, response: { 200: Type.Ref('ApiKey'), ...errorResponses(404, 409) } },
    handler: async (req) => {
      const ctx = authOf(req);
      return keyView(await s.keys.suspend({ workspaceId: ctx.workspaceId, actor: { type: 'token', id: ctx.tokenId } }, req.params.id, req.body.reason), s.clock.now());
    },
  });
};
