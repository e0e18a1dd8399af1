import { Type } from '@sinclair/typebox';
import type { RouteModule } from '../../app-types.ts';
import { authOf } from '../../plugins/auth.ts';
import { decodeIdCursor, page } from '../../pagination.ts';
import { CursorQuery, LimitQuery, errorResponses } from '../../schemas/common.ts';
import { userView } from './users-schemas.ts';

const Query = Type.Object({ limit: Type.Optional(LimitQuery), cursor: Type.Optional(CursorQuery) }, { additionalProperties: false });

export const usersList: RouteModule = (app, s) => {
  app.get('/v1/users', {
    config: { permission: 'users:read' },
    schema: {
      operationId: 'listUsers',
      tags: ['users'],
      summary: 'List the users of the workspace, with whether each has confirmed TOTP',
      querystring: Query,
      response: { 200: Type.Object({ data: Type.Array(Type.Ref('User')), nextCursor: Type.Union([Type.String(), Type.Null()]) }), ...errorResponses() },
    },
    handler: async (req) => {
      const limit = req.query.limit ?? 50;
      const rows = await s.users.list(authOf(req), { afterId: decodeIdCursor(req.query.cursor), limit: limit + 1 });
      const p = page(rows, limit, (u) => u.user.id);
      return { data: p.data.map(userView), nextCursor: p.nextCursor };
    },
  });
};
