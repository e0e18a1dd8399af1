import { Type } from '@sinclair/typebox';
import type { RouteModule } from '../../../app-types.ts';
import { consumerOf } from '../../../plugins/consumer-guard.ts';
import { CONSUMER_SECURITY, Position, Trade, dataErrors } from './data-schemas.ts';
import { positionView, tradeView } from './data-views.ts';

const Body = Type.Object({ quoteId: Type.String({ pattern: '^qt_[0-9A-Za-z]{22}$', description: 'The id of a quote that has not expired or been executed' }) }, { additionalProperties: false });

export const portfolioTrade: RouteModule = (app, s) => {
  app.post('/v1/portfolio/trades', {
    config: { permission: null, consumerScope: 'portfolio:trade' },
    schema: {
      operationId: 'executeTrade',
      tags: ['data: portfolio'],
      summary: "Execute a quote on the key owner's paper portfolio (once, before it expires)",
      description:
        '`portfolio:trade` is high-risk: the key must carry an IP allowlist and require signed requests (X-Clavis-Key, X-Clavis-Timestamp, X-Clavis-Nonce, X-Clavis-Signature over the raw body). The quote must be of the same owner; it fills at its quoted amounts. Consuming the quote, moving the position, recording the trade and its audit event happen in one transaction.',
      security: CONSUMER_SECURITY,
      body: Body,
      response: { 201: Type.Object({ trade: Trade, position: Position }), ...dataErrors(404, 409, 410) },
    },
    handler: async (req, reply) => {
      const { trade, position } = await s.portfolios.trade(consumerOf(req), req.body.quoteId);
      return reply.status(201).send({ trade: tradeView(trade), position: positionView({ ...position, unitPriceUsd: trade.unitPriceUsd }) });
    },
  });
};
