import type { RouteModule } from '../../app-types.ts';
import { errorResponses } from '../../schemas/common.ts';
import { SecretParams, VersionQuery, VersionsAnswer, secretTarget } from './secrets-schemas.ts';

export const secretsDelete: RouteModule = (app, s) => {
  app.delete('/v1/secrets/:environment/*', {
    config: { permission: 'secrets:write' },
    schema: {
      operationId: 'deleteSecret',
      tags: ['secrets'],
      summary: 'Soft-delete the latest version (or ?version=N); undelete restores it',
      params: SecretParams,
      querystring: VersionQuery,
      response: { 200: VersionsAnswer, ...errorResponses(404) },
    },
    handler: async (req) => {
      const { acting, ref } = secretTarget(req, { environment: req.params.environment, path: req.params['*'] });
      const r = await s.secrets.delete(acting, ref, req.query.version === undefined ? undefined : [req.query.version]);
      return { environment: ref.environment, path: ref.path, versions: r.versions };
    },
  });
};
