-- Users, TOTP step-up MFA and the workspace MFA setting (docs/decisions/0007-users-and-step-up-mfa.md).
-- No TOTP secret is stored in plaintext: `ciphertext` is the secret under a per-enrolment data key,
-- and the data key is stored only wrapped by the key provider (root key version `key_version`).
-- Recovery codes are stored as SHA-256 hashes of 80-bit random codes.

-- Tokens issued for a user carry its id; tokens without one are service tokens.
ALTER TABLE admin_tokens ADD COLUMN user_id TEXT COLLATE "C";
CREATE INDEX admin_tokens_user_idx ON admin_tokens (workspace_id, user_id);

CREATE TABLE users (
  id            TEXT COLLATE "C" NOT NULL PRIMARY KEY,
  workspace_id  TEXT COLLATE "C" NOT NULL REFERENCES workspaces (id),
  email         TEXT COLLATE "C" NOT NULL,
  name          TEXT             NOT NULL,
  role          TEXT             NOT NULL,
  created_at    BIGINT           NOT NULL,
  updated_at    BIGINT           NOT NULL,
  disabled_at   BIGINT,
  UNIQUE (workspace_id, email)
);

CREATE INDEX users_workspace_idx ON users (workspace_id, id);

-- One enrolment per user, pending (confirmed_at NULL) or confirmed. last_used_step only grows:
-- a code is accepted by one conditional UPDATE that raises it, so a replay changes no row, on
-- any node (the row lock makes a concurrent UPDATE re-check the condition).
CREATE TABLE mfa_totp (
  id              TEXT COLLATE "C" NOT NULL PRIMARY KEY,
  workspace_id    TEXT COLLATE "C" NOT NULL REFERENCES workspaces (id),
  user_id         TEXT COLLATE "C" NOT NULL REFERENCES users (id),
  ciphertext      BYTEA            NOT NULL,
  wrapped_key     BYTEA            NOT NULL,
  key_version     INTEGER          NOT NULL CHECK (key_version >= 1),
  created_at      BIGINT           NOT NULL,
  confirmed_at    BIGINT,
  last_used_step  BIGINT,
  failures        INTEGER          NOT NULL DEFAULT 0 CHECK (failures >= 0),
  locked_until    BIGINT,
  UNIQUE (workspace_id, user_id)
);

-- Rewrap walks the enrolments still wrapped by an old root key.
CREATE INDEX mfa_totp_key_version_idx ON mfa_totp (key_version);

CREATE TABLE mfa_recovery_codes (
  workspace_id  TEXT COLLATE "C" NOT NULL,
  user_id       TEXT COLLATE "C" NOT NULL,
  code_hash     TEXT COLLATE "C" NOT NULL,
  used_at       BIGINT,
  PRIMARY KEY (workspace_id, user_id, code_hash)
);

CREATE TABLE workspace_settings (
  workspace_id  TEXT COLLATE "C" NOT NULL PRIMARY KEY REFERENCES workspaces (id),
  require_mfa   BOOLEAN          NOT NULL,
  updated_at    BIGINT           NOT NULL
);
