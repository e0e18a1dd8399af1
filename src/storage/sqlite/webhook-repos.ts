import type Database from 'better-sqlite3';
import type { WebhookRepo } from '../../core/ports/store.ts';
import { clampLimit } from '../common/rows.ts';
import { webhookDeliveryFromRow, webhookEndpointFromRow, type WebhookDeliveryRow, type WebhookEndpointRow } from '../common/webhook-rows.ts';

type Params = Record<string, string | number | Buffer | null>;
type Exec = <T>(op: () => T) => Promise<T>;

/** Prepared statements of the webhook tables; prepare after migrating. */
export function prepareWebhookStatements(db: Database.Database) {
  return {
    insertEndpoint: db.prepare<[Params]>(
      `INSERT INTO webhook_endpoints (id, workspace_id, url, events, ciphertext, wrapped_key, key_version, created_at, created_by)
       VALUES (@id, @workspace_id, @url, @events, @ciphertext, @wrapped_key, @key_version, @created_at, @created_by)`,
    ),
    findEndpoint: db.prepare<[string, string], WebhookEndpointRow>('SELECT * FROM webhook_endpoints WHERE id = ? AND workspace_id = ?'),
    listEndpoints: db.prepare<[string], WebhookEndpointRow>('SELECT * FROM webhook_endpoints WHERE workspace_id = ? ORDER BY id'),
    deleteDeliveries: db.prepare<[string, string]>('DELETE FROM webhook_deliveries WHERE endpoint_id = ? AND workspace_id = ?'),
    deleteEndpoint: db.prepare<[string, string]>('DELETE FROM webhook_endpoints WHERE id = ? AND workspace_id = ?'),
    enqueue: db.prepare<[Params]>(
      `INSERT INTO webhook_deliveries (id, workspace_id, endpoint_id, event_type, payload, status, attempts, next_attempt_at, lease_owner, lease_until, last_status_code, last_error, created_at, updated_at)
       VALUES (@id, @workspace_id, @endpoint_id, @event_type, @payload, @status, @attempts, @next_attempt_at, @lease_owner, @lease_until, @last_status_code, @last_error, @created_at, @updated_at)`,
    ),
    // One statement: SQLite runs it alone on the one connection, so two claims cannot interleave.
    claimDue: db.prepare<[Params], WebhookDeliveryRow>(
      `UPDATE webhook_deliveries SET lease_owner = @owner, lease_until = @lease_until
       WHERE id IN (SELECT id FROM webhook_deliveries WHERE status = 'pending' AND next_attempt_at <= @now AND (lease_until IS NULL OR lease_until <= @now)
                    ORDER BY next_attempt_at, id LIMIT @limit)
       RETURNING *`,
    ),
    finishAttempt: db.prepare<[Params]>(
      `UPDATE webhook_deliveries SET status = @status, attempts = @attempts, next_attempt_at = @next_attempt_at, last_status_code = @last_status_code,
         last_error = @last_error, updated_at = @updated_at, lease_owner = NULL, lease_until = NULL
       WHERE id = @id AND lease_owner = @owner`,
    ),
    wrappedBetween: db.prepare<[number, number, number], WebhookEndpointRow>('SELECT * FROM webhook_endpoints WHERE key_version >= ? AND key_version < ? ORDER BY id LIMIT ?'),
    rewrap: db.prepare<[number, Buffer, string, number]>('UPDATE webhook_endpoints SET key_version = ?, wrapped_key = ? WHERE id = ? AND key_version = ?'),
    countByKeyVersion: db.prepare<[], { key_version: number; count: number }>('SELECT key_version, COUNT(*) AS count FROM webhook_endpoints GROUP BY key_version ORDER BY key_version'),
    listDeliveries: db.prepare<[Params], WebhookDeliveryRow>(
      'SELECT * FROM webhook_deliveries WHERE workspace_id = @workspace_id AND endpoint_id = @endpoint_id AND id < @before_id ORDER BY id DESC LIMIT @limit',
    ),
  };
}

export type WebhookStatements = ReturnType<typeof prepareWebhookStatements>;

/** Webhook endpoints and deliveries on SQLite. */
export function makeSqliteWebhookRepos(s: WebhookStatements, exec: Exec): { webhooks: WebhookRepo } {
  const webhooks: WebhookRepo = {
    insertEndpoint: (e) =>
      exec(() => {
        s.insertEndpoint.run({ id: e.id, workspace_id: e.workspaceId, url: e.url, events: JSON.stringify(e.events), ciphertext: e.ciphertext, wrapped_key: e.wrappedKey, key_version: e.keyVersion, created_at: e.createdAt, created_by: e.createdBy });
      }),
    findEndpoint: (workspaceId, id) =>
      exec(() => {
        const row = s.findEndpoint.get(id, workspaceId);
        return row ? webhookEndpointFromRow(row) : null;
      }),
    listEndpoints: (workspaceId) => exec(() => s.listEndpoints.all(workspaceId).map(webhookEndpointFromRow)),
    deleteEndpoint: (workspaceId, id) =>
      exec(() => {
        s.deleteDeliveries.run(id, workspaceId);
        return s.deleteEndpoint.run(id, workspaceId).changes === 1;
      }),
    enqueue: (d) =>
      exec(() => {
        s.enqueue.run({
          id: d.id, workspace_id: d.workspaceId, endpoint_id: d.endpointId, event_type: d.eventType, payload: d.payload, status: d.status, attempts: d.attempts,
          next_attempt_at: d.nextAttemptAt, lease_owner: d.leaseOwner, lease_until: d.leaseUntil, last_status_code: d.lastStatusCode, last_error: d.lastError, created_at: d.createdAt, updated_at: d.updatedAt,
        });
      }),
    claimDue: (now, owner, leaseUntil, limit) =>
      exec(() => s.claimDue.all({ now, owner, lease_until: leaseUntil, limit: clampLimit(limit) }).map(webhookDeliveryFromRow).sort((a, b) => a.nextAttemptAt - b.nextAttemptAt || (a.id < b.id ? -1 : 1))),
    finishAttempt: (id, owner, r) =>
      exec(() => s.finishAttempt.run({ id, owner, status: r.status, attempts: r.attempts, next_attempt_at: r.nextAttemptAt, last_status_code: r.lastStatusCode, last_error: r.lastError, updated_at: r.updatedAt }).changes === 1),
    wrappedBetween: (from, to, limit) => exec(() => s.wrappedBetween.all(from, to, clampLimit(limit)).map(webhookEndpointFromRow)),
    rewrap: (id, from, to, wrappedKey) => exec(() => s.rewrap.run(to, wrappedKey, id, from).changes === 1),
    countByKeyVersion: () => exec(() => s.countByKeyVersion.all().map((r) => ({ keyVersion: r.key_version, count: r.count }))),
    listDeliveries: (workspaceId, endpointId, page) =>
      exec(() => s.listDeliveries.all({ workspace_id: workspaceId, endpoint_id: endpointId, before_id: page.beforeId ?? '\uffff', limit: clampLimit(page.limit) }).map(webhookDeliveryFromRow)),
  };
  return { webhooks };
}
