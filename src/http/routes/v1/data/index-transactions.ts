import { Type } from '@sinclair/typebox';
import type { RouteModule } from '../../../app-types.ts';
import { decodeSeqCursor, encodeCursor } from '../../../pagination.ts';
import { CursorQuery } from '../../../schemas/common.ts';
import { CONSUMER_SECURITY, Day, Transaction, dataErrors } from './data-schemas.ts';
import { dataOf } from './data-views.ts';

const Query = Type.Object(
  {
    type: Type.Optional(Type.Union([Type.Literal('REBALANCE'), Type.Literal('REGIME_SWITCH'), Type.Literal('EMERGENCY')])),
    from: Type.Optional(Day),
    to: Type.Optional(Day),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100, description: 'Page size' })),
    cursor: Type.Optional(CursorQuery),
  },
  { additionalProperties: false },
);

export const indexTransactions: RouteModule = (app, s) => {
  app.get('/v1/indices/ct100/transactions', {
    config: { permission: null, consumerScope: 'index:read' },
    schema: {
      operationId: 'listIndexTransactions',
      tags: ['data: index'],
      summary: 'The transactions log: rebalances, regime switches, emergencies, oldest first',
      description: 'Each entry: time, type, signal inputs, the selection, orders (side, quantity, est. price, fee, impact), weights before and after, turnover and cost (docs/methodology.md §10).',
      security: CONSUMER_SECURITY,
      querystring: Query,
      response: { 200: Type.Object({ data: Type.Array(Transaction), nextCursor: Type.Union([Type.String(), Type.Null()]) }), ...dataErrors() },
    },
    handler: async (req) => {
      const q = req.query;
      const after = decodeSeqCursor(q.cursor);
      const page = await dataOf(s).index.transactions({ ...(after === undefined ? {} : { after }), limit: q.limit ?? 100, ...(q.type === undefined ? {} : { type: q.type }), ...(q.from === undefined ? {} : { from: q.from }), ...(q.to === undefined ? {} : { to: q.to }) });
      return { data: page.data, nextCursor: page.nextCursor === null ? null : encodeCursor(String(page.nextCursor)) };
    },
  });
};
