import { Type } from '@sinclair/typebox';
import type { RouteModule } from '../../app-types.ts';
import { authOf } from '../../plugins/auth.ts';
import { errorResponses } from '../../schemas/common.ts';

export const mfaTotpRemove: RouteModule = (app, s) => {
  app.delete('/v1/mfa/totp', {
    config: { permission: 'mfa:self', critical: true },
    schema: {
      operationId: 'removeTotp',
      tags: ['mfa'],
      summary: "Remove the calling user's TOTP and recovery codes (a confirmed enrolment needs a fresh code in X-Clavis-MFA)",
      response: { 200: Type.Object({ removed: Type.Boolean() }), ...errorResponses(404, 409) },
    },
    handler: async (req) => {
      await s.mfa.remove(authOf(req));
      return { removed: true };
    },
  });
};
