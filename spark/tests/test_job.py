"""Whole runs against a real PostgreSQL and a local Delta lake: contents, scope, idempotency,
atomicity, roles."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from pathlib import Path

import psycopg
import pyarrow.dataset as ds
import pytest

from bank_etl import lake, load_pg
from bank_etl.config import parse_pg_url
from bank_etl.fs import LocalFs
from bank_etl.job import EmptyScopeError, new_run_id, run_job
from devtools.datagen import generate

from conftest import ETL_PASSWORD, ETL_ROLE, READER_LOGIN, READER_ROLE, job_config, write_csv

LAKE_TABLES = ("curated/transactions", "features/quarterly", "quarantine/rows")
RUN_LOCK_HELD: dict[str, bool] = {}  # filled by the `loaded` fixture's run


@pytest.fixture(scope="module")
def loaded(spark, pg_url, etl_url, messy_file, tmp_path_factory):
    """One schema and lake loaded once from the messy file (--all), shared by the tests that only
    read it or whose runs must leave it as it was."""
    import uuid

    name = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(**parse_pg_url(pg_url).connect_kwargs(), autocommit=True) as conn:
        load_pg.migrate(conn, name, load_pg.Roles(ETL_ROLE, READER_ROLE, ETL_PASSWORD))
    lake_root = tmp_path_factory.mktemp("shared") / "lake"
    run_id = new_run_id()

    def lock_held(stage, event, seconds):  # at each stage's start: does the run hold its run lock?
        if event == "start":
            with psycopg.connect(**parse_pg_url(etl_url).connect_kwargs(), autocommit=True) as other:
                RUN_LOCK_HELD[stage] = load_pg.run_alive(other, run_id)

    record = run_job(spark, job_config(messy_file[0], lake_root, etl_url, name), run_id=run_id, on_stage=lock_held).record
    yield name, lake_root, record
    with psycopg.connect(**parse_pg_url(pg_url).connect_kwargs(), autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')


def table(pg, schema, name, exclude=("run_id",)) -> list[tuple]:
    columns = [c for c in table_columns(pg, schema, name) if c not in exclude]
    query = f'SELECT {", ".join(columns)} FROM "{schema}".{name} ORDER BY {", ".join(columns)}'
    return pg.execute(query).fetchall()


def table_columns(pg, schema, name) -> list[str]:
    rows = pg.execute("SELECT column_name FROM information_schema.columns WHERE table_schema = %s AND table_name = %s "
                      "ORDER BY ordinal_position", (schema, name)).fetchall()
    return [r[0] for r in rows]


def partitions(pg, schema) -> list[tuple]:
    return pg.execute(
        "SELECT c.relname, pg_get_expr(c.relpartbound, c.oid) FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
        "JOIN pg_class p ON p.oid = i.inhparent JOIN pg_namespace n ON n.oid = p.relnamespace "
        "WHERE n.nspname = %s AND p.relname = 'transactions' ORDER BY 1", (schema,)).fetchall()


def delta_rows(spark, root: Path, area: str, exclude=("run_id",)) -> list[tuple]:
    """The Delta table's current rows (not the files of replaced versions), sorted."""
    frame = spark.read.format("delta").load(str(root / area))
    columns = sorted(c for c in frame.columns if c not in exclude)
    return sorted(tuple(r) for r in frame.select(*columns).collect())


def export_rows(root: Path) -> list[tuple]:
    data = ds.dataset(str(root / "features/export"), format="parquet", partitioning="hive").to_table()
    return sorted(tuple(r.values()) for r in data.to_pylist())


def runs(pg, schema) -> list[tuple]:
    return pg.execute(f'SELECT status, scope, error FROM "{schema}".etl_runs ORDER BY started_at').fetchall()


def run_file(lake_root: Path, run_id: str) -> dict:
    return json.loads((lake_root / "_runs" / f"{run_id}.json").read_text())


def snapshot(spark, pg, schema, lake_root):
    return (
        {t: table(pg, schema, t) for t in ("transactions", "quarterly_features", "quarantine")},
        partitions(pg, schema),
        {a: delta_rows(spark, lake_root, a) for a in LAKE_TABLES},
        export_rows(lake_root),
    )


def test_loads_exactly_what_the_contract_says(pg, loaded, messy_file):
    _, expected = messy_file
    schema, lake_root, record = loaded
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
    assert run_file(lake_root, record["run_id"])["status"] == "succeeded"
    assert record["pg_writer_sessions"]["distinct"] >= 2
    features = pg.execute(f'SELECT sum(row_count), sum(total_value) FROM "{schema}".quarterly_features').fetchone()
    totals = pg.execute(f'SELECT count(*), sum(value) FROM "{schema}".transactions').fetchone()
    assert features == totals
    assert [p[0] for p in partitions(pg, schema)] == [f"transactions_2022_q{q}" for q in (1, 2, 3, 4)]
    owners = {r[0] for r in pg.execute("SELECT tableowner FROM pg_tables WHERE schemaname = %s", (schema,)).fetchall()}
    assert owners == {ETL_ROLE}
    leftover = pg.execute("SELECT count(*) FROM pg_tables WHERE schemaname = %s AND tablename LIKE 'load\\_%%'",
                          (schema,)).fetchone()[0]
    assert leftover == 0


