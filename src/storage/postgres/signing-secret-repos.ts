import type { QueryResultRow } from 'pg';
import type { SigningSecretRepo } from '../../core/ports/store.ts';
import { clampLimit } from '../common/rows.ts';
import { signingSecretFromRow, type SigningSecretRow } from '../common/signing-secret-rows.ts';

/** Runs one statement and returns its rows (the store's pooled or transaction runner). */
type Run = <R extends QueryResultRow>(text: string, values: unknown[]) => Promise<R[]>;

// The key must be of the same workspace: a put for another workspace's key inserts nothing.
const PUT = `INSERT INTO key_signing_secrets (key_id, workspace_id, ciphertext, wrapped_key, key_version, created_at)
  SELECT $1, $2, $3, $4, $5, $6 WHERE EXISTS (SELECT 1 FROM api_keys WHERE id = $1 AND workspace_id = $2)
  ON CONFLICT (key_id) DO UPDATE SET ciphertext = EXCLUDED.ciphertext, wrapped_key = EXCLUDED.wrapped_key,
    key_version = EXCLUDED.key_version, created_at = EXCLUDED.created_at
  RETURNING key_id`;

/** Key signing secrets on PostgreSQL. */
export function makePostgresSigningSecretRepos(run: Run): { signingSecrets: SigningSecretRepo } {
  const signingSecrets: SigningSecretRepo = {
    put: async (r) => {
      const rows = await run<{ key_id: string }>(PUT, [r.keyId, r.workspaceId, r.ciphertext, r.wrappedKey, r.keyVersion, r.createdAt]);
      if (rows.length !== 1) throw new Error(`foreign key violation: no key ${r.keyId} in workspace ${r.workspaceId}`);
    },
    find: async (workspaceId, keyId) => {
      const [row] = await run<SigningSecretRow>('SELECT * FROM key_signing_secrets WHERE key_id = $1 AND workspace_id = $2', [keyId, workspaceId]);
      return row ? signingSecretFromRow(row) : null;
    },
    delete: async (workspaceId, keyId) => (await run<{ key_id: string }>('DELETE FROM key_signing_secrets WHERE key_id = $1 AND workspace_id = $2 RETURNING key_id', [keyId, workspaceId])).length === 1,
    wrappedBetween: async (from, to, limit) =>
      (await run<SigningSecretRow>('SELECT * FROM key_signing_secrets WHERE key_version >= $1 AND key_version < $2 ORDER BY key_id LIMIT $3', [from, to, clampLimit(limit)])).map(signingSecretFromRow),
    rewrap: async (keyId, from, to, wrappedKey) =>
      (await run<{ key_id: string }>('UPDATE key_signing_secrets SET key_version = $3, wrapped_key = $4 WHERE key_id = $1 AND key_version = $2 RETURNING key_id', [keyId, from, to, wrappedKey])).length === 1,
    countByKeyVersion: async () =>
      (await run<{ key_version: number; count: string }>('SELECT key_version, COUNT(*) AS count FROM key_signing_secrets GROUP BY key_version ORDER BY key_version', [])).map((r) => ({ keyVersion: Number(r.key_version), count: Number(r.count) })),
  };
  return { signingSecrets };
}
