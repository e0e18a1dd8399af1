-- Usage counts, last use per key, alerts and offboarded owners
-- (docs/decisions/0006-usage-and-detection.md). Times are epoch milliseconds.

-- Verifications per minute. key_id and country are '' when unknown, so they can sit in the key.
-- No foreign key to api_keys: unknown keys are counted too, and counts outlive a key's row.
CREATE TABLE usage_buckets (
  workspace_id  TEXT COLLATE "C" NOT NULL,
  key_id        TEXT COLLATE "C" NOT NULL,
  minute        BIGINT           NOT NULL,
  route         TEXT COLLATE "C" NOT NULL,
  code          TEXT COLLATE "C" NOT NULL,
  country       TEXT COLLATE "C" NOT NULL,
  count         BIGINT           NOT NULL CHECK (count >= 0),
  PRIMARY KEY (workspace_id, key_id, minute, route, code, country)
);

-- Retention pruning walks old minutes.
CREATE INDEX usage_buckets_minute_idx ON usage_buckets (minute);

CREATE TABLE key_last_use (
  key_id        TEXT COLLATE "C" NOT NULL PRIMARY KEY,
  workspace_id  TEXT COLLATE "C" NOT NULL,
  at            BIGINT           NOT NULL,
  ip            TEXT             NOT NULL,
  country       TEXT
);

CREATE TABLE alerts (
  id               TEXT COLLATE "C" NOT NULL PRIMARY KEY,
  workspace_id     TEXT COLLATE "C" NOT NULL REFERENCES workspaces (id),
  type             TEXT             NOT NULL,
  severity         TEXT             NOT NULL CHECK (severity IN ('low', 'medium', 'high', 'critical')),
  status           TEXT             NOT NULL CHECK (status IN ('open', 'acknowledged', 'resolved')),
  key_id           TEXT COLLATE "C",
  dedupe_key       TEXT COLLATE "C" NOT NULL,
  summary          TEXT             NOT NULL,
  evidence         JSONB            NOT NULL,
  occurrences      INTEGER          NOT NULL CHECK (occurrences >= 1),
  first_seen_at    BIGINT           NOT NULL,
  last_seen_at     BIGINT           NOT NULL,
  created_at       BIGINT           NOT NULL,
  updated_at       BIGINT           NOT NULL,
  acknowledged_at  BIGINT,
  acknowledged_by  TEXT COLLATE "C",
  resolved_at      BIGINT,
  resolved_by      TEXT COLLATE "C",
  note             TEXT
);

-- One unresolved alert per finding subject: repeats add occurrences, on every node.
CREATE UNIQUE INDEX alerts_unresolved_dedupe_idx ON alerts (workspace_id, dedupe_key) WHERE status <> 'resolved';
CREATE INDEX alerts_workspace_idx ON alerts (workspace_id, id);
CREATE INDEX alerts_key_idx ON alerts (workspace_id, key_id, id);

CREATE TABLE offboarded_owners (
  workspace_id   TEXT COLLATE "C" NOT NULL REFERENCES workspaces (id),
  owner_id       TEXT COLLATE "C" NOT NULL,
  offboarded_at  BIGINT           NOT NULL,
  reason         TEXT,
  offboarded_by  TEXT COLLATE "C" NOT NULL,
  PRIMARY KEY (workspace_id, owner_id)
);
