import { Type, type Static } from '@sinclair/typebox';
import type { RouteModule } from '../../app-types.ts';
import { authOf } from '../../plugins/auth.ts';
import { IdParam, errorResponses } from '../../schemas/common.ts';
import { keyView, type KeyView } from '../../views.ts';
import { updateIsCritical } from './keys-critical.ts';
import { Credits, Rotation, ExpiresAt, RateLimits, IpAllowlist, Metadata, Name, Scopes, Signing, SigningSecret } from './keys-schemas.ts';

const Body = Type.Object(
  { name: Type.Optional(Name), scopes: Type.Optional(Scopes), ipAllowlist: Type.Optional(IpAllowlist), metadata: Type.Optional(Metadata), expiresAt: Type.Optional(ExpiresAt), signing: Type.Optional(Type.Union([Signing, Type.Null()])), rateLimits: Type.Optional(RateLimits), credits: Type.Optional(Type.Union([Credits, Type.Null()])), rotation: Type.Optional(Type.Union([Rotation, Type.Null()])) },
  { additionalProperties: false, minProperties: 1 },
);

// The key as it is now, plus the new HMAC secret when this update issued one (typed by hand: the
// type provider cannot see through the `ApiKey` reference).
const Updated = Type.Unsafe<Static<typeof KeyView> & { signingSecret?: string }>(Type.Intersect([Type.Object({ signingSecret: Type.Optional(SigningSecret) }), Type.Ref('ApiKey')]));

export const keysUpdate: RouteModule = (app, s) => {
  app.patch('/v1/keys/:id', {
    config: { permission: 'keys:write', critical: updateIsCritical(s) },
    schema: { operationId: 'updateKey', tags: ['keys'], summary: 'Change name, scopes, allowlist, metadata, expiry, signing or limits (signing hmac-sha256 issues a new secret, shown once)', params: IdParam, body: Body, response: { 200: Updated, ...errorResponses(404, 409) } },
    handler: async (req, reply) => {
      const ctx = authOf(req);
      const b = req.body;
      const { record, signingSecret } = await s.keys.update({ workspaceId: ctx.workspaceId, actor: { type: 'token', id: ctx.tokenId } }, req.params.id, {
        ...b,
        expiresAt: b.expiresAt === undefined ? undefined : Date.parse(b.expiresAt),
      });
      if (signingSecret === undefined) return reply.send(keyView(record, s.clock.now()));
      reply.header('Cache-Control', 'no-store');
      return reply.send({ signingSecret, ...keyView(record, s.clock.now()) });
    },
  });
};
