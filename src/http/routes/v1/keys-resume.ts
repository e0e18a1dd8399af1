import { Type } from '@sinclair/typebox';
import type { RouteModule } from '../../app-types.ts';
import { authOf } from '../../plugins/auth.ts';
import { emptyBodyAsObject } from '../../plugins/optional-body.ts';
import { IdParam, errorResponses } from '../../schemas/common.ts';
import { keyView } from '../../views.ts';

const EmptyBody = Type.Object({}, { additionalProperties: false });

export const keysResume: RouteModule = (app, s) => {
  app.post('/v1/keys/:id/resume', {
    preValidation: emptyBodyAsObject,
    config: { permission: 'keys:write' },
    schema: { operationId: 'resumeKey', tags: ['keys'], summary: 'Resume a suspended key', params: IdParam, body: EmptyBody, response: { 200: Type.Ref('ApiKey'), ...errorResponses(404, 409) } },
    handler: async (req) => {
      const ctx = authOf(req);
      return keyView(await s.keys.resume({ workspaceId: ctx.workspaceId, actor: { type: 'token', id: ctx.tokenId } }, req.params.id), s.clock.now());
    },
  });
};