def test_a_run_holds_its_run_lock_only_from_its_first_staging_table_to_its_end(loaded):
    """Until the run creates its staging tables it leaves nothing to clear up, and its session is
    not kept open while it validates; from then on a later run must see it alive."""
    assert RUN_LOCK_HELD == {"connect": False, "extract": False, "validate": False, "transform": False,
                             "load postgres": False, "write lake": True, "publish": True}


def test_writes_delta_tables_partitioned_by_quarter_and_a_plain_parquet_export(spark, loaded, messy_file):
    _, expected = messy_file
    _, lake_root, _ = loaded
    for area in LAKE_TABLES:
        assert (lake_root / area / "_delta_log").is_dir(), area
    curated = spark.read.format("delta").load(str(lake_root / "curated/transactions"))
    assert curated.count() == expected["rows_valid"]
    assert dict(curated.dtypes) == {"txn_date": "date", "domain": "string", "location": "string", "value": "bigint",
                                    "transaction_count": "bigint", "value_per_transaction": "double", "year": "int",
                                    "quarter": "int", "month": "int", "day_of_week": "int", "run_id": "string"}
    detail = spark.sql(f"DESCRIBE DETAIL delta.`{lake_root / 'curated/transactions'}`").head()
    assert list(detail["partitionColumns"]) == ["year", "quarter"]
    assert sorted(p.name for p in (lake_root / "features/export/year=2022").iterdir()) == [
        "quarter=1", "quarter=2", "quarter=3", "quarter=4"]
    exported = ds.dataset(str(lake_root / "features/export"), format="parquet", partitioning="hive").to_table()
    assert exported.num_rows == spark.read.format("delta").load(str(lake_root / "features/quarterly")).count()
    assert {str(f.type) for f in exported.schema if f.name in ("total_value", "total_transactions", "row_count")} == {"int64"}
    quarantine = spark.read.format("delta").load(str(lake_root / "quarantine/rows"))
    assert quarantine.count() == expected["rows_quarantined"]
    assert not list(lake_root.glob("**/_staging*")) and not list(lake_root.glob("**/_backup*"))


def test_replaces_only_the_selected_quarter_and_counts_the_rest_out_of_scope(
        spark, pg, etl_url, schema, messy_file, changed_file, tmp_path):
    path, expected = messy_file
    lake_root = tmp_path / "lake"
    run_job(spark, job_config(path, lake_root, etl_url, schema))
    before = table(pg, schema, "transactions")
    result = run_job(spark, job_config(changed_file, lake_root, etl_url, schema, quarter="2022-Q2"))
    record = result.record
    assert record["rows_read"] == record["rows_valid"] + record["rows_quarantined"] + record["rows_duplicate"] + record["rows_out_of_scope"]
    assert record["rows_valid"] == sum(1 for _ in open(changed_file)) - 1 - record["rows_out_of_scope"]
    after = table(pg, schema, "transactions")
    quarter_of = lambda rows, q: [r for r in rows if r[7] == q]  # noqa: E731  (column 7 is quarter)
    for q in (1, 3, 4):
        assert quarter_of(after, q) == quarter_of(before, q)
    assert quarter_of(after, 2) != quarter_of(before, 2) and len(quarter_of(after, 2)) == record["rows_valid"]
    lake_q2 = spark.read.format("delta").load(str(lake_root / "curated/transactions")).where("quarter = 2")
    assert lake_q2.count() == record["rows_valid"]


def test_running_the_same_quarter_twice_changes_no_table_row_or_partition(spark, pg, etl_url, loaded, messy_file):
    path, _ = messy_file
    schema, lake_root, _ = loaded
    first = snapshot(spark, pg, schema, lake_root)
    runs_before = len(runs(pg, schema))
    run_job(spark, job_config(path, lake_root, etl_url, schema, quarter="2022-Q3"))
    assert snapshot(spark, pg, schema, lake_root) == first
    assert len(runs(pg, schema)) == runs_before + 1 and runs(pg, schema)[-1][0] == "succeeded"


