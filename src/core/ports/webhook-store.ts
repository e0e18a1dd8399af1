/**
 * Storage of webhook endpoints and their delivery queue (docs/guides/webhooks-and-playbooks.md).
 * A delivery row is both the message to send and its log: the worker leases due rows, so on
 * several nodes one node sends a given message.
 */

/** The events an endpoint may subscribe to (each is the audit action that causes it). */
export const WEBHOOK_EVENT_TYPES = ['alert.raised', 'key.created', 'key.rotated', 'key.revoked', 'key.suspended', 'key.resumed', 'key.rotation_due', 'key.expiring_soon', 'key.quota_low', 'playbook.completed', 'playbook.failed', 'playbook.notify'] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

export interface WebhookEndpointRecord {
  id: string;
  workspaceId: string;
  url: string;
  events: WebhookEventType[];
  /** The `whsec_…` signing secret, AES-256-GCM under a data key wrapped by the keyring (same envelope as vault secrets). */
  ciphertext: Buffer;
  wrappedKey: Buffer;
  keyVersion: number;
  createdAt: number;
  /** Actor id. */
  createdBy: string;
}

export const WEBHOOK_DELIVERY_STATUSES = ['pending', 'delivered', 'failed'] as const;
export type WebhookDeliveryStatus = (typeof WEBHOOK_DELIVERY_STATUSES)[number];

/** One message to one endpoint: its payload, state and the outcome of its last attempt. */
export interface WebhookDeliveryRecord {
  /** The message id (`webhook-id`), the same on every retry. */
  id: string;
  workspaceId: string;
  endpointId: string;
  eventType: WebhookEventType;
  /** The exact JSON body sent (and signed). */
  payload: string;
  status: WebhookDeliveryStatus;
  attempts: number;
  /** When the next attempt is due (epoch ms); meaningless once delivered or failed. */
  nextAttemptAt: number;
  /** The node holding the lease on this row, and until when. */
  leaseOwner: string | null;
  leaseUntil: number | null;
  lastStatusCode: number | null;
  lastError: string | null;
  createdAt: number;
  updatedAt: number;
}

/** What an attempt changes on its delivery row. */
export interface WebhookAttemptResult {
  status: WebhookDeliveryStatus;
  attempts: number;
  nextAttemptAt: number;
  lastStatusCode: number | null;
  lastError: string | null;
  updatedAt: number;
}

export interface WebhookRepo {
  insertEndpoint(endpoint: WebhookEndpointRecord): Promise<void>;
  findEndpoint(workspaceId: string, id: string): Promise<WebhookEndpointRecord | null>;
  /** The workspace's endpoints in creation (id) order. */
  listEndpoints(workspaceId: string): Promise<WebhookEndpointRecord[]>;
  /** Deletes the endpoint and its delivery log; false when there was no such endpoint in the workspace. */
  deleteEndpoint(workspaceId: string, id: string): Promise<boolean>;
  enqueue(delivery: WebhookDeliveryRecord): Promise<void>;
  /**
   * Leases up to `limit` pending deliveries due at `now` whose lease is free or expired, to
   * `owner` until `leaseUntil`, and returns them. Atomic: two nodes never lease the same row at once.
   */
  claimDue(now: number, owner: string, leaseUntil: number, limit: number): Promise<WebhookDeliveryRecord[]>;
  /** Records an attempt and frees the lease, only if `owner` still holds it; false otherwise. */
  finishAttempt(id: string, owner: string, result: WebhookAttemptResult): Promise<boolean>;
  /** Endpoints whose secret's data key is wrapped by a root key version in [from, to), in id order (master key rewrap). */
  wrappedBetween(fromKeyVersion: number, toKeyVersion: number, limit: number): Promise<WebhookEndpointRecord[]>;
  /** Stores the data key wrapped by `toKeyVersion` only if the endpoint is still at `fromKeyVersion`. */
  rewrap(id: string, fromKeyVersion: number, toKeyVersion: number, wrappedKey: Buffer): Promise<boolean>;
  /** Endpoints per root key version (what master key retire checks). */
  countByKeyVersion(): Promise<{ keyVersion: number; count: number }[]>;
  /** An endpoint's deliveries, newest first, before `beforeId`. */
  listDeliveries(workspaceId: string, endpointId: string, page: { beforeId?: string; limit: number }): Promise<WebhookDeliveryRecord[]>;
}
