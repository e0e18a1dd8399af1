interface Entry<V> {
  value: V;
  /** Insertion tick when the entry last moved to the young end. */
  tick: number;
}

/**
 * A Map that holds at most `capacity` entries, evicting the least recently used: the monitor's
 * per-key and per-address state stays bounded whatever the traffic. A read moves an entry to the
 * young end only when it has aged by a quarter of the capacity, so hot entries cost a plain Map
 * lookup (every verification reads several of these) and still never reach the old end.
 *
 * @example const m = new BoundedMap<string, number>(2); m.set('a', 1); m.set('b', 2); m.set('c', 3); m.has('a') // false
 */
export class BoundedMap<K, V> {
  readonly #map = new Map<K, Entry<V>>();
  readonly #capacity: number;
  readonly #refreshAfter: number;
  #tick = 0;
  /** Entries evicted since creation (a metric: state pressure). */
  evicted = 0;

  constructor(capacity: number) {
    if (!Number.isSafeInteger(capacity) || capacity < 1) throw new RangeError(`capacity must be a positive integer, got ${capacity}`);
    this.#capacity = capacity;
    this.#refreshAfter = Math.max(1, Math.floor(capacity / 4));
  }

  get size(): number {
    return this.#map.size;
  }

  /** The value, marked as recently used. */
  get(key: K): V | undefined {
    const e = this.#map.get(key);
    if (e === undefined) return undefined;
    if (this.#tick - e.tick >= this.#refreshAfter) {
      this.#map.delete(key);
      e.tick = ++this.#tick;
      this.#map.set(key, e);
    }
    return e.value;
  }

  has(key: K): boolean {
    return this.#map.has(key);
  }

  set(key: K, value: V): void {
    const e = this.#map.get(key);
    if (e !== undefined && this.#tick - e.tick < this.#refreshAfter) {
      e.value = value;
      return;
    }
    this.#map.delete(key);
    this.#map.set(key, { value, tick: ++this.#tick });
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
