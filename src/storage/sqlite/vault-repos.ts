import type Database from 'better-sqlite3';
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

type Params = Record<string, string | number | Buffer | null>;
type Exec = <T>(op: () => T) => Promise<T>;

const parseJson = (value: unknown): unknown => JSON.parse(value as string);
const REF = 'workspace_id = @workspace_id AND environment = @environment AND path = @path';
const SUMMARY = `SELECT s.*, v.deleted_at AS current_deleted_at, v.destroyed_at AS current_destroyed_at
  FROM vault_secrets s LEFT JOIN vault_secret_versions v
    ON v.workspace_id = s.workspace_id AND v.environment = s.environment AND v.path = s.path AND v.version = s.current_version`;

/** Prepared statements of the vault tables; prepare after migrating. */
export function prepareVaultStatements(db: Database.Database) {
  return {
    getKeyring: db.prepare<[], KeyringRow>('SELECT * FROM vault_keyring WHERE id = 1'),
    createKeyring: db.prepare<[Params]>(
      `INSERT INTO vault_keyring (id, provider, current_version, min_decryption_version, provider_data, created_at, updated_at)
       VALUES (1, @provider, @current_version, @min_decryption_version, @provider_data, @created_at, @updated_at)
       ON CONFLICT (id) DO NOTHING`,
    ),
    updateKeyring: db.prepare<[Params], KeyringRow>(
      `UPDATE vault_keyring SET
         current_version = COALESCE(@current_version, current_version),
         min_decryption_version = COALESCE(@min_decryption_version, min_decryption_version),
         provider_data = COALESCE(@provider_data, provider_data),
         updated_at = @updated_at
       WHERE id = 1 RETURNING *`,
    ),
    insertRootKey: db.prepare<[Params]>('INSERT INTO vault_root_keys (version, sealed, created_at) VALUES (@version, @sealed, @created_at) ON CONFLICT (version) DO NOTHING'),
    rootKeys: db.prepare<[], RootKeyRow>('SELECT * FROM vault_root_keys ORDER BY version'),

    findSecret: db.prepare<[Params], SecretRow>(`SELECT * FROM vault_secrets WHERE ${REF}`),
    createSecret: db.prepare<[Params]>(
      `INSERT INTO vault_secrets (workspace_id, environment, path, current_version, created_at, updated_at)
       VALUES (@workspace_id, @environment, @path, @next, @at, @at) ON CONFLICT DO NOTHING`,
    ),
    advanceSecret: db.prepare<[Params]>(`UPDATE vault_secrets SET current_version = @next, updated_at = @at WHERE ${REF} AND current_version = @expected`),
    insertVersion: db.prepare<[Params]>(
      `INSERT INTO vault_secret_versions (workspace_id, environment, path, version, key_version, wrapped_key, ciphertext,
         created_at, created_by, deleted_at, destroyed_at)
       VALUES (@workspace_id, @environment, @path, @version, @key_version, @wrapped_key, @ciphertext, @created_at,
         @created_by, @deleted_at, @destroyed_at)`,
    ),
    findVersion: db.prepare<[Params], SecretVersionRow>(`SELECT * FROM vault_secret_versions WHERE ${REF} AND version = @version`),
    listVersions: db.prepare<[Params], SecretVersionRow>(`SELECT * FROM vault_secret_versions WHERE ${REF} ORDER BY version`),
    updateVersion: db.prepare<[Params]>(
      `UPDATE vault_secret_versions SET
         deleted_at = CASE WHEN @set_deleted_at THEN @deleted_at ELSE deleted_at END,
         destroyed_at = CASE WHEN @set_destroyed_at THEN @destroyed_at ELSE destroyed_at END,
         key_version = CASE WHEN @set_key_version THEN @key_version ELSE key_version END,
         wrapped_key = CASE WHEN @set_wrapped_key THEN @wrapped_key ELSE wrapped_key END,
         ciphertext = CASE WHEN @set_ciphertext THEN @ciphertext ELSE ciphertext END
       WHERE ${REF} AND version = @version`,
    ),
    pruneVersions: db.prepare<[Params]>(`DELETE FROM vault_secret_versions WHERE ${REF} AND version <= @max_version`),
    listAll: db.prepare<[Params], SecretSummaryRow>(
      `${SUMMARY} WHERE s.workspace_id = @workspace_id AND (s.environment > @after_env OR (s.environment = @after_env AND s.path > @after_path))
       ORDER BY s.environment, s.path LIMIT @limit`,
    ),
    listEnv: db.prepare<[Params], SecretSummaryRow>(
      `${SUMMARY} WHERE s.workspace_id = @workspace_id AND s.environment = @environment
         AND (s.environment > @after_env OR (s.environment = @after_env AND s.path > @after_path))
       ORDER BY s.environment, s.path LIMIT @limit`,
    ),
    wrappedBetween: db.prepare<[number, number, number], SecretVersionRow>(
      `SELECT * FROM vault_secret_versions WHERE key_version >= ? AND key_version < ?
       ORDER BY key_version, workspace_id, environment, path, version LIMIT ?`,
    ),
    rewrap: db.prepare<[Params]>(
      `UPDATE vault_secret_versions SET key_version = @to_version, wrapped_key = @wrapped_key
       WHERE ${REF} AND version = @version AND key_version = @from_version`,
    ),
    countByKeyVersion: db.prepare<[], { key_version: number; count: number }>(
      'SELECT key_version, COUNT(*) AS count FROM vault_secret_versions WHERE key_version IS NOT NULL GROUP BY key_version ORDER BY key_version',
    ),
  };
}

