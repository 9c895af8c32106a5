"""Load PostgreSQL: versioned migrations, and the one transaction that replaces a run's quarters.

Rows arrive as Arrow tables (one per quarter, fetched in a background thread while the previous
one is being sent), are encoded to CSV by Arrow's C++ writer and sent with COPY ... FROM STDIN
through psycopg 3, so the server does the same work as for `psql \\copy`.
"""

from __future__ import annotations

import io
import logging
import re
import threading
from dataclasses import dataclass
from importlib import resources
from queue import Full, Queue
from typing import Callable, Iterable, Iterator

import psycopg
from psycopg import sql

from .config import PgSettings

log = logging.getLogger(__name__)

MIGRATION_FILE = re.compile(r"^V(\d{3,})__([A-Za-z0-9_]+)\.sql$")
COPY_BATCH_ROWS = 131_072


def connect(settings: PgSettings) -> psycopg.Connection:
    """Autocommit connection; transactions are opened explicitly with conn.transaction().
    sslmode comes from the URL (require: the connection fails unless TLS is used)."""
    conn = psycopg.connect(**settings.connect_kwargs(), autocommit=True, application_name="bank_etl")
    if settings.sslmode in ("require", "verify-ca", "verify-full") and not conn.pgconn.ssl_in_use:
        conn.close()
        raise psycopg.OperationalError("sslmode requires TLS but the connection is not encrypted")
    return conn


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    text: str


def migrations() -> list[Migration]:
    """The versioned SQL files shipped inside the package (bank_etl/sql/V###__name.sql)."""
    found = []
    for entry in resources.files(__package__).joinpath("sql").iterdir():
        match = MIGRATION_FILE.match(entry.name)
        if match:
            found.append(Migration(int(match.group(1)), match.group(2), entry.read_text(encoding="utf-8")))
    return sorted(found, key=lambda m: m.version)


def migrate(conn: psycopg.Connection, schema: str) -> list[int]:
    """Creates the schema and applies every migration not yet recorded in schema_migrations.
    An advisory lock serialises concurrent runs."""
    applied_now: list[int] = []
    with conn.transaction(), conn.cursor() as cur:
        cur.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (f"bank_etl.migrate.{schema}",))
        cur.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(schema)))
        cur.execute(
            sql.SQL(
                "CREATE TABLE IF NOT EXISTS {}.schema_migrations "
                "(version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())"
            ).format(sql.Identifier(schema))
        )
        cur.execute(sql.SQL("SELECT version FROM {}.schema_migrations").format(sql.Identifier(schema)))
        done = {row[0] for row in cur.fetchall()}
        cur.execute(sql.SQL("SET LOCAL search_path TO {}").format(sql.Identifier(schema)))
        for migration in migrations():
            if migration.version in done:
                continue
            cur.execute(migration.text)
            cur.execute(
                "INSERT INTO schema_migrations (version, name) VALUES (%s, %s)", (migration.version, migration.name)
            )
            applied_now.append(migration.version)
    if applied_now:
        log.info("applied migrations %s to schema %s", applied_now, schema)
    return applied_now


RUN_COLUMNS = (
    "run_id", "scope", "started_at", "finished_at", "status", "rows_read", "rows_valid", "rows_quarantined",
    "rows_duplicate", "rows_out_of_scope", "input_uri", "input_sha256", "error",
)


def record_run(conn: psycopg.Connection, schema: str, record: dict[str, object]) -> None:
    """Inserts or updates the run's etl_runs row (in the caller's transaction, if any)."""
    columns = [c for c in RUN_COLUMNS]
    statement = sql.SQL(
        "INSERT INTO {}.etl_runs ({}) VALUES ({}) ON CONFLICT (run_id) DO UPDATE SET {}"
    ).format(
        sql.Identifier(schema),
        sql.SQL(", ").join(map(sql.Identifier, columns)),
        sql.SQL(", ").join(sql.Placeholder() * len(columns)),
        sql.SQL(", ").join(
            sql.SQL("{0} = EXCLUDED.{0}").format(sql.Identifier(c)) for c in columns if c != "run_id"
        ),
    )
    conn.execute(statement, [record.get(c) for c in columns])


def _csv_chunks(arrow_tables: Iterable, columns: tuple[str, ...]) -> Iterator[bytes]:
    """Arrow tables -> CSV bytes (Arrow's C++ writer; empty unquoted = NULL, "" = empty string)."""
    import pyarrow.csv as pacsv

    options = pacsv.WriteOptions(include_header=False, batch_size=COPY_BATCH_ROWS)
    for arrow_table in arrow_tables:
        for batch in arrow_table.select(list(columns)).to_batches(max_chunksize=COPY_BATCH_ROWS):
            if batch.num_rows:
                buffer = io.BytesIO()
                pacsv.write_csv(batch, buffer, options)
                yield buffer.getvalue()


