import { Type } from '@sinclair/typebox';
import type { RouteModule } from '../../app-types.ts';
import { authOf } from '../../plugins/auth.ts';
import { IdParam, errorResponses } from '../../schemas/common.ts';
import { userView } from './users-schemas.ts';

export const usersMfaReset: RouteModule = (app, s) => {
  app.delete('/v1/users/:id/mfa', {
    config: { permission: 'users:write', critical: true },
    schema: {
      operationId: 'resetUserMfa',
      tags: ['users'],
      summary: "Remove another user's TOTP and recovery codes (lost device): the user enrols again. Never above your own role.",
      params: IdParam,
      response: { 200: Type.Ref('User'), ...errorResponses(404, 409) },
    },
    handler: async (req) => {
      const ctx = authOf(req);
      await s.mfa.reset(ctx, req.params.id);
      return userView(await s.users.summary(ctx, req.params.id));
    },
  });
};
