import type { KeyringRecord, KeyringRepo, RootKeyRecord, SecretRecord, SecretRef, SecretsRepo, SecretVersionRecord } from '../../core/ports/store.ts';
import { clampLimit } from '../common/rows.ts';
import { JournaledMap, type Journal } from './journal.ts';

/** The vault part of the memory store's state; journaled like the rest, so rollbacks undo it. */
export interface VaultState {
  keyring: Map<'keyring', KeyringRecord>;
  rootKeys: Map<number, RootKeyRecord>;
  secrets: Map<string, SecretRecord>;
  versions: Map<string, SecretVersionRecord>;
  workspaceExists: (id: string) => boolean;
}

export function createVaultState(journal: Journal, workspaceExists: (id: string) => boolean): VaultState {
  return { keyring: new JournaledMap(journal), rootKeys: new JournaledMap(journal), secrets: new JournaledMap(journal), versions: new JournaledMap(journal), workspaceExists };
}

type Exec = <T>(op: (state: VaultState) => T) => Promise<T>;

const refKey = (r: SecretRef): string => `${r.workspaceId}\u0000${r.environment}\u0000${r.path}`;
const versionKey = (r: SecretRef, version: number): string => `${refKey(r)}\u0000${version}`;
const buf = (b: Buffer | null): Buffer | null => (b === null ? null : Buffer.from(b));
const copyVersion = (v: SecretVersionRecord): SecretVersionRecord => ({ ...v, wrappedKey: buf(v.wrappedKey), ciphertext: buf(v.ciphertext) });
const copyKeyring = (k: KeyringRecord): KeyringRecord => ({ ...k, providerData: structuredClone(k.providerData) });
/** Byte order of the (environment, path) pair, as the SQL adapters sort. */
const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
const byRefVersion = (a: SecretVersionRecord, b: SecretVersionRecord): number =>
  cmp(a.workspaceId, b.workspaceId) || cmp(a.environment, b.environment) || cmp(a.path, b.path) || a.version - b.version;

function versionsOf(s: VaultState, ref: SecretRef): SecretVersionRecord[] {
  const prefix = `${refKey(ref)}\u0000`;
  return [...s.versions.entries()].filter(([k]) => k.startsWith(prefix)).map(([, v]) => v).sort((a, b) => a.version - b.version);
}

