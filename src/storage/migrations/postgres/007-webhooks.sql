-- Webhook endpoints and their delivery queue (docs/guides/webhooks-and-playbooks.md). Times are
-- epoch milliseconds. The signing secret is stored only encrypted (vault envelope).
CREATE TABLE webhook_endpoints (
  id            TEXT    NOT NULL PRIMARY KEY,
  workspace_id  TEXT    NOT NULL REFERENCES workspaces (id),
  url           TEXT    NOT NULL,
  events        TEXT    NOT NULL,
  ciphertext    BYTEA   NOT NULL,
  wrapped_key   BYTEA   NOT NULL,
  key_version   INTEGER NOT NULL,
  created_at    BIGINT  NOT NULL,
  created_by    TEXT    NOT NULL
);

CREATE INDEX webhook_endpoints_workspace_idx ON webhook_endpoints (workspace_id, id);

-- One row per (message, endpoint): the queue and the delivery log. lease_owner/lease_until make
-- one node at a time deliver a row (claimed with FOR UPDATE SKIP LOCKED).
CREATE TABLE webhook_deliveries (
  id                TEXT    NOT NULL PRIMARY KEY,
  workspace_id      TEXT    NOT NULL,
  endpoint_id       TEXT    NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
  event_type        TEXT    NOT NULL,
  payload           TEXT    NOT NULL,
  status            TEXT    NOT NULL CHECK (status IN ('pending', 'delivered', 'failed')),
  attempts          INTEGER NOT NULL,
  next_attempt_at   BIGINT  NOT NULL,
  lease_owner       TEXT,
  lease_until       BIGINT,
  last_status_code  INTEGER,
  last_error        TEXT,
  created_at        BIGINT  NOT NULL,
  updated_at        BIGINT  NOT NULL
);

CREATE INDEX webhook_deliveries_due_idx ON webhook_deliveries (status, next_attempt_at);
CREATE INDEX webhook_deliveries_endpoint_idx ON webhook_deliveries (endpoint_id, id);
