-- V005: quarterly_features partitioned by quarter (RANGE on year, quarter) as transactions is, and
-- quarantine by input file (LIST on input_sha256), so that a run swaps in every table it loads
-- (DETACH, ATTACH: no rows copied) instead of deleting and inserting rows inside the swap
-- transaction while it holds the lock that readers of transactions wait for. Partitions are named
-- quarterly_features_<year>_q<n> and quarantine_<the first 16 hex digits of the input's SHA-256>.
-- Rows of the V004 tables are moved into their partitions.

ALTER TABLE quarterly_features RENAME TO quarterly_features_v004;
ALTER TABLE quarterly_features_v004 RENAME CONSTRAINT quarterly_features_pkey TO quarterly_features_v004_pkey;
CREATE TABLE quarterly_features (
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
) PARTITION BY RANGE (year, quarter);

ALTER TABLE quarantine RENAME TO quarantine_v004;
ALTER TABLE quarantine_v004 RENAME CONSTRAINT quarantine_pkey TO quarantine_v004_pkey;
CREATE TABLE quarantine (
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
) PARTITION BY LIST (input_sha256);

DO $$
DECLARE
    part record;
BEGIN
    FOR part IN SELECT DISTINCT year, quarter FROM quarterly_features_v004 ORDER BY 1, 2 LOOP
        EXECUTE format('CREATE TABLE %I PARTITION OF quarterly_features FOR VALUES FROM (%s, %s) TO (%s, %s)',
                       format('quarterly_features_%s_q%s', part.year, part.quarter),
                       part.year, part.quarter, part.year, part.quarter + 1);
    END LOOP;
    FOR part IN SELECT DISTINCT input_sha256 FROM quarantine_v004 ORDER BY 1 LOOP
        EXECUTE format('CREATE TABLE %I PARTITION OF quarantine FOR VALUES IN (%L)',
                       'quarantine_' || left(part.input_sha256, 16), part.input_sha256);
    END LOOP;
END $$;
INSERT INTO quarterly_features SELECT * FROM quarterly_features_v004;
DROP TABLE quarterly_features_v004;
INSERT INTO quarantine SELECT * FROM quarantine_v004;
DROP TABLE quarantine_v004;
