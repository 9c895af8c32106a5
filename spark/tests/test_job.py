"""Whole runs against a real PostgreSQL and a local lake: contents, scope, idempotency, atomicity."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.dataset as ds
import pytest

from bank_etl import load_pg
from bank_etl.config import parse_pg_url
from bank_etl.job import EmptyScopeError, run_job
from bank_etl.lake import HadoopFs
from devtools.datagen import generate

from conftest import job_config, write_csv

ROWS = 3650  # ten a day: the messy generator then mixes in every reason code and duplicates


@pytest.fixture(scope="module")
def messy_file(tmp_path_factory) -> tuple[Path, dict]:
    path = tmp_path_factory.mktemp("landing") / "bank-messy.csv"
    expected = generate(path, rows=ROWS, seed=7, messy=True)
    return path, expected


@pytest.fixture(scope="module")
def changed_file(tmp_path_factory) -> Path:
    """A different delivery of the same shape (another seed): every quarter's rows differ."""
    path = tmp_path_factory.mktemp("landing") / "bank-other.csv"
    generate(path, rows=ROWS, seed=8)
    return path


def table(pg, schema, name, exclude=("run_id",)) -> list[tuple]:
    columns = [c for c in table_columns(pg, schema, name) if c not in exclude]
    query = f'SELECT {", ".join(columns)} FROM "{schema}".{name} ORDER BY {", ".join(columns)}'
    return pg.execute(query).fetchall()


def table_columns(pg, schema, name) -> list[str]:
    rows = pg.execute("SELECT column_name FROM information_schema.columns WHERE table_schema = %s AND table_name = %s "
                      "ORDER BY ordinal_position", (schema, name)).fetchall()
    return [r[0] for r in rows]


def lake_table(root: Path, area: str, exclude=("run_id",)) -> pa.Table:
    data = ds.dataset(str(root / area), format="parquet", partitioning="hive").to_table()
    data = data.drop_columns([c for c in exclude if c in data.column_names])
    return data.sort_by([(c, "ascending") for c in data.column_names])


def runs(pg, schema) -> list[tuple]:
    return pg.execute(f'SELECT status, scope, error FROM "{schema}".etl_runs ORDER BY started_at').fetchall()


def run_file(lake: Path, run_id: str) -> dict:
    return json.loads((lake / "_runs" / f"{run_id}.json").read_text())


def snapshot(pg, schema, lake):
    return (
        {t: table(pg, schema, t) for t in ("transactions", "quarterly_features", "quarantine")},
        {a: lake_table(lake, a) for a in ("curated/transactions", "features/quarterly", "quarantine")},
    )


def test_loads_exactly_what_the_contract_says(spark, pg, pg_url, schema, messy_file, tmp_path):
    path, expected = messy_file
    lake = tmp_path / "lake"
    result = run_job(spark, job_config(path, lake, pg_url, schema))
    record = result.record
    for key in ("rows_read", "rows_valid", "rows_quarantined", "rows_duplicate", "quarantined_by_reason", "valid_by_quarter"):
        assert record[key] == expected[key], key
    assert record["rows_out_of_scope"] == 0
    assert all(expected["quarantined_by_reason"][r] > 0 for r in expected["quarantined_by_reason"])
    assert pg.execute(f'SELECT count(*) FROM "{schema}".transactions').fetchone()[0] == expected["rows_valid"]
    by_reason = dict(pg.execute(f'SELECT reason, count(*) FROM "{schema}".quarantine GROUP BY reason').fetchall())
    assert by_reason == expected["quarantined_by_reason"]
    status = pg.execute(f'SELECT status, rows_read, rows_valid, rows_quarantined, rows_duplicate, rows_out_of_scope, '
                        f'input_sha256 FROM "{schema}".etl_runs').fetchall()
    assert status == [("succeeded", expected["rows_read"], expected["rows_valid"], expected["rows_quarantined"],
                       expected["rows_duplicate"], 0, record["input_sha256"])]
    assert run_file(lake, record["run_id"])["status"] == "succeeded"
    features = pg.execute(f'SELECT sum(row_count), sum(total_value) FROM "{schema}".quarterly_features').fetchone()
    totals = pg.execute(f'SELECT count(*), sum(value) FROM "{schema}".transactions').fetchone()
    assert features == totals


