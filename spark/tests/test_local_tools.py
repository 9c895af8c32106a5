"""The developer commands: etl-local end to end, the throwaway PostgreSQL, the data generator."""

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import psycopg

from bank_etl import load_pg
from bank_etl.config import parse_pg_url
from bank_etl.job import run_job
from devtools import pgserver
from devtools.datagen import generate

from conftest import ETL_PASSWORD, ETL_ROLE, ROLES, job_config

SPARK_DIR = Path(__file__).resolve().parent.parent


def quarter_fingerprint(pg_url, schema, quarter):
    with psycopg.connect(**parse_pg_url(pg_url).connect_kwargs()) as conn:
        return conn.execute(
            f'SELECT count(*), sum(value), sum(hashtext(txn_date::text || domain || location || value::text)) '
            f'FROM "{schema}".transactions WHERE year = 2022 AND quarter = %s', (quarter,)).fetchone()


def test_etl_local_runs_100k_rows_under_a_1m_driver_result_cap_and_a_killed_load_leaves_the_quarter(
        pg_url, fresh_schema, tmp_path):
    """etl-local with the administrator's URL migrates as the administrator and loads as bank_etl.
    With spark.driver.maxResultSize=1m, any collect of the data would fail the run (100k rows are
    several MB). Then a second load is killed while its executors are COPYing: the quarter the
    first run loaded is still there, whole."""
    schema = fresh_schema
    path = tmp_path / "landing.csv"
    expected = generate(path, rows=100_000, seed=11, messy=True)
    env = {**os.environ, "INIT_CWD": str(tmp_path),
           "PYSPARK_SUBMIT_ARGS": "--conf spark.driver.maxResultSize=1m pyspark-shell"}
    command = [str(SPARK_DIR / "bin/etl-local"), "--input", str(path), "--lake", str(tmp_path / "lake"),
               "--pg-url", pg_url, "--schema", schema, "--no-progress"]
    completed = subprocess.run(command + ["--all"], capture_output=True, text=True, timeout=600, env=env)
    assert completed.returncode == 0, completed.stderr[-3000:]
    assert f"{expected['rows_valid']:,}" in completed.stdout
    assert "bad_transaction_count" in completed.stdout and "time per stage" in completed.stdout
    with psycopg.connect(**parse_pg_url(pg_url).connect_kwargs()) as conn:
        assert conn.execute(f'SELECT count(*) FROM "{schema}".transactions').fetchone()[0] == expected["rows_valid"]
        owner = conn.execute("SELECT tableowner FROM pg_tables WHERE schemaname = %s AND tablename = 'etl_runs'",
                             (schema,)).fetchone()[0]
    assert owner == "bank_etl"
    assert (tmp_path / "lake/features/export/year=2022/quarter=4").is_dir()
    before = quarter_fingerprint(pg_url, schema, 3)

    changed = tmp_path / "changed.csv"
    generate(changed, rows=3650, seed=12)  # a year's delivery of another shape: only its COPY is needed
    killed = subprocess.Popen([*command[:2], str(changed), *command[3:], "--quarter", "2022-Q3"],
                              env={**env, "BANK_ETL_TEST_PAUSE_IN_COPY": "60"}, start_new_session=True,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 300
        with psycopg.connect(**parse_pg_url(pg_url).connect_kwargs(), autocommit=True) as conn:
            while time.monotonic() < deadline and killed.poll() is None:
                copying = conn.execute("SELECT count(*) FROM pg_stat_activity WHERE application_name = 'bank_etl copy' "
                                       "AND query LIKE 'COPY%%'").fetchone()[0]
                if copying:
                    break
                time.sleep(0.5)
            assert copying, "the second load never started COPYing"
    finally:
        os.killpg(killed.pid, signal.SIGKILL)
        killed.wait(timeout=60)
    assert quarter_fingerprint(pg_url, schema, 3) == before
    assert quarter_fingerprint(pg_url, schema, 3)[0] == expected["valid_by_quarter"]["2022-Q3"]
    # The kill ended the run's session, so the next run sees it as abandoned and clears it up.
    with psycopg.connect(**parse_pg_url(pg_url).connect_kwargs(), autocommit=True) as conn:
        assert len(load_pg.recover_abandoned_runs(conn, schema, "the-next-run")) == 1
        assert conn.execute("SELECT count(*) FROM pg_tables WHERE schemaname = %s AND tablename LIKE 'load\\_%%'",
                            (schema,)).fetchone()[0] == 0
        assert conn.execute(f'SELECT count(*) FROM "{schema}".etl_runs WHERE status = %s', ("running",)).fetchone()[0] == 0


def etl_local(input_path, lake, pg_url, schema, *scope) -> list[str]:
    return [str(SPARK_DIR / "bin/etl-local"), "--input", str(input_path), "--lake", str(lake), "--pg-url", pg_url,
            "--schema", schema, "--no-progress", *(scope or ("--all",))]


def wait_for(pg_url, query: str, params=(), timeout: float = 300, alive=None) -> None:
    """Polls PostgreSQL until `query` returns a true value (or the process `alive` has ended)."""
    deadline = time.monotonic() + timeout
    with psycopg.connect(**parse_pg_url(pg_url).connect_kwargs(), autocommit=True) as conn:
        while time.monotonic() < deadline and (alive is None or alive.poll() is None):
            if conn.execute(query, params).fetchone()[0]:
                return
            time.sleep(0.5)
    raise AssertionError(f"never true: {query}")


def test_a_load_killed_after_its_commit_is_finished_by_the_next_run_without_loading_again(
        spark, pg, pg_url, etl_url, fresh_schema, tmp_path):
    """etl-local's whole process group is killed right after the swap committed, before any
    manifest is in the lake. The next run of the same input writes the committed run's manifests
    and stops there."""
    schema, lake = fresh_schema, tmp_path / "lake"
    path = tmp_path / "landing.csv"
    generate(path, rows=730, seed=13)
    killed = subprocess.Popen(etl_local(path, lake, pg_url, schema),
                              env={**os.environ, "INIT_CWD": str(tmp_path), "BANK_ETL_TEST_PAUSE_AFTER_COMMIT": "300"},
                              start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for(pg_url, "SELECT to_regclass(%s) IS NOT NULL", (f'"{schema}".etl_runs',), alive=killed)
        wait_for(pg_url, f'SELECT count(*) FROM "{schema}".etl_runs WHERE status = %s', ("succeeded",), alive=killed)
    finally:
        os.killpg(killed.pid, signal.SIGKILL)
        killed.wait(timeout=60)
    manifests = lake / "features/export/_manifests"
    assert not manifests.exists() or not list(manifests.glob("*.json"))
    load_pg.migrate(pg, schema, ROLES)  # etl-local gave bank_etl a password of its own
    retry = run_job(spark, job_config(path, lake, etl_url, schema)).record
    [(first, published, _), (second, _, completes)] = pg.execute(
        f'SELECT run_id, lake_published_at IS NOT NULL, completes_run FROM "{schema}".etl_runs '
        'ORDER BY started_at').fetchall()
    ready = dict(pg.execute(f'SELECT quarter, manifest FROM "{schema}".quarter_ready').fetchall())
    assert published and completes == first and second == retry["run_id"] != first
    assert sorted(ready) == ["2022-Q1", "2022-Q2", "2022-Q3", "2022-Q4"]
    for quarter, manifest in ready.items():
        assert json.loads((manifests / f"{quarter.replace('-', '')}.json").read_text()) == manifest
        assert manifest["run_id"] == first
    assert (lake / "_runs" / f"{first}.json").is_file()


def test_postgresql_crashing_mid_load_leaves_the_previous_quarter_and_the_next_run_clears_up(spark, tmp_path,
                                                                                              monkeypatch):
    """PostgreSQL stops at once (every session cut, as in a crash) while etl-local's executors COPY;
    once it is back, the quarter is as the previous run left it and the next run clears the dead
    one up. A server of its own: this one crashes."""
    server = pgserver.start()
    try:
        pg_url, schema = server.env()["BANK_PG_URL"], "bank"
        monkeypatch.setenv("PGPASSFILE", server.env()["PGPASSFILE"])  # this server's administrator
        with load_pg.connect(parse_pg_url(pg_url)) as admin:
            load_pg.migrate(admin, schema, ROLES)
        first, changed = tmp_path / "first.csv", tmp_path / "changed.csv"
        generate(first, rows=3650, seed=21)
        generate(changed, rows=3650, seed=22)
        etl_url = parse_pg_url(pg_url).with_credentials(ETL_ROLE, ETL_PASSWORD).to_url()
        run_job(spark, job_config(first, tmp_path / "lake", etl_url, schema))
        before = quarter_fingerprint(pg_url, schema, 3)
        loading = subprocess.Popen(etl_local(changed, tmp_path / "lake", pg_url, schema, "--quarter", "2022-Q3"),
                                   env={**os.environ, "INIT_CWD": str(tmp_path), "BANK_ETL_TEST_PAUSE_IN_COPY": "5"},
                                   start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            wait_for(pg_url, "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'bank_etl copy' "
                     "AND query LIKE 'COPY%%'", alive=loading)
            pgserver.crash(server)
            assert loading.wait(timeout=300) != 0
        finally:
            if loading.poll() is None:
                os.killpg(loading.pid, signal.SIGKILL)
        pgserver.run_server(server)
        assert quarter_fingerprint(pg_url, schema, 3) == before
        with psycopg.connect(**parse_pg_url(pg_url).connect_kwargs(), autocommit=True) as conn:
            assert conn.execute("SELECT count(*) FROM pg_tables WHERE schemaname = %s AND tablename LIKE 'load\\_%%'",
                                (schema,)).fetchone()[0] > 0
            assert len(load_pg.recover_abandoned_runs(conn, schema, "the-next-run")) == 1
            assert conn.execute("SELECT count(*) FROM pg_tables WHERE schemaname = %s AND tablename LIKE 'load\\_%%'",
                                (schema,)).fetchone()[0] == 0
    finally:
        pgserver.stop(server.directory)


def test_etl_local_exits_non_zero_on_a_bad_argument(tmp_path):
    completed = subprocess.run([str(SPARK_DIR / "bin/etl-local"), "--input", "x.csv", "--lake", str(tmp_path),
                                "--pg-url", "postgresql://127.0.0.1:1/none", "--quarter", "2022-Q9"],
                               capture_output=True, text=True, timeout=120)
    assert completed.returncode == 2
    assert "--quarter must look like 2022-Q3" in completed.stderr


def test_throwaway_postgres_listens_on_loopback_with_tls_and_keeps_its_password_out_of_the_output():
    output = subprocess.run([str(SPARK_DIR / "bin/pg"), "start"], capture_output=True, text=True, check=True).stdout
    env = dict(line.removeprefix("export ").split("=", 1) for line in output.splitlines())
    try:
        password = Path(env["PGPASSFILE"]).read_text().strip().rsplit(":", 1)[1]
        assert password and password not in output
        assert oct(Path(env["PGPASSFILE"]).stat().st_mode & 0o777) == "0o600"
        with psycopg.connect(host="127.0.0.1", port=int(env["PGPORT"]), user=env["PGUSER"], dbname="bank",
                             passfile=env["PGPASSFILE"], sslmode="require") as conn:
            assert conn.pgconn.ssl_in_use
            assert conn.execute("SHOW listen_addresses").fetchone()[0] == "127.0.0.1"
    finally:
        pgserver.stop(env["BANK_PG_DIR"])
    assert not Path(env["BANK_PG_DIR"]).exists()


def test_generator_is_deterministic_and_shaped_like_the_published_file(tmp_path):
    first, second = tmp_path / "a.csv", tmp_path / "b.csv"
    summary = generate(first, rows=3650, seed=5)
    generate(second, rows=3650, seed=5)
    assert first.read_bytes() == second.read_bytes()
    lines = first.read_text().splitlines()
    assert lines[0] == "Date,Domain,Location,Value,Transaction_count"
    rows = [line.split(",") for line in lines[1:]]
    assert len(rows) == summary["rows_read"] == 3650
    assert len({r[1] for r in rows}) == 7 and "RESTRAUNT" in {r[1] for r in rows}
    assert len({r[2] for r in rows}) == 46
    assert len({r[0] for r in rows}) == 365
    mean_value = sum(int(r[3]) for r in rows) / len(rows)
    mean_count = sum(int(r[4]) for r in rows) / len(rows)
    assert 730_000 < mean_value < 770_000 and 1_440 < mean_count < 1_510


def test_a_local_session_has_one_shuffle_partition_per_core_of_its_master():
    from bank_etl.session import local_cores

    assert [local_cores(m) for m in ("local", "local[3]", "local[4,2]")] == [1, 3, 4]
    assert local_cores("local[*]") == (os.cpu_count() or 1)


def test_the_jvm_uses_the_class_data_archive_only_when_setup_has_made_it(tmp_path, monkeypatch):
    from bank_etl import session

    monkeypatch.setenv("BANK_ETL_IVY_DIR", str(tmp_path / "ivy"))
    monkeypatch.delenv("BANK_ETL_CLASS_DATA", raising=False)
    assert session._class_data_options() == ""
    archive = session.class_data_archive()
    assert archive.parent == tmp_path / "jvm"
    archive.parent.mkdir()
    archive.write_bytes(b"made by setup")
    assert f"-XX:SharedArchiveFile={archive}" in session._class_data_options()
    monkeypatch.setenv("BANK_ETL_CLASS_DATA", "0")
    assert session._class_data_options() == ""
