-- V003: the quarter manifest (DATA_CONTRACT.md, "The quarter manifest"): one row per quarter with
-- the manifest its latest successful run published. A run upserts its quarters' rows in the same
-- transaction as the swap and its etl_runs record, and NOTIFYs quarter_ready with the quarter
-- when the manifest's content (without run_id and published_at) changed.
-- The contract calls it ops.quarter_ready, after the job's operational tables; in PostgreSQL it
-- lives in the job's schema (default bank) beside etl_runs, so that the schema's owner, roles,
-- grants and default privileges cover it as they cover the other tables: bank_etl owns it,
-- bank_reader may SELECT it (and LISTEN, which needs no grant).

CREATE TABLE IF NOT EXISTS quarter_ready (
    quarter      text        PRIMARY KEY CHECK (quarter ~ '^[0-9]{4}-Q[1-4]$'),
    run_id       text        NOT NULL,
    published_at timestamptz NOT NULL,
    manifest     jsonb       NOT NULL,
    CONSTRAINT quarter_ready_manifest_matches CHECK (
        jsonb_typeof(manifest) = 'object'
        AND manifest ->> 'quarter' = quarter
        AND manifest ->> 'run_id' = run_id)
);
