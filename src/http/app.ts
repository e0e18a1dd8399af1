import { readFileSync } from 'node:fs';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Ajv } from 'ajv';
import addFormats from 'ajv-formats';
import Fastify, { type FastifyServerOptions } from 'fastify';
import { createRequestIdGenerator } from '../core/ids.ts';
import type { Services } from '../services.ts';
import type { App } from './app-types.ts';
import { registerAuth } from './plugins/auth.ts';
import { registerStepUp } from './plugins/step-up.ts';
import { UserView } from './routes/v1/users-schemas.ts';
import { registerConsumerGuard } from './plugins/consumer-guard.ts';
import { registerErrorHandler } from './plugins/error-handler.ts';
import { clientErrorHandler, frameworkErrors } from './plugins/edge-errors.ts';
import { healthz, readyz } from './routes/health.ts';
import { metrics } from './routes/metrics.ts';
import { V1_ROUTES } from './routes/v1/index.ts';
import { ProblemSchema } from './schemas/common.ts';
import { AuditEventView, CheckpointView, KeyView, TokenView, WorkspaceView } from './views.ts';
import { AlertView } from './routes/v1/alerts-schemas.ts';
import { SCOPES } from '../core/keys/scopes.ts';

export interface AppOptions {
  services: Services;
  /** pino options, or false for no logs (tests). */
  logger?: FastifyServerOptions['logger'];
  bodyLimitBytes?: number;
  /** Passed through to Fastify for HTTPS. */
  https?: { cert: Buffer; key: Buffer };
  version?: string;
}

/** Paths pino must never print: credentials travel in these. */
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers["x-clavis-key"]',
  'req.headers["x-clavis-signature"]',
  'req.headers["x-clavis-mfa"]',
  'req.headers.cookie',
  '*.key',
  '*.token',
  '*.secret',
  '*.password',
];

function makeAjv(coerce: boolean): Ajv {
  // Bodies are checked strictly (a wrong type is an error, never coerced); query strings and
  // params arrive as text, so they are coerced.
  const ajv = new Ajv({ allErrors: true, removeAdditional: false, useDefaults: true, coerceTypes: coerce ? 'array' : false, strict: false });
  addFormats.default(ajv);
  return ajv;
}

const ERRORS_DOC = new URL('../../docs/reference/errors.md', import.meta.url);

/**
 * Registers plugins and routes; never listens. Tests call `inject()`, main.ts calls `listen()`.
 *
 * @example const app = await buildApp({ services, logger: false }); await app.inject({ url: '/healthz' })
 */
export async function buildApp(opts: AppOptions): Promise<App> {
  const { services } = opts;
  const requestIds = createRequestIdGenerator();
  const app = Fastify({
    logger: opts.logger ?? false,
    bodyLimit: opts.bodyLimitBytes ?? 65_536,
    genReqId: requestIds,
    // Parser and router refusals answer problem+json with a registry code, like every other.
    clientErrorHandler: clientErrorHandler(requestIds),
    frameworkErrors,
    requestIdHeader: false,
    return503OnClosing: true,
    ...(opts.https !== undefined ? { https: opts.https } : {}),
  }).withTypeProvider<TypeBoxTypeProvider>();

  const bodyAjv = makeAjv(false);
  const textAjv = makeAjv(true);
  app.setValidatorCompiler(({ schema, httpPart }) => (httpPart === 'body' ? bodyAjv : textAjv).compile(schema));
  // Set before anything can fail (error answers keep the headers already set). A callback hook,
  // not an async one: every request pays for it, and a promise costs a microtask each.
  app.addHook('onRequest', (request, reply, done) => {
    reply.header('X-Request-Id', request.id);
    done();
  });

  registerErrorHandler(app);
  // JSON only: a text/plain body would otherwise reach the schema as a string.
  app.removeContentTypeParser('text/plain');

  await app.register(swagger, {
    refResolver: { buildLocalReference: (json, _base, _fragment, i) => (typeof json.$id === 'string' ? json.$id : `def-${i}`) },
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Clavis API',
        version: opts.version ?? '0.1.0',
        description: `Key management for crypto API services. Admin routes take \`Authorization: Bearer <admin token>\`. Scopes: ${Object.keys(SCOPES).join(', ')}.`,
      },
      components: {
        securitySchemes: {
          adminToken: { type: 'http', scheme: 'bearer', description: 'Admin token (clv_adm_…)' },
          apiKey: { type: 'http', scheme: 'bearer', description: 'API key (clv_live_…) for the data API; or X-Clavis-Key with X-Clavis-Timestamp, X-Clavis-Nonce and X-Clavis-Signature for signed requests' },
        },
      },
      security: [{ adminToken: [] }],
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });

  for (const schema of [ProblemSchema, KeyView, TokenView, WorkspaceView, AuditEventView, CheckpointView, AlertView, UserView]) app.addSchema(schema);
  registerAuth(app, services.tokens);
  registerStepUp(app, services.mfa);
  registerConsumerGuard(app, services);

  app.get('/openapi.json', { config: { permission: null }, schema: { hide: true } }, async () => app.swagger());
  app.get('/docs/errors.md', { config: { permission: null }, schema: { hide: true } }, async (_req, reply) =>
    reply.type('text/markdown; charset=utf-8').send(readFileSync(ERRORS_DOC, 'utf8')),
  );
  for (const route of [healthz, readyz, metrics, ...V1_ROUTES]) route(app, services);
  await app.ready();
  return app;
}
