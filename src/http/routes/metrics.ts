import { ClavisError } from '../../core/errors/registry.ts';
import type { RouteModule } from '../app-types.ts';
import { authOf } from '../plugins/auth.ts';

/**
 * Prometheus exposition. Not public: it needs `metrics:read` (every role but developer holds it,
 * so a `read-only` token is the scrape credential) from the operator workspace, since the
 * counters span every workspace. Prometheus sends the token with `authorization.credentials_file`.
 */
export const metrics: RouteModule = (app, s) => {
  app.get('/metrics', {
    config: { permission: 'metrics:read' },
    schema: { operationId: 'metrics', tags: ['health'], summary: 'Prometheus metrics (text exposition 0.0.4); operator workspace tokens only', produces: ['text/plain'] },
    handler: async (req, reply) => {
      const ws = await s.store.workspaces.findById(authOf(req).workspaceId);
      if (ws?.operator !== true) throw new ClavisError('OPERATOR_ONLY', 'metrics span every workspace: scrape with a token of the operator workspace');
      return reply.type(s.metrics.contentType).send(await s.metrics.render());
    },
  });
};
