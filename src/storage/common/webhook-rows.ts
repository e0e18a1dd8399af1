import type { WebhookDeliveryRecord, WebhookEndpointRecord, WebhookEventType } from '../../core/ports/store.ts';
import type { WebhookDeliveryStatus } from '../../core/ports/webhook-store.ts';

/** A webhook_endpoints row as both SQL drivers return it (PostgreSQL BIGINT arrives as a string). */
export interface WebhookEndpointRow {
  id: string;
  workspace_id: string;
  url: string;
  events: string;
  ciphertext: Buffer;
  wrapped_key: Buffer;
  key_version: number | string;
  created_at: number | string;
  created_by: string;
}

export interface WebhookDeliveryRow {
  id: string;
  workspace_id: string;
  endpoint_id: string;
  event_type: string;
  payload: string;
  status: string;
  attempts: number | string;
  next_attempt_at: number | string;
  lease_owner: string | null;
  lease_until: number | string | null;
  last_status_code: number | string | null;
  last_error: string | null;
  created_at: number | string;
  updated_at: number | string;
}

const numOrNull = (v: number | string | null): number | null => (v === null ? null : Number(v));

export function webhookEndpointFromRow(r: WebhookEndpointRow): WebhookEndpointRecord {
  return {
    id: r.id,
    workspaceId: r.workspace_id,
    url: r.url,
    events: JSON.parse(r.events) as WebhookEventType[],
    ciphertext: Buffer.from(r.ciphertext),
    wrappedKey: Buffer.from(r.wrapped_key),
    keyVersion: Number(r.key_version),
    createdAt: Number(r.created_at),
    createdBy: r.created_by,
  };
}

export function webhookDeliveryFromRow(r: WebhookDeliveryRow): WebhookDeliveryRecord {
  return {
    id: r.id,
    workspaceId: r.workspace_id,
    endpointId: r.endpoint_id,
    eventType: r.event_type as WebhookEventType,
    payload: r.payload,
    status: r.status as WebhookDeliveryStatus,
    attempts: Number(r.attempts),
    nextAttemptAt: Number(r.next_attempt_at),
    leaseOwner: r.lease_owner,
    leaseUntil: numOrNull(r.lease_until),
    lastStatusCode: numOrNull(r.last_status_code),
    lastError: r.last_error,
    createdAt: Number(r.created_at),
    updatedAt: Number(r.updated_at),
  };
}
