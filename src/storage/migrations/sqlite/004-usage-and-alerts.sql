-- Usage counts, last use per key, alerts and offboarded owners
-- (docs/decisions/0006-usage-and-detection.md). Times are epoch milliseconds.

-- Verifications per minute. key_id and country are '' when unknown, so they can sit in the key.
-- No foreign key to api_keys: unknown keys are counted too, and counts outlive a key's row.
CREATE TABLE usage_buckets (
  workspace_id  TEXT    NOT NULL,
  key_id        TEXT    NOT NULL,
  minute        INTEGER NOT NULL,
  route         TEXT    NOT NULL,
  code          TEXT    NOT NULL,
  country       TEXT    NOT NULL,
  count         INTEGER NOT NULL CHECK (count >= 0),
  PRIMARY KEY (workspace_id, key_id, minute, route, code, country)
) STRICT, WITHOUT ROWID;

-- Retention pruning walks old minutes.
CREATE INDEX usage_buckets_minute_idx ON usage_buckets (minute);

CREATE TABLE key_last_use (
  key_id        TEXT    NOT NULL PRIMARY KEY,
  workspace_id  TEXT    NOT NULL,
  at            INTEGER NOT NULL,
  ip            TEXT    NOT NULL,
  country       TEXT
) STRICT;

CREATE TABLE alerts (
  id               TEXT    NOT NULL PRIMARY KEY,
  workspace_id     TEXT    NOT NULL REFERENCES workspaces (id),
  type             TEXT    NOT NULL,
  severity         TEXT    NOT NULL CHECK (severity IN ('low', 'medium', 'high', 'critical')),
  status           TEXT    NOT NULL CHECK (status IN ('open', 'acknowledged', 'resolved')),
  key_id           TEXT,
  dedupe_key       TEXT    NOT NULL,
  summary          TEXT    NOT NULL,
  evidence         TEXT    NOT NULL,
  occurrences      INTEGER NOT NULL CHECK (occurrences >= 1),
  first_seen_at    INTEGER NOT NULL,
  last_seen_at     INTEGER NOT NULL,
  created_at       INTEGER NOT NULL,
  updated_at       INTEGER NOT NULL,
  acknowledged_at  INTEGER,
  acknowledged_by  TEXT,
  resolved_at      INTEGER,
  resolved_by      TEXT,
  note             TEXT
) STRICT;

-- One unresolved alert per finding subject: repeats add occurrences, on every node.
CREATE UNIQUE INDEX alerts_unresolved_dedupe_idx ON alerts (workspace_id, dedupe_key) WHERE status <> 'resolved';
CREATE INDEX alerts_workspace_idx ON alerts (workspace_id, id);
CREATE INDEX alerts_key_idx ON alerts (workspace_id, key_id, id);

CREATE TABLE offboarded_owners (
  workspace_id   TEXT    NOT NULL REFERENCES workspaces (id),
  owner_id       TEXT    NOT NULL,
  offboarded_at  INTEGER NOT NULL,
  reason         TEXT,
  offboarded_by  TEXT    NOT NULL,
  PRIMARY KEY (workspace_id, owner_id)
) STRICT;