def prefetch(items: Iterable, depth: int = 4) -> Iterator:
    """Produces `items` in a background thread, so that Spark's work for the next batch overlaps
    with PostgreSQL ingesting the current one. Errors in the producer are raised here."""
    queue: Queue = Queue(maxsize=depth)
    done = object()
    failure: list[BaseException] = []
    stop = threading.Event()

    def put(item) -> bool:
        """Waits for room in the queue; False once the consumer has stopped."""
        while not stop.is_set():
            try:
                queue.put(item, timeout=0.2)
                return True
            except Full:
                continue
        return False

    def produce() -> None:
        try:
            for item in items:
                # Stop producing (no more Spark work) as soon as the consumer has stopped.
                if not put(item) or stop.is_set():
                    return
        except BaseException as error:  # handed to the consumer
            failure.append(error)
        finally:
            put(done)

    thread = threading.Thread(target=produce, name="bank-etl-prefetch", daemon=True)
    thread.start()
    try:
        while True:
            item = queue.get()
            if item is done:
                break
            yield item
    finally:
        stop.set()
        thread.join()
    if failure:
        raise failure[0]


def copy_rows(conn: psycopg.Connection, table: sql.Composable, columns: tuple[str, ...], arrow_tables: Iterable) -> int:
    """COPY Arrow tables into `table`; returns the number of rows the server stored."""
    statement = sql.SQL("COPY {} ({}) FROM STDIN (FORMAT csv)").format(
        table, sql.SQL(", ").join(map(sql.Identifier, columns))
    )
    with conn.cursor() as cur:
        with cur.copy(statement) as copy:
            for chunk in prefetch(_csv_chunks(arrow_tables, columns)):
                copy.write(chunk)
        return cur.rowcount


@dataclass(frozen=True)
class LoadResult:
    transactions: int
    features: int
    quarantine: int


TableSource = tuple[tuple[str, ...], Iterable]  # (columns, Arrow tables produced lazily)


class PgLoader:
    """Replaces a run's quarters (and its input's quarantine rows) in the caller's transaction:
    DELETE, then COPY the new rows straight into the tables.

    Loading inside the replacing transaction is what makes the replacement atomic: readers keep
    seeing the previous rows until COMMIT (MVCC), and a failure at any point rolls back to them.
    COPY goes straight into the target tables rather than through a staging table, which would
    write every row twice (COPY to staging, then INSERT ... SELECT) for the same guarantee.
    """

    TABLES = ("transactions", "quarterly_features", "quarantine")

    def __init__(self, conn: psycopg.Connection, schema: str):
        self.conn = conn
        self.schema = schema

    def _target(self, table: str) -> sql.Composable:
        return sql.Identifier(self.schema, table)

    def replace(self, quarters: list[tuple[int, int]], input_sha256: str, sources: dict[str, TableSource],
                run_id: str, before_insert: Callable[[str], None] | None = None) -> LoadResult:
        """Must run inside the caller's transaction. Transactions rows get `run_id` from the column
        default (so their sources may leave it out). `before_insert` is a test hook."""
        if self.conn.info.transaction_status != psycopg.pq.TransactionStatus.INTRANS:
            raise RuntimeError("PgLoader.replace must run inside a transaction")
        self.conn.execute("SELECT set_config('bank_etl.run_id', %s, true)", (run_id,))
        missing = [t for t in self.TABLES if t not in sources]
        if missing:
            raise ValueError(f"no rows given for {', '.join(missing)}")
        in_quarters = sql.SQL("(year, quarter) IN ({})").format(
            sql.SQL(", ").join(sql.SQL("({}, {})").format(sql.Literal(y), sql.Literal(q)) for y, q in quarters)
        )
        counts = {}
        for table in self.TABLES:
            condition = in_quarters if table != "quarantine" else sql.SQL("input_sha256 = {}").format(
                sql.Literal(input_sha256)
            )
            self.conn.execute(sql.SQL("DELETE FROM {} WHERE {}").format(self._target(table), condition))
            if before_insert is not None:
                before_insert(table)
            columns, arrow_tables = sources[table]
            counts[table] = copy_rows(self.conn, self._target(table), columns, arrow_tables)
        return LoadResult(counts["transactions"], counts["quarterly_features"], counts["quarantine"])
