import { Type } from '@sinclair/typebox';
import type { RouteModule } from '../../app-types.ts';
import { authOf } from '../../plugins/auth.ts';
import { IdParam, errorResponses } from '../../schemas/common.ts';
import { keyView } from '../../views.ts';
import { updateIsCritical } from './keys-critical.ts';
import { Credits, ExpiresAt, RateLimits, IpAllowlist, Metadata, Name, Scopes, Signing } from './keys-schemas.ts';

const Body = Type.Object(
  { name: Type.Optional(Name), scopes: Type.Optional(Scopes), ipAllowlist: Type.Optional(IpAllowlist), metadata: Type.Optional(Metadata), expiresAt: Type.Optional(ExpiresAt), signing: Type.Optional(Type.Union([Signing, Type.Null()])), rateLimits: Type.Optional(RateLimits), credits: Type.Optional(Type.Union([Credits, Type.Null()])) },
  { additionalProperties: false, minProperties: 1 },
);

export const keysUpdate: RouteModule = (app, s) => {
  app.patch('/v1/keys/:id', {
    config: { permission: 'keys:write', critical: updateIsCritical(s) },
    schema: { operationId: 'updateKey', tags: ['keys'], summary: 'Change name, scopes, allowlist, metadata or expiry', params: IdParam, body: Body, response: { 200: Type.Ref('ApiKey'), ...errorResponses(404, 409) } },
    handler: async (req) => {
      const ctx = authOf(req);
      const b = req.body;
      const key = await s.keys.update({ workspaceId: ctx.workspaceId, actor: { type: 'token', id: ctx.tokenId } }, req.params.id, {
        ...b,
        expiresAt: b.expiresAt === undefined ? undefined : Date.parse(b.expiresAt),
      });
      return keyView(key, s.clock.now());
    },
  });
};
