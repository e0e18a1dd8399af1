import { createServer, type IncomingMessage } from 'node:http';
import { clavisBodyHash, clavisExpress, clavisFastify, clavisIdentity, recordRawBody, type Environment, type RemoteVerifier } from '@clavis/sdk';
import Fastify from 'fastify';
import { portOf } from './clavis-server.ts';

/** A provider's own service, protected by the SDK middleware. */
export interface ProtectedApp {
  url: string;
  close(): Promise<void>;
}

export interface ProtectOptions {
  verifier: RemoteVerifier;
  environment?: Environment;
  /** Whether the app hands the middleware the raw body (default true). */
  keepRawBody?: boolean;
  cost?: number;
  rateLimitHeaders?: boolean;
}

export type Framework = 'fastify' | 'node:http';

/** What every protected route answers: the identity the middleware attached, and the body. */
export interface RouteAnswer {
  identity: unknown;
  property: unknown;
  body: unknown;
}

/** `/v1/index/…` needs index:read; every other route prices:read. */
const scopeOf = (url: string): string => (url.startsWith('/v1/index') ? 'index:read' : 'prices:read');

/**
 * Starts the same three routes (GET /v1/prices, GET /v1/index/ct100, POST /v1/orders) on Fastify
 * or on a plain node:http server.
 *
 * @example const app = await startProtected('fastify', { verifier, environment: 'test' })
 */
export function startProtected(framework: Framework, opts: ProtectOptions): Promise<ProtectedApp> {
  return framework === 'fastify' ? startFastify(opts) : startNodeHttp(opts);
}

async function startFastify(opts: ProtectOptions): Promise<ProtectedApp> {
  const app = Fastify({ logger: false });
  app.decorateRequest('clavis', null);
  if (opts.keepRawBody ?? true) app.addHook('preParsing', clavisBodyHash);
  const answer = (req: object, body: unknown): RouteAnswer => ({ identity: clavisIdentity(req) ?? null, property: Reflect.get(req, 'clavis'), body });
  // Route-level, with a fixed scope.
  app.get('/v1/prices', { preHandler: clavisFastify({ verifier: opts.verifier, scope: 'prices:read', environment: opts.environment, cost: opts.cost, rateLimitHeaders: opts.rateLimitHeaders }) }, async (req) => answer(req, null));
  // Scope-level hook, choosing the scope per request.
  await app.register(async (scoped) => {
    scoped.addHook('preHandler', clavisFastify({ verifier: opts.verifier, scope: (req) => scopeOf(req.raw.url ?? ''), environment: opts.environment, cost: opts.cost, rateLimitHeaders: opts.rateLimitHeaders }));
    scoped.get('/v1/index/ct100', async (req) => answer(req, null));
    scoped.post('/v1/orders', async (req) => answer(req, req.body));
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  return { url: `http://127.0.0.1:${portOf(app.server.address())}`, close: () => app.close() };
}

async function startNodeHttp(opts: ProtectOptions): Promise<ProtectedApp> {
  const protect = clavisExpress({ verifier: opts.verifier, scope: (req: IncomingMessage) => scopeOf(req.url ?? ''), environment: opts.environment, cost: opts.cost, rateLimitHeaders: opts.rateLimitHeaders });
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      // What express.json({ verify: recordRawBody }) does.
      if (opts.keepRawBody ?? true) recordRawBody(req, res, raw);
      protect(req, res, (err) => {
        if (err !== undefined) {
          res.statusCode = 500;
          res.end();
          return;
        }
        const answer: RouteAnswer = { identity: clavisIdentity(req) ?? null, property: Reflect.get(req, 'clavis'), body: raw.length > 0 ? (JSON.parse(raw.toString('utf8')) as unknown) : null };
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify(answer));
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${portOf(server.address())}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err === undefined ? resolve() : reject(err)));
        server.closeAllConnections();
      }),
  };
}
