import { Type } from '@sinclair/typebox';
import type { RouteModule } from '../../../app-types.ts';
import { CONSUMER_SECURITY, Constituent, Day, dataErrors } from './data-schemas.ts';
import { dataOf } from './data-views.ts';

export const indexHoldings: RouteModule = (app, s) => {
  app.get('/v1/indices/ct100/holdings', {
    config: { permission: null, consumerScope: 'index:read' },
    schema: {
      operationId: 'getIndexHoldings',
      tags: ['data: index'],
      summary: 'Holdings of the index at a close: weights, quantities, values',
      security: CONSUMER_SECURITY,
      querystring: Type.Object({ asOf: Type.Optional(Day) }, { additionalProperties: false }),
      response: { 200: Type.Object({ asOf: Type.String(), data: Type.Array(Constituent) }), ...dataErrors() },
    },
    handler: async (req) => {
      const data = dataOf(s);
      // The snapshot carries the holdings and the day they are of, in one call.
      const snap = await data.index.index(req.query.asOf);
      return { asOf: snap.asOf, data: snap.constituents };
    },
  });
};
