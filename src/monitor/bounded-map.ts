/**
 * A Map that holds at most `capacity` entries, evicting the least recently used: the monitor's
 * per-key and per-address state stays bounded whatever the traffic.
 *
 * @example const m = new BoundedMap<string, number>(2); m.set('a', 1); m.set('b', 2); m.set('c', 3); m.has('a') // false
 */
export class BoundedMap<K, V> {
  readonly #map = new Map<K, V>();
  readonly #capacity: number;
  /** Entries evicted since creation (a metric: state pressure). */
  evicted = 0;

  constructor(capacity: number) {
    if (!Number.isSafeInteger(capacity) || capacity < 1) throw new RangeError(`capacity must be a positive integer, got ${capacity}`);
    this.#capacity = capacity;
  }

  get size(): number {
    return this.#map.size;
  }

  /** The value, marked as recently used. */
  get(key: K): V | undefined {
    const v = this.#map.get(key);
    if (v !== undefined) {
      this.#map.delete(key);
      this.#map.set(key, v);
    }
    return v;
  }

  has(key: K): boolean {
    return this.#map.has(key);
  }

  set(key: K, value: V): void {
    this.#map.delete(key);
    this.#map.set(key, value);
    if (this.#map.size > this.#capacity) {
      const oldest = this.#map.keys().next();
      if (oldest.done !== true) {
        this.#map.delete(oldest.value);
        this.evicted += 1;
      }
    }
  }

  /** The value for `key`, created by `make` when absent. */
  upsert(key: K, make: () => V): V {
    const v = this.get(key);
    if (v !== undefined) return v;
    const created = make();
    this.set(key, created);
    return created;
  }

  delete(key: K): boolean {
    return this.#map.delete(key);
  }
}
