import type { ApiKeyRecord } from '../../core/model.ts';
import type { KeyRepo } from '../../core/ports/store.ts';
import type { KeyLookupStatus } from '../finding.ts';

export interface KeyLookupResult {
  hash: string;
  status: KeyLookupStatus;
  keyId?: string;
}

/** Most hashes one lookup takes (the route's limit). */
export const MAX_LOOKUP_HASHES = 1000;

/** How many store lookups run at once: enough to hide PostgreSQL round trips, few enough for its pool. */
const CONCURRENCY = 16;

/** The status a found key has now; expiry is derived from the clock, as everywhere else. */
export function lookupStatus(key: ApiKeyRecord, now: number): Exclude<KeyLookupStatus, 'unknown'> {
  if (key.status === 'revoked') return 'revoked';
  if (key.expiresAt !== null && key.expiresAt <= now) return 'expired';
  if (key.status === 'suspended') return 'suspended';
  return 'live';
}

/**
 * Looks keys up by SHA-256 hash within one workspace. A key of another workspace is `unknown`,
 * exactly like a key that does not exist, so a caller learns nothing about other tenants.
 *
 * @example await lookupKeys(store.keys, clock.now(), workspaceId, [hashCredential(key)])
 */
export async function lookupKeys(keys: Pick<KeyRepo, 'findByHash'>, now: number, workspaceId: string, hashes: readonly string[]): Promise<KeyLookupResult[]> {
  const out: KeyLookupResult[] = [];
  for (let i = 0; i < hashes.length; i += CONCURRENCY) {
    const batch = hashes.slice(i, i + CONCURRENCY).map((h) => h.toLowerCase());
    const found = await Promise.all(batch.map((h) => keys.findByHash(h)));
    batch.forEach((hash, j) => {
      const key = found[j] ?? null;
      if (key === null || key.workspaceId !== workspaceId) out.push({ hash, status: 'unknown' });
      else out.push({ hash, status: lookupStatus(key, now), keyId: key.id });
    });
  }
  return out;
}
