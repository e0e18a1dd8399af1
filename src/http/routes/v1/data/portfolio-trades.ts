import { Type } from '@sinclair/typebox';
import type { RouteModule } from '../../../app-types.ts';
import { decodeIdCursor, page } from '../../../pagination.ts';
import { consumerOf } from '../../../plugins/consumer-guard.ts';
import { CursorQuery, LimitQuery } from '../../../schemas/common.ts';
import { CONSUMER_SECURITY, Trade, dataErrors } from './data-schemas.ts';
import { tradeView } from './data-views.ts';

export const portfolioTrades: RouteModule = (app, s) => {
  app.get('/v1/portfolio/trades', {
    config: { permission: null, consumerScope: 'portfolio:read' },
    schema: {
      operationId: 'listPortfolioTrades',
      tags: ['data: portfolio'],
      summary: "The key owner's paper trades, oldest first, with cursor pagination",
      security: CONSUMER_SECURITY,
      querystring: Type.Object({ limit: Type.Optional(LimitQuery), cursor: Type.Optional(CursorQuery) }, { additionalProperties: false }),
      response: { 200: Type.Object({ data: Type.Array(Trade), nextCursor: Type.Union([Type.String(), Type.Null()]) }), ...dataErrors() },
    },
    handler: async (req) => {
      const limit = req.query.limit ?? 50;
      const afterId = decodeIdCursor(req.query.cursor);
      const rows = await s.portfolios.trades(consumerOf(req), { ...(afterId === undefined ? {} : { afterId }), limit: limit + 1 });
      const p = page(rows, limit, (t) => t.id);
      return { data: p.data.map(tradeView), nextCursor: p.nextCursor };
    },
  });
};
