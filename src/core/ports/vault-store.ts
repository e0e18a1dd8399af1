import type { Environment } from '../keys/key-format.ts';

/**
 * The deployment-wide keyring state, one row shared by every node: which root key version wraps
 * new data keys, and below which version nothing is unwrapped any more.
 */
export interface KeyringRecord {
  provider: 'local' | 'pkcs11' | 'vault-transit';
  currentVersion: number;
  /** Versions below this one are retired: data still wrapped by them no longer reads. */
  minDecryptionVersion: number;
  /** Provider-specific, non-secret settings (the local keyring's KDF salt and cost, its sealed signing key). */
  providerData: Record<string, unknown>;
  createdAt: number;
  updatedAt: number;
}

/** One root key version. `sealed` holds the key encrypted under the passphrase key (local keyring only). */
export interface RootKeyRecord {
  version: number;
  sealed: Buffer | null;
  createdAt: number;
}

export interface KeyringRepo {
  get(): Promise<KeyringRecord | null>;
  /** Creates the keyring row; false when one already exists (another node or `clavis init` won). */
  create(record: KeyringRecord): Promise<boolean>;
  /** Changes the given fields; null when there is no keyring yet. */
  update(patch: Partial<Pick<KeyringRecord, 'currentVersion' | 'minDecryptionVersion' | 'providerData'>> & { updatedAt: number }): Promise<KeyringRecord | null>;
  /** Inserts a root key version; false when that version exists already. */
  insertRootKey(record: RootKeyRecord): Promise<boolean>;
  /** Every root key version, ascending. */
  rootKeys(): Promise<RootKeyRecord[]>;
}

/** Where a secret lives: workspace, environment and path. */
export interface SecretRef {
  workspaceId: string;
  environment: Environment;
  path: string;
}

/** A secret's metadata row: its latest version number. */
export interface SecretRecord extends SecretRef {
  currentVersion: number;
  createdAt: number;
  updatedAt: number;
}

/** One stored version. Destroyed versions keep the row but lose the ciphertext and the wrapped key. */
export interface SecretVersionRecord extends SecretRef {
  version: number;
  /** Root key version that wrapped `wrappedKey`; null once destroyed. */
  keyVersion: number | null;
  /** The data key, wrapped by the key provider; null once destroyed (crypto-shred). */
  wrappedKey: Buffer | null;
  /** IV, AES-256-GCM ciphertext and tag of the value; null once destroyed. */
  ciphertext: Buffer | null;
  createdAt: number;
  /** Actor id (token or system) that wrote this version. */
  createdBy: string;
  deletedAt: number | null;
  destroyedAt: number | null;
}

export type SecretVersionPatch = Partial<Pick<SecretVersionRecord, 'deletedAt' | 'destroyedAt' | 'keyVersion' | 'wrappedKey' | 'ciphertext'>>;

/** A listing row: the metadata and the state of the latest version, never a value. */
export interface SecretSummary extends SecretRecord {
  currentDeletedAt: number | null;
  currentDestroyedAt: number | null;
}

export interface SecretListFilter {
  environment?: Environment;
  /** Cursor: rows after this (environment, path) pair, in (environment, path) byte order. */
  after?: { environment: Environment; path: string };
  limit: number;
}

export interface SecretsRepo {
  find(ref: SecretRef): Promise<SecretRecord | null>;
  /**
   * Moves the current version from `expected` to `next` atomically (check-and-set in the
   * database); `expected` 0 creates the secret. False when another writer got there first.
   */
  advance(ref: SecretRef, expected: number, next: number, at: number): Promise<boolean>;
  insertVersion(record: SecretVersionRecord): Promise<void>;
  findVersion(ref: SecretRef, version: number): Promise<SecretVersionRecord | null>;
  /** Every version of the secret, ascending. */
  listVersions(ref: SecretRef): Promise<SecretVersionRecord[]>;
  /** Applies the patch to one version; false when there is no such version. */
  updateVersion(ref: SecretRef, version: number, patch: SecretVersionPatch): Promise<boolean>;
  /** Removes versions numbered at most `maxVersion` (keep-N pruning: their data keys are gone for good). */
  pruneVersions(ref: SecretRef, maxVersion: number): Promise<number>;
  list(workspaceId: string, filter: SecretListFilter): Promise<SecretSummary[]>;
  /** Versions, across workspaces, whose data key is wrapped by a root key version in [from, to). */
  wrappedBetween(fromKeyVersion: number, toKeyVersion: number, limit: number): Promise<SecretVersionRecord[]>;
  /**
   * Replaces the wrapped key of one version only if it is still wrapped by `fromKeyVersion`, so a
   * concurrent rewrap or destroy is never overwritten. False when the row moved on.
   */
  rewrap(ref: SecretRef, version: number, fromKeyVersion: number, toKeyVersion: number, wrappedKey: Buffer): Promise<boolean>;
  /** Stored (not destroyed) versions per root key version, ascending. */
  countByKeyVersion(): Promise<{ keyVersion: number; count: number }[]>;
}
