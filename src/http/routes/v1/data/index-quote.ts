import { Type } from '@sinclair/typebox';
import type { RouteModule } from '../../../app-types.ts';
import { consumerOf } from '../../../plugins/consumer-guard.ts';
import { CONSUMER_SECURITY, Quote, dataErrors } from './data-schemas.ts';
import { quoteView } from './data-views.ts';

const Body = Type.Object(
  {
    side: Type.Union([Type.Literal('buy'), Type.Literal('sell')]),
    amountUsd: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 1e9, description: 'Buy: USD to spend. Sell: USD value (at the close) of the units to sell' })),
    units: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 1e9, description: 'Sell only: index units to sell (instead of amountUsd)' })),
    slippageTolerance: Type.Optional(Type.Number({ minimum: 0, maximum: 0.5, default: 0.005, description: 'Accepted shortfall, as a fraction: minimumReceived = expectedOut · (1 − it)' })),
  },
  { additionalProperties: false },
);

export const indexQuote: RouteModule = (app, s) => {
  app.post('/v1/indices/ct100/quote', {
    config: { permission: null, consumerScope: 'index:read' },
    schema: {
      operationId: 'quoteIndexTrade',
      tags: ['data: portfolio'],
      summary: 'Quote a buy or sell of CT100 index units, before anything happens',
      description:
        'One order per constituent at its index weight, each costed by the index cost model (fee, half-spread, square-root impact); shows expected units (buy) or USD (sell) out, price impact, minimum received, network and platform fees and the total. Free to ask with `index:read`; execute it with `POST /v1/portfolio/trades` (needs `portfolio:trade`) before `expiresAt`. One index unit is worth the net index level in USD.',
      security: CONSUMER_SECURITY,
      body: Body,
      response: { 201: Quote, ...dataErrors() },
    },
    handler: async (req, reply) => {
      const issued = await s.portfolios.quote(consumerOf(req), req.body);
      reply.header('Cache-Control', 'no-store');
      return reply.status(201).send(quoteView(issued));
    },
  });
};
