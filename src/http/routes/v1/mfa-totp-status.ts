import type { RouteModule } from '../../app-types.ts';
import { authOf } from '../../plugins/auth.ts';
import { errorResponses } from '../../schemas/common.ts';
import { MfaStatusView, mfaStatusView } from './mfa-schemas.ts';

export const mfaTotpStatus: RouteModule = (app, s) => {
  app.get('/v1/mfa/totp', {
    config: { permission: 'mfa:self' },
    schema: {
      operationId: 'getTotp',
      tags: ['mfa'],
      summary: "TOTP state of the calling token's user: none, pending or enrolled, with recovery codes left",
      response: { 200: MfaStatusView, ...errorResponses(404, 409) },
    },
    handler: async (req) => mfaStatusView(await s.mfa.status(authOf(req))),
  });
};