def test_writes_plain_parquet_that_pyarrow_reads_back(spark, pg_url, schema, messy_file, tmp_path):
    path, expected = messy_file
    lake = tmp_path / "lake"
    run_job(spark, job_config(path, lake, pg_url, schema))
    curated = ds.dataset(str(lake / "curated/transactions"), format="parquet", partitioning="hive").to_table()
    assert curated.num_rows == expected["rows_valid"]
    types = {f.name: str(f.type) for f in curated.schema}
    assert types == {"txn_date": "date32[day]", "domain": "string", "location": "string", "value": "int64",
                     "transaction_count": "int64", "value_per_transaction": "double", "month": "int32",
                     "day_of_week": "int32", "run_id": "string", "year": "int32", "quarter": "int32"}
    assert sorted(p.name for p in (lake / "curated/transactions/year=2022").iterdir()) == [
        "quarter=1", "quarter=2", "quarter=3", "quarter=4"]
    features = ds.dataset(str(lake / "features/quarterly"), format="parquet", partitioning="hive").to_table()
    assert {str(f.type) for f in features.schema if f.name in ("total_value", "total_transactions", "row_count")} == {"int64"}
    quarantine = ds.dataset(str(lake / "quarantine"), format="parquet", partitioning="hive").to_table()
    assert quarantine.num_rows == expected["rows_quarantined"]
    assert not list(lake.glob("**/_staging*")) and not list(lake.glob("**/_backup*"))


def test_replaces_only_the_selected_quarter_and_counts_the_rest_out_of_scope(
        spark, pg, pg_url, schema, messy_file, changed_file, tmp_path):
    path, expected = messy_file
    lake = tmp_path / "lake"
    run_job(spark, job_config(path, lake, pg_url, schema))
    before = table(pg, schema, "transactions")
    result = run_job(spark, job_config(changed_file, lake, pg_url, schema, quarter="2022-Q2"))
    record = result.record
    assert record["rows_read"] == record["rows_valid"] + record["rows_quarantined"] + record["rows_duplicate"] + record["rows_out_of_scope"]
    assert record["rows_valid"] == sum(1 for _ in open(changed_file)) - 1 - record["rows_out_of_scope"]
    after = table(pg, schema, "transactions")
    quarter_of = lambda rows, q: [r for r in rows if r[7] == q]  # noqa: E731  (column 7 is quarter)
    for q in (1, 3, 4):
        assert quarter_of(after, q) == quarter_of(before, q)
    assert quarter_of(after, 2) != quarter_of(before, 2) and len(quarter_of(after, 2)) == record["rows_valid"]
    lake_q2 = ds.dataset(str(lake / "curated/transactions"), format="parquet", partitioning="hive").to_table(
        filter=(ds.field("quarter") == 2))
    assert lake_q2.num_rows == record["rows_valid"]


def test_running_the_same_quarter_twice_changes_nothing_but_adds_a_run(spark, pg, pg_url, schema, messy_file, tmp_path):
    path, _ = messy_file
    lake = tmp_path / "lake"
    run_job(spark, job_config(path, lake, pg_url, schema, quarter="2022-Q3"))
    first = snapshot(pg, schema, lake)
    run_job(spark, job_config(path, lake, pg_url, schema, quarter="2022-Q3"))
    assert snapshot(pg, schema, lake) == first
    assert [r[0] for r in runs(pg, schema)] == ["succeeded", "succeeded"]


def test_a_failure_inside_the_postgres_load_leaves_the_previous_quarter_intact(
        spark, pg, pg_url, schema, messy_file, changed_file, tmp_path, monkeypatch):
    path, _ = messy_file
    lake = tmp_path / "lake"
    run_job(spark, job_config(path, lake, pg_url, schema))
    before = snapshot(pg, schema, lake)
    original = load_pg.PgLoader.replace

    def fail_after_transactions(self, quarters, input_sha256, sources, run_id, before_insert=None):
        def inject(name):
            if name == "quarterly_features":  # transactions are already deleted and re-loaded
                raise RuntimeError("injected failure in the PostgreSQL load")
        return original(self, quarters, input_sha256, sources, run_id, before_insert=inject)

    monkeypatch.setattr(load_pg.PgLoader, "replace", fail_after_transactions)
    with pytest.raises(RuntimeError, match="injected failure"):
        run_job(spark, job_config(changed_file, lake, pg_url, schema), run_id="failing-pg-run")
    assert snapshot(pg, schema, lake) == before
    assert runs(pg, schema)[-1][0] == "failed" and "injected failure" in runs(pg, schema)[-1][2]
    assert run_file(lake, "failing-pg-run")["status"] == "failed"


def test_a_failure_in_the_middle_of_the_lake_swap_restores_every_partition(
        spark, pg, pg_url, schema, messy_file, changed_file, tmp_path, monkeypatch):
    path, _ = messy_file
    lake = tmp_path / "lake"
    run_job(spark, job_config(path, lake, pg_url, schema))
    before = snapshot(pg, schema, lake)
    original = HadoopFs.rename
    staged_renames = []

    def rename(self, source, target):
        if "/_staging/" in source:
            staged_renames.append(source)
            if len(staged_renames) == 3:  # two partitions are swapped, the third's old data is moved aside
                raise OSError("injected failure in the lake swap")
        return original(self, source, target)

    monkeypatch.setattr(HadoopFs, "rename", rename)
    with pytest.raises(OSError, match="injected failure"):
        run_job(spark, job_config(changed_file, lake, pg_url, schema), run_id="failing-swap-run")
    assert snapshot(pg, schema, lake) == before
    assert runs(pg, schema)[-1][0] == "failed"
    assert run_file(lake, "failing-swap-run")["error"].startswith("OSError: injected failure")
    assert not list(lake.glob("**/_backup*")) and not list(lake.glob("**/_staging*"))


