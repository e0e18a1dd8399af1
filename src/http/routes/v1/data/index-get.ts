import { Type } from '@sinclair/typebox';
import type { RouteModule } from '../../../app-types.ts';
import { CONSUMER_SECURITY, Day, IndexSnapshot, dataErrors } from './data-schemas.ts';
import { dataOf } from './data-views.ts';

export const indexGet: RouteModule = (app, s) => {
  app.get('/v1/indices/ct100', {
    config: { permission: null, consumerScope: 'index:read' },
    schema: {
      operationId: 'getIndex',
      tags: ['data: index'],
      summary: 'The Clavis Top 100 at a close: level, regime, constituents',
      description: 'Net and gross levels (base 1000), the divisor, the regime and the holdings of the investable portfolio (docs/methodology.md).',
      security: CONSUMER_SECURITY,
      querystring: Type.Object({ asOf: Type.Optional(Day) }, { additionalProperties: false }),
      response: { 200: IndexSnapshot, ...dataErrors() },
    },
    handler: async (req) => {
      const data = dataOf(s);
      return { ...(await data.index.index(req.query.asOf)), source: data.source };
    },
  });
};
