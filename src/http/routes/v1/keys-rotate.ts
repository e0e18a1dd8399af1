import { Type } from '@sinclair/typebox';
import type { RouteModule } from '../../app-types.ts';
import { authOf } from '../../plugins/auth.ts';
import { emptyBodyAsObject } from '../../plugins/optional-body.ts';
import { IdParam, errorResponses } from '../../schemas/common.ts';
import { keyView } from '../../views.ts';
import { rotateIsCritical } from './keys-critical.ts';
import { SigningSecret } from './keys-schemas.ts';

const Body = Type.Object(
  { gracePeriodSeconds: Type.Optional(Type.Integer({ minimum: 0, maximum: 2_592_000, description: 'How long the old key keeps working; 0 ends it now. Default from config (24 h).' })) },
  { additionalProperties: false },
);

export const keysRotate: RouteModule = (app, s) => {
  app.post('/v1/keys/:id/rotate', {
    preValidation: emptyBodyAsObject,
    config: { permission: 'keys:write', critical: rotateIsCritical(s) },
    schema: {
      operationId: 'rotateKey',
      tags: ['keys'],
      summary: 'Issue a successor key; the old one works until the grace period ends (never past its own expiry)',
      params: IdParam,
      body: Body,
      response: {
        200: Type.Object({ key: Type.String({ description: 'The successor key, shown only here' }), signingSecret: Type.Optional(SigningSecret), successor: Type.Ref('ApiKey'), previous: Type.Ref('ApiKey') }),
        ...errorResponses(404, 409),
      },
    },
    handler: async (req, reply) => {
      const ctx = authOf(req);
      const r = await s.keys.rotate({ workspaceId: ctx.workspaceId, actor: { type: 'token', id: ctx.tokenId } }, req.params.id, req.body.gracePeriodSeconds);
      const now = s.clock.now();
      reply.header('Cache-Control', 'no-store');
      return { key: r.secret, ...(r.signingSecret !== undefined ? { signingSecret: r.signingSecret } : {}), successor: keyView(r.record, now), previous: keyView(r.previous, now) };
    },
  });
};
