import { Type } from '@sinclair/typebox';
import type { RouteModule } from '../../app-types.ts';
import { authOf } from '../../plugins/auth.ts';
import { decodeIdCursor, page } from '../../pagination.ts';
import { CursorQuery, LimitQuery, errorResponses } from '../../schemas/common.ts';
import { tokenView } from '../../views.ts';

const Query = Type.Object({ limit: Type.Optional(LimitQuery), cursor: Type.Optional(CursorQuery) }, { additionalProperties: false });

export const tokensList: RouteModule = (app, s) => {
  app.get('/v1/tokens', {
    config: { permission: 'tokens:read' },
    schema: {
      operationId: 'listTokens',
      tags: ['tokens'],
      summary: 'List the admin tokens of the workspace',
      querystring: Query,
      response: { 200: Type.Object({ data: Type.Array(Type.Ref('AdminToken')), nextCursor: Type.Union([Type.String(), Type.Null()]) }), ...errorResponses() },
    },
    handler: async (req) => {
      const limit = req.query.limit ?? 50;
      const rows = await s.tokens.list(authOf(req), { afterId: decodeIdCursor(req.query.cursor), limit: limit + 1 });
      const now = s.clock.now();
      const p = page(rows, limit, (t) => t.id);
      return { data: p.data.map((t) => tokenView(t, now)), nextCursor: p.nextCursor };
    },
  });
};
