import { Type } from '@sinclair/typebox';
import type { RouteModule } from '../../../app-types.ts';
import { CONSUMER_SECURITY, Price, dataErrors } from './data-schemas.ts';
import { dataOf, idList } from './data-views.ts';

const Query = Type.Object(
  {
    ids: Type.Optional(Type.String({ maxLength: 2000, pattern: '^[a-z0-9._,-]+$', description: 'Comma-separated asset ids (default: every asset)' })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 500, description: 'Most assets, largest market cap first' })),
  },
  { additionalProperties: false },
);

export const pricesList: RouteModule = (app, s) => {
  app.get('/v1/prices', {
    config: { permission: null, consumerScope: 'prices:read' },
    schema: {
      operationId: 'listPrices',
      tags: ['data: prices'],
      summary: 'Latest close of every asset, largest market cap first',
      description: 'Daily closes (24:00 UTC). Assets without a close in the last 72 h are left out. Needs an API key with `prices:read`.',
      security: CONSUMER_SECURITY,
      querystring: Query,
      response: { 200: Type.Object({ asOf: Type.String(), source: Type.String(), data: Type.Array(Price) }), ...dataErrors() },
    },
    handler: async (req) => {
      const data = dataOf(s);
      const [asOf, prices] = await Promise.all([data.market.asOf(), data.market.latestPrices(idList(req.query.ids))]);
      return { asOf, source: data.source, data: prices.slice(0, req.query.limit ?? 500).map((p) => ({ ...p, tags: [...p.tags] })) };
    },
  });
};
