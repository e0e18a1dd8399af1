import { Type } from '@sinclair/typebox';
import type { RouteModule } from '../../app-types.ts';
import { errorResponses } from '../../schemas/common.ts';
import { SecretParams, VersionQuery, secretTarget } from './secrets-schemas.ts';

export const secretsGet: RouteModule = (app, s) => {
  app.get('/v1/secrets/:environment/*', {
    config: { permission: 'secrets:reveal', critical: true },
    schema: {
      operationId: 'getSecret',
      tags: ['secrets'],
      summary: 'Read a secret value (the latest version, or ?version=N); every read is an audit event',
      params: SecretParams,
      querystring: VersionQuery,
      response: {
        200: Type.Object({ environment: Type.String(), path: Type.String(), version: Type.Integer(), value: Type.String(), createdAt: Type.String({ format: 'date-time' }), createdBy: Type.String() }),
        ...errorResponses(404, 409, 410, 500, 503),
      },
    },
    handler: async (req, reply) => {
      const { acting, ref } = secretTarget(req, { environment: req.params.environment, path: req.params['*'] });
      const r = await s.secrets.get(acting, ref, req.query.version);
      reply.header('Cache-Control', 'no-store');
      return { environment: r.environment, path: r.path, version: r.version, value: r.value, createdAt: new Date(r.createdAt).toISOString(), createdBy: r.createdBy };
    },
  });
};
