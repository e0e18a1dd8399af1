/**
 * Storage of the HMAC-SHA256 signing secrets of API keys (docs/decisions/0008). One row per key
 * that requires HMAC signatures, apart from the key record, so no view, audit event or webhook
 * built from a record can ever carry it. The secret is sealed like a vault value (decision 0005):
 * AES-256-GCM under a fresh data key that the keyring wraps, both bound to (workspace, key).
 */
export interface SigningSecretRecord {
  keyId: string;
  workspaceId: string;
  ciphertext: Buffer;
  wrappedKey: Buffer;
  /** Master key version that wrapped `wrappedKey`. */
  keyVersion: number;
  createdAt: number;
}

export interface SigningSecretRepo {
  /** Stores the sealed secret of a key, replacing the one it had (the key must exist in the workspace). */
  put(secret: SigningSecretRecord): Promise<void>;
  find(workspaceId: string, keyId: string): Promise<SigningSecretRecord | null>;
  /** Erases the key's secret (the only copy of its data key: crypto-shred); false when it had none. */
  delete(workspaceId: string, keyId: string): Promise<boolean>;
  /** Secrets whose data key is wrapped by a master key version in [from, to), at most `limit`, by key id. */
  wrappedBetween(fromKeyVersion: number, toKeyVersion: number, limit: number): Promise<SigningSecretRecord[]>;
  /** Stores the data key wrapped by `toVersion` only if the row is still at `fromVersion`. */
  rewrap(keyId: string, fromVersion: number, toVersion: number, wrappedKey: Buffer): Promise<boolean>;
  countByKeyVersion(): Promise<{ keyVersion: number; count: number }[]>;
}
