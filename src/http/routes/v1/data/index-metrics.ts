import { Type } from '@sinclair/typebox';
import type { RouteModule } from '../../../app-types.ts';
import { CONSUMER_SECURITY, Day, Metrics, dataErrors } from './data-schemas.ts';
import { dataOf } from './data-views.ts';

export const indexMetrics: RouteModule = (app, s) => {
  app.get('/v1/indices/ct100/metrics', {
    config: { permission: null, consumerScope: 'index:read' },
    schema: {
      operationId: 'getIndexMetrics',
      tags: ['data: index'],
      summary: 'Performance and risk metrics of the index against buy-and-hold Top 100 and BTC',
      description: 'CAGR, volatility (√365), Sharpe, Sortino, Calmar, max drawdown, turnover, cost drag, switches, tracking error and beta (docs/methodology.md §13). A period is rebased to its first day.',
      security: CONSUMER_SECURITY,
      querystring: Type.Object({ from: Type.Optional(Day), to: Type.Optional(Day) }, { additionalProperties: false }),
      response: { 200: Metrics, ...dataErrors() },
    },
    handler: async (req) => dataOf(s).index.metrics(req.query.from, req.query.to),
  });
};
