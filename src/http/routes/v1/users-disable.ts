import { Type } from '@sinclair/typebox';
import type { RouteModule } from '../../app-types.ts';
import { authOf } from '../../plugins/auth.ts';
import { emptyBodyAsObject } from '../../plugins/optional-body.ts';
import { IdParam, errorResponses } from '../../schemas/common.ts';
import { userView } from './users-schemas.ts';

export const usersDisable: RouteModule = (app, s) => {
  app.post('/v1/users/:id/disable', {
    preValidation: emptyBodyAsObject,
    config: { permission: 'users:write' },
    schema: {
      operationId: 'disableUser',
      tags: ['users'],
      summary: 'Disable a user: every token issued for it is revoked at once (each revocation audited); the user cannot get new ones',
      params: IdParam,
      body: Type.Object({}, { additionalProperties: false }),
      response: { 200: Type.Object({ user: Type.Ref('User'), revokedTokens: Type.Integer({ description: 'Tokens revoked by this call' }) }), ...errorResponses(404, 409) },
    },
    handler: async (req) => {
      const ctx = authOf(req);
      const r = await s.users.disable(ctx, req.params.id);
      return { user: userView(await s.users.summary(ctx, r.user.id)), revokedTokens: r.revokedTokens };
    },
  });
};
