import type { RouteModule } from '../../app-types.ts';
import { authOf } from '../../plugins/auth.ts';
import { IdParam, errorResponses } from '../../schemas/common.ts';
import { keyView } from '../../views.ts';
import { Type } from '@sinclair/typebox';

export const keysGet: RouteModule = (app, s) => {
  app.get('/v1/keys/:id', {
    config: { permission: 'keys:read' },
    schema: { operationId: 'getKey', tags: ['keys'], summary: 'Get a key', params: IdParam, response: { 200: Type.Ref('ApiKey'), ...errorResponses(404) } },
    handler: async (req) => {
      const key = await s.keys.get(authOf(req).workspaceId, req.params.id);
      const [lastUse] = await s.store.usage.lastUse([key.id]);
      return keyView(key, s.clock.now(), lastUse ?? null);
    },
  });
};
