import type Database from 'better-sqlite3';
import type { SigningSecretRepo } from '../../core/ports/store.ts';
import { clampLimit } from '../common/rows.ts';
import { signingSecretFromRow, type SigningSecretRow } from '../common/signing-secret-rows.ts';

type Params = Record<string, string | number | Buffer | null>;
type Exec = <T>(op: () => T) => Promise<T>;

/** Prepared statements of key_signing_secrets; prepare after migrating. */
export function prepareSigningSecretStatements(db: Database.Database) {
  return {
    // The key must be of the same workspace: a put for another workspace's key inserts nothing.
    put: db.prepare<[Params]>(
      `INSERT INTO key_signing_secrets (key_id, workspace_id, ciphertext, wrapped_key, key_version, created_at)
       SELECT @key_id, @workspace_id, @ciphertext, @wrapped_key, @key_version, @created_at
       WHERE EXISTS (SELECT 1 FROM api_keys WHERE id = @key_id AND workspace_id = @workspace_id)
       ON CONFLICT (key_id) DO UPDATE SET ciphertext = excluded.ciphertext, wrapped_key = excluded.wrapped_key,
         key_version = excluded.key_version, created_at = excluded.created_at`,
    ),
    find: db.prepare<[string, string], SigningSecretRow>('SELECT * FROM key_signing_secrets WHERE key_id = ? AND workspace_id = ?'),
    delete: db.prepare<[string, string]>('DELETE FROM key_signing_secrets WHERE key_id = ? AND workspace_id = ?'),
    wrappedBetween: db.prepare<[number, number, number], SigningSecretRow>('SELECT * FROM key_signing_secrets WHERE key_version >= ? AND key_version < ? ORDER BY key_id LIMIT ?'),
    rewrap: db.prepare<[number, Buffer, string, number]>('UPDATE key_signing_secrets SET key_version = ?, wrapped_key = ? WHERE key_id = ? AND key_version = ?'),
    countByKeyVersion: db.prepare<[], { key_version: number; count: number }>('SELECT key_version, COUNT(*) AS count FROM key_signing_secrets GROUP BY key_version ORDER BY key_version'),
  };
}

export type SigningSecretStatements = ReturnType<typeof prepareSigningSecretStatements>;

/** Key signing secrets on SQLite. */
export function makeSqliteSigningSecretRepos(s: SigningSecretStatements, exec: Exec): { signingSecrets: SigningSecretRepo } {
  const signingSecrets: SigningSecretRepo = {
    put: (r) =>
      exec(() => {
        const done = s.put.run({ key_id: r.keyId, workspace_id: r.workspaceId, ciphertext: r.ciphertext, wrapped_key: r.wrappedKey, key_version: r.keyVersion, created_at: r.createdAt });
        if (done.changes !== 1) throw new Error(`FOREIGN KEY constraint failed: no key ${r.keyId} in workspace ${r.workspaceId}`);
      }),
    find: (workspaceId, keyId) =>
      exec(() => {
        const row = s.find.get(keyId, workspaceId);
        return row ? signingSecretFromRow(row) : null;
      }),
    delete: (workspaceId, keyId) => exec(() => s.delete.run(keyId, workspaceId).changes === 1),
    wrappedBetween: (from, to, limit) => exec(() => s.wrappedBetween.all(from, to, clampLimit(limit)).map(signingSecretFromRow)),
    rewrap: (keyId, from, to, wrappedKey) => exec(() => s.rewrap.run(to, wrappedKey, keyId, from).changes === 1),
    countByKeyVersion: () => exec(() => s.countByKeyVersion.all().map((r) => ({ keyVersion: r.key_version, count: r.count }))),
  };
  return { signingSecrets };
}
