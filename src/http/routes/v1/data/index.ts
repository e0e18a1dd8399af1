import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { RouteModule } from '../../../app-types.ts';
import { keepRawBodyHash } from '../../../plugins/consumer-guard.ts';
import { indexGet } from './index-get.ts';
import { indexHistory } from './index-history.ts';
import { indexHoldings } from './index-holdings.ts';
import { indexMetrics } from './index-metrics.ts';
import { indexQuote } from './index-quote.ts';
import { indexTransactions } from './index-transactions.ts';
import { portfolioGet } from './portfolio-get.ts';
import { portfolioTrade } from './portfolio-trade.ts';
import { portfolioTrades } from './portfolio-trades.ts';
import { pricesGet } from './prices-get.ts';
import { pricesHistory } from './prices-history.ts';
import { pricesList } from './prices-list.ts';
import { pricesStream } from './prices-stream.ts';
import { signalsRegime } from './signals-regime.ts';
import { waitlistJoin } from './waitlist-join.ts';

/** Every data-API operation (docs/guides/data-api.md), one module each. */
export const DATA_ROUTES: readonly RouteModule[] = [
  pricesList,
  pricesStream,
  pricesGet,
  pricesHistory,
  signalsRegime,
  indexGet,
  indexHoldings,
  indexTransactions,
  indexHistory,
  indexMetrics,
  indexQuote,
  portfolioGet,
  portfolioTrade,
  portfolioTrades,
  waitlistJoin,
];

/**
 * The data API: API-key routes (`config.consumerScope`, checked by the consumer guard) in a
 * plugin scope whose JSON parser keeps the raw body's hash for request signatures.
 */
export const dataApiRoutes: RouteModule = (app, s) => {
  void app.register(async (scope) => {
    keepRawBodyHash(scope);
    // The response schemas document these routes in OpenAPI; answers are written with
    // JSON.stringify rather than a compiled fast-json-stringify serializer per route and status,
    // which would add ~60 ms of CPU to every buildApp, data API used or not. Handlers build exactly
    // the documented shapes (test/data-api/response-shapes.test.ts checks them against the schemas).
    scope.setSerializerCompiler(() => (data) => JSON.stringify(data));
    const typed = scope.withTypeProvider<TypeBoxTypeProvider>();
    for (const route of DATA_ROUTES) route(typed, s);
  });
};
