"""The executors' COPY (bank_etl/pg_copy.py): a task that Spark runs again after it committed (a
retry) or twice at once (speculation) replaces its rows instead of adding them, and the run's
counts come from the tasks' ledger."""

from __future__ import annotations

import threading

import psycopg
import pyarrow as pa
import pytest

from bank_etl import load_pg, pg_copy
from bank_etl.config import parse_pg_url
from bank_etl.job import copy_to_postgres
from bank_etl.transform import FEATURE_COLUMNS

RUN_ID = "20261001T000000Z-c0ffee00"


def feature_rows(domain: str, count: int) -> list[dict]:
    return [{"year": 2022, "quarter": 3, "domain": domain, "location": f"City {i}", "row_count": 1, "total_value": i,
             "total_transactions": 1, "avg_value_per_transaction": float(i), "active_days": 1,
             "domain_value_share": 0.5} for i in range(count)]


def batches(rows: list[dict]) -> list[pa.RecordBatch]:
    return [pa.RecordBatch.from_pylist(rows)]


@pytest.fixture
def staged(etl_url, schema):
    """A run's staging tables and ledger, as the driver creates them."""
    tables = load_pg.LoadTables(schema, load_pg.run_tag(RUN_ID), [(2022, 3)])
    with load_pg.connect(parse_pg_url(etl_url)) as conn:
        load_pg.create_load_tables(conn, tables)
    return tables


def staged_rows(etl_url, tables) -> list[tuple]:
    with psycopg.connect(**parse_pg_url(etl_url).connect_kwargs()) as conn:
        return conn.execute(f'SELECT domain, location FROM "{tables.schema}".{tables.features} ORDER BY 1, 2').fetchall()


def copy(etl_url, tables, task: int, rows: list[dict] | list[pa.RecordBatch]) -> dict:
    return pg_copy.copy_task_rows(parse_pg_url(etl_url).connect_kwargs(), tables.schema, tables.features, tables.ledger,
                                  list(FEATURE_COLUMNS), RUN_ID, task, rows)


def test_a_copy_task_run_again_after_it_committed_replaces_its_rows(etl_url, staged):
    copy(etl_url, staged, 0, batches(feature_rows("RETAIL", 5)))
    copy(etl_url, staged, 1, batches(feature_rows("MEDICAL", 3)))
    copy(etl_url, staged, 0, batches(feature_rows("RETAIL", 5)))  # Spark's retry of task 0
    assert staged_rows(etl_url, staged) == sorted([("MEDICAL", f"City {i}") for i in range(3)]
                                                  + [("RETAIL", f"City {i}") for i in range(5)])
    with load_pg.connect(parse_pg_url(etl_url)) as conn:
        assert load_pg.loaded_rows(conn, staged)[staged.features] == 8
        attempts = conn.execute(f'SELECT task, rows, attempts FROM "{staged.schema}".{staged.ledger} ORDER BY task').fetchall()
    assert attempts == [(0, 5, 2), (1, 3, 1)]


def test_two_attempts_of_one_task_at_once_leave_the_rows_of_one(etl_url, staged):
    """Speculation: the second attempt waits for the first's ledger line, then replaces its rows."""
    first_copying, release = threading.Event(), threading.Event()

    def slow_batches():
        first_copying.set()
        release.wait(60)
        yield from batches(feature_rows("RETAIL", 4))

    first = threading.Thread(target=copy, args=(etl_url, staged, 0, slow_batches()))
    second = threading.Thread(target=copy, args=(etl_url, staged, 0, batches(feature_rows("RETAIL", 4))))
    first.start()
    assert first_copying.wait(60)
    second.start()
    with psycopg.connect(**parse_pg_url(etl_url).connect_kwargs(), autocommit=True) as watcher:
        for _ in range(600):  # until the second attempt waits for the first one's ledger line
            if watcher.execute("SELECT count(*) FROM pg_stat_activity WHERE application_name = %s AND "
                               "wait_event_type = 'Lock'", (pg_copy.COPY_APPLICATION_NAME,)).fetchone()[0]:
                break
            threading.Event().wait(0.1)
        else:
            pytest.fail("the second attempt never waited for the first")
    release.set()
    first.join(60)
    second.join(60)
    assert staged_rows(etl_url, staged) == [("RETAIL", f"City {i}") for i in range(4)]


def test_the_spark_copy_job_run_twice_stores_each_partition_once(spark, etl_url, staged):
    frame = spark.createDataFrame(feature_rows("RETAIL", 10) + feature_rows("MEDICAL", 10)).repartition(3)
    settings = parse_pg_url(etl_url)
    for _ in range(2):  # as if every task of the job had been retried after committing
        tasks = copy_to_postgres(frame.select(*FEATURE_COLUMNS), settings, staged, staged.features,
                                 list(FEATURE_COLUMNS), RUN_ID)
    assert sorted(t["task"] for t in tasks) == [0, 1, 2] and sum(t["rows"] for t in tasks) == 20
    assert len(staged_rows(etl_url, staged)) == 20
    with load_pg.connect(settings) as conn:
        assert load_pg.loaded_rows(conn, staged) == {staged.transactions_parent: 0, staged.features: 20,
                                                     staged.quarantine: 0}


def test_the_spark_copy_job_opens_at_most_max_sessions_sessions_and_no_more_tasks_than_partitions(spark, etl_url, staged):
    settings = parse_pg_url(etl_url)
    many = copy_to_postgres(spark.createDataFrame(feature_rows("RETAIL", 12)).repartition(6).select(*FEATURE_COLUMNS), settings, staged,
                            staged.features, list(FEATURE_COLUMNS), RUN_ID, max_sessions=4)
    assert len(many) == 4 and sum(t["rows"] for t in many) == 12
    few = copy_to_postgres(spark.createDataFrame(feature_rows("MEDICAL", 12)).repartition(3).select(*FEATURE_COLUMNS), settings, staged,
                           staged.features, list(FEATURE_COLUMNS), RUN_ID, max_sessions=8)
    assert sorted(t["task"] for t in few) == [0, 1, 2] and sum(t["rows"] for t in few) == 12
