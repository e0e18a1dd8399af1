-- Paper trading and the waitlist of the data API (docs/guides/data-api.md). Amounts are USD or
-- index units as IEEE doubles; times are epoch milliseconds.

-- Quotes live for seconds and execute once: used_at is set by one conditional UPDATE.
CREATE TABLE paper_quotes (
  id                TEXT    NOT NULL PRIMARY KEY,
  workspace_id      TEXT    NOT NULL REFERENCES workspaces (id),
  key_id            TEXT    NOT NULL,
  owner_id          TEXT,
  instrument        TEXT    NOT NULL,
  side              TEXT    NOT NULL CHECK (side IN ('buy', 'sell')),
  amount_in         REAL    NOT NULL,
  expected_out      REAL    NOT NULL,
  minimum_received  REAL    NOT NULL,
  unit_price_usd    REAL    NOT NULL,
  details           TEXT    NOT NULL,
  created_at        INTEGER NOT NULL,
  expires_at        INTEGER NOT NULL,
  used_at           INTEGER
) STRICT;

-- Pruning walks expired quotes.
CREATE INDEX paper_quotes_expires_idx ON paper_quotes (expires_at);

-- One portfolio per key owner and workspace.
CREATE TABLE paper_portfolios (
  id            TEXT    NOT NULL PRIMARY KEY,
  workspace_id  TEXT    NOT NULL REFERENCES workspaces (id),
  owner_id      TEXT    NOT NULL,
  created_at    INTEGER NOT NULL,
  UNIQUE (workspace_id, owner_id)
) STRICT;

CREATE TABLE paper_positions (
  portfolio_id      TEXT    NOT NULL REFERENCES paper_portfolios (id),
  instrument        TEXT    NOT NULL,
  units             REAL    NOT NULL CHECK (units >= 0),
  cost_basis_usd    REAL    NOT NULL,
  realized_pnl_usd  REAL    NOT NULL,
  updated_at        INTEGER NOT NULL,
  PRIMARY KEY (portfolio_id, instrument)
) STRICT;

-- No foreign key to paper_quotes (expired quotes are pruned); quote_id is unique, so a quote
-- never executes twice even if its row were gone.
CREATE TABLE paper_trades (
  id                TEXT    NOT NULL PRIMARY KEY,
  workspace_id      TEXT    NOT NULL REFERENCES workspaces (id),
  portfolio_id      TEXT    NOT NULL REFERENCES paper_portfolios (id),
  owner_id          TEXT    NOT NULL,
  key_id            TEXT    NOT NULL,
  quote_id          TEXT    NOT NULL UNIQUE,
  instrument        TEXT    NOT NULL,
  side              TEXT    NOT NULL CHECK (side IN ('buy', 'sell')),
  units             REAL    NOT NULL,
  usd               REAL    NOT NULL,
  unit_price_usd    REAL    NOT NULL,
  fees_usd          REAL    NOT NULL,
  market_cost_usd   REAL    NOT NULL,
  realized_pnl_usd  REAL    NOT NULL,
  executed_at       INTEGER NOT NULL
) STRICT;

CREATE INDEX paper_trades_portfolio_idx ON paper_trades (portfolio_id, id);

-- Emails are stored normalised (trimmed, lower case), once per workspace.
CREATE TABLE waitlist_signups (
  id            TEXT    NOT NULL PRIMARY KEY,
  workspace_id  TEXT    NOT NULL REFERENCES workspaces (id),
  email         TEXT    NOT NULL,
  index_id      TEXT    NOT NULL,
  key_id        TEXT    NOT NULL,
  created_at    INTEGER NOT NULL,
  UNIQUE (workspace_id, email)
) STRICT;
