import type { Command } from 'commander';
import type { Config } from '../../config.ts';
import type { RouteTable } from '../../gateway/routes-file.ts';
import type { RunningGateway } from '../../gateway/start-gateway.ts';
import { jsonOf, type CliContext } from '../context.ts';
import { CliError } from '../io.ts';
import { collect, integer } from '../parsers.ts';

interface Options {
  upstream?: string;
  routes?: string;
  port?: number;
  host?: string;
  trustProxy?: string[];
  verify: boolean;
  iKnow?: boolean;
}

/** How long in-flight requests (long downloads, streams, websockets) get once a signal arrives. */
const DRAIN_MS = 10_000;

function untilSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const on = (signal: NodeJS.Signals): void => {
      process.off('SIGINT', on);
      process.off('SIGTERM', on);
      resolve(signal);
    };
    process.on('SIGINT', on);
    process.on('SIGTERM', on);
  });
}

/**
 * `clavis gateway`: runs the gateway in this process, on the store the environment configures
 * (CLAVIS_DATA_DIR, CLAVIS_DATABASE_URL, …, as `npm start` does), until SIGINT or SIGTERM.
 */
export function registerGateway(program: Command, ctx: CliContext): void {
  program
    .command('gateway')
    .description('Put Clavis in front of an HTTP API: verify every request (key, environment, IP, scope, signature, limits), then forward it')
    .option('--upstream <url>', 'the API to protect, http:// or https:// (or CLAVIS_GATEWAY_UPSTREAM)')
    .option('--routes <file>', 'JSON route file: method and path patterns and the scope each needs (or CLAVIS_GATEWAY_ROUTES_FILE)')
    .option('--port <n>', 'port to listen on, 0 for a free one (or CLAVIS_GATEWAY_PORT; default 8421)', integer(0))
    .option('--host <address>', 'address to listen on (or CLAVIS_HOST; default 127.0.0.1; others need TLS or CLAVIS_ALLOW_PLAIN_HTTP=true)')
    .option('--trust-proxy <cidr>', 'a proxy whose X-Forwarded-For is believed, address or CIDR; repeatable (or CLAVIS_GATEWAY_TRUST_PROXY)', collect)
    .option('--no-verify', 'forward matched requests without checking any key: only to measure the cost of verification (needs --i-know)')
    .option('--i-know', 'confirm --no-verify')
    .addHelpText(
      'after',
      `
The store comes from the environment as for \`npm start\` (CLAVIS_DATA_DIR, CLAVIS_DATABASE_URL,
CLAVIS_REDIS_URL, …). On SQLite a key revoked by another process is refused here once the verify
cache expires (CLAVIS_CACHE_TTL_MS); PostgreSQL pushes revocations at once. Route file format and
the headers the upstream gets: docs/guides/gateway.md.

Examples:
  $ clavis gateway --upstream http://127.0.0.1:3000 --routes gateway-routes.json
  $ CLAVIS_DATABASE_URL=postgres://… clavis gateway --upstream https://api.internal --routes routes.json --port 8443`,
    )
    .action(async (_opts: unknown, cmd: Command) => {
      const o = cmd.opts<Options>();
      if (!o.verify && o.iKnow !== true) {
        throw new CliError('--no-verify forwards every matched request without checking any key; it exists to measure what verification costs. Add --i-know to run it anyway.');
      }
      // Loaded here, not at the top: every other command starts without the server's modules.
      const [{ ConfigError, loadConfig }, { RoutesFileError, loadRoutesFile }, { openServerState, readTls, sqlitePath }, { startGateway }, { REDACT_PATHS }] = await Promise.all([
        import('../../config.ts'),
        import('../../gateway/routes-file.ts'),
        import('../../server-setup.ts'),
        import('../../gateway/start-gateway.ts'),
        import('../../http/app.ts'),
      ]);
      // Flags win over the environment; the config schema checks both alike.
      const env: Record<string, string | undefined> = { ...ctx.io.env };
      if (o.upstream !== undefined) env.CLAVIS_GATEWAY_UPSTREAM = o.upstream;
      if (o.routes !== undefined) env.CLAVIS_GATEWAY_ROUTES_FILE = o.routes;
      if (o.port !== undefined) env.CLAVIS_GATEWAY_PORT = String(o.port);
      if (o.host !== undefined) env.CLAVIS_HOST = o.host;
      if (o.trustProxy !== undefined) env.CLAVIS_GATEWAY_TRUST_PROXY = o.trustProxy.join(',');
      let config: Config;
      try {
        config = loadConfig(env);
      } catch (err) {
        if (err instanceof ConfigError) throw new CliError(err.message);
        throw err;
      }
      const gateway = config.gateway;
      if (gateway === undefined) throw new CliError('give --upstream and --routes (or set CLAVIS_GATEWAY_UPSTREAM and CLAVIS_GATEWAY_ROUTES_FILE)');
      let routes: RouteTable;
      try {
        routes = loadRoutesFile(gateway.routesFile);
      } catch (err) {
        if (err instanceof RoutesFileError) throw new CliError(err.message);
        throw err;
      }

      const state = await openServerState(config);
      let running: RunningGateway;
      try {
        running = await startGateway({
          config,
          gateway,
          routes,
          services: state.services,
          verify: o.verify,
          https: readTls(config),
          logger: { level: config.logLevel, redact: { paths: REDACT_PATHS, censor: '[redacted]' } },
        });
      } catch (err) {
        await state.close();
        throw err;
      }
      if (jsonOf(cmd)) ctx.io.stdout(`${JSON.stringify({ url: running.url, upstream: gateway.upstream, routes: routes.routes.length, environment: routes.environment, verify: o.verify })}\n`);
      else ctx.io.stdout(`${running.line}\n`);
      if (!o.verify) ctx.io.stderr('WARNING: verification is off (--no-verify): no key is checked. Never expose this gateway.\n');
      if (state.store.kind === 'sqlite') {
        ctx.io.stderr(
          `note: the store is SQLite (${sqlitePath(config)}): a key revoked through another process is refused here within CLAVIS_CACHE_TTL_MS (${config.cache.ttlMs} ms). ` +
            'Run the gateway inside `npm start` (CLAVIS_GATEWAY_UPSTREAM, CLAVIS_GATEWAY_ROUTES_FILE) or use PostgreSQL for instant revocation.\n',
        );
      }

      // Gateway traffic is counted like the verify API's: flushed on a timer and at shut-down.
      const flush = (): Promise<void> => state.services.usage.flush().catch((err: unknown) => ctx.io.stderr(`clavis gateway: usage flush failed: ${err instanceof Error ? err.message : String(err)}\n`));
      const usageTimer = config.monitor.flushIntervalSeconds > 0 ? setInterval(() => void flush(), config.monitor.flushIntervalSeconds * 1000) : undefined;
      usageTimer?.unref();

      await untilSignal();
      if (usageTimer !== undefined) clearInterval(usageTimer);
      // Finish in-flight requests, but do not let an endless stream hold the shut-down.
      const drained = running.app.close();
      const timer = setTimeout(() => running.app.server.closeAllConnections(), DRAIN_MS);
      try {
        await drained;
      } finally {
        clearTimeout(timer);
        await flush();
        await state.close();
      }
    });
}
