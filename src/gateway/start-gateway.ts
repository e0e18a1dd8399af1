import type { FastifyInstance, FastifyServerOptions } from 'fastify';
import type { Config } from '../config.ts';
import { listeningPort, serverUrls } from '../server-setup.ts';
import type { Services } from '../services.ts';
import { buildGatewayApp } from './gateway-app.ts';
import type { RouteTable } from './routes-file.ts';

export interface RunningGateway {
  app: FastifyInstance;
  routes: RouteTable;
  /** Where clients connect. */
  url: string;
  /** The start-up line: where it listens, what it protects, under which rules. */
  line: string;
}

/**
 * Builds the gateway and listens on `config.host` and the gateway port — for `npm start` (beside
 * the admin API) and `clavis gateway` alike. The caller loads the route file first
 * (`loadRoutesFile`), so a bad file stops the start before anything is opened.
 *
 * @example const gw = await startGateway({ config, gateway: config.gateway, routes, services, verify: true, https, logger }); console.log(gw.line)
 */
export async function startGateway(opts: {
  config: Config;
  gateway: NonNullable<Config['gateway']>;
  routes: RouteTable;
  services: Pick<Services, 'verifier' | 'ids' | 'usage'>;
  verify: boolean;
  https: { cert: Buffer; key: Buffer } | undefined;
  logger: FastifyServerOptions['logger'];
}): Promise<RunningGateway> {
  const { config, gateway, routes } = opts;
  const app = await buildGatewayApp({
    services: opts.services,
    routes,
    upstream: gateway.upstream,
    verify: opts.verify,
    trustProxy: gateway.trustProxy,
    logger: opts.logger,
    https: opts.https,
    signedBodyLimitBytes: config.bodyLimitBytes,
  });
  await app.listen({ host: config.host, port: gateway.port });
  const urls = serverUrls(config.host, listeningPort(app.server, gateway.port), opts.https === undefined ? 'http' : 'https');
  const scope = `${routes.environment} keys${routes.workspaceId === undefined ? '' : ` of ${routes.workspaceId}`}`;
  const rules = opts.verify ? `${routes.routes.length} route(s) from ${routes.file}, ${scope}` : `${routes.routes.length} route(s) from ${routes.file}, VERIFICATION OFF: every matched request is forwarded without a key check`;
  return { app, routes, url: urls.connect, line: `Clavis gateway is listening on ${urls.listen} -> ${gateway.upstream} (${rules})` };
}
