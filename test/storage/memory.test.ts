import { describe, expect, it } from 'vitest';
import { createMemoryStore } from '../../src/storage/memory/memory-store.ts';
import { runStoreContract } from './store-contract.ts';

runStoreContract('memory', async () => {
  const store = createMemoryStore();
  return { store, cleanup: () => store.close() };
});

describe('memory store', () => {
  it('has kind memory and refuses work once closed', async () => {
    const store = createMemoryStore();
    expect(store.kind).toBe('memory');
    await store.close();
    await expect(store.ping()).rejects.toThrow(/closed/);
    await expect(store.workspaces.findById('ws_x')).rejects.toThrow(/closed/);
  });
});
