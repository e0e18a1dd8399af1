-- Paper trading and the waitlist of the data API (docs/guides/data-api.md). Amounts are USD or
-- index units as IEEE doubles; times are epoch milliseconds.

-- Quotes live for seconds and execute once: used_at is set by one conditional UPDATE.
CREATE TABLE paper_quotes (
  id                TEXT COLLATE "C" NOT NULL PRIMARY KEY,
  workspace_id      TEXT COLLATE "C" NOT NULL REFERENCES workspaces (id),
  key_id            TEXT COLLATE "C" NOT NULL,
  owner_id          TEXT COLLATE "C",
  instrument        TEXT             NOT NULL,
  side              TEXT             NOT NULL CHECK (side IN ('buy', 'sell')),
  amount_in         DOUBLE PRECISION NOT NULL,
  expected_out      DOUBLE PRECISION NOT NULL,
  minimum_received  DOUBLE PRECISION NOT NULL,
  unit_price_usd    DOUBLE PRECISION NOT NULL,
  details           JSONB            NOT NULL,
  created_at        BIGINT           NOT NULL,
  expires_at        BIGINT           NOT NULL,
  used_at           BIGINT
);

-- Pruning walks expired quotes.
CREATE INDEX paper_quotes_expires_idx ON paper_quotes (expires_at);

-- One portfolio per key owner and workspace; trades lock its row (SELECT … FOR UPDATE).
CREATE TABLE paper_portfolios (
  id            TEXT COLLATE "C" NOT NULL PRIMARY KEY,
  workspace_id  TEXT COLLATE "C" NOT NULL REFERENCES workspaces (id),
  owner_id      TEXT COLLATE "C" NOT NULL,
  created_at    BIGINT           NOT NULL,
  UNIQUE (workspace_id, owner_id)
);

CREATE TABLE paper_positions (
  portfolio_id      TEXT COLLATE "C" NOT NULL REFERENCES paper_portfolios (id),
  instrument        TEXT COLLATE "C" NOT NULL,
  units             DOUBLE PRECISION NOT NULL CHECK (units >= 0),
  cost_basis_usd    DOUBLE PRECISION NOT NULL,
  realized_pnl_usd  DOUBLE PRECISION NOT NULL,
  updated_at        BIGINT           NOT NULL,
  PRIMARY KEY (portfolio_id, instrument)
);

-- No foreign key to paper_quotes (expired quotes are pruned); quote_id is unique, so a quote
-- never executes twice even if its row were gone.
CREATE TABLE paper_trades (
  id                TEXT COLLATE "C" NOT NULL PRIMARY KEY,
  workspace_id      TEXT COLLATE "C" NOT NULL REFERENCES workspaces (id),
  portfolio_id      TEXT COLLATE "C" NOT NULL REFERENCES paper_portfolios (id),
  owner_id          TEXT COLLATE "C" NOT NULL,
  key_id            TEXT COLLATE "C" NOT NULL,
  quote_id          TEXT COLLATE "C" NOT NULL UNIQUE,
  instrument        TEXT COLLATE "C" NOT NULL,
  side              TEXT             NOT NULL CHECK (side IN ('buy', 'sell')),
  units             DOUBLE PRECISION NOT NULL,
  usd               DOUBLE PRECISION NOT NULL,
  unit_price_usd    DOUBLE PRECISION NOT NULL,
  fees_usd          DOUBLE PRECISION NOT NULL,
  market_cost_usd   DOUBLE PRECISION NOT NULL,
  realized_pnl_usd  DOUBLE PRECISION NOT NULL,
  executed_at       BIGINT           NOT NULL
);

CREATE INDEX paper_trades_portfolio_idx ON paper_trades (portfolio_id, id);

-- Emails are stored normalised (trimmed, lower case), once per workspace.
CREATE TABLE waitlist_signups (
  id            TEXT COLLATE "C" NOT NULL PRIMARY KEY,
  workspace_id  TEXT COLLATE "C" NOT NULL REFERENCES workspaces (id),
  email         TEXT COLLATE "C" NOT NULL,
  index_id      TEXT COLLATE "C" NOT NULL,
  key_id        TEXT COLLATE "C" NOT NULL,
  created_at    BIGINT           NOT NULL,
  UNIQUE (workspace_id, email)
);
