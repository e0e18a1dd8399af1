import type { NonceStore } from '../../core/keys/verify.ts';

/**
 * Replay protection for one node: remembers (key, nonce) pairs until they expire. Bounded: when
 * full, expired entries are swept, and if that frees nothing the oldest are dropped — a dropped
 * nonce is older than any other, so only the very oldest requests of an overloaded node lose
 * replay protection, never recent ones.
 *
 * @example const nonces = createMemoryNonceStore(); await nonces.remember('key_1', 'n0nce…', 10_000, Date.now())
 */
export function createMemoryNonceStore(maxEntries = 1_000_000): NonceStore {
  const seen = new Map<string, number>();
  const sweep = (now: number): void => {
    for (const [k, expiresAt] of seen) if (expiresAt <= now) seen.delete(k);
    while (seen.size >= maxEntries) {
      const oldest = seen.keys().next();
      if (oldest.done === true) break;
      seen.delete(oldest.value);
    }
  };
  return {
    remember: async (keyId, nonce, ttlMs, now) => {
      const k = `${keyId}\u0000${nonce}`;
      const expiresAt = seen.get(k);
      if (expiresAt !== undefined && expiresAt > now) return false;
      if (seen.size >= maxEntries) sweep(now);
      seen.delete(k);
      seen.set(k, now + ttlMs);
      return true;
    },
  };
}
