import { randomBytes } from 'node:crypto';
import { expect, it } from 'vitest';
import type { ApiKeyRecord } from '../../src/core/model.ts';
import type { SigningSecretRecord, Store } from '../../src/core/ports/store.ts';

// The key signing secrets part of the store contract (runStoreContract calls this inside its
// describe, so every adapter runs it against a fresh store with workspaces WS and OTHER).

const T0 = Date.UTC(2025, 0, 1);

function secret(workspaceId: string, keyId: string, over: Partial<SigningSecretRecord> = {}): SigningSecretRecord {
  return { keyId, workspaceId, ciphertext: randomBytes(61), wrappedKey: randomBytes(64), keyVersion: 1, createdAt: T0, ...over };
}

/**
 * Registers the signing secret cases. `current` gives the store of the running test, `apiKey`
 * builds a key record of the contract's shape.
 *
 * @example runSigningSecretsContract(() => store, WS, OTHER, apiKey)
 */
export function runSigningSecretsContract(current: () => Store, WS: string, OTHER: string, apiKey: (workspaceId: string, id: string) => ApiKeyRecord): void {
  const withKeys = async (s: Store, keys: [string, string][]): Promise<void> => {
    await s.transact(async (tx) => {
      for (const [ws, id] of keys) await tx.keys.insert(apiKey(ws, id));
    });
  };

  it('signing secrets: round-trip, replace, stay in their workspace, delete once', async () => {
    const s = current();
    await withKeys(s, [[WS, 'key_s1'], [OTHER, 'key_s2']]);
    const first = secret(WS, 'key_s1');
    await s.transact((tx) => tx.signingSecrets.put(first));
    expect(await s.signingSecrets.find(WS, 'key_s1')).toEqual(first);
    expect(await s.signingSecrets.find(OTHER, 'key_s1')).toBeNull();
    expect(await s.signingSecrets.find(WS, 'key_s2')).toBeNull();

    const second = secret(WS, 'key_s1', { keyVersion: 3, createdAt: T0 + 5 });
    await s.transact((tx) => tx.signingSecrets.put(second));
    expect(await s.signingSecrets.find(WS, 'key_s1')).toEqual(second);

    expect(await s.transact((tx) => tx.signingSecrets.delete(OTHER, 'key_s1'))).toBe(false);
    expect(await s.transact((tx) => tx.signingSecrets.delete(WS, 'key_s1'))).toBe(true);
    expect(await s.transact((tx) => tx.signingSecrets.delete(WS, 'key_s1'))).toBe(false);
    expect(await s.signingSecrets.find(WS, 'key_s1')).toBeNull();
  });

  it('signing secrets: refuse a key that does not exist or is of another workspace; a rollback keeps nothing', async () => {
    const s = current();
    await withKeys(s, [[OTHER, 'key_o1'], [WS, 'key_w1']]);
    await expect(s.transact((tx) => tx.signingSecrets.put(secret(WS, 'key_missing')))).rejects.toThrow();
    await expect(s.transact((tx) => tx.signingSecrets.put(secret(WS, 'key_o1')))).rejects.toThrow();
    expect(await s.signingSecrets.find(WS, 'key_o1')).toBeNull();
    expect(await s.signingSecrets.find(OTHER, 'key_o1')).toBeNull();
    await expect(
      s.transact(async (tx) => {
        await tx.signingSecrets.put(secret(WS, 'key_w1'));
        throw new Error('abort');
      }),
    ).rejects.toThrow('abort');
    expect(await s.signingSecrets.find(WS, 'key_w1')).toBeNull();
    expect(await s.signingSecrets.countByKeyVersion()).toEqual([]);
  });

  it('signing secrets: count and rewrap data keys by root key version (check-and-set), in key id order', async () => {
    const s = current();
    await withKeys(s, [[WS, 'key_b'], [OTHER, 'key_a'], [WS, 'key_c']]);
    await s.transact(async (tx) => {
      await tx.signingSecrets.put(secret(WS, 'key_b'));
      await tx.signingSecrets.put(secret(OTHER, 'key_a'));
      await tx.signingSecrets.put(secret(WS, 'key_c', { keyVersion: 2 }));
    });
    expect(await s.signingSecrets.countByKeyVersion()).toEqual([{ keyVersion: 1, count: 2 }, { keyVersion: 2, count: 1 }]);
    expect((await s.signingSecrets.wrappedBetween(1, 2, 10)).map((r) => r.keyId)).toEqual(['key_a', 'key_b']);
    expect((await s.signingSecrets.wrappedBetween(1, 3, 2)).map((r) => r.keyId)).toEqual(['key_a', 'key_b']);
    expect((await s.signingSecrets.wrappedBetween(2, 3, 10)).map((r) => r.keyId)).toEqual(['key_c']);
    const wrapped = randomBytes(60);
    expect(await s.signingSecrets.rewrap('key_b', 1, 2, wrapped)).toBe(true);
    expect(await s.signingSecrets.rewrap('key_b', 1, 2, randomBytes(60))).toBe(false);
    expect(await s.signingSecrets.find(WS, 'key_b')).toMatchObject({ keyVersion: 2, wrappedKey: wrapped });
    expect(await s.signingSecrets.countByKeyVersion()).toEqual([{ keyVersion: 1, count: 1 }, { keyVersion: 2, count: 2 }]);
  });
}
