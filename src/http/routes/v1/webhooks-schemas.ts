import { Type, type Static } from '@sinclair/typebox';
import { WEBHOOK_DELIVERY_STATUSES, WEBHOOK_EVENT_TYPES, type WebhookDeliveryRecord, type WebhookEndpointRecord } from '../../../core/ports/webhook-store.ts';
import { Timestamp } from '../../schemas/common.ts';

export const WebhookEventSchema = Type.Union(WEBHOOK_EVENT_TYPES.map((v) => Type.Literal(v)), { description: 'An event type (docs/guides/webhooks-and-playbooks.md)' });
export const WebhookIdParam = Type.Object({ id: Type.String({ pattern: '^[a-z]{2,4}_[0-9A-Za-z]{22}$', description: 'Webhook endpoint id (whk_…)' }) }, { additionalProperties: false });

export const WebhookView = Type.Object({
  id: Type.String(),
  url: Type.String(),
  events: Type.Array(WebhookEventSchema),
  createdAt: Timestamp,
  createdBy: Type.String(),
});

export const WebhookDeliveryView = Type.Object({
  id: Type.String({ description: 'The message id, sent as webhook-id (the same on every retry)' }),
  endpointId: Type.String(),
  eventType: WebhookEventSchema,
  status: Type.Union(WEBHOOK_DELIVERY_STATUSES.map((v) => Type.Literal(v))),
  attempts: Type.Integer(),
  nextAttemptAt: Type.Union([Timestamp, Type.Null()], { description: 'When a pending delivery is tried next; null once delivered or failed' }),
  lastStatusCode: Type.Union([Type.Integer(), Type.Null()]),
  lastError: Type.Union([Type.String(), Type.Null()]),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});

const iso = (ms: number): string => new Date(ms).toISOString();

/** What the API shows of an endpoint: never its secret, in any form. */
export function webhookView(e: WebhookEndpointRecord): Static<typeof WebhookView> {
  return { id: e.id, url: e.url, events: e.events, createdAt: iso(e.createdAt), createdBy: e.createdBy };
}

export function webhookDeliveryView(d: WebhookDeliveryRecord): Static<typeof WebhookDeliveryView> {
  return {
    id: d.id,
    endpointId: d.endpointId,
    eventType: d.eventType,
    status: d.status,
    attempts: d.attempts,
    nextAttemptAt: d.status === 'pending' ? iso(d.nextAttemptAt) : null,
    lastStatusCode: d.lastStatusCode,
    lastError: d.lastError,
    createdAt: iso(d.createdAt),
    updatedAt: iso(d.updatedAt),
  };
}
