import type { QueryResultRow } from 'pg';
import type { KeyringRepo, SecretRef, SecretsRepo } from '../../core/ports/store.ts';
import { clampLimit } from '../common/rows.ts';
import {
  keyringFromRow,
  rootKeyFromRow,
  secretFromRow,
  secretSummaryFromRow,
  secretVersionFromRow,
  type KeyringRow,
  type RootKeyRow,
  type SecretRow,
  type SecretSummaryRow,
  type SecretVersionRow,
} from '../common/vault-rows.ts';

/** Runs one statement and returns its rows (the store's pooled or transaction runner). */
type Run = <R extends QueryResultRow>(text: string, values: unknown[]) => Promise<R[]>;

const asIs = (value: unknown): unknown => value;
const REF = 'workspace_id = $1 AND environment = $2 AND path = $3';
const ref = (r: SecretRef): unknown[] => [r.workspaceId, r.environment, r.path];
const SUMMARY = `SELECT s.*, v.deleted_at AS current_deleted_at, v.destroyed_at AS current_destroyed_at
  FROM vault_secrets s LEFT JOIN vault_secret_versions v
    ON v.workspace_id = s.workspace_id AND v.environment = s.environment AND v.path = s.path AND v.version = s.current_version`;

/** The keyring and secrets repos on PostgreSQL. */
export function makePostgresVaultRepos(run: Run): { keyring: KeyringRepo; secrets: SecretsRepo } {
  const first = async <R extends QueryResultRow>(text: string, values: unknown[]): Promise<R | null> => (await run<R>(text, values))[0] ?? null;
  /** Statements with RETURNING report whether a row was touched. */
  const touched = async (text: string, values: unknown[]): Promise<number> => (await run<{ one: number }>(`${text} RETURNING 1 AS one`, values)).length;

  const keyring: KeyringRepo = {
    get: async () => {
      const row = await first<KeyringRow>('SELECT * FROM vault_keyring WHERE id = 1', []);
      return row ? keyringFromRow(row, asIs) : null;
    },
    create: async (k) =>
      (await touched(
        `INSERT INTO vault_keyring (id, provider, current_version, min_decryption_version, provider_data, created_at, updated_at)
         VALUES (1, $1, $2, $3, $4::jsonb, $5, $6) ON CONFLICT (id) DO NOTHING`,
        [k.provider, k.currentVersion, k.minDecryptionVersion, JSON.stringify(k.providerData), k.createdAt, k.updatedAt],
      )) === 1,
    update: async (patch) => {
      const row = await first<KeyringRow>(
        `UPDATE vault_keyring SET
           current_version = COALESCE($1::integer, current_version),
           min_decryption_version = COALESCE($2::integer, min_decryption_version),
           provider_data = COALESCE($3::jsonb, provider_data),
           updated_at = $4
         WHERE id = 1 RETURNING *`,
        [patch.currentVersion ?? null, patch.minDecryptionVersion ?? null, patch.providerData === undefined ? null : JSON.stringify(patch.providerData), patch.updatedAt],
      );
      return row ? keyringFromRow(row, asIs) : null;
    },
    insertRootKey: async (r) =>
      (await touched('INSERT INTO vault_root_keys (version, sealed, created_at) VALUES ($1, $2, $3) ON CONFLICT (version) DO NOTHING', [r.version, r.sealed, r.createdAt])) === 1,
    rootKeys: async () => (await run<RootKeyRow>('SELECT * FROM vault_root_keys ORDER BY version', [])).map(rootKeyFromRow),
  };

  const secrets: SecretsRepo = {
    find: async (r) => {
      const row = await first<SecretRow>(`SELECT * FROM vault_secrets WHERE ${REF}`, ref(r));
      return row ? secretFromRow(row) : null;
    },
    advance: async (r, expected, next, at) =>
      expected === 0
        ? (await touched(
            `INSERT INTO vault_secrets (workspace_id, environment, path, current_version, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $5) ON CONFLICT DO NOTHING`,
            [...ref(r), next, at],
          )) === 1
        : (await touched(`UPDATE vault_secrets SET current_version = $4, updated_at = $5 WHERE ${REF} AND current_version = $6`, [...ref(r), next, at, expected])) === 1,
    insertVersion: async (v) => {
      await run(
        `INSERT INTO vault_secret_versions (workspace_id, environment, path, version, key_version, wrapped_key, ciphertext,
           created_at, created_by, deleted_at, destroyed_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
        [...ref(v), v.version, v.keyVersion, v.wrappedKey, v.ciphertext, v.createdAt, v.createdBy, v.deletedAt, v.destroyedAt],
      );
    },
    findVersion: async (r, version) => {
      const row = await first<SecretVersionRow>(`SELECT * FROM vault_secret_versions WHERE ${REF} AND version = $4`, [...ref(r), version]);
      return row ? secretVersionFromRow(row) : null;
    },
    listVersions: async (r) => (await run<SecretVersionRow>(`SELECT * FROM vault_secret_versions WHERE ${REF} ORDER BY version`, ref(r))).map(secretVersionFromRow),
    updateVersion: async (r, version, patch) => {
      const pair = (given: boolean, value: unknown): [boolean, unknown] => [given, given ? value : null];
      return (
        (await touched(
          `UPDATE vault_secret_versions SET
             deleted_at = CASE WHEN $5::boolean THEN $6::bigint ELSE deleted_at END,
             destroyed_at = CASE WHEN $7::boolean THEN $8::bigint ELSE destroyed_at END,
             key_version = CASE WHEN $9::boolean THEN $10::integer ELSE key_version END,
             wrapped_key = CASE WHEN $11::boolean THEN $12::bytea ELSE wrapped_key END,
             ciphertext = CASE WHEN $13::boolean THEN $14::bytea ELSE ciphertext END
           WHERE ${REF} AND version = $4`,
          [
            ...ref(r),
            version,
            ...pair(patch.deletedAt !== undefined, patch.deletedAt),
            ...pair(patch.destroyedAt !== undefined, patch.destroyedAt),
            ...pair(patch.keyVersion !== undefined, patch.keyVersion),
            ...pair(patch.wrappedKey !== undefined, patch.wrappedKey),
            ...pair(patch.ciphertext !== undefined, patch.ciphertext),
          ],
        )) === 1
      );
    },
    pruneVersions: async (r, maxVersion) => touched(`DELETE FROM vault_secret_versions WHERE ${REF} AND version <= $4`, [...ref(r), maxVersion]),
    list: async (workspaceId, filter) => {
      const values: unknown[] = [workspaceId, filter.after?.environment ?? '', filter.after?.path ?? '', clampLimit(filter.limit)];
      let where = 's.workspace_id = $1 AND (s.environment > $2 OR (s.environment = $2 AND s.path > $3))';
      if (filter.environment !== undefined) {
        values.push(filter.environment);
        where += ' AND s.environment = $5';
      }
      return (await run<SecretSummaryRow>(`${SUMMARY} WHERE ${where} ORDER BY s.environment, s.path LIMIT $4`, values)).map(secretSummaryFromRow);
    },
    wrappedBetween: async (fromKeyVersion, toKeyVersion, limit) =>
      (
        await run<SecretVersionRow>(
          'SELECT * FROM vault_secret_versions WHERE key_version >= $1 AND key_version < $2 ORDER BY key_version, workspace_id, environment, path, version LIMIT $3',
          [fromKeyVersion, toKeyVersion, clampLimit(limit)],
        )
      ).map(secretVersionFromRow),
    rewrap: async (r, version, fromKeyVersion, toKeyVersion, wrappedKey) =>
      (await touched(`UPDATE vault_secret_versions SET key_version = $6, wrapped_key = $7 WHERE ${REF} AND version = $4 AND key_version = $5`, [...ref(r), version, fromKeyVersion, toKeyVersion, wrappedKey])) === 1,
    countByKeyVersion: async () =>
      (
        await run<{ key_version: number; count: number }>(
          'SELECT key_version, COUNT(*)::integer AS count FROM vault_secret_versions WHERE key_version IS NOT NULL GROUP BY key_version ORDER BY key_version',
          [],
        )
      ).map((row) => ({ keyVersion: row.key_version, count: row.count })),
  };
  return { keyring, secrets };
}
