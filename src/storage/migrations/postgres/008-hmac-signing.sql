-- HMAC-SHA256 signing secrets of API keys (docs/decisions/0008-hmac-signing.md). One row per key
-- that requires HMAC signatures, apart from api_keys so no copy of a key record can carry it. The
-- secret is stored only encrypted (vault envelope, AAD bound to workspace and key); deleting the
-- row erases the only copy of its data key.
CREATE TABLE key_signing_secrets (
  key_id        TEXT COLLATE "C" NOT NULL PRIMARY KEY REFERENCES api_keys (id),
  workspace_id  TEXT COLLATE "C" NOT NULL REFERENCES workspaces (id),
  ciphertext    BYTEA   NOT NULL,
  wrapped_key   BYTEA   NOT NULL,
  key_version   INTEGER NOT NULL,
  created_at    BIGINT  NOT NULL
);

-- Master key rotation walks and counts data keys by the root key version that wraps them.
CREATE INDEX key_signing_secrets_version_idx ON key_signing_secrets (key_version, key_id);
