const SLOTS = 10;

/**
 * Events in the last `windowMs`, counted in ten slots of a tenth of the window each: constant
 * memory whatever the rate, and at most a tenth of the window of extra age at the trailing edge.
 * Times are event times; an event older than the newest slot counts in the newest slot.
 */
export class WindowCounter {
  readonly #slotMs: number;
  readonly #slots = new Float64Array(SLOTS);
  readonly #slotIndex = new Float64Array(SLOTS).fill(-Infinity);
  #newest = -Infinity;

  constructor(windowMs: number) {
    this.#slotMs = Math.max(1, Math.ceil(windowMs / SLOTS));
  }

  add(at: number, n = 1): void {
    const idx = Math.max(Math.floor(at / this.#slotMs), this.#newest);
    this.#newest = idx;
    const i = ((idx % SLOTS) + SLOTS) % SLOTS;
    if (this.#slotIndex[i] !== idx) {
      this.#slotIndex[i] = idx;
      this.#slots[i] = 0;
    }
    this.#slots[i] = (this.#slots[i] ?? 0) + n;
  }

  /** Events counted in the window that ends at `at`. */
  total(at: number): number {
    const now = Math.max(Math.floor(at / this.#slotMs), this.#newest);
    let sum = 0;
    for (let i = 0; i < SLOTS; i += 1) {
      const idx = this.#slotIndex[i] ?? -Infinity;
      if (idx > now - SLOTS && idx <= now) sum += this.#slots[i] ?? 0;
    }
    return sum;
  }
}
