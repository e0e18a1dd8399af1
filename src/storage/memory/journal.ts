/**
 * Undo journal for the memory store: while a transaction runs, every change to a journaled map
 * or set records how to undo it, so a rollback costs as much as the transaction did — not a copy
 * of the whole store.
 */
export class Journal {
  #undo: (() => void)[] | null = null;

  begin(): void {
    this.#undo = [];
  }

  record(undo: () => void): void {
    this.#undo?.push(undo);
  }

  commit(): void {
    this.#undo = null;
  }

  rollback(): void {
    const undo = this.#undo ?? [];
    this.#undo = null;
    for (let i = undo.length - 1; i >= 0; i -= 1) undo[i]?.();
  }
}

/** A Map whose set/delete are undone on rollback. */
export class JournaledMap<K, V> extends Map<K, V> {
  constructor(private readonly journal: Journal) {
    super();
  }

  override set(key: K, value: V): this {
    this.#remember(key);
    return super.set(key, value);
  }

  override delete(key: K): boolean {
    this.#remember(key);
    return super.delete(key);
  }

  #remember(key: K): void {
    if (super.has(key)) {
      const old = super.get(key) as V;
      this.journal.record(() => super.set(key, old));
    } else {
      this.journal.record(() => super.delete(key));
    }
  }
}

/** A Set whose add/delete are undone on rollback. */
export class JournaledSet<T> extends Set<T> {
  constructor(private readonly journal: Journal) {
    super();
  }

  override add(value: T): this {
    if (!super.has(value)) this.journal.record(() => super.delete(value));
    return super.add(value);
  }

  override delete(value: T): boolean {
    if (super.has(value)) this.journal.record(() => super.add(value));
    return super.delete(value);
  }
}
