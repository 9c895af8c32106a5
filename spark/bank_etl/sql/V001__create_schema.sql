-- V001: the bank batch's tables. Runs with search_path set to the target schema (default bank),
-- so the names below are unqualified. Columns follow DATA_CONTRACT.md.

CREATE TABLE IF NOT EXISTS transactions (
    txn_date              date             NOT NULL,
    domain                text             NOT NULL,
    location              text             NOT NULL,
    value                 bigint           NOT NULL CHECK (value >= 0),
    transaction_count     bigint           NOT NULL CHECK (transaction_count >= 1),
    value_per_transaction double precision NOT NULL,
    year                  integer          NOT NULL,
    quarter               integer          NOT NULL CHECK (quarter BETWEEN 1 AND 4),
    month                 integer          NOT NULL,
    day_of_week           integer          NOT NULL CHECK (day_of_week BETWEEN 1 AND 7),
    -- The loader sets bank_etl.run_id for its transaction instead of sending the same id on
    -- every row; without it the default is NULL and the NOT NULL constraint rejects the row.
    run_id                text             NOT NULL DEFAULT current_setting('bank_etl.run_id', true)
);
-- Each run replaces whole quarters, and readers select by quarter.
CREATE INDEX IF NOT EXISTS transactions_year_quarter_idx ON transactions (year, quarter);

CREATE TABLE IF NOT EXISTS quarterly_features (
    year                      integer          NOT NULL,
    quarter                   integer          NOT NULL,
    domain                    text             NOT NULL,
    location                  text             NOT NULL,
    row_count                 bigint           NOT NULL,
    total_value               bigint           NOT NULL,
    total_transactions        bigint           NOT NULL,
    avg_value_per_transaction double precision NOT NULL,
    active_days               integer          NOT NULL,
    domain_value_share        double precision NOT NULL,
    PRIMARY KEY (year, quarter, domain, location)
);

-- Quarantined rows belong to the input file they came from (input_sha256): a run replaces the
-- quarantine rows of its input, so re-running the same file adds no duplicates.
CREATE TABLE IF NOT EXISTS quarantine (
    run_id                text   NOT NULL,
    input_sha256          text   NOT NULL,
    source_row            bigint NOT NULL,
    raw_date              text,
    raw_domain            text,
    raw_location          text,
    raw_value             text,
    raw_transaction_count text,
    raw_record            text,
    reason                text   NOT NULL CHECK (reason IN ('malformed', 'bad_date', 'bad_domain',
                                  'bad_location', 'bad_value', 'bad_transaction_count')),
    PRIMARY KEY (input_sha256, source_row)
);

CREATE TABLE IF NOT EXISTS etl_runs (
    run_id            text        PRIMARY KEY,
    scope             text        NOT NULL,
    started_at        timestamptz NOT NULL,
    finished_at       timestamptz,
    status            text        NOT NULL CHECK (status IN ('running', 'succeeded', 'failed')),
    rows_read         bigint,
    rows_valid        bigint,
    rows_quarantined  bigint,
    rows_duplicate    bigint,
    rows_out_of_scope bigint,
    input_uri         text        NOT NULL,
    input_sha256      text,
    error             text
);