/** The keyring and secrets repos of the memory store, with the SQL adapters' constraints. */
export function makeMemoryVaultRepos(exec: Exec): { keyring: KeyringRepo; secrets: SecretsRepo } {
  const keyring: KeyringRepo = {
    get: () => exec((s) => {
      const k = s.keyring.get('keyring');
      return k === undefined ? null : copyKeyring(k);
    }),
    create: (record) =>
      exec((s) => {
        if (s.keyring.has('keyring')) return false;
        s.keyring.set('keyring', copyKeyring(record));
        return true;
      }),
    update: (patch) =>
      exec((s) => {
        const k = s.keyring.get('keyring');
        if (k === undefined) return null;
        const next: KeyringRecord = { ...k, updatedAt: patch.updatedAt };
        if (patch.currentVersion !== undefined) next.currentVersion = patch.currentVersion;
        if (patch.minDecryptionVersion !== undefined) next.minDecryptionVersion = patch.minDecryptionVersion;
        if (patch.providerData !== undefined) next.providerData = structuredClone(patch.providerData);
        s.keyring.set('keyring', next);
        return copyKeyring(next);
      }),
    insertRootKey: (record) =>
      exec((s) => {
        if (s.rootKeys.has(record.version)) return false;
        s.rootKeys.set(record.version, { ...record, sealed: buf(record.sealed) });
        return true;
      }),
    rootKeys: () => exec((s) => [...s.rootKeys.values()].sort((a, b) => a.version - b.version).map((r) => ({ ...r, sealed: buf(r.sealed) }))),
  };

  const secrets: SecretsRepo = {
    find: (ref) => exec((s) => {
      const r = s.secrets.get(refKey(ref));
      return r === undefined ? null : { ...r };
    }),
    advance: (ref, expected, next, at) =>
      exec((s) => {
        const key = refKey(ref);
        const cur = s.secrets.get(key);
        if (expected === 0) {
          if (cur !== undefined) return false;
          if (!s.workspaceExists(ref.workspaceId)) throw new Error('FOREIGN KEY constraint failed (memory store)');
          s.secrets.set(key, { workspaceId: ref.workspaceId, environment: ref.environment, path: ref.path, currentVersion: next, createdAt: at, updatedAt: at });
          return true;
        }
        if (cur?.currentVersion !== expected) return false;
        s.secrets.set(key, { ...cur, currentVersion: next, updatedAt: at });
        return true;
      }),
    insertVersion: (record) =>
      exec((s) => {
        const key = versionKey(record, record.version);
        if (!s.secrets.has(refKey(record))) throw new Error('FOREIGN KEY constraint failed (memory store)');
        if (s.versions.has(key)) throw new Error('UNIQUE constraint failed: vault_secret_versions (memory store)');
        s.versions.set(key, copyVersion(record));
      }),
    findVersion: (ref, version) => exec((s) => {
      const v = s.versions.get(versionKey(ref, version));
      return v === undefined ? null : copyVersion(v);
    }),
    listVersions: (ref) => exec((s) => versionsOf(s, ref).map(copyVersion)),
    updateVersion: (ref, version, patch) =>
      exec((s) => {
        const key = versionKey(ref, version);
        const v = s.versions.get(key);
        if (v === undefined) return false;
        const next = copyVersion(v);
        if (patch.deletedAt !== undefined) next.deletedAt = patch.deletedAt;
        if (patch.destroyedAt !== undefined) next.destroyedAt = patch.destroyedAt;
        if (patch.keyVersion !== undefined) next.keyVersion = patch.keyVersion;
        if (patch.wrappedKey !== undefined) next.wrappedKey = buf(patch.wrappedKey);
        if (patch.ciphertext !== undefined) next.ciphertext = buf(patch.ciphertext);
        s.versions.set(key, next);
        return true;
      }),
    pruneVersions: (ref, maxVersion) =>
      exec((s) => {
        let n = 0;
        for (const v of versionsOf(s, ref)) {
          if (v.version > maxVersion) continue;
          s.versions.delete(versionKey(ref, v.version));
          n += 1;
        }
        return n;
      }),
    list: (workspaceId, filter) =>
      exec((s) =>
        [...s.secrets.values()]
          .filter((r) => r.workspaceId === workspaceId && (filter.environment === undefined || r.environment === filter.environment))
          .filter((r) => filter.after === undefined || cmp(r.environment, filter.after.environment) > 0 || (r.environment === filter.after.environment && cmp(r.path, filter.after.path) > 0))
          .sort((a, b) => cmp(a.environment, b.environment) || cmp(a.path, b.path))
          .slice(0, clampLimit(filter.limit))
          .map((r) => {
            const cur = s.versions.get(versionKey(r, r.currentVersion));
            return { ...r, currentDeletedAt: cur?.deletedAt ?? null, currentDestroyedAt: cur?.destroyedAt ?? null };
          }),
      ),
    wrappedBetween: (fromKeyVersion, toKeyVersion, limit) =>
      exec((s) =>
        [...s.versions.values()]
          .filter((v) => v.keyVersion !== null && v.keyVersion >= fromKeyVersion && v.keyVersion < toKeyVersion)
          .sort((a, b) => (a.keyVersion ?? 0) - (b.keyVersion ?? 0) || byRefVersion(a, b))
          .slice(0, clampLimit(limit))
          .map(copyVersion),
      ),
    rewrap: (ref, version, fromKeyVersion, toKeyVersion, wrappedKey) =>
      exec((s) => {
        const key = versionKey(ref, version);
        const v = s.versions.get(key);
        if (v?.keyVersion !== fromKeyVersion) return false;
        s.versions.set(key, { ...copyVersion(v), keyVersion: toKeyVersion, wrappedKey: Buffer.from(wrappedKey) });
        return true;
      }),
    countByKeyVersion: () =>
      exec((s) => {
        const counts = new Map<number, number>();
        for (const v of s.versions.values()) if (v.keyVersion !== null) counts.set(v.keyVersion, (counts.get(v.keyVersion) ?? 0) + 1);
        return [...counts.entries()].sort((a, b) => a[0] - b[0]).map(([keyVersion, count]) => ({ keyVersion, count }));
      }),
  };
  return { keyring, secrets };
}
