-- V002: transactions partitioned by quarter, so that a run can load a quarter into a table of its
-- own from several sessions and swap it in (DETACH, ATTACH) in one short transaction.
-- Rows of a V001 table are moved into one partition per year and quarter.

ALTER TABLE transactions RENAME TO transactions_v001;
ALTER INDEX IF EXISTS transactions_year_quarter_idx RENAME TO transactions_v001_year_quarter_idx;

CREATE TABLE transactions (
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
    -- Each loading session sets bank_etl.run_id instead of sending the same id on every row.
    run_id                text             NOT NULL DEFAULT current_setting('bank_etl.run_id', true)
) PARTITION BY RANGE (year, quarter);

DO $$
DECLARE
    part record;
BEGIN
    FOR part IN SELECT DISTINCT year, quarter FROM transactions_v001 ORDER BY 1, 2 LOOP
        EXECUTE format('CREATE TABLE %I PARTITION OF transactions FOR VALUES FROM (%s, %s) TO (%s, %s)',
                       format('transactions_%s_q%s', part.year, part.quarter),
                       part.year, part.quarter, part.year, part.quarter + 1);
    END LOOP;
END $$;
INSERT INTO transactions SELECT * FROM transactions_v001;
DROP TABLE transactions_v001;
