import { Type } from '@sinclair/typebox';
import type { RouteModule } from '../../app-types.ts';
import { authOf } from '../../plugins/auth.ts';
import { errorResponses } from '../../schemas/common.ts';
import { MfaStatusView, mfaStatusView } from './mfa-schemas.ts';

export const mfaTotpConfirm: RouteModule = (app, s) => {
  app.post('/v1/mfa/totp/confirm', {
    config: { permission: 'mfa:self' },
    schema: {
      operationId: 'confirmTotp',
      tags: ['mfa'],
      summary: 'Confirm the pending TOTP enrolment with a first code; from then on critical operations need a fresh code',
      body: Type.Object({ code: Type.String({ pattern: '^[0-9]{6}$', description: 'Current 6-digit code from the authenticator' }) }, { additionalProperties: false }),
      response: { 200: MfaStatusView, ...errorResponses(404, 409, 503) },
    },
    handler: async (req) => mfaStatusView(await s.mfa.confirm(authOf(req), req.body.code)),
  });
};