def test_a_failure_inside_the_swap_transaction_leaves_the_previous_quarter_everywhere(
        spark, pg, etl_url, loaded, changed_file, monkeypatch):
    schema, lake_root, _ = loaded
    before = snapshot(spark, pg, schema, lake_root)
    versions = {a: lake.current_version(spark, lake.DeltaTable(str(lake_root / a), None, ())) for a in LAKE_TABLES}
    original = load_pg.swap_in

    def fail_after_swapping(conn, *args, **kwargs):
        original(conn, *args, **kwargs)  # partitions detached and attached, features and quarantine replaced
        raise RuntimeError("injected failure in the swap transaction")

    monkeypatch.setattr(load_pg, "swap_in", fail_after_swapping)
    with pytest.raises(RuntimeError, match="injected failure"):
        run_job(spark, job_config(changed_file, lake_root, etl_url, schema), run_id="failing-pg-run")
    assert snapshot(spark, pg, schema, lake_root) == before
    for area in LAKE_TABLES[:2]:  # the new commit and the RESTORE: history keeps both
        assert lake.current_version(spark, lake.DeltaTable(str(lake_root / area), None, ())) == versions[area] + 2
    assert runs(pg, schema)[-1][0] == "failed" and "injected failure" in runs(pg, schema)[-1][2]
    assert run_file(lake_root, "failing-pg-run")["status"] == "failed"
    leftover = pg.execute("SELECT count(*) FROM pg_tables WHERE schemaname = %s AND tablename LIKE 'load\\_%%'",
                          (schema,)).fetchone()[0]
    assert leftover == 0


def test_a_first_run_that_fails_leaves_no_delta_table_behind(spark, pg, etl_url, schema, messy_file, tmp_path,
                                                             monkeypatch):
    def fail(*args, **kwargs):
        raise RuntimeError("injected failure before the swap")

    monkeypatch.setattr(load_pg, "swap_in", fail)
    lake_root = tmp_path / "lake"
    with pytest.raises(RuntimeError, match="injected failure"):
        run_job(spark, job_config(messy_file[0], lake_root, etl_url, schema), run_id="failing-first-run")
    assert [a for a in LAKE_TABLES if (lake_root / a).exists()] == []  # the run had created them: removed
    assert partitions(pg, schema) == [] and runs(pg, schema)[-1][0] == "failed"


def test_a_failure_in_the_middle_of_the_export_swap_restores_every_partition(
        spark, pg, etl_url, loaded, changed_file, monkeypatch):
    schema, lake_root, _ = loaded
    before = snapshot(spark, pg, schema, lake_root)
    original = LocalFs.move
    staged_moves = []

    def move(self, source, target):
        if "/_staging/" in source:
            staged_moves.append(source)
            if len(staged_moves) == 3:  # two partitions are swapped, the third's old data is moved aside
                raise OSError("injected failure in the lake swap")
        return original(self, source, target)

    monkeypatch.setattr(LocalFs, "move", move)
    with pytest.raises(OSError, match="injected failure"):
        run_job(spark, job_config(changed_file, lake_root, etl_url, schema), run_id="failing-swap-run")
    assert snapshot(spark, pg, schema, lake_root) == before
    assert runs(pg, schema)[-1][0] == "failed"
    assert run_file(lake_root, "failing-swap-run")["error"].startswith("OSError: injected failure")
    assert not list(lake_root.glob("**/_backup*")) and not list(lake_root.glob("**/_staging*"))


def test_a_missing_required_column_fails_before_anything_is_written(spark, pg, etl_url, schema, tmp_path):
    path = write_csv(tmp_path / "bad.csv", [["1/1/2022", "RETAIL", "Goa", "1"]], header=["Date", "Domain", "Location", "Value"])
    lake_root = tmp_path / "lake"
    with pytest.raises(Exception, match="missing required column"):
        run_job(spark, job_config(path, lake_root, etl_url, schema), run_id="missing-column-run")
    assert not (lake_root / "curated").exists() and not (lake_root / "quarantine").exists()
    assert pg.execute(f'SELECT count(*) FROM "{schema}".transactions').fetchone()[0] == 0
    assert runs(pg, schema)[-1][0] == "failed"
    assert run_file(lake_root, "missing-column-run")["status"] == "failed"


def test_a_quarter_without_valid_rows_fails_instead_of_erasing_it(spark, pg, etl_url, schema, messy_file, tmp_path):
    path, _ = messy_file
    with pytest.raises(EmptyScopeError):
        run_job(spark, job_config(path, tmp_path / "lake", etl_url, schema, quarter="2023-Q1"))
    assert runs(pg, schema)[-1][0] == "failed"


def test_the_load_refuses_a_schema_the_migrate_task_has_not_prepared(spark, etl_url, pg_url, fresh_schema, messy_file,
                                                                       tmp_path):
    from bank_etl.errors import SchemaNotReadyError

    path, _ = messy_file
    with pytest.raises(SchemaNotReadyError, match="migrate"):
        run_job(spark, job_config(path, tmp_path / "lake", pg_url, fresh_schema))


