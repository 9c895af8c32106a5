-- V004: what a retried load needs to finish a run that has committed (issue 27). A run's swap
-- transaction also stores its run record (record, as written to the lake's _runs/<run_id>.json);
-- lake_published_at is set once the run's quarter manifests are in the lake. A succeeded run
-- without it committed but did not finish publishing (its lake write failed, or it was killed
-- after the commit): the next run writes its manifests from quarter_ready. completes_run names the
-- run whose publication a run finished, when that is all the run did (a retry of the same input).

ALTER TABLE etl_runs ADD COLUMN IF NOT EXISTS record jsonb;
ALTER TABLE etl_runs ADD COLUMN IF NOT EXISTS lake_published_at timestamptz;
ALTER TABLE etl_runs ADD COLUMN IF NOT EXISTS completes_run text;
-- Runs from before this version are taken as published.
UPDATE etl_runs SET lake_published_at = finished_at WHERE status = 'succeeded' AND lake_published_at IS NULL;
