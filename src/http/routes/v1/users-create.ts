import { Type, type Static } from '@sinclair/typebox';
import type { RouteModule } from '../../app-types.ts';
import { authOf } from '../../plugins/auth.ts';
import { errorResponses } from '../../schemas/common.ts';
import { Email, RoleSchema, UserName, bodyOf, isPowerfulRole, userView } from './users-schemas.ts';

const Body = Type.Object(
  {
    email: Email,
    name: UserName,
    role: Type.Optional(Type.Union(RoleSchema.anyOf, { description: 'Defaults to read-only. owner or admin is a critical operation.' })),
  },
  { additionalProperties: false },
);

export const usersCreate: RouteModule = (app, s) => {
  app.post('/v1/users', {
    config: { permission: 'users:write', critical: (req) => isPowerfulRole(bodyOf<Static<typeof Body>>(req).role) },
    schema: {
      operationId: 'createUser',
      tags: ['users'],
      summary: "Create a user of the workspace (never above the caller's role); tokens are then issued for it with POST /v1/tokens {userId}",
      body: Body,
      response: { 201: Type.Ref('User'), ...errorResponses(409) },
    },
    handler: async (req, reply) => {
      const b = req.body;
      const user = await s.users.create(authOf(req), { email: b.email, name: b.name, role: b.role ?? 'read-only' });
      return reply.status(201).send(userView({ user, mfaEnrolled: false }));
    },
  });
};