def test_loads_an_xlsx_delivery_like_the_csv_one(spark, etl_url, schema, tmp_path):
    path = tmp_path / "bank.xlsx"
    expected = generate(path, rows=730, seed=3, messy=True)
    record = run_job(spark, job_config(path, tmp_path / "lake", etl_url, schema)).record
    assert (record["rows_read"], record["rows_valid"], record["rows_quarantined"], record["rows_duplicate"]) == (
        expected["rows_read"], expected["rows_valid"], expected["rows_quarantined"], expected["rows_duplicate"])


def test_connects_with_tls_when_the_url_requires_it(pg_url):
    with load_pg.connect(parse_pg_url(pg_url)) as conn:
        assert conn.pgconn.ssl_in_use
    jdbc = "jdbc:" + pg_url.replace("sslmode=require", "ssl=true")
    with load_pg.connect(parse_pg_url(jdbc)) as conn:
        assert conn.pgconn.ssl_in_use
    with load_pg.connect(parse_pg_url(pg_url.replace("sslmode=require", "sslmode=disable"))) as conn:
        assert not conn.pgconn.ssl_in_use


def test_verify_full_rejects_a_certificate_signed_by_no_trusted_authority(pg_url, tmp_path):
    # The throwaway server's certificate is self-signed: a CA bundle without it must refuse it.
    bundle = tmp_path / "ca.crt"
    bundle.write_text(Path("/etc/ssl/certs/ca-certificates.crt").read_text() if Path(
        "/etc/ssl/certs/ca-certificates.crt").exists() else "")
    url = pg_url.replace("sslmode=require", f"sslmode=verify-full&sslrootcert={bundle}")
    with pytest.raises(psycopg.OperationalError, match="certificate"):
        load_pg.connect(parse_pg_url(url))


