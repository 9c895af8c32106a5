"""Load PostgreSQL: versioned migrations, COPY into staging tables, and the one transaction that
replaces a run's quarters.

Rows travel from Spark as Arrow record batches, are encoded to CSV by Arrow's C++ writer and sent
with COPY ... FROM STDIN through psycopg 3, so the server does the same work as for `psql \\copy`.
"""

from __future__ import annotations

import io
import logging
import re
from dataclasses import dataclass
from importlib import resources
from typing import Callable, Iterable

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


def _csv_chunks(batches: Iterable) -> Iterable[bytes]:
    import pyarrow.csv as pacsv

    options = pacsv.WriteOptions(include_header=False, batch_size=COPY_BATCH_ROWS)
    for batch in batches:
        if batch.num_rows == 0:
            continue
        buffer = io.BytesIO()
        pacsv.write_csv(batch, buffer, options)
        yield buffer.getvalue()


def copy_arrow(conn: psycopg.Connection, table: sql.Composable, columns: tuple[str, ...], arrow_table) -> int:
    """COPY an Arrow table into `table` (CSV: empty unquoted = NULL, "" = empty string)."""
    statement = sql.SQL("COPY {} ({}) FROM STDIN (FORMAT csv)").format(
        table, sql.SQL(", ").join(map(sql.Identifier, columns))
    )
    arrow_table = arrow_table.select(list(columns))
    with conn.cursor() as cur:
        with cur.copy(statement) as copy:
            for chunk in _csv_chunks(arrow_table.to_batches(max_chunksize=COPY_BATCH_ROWS)):
                copy.write(chunk)
        return cur.rowcount if cur.rowcount >= 0 else arrow_table.num_rows


@dataclass(frozen=True)
class LoadResult:
    transactions: int
    features: int
    quarantine: int


class PgLoader:
    """Stages a run's rows in session-local temp tables, then replaces the run's quarters (and the
    input's quarantine rows) from them inside one transaction."""

    STAGED = ("transactions", "quarterly_features", "quarantine")

    def __init__(self, conn: psycopg.Connection, schema: str):
        self.conn = conn
        self.schema = schema
        self.staged_rows: dict[str, int] = {}

    def _target(self, table: str) -> sql.Composable:
        return sql.Identifier(self.schema, table)

    @staticmethod
    def _stage(table: str) -> sql.Composable:
        return sql.Identifier(f"stage_{table}")

    def stage(self, table: str, columns: tuple[str, ...], arrow_table) -> int:
        with self.conn.transaction():
            self.conn.execute(
                sql.SQL("CREATE TEMP TABLE IF NOT EXISTS {} (LIKE {} INCLUDING DEFAULTS)").format(
                    self._stage(table), self._target(table)
                )
            )
            self.conn.execute(sql.SQL("TRUNCATE {}").format(self._stage(table)))
            rows = copy_arrow(self.conn, self._stage(table), columns, arrow_table)
        self.staged_rows[table] = rows
        return rows

    def replace(self, quarters: list[tuple[int, int]], input_sha256: str,
                before_insert: Callable[[str], None] | None = None) -> LoadResult:
        """Deletes the quarters' rows and the input's quarantine rows, then inserts the staged rows.
        Must run inside the caller's transaction. `before_insert` is a test hook."""
        missing = [t for t in self.STAGED if t not in self.staged_rows]
        if missing:
            raise RuntimeError(f"tables not staged: {', '.join(missing)}")
        in_quarters = sql.SQL("(year, quarter) IN ({})").format(
            sql.SQL(", ").join(sql.SQL("({}, {})").format(sql.Literal(y), sql.Literal(q)) for y, q in quarters)
        )
        counts = {}
        for table in self.STAGED:
            condition = in_quarters if table != "quarantine" else sql.SQL("input_sha256 = {}").format(
                sql.Literal(input_sha256)
            )
            self.conn.execute(sql.SQL("DELETE FROM {} WHERE {}").format(self._target(table), condition))
            if before_insert is not None:
                before_insert(table)
            cur = self.conn.execute(
                sql.SQL("INSERT INTO {} SELECT * FROM {}").format(self._target(table), self._stage(table))
            )
            counts[table] = cur.rowcount
        return LoadResult(counts["transactions"], counts["quarterly_features"], counts["quarantine"])
