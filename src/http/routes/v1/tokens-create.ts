import { Type, type Static } from '@sinclair/typebox';
import { ROLES } from '../../../core/model.ts';
import type { RouteModule } from '../../app-types.ts';
import { authOf } from '../../plugins/auth.ts';
import { errorResponses } from '../../schemas/common.ts';
import { tokenView } from '../../views.ts';
import { Name, TtlSeconds } from './keys-schemas.ts';
import { bodyOf, isPowerfulRole } from './users-schemas.ts';

const Body = Type.Object(
  {
    name: Name,
    role: Type.Optional(Type.Union(ROLES.map((r) => Type.Literal(r)), { description: 'Defaults to read-only: least privilege unless asked' })),
    ttlSeconds: Type.Optional(TtlSeconds),
    userId: Type.Optional(Type.String({ pattern: '^usr_[0-9A-Za-z]{22}$', description: "Issue the token for this user (its role must be within the user's); omitted: a service token" })),
  },
  { additionalProperties: false },
);

export const tokensCreate: RouteModule = (app, s) => {
  app.post('/v1/tokens', {
    // Critical: an owner or admin token; a token for another user (acting as them); and a service
    // token, which never asks for MFA (else an enrolled user would mint one to skip step-up).
    config: { permission: 'tokens:write', critical: (req, auth) => { const b = bodyOf<Static<typeof Body>>(req); return isPowerfulRole(b.role) || b.userId !== auth.userId; } },
    schema: {
      operationId: 'createToken',
      tags: ['tokens'],
      summary: 'Create an admin token (never above the caller\'s own role, nor above its user\'s)',
      body: Body,
      response: { 201: Type.Intersect([Type.Object({ token: Type.String({ description: 'Shown only in this answer' }) }), Type.Ref('AdminToken')]), ...errorResponses() },
    },
    handler: async (req, reply) => {
      const b = req.body;
      const issued = await s.tokens.create(authOf(req), { name: b.name, role: b.role ?? 'read-only', ttlSeconds: b.ttlSeconds, ...(b.userId !== undefined ? { userId: b.userId } : {}) });
      reply.header('Cache-Control', 'no-store');
      return reply.status(201).send({ token: issued.secret, ...tokenView(issued.record, s.clock.now()) });
    },
  });
};
