import { Type } from '@sinclair/typebox';
import type { RouteModule } from '../../app-types.ts';
import { authOf } from '../../plugins/auth.ts';
import { emptyBodyAsObject } from '../../plugins/optional-body.ts';
import { IdParam, errorResponses } from '../../schemas/common.ts';
import { tokenView } from '../../views.ts';

export const tokensRevoke: RouteModule = (app, s) => {
  app.post('/v1/tokens/:id/revoke', {
    preValidation: emptyBodyAsObject,
    config: { permission: 'tokens:write' },
    schema: {
      operationId: 'revokeToken',
      tags: ['tokens'],
      summary: 'Revoke an admin token',
      params: IdParam,
      body: Type.Object({}, { additionalProperties: false }),
      response: { 200: Type.Ref('AdminToken'), ...errorResponses(404, 409) },
    },
    handler: async (req) => tokenView(await s.tokens.revoke(authOf(req), req.params.id), s.clock.now()),
  });
};
