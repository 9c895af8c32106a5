"""The lake's layout and the guard that keeps the undoing of a run from deleting a container's root."""

from __future__ import annotations

import pytest

from bank_etl import lake
from bank_etl.errors import LakeLayoutError
from bank_etl.fs import LocalFs
from bank_etl.job import run_job

from conftest import job_config, write_csv

AZURE = "abfss://{container}@stbankprod.dfs.core.windows.net/"


def test_no_step_may_delete_a_container_root_the_lake_root_or_what_holds_another_area():
    azure, prefixed, local = lake.lake_layout(AZURE), lake.lake_layout(AZURE + "payments/"), lake.lake_layout("/data/lake")
    refused = [(azure, "abfss://quarantine@stbankprod.dfs.core.windows.net/"),
               (azure, "abfss://quarantine@stbankprod.dfs.core.windows.net"),
               (azure, "abfss://curated@stbankprod.dfs.core.windows.net/"),
               (azure, "abfss://landing@stbankprod.dfs.core.windows.net/"),  # any container root
               (prefixed, "abfss://quarantine@stbankprod.dfs.core.windows.net/payments/"),  # the pipeline's folder
               (prefixed, "abfss://quarantine@stbankprod.dfs.core.windows.net/"),
               (local, "/data/lake"), (local, "/data/lake/"), (local, "/data"), (local, "/"),
               (local, "/data/lake/quarantine"), (local, "/data/lake/features"),  # hold an area
               (local, "dbfs:/"), (local, "/Volumes/main/bank/lake")]
    for layout, path in refused:
        with pytest.raises(LakeLayoutError, match="refusing to delete"):
            lake.check_deletable(layout, path)
    for layout in (azure, prefixed, local):
        for path in (layout.curated, layout.features, layout.quarantine, lake.export_staging(layout, "r1")):
            lake.check_deletable(layout, path)  # what a run creates may be removed


def test_undoing_a_run_that_created_a_table_at_a_container_root_refuses_and_deletes_nothing(spark, tmp_path):
    """A table the run created is removed by deleting its directory: never when that is a container's root
    (here the quarantine container of a one-container-per-area lake, where it used to live)."""
    layout = lake.lake_layout(str(tmp_path / "{container}"))
    at_root = lake.DeltaTable(str(tmp_path / "quarantine"), None, ())
    (tmp_path / "quarantine").mkdir()
    (tmp_path / "quarantine" / "keep.txt").write_text("another pipeline's file")
    lake.write(spark, at_root, spark.createDataFrame([(1,)], "x int"), "x = 1", "run-at-root")
    with pytest.raises(LakeLayoutError, match="refusing to delete"):
        lake.undo_commits(spark, LocalFs(), at_root, "run-at-root", layout)
    assert (tmp_path / "quarantine" / "_delta_log").is_dir() and (tmp_path / "quarantine" / "keep.txt").exists()
    # The same run's table at the layout's own place is removed.
    rows = lake.DeltaTable(layout.quarantine, None, ())
    lake.write(spark, rows, spark.createDataFrame([(1,)], "x int"), "x = 1", "run-at-rows")
    assert lake.undo_commits(spark, LocalFs(), rows, "run-at-rows", layout) == "removed (the run had created it)"
    assert not (tmp_path / "quarantine" / "rows").exists() and (tmp_path / "quarantine" / "keep.txt").exists()


def test_a_run_refuses_a_lake_whose_quarantine_table_is_still_at_the_old_place(spark, pg, etl_url, schema, tmp_path):
    lake_root = tmp_path / "lake"
    (lake_root / "quarantine" / "_delta_log").mkdir(parents=True)  # the quarantine table before quarantine/rows
    path = write_csv(tmp_path / "landing.csv", [["1/1/2022", "RETAIL", "Goa", "1", "1"]])
    with pytest.raises(LakeLayoutError, match="quarantine Delta table is at .*quarantine .* now lives at .*quarantine/rows"):
        run_job(spark, job_config(path, lake_root, etl_url, schema, quarter="2022-Q1"))
    assert not (lake_root / "curated").exists() and not (lake_root / "quarantine" / "rows").exists()
    assert pg.execute(f'SELECT status FROM "{schema}".etl_runs').fetchall() == [("failed",)]


def test_finding_a_runs_commits_reads_the_history_without_a_query_over_it(spark, tmp_path):
    table = lake.DeltaTable(str(tmp_path / "t"), None, ())
    lake.write(spark, table, spark.range(3), "true", "run-a")
    lake.replace_where(table, spark.range(2), "true", "run-b")
    lake.replace_where(table, spark.range(1), "true", "run-a")
    context = spark.sparkContext
    context.setJobGroup("run-commits", "run_version")
    try:
        assert (lake.run_version(spark, table, "run-a"), lake.version_before(spark, table, "run-a")) == (2, -1)
        jobs = context.statusTracker().getJobIdsForGroup("run-commits")
    finally:
        context.setLocalProperty("spark.jobGroup.id", None)
    # Delta's own read of the commit files is one job per DESCRIBE HISTORY; a filter or an
    # aggregation over its rows would add two more each.
    assert len(jobs) == 2
    assert lake.version_before(spark, table, "run-c") is None
