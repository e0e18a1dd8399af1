-- Initial schema. Times are epoch milliseconds; JSON columns are JSONB.
-- Unqualified names: the store sets search_path when it runs in its own schema.
-- Id columns use the "C" collation: ids are time-sortable in byte order, which a locale collation
-- (en_US and the like ignore case at first) would not keep for ORDER BY id and the afterId cursor.

CREATE TABLE workspaces (
  id          TEXT COLLATE "C" NOT NULL PRIMARY KEY,
  name        TEXT             NOT NULL,
  created_at  BIGINT           NOT NULL,
  operator    BOOLEAN          NOT NULL
);

CREATE TABLE api_keys (
  id              TEXT COLLATE "C" NOT NULL PRIMARY KEY,
  workspace_id    TEXT COLLATE "C" NOT NULL REFERENCES workspaces (id),
  name            TEXT             NOT NULL,
  environment     TEXT             NOT NULL,
  start           TEXT             NOT NULL,
  hash            TEXT             NOT NULL UNIQUE,
  scopes          JSONB            NOT NULL,
  status          TEXT             NOT NULL,
  created_at      BIGINT           NOT NULL,
  updated_at      BIGINT           NOT NULL,
  expires_at      BIGINT,
  ip_allowlist    JSONB            NOT NULL,
  metadata        JSONB            NOT NULL,
  owner_id        TEXT COLLATE "C",
  replaces_id     TEXT COLLATE "C",
  replaced_by_id  TEXT COLLATE "C",
  revoked_at      BIGINT,
  revoke_reason   TEXT,
  suspended_at    BIGINT
);

CREATE INDEX api_keys_workspace_idx ON api_keys (workspace_id, id);
CREATE INDEX api_keys_owner_idx ON api_keys (workspace_id, owner_id, id);

CREATE TABLE admin_tokens (
  id            TEXT COLLATE "C" NOT NULL PRIMARY KEY,
  workspace_id  TEXT COLLATE "C" NOT NULL REFERENCES workspaces (id),
  name          TEXT             NOT NULL,
  role          TEXT             NOT NULL,
  hash          TEXT             NOT NULL UNIQUE,
  start         TEXT             NOT NULL,
  created_at    BIGINT           NOT NULL,
  expires_at    BIGINT,
  revoked_at    BIGINT,
  created_by    TEXT COLLATE "C"
);

CREATE INDEX admin_tokens_workspace_idx ON admin_tokens (workspace_id, id);
CREATE INDEX admin_tokens_role_idx ON admin_tokens (role);

-- One row per workspace log: the number of reserved seqs. The upsert in nextSeq row-locks it, so
-- appenders of one workspace serialise and a rollback hands the number back: the log stays gapless.
CREATE TABLE audit_heads (
  workspace_id  TEXT COLLATE "C" NOT NULL PRIMARY KEY,
  size          BIGINT           NOT NULL CHECK (size >= 0)
);

CREATE TABLE audit_events (
  workspace_id  TEXT COLLATE "C" NOT NULL,
  seq           BIGINT           NOT NULL CHECK (seq >= 0),
  id            TEXT COLLATE "C" NOT NULL UNIQUE,
  time          TEXT             NOT NULL,
  time_ms       BIGINT           NOT NULL,
  actor_type    TEXT             NOT NULL,
  actor_id      TEXT COLLATE "C" NOT NULL,
  action        TEXT             NOT NULL,
  target_type   TEXT,
  target_id     TEXT COLLATE "C",
  data          JSONB            NOT NULL,
  leaf_hash     TEXT             NOT NULL,
  PRIMARY KEY (workspace_id, seq)
);

CREATE INDEX audit_events_actor_idx ON audit_events (workspace_id, actor_id, seq);
CREATE INDEX audit_events_target_idx ON audit_events (workspace_id, target_id, seq);
CREATE INDEX audit_events_time_idx ON audit_events (workspace_id, time_ms, seq);

CREATE TABLE audit_checkpoints (
  workspace_id  TEXT COLLATE "C" NOT NULL,
  tree_size     BIGINT           NOT NULL CHECK (tree_size >= 0),
  root_hash     TEXT             NOT NULL,
  created_at    BIGINT           NOT NULL,
  note          TEXT             NOT NULL,
  PRIMARY KEY (workspace_id, tree_size)
);
