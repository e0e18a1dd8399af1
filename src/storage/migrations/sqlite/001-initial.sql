-- Initial schema. Times are epoch milliseconds; JSON columns hold TEXT written by the store.
-- STRICT tables so a wrongly typed bind fails loudly instead of being coerced.

CREATE TABLE workspaces (
  id          TEXT    NOT NULL PRIMARY KEY,
  name        TEXT    NOT NULL,
  created_at  INTEGER NOT NULL,
  operator    INTEGER NOT NULL CHECK (operator IN (0, 1))
) STRICT;

CREATE TABLE api_keys (
  id              TEXT    NOT NULL PRIMARY KEY,
  workspace_id    TEXT    NOT NULL REFERENCES workspaces (id),
  name            TEXT    NOT NULL,
  environment     TEXT    NOT NULL,
  start           TEXT    NOT NULL,
  hash            TEXT    NOT NULL UNIQUE,
  scopes          TEXT    NOT NULL,
  status          TEXT    NOT NULL,
  created_at      INTEGER NOT NULL,
  updated_at      INTEGER NOT NULL,
  expires_at      INTEGER,
  ip_allowlist    TEXT    NOT NULL,
  metadata        TEXT    NOT NULL,
  owner_id        TEXT,
  replaces_id     TEXT,
  replaced_by_id  TEXT,
  revoked_at      INTEGER,
  revoke_reason   TEXT,
  suspended_at    INTEGER
) STRICT;

CREATE INDEX api_keys_workspace_idx ON api_keys (workspace_id, id);
CREATE INDEX api_keys_owner_idx ON api_keys (workspace_id, owner_id, id);

CREATE TABLE admin_tokens (
  id            TEXT    NOT NULL PRIMARY KEY,
  workspace_id  TEXT    NOT NULL REFERENCES workspaces (id),
  name          TEXT    NOT NULL,
  role          TEXT    NOT NULL,
  hash          TEXT    NOT NULL UNIQUE,
  start         TEXT    NOT NULL,
  created_at    INTEGER NOT NULL,
  expires_at    INTEGER,
  revoked_at    INTEGER,
  created_by    TEXT
) STRICT;

CREATE INDEX admin_tokens_workspace_idx ON admin_tokens (workspace_id, id);
CREATE INDEX admin_tokens_role_idx ON admin_tokens (role);

-- One row per workspace log: the number of reserved seqs. Bumped in the appending transaction,
-- so a rollback hands the number back and the log stays gapless.
CREATE TABLE audit_heads (
  workspace_id  TEXT    NOT NULL PRIMARY KEY,
  size          INTEGER NOT NULL CHECK (size >= 0)
) STRICT;

CREATE TABLE audit_events (
  workspace_id  TEXT    NOT NULL,
  seq           INTEGER NOT NULL CHECK (seq >= 0),
  id            TEXT    NOT NULL UNIQUE,
  time          TEXT    NOT NULL,
  time_ms       INTEGER NOT NULL,
  actor_type    TEXT    NOT NULL,
  actor_id      TEXT    NOT NULL,
  action        TEXT    NOT NULL,
  target_type   TEXT,
  target_id     TEXT,
  data          TEXT    NOT NULL,
  leaf_hash     TEXT    NOT NULL,
  PRIMARY KEY (workspace_id, seq)
) STRICT;

CREATE INDEX audit_events_actor_idx ON audit_events (workspace_id, actor_id, seq);
CREATE INDEX audit_events_target_idx ON audit_events (workspace_id, target_id, seq);
CREATE INDEX audit_events_time_idx ON audit_events (workspace_id, time_ms, seq);

CREATE TABLE audit_checkpoints (
  workspace_id  TEXT    NOT NULL,
  tree_size     INTEGER NOT NULL CHECK (tree_size >= 0),
  root_hash     TEXT    NOT NULL,
  created_at    INTEGER NOT NULL,
  note          TEXT    NOT NULL,
  PRIMARY KEY (workspace_id, tree_size)
) STRICT;
