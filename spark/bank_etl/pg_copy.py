"""COPY from the executors: each Spark task opens its own PostgreSQL session and streams its rows.

A task's COPY and its line in the run's ledger are one transaction. Spark runs a task again after a
failure (spark.task.maxFailures) and may run a slow one twice at once (speculation), and a task
commits before Spark hears of it; so each task first locks its ledger line (keyed by the target
table and the Spark partition, which are the same for every attempt), deletes the rows an earlier
attempt committed (they carry that transaction's id as xmin, which the ledger line records), then
COPYs and records its rows. A second attempt waits for the first to commit or roll back, then
replaces its rows: the staging table holds each partition's rows once, and the ledger says how many.

This module is shipped to the Python workers by value (cloudpickle), so it imports nothing from
bank_etl: only the standard library, pyarrow and psycopg, which the cluster has.
"""

from __future__ import annotations

import io
import os
import time
from typing import Callable, Iterable, Iterator

COPY_BATCH_ROWS = 131_072
COPY_APPLICATION_NAME = "bank_etl copy"
RESULT_DDL = "task int, rows long, backend_pid int, started double, finished double"
# The 32-bit transaction id that xmin holds, from the 64-bit one PostgreSQL reports.
CURRENT_XID = "(pg_current_xact_id()::text::bigint %% 4294967296)"  # %% : a query with parameters


def copy_task_rows(connect_kwargs: dict, schema: str, table: str, ledger: str, columns: list[str], run_id: str,
                   task: int, batches: Iterable) -> dict:
    """One attempt of one task: replaces whatever an earlier attempt of the same task committed in
    schema.table with `batches`, and records the rows in the ledger, in one transaction. Returns
    the task's small result row."""
    import pyarrow.csv as pacsv
    import psycopg
    from psycopg import sql

    started = time.time()
    target, line = sql.Identifier(schema, table), sql.Identifier(schema, ledger)
    statement = sql.SQL("COPY {} ({}) FROM STDIN (FORMAT csv)").format(
        target, sql.SQL(", ").join(map(sql.Identifier, columns)))
    options = pacsv.WriteOptions(include_header=False, batch_size=COPY_BATCH_ROWS)
    pause = float(os.environ.get("BANK_ETL_TEST_PAUSE_IN_COPY", "0") or 0)  # tests kill a load midway
    with psycopg.connect(**connect_kwargs, application_name=COPY_APPLICATION_NAME) as conn:
        conn.execute("SELECT set_config('bank_etl.run_id', %s, false)", (run_id,))
        pid = conn.info.backend_pid
        # The ledger line first: another attempt of this task waits here until this one ends.
        conn.execute(sql.SQL("INSERT INTO {} (target, task) VALUES (%s, %s) ON CONFLICT DO NOTHING").format(line),
                     (table, task))
        earlier = conn.execute(sql.SQL("SELECT copy_xid FROM {} WHERE target = %s AND task = %s FOR UPDATE").format(line),
                               (table, task)).fetchone()[0]
        if earlier is not None:
            conn.execute(sql.SQL("DELETE FROM {} WHERE xmin = %s::text::xid").format(target), (str(earlier),))
        with conn.cursor() as cur:
            with cur.copy(statement) as copy:
                for batch in batches:
                    if batch.num_rows:
                        buffer = io.BytesIO()
                        pacsv.write_csv(batch.select(columns), buffer, options)
                        copy.write(buffer.getvalue())
                        if pause:
                            time.sleep(pause)
            rows = cur.rowcount
        conn.execute(sql.SQL("UPDATE {} SET rows = %s, copy_xid = " + CURRENT_XID + ", attempts = attempts + 1 "
                             "WHERE target = %s AND task = %s").format(line), (rows, table, task))
        conn.commit()
    return {"task": task, "rows": rows, "backend_pid": pid, "started": started, "finished": time.time()}


def copy_partitions(connect_kwargs: dict, schema: str, table: str, ledger: str, columns: list[str],
                    run_id: str) -> Callable[[Iterator], Iterator]:
    """A mapInArrow function: each task COPYs its Arrow batches into schema.table from its own
    session (copy_task_rows) and yields one row (task, rows, backend pid, start and end time)."""

    def copy_task(batches: Iterator) -> Iterator:
        import pyarrow as pa
        from pyspark import TaskContext

        result = copy_task_rows(connect_kwargs, schema, table, ledger, columns, run_id,
                                TaskContext.get().partitionId(), batches)
        yield pa.RecordBatch.from_pylist([result], schema=pa.schema([
            ("task", pa.int32()), ("rows", pa.int64()), ("backend_pid", pa.int32()), ("started", pa.float64()),
            ("finished", pa.float64())]))

    return copy_task


def max_concurrent(intervals: list[tuple[float, float]]) -> int:
    """The most intervals open at one moment (a sweep over their start and end points)."""
    events = sorted([(start, 1) for start, _ in intervals] + [(end, -1) for _, end in intervals],
                    key=lambda e: (e[0], e[1]))
    open_now = peak = 0
    for _, change in events:
        open_now += change
        peak = max(peak, open_now)
    return peak
