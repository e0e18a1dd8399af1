-- Usage counts per scope (docs/decisions/0010-evidence-pack.md): a successful verification
-- counts under the scope it exercised, so the hygiene report can name scopes a key never uses.
-- scope is '' when none was exercised (a refusal, or a verify call naming no scope) and '?' for
-- successful uses counted before this migration, whose scope nobody recorded.
ALTER TABLE usage_buckets ADD COLUMN scope TEXT COLLATE "C" NOT NULL DEFAULT '';
UPDATE usage_buckets SET scope = '?' WHERE code = 'VALID';
ALTER TABLE usage_buckets ALTER COLUMN scope DROP DEFAULT;

-- The scope joins the bucket's key: ON CONFLICT of the flush names all seven columns.
ALTER TABLE usage_buckets DROP CONSTRAINT usage_buckets_pkey;
ALTER TABLE usage_buckets ADD PRIMARY KEY (workspace_id, key_id, minute, route, code, country, scope);
