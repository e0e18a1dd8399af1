/**
 * A bounded map whose entries expire: least recently used entries go first once `maxEntries` is
 * reached, so a flood of distinct keys cannot grow the process without limit.
 *
 * @example const c = new AnswerCache<string>(1000, () => Date.now()); c.set('k', 'v', 5000); c.get('k') // 'v'
 */
export class AnswerCache<V> {
  readonly #entries = new Map<string, { value: V; expiresAt: number }>();
  readonly #maxEntries: number;
  readonly #now: () => number;

  constructor(maxEntries: number, now: () => number) {
    this.#maxEntries = maxEntries;
    this.#now = now;
  }

  get(key: string): V | undefined {
    const hit = this.#entries.get(key);
    if (hit === undefined) return undefined;
    this.#entries.delete(key);
    if (hit.expiresAt <= this.#now()) return undefined;
    // Re-inserted at the end: the Map's insertion order is the recency order.
    this.#entries.set(key, hit);
    return hit.value;
  }

  set(key: string, value: V, ttlMs: number): void {
    if (ttlMs <= 0 || this.#maxEntries <= 0) return;
    this.#entries.delete(key);
    while (this.#entries.size >= this.#maxEntries) {
      const oldest = this.#entries.keys().next();
      if (oldest.done === true) break;
      this.#entries.delete(oldest.value);
    }
    this.#entries.set(key, { value, expiresAt: this.#now() + ttlMs });
  }

  clear(): void {
    this.#entries.clear();
  }

  /** Entries held, expired ones not yet dropped included. */
  get size(): number {
    return this.#entries.size;
  }
}
