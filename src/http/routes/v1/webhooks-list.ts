import { Type } from '@sinclair/typebox';
import type { RouteModule } from '../../app-types.ts';
import { authOf } from '../../plugins/auth.ts';
import { errorResponses } from '../../schemas/common.ts';
import { WebhookView, webhookView } from './webhooks-schemas.ts';

export const webhooksList: RouteModule = (app, s) => {
  app.get('/v1/webhooks', {
    config: { permission: 'webhooks:read' },
    schema: { operationId: 'listWebhooks', tags: ['webhooks'], summary: 'Webhook endpoints of the workspace (never their secrets)', response: { 200: Type.Object({ data: Type.Array(WebhookView) }), ...errorResponses() } },
    handler: async (req) => ({ data: (await s.webhooks.list(authOf(req).workspaceId)).map(webhookView) }),
  });
};
