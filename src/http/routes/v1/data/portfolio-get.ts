import type { RouteModule } from '../../../app-types.ts';
import { consumerOf } from '../../../plugins/consumer-guard.ts';
import { CONSUMER_SECURITY, Portfolio, dataErrors } from './data-schemas.ts';
import { positionView } from './data-views.ts';

export const portfolioGet: RouteModule = (app, s) => {
  app.get('/v1/portfolio', {
    config: { permission: null, consumerScope: 'portfolio:read' },
    schema: {
      operationId: 'getPortfolio',
      tags: ['data: portfolio'],
      summary: "The key owner's paper portfolio: positions, value, cost basis and P&L at the latest close",
      description: 'One portfolio per key owner (the key’s `ownerId`) and workspace, shared by every key of that owner. A key without an owner gets OWNER_REQUIRED.',
      security: CONSUMER_SECURITY,
      response: { 200: Portfolio, ...dataErrors() },
    },
    handler: async (req) => {
      const p = await s.portfolios.portfolio(consumerOf(req));
      return { ...p, positions: p.positions.map(positionView) };
    },
  });
};
