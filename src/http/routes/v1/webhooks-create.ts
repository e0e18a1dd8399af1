import { Type } from '@sinclair/typebox';
import type { RouteModule } from '../../app-types.ts';
import { authOf } from '../../plugins/auth.ts';
import { errorResponses } from '../../schemas/common.ts';
import { WebhookEventSchema, WebhookView, webhookView } from './webhooks-schemas.ts';

const Body = Type.Object(
  {
    url: Type.String({ minLength: 1, maxLength: 2048, description: 'Receiver URL (http or https, no credentials)' }),
    events: Type.Array(WebhookEventSchema, { minItems: 1, maxItems: 20, description: 'Event types to deliver' }),
  },
  { additionalProperties: false },
);

export const webhooksCreate: RouteModule = (app, s) => {
  app.post('/v1/webhooks', {
    config: { permission: 'webhooks:write' },
    schema: {
      operationId: 'createWebhook',
      tags: ['webhooks'],
      summary: 'Add a webhook endpoint (audited webhook.created); the signing secret is shown only in this answer',
      body: Body,
      response: { 201: Type.Intersect([Type.Object({ secret: Type.String({ description: 'whsec_… (Standard Webhooks); shown only here' }) }), WebhookView]), ...errorResponses() },
    },
    handler: async (req, reply) => {
      const ctx = authOf(req);
      const { endpoint, secret } = await s.webhooks.create({ workspaceId: ctx.workspaceId, actor: { type: 'token', id: ctx.tokenId } }, req.body);
      reply.header('Cache-Control', 'no-store');
      return reply.status(201).send({ secret, ...webhookView(endpoint) });
    },
  });
};
