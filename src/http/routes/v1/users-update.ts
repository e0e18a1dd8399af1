import { Type, type Static } from '@sinclair/typebox';
import type { RouteModule } from '../../app-types.ts';
import { authOf } from '../../plugins/auth.ts';
import { IdParam, errorResponses } from '../../schemas/common.ts';
import { RoleSchema, UserName, bodyOf, userView } from './users-schemas.ts';

const Body = Type.Object(
  {
    name: Type.Optional(UserName),
    role: Type.Optional(Type.Union(RoleSchema.anyOf, { description: "A role change is a critical operation; lowering it revokes the user's tokens above the new role" })),
  },
  { additionalProperties: false, minProperties: 1 },
);

export const usersUpdate: RouteModule = (app, s) => {
  app.patch('/v1/users/:id', {
    config: { permission: 'users:write', critical: (req) => bodyOf<Static<typeof Body>>(req).role !== undefined },
    schema: {
      operationId: 'updateUser',
      tags: ['users'],
      summary: 'Rename a user or change its role (only owners manage owners; never above your own role)',
      params: IdParam,
      body: Body,
      response: { 200: Type.Ref('User'), ...errorResponses(404, 409) },
    },
    handler: async (req) => {
      const ctx = authOf(req);
      await s.users.update(ctx, req.params.id, req.body);
      return userView(await s.users.summary(ctx, req.params.id));
    },
  });
};
