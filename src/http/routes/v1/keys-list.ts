import { Type } from '@sinclair/typebox';
import type { RouteModule } from '../../app-types.ts';
import { authOf } from '../../plugins/auth.ts';
import { decodeIdCursor, page } from '../../pagination.ts';
import { CursorQuery, LimitQuery, errorResponses } from '../../schemas/common.ts';
import { keyView } from '../../views.ts';
import { EnvironmentSchema, OwnerId } from './keys-schemas.ts';

const Query = Type.Object(
  {
    environment: Type.Optional(EnvironmentSchema),
    status: Type.Optional(Type.Union([Type.Literal('active'), Type.Literal('suspended'), Type.Literal('revoked')])),
    ownerId: Type.Optional(OwnerId),
    limit: Type.Optional(LimitQuery),
    cursor: Type.Optional(CursorQuery),
  },
  { additionalProperties: false },
);

export const keysList: RouteModule = (app, s) => {
  app.get('/v1/keys', {
    config: { permission: 'keys:read' },
    schema: {
      operationId: 'listKeys',
      tags: ['keys'],
      summary: 'List keys, oldest first, with cursor pagination',
      querystring: Query,
      response: { 200: Type.Object({ data: Type.Array(Type.Ref('ApiKey')), nextCursor: Type.Union([Type.String(), Type.Null()]) }), ...errorResponses() },
    },
    handler: async (req) => {
      const q = req.query;
      const limit = q.limit ?? 50;
      const rows = await s.keys.list(authOf(req).workspaceId, {
        environment: q.environment,
        status: q.status,
        ownerId: q.ownerId,
        afterId: decodeIdCursor(q.cursor),
        limit: limit + 1,
      });
      const now = s.clock.now();
      const p = page(rows, limit, (k) => k.id);
      const lastUse = new Map((await s.store.usage.lastUse(p.data.map((k) => k.id))).map((u) => [u.keyId, u]));
      return { data: p.data.map((k) => keyView(k, now, lastUse.get(k.id) ?? null)), nextCursor: p.nextCursor };
    },
  });
};