def test_migrations_are_applied_once(pg, fresh_schema):
    assert load_pg.migrate(pg, fresh_schema) == [1, 2, 3, 4, 5]
    assert load_pg.migrate(pg, fresh_schema) == []
    assert set(table_columns(pg, fresh_schema, "etl_runs")) >= {
        "run_id", "scope", "started_at", "finished_at", "status", "rows_read", "rows_valid", "rows_quarantined",
        "rows_duplicate", "rows_out_of_scope", "input_uri", "input_sha256", "record", "lake_published_at",
        "completes_run"}
    kind = pg.execute("SELECT c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                      "WHERE n.nspname = %s AND c.relname = 'transactions'", (fresh_schema,)).fetchone()[0]
    assert kind == "p"  # partitioned


def test_the_reader_login_can_only_read_and_bank_etl_cannot_create_roles(pg, etl_url, reader_url, schema):
    columns = "rolname, rolsuper, rolcreaterole, rolcreatedb, rolreplication, rolbypassrls, rolcanlogin"
    flags = pg.execute(f"SELECT {columns} FROM pg_roles WHERE rolname IN (%s, %s, %s) ORDER BY 1",
                       (READER_LOGIN, ETL_ROLE, READER_ROLE)).fetchall()
    assert flags == [(READER_LOGIN, False, False, False, False, False, True),
                     (ETL_ROLE, False, False, False, False, False, True),
                     (READER_ROLE, False, False, False, False, False, False)]
    memberships = pg.execute("SELECT m.rolname, r.rolname FROM pg_auth_members a JOIN pg_roles m ON m.oid = a.member "
                             "JOIN pg_roles r ON r.oid = a.roleid WHERE m.rolname IN (%s, %s, %s)",
                             (READER_LOGIN, ETL_ROLE, READER_ROLE)).fetchall()
    assert memberships == [(READER_LOGIN, READER_ROLE)]  # the login reads through bank_reader, nothing else
    with psycopg.connect(**parse_pg_url(reader_url).connect_kwargs(), autocommit=True) as reader:
        assert reader.execute("SELECT current_user").fetchone()[0] == READER_LOGIN
        for name in ("transactions", "quarterly_features", "quarantine", "etl_runs", "quarter_ready", "schema_migrations"):
            reader.execute(f'SELECT count(*) FROM "{schema}".{name}').fetchone()
        reader.execute("LISTEN quarter_ready")
        for statement in (f'INSERT INTO "{schema}".etl_runs (run_id, scope, started_at, status, input_uri) '
                          "VALUES ('x', 'all', now(), 'running', 'x')",
                          f'UPDATE "{schema}".etl_runs SET status = \'failed\'',
                          f'DELETE FROM "{schema}".quarantine', f'TRUNCATE "{schema}".quarterly_features',
                          f'CREATE TABLE "{schema}".mine (x int)', "CREATE TABLE public.mine (x int)",
                          f'ALTER TABLE "{schema}".transactions ADD COLUMN x int', "CREATE ROLE intruder"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                reader.execute(statement)
    with psycopg.connect(**parse_pg_url(etl_url).connect_kwargs(), autocommit=True) as etl:
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            etl.execute("CREATE ROLE intruder")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            etl.execute("CREATE DATABASE intruder")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            etl.execute("CREATE TABLE public.mine (x int)")  # PostgreSQL 15: no CREATE on public for PUBLIC
        assert etl.execute(f'SELECT count(*) FROM "{schema}".etl_runs').fetchone()[0] == 0


def test_postgres_holds_the_same_rows_as_the_lake(spark, pg, loaded):
    schema, lake_root, _ = loaded
    columns = ["txn_date", "domain", "location", "value", "transaction_count", "value_per_transaction", "year",
               "quarter", "month", "day_of_week", "run_id"]
    in_pg = pg.execute(f'SELECT {", ".join(columns)} FROM "{schema}".transactions ORDER BY {", ".join(columns)}').fetchall()
    in_lake = spark.read.format("delta").load(str(lake_root / "curated/transactions")).select(*columns).collect()
    assert in_pg == sorted(tuple(r) for r in in_lake)


def test_delta_replace_is_idempotent_and_atomic(spark, tmp_path):
    table = lake.DeltaTable(str(tmp_path / "t"), None, ("year", "quarter"))
    rows = spark.createDataFrame([(2022, q, f"r{q}-{i}") for q in (1, 2) for i in range(3)], "year int, quarter int, v string")
    lake.write(spark, table, rows, lake.quarters_predicate([(2022, 1), (2022, 2)]), "first-run")
    lake.write(spark, table, rows, lake.quarters_predicate([(2022, 1), (2022, 2)]), "second-run")
    current = lambda: sorted(tuple(r) for r in spark.read.format("delta").load(table.path).collect())  # noqa: E731
    first = current()
    q1 = rows.where("quarter = 1")
    lake.replace_where(table, q1, lake.quarters_predicate([(2022, 1)]))
    assert current() == first  # the same rows again: nothing changes
    version = lake.current_version(spark, table)
    # A write that fails midway (here: a row outside the quarter it replaces) commits nothing.
    bad = spark.createDataFrame([(2022, 1, "new"), (2022, 2, "stray")], "year int, quarter int, v string")
    with pytest.raises(Exception):
        lake.replace_where(table, bad, lake.quarters_predicate([(2022, 1)]))
    assert current() == first and lake.current_version(spark, table) == version
    lake.replace_where(table, bad.where("quarter = 1"), lake.quarters_predicate([(2022, 1)]))
    assert lake.current_version(spark, table) == version + 1  # one commit per replaced quarter
    assert [r for r in current() if r[1] == 1] == [(2022, 1, "new")]
    assert [r for r in current() if r[1] == 2] == [r for r in first if r[1] == 2]


DEAD_RUN = "20261001T000000Z-deadbeef"


def _leave_a_dead_run(spark, etl_url, schema, lake_root):
    """What a driver killed between the lake's commits and the swap leaves: an etl_runs row still
    running (and no session holding its lock), its staging tables, a tagged Delta commit that
    emptied 2022-Q3 but for one row, and an export swap that moved 2022-Q3 aside."""
    with psycopg.connect(**parse_pg_url(etl_url).connect_kwargs(), autocommit=True) as conn:
        load_pg.record_run(conn, schema, {"run_id": DEAD_RUN, "scope": "2022-Q3", "status": "running",
                                          "started_at": dt.datetime.now(dt.timezone.utc), "input_uri": "dead.csv"})
        load_pg.create_load_tables(conn, load_pg.LoadTables(schema, load_pg.run_tag(DEAD_RUN), [(2022, 3)]))
    curated = lake.DeltaTable(str(lake_root / "curated/transactions"), None, ("year", "quarter"))
    one_row = spark.read.format("delta").load(curated.path).where("year = 2022 AND quarter = 3").limit(1)
    lake.replace_where(curated, one_row.localCheckpoint(), "year = 2022 AND quarter = 3", DEAD_RUN)
    layout = lake.lake_layout(str(lake_root))
    lake.PartitionSwap(LocalFs(), DEAD_RUN).replace(layout.export, str(lake_root / "nothing-staged"),
                                                      {"year": 2022, "quarter": 3})


def _staging_tables(pg, schema) -> int:
    return pg.execute("SELECT count(*) FROM pg_tables WHERE schemaname = %s AND tablename LIKE 'load\\_%%'",
                      (schema,)).fetchone()[0]


def test_a_run_that_died_before_publishing_is_undone_in_the_lake_and_recorded_as_failed(
        spark, pg, pg_url, etl_url, messy_file, tmp_path):
    schema = f"t_{uuid.uuid4().hex[:12]}"
    load_pg.migrate(pg, schema, load_pg.Roles(ETL_ROLE, READER_ROLE, ETL_PASSWORD))
    try:
        lake_root = tmp_path / "lake"
        run_job(spark, job_config(messy_file[0], lake_root, etl_url, schema))
        before = snapshot(spark, pg, schema, lake_root)
        _leave_a_dead_run(spark, etl_url, schema, lake_root)
        assert snapshot(spark, pg, schema, lake_root) != before and _staging_tables(pg, schema) > 0

        with psycopg.connect(**parse_pg_url(etl_url).connect_kwargs(), autocommit=True) as conn:
            assert load_pg.recover_abandoned_runs(conn, schema, "the-next-run") == [DEAD_RUN]
        layout = lake.lake_layout(str(lake_root))
        lake.undo_run(spark, LocalFs(), lake.lake_tables(layout, None), layout, DEAD_RUN)

        assert snapshot(spark, pg, schema, lake_root) == before
        assert _staging_tables(pg, schema) == 0
        status, _, error = pg.execute(f'SELECT status, scope, error FROM "{schema}".etl_runs WHERE run_id = %s',
                                      (DEAD_RUN,)).fetchone()
        assert status == "failed" and error.startswith("abandoned")
    finally:
        pg.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def test_a_run_whose_session_is_alive_is_not_taken_for_abandoned(pg, etl_url, schema):
    with psycopg.connect(**parse_pg_url(etl_url).connect_kwargs(), autocommit=True) as alive:
        load_pg.hold_run_lock(alive, DEAD_RUN)
        load_pg.record_run(alive, schema, {"run_id": DEAD_RUN, "scope": "all", "status": "running",
                                           "started_at": dt.datetime.now(dt.timezone.utc), "input_uri": "x.csv"})
        with psycopg.connect(**parse_pg_url(etl_url).connect_kwargs(), autocommit=True) as other:
            assert load_pg.recover_abandoned_runs(other, schema, "another-run") == []
    assert runs(pg, schema)[-1][0] == "running"


def test_the_next_run_records_an_abandoned_run_as_failed_and_drops_its_staging_tables(
        spark, pg, etl_url, schema, messy_file, tmp_path):
    with psycopg.connect(**parse_pg_url(etl_url).connect_kwargs(), autocommit=True) as conn:
        load_pg.record_run(conn, schema, {"run_id": DEAD_RUN, "scope": "all", "status": "running",
                                          "started_at": dt.datetime.now(dt.timezone.utc), "input_uri": "x.csv"})
        load_pg.create_load_tables(conn, load_pg.LoadTables(schema, load_pg.run_tag(DEAD_RUN), [(2022, 1), (2022, 2)]))
    run_job(spark, job_config(messy_file[0], tmp_path / "lake", etl_url, schema, quarter="2022-Q2"))
    statuses = dict(pg.execute(f'SELECT run_id, status FROM "{schema}".etl_runs').fetchall())
    assert statuses.pop(DEAD_RUN) == "failed" and list(statuses.values()) == ["succeeded"]
    assert _staging_tables(pg, schema) == 0


def test_steps_run_at_once_and_the_first_failure_is_raised_after_all_have_ended():
    import threading

    from bank_etl.job import run_concurrently

    both_started = threading.Barrier(2, timeout=10)  # each step waits for the other: they overlap
    ended = []

    def fails():
        both_started.wait()
        raise ValueError("first step failed")

    def finishes():
        both_started.wait()
        ended.append("second")
        return 2

    with pytest.raises(ValueError, match="first step failed"):
        run_concurrently(fails, finishes)
    assert ended == ["second"]
    assert run_concurrently(lambda: 1, lambda: 2) == [1, 2]


def _children(pg, schema, parent) -> list[tuple]:
    return pg.execute(
        "SELECT c.relname, c.oid::int, pg_get_expr(c.relpartbound, c.oid) FROM pg_inherits i "
        "JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent "
        "JOIN pg_namespace n ON n.oid = p.relnamespace WHERE n.nspname = %s AND p.relname = %s ORDER BY 1",
        (schema, parent)).fetchall()


def test_a_rerun_swaps_in_the_tables_it_loaded_for_the_features_and_the_quarantine_too(
        spark, pg, etl_url, schema, messy_file, tmp_path):
    """Readers of transactions wait for the swap transaction: it moves no rows, it replaces each
    partition (the quarter's features, the input's quarantined rows) by the table the executors loaded."""
    path, expected = messy_file
    lake_root = tmp_path / "lake"
    first = run_job(spark, job_config(path, lake_root, etl_url, schema)).record
    quarantine = _children(pg, schema, "quarantine")
    assert [(name, bound) for name, _, bound in quarantine] == [
        (f"quarantine_{first['input_sha256'][:16]}", f"FOR VALUES IN ('{first['input_sha256']}')")]
    assert [name for name, _, _ in _children(pg, schema, "quarterly_features")] == [
        f"quarterly_features_2022_q{q}" for q in (1, 2, 3, 4)]
    before = {t: table(pg, schema, t) for t in ("quarterly_features", "quarantine")}
    oids = {name: oid for parent in ("quarterly_features", "quarantine") for name, oid, _ in _children(pg, schema, parent)}

    second = run_job(spark, job_config(path, lake_root, etl_url, schema, quarter="2022-Q3")).record
    after = {name: oid for parent in ("quarterly_features", "quarantine") for name, oid, _ in _children(pg, schema, parent)}
    swapped = sorted(name for name in after if after[name] != oids.get(name))
    assert swapped == [f"quarantine_{first['input_sha256'][:16]}", "quarterly_features_2022_q3"]
    assert {t: table(pg, schema, t) for t in ("quarterly_features", "quarantine")} == before
    assert second["swap"]["attempts"] == 1 and _staging_tables(pg, schema) == 0


def test_a_swap_that_waits_for_a_reader_gives_up_within_its_lock_timeout_and_tries_again(
        spark, pg, etl_url, reader_url, schema, messy_file, tmp_path, monkeypatch):
    """While the swap waits for its lock on transactions, new readers queue behind it: it waits at
    most SWAP_LOCK_TIMEOUT, lets them through, and tries again."""
    import threading

    path, _ = messy_file
    lake_root = tmp_path / "lake"
    run_job(spark, job_config(path, lake_root, etl_url, schema, quarter="2022-Q1"))
    monkeypatch.setattr(load_pg, "SWAP_RETRY_PAUSE_SECONDS", 0.2)
    attempts = []
    original = load_pg.swap_in

    def counted(conn, *args, **kwargs):
        attempts.append(1)
        return original(conn, *args, **kwargs)

    monkeypatch.setattr(load_pg, "swap_in", counted)
    reader = psycopg.connect(**parse_pg_url(reader_url).connect_kwargs())  # a long report, in one transaction
    reader.execute(f'SELECT count(*) FROM "{schema}".transactions').fetchone()
    outcome = {}
    rerun = threading.Thread(target=lambda: outcome.update(record=run_job(
        spark, job_config(path, lake_root, etl_url, schema, quarter="2022-Q1")).record))
    rerun.start()
    try:
        for _ in range(1200):  # until the swap has given up once
            if len(attempts) >= 2:
                break
            threading.Event().wait(0.1)
        else:
            pytest.fail("the swap never tried again")
    finally:
        reader.close()
        rerun.join(300)
    assert outcome["record"]["status"] == "succeeded" and outcome["record"]["swap"]["attempts"] >= 2
    assert runs(pg, schema)[-1][0] == "succeeded"


def test_with_aggregates_only_postgres_gets_the_features_and_the_lake_keeps_every_row(
        spark, pg, etl_url, schema, messy_file, tmp_path):
    from dataclasses import replace

    path, expected = messy_file
    lake_root = tmp_path / "lake"
    run_job(spark, job_config(path, lake_root, etl_url, schema))  # every row, as by default
    features = table(pg, schema, "quarterly_features")
    record = run_job(spark, replace(job_config(path, lake_root, etl_url, schema), pg_detail="aggregates")).record
    assert record["rows_valid"] == expected["rows_valid"] and record["rows_loaded"] == {"quarterly_features": len(features)}
    # The detail that PostgreSQL held for these quarters and this input is gone: it would disagree with nothing
    # today, but no longer follows the features.
    assert partitions(pg, schema) == [] and _children(pg, schema, "quarantine") == []
    assert table(pg, schema, "quarterly_features") == features
    assert spark.read.format("delta").load(str(lake_root / "curated/transactions")).count() == expected["rows_valid"]
    assert spark.read.format("delta").load(str(lake_root / "quarantine/rows")).count() == expected["rows_quarantined"]
    ready = dict(pg.execute(f'SELECT quarter, manifest FROM "{schema}".quarter_ready').fetchall())
    assert ready["2022-Q3"]["postgres"] == {f"{schema}.quarterly_features": f"{schema}.quarterly_features_2022_q3"}
    back = run_job(spark, job_config(path, lake_root, etl_url, schema)).record  # and back to every row
    assert back["rows_loaded"]["transactions"] == expected["rows_valid"]
    assert pg.execute(f'SELECT count(*) FROM "{schema}".quarantine').fetchone()[0] == expected["rows_quarantined"]


def test_migration_v005_moves_the_features_and_quarantined_rows_into_partitions(pg, fresh_schema):
    migrations = [m for m in load_pg.migrations() if m.version <= 4]
    with pg.transaction():
        pg.execute(f'CREATE SCHEMA "{fresh_schema}"')
        pg.execute(f'SET LOCAL search_path TO "{fresh_schema}"')
        for migration in migrations:
            pg.execute(migration.text)
        pg.execute("INSERT INTO quarterly_features VALUES (2022, 3, 'RETAIL', 'Goa', 2, 10, 3, 3.3, 2, 1.0), "
                   "(2022, 4, 'RETAIL', 'Goa', 1, 5, 1, 5.0, 1, 1.0)")
        pg.execute("INSERT INTO quarantine VALUES ('r', %s, 7, 'x', NULL, NULL, NULL, NULL, NULL, 'bad_date'), "
                   "('r', %s, 9, 'y', NULL, NULL, NULL, NULL, NULL, 'bad_date')", ("a" * 64, "b" * 64))
        pg.execute('CREATE TABLE schema_migrations (version integer PRIMARY KEY, name text NOT NULL, '
                   'applied_at timestamptz NOT NULL DEFAULT now())')
        pg.execute("INSERT INTO schema_migrations (version, name) SELECT v, 'm' FROM generate_series(1, 4) v")
    assert load_pg.migrate(pg, fresh_schema) == [5]
    assert [name for name, _, _ in _children(pg, fresh_schema, "quarterly_features")] == [
        "quarterly_features_2022_q3", "quarterly_features_2022_q4"]
    assert [name for name, _, _ in _children(pg, fresh_schema, "quarantine")] == ["quarantine_" + "a" * 16,
                                                                                  "quarantine_" + "b" * 16]
    assert pg.execute(f'SELECT count(*) FROM "{fresh_schema}".quarantine').fetchone()[0] == 2
    assert pg.execute(f'SELECT sum(total_value) FROM "{fresh_schema}".quarterly_features').fetchone()[0] == 15


def test_maintenance_compacts_each_table_and_a_run_that_fails_after_it_is_still_undone(
        spark, pg, etl_url, schema, messy_file, changed_file, tmp_path, monkeypatch):
    from bank_etl.maintain import maintain

    path, _ = messy_file
    lake_root = tmp_path / "lake"
    run_job(spark, job_config(path, lake_root, etl_url, schema))
    run_job(spark, job_config(path, lake_root, etl_url, schema, quarter="2022-Q3"))  # Q3's files replaced
    tables = lake.lake_tables(lake.lake_layout(str(lake_root)), None)

    def files(name: str) -> int:
        return spark.sql(f"DESCRIBE DETAIL {tables[name].reference}").select("numFiles").head()[0]

    assert files("curated") > 4  # a file per task and quarter
    before = snapshot(spark, pg, schema, lake_root)
    done = maintain(spark, tables)
    assert files("curated") == 4 and files("quarantine") == 1  # one per partition
    assert done["curated"]["files_removed"] > done["curated"]["files_added"] == 4
    assert snapshot(spark, pg, schema, lake_root) == before

    def fail(*args, **kwargs):
        raise RuntimeError("injected failure after maintenance")

    monkeypatch.setattr(load_pg, "swap_in", fail)
    with pytest.raises(RuntimeError, match="injected failure"):
        run_job(spark, job_config(changed_file, lake_root, etl_url, schema))
    assert snapshot(spark, pg, schema, lake_root) == before


def test_an_input_without_rejected_rows_reads_nothing_for_its_quarantine_and_still_commits_to_it(
        spark, pg, etl_url, schema, tmp_path):
    path = tmp_path / "clean.csv"
    expected = generate(path, rows=400, seed=11)
    lake_root = tmp_path / "lake"
    record = run_job(spark, job_config(path, lake_root, etl_url, schema)).record
    assert (record["rows_quarantined"], record["rows_valid"]) == (0, expected["rows_valid"])
    copies = {name.split("_", 2)[2]: tasks for name, tasks in record["pg_copy_tasks"].items()}  # load_<tag>_<table>
    assert copies["quarantine"] == {"tasks": 0, "rows": 0, "session_seconds": 0}
    assert copies["transactions"]["rows"] == expected["rows_valid"]
    # The run's own commit to the quarantine table, which the manifest names and a failure undoes.
    quarantine = lake.DeltaTable(str(lake_root / "quarantine/rows"), None, ())
    assert lake.run_commits(spark, quarantine, record["run_id"]) == [record["delta_versions"]["ops.quarantine"]]
    assert delta_rows(spark, lake_root, "quarantine/rows") == []
