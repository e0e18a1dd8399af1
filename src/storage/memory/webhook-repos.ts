import type { WebhookDeliveryRecord, WebhookEndpointRecord, WebhookRepo } from '../../core/ports/store.ts';
import { clampLimit } from '../common/rows.ts';
import { JournaledMap, type Journal } from './journal.ts';

/** The webhook part of the memory store's state; journaled, so rollbacks undo it. */
export interface WebhookState {
  endpoints: Map<string, WebhookEndpointRecord>;
  deliveries: Map<string, WebhookDeliveryRecord>;
  workspaceExists: (id: string) => boolean;
}

export function createWebhookState(journal: Journal, workspaceExists: (id: string) => boolean): WebhookState {
  return { endpoints: new JournaledMap(journal), deliveries: new JournaledMap(journal), workspaceExists };
}

type Exec = <T>(op: (state: WebhookState) => T) => Promise<T>;

const copyEndpoint = (e: WebhookEndpointRecord): WebhookEndpointRecord => ({ ...e, events: [...e.events], ciphertext: Buffer.from(e.ciphertext), wrappedKey: Buffer.from(e.wrappedKey) });
const byId = (a: { id: string }, b: { id: string }): number => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/** Webhook repos of the memory store, with the SQL adapters' constraints. */
export function makeMemoryWebhookRepos(exec: Exec): { webhooks: WebhookRepo } {
  const webhooks: WebhookRepo = {
    insertEndpoint: (e) =>
      exec((s) => {
        if (!s.workspaceExists(e.workspaceId)) throw new Error('FOREIGN KEY constraint failed (memory store)');
        if (s.endpoints.has(e.id)) throw new Error('UNIQUE constraint failed: webhook_endpoints.id (memory store)');
        s.endpoints.set(e.id, copyEndpoint(e));
      }),
    findEndpoint: (workspaceId, id) =>
      exec((s) => {
        const e = s.endpoints.get(id);
        return e === undefined || e.workspaceId !== workspaceId ? null : copyEndpoint(e);
      }),
    listEndpoints: (workspaceId) => exec((s) => [...s.endpoints.values()].filter((e) => e.workspaceId === workspaceId).sort(byId).map(copyEndpoint)),
    deleteEndpoint: (workspaceId, id) =>
      exec((s) => {
        const e = s.endpoints.get(id);
        if (e === undefined || e.workspaceId !== workspaceId) return false;
        for (const d of [...s.deliveries.values()]) if (d.endpointId === id) s.deliveries.delete(d.id);
        s.endpoints.delete(id);
        return true;
      }),
    enqueue: (d) =>
      exec((s) => {
        if (!s.endpoints.has(d.endpointId)) throw new Error('FOREIGN KEY constraint failed (memory store)');
        if (s.deliveries.has(d.id)) throw new Error('UNIQUE constraint failed: webhook_deliveries.id (memory store)');
        s.deliveries.set(d.id, { ...d });
      }),
    claimDue: (now, owner, leaseUntil, limit) =>
      exec((s) => {
        const due = [...s.deliveries.values()]
          .filter((d) => d.status === 'pending' && d.nextAttemptAt <= now && (d.leaseUntil === null || d.leaseUntil <= now))
          .sort((a, b) => a.nextAttemptAt - b.nextAttemptAt || byId(a, b))
          .slice(0, clampLimit(limit));
        return due.map((d) => {
          const next = { ...d, leaseOwner: owner, leaseUntil };
          s.deliveries.set(d.id, next);
          return { ...next };
        });
      }),
    finishAttempt: (id, owner, r) =>
      exec((s) => {
        const d = s.deliveries.get(id);
        if (d === undefined || d.leaseOwner !== owner) return false;
        s.deliveries.set(id, { ...d, ...r, leaseOwner: null, leaseUntil: null });
        return true;
      }),
    wrappedBetween: (from, to, limit) =>
      exec((s) => [...s.endpoints.values()].filter((e) => e.keyVersion >= from && e.keyVersion < to).sort(byId).slice(0, clampLimit(limit)).map(copyEndpoint)),
    rewrap: (id, from, to, wrappedKey) =>
      exec((s) => {
        const e = s.endpoints.get(id);
        if (e === undefined || e.keyVersion !== from) return false;
        s.endpoints.set(id, { ...e, keyVersion: to, wrappedKey: Buffer.from(wrappedKey) });
        return true;
      }),
    countByKeyVersion: () =>
      exec((s) => {
        const counts = new Map<number, number>();
        for (const e of s.endpoints.values()) counts.set(e.keyVersion, (counts.get(e.keyVersion) ?? 0) + 1);
        return [...counts.entries()].sort((a, b) => a[0] - b[0]).map(([keyVersion, count]) => ({ keyVersion, count }));
      }),
    listDeliveries: (workspaceId, endpointId, page) =>
      exec((s) =>
        [...s.deliveries.values()]
          .filter((d) => d.workspaceId === workspaceId && d.endpointId === endpointId && (page.beforeId === undefined || d.id < page.beforeId))
          .sort((a, b) => byId(b, a))
          .slice(0, clampLimit(page.limit))
          .map((d) => ({ ...d })),
      ),
  };
  return { webhooks };
}
