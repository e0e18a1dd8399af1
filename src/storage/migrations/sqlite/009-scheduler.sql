-- The rotation and expiry scheduler (docs/decisions/0009-rotation-scheduler.md). Times are epoch
-- milliseconds.

-- A key's rotation policy as JSON ({everyDays, graceHours, mode, vaultPath?}); NULL: none. The
-- partial index keeps the scheduler's scan to the keys that carry one.
ALTER TABLE api_keys ADD COLUMN rotation TEXT;
CREATE INDEX api_keys_rotation_idx ON api_keys (id) WHERE rotation IS NOT NULL;
CREATE INDEX api_keys_expires_idx ON api_keys (expires_at) WHERE expires_at IS NOT NULL;

-- One row per lease: the node that holds it and until when. Taken and renewed by one upsert whose
-- WHERE lets it through only when the lease is free, expired or already the caller's.
CREATE TABLE scheduler_leases (
  name        TEXT    NOT NULL PRIMARY KEY,
  holder      TEXT    NOT NULL,
  expires_at  INTEGER NOT NULL
) STRICT;

-- What the scheduler already did for a key: one row per (key, kind, period), written in the
-- transaction of the action, so a second tick (or a second node) cannot do it again.
CREATE TABLE scheduler_notices (
  key_id        TEXT    NOT NULL,
  kind          TEXT    NOT NULL,
  period        INTEGER NOT NULL,
  workspace_id  TEXT    NOT NULL,
  at            INTEGER NOT NULL,
  PRIMARY KEY (key_id, kind, period)
) STRICT;
