import type { KeyLastUse, UsageBucketRow } from '../core/ports/store.ts';
import { MINUTE_MS, type UsageEvent } from './usage-event.ts';

/** One string per bucket; `\u0000` cannot occur in any of the parts. */
function bucketKey(workspaceId: string, keyId: string | null, minute: number, route: string, code: string, country: string | null, scope: string | null): string {
  return `${workspaceId}\u0000${keyId ?? ''}\u0000${minute}\u0000${route}\u0000${code}\u0000${country ?? ''}\u0000${scope ?? ''}`;
}

/** What one flush writes: the minute buckets and the last use per key since the previous flush. */
export interface UsageBatch {
  buckets: UsageBucketRow[];
  lastUse: KeyLastUse[];
}

/**
 * In-memory usage counts per (workspace, key, route, code, country, scope, minute) and the latest use
 * per key, between two flushes. At most `maxBuckets` distinct buckets are held: past that, counts
 * for new buckets are dropped (and counted) until the next flush empties the table, so memory
 * stays bounded even while the store is down.
 */
export class UsageRecorder {
  #buckets = new Map<string, UsageBucketRow>();
  #lastUse = new Map<string, KeyLastUse>();
  /** Per key, the bucket it counted in last: most verifications of a key land in the same one. */
  #hot = new Map<string, UsageBucketRow>();
  readonly #maxBuckets: number;
  /** Verifications not counted because the table was full. */
  dropped = 0;

  constructor(maxBuckets: number) {
    this.#maxBuckets = maxBuckets;
  }

  get buckets(): number {
    return this.#buckets.size;
  }

  /** Counts one event in the workspace it is filed under. */
  add(e: UsageEvent, workspaceId: string): void {
    const minute = e.at - (e.at % MINUTE_MS);
    const scope = e.scope ?? null;
    if (e.keyId !== null) {
      const hot = this.#hot.get(e.keyId);
      if (hot !== undefined && hot.minute === minute && hot.code === e.code && hot.route === e.route && hot.country === e.country && hot.scope === scope && hot.workspaceId === workspaceId) {
        hot.count += 1;
        this.#touch(e, workspaceId);
        return;
      }
    }
    const key = bucketKey(workspaceId, e.keyId, minute, e.route, e.code, e.country, scope);
    let row = this.#buckets.get(key);
    if (row !== undefined) row.count += 1;
    else if (this.#buckets.size < this.#maxBuckets) {
      row = { workspaceId, keyId: e.keyId, minute, route: e.route, code: e.code, country: e.country, scope, count: 1 };
      this.#buckets.set(key, row);
    } else this.dropped += 1;
    if (e.keyId !== null && row !== undefined) this.#hot.set(e.keyId, row);
    this.#touch(e, workspaceId);
  }

  #touch(e: UsageEvent, workspaceId: string): void {
    if (e.keyId === null) return;
    const last = this.#lastUse.get(e.keyId);
    if (last === undefined) this.#lastUse.set(e.keyId, { keyId: e.keyId, workspaceId, at: e.at, ip: e.ip, country: e.country });
    else if (e.at >= last.at) {
      last.workspaceId = workspaceId;
      last.at = e.at;
      last.ip = e.ip;
      last.country = e.country;
    }
  }

  /** Hands over everything counted so far and starts afresh. */
  take(): UsageBatch {
    const batch = { buckets: [...this.#buckets.values()], lastUse: [...this.#lastUse.values()] };
    this.#buckets = new Map();
    this.#lastUse = new Map();
    this.#hot = new Map();
    return batch;
  }

  /** Puts back a batch whose flush failed, merged with what arrived meanwhile (within the bound). */
  restore(batch: UsageBatch): void {
    for (const r of batch.buckets) {
      const key = bucketKey(r.workspaceId, r.keyId, r.minute, r.route, r.code, r.country, r.scope);
      const row = this.#buckets.get(key);
      if (row !== undefined) row.count += r.count;
      else if (this.#buckets.size < this.#maxBuckets) this.#buckets.set(key, r);
      else this.dropped += r.count;
    }
    for (const u of batch.lastUse) {
      const last = this.#lastUse.get(u.keyId);
      if (last === undefined || u.at > last.at) this.#lastUse.set(u.keyId, u);
    }
  }
}
