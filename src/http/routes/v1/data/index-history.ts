import { Type } from '@sinclair/typebox';
import type { RouteModule } from '../../../app-types.ts';
import { CONSUMER_SECURITY, Day, LevelPoint, dataErrors } from './data-schemas.ts';
import { dataOf } from './data-views.ts';

export const indexHistory: RouteModule = (app, s) => {
  app.get('/v1/indices/ct100/history', {
    config: { permission: null, consumerScope: 'index:read' },
    schema: {
      operationId: 'getIndexHistory',
      tags: ['data: index'],
      summary: 'Daily levels of the index (gross and net of costs) and the regime after each close',
      security: CONSUMER_SECURITY,
      querystring: Type.Object({ from: Type.Optional(Day), to: Type.Optional(Day) }, { additionalProperties: false }),
      response: { 200: Type.Object({ data: Type.Array(LevelPoint) }), ...dataErrors() },
    },
    handler: async (req) => ({ data: await dataOf(s).index.levels(req.query.from, req.query.to) }),
  });
};
