import { Type } from '@sinclair/typebox';
import type { RouteModule } from '../../app-types.ts';
import { authOf } from '../../plugins/auth.ts';
import { errorResponses } from '../../schemas/common.ts';
import { keyView } from '../../views.ts';
import { createIsCritical } from './keys-critical.ts';
import { Credits, Rotation, EnvironmentSchema, RateLimits, ExpiresAt, IpAllowlist, Metadata, Name, OwnerId, Scopes, Signing, SigningSecret, TtlSeconds } from './keys-schemas.ts';

const Body = Type.Object(
  {
    name: Name,
    environment: EnvironmentSchema,
    scopes: Scopes,
    expiresAt: Type.Optional(ExpiresAt),
    ttlSeconds: Type.Optional(TtlSeconds),
    ipAllowlist: Type.Optional(IpAllowlist),
    metadata: Type.Optional(Metadata),
    ownerId: Type.Optional(OwnerId),
    signing: Type.Optional(Signing),
    rateLimits: Type.Optional(RateLimits),
    credits: Type.Optional(Credits),
    rotation: Type.Optional(Rotation),
  },
  { additionalProperties: false },
);

const Created = Type.Intersect([Type.Object({ key: Type.String({ description: 'The API key. Shown only in this answer: store it now.' }), signingSecret: Type.Optional(SigningSecret) }), Type.Ref('ApiKey')]);

export const keysCreate: RouteModule = (app, s) => {
  app.post('/v1/keys', {
    config: { permission: 'keys:write', critical: createIsCritical },
    schema: { operationId: 'createKey', tags: ['keys'], summary: 'Create an API key', body: Body, response: { 201: Created, ...errorResponses() } },
    handler: async (req, reply) => {
      const ctx = authOf(req);
      const b = req.body;
      const { record, secret, signingSecret } = await s.keys.create(
        { workspaceId: ctx.workspaceId, actor: { type: 'token', id: ctx.tokenId } },
        { ...b, expiresAt: b.expiresAt === undefined ? undefined : Date.parse(b.expiresAt) },
      );
      reply.header('Cache-Control', 'no-store');
      return reply.status(201).send({ key: secret, ...(signingSecret !== undefined ? { signingSecret } : {}), ...keyView(record, s.clock.now()) });
    },
  });
};