export type VaultStatements = ReturnType<typeof prepareVaultStatements>;

const ref = (r: SecretRef): Params => ({ workspace_id: r.workspaceId, environment: r.environment, path: r.path });

/** The keyring and secrets repos on SQLite. */
export function makeSqliteVaultRepos(s: VaultStatements, exec: Exec): { keyring: KeyringRepo; secrets: SecretsRepo } {
  const keyring: KeyringRepo = {
    get: () =>
      exec(() => {
        const row = s.getKeyring.get();
        return row ? keyringFromRow(row, parseJson) : null;
      }),
    create: (k) =>
      exec(
        () =>
          s.createKeyring.run({
            provider: k.provider,
            current_version: k.currentVersion,
            min_decryption_version: k.minDecryptionVersion,
            provider_data: JSON.stringify(k.providerData),
            created_at: k.createdAt,
            updated_at: k.updatedAt,
          }).changes === 1,
      ),
    update: (patch) =>
      exec(() => {
        const row = s.updateKeyring.get({
          current_version: patch.currentVersion ?? null,
          min_decryption_version: patch.minDecryptionVersion ?? null,
          provider_data: patch.providerData === undefined ? null : JSON.stringify(patch.providerData),
          updated_at: patch.updatedAt,
        });
        return row ? keyringFromRow(row, parseJson) : null;
      }),
    insertRootKey: (r) => exec(() => s.insertRootKey.run({ version: r.version, sealed: r.sealed, created_at: r.createdAt }).changes === 1),
    rootKeys: () => exec(() => s.rootKeys.all().map(rootKeyFromRow)),
  };

  const secrets: SecretsRepo = {
    find: (r) =>
      exec(() => {
        const row = s.findSecret.get(ref(r));
        return row ? secretFromRow(row) : null;
      }),
    advance: (r, expected, next, at) =>
      exec(() =>
        expected === 0
          ? s.createSecret.run({ ...ref(r), next, at }).changes === 1
          : s.advanceSecret.run({ ...ref(r), next, at, expected }).changes === 1,
      ),
    insertVersion: (v) =>
      exec(() => {
        s.insertVersion.run({
          ...ref(v),
          version: v.version,
          key_version: v.keyVersion,
          wrapped_key: v.wrappedKey,
          ciphertext: v.ciphertext,
          created_at: v.createdAt,
          created_by: v.createdBy,
          deleted_at: v.deletedAt,
          destroyed_at: v.destroyedAt,
        });
      }),
    findVersion: (r, version) =>
      exec(() => {
        const row = s.findVersion.get({ ...ref(r), version });
        return row ? secretVersionFromRow(row) : null;
      }),
    listVersions: (r) => exec(() => s.listVersions.all(ref(r)).map(secretVersionFromRow)),
    updateVersion: (r, version, patch) =>
      exec(() => {
        const params: Params = { ...ref(r), version };
        const set = (column: string, given: boolean, value: string | number | Buffer | null): void => {
          params[`set_${column}`] = given ? 1 : 0;
          params[column] = given ? value : null;
        };
        set('deleted_at', patch.deletedAt !== undefined, patch.deletedAt ?? null);
        set('destroyed_at', patch.destroyedAt !== undefined, patch.destroyedAt ?? null);
        set('key_version', patch.keyVersion !== undefined, patch.keyVersion ?? null);
        set('wrapped_key', patch.wrappedKey !== undefined, patch.wrappedKey ?? null);
        set('ciphertext', patch.ciphertext !== undefined, patch.ciphertext ?? null);
        return s.updateVersion.run(params).changes === 1;
      }),
    pruneVersions: (r, maxVersion) => exec(() => s.pruneVersions.run({ ...ref(r), max_version: maxVersion }).changes),
    list: (workspaceId, filter) =>
      exec(() => {
        const limit = clampLimit(filter.limit);
        const params: Params = { workspace_id: workspaceId, after_env: filter.after?.environment ?? '', after_path: filter.after?.path ?? '', limit };
        const rows = filter.environment === undefined ? s.listAll.all(params) : s.listEnv.all({ ...params, environment: filter.environment });
        return rows.map(secretSummaryFromRow);
      }),
    wrappedBetween: (fromKeyVersion, toKeyVersion, limit) => exec(() => s.wrappedBetween.all(fromKeyVersion, toKeyVersion, clampLimit(limit)).map(secretVersionFromRow)),
    rewrap: (r, version, fromKeyVersion, toKeyVersion, wrappedKey) =>
      exec(() => s.rewrap.run({ ...ref(r), version, from_version: fromKeyVersion, to_version: toKeyVersion, wrapped_key: wrappedKey }).changes === 1),
    countByKeyVersion: () => exec(() => s.countByKeyVersion.all().map((row) => ({ keyVersion: row.key_version, count: row.count }))),
  };
  return { keyring, secrets };
}
