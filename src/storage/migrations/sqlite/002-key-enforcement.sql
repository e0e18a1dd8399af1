-- Edge policy of a key (signing requirement now; rate limits and credits join it), as JSON.
ALTER TABLE api_keys ADD COLUMN enforcement TEXT NOT NULL DEFAULT '{"signing":null}';
