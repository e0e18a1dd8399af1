-- Secrets vault and keyring (docs/decisions/0005-envelope-encryption.md). No plaintext is ever
-- stored: values are AES-256-GCM ciphertext under a per-version data key, and that data key is
-- stored only wrapped by the key provider's root key of version key_version.

-- The deployment-wide keyring: one row (id = 1).
CREATE TABLE vault_keyring (
  id                      INTEGER NOT NULL PRIMARY KEY CHECK (id = 1),
  provider                TEXT    NOT NULL,
  current_version         INTEGER NOT NULL CHECK (current_version >= 1),
  min_decryption_version  INTEGER NOT NULL CHECK (min_decryption_version >= 1),
  provider_data           TEXT    NOT NULL,
  created_at              INTEGER NOT NULL,
  updated_at              INTEGER NOT NULL
) STRICT;

-- Root key versions. `sealed` is the local keyring's root key encrypted under the passphrase key;
-- NULL for providers that keep the key themselves (PKCS#11 token, Vault transit).
CREATE TABLE vault_root_keys (
  version     INTEGER NOT NULL PRIMARY KEY CHECK (version >= 1),
  sealed      BLOB,
  created_at  INTEGER NOT NULL
) STRICT;

CREATE TABLE vault_secrets (
  workspace_id     TEXT    NOT NULL REFERENCES workspaces (id),
  environment      TEXT    NOT NULL,
  path             TEXT    NOT NULL,
  current_version  INTEGER NOT NULL CHECK (current_version >= 1),
  created_at       INTEGER NOT NULL,
  updated_at       INTEGER NOT NULL,
  PRIMARY KEY (workspace_id, environment, path)
) STRICT;

CREATE TABLE vault_secret_versions (
  workspace_id  TEXT    NOT NULL,
  environment   TEXT    NOT NULL,
  path          TEXT    NOT NULL,
  version       INTEGER NOT NULL CHECK (version >= 1),
  key_version   INTEGER,
  wrapped_key   BLOB,
  ciphertext    BLOB,
  created_at    INTEGER NOT NULL,
  created_by    TEXT    NOT NULL,
  deleted_at    INTEGER,
  destroyed_at  INTEGER,
  PRIMARY KEY (workspace_id, environment, path, version),
  FOREIGN KEY (workspace_id, environment, path) REFERENCES vault_secrets (workspace_id, environment, path)
) STRICT;

-- Rewrap walks the versions still wrapped by an old root key.
CREATE INDEX vault_secret_versions_key_version_idx ON vault_secret_versions (key_version);
