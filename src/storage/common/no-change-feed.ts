import type { ChangeRepo, ChangeWatch } from '../../core/ports/store.ts';

/** Single-process stores: caches are invalidated in-process, so there is nothing to announce. */
export const NO_ANNOUNCE: ChangeRepo = { announce: async () => undefined };

export const NO_WATCH = async (): Promise<ChangeWatch> => ({ close: async () => undefined });
