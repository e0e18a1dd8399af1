import { Type } from '@sinclair/typebox';
import type { RouteModule } from '../../app-types.ts';
import { authOf } from '../../plugins/auth.ts';
import { emptyBodyAsObject } from '../../plugins/optional-body.ts';
import { errorResponses } from '../../schemas/common.ts';

export const mfaTotpEnrol: RouteModule = (app, s) => {
  app.post('/v1/mfa/totp', {
    preValidation: emptyBodyAsObject,
    config: { permission: 'mfa:self' },
    schema: {
      operationId: 'enrolTotp',
      tags: ['mfa'],
      summary: "Start TOTP enrolment of the calling token's user: the secret and recovery codes are shown once; confirm with a first code",
      body: Type.Object({}, { additionalProperties: false }),
      response: {
        201: Type.Object({
          secret: Type.String({ description: 'RFC 4648 base32 secret (HMAC-SHA1, 6 digits, 30 s): type it into an authenticator, or `oathtool --totp -b <secret>`. Shown only here.' }),
          otpauthUri: Type.String({ description: 'otpauth://totp/… for a QR code. Shown only here.' }),
          recoveryCodes: Type.Array(Type.String(), { description: 'Ten one-time codes that stand in for a TOTP code (X-Clavis-MFA). Shown only here; stored hashed.' }),
        }),
        ...errorResponses(404, 409, 503),
      },
    },
    handler: async (req, reply) => {
      const enrolment = await s.mfa.enrol(authOf(req));
      reply.header('Cache-Control', 'no-store');
      return reply.status(201).send(enrolment);
    },
  });
};
