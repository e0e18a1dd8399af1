import { ClavisError } from '../../../core/errors/registry.ts';
import type { RouteModule } from '../../app-types.ts';
import { emptyBodyAsObject } from '../../plugins/optional-body.ts';
import { errorResponses } from '../../schemas/common.ts';
import { SecretParams, VersionsAnswer, VersionsBody, secretTarget } from './secrets-schemas.ts';

const ACTIONS = ['undelete', 'destroy'] as const;

/**
 * `POST /v1/secrets/{environment}/{path}/undelete` and `…/destroy`. One route, since a wildcard
 * path cannot be followed by a fixed suffix in the router: the last segment names the action.
 */
export const secretsLifecycle: RouteModule = (app, s) => {
  app.post('/v1/secrets/:environment/*', {
    preValidation: emptyBodyAsObject,
    config: { permission: 'secrets:write' },
    schema: {
      operationId: 'changeSecretVersions',
      tags: ['secrets'],
      summary: '…/undelete restores soft-deleted versions (default the latest); …/destroy erases versions for good (default all): ciphertext and wrapped data key are removed (crypto-shred)',
      params: SecretParams,
      body: VersionsBody,
      response: { 200: VersionsAnswer, ...errorResponses(404) },
    },
    handler: async (req) => {
      const full = req.params['*'];
      const cut = full.lastIndexOf('/');
      const action = full.slice(cut + 1);
      if (cut < 1 || !(ACTIONS as readonly string[]).includes(action)) {
        throw new ClavisError('ROUTE_NOT_FOUND', `POST ${req.url.split('?')[0] ?? ''}: the path must end in /undelete or /destroy`);
      }
      const { acting, ref } = secretTarget(req, { environment: req.params.environment, path: full.slice(0, cut) });
      const r = action === 'undelete' ? await s.secrets.undelete(acting, ref, req.body.versions) : await s.secrets.destroy(acting, ref, req.body.versions);
      return { environment: ref.environment, path: ref.path, versions: r.versions };
    },
  });
};
