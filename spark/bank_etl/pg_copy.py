"""COPY from the executors: each Spark task opens its own PostgreSQL session and streams its rows.

This module is shipped to the Python workers by value (cloudpickle), so it imports nothing from
bank_etl: only the standard library, pyarrow and psycopg, which the cluster has.
"""

from __future__ import annotations

import io
import os
import time
from typing import Callable, Iterator

COPY_BATCH_ROWS = 131_072
COPY_APPLICATION_NAME = "bank_etl copy"
RESULT_DDL = "rows long, backend_pid int, started double, finished double"


def copy_partitions(connect_kwargs: dict, schema: str, table: str, columns: list[str],
                    run_id: str) -> Callable[[Iterator], Iterator]:
    """A mapInArrow function: COPYs a task's Arrow batches into schema.table from its own session,
    commits, and yields one row (rows stored, backend pid, start and end time) for the driver."""

    def copy_task(batches: Iterator) -> Iterator:
        import pyarrow as pa
        import pyarrow.csv as pacsv
        import psycopg
        from psycopg import sql

        started = time.time()
        statement = sql.SQL("COPY {} ({}) FROM STDIN (FORMAT csv)").format(
            sql.Identifier(schema, table), sql.SQL(", ").join(map(sql.Identifier, columns)))
        options = pacsv.WriteOptions(include_header=False, batch_size=COPY_BATCH_ROWS)
        pause = float(os.environ.get("BANK_ETL_TEST_PAUSE_IN_COPY", "0") or 0)  # tests kill a load midway
        with psycopg.connect(**connect_kwargs, application_name=COPY_APPLICATION_NAME) as conn:
            conn.execute("SELECT set_config('bank_etl.run_id', %s, false)", (run_id,))
            pid = conn.info.backend_pid
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
            conn.commit()
        yield pa.RecordBatch.from_pydict({"rows": [rows], "backend_pid": [pid], "started": [started],
                                          "finished": [time.time()]},
                                         schema=pa.schema([("rows", pa.int64()), ("backend_pid", pa.int32()),
                                                           ("started", pa.float64()), ("finished", pa.float64())]))

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
