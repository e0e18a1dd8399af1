-- The rotation and expiry scheduler (docs/decisions/0009-rotation-scheduler.md). Times are epoch
-- milliseconds.

-- A key's rotation policy ({everyDays, graceHours, mode, vaultPath?}); NULL: none. The partial
-- index keeps the scheduler's scan to the keys that carry one.
ALTER TABLE api_keys ADD COLUMN rotation JSONB;
CREATE INDEX api_keys_rotation_idx ON api_keys (id) WHERE rotation IS NOT NULL;
CREATE INDEX api_keys_expires_idx ON api_keys (expires_at) WHERE expires_at IS NOT NULL;

-- One row per lease: the node that holds it and until when. Taken and renewed by one
-- INSERT … ON CONFLICT DO UPDATE … WHERE, which row-locks it: two nodes cannot both get it.
CREATE TABLE scheduler_leases (
  name        TEXT COLLATE "C" NOT NULL PRIMARY KEY,
  holder      TEXT             NOT NULL,
  expires_at  BIGINT           NOT NULL
);

-- What the scheduler already did for a key: one row per (key, kind, period), written in the
-- transaction of the action. A second node inserting the same row waits for the first to commit
-- and then finds it, so an action is never done twice.
CREATE TABLE scheduler_notices (
  key_id        TEXT COLLATE "C" NOT NULL,
  kind          TEXT             NOT NULL,
  period        BIGINT           NOT NULL,
  workspace_id  TEXT COLLATE "C" NOT NULL,
  at            BIGINT           NOT NULL,
  PRIMARY KEY (key_id, kind, period)
);
