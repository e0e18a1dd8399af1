-- Usage counts per scope (docs/decisions/0010-evidence-pack.md): a successful verification
-- counts under the scope it exercised, so the hygiene report can name scopes a key never uses.
-- scope is '' when none was exercised (a refusal, or a verify call naming no scope) and '?' for
-- successful uses counted before this migration, whose scope nobody recorded.
--
-- The scope joins the primary key, and SQLite cannot change the key of a WITHOUT ROWID table in
-- place: the table is rebuilt (inside the migration transaction).
CREATE TABLE usage_buckets_010 (
  workspace_id  TEXT    NOT NULL,
  key_id        TEXT    NOT NULL,
  minute        INTEGER NOT NULL,
  route         TEXT    NOT NULL,
  code          TEXT    NOT NULL,
  country       TEXT    NOT NULL,
  scope         TEXT    NOT NULL,
  count         INTEGER NOT NULL CHECK (count >= 0),
  PRIMARY KEY (workspace_id, key_id, minute, route, code, country, scope)
) STRICT, WITHOUT ROWID;

INSERT INTO usage_buckets_010 (workspace_id, key_id, minute, route, code, country, scope, count)
  SELECT workspace_id, key_id, minute, route, code, country, CASE WHEN code = 'VALID' THEN '?' ELSE '' END, count FROM usage_buckets;

DROP TABLE usage_buckets;
ALTER TABLE usage_buckets_010 RENAME TO usage_buckets;

-- Retention pruning walks old minutes.
CREATE INDEX usage_buckets_minute_idx ON usage_buckets (minute);
