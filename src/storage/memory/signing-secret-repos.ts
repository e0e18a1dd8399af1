import type { ApiKeyRecord } from '../../core/model.ts';
import type { SigningSecretRecord, SigningSecretRepo } from '../../core/ports/store.ts';
import { clampLimit } from '../common/rows.ts';
import { JournaledMap, type Journal } from './journal.ts';

/** Key signing secrets of the memory store, by key id; journaled, so rollbacks undo them. */
export interface SigningSecretState {
  secrets: Map<string, SigningSecretRecord>;
}

export function createSigningSecretState(journal: Journal): SigningSecretState {
  return { secrets: new JournaledMap(journal) };
}

type Exec = <T>(op: (state: SigningSecretState, keys: ReadonlyMap<string, ApiKeyRecord>) => T) => Promise<T>;

const copy = (r: SigningSecretRecord): SigningSecretRecord => ({ ...r, ciphertext: Buffer.from(r.ciphertext), wrappedKey: Buffer.from(r.wrappedKey) });

/** Key signing secrets of the memory store, with the SQL adapters' constraints. */
export function makeMemorySigningSecretRepos(exec: Exec): { signingSecrets: SigningSecretRepo } {
  const signingSecrets: SigningSecretRepo = {
    put: (r) =>
      exec((s, keys) => {
        if (keys.get(r.keyId)?.workspaceId !== r.workspaceId) throw new Error(`FOREIGN KEY constraint failed: no key ${r.keyId} in workspace ${r.workspaceId} (memory store)`);
        s.secrets.set(r.keyId, copy(r));
      }),
    find: (workspaceId, keyId) =>
      exec((s) => {
        const r = s.secrets.get(keyId);
        return r === undefined || r.workspaceId !== workspaceId ? null : copy(r);
      }),
    delete: (workspaceId, keyId) =>
      exec((s) => {
        const r = s.secrets.get(keyId);
        if (r === undefined || r.workspaceId !== workspaceId) return false;
        s.secrets.delete(keyId);
        return true;
      }),
    wrappedBetween: (from, to, limit) =>
      exec((s) =>
        [...s.secrets.values()]
          .filter((r) => r.keyVersion >= from && r.keyVersion < to)
          .sort((a, b) => (a.keyId < b.keyId ? -1 : a.keyId > b.keyId ? 1 : 0))
          .slice(0, clampLimit(limit))
          .map(copy),
      ),
    rewrap: (keyId, from, to, wrappedKey) =>
      exec((s) => {
        const r = s.secrets.get(keyId);
        if (r === undefined || r.keyVersion !== from) return false;
        s.secrets.set(keyId, { ...r, keyVersion: to, wrappedKey: Buffer.from(wrappedKey) });
        return true;
      }),
    countByKeyVersion: () =>
      exec((s) => {
        const counts = new Map<number, number>();
        for (const r of s.secrets.values()) counts.set(r.keyVersion, (counts.get(r.keyVersion) ?? 0) + 1);
        return [...counts.entries()].sort((a, b) => a[0] - b[0]).map(([keyVersion, count]) => ({ keyVersion, count }));
      }),
  };
  return { signingSecrets };
}
