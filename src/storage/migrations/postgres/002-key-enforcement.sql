-- Edge policy of a key (signing requirement now; rate limits and credits join it), as JSON.
ALTER TABLE api_keys ADD COLUMN enforcement JSONB NOT NULL DEFAULT '{"signing":null}'::jsonb;
