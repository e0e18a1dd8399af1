import { Type } from '@sinclair/typebox';
import type { RouteModule } from '../../app-types.ts';
import { decodeIdCursor, page } from '../../pagination.ts';
import { authOf } from '../../plugins/auth.ts';
import { CursorQuery, LimitQuery, errorResponses } from '../../schemas/common.ts';
import { WebhookDeliveryView, WebhookIdParam, webhookDeliveryView } from './webhooks-schemas.ts';

const Query = Type.Object({ limit: Type.Optional(LimitQuery), cursor: Type.Optional(CursorQuery) }, { additionalProperties: false });

export const webhooksDeliveries: RouteModule = (app, s) => {
  app.get('/v1/webhooks/:id/deliveries', {
    config: { permission: 'webhooks:read' },
    schema: {
      operationId: 'listWebhookDeliveries',
      tags: ['webhooks'],
      summary: 'Delivery log of an endpoint, newest first: status, attempts, last HTTP status or error',
      params: WebhookIdParam,
      querystring: Query,
      response: { 200: Type.Object({ data: Type.Array(WebhookDeliveryView), nextCursor: Type.Union([Type.String(), Type.Null()]) }), ...errorResponses(404) },
    },
    handler: async (req) => {
      const limit = req.query.limit ?? 50;
      const before = decodeIdCursor(req.query.cursor);
      const rows = await s.webhooks.deliveries(authOf(req).workspaceId, req.params.id, { ...(before !== undefined ? { beforeId: before } : {}), limit: limit + 1 });
      const p = page(rows, limit, (d) => d.id);
      return { data: p.data.map(webhookDeliveryView), nextCursor: p.nextCursor };
    },
  });
};
