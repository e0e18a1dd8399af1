import type { QueryResultRow } from 'pg';
import type { WebhookRepo } from '../../core/ports/store.ts';
import { clampLimit } from '../common/rows.ts';
import { webhookDeliveryFromRow, webhookEndpointFromRow, type WebhookDeliveryRow, type WebhookEndpointRow } from '../common/webhook-rows.ts';

/** Runs one statement and returns its rows (the store's pooled or transaction runner). */
type Run = <R extends QueryResultRow>(text: string, values: unknown[]) => Promise<R[]>;

// SKIP LOCKED: concurrent claims on other nodes pass over rows being leased instead of waiting.
// A CTE, not `id IN (subquery)`: the planner may run a subquery more than once, leasing past LIMIT.
const CLAIM_DUE = `WITH due AS (
    SELECT id FROM webhook_deliveries WHERE status = 'pending' AND next_attempt_at <= $1 AND (lease_until IS NULL OR lease_until <= $1)
    ORDER BY next_attempt_at, id LIMIT $4 FOR UPDATE SKIP LOCKED)
  UPDATE webhook_deliveries w SET lease_owner = $2, lease_until = $3 FROM due WHERE w.id = due.id
  RETURNING w.*`;

/** Webhook endpoints and deliveries on PostgreSQL. */
export function makePostgresWebhookRepos(run: Run): { webhooks: WebhookRepo } {
  const webhooks: WebhookRepo = {
    insertEndpoint: async (e) => {
      await run('INSERT INTO webhook_endpoints (id, workspace_id, url, events, ciphertext, wrapped_key, key_version, created_at, created_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)', [
        e.id, e.workspaceId, e.url, JSON.stringify(e.events), e.ciphertext, e.wrappedKey, e.keyVersion, e.createdAt, e.createdBy,
      ]);
    },
    findEndpoint: async (workspaceId, id) => {
      const [row] = await run<WebhookEndpointRow>('SELECT * FROM webhook_endpoints WHERE id = $1 AND workspace_id = $2', [id, workspaceId]);
      return row ? webhookEndpointFromRow(row) : null;
    },
    listEndpoints: async (workspaceId) => (await run<WebhookEndpointRow>('SELECT * FROM webhook_endpoints WHERE workspace_id = $1 ORDER BY id', [workspaceId])).map(webhookEndpointFromRow),
    deleteEndpoint: async (workspaceId, id) => {
      await run('DELETE FROM webhook_deliveries WHERE endpoint_id = $1 AND workspace_id = $2', [id, workspaceId]);
      return (await run<{ id: string }>('DELETE FROM webhook_endpoints WHERE id = $1 AND workspace_id = $2 RETURNING id', [id, workspaceId])).length === 1;
    },
    enqueue: async (d) => {
      await run(
        `INSERT INTO webhook_deliveries (id, workspace_id, endpoint_id, event_type, payload, status, attempts, next_attempt_at, lease_owner, lease_until, last_status_code, last_error, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`,
        [d.id, d.workspaceId, d.endpointId, d.eventType, d.payload, d.status, d.attempts, d.nextAttemptAt, d.leaseOwner, d.leaseUntil, d.lastStatusCode, d.lastError, d.createdAt, d.updatedAt],
      );
    },
    claimDue: async (now, owner, leaseUntil, limit) =>
      (await run<WebhookDeliveryRow>(CLAIM_DUE, [now, owner, leaseUntil, clampLimit(limit)])).map(webhookDeliveryFromRow).sort((a, b) => a.nextAttemptAt - b.nextAttemptAt || (a.id < b.id ? -1 : 1)),
    finishAttempt: async (id, owner, r) =>
      (await run<{ id: string }>(
        `UPDATE webhook_deliveries SET status = $3, attempts = $4, next_attempt_at = $5, last_status_code = $6, last_error = $7, updated_at = $8, lease_owner = NULL, lease_until = NULL
         WHERE id = $1 AND lease_owner = $2 RETURNING id`,
        [id, owner, r.status, r.attempts, r.nextAttemptAt, r.lastStatusCode, r.lastError, r.updatedAt],
      )).length === 1,
    wrappedBetween: async (from, to, limit) =>
      (await run<WebhookEndpointRow>('SELECT * FROM webhook_endpoints WHERE key_version >= $1 AND key_version < $2 ORDER BY id LIMIT $3', [from, to, clampLimit(limit)])).map(webhookEndpointFromRow),
    rewrap: async (id, from, to, wrappedKey) =>
      (await run<{ id: string }>('UPDATE webhook_endpoints SET key_version = $3, wrapped_key = $4 WHERE id = $1 AND key_version = $2 RETURNING id', [id, from, to, wrappedKey])).length === 1,
    countByKeyVersion: async () =>
      (await run<{ key_version: number; count: string }>('SELECT key_version, COUNT(*) AS count FROM webhook_endpoints GROUP BY key_version ORDER BY key_version', [])).map((r) => ({ keyVersion: Number(r.key_version), count: Number(r.count) })),
    listDeliveries: async (workspaceId, endpointId, page) =>
      (await run<WebhookDeliveryRow>('SELECT * FROM webhook_deliveries WHERE workspace_id = $1 AND endpoint_id = $2 AND id < $3 ORDER BY id DESC LIMIT $4', [workspaceId, endpointId, page.beforeId ?? '\uffff', clampLimit(page.limit)])).map(webhookDeliveryFromRow),
  };
  return { webhooks };
}
