import type { AuditLog } from '../audit/audit-log.ts';
import type { Clock } from '../clock.ts';
import type { ApiKeyRecord, KeyStatus } from '../model.ts';
import type { Store } from '../ports/store.ts';
import type { Environment } from './key-format.ts';
import type { Acting } from './key-service.ts';

export interface BulkRevokerDeps {
  store: Store;
  audit: AuditLog;
  clock: Clock;
  /** Called after each batch commits, with the hash of every key revoked in it. */
  onKeyChanged: (hash: string) => void;
  /** Keys per transaction (default 200). */
  batchSize?: number;
}

export interface RevokeAllResult {
  revoked: number;
  environment: Environment | null;
}

const UNREVOKED: readonly KeyStatus[] = ['active', 'suspended'];

/**
 * Revokes every unrevoked key of a workspace (or of one environment): the incident button. Keys
 * are revoked in batches, each batch one transaction with an audit event per key, then one bulk
 * event records the whole operation. A crash part-way leaves each key revoked or not, with its
 * event; running it again finishes the rest.
 *
 * @example await new BulkRevoker(deps).revokeAll(acting, { reason: 'laptop stolen', environment: 'live' })
 */
export class BulkRevoker {
  readonly #d: BulkRevokerDeps;

  constructor(deps: BulkRevokerDeps) {
    this.#d = deps;
  }

  async revokeAll(acting: Acting, input: { reason: string; environment?: Environment }): Promise<RevokeAllResult> {
    const batch = Math.max(1, this.#d.batchSize ?? 200);
    let revoked = 0;
    for (const status of UNREVOKED) {
      for (;;) {
        // Revoked keys leave the filter, so the first page is always the next batch.
        const keys = await this.#d.store.keys.list(acting.workspaceId, { status, limit: batch, ...(input.environment !== undefined ? { environment: input.environment } : {}) });
        if (keys.length === 0) break;
        const done = await this.#d.store.transact(async (tx) => {
          const now = this.#d.clock.now();
          const out: ApiKeyRecord[] = [];
          for (const listed of keys) {
            // Read again inside the transaction: a concurrent revoke keeps its own time and reason.
            const key = await tx.keys.findById(acting.workspaceId, listed.id);
            if (key === null || key.status === 'revoked') continue;
            const next = await tx.keys.update(acting.workspaceId, key.id, { status: 'revoked', revokedAt: now, revokeReason: input.reason, updatedAt: now });
            if (next === null) continue;
            if (key.enforcement.signing?.scheme === 'hmac-sha256') await tx.signingSecrets.delete(acting.workspaceId, key.id);
            await tx.changes.announce({ kind: 'key', hash: next.hash });
            await this.#d.audit.append(tx, { ...acting, action: 'key.revoked', target: { type: 'key', id: key.id }, data: { name: next.name, environment: next.environment, start: next.start, status: 'revoked', previousStatus: key.status, reason: input.reason, bulk: true } });
            out.push(next);
          }
          return out;
        });
        for (const k of done) this.#d.onKeyChanged(k.hash);
        revoked += done.length;
        if (done.length === 0) break;
      }
    }
    await this.#d.store.transact((tx) =>
      this.#d.audit.append(tx, { ...acting, action: 'keys.revoked_all', target: { type: 'workspace', id: acting.workspaceId }, data: { reason: input.reason, environment: input.environment ?? null, count: revoked } }),
    );
    return { revoked, environment: input.environment ?? null };
  }
}