def test_a_missing_required_column_fails_before_anything_is_written(spark, pg, pg_url, schema, tmp_path):
    path = write_csv(tmp_path / "bad.csv", [["1/1/2022", "RETAIL", "Goa", "1"]], header=["Date", "Domain", "Location", "Value"])
    lake = tmp_path / "lake"
    with pytest.raises(Exception, match="missing required column"):
        run_job(spark, job_config(path, lake, pg_url, schema), run_id="missing-column-run")
    assert not (lake / "curated").exists() and not (lake / "quarantine").exists()
    assert pg.execute(f'SELECT count(*) FROM "{schema}".transactions').fetchone()[0] == 0
    assert runs(pg, schema)[-1][0] == "failed"
    assert run_file(lake, "missing-column-run")["status"] == "failed"


def test_a_quarter_without_valid_rows_fails_instead_of_erasing_it(spark, pg, pg_url, schema, messy_file, tmp_path):
    path, _ = messy_file
    with pytest.raises(EmptyScopeError):
        run_job(spark, job_config(path, tmp_path / "lake", pg_url, schema, quarter="2023-Q1"))
    assert runs(pg, schema)[-1][0] == "failed"


def test_loads_an_xlsx_delivery_like_the_csv_one(spark, pg, pg_url, schema, tmp_path):
    path = tmp_path / "bank.xlsx"
    expected = generate(path, rows=730, seed=3, messy=True)
    record = run_job(spark, job_config(path, tmp_path / "lake", pg_url, schema)).record
    assert (record["rows_read"], record["rows_valid"], record["rows_quarantined"], record["rows_duplicate"]) == (
        expected["rows_read"], expected["rows_valid"], expected["rows_quarantined"], expected["rows_duplicate"])


def test_connects_with_tls_when_the_url_requires_it(pg_url):
    settings = parse_pg_url(pg_url.replace("sslmode=require", "sslmode=require"))
    with load_pg.connect(settings) as conn:
        assert conn.pgconn.ssl_in_use
    jdbc = "jdbc:" + pg_url.replace("sslmode=require", "ssl=true")
    with load_pg.connect(parse_pg_url(jdbc)) as conn:
        assert conn.pgconn.ssl_in_use
    with load_pg.connect(parse_pg_url(pg_url.replace("sslmode=require", "sslmode=disable"))) as conn:
        assert not conn.pgconn.ssl_in_use


def test_migrations_are_applied_once(pg, schema):
    assert load_pg.migrate(pg, schema) == [1]
    assert load_pg.migrate(pg, schema) == []
    assert set(table_columns(pg, schema, "etl_runs")) >= {
        "run_id", "scope", "started_at", "finished_at", "status", "rows_read", "rows_valid", "rows_quarantined",
        "rows_duplicate", "rows_out_of_scope", "input_uri", "input_sha256"}


def test_postgres_holds_the_same_rows_as_the_lake(spark, pg, pg_url, schema, messy_file, tmp_path):
    path, _ = messy_file
    lake = tmp_path / "lake"
    run_job(spark, job_config(path, lake, pg_url, schema))
    columns = ["txn_date", "domain", "location", "value", "transaction_count", "value_per_transaction", "year",
               "quarter", "month", "day_of_week", "run_id"]
    in_pg = pg.execute(f'SELECT {", ".join(columns)} FROM "{schema}".transactions ORDER BY {", ".join(columns)}').fetchall()
    in_lake = lake_table(lake, "curated/transactions", exclude=()).select(columns).sort_by([(c, "ascending") for c in columns])
    assert in_pg == [tuple(r.values()) for r in in_lake.to_pylist()]


def test_collects_a_quarter_through_spark_when_the_lake_is_not_on_local_disk(spark, tmp_path):
    from bank_etl.job import _staged_quarter
    from bank_etl.transform import curated_transactions
    from bank_etl.validate import apply_scope, classify, deduplicate
    from bank_etl.extract import RAW_SCHEMA

    rows = [(0, i, f"1/{i + 1}/2022", "RETAIL", "Goa", str(100 + i), "2", None, False) for i in range(5)]
    curated = curated_transactions(apply_scope(deduplicate(classify(spark.createDataFrame(rows, RAW_SCHEMA))), None), "r")
    staged = tmp_path / "staged"
    curated.drop("year", "quarter").write.parquet(str(staged))

    class RemoteFs:
        def local_path(self, uri):
            return None

    from_spark = _staged_quarter(RemoteFs(), curated, str(staged), 2022, 1)
    from_files = _staged_quarter(HadoopFs(spark), curated, str(staged), 2022, 1)
    assert from_spark.sort_by("txn_date").to_pylist() == from_files.sort_by("txn_date").to_pylist()
    assert from_spark.num_rows == 5 and "run_id" not in from_spark.column_names
