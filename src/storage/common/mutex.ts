/** A FIFO promise mutex: one holder at a time, waiters served in arrival order. */
export interface Mutex {
  /** Whether a holder is running or waiting; callers take a fast path when it is free. */
  readonly busy: boolean;
  run<T>(fn: () => Promise<T> | T): Promise<T>;
}

/** Creates a {@link Mutex}. */
export function createMutex(): Mutex {
  let tail: Promise<void> = Promise.resolve();
  let pending = 0;
  return {
    get busy() {
      return pending > 0;
    },
    async run<T>(fn: () => Promise<T> | T): Promise<T> {
      pending += 1;
      const previous = tail;
      let release = (): void => undefined;
      tail = new Promise<void>((resolve) => {
        release = resolve;
      });
      try {
        await previous;
        return await fn();
      } finally {
        pending -= 1;
        release();
      }
    },
  };
}
