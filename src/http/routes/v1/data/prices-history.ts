import { Type } from '@sinclair/typebox';
import type { RouteModule } from '../../../app-types.ts';
import { ClavisError } from '../../../../core/errors/registry.ts';
import { AssetIdParam, CONSUMER_SECURITY, Day, HistoryPoint, dataErrors } from './data-schemas.ts';
import { dataOf } from './data-views.ts';

export const pricesHistory: RouteModule = (app, s) => {
  app.get('/v1/prices/:id/history', {
    config: { permission: null, consumerScope: 'prices:read' },
    schema: {
      operationId: 'getPriceHistory',
      tags: ['data: prices'],
      summary: 'Daily closes of one asset between two days (inclusive)',
      description: 'Days without a close are left out. Default: the whole history.',
      security: CONSUMER_SECURITY,
      params: AssetIdParam,
      querystring: Type.Object({ from: Type.Optional(Day), to: Type.Optional(Day) }, { additionalProperties: false }),
      response: { 200: Type.Object({ id: Type.String(), data: Type.Array(HistoryPoint) }), ...dataErrors(404) },
    },
    handler: async (req) => {
      const { from, to } = req.query;
      if (from !== undefined && to !== undefined && from > to) throw new ClavisError('VALIDATION_FAILED', '/querystring/from: must not be after to', [{ field: '/querystring/from', message: 'must not be after to' }]);
      const points = await dataOf(s).market.history(req.params.id, from, to);
      if (points === null) throw new ClavisError('ASSET_NOT_FOUND', `no asset "${req.params.id}"`);
      return { id: req.params.id, data: points };
    },
  });
};
