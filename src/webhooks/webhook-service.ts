import type { AuditLog } from '../core/audit/audit-log.ts';
import type { Clock } from '../core/clock.ts';
import { ClavisError } from '../core/errors/registry.ts';
import type { IdGenerator } from '../core/ids.ts';
import type { Acting } from '../core/keys/key-service.ts';
import type { AuditEvent } from '../core/model.ts';
import type { Repos, Store, WebhookDeliveryRecord, WebhookEndpointRecord, WebhookEventType } from '../core/ports/store.ts';
import { WEBHOOK_EVENT_TYPES } from '../core/ports/webhook-store.ts';
import { newWebhookSecret } from './standard-webhooks.ts';
import type { WebhookEgress } from './webhook-egress.ts';
import type { WebhookSecretBox } from './webhook-secret-box.ts';

/** Fields never copied from an audit event into a payload, whatever an event holds. */
const NEVER_SENT = new Set(['hash', 'secret', 'value', 'passphrase', 'ciphertext', 'wrappedKey', 'key', 'token']);
const EVENT_TYPES: ReadonlySet<string> = new Set(WEBHOOK_EVENT_TYPES);

/** The JSON body of a delivery: the Standard Webhooks envelope `{ type, timestamp, data }`. */
export interface WebhookPayload {
  type: WebhookEventType;
  timestamp: string;
  data: Record<string, unknown>;
}

/**
 * The payload for an audit event, or null when no webhook event matches its action. It carries
 * the audit event's ids and data (already free of secrets by design), minus any field whose
 * name could hold one.
 *
 * @example payloadOf(event)?.type // 'key.revoked'
 */
export function payloadOf(event: AuditEvent): WebhookPayload | null {
  if (!EVENT_TYPES.has(event.action)) return null;
  const data: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(event.data)) if (!NEVER_SENT.has(k)) data[k] = v;
  return {
    type: event.action as WebhookEventType,
    timestamp: event.time,
    data: { workspaceId: event.workspaceId, auditEventId: event.id, auditSeq: event.seq, actor: event.actor, target: event.target, ...data },
  };
}

/**
 * Queues a delivery to every endpoint of the workspace subscribed to the event, in the audit
 * event's transaction (a transactional outbox: no webhook for a rolled-back change, none lost
 * for a committed one). Hand it to `AuditLog` as `onAppend`.
 *
 * @example new AuditLog({ …, onAppend: webhookOutbox({ clock, ids }) })
 */
export function webhookOutbox(deps: { clock: Clock; ids: IdGenerator }): (tx: Repos, event: AuditEvent) => Promise<void> {
  return async (tx, event) => {
    const payload = payloadOf(event);
    if (payload === null) return;
    const endpoints = (await tx.webhooks.listEndpoints(event.workspaceId)).filter((e) => e.events.includes(payload.type));
    if (endpoints.length === 0) return;
    const now = deps.clock.now();
    const body = JSON.stringify(payload);
    for (const e of endpoints) {
      await tx.webhooks.enqueue({
        id: deps.ids('msg'), workspaceId: event.workspaceId, endpointId: e.id, eventType: payload.type, payload: body, status: 'pending', attempts: 0,
        nextAttemptAt: now, leaseOwner: null, leaseUntil: null, lastStatusCode: null, lastError: null, createdAt: now, updatedAt: now,
      });
    }
  };
}

export interface WebhookServiceDeps {
  store: Store;
  audit: AuditLog;
  clock: Clock;
  ids: IdGenerator;
  box: WebhookSecretBox;
  /** Where endpoints may point (the SSRF guard); delivery checks again on every connection. */
  egress: WebhookEgress;
  random?: (n: number) => Buffer;
}

/**
 * Webhook endpoints of a workspace: created (the signing secret is returned once and stored
 * encrypted), listed, deleted — each change audited — and their delivery logs. The URL must pass
 * the egress filter (WEBHOOK_URL_FORBIDDEN otherwise).
 *
 * @example const { endpoint, secret } = await webhooks.create(acting, { url: 'https://hooks.example/clavis', events: ['alert.raised'] })
 */
export class WebhookService {
  readonly #d: WebhookServiceDeps;

  constructor(deps: WebhookServiceDeps) {
    this.#d = deps;
  }

  async create(acting: Acting, input: { url: string; events: readonly WebhookEventType[] }): Promise<{ endpoint: WebhookEndpointRecord; secret: string }> {
    const url = await this.#d.egress.checkUrl(input.url);
    const events = [...new Set(input.events)];
    const id = this.#d.ids('whk');
    const secret = newWebhookSecret(this.#d.random);
    const sealed = await this.#d.box.seal(acting.workspaceId, id, secret);
    const endpoint: WebhookEndpointRecord = { id, workspaceId: acting.workspaceId, url, events, ...sealed, createdAt: this.#d.clock.now(), createdBy: acting.actor.id };
    await this.#d.store.transact(async (tx) => {
      await tx.webhooks.insertEndpoint(endpoint);
      await this.#d.audit.append(tx, { ...acting, action: 'webhook.created', target: { type: 'webhook', id }, data: { url, events } });
    });
    return { endpoint, secret };
  }

  list(workspaceId: string): Promise<WebhookEndpointRecord[]> {
    return this.#d.store.webhooks.listEndpoints(workspaceId);
  }

  async get(workspaceId: string, id: string): Promise<WebhookEndpointRecord> {
    const e = await this.#d.store.webhooks.findEndpoint(workspaceId, id);
    if (e === null) throw new ClavisError('WEBHOOK_NOT_FOUND', `no webhook endpoint ${id} in this workspace`);
    return e;
  }

  /** Deletes the endpoint and its delivery log (audited `webhook.deleted`). */
  async delete(acting: Acting, id: string): Promise<void> {
    await this.#d.store.transact(async (tx) => {
      const e = await tx.webhooks.findEndpoint(acting.workspaceId, id);
      if (e === null || !(await tx.webhooks.deleteEndpoint(acting.workspaceId, id))) throw new ClavisError('WEBHOOK_NOT_FOUND', `no webhook endpoint ${id} in this workspace`);
      await this.#d.audit.append(tx, { ...acting, action: 'webhook.deleted', target: { type: 'webhook', id }, data: { url: e.url, events: e.events } });
    });
  }

  /** The endpoint's deliveries, newest first. */
  async deliveries(workspaceId: string, endpointId: string, page: { beforeId?: string; limit: number }): Promise<WebhookDeliveryRecord[]> {
    await this.get(workspaceId, endpointId);
    return this.#d.store.webhooks.listDeliveries(workspaceId, endpointId, page);
  }
}
