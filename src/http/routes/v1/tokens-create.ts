import { Type } from '@sinclair/typebox';
import { ROLES } from '../../../core/model.ts';
import type { RouteModule } from '../../app-types.ts';
import { authOf } from '../../plugins/auth.ts';
import { errorResponses } from '../../schemas/common.ts';
import { tokenView } from '../../views.ts';
import { Name, TtlSeconds } from './keys-schemas.ts';

const Body = Type.Object(
  {
    name: Name,
    role: Type.Optional(Type.Union(ROLES.map((r) => Type.Literal(r)), { description: 'Defaults to read-only: least privilege unless asked' })),
    ttlSeconds: Type.Optional(TtlSeconds),
  },
  { additionalProperties: false },
);

export const tokensCreate: RouteModule = (app, s) => {
  app.post('/v1/tokens', {
    config: { permission: 'tokens:write' },
    schema: {
      operationId: 'createToken',
      tags: ['tokens'],
      summary: 'Create an admin token (never above the caller\'s own role)',
      body: Body,
      response: { 201: Type.Intersect([Type.Object({ token: Type.String({ description: 'Shown only in this answer' }) }), Type.Ref('AdminToken')]), ...errorResponses() },
    },
    handler: async (req, reply) => {
      const b = req.body;
      const issued = await s.tokens.create(authOf(req), { name: b.name, role: b.role ?? 'read-only', ttlSeconds: b.ttlSeconds });
      reply.header('Cache-Control', 'no-store');
      return reply.status(201).send({ token: issued.secret, ...tokenView(issued.record, s.clock.now()) });
    },
  });
};
