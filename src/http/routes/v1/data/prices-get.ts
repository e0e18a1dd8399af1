import { Type } from '@sinclair/typebox';
import type { RouteModule } from '../../../app-types.ts';
import { ClavisError } from '../../../../core/errors/registry.ts';
import { AssetIdParam, CONSUMER_SECURITY, Day, Price, dataErrors } from './data-schemas.ts';
import { dataOf } from './data-views.ts';

export const pricesGet: RouteModule = (app, s) => {
  app.get('/v1/prices/:id', {
    config: { permission: null, consumerScope: 'prices:read' },
    schema: {
      operationId: 'getPrice',
      tags: ['data: prices'],
      summary: 'Close of one asset (the latest, or on a day)',
      security: CONSUMER_SECURITY,
      params: AssetIdParam,
      querystring: Type.Object({ asOf: Type.Optional(Day) }, { additionalProperties: false }),
      response: { 200: Price, ...dataErrors(404) },
    },
    handler: async (req) => {
      const price = await dataOf(s).market.price(req.params.id, req.query.asOf);
      if (price === null) throw new ClavisError('ASSET_NOT_FOUND', req.query.asOf === undefined ? `no asset "${req.params.id}"` : `no close of "${req.params.id}" on ${req.query.asOf}`);
      return { ...price, tags: [...price.tags] };
    },
  });
};
