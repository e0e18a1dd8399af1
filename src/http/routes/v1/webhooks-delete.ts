import { Type } from '@sinclair/typebox';
import type { RouteModule } from '../../app-types.ts';
import { authOf } from '../../plugins/auth.ts';
import { errorResponses } from '../../schemas/common.ts';
import { WebhookIdParam } from './webhooks-schemas.ts';

export const webhooksDelete: RouteModule = (app, s) => {
  app.delete('/v1/webhooks/:id', {
    config: { permission: 'webhooks:write' },
    schema: { operationId: 'deleteWebhook', tags: ['webhooks'], summary: 'Delete a webhook endpoint and its delivery log (audited webhook.deleted)', params: WebhookIdParam, response: { 200: Type.Object({ deleted: Type.Boolean() }), ...errorResponses(404) } },
    handler: async (req) => {
      const ctx = authOf(req);
      await s.webhooks.delete({ workspaceId: ctx.workspaceId, actor: { type: 'token', id: ctx.tokenId } }, req.params.id);
      return { deleted: true };
    },
  });
};
