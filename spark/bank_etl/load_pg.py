"""PostgreSQL: migrations and roles (as the administrator), and the parallel load and swap (as the
ETL role).

A run COPYs its quarters into new tables of the partition's shape from the executors, several
sessions at once (pg_copy): one COPY job into a staging partitioned table, which routes each row
to its quarter's table. The features and quarantine rows go into staging tables the same way.
Then one short transaction on the driver swaps every loaded quarter in (DETACH the old partition,
ATTACH the new table), replaces the quarter's features and the input's quarantine rows from their
staging tables, and records the run. Until that COMMIT readers see the previous data, and a
failure at any point before it leaves that data as it was.
"""

from __future__ import annotations

import logging
import re
import time
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import resources
from typing import Iterator

import psycopg
from psycopg import sql
from psycopg.types.json import Jsonb

import quarterly_roles
from quarterly_roles import Roles  # the job's roles: load_pg.Roles, as migrate takes them

from . import manifest as quarter_manifest
from .config import PgSettings
from .errors import SchemaNotReadyError

log = logging.getLogger(__name__)

MIGRATION_FILE = re.compile(r"^V(\d{3,})__([A-Za-z0-9_]+)\.sql$")


def connect(settings: PgSettings, application_name: str = "bank_etl") -> psycopg.Connection:
    """Autocommit connection; transactions are opened explicitly with conn.transaction().
    With sslmode=verify-full libpq checks the server's certificate and host name against
    sslrootcert; with require it only insists on TLS (checked here too)."""
    conn = psycopg.connect(**settings.connect_kwargs(), autocommit=True, application_name=application_name)
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


LATEST_VERSION = max(m.version for m in migrations())


def migrate(conn: psycopg.Connection, schema: str, roles: Roles | None = None) -> list[int]:
    """As the server administrator: creates the schema and roles, applies every migration not yet
    recorded in schema_migrations, and hands the tables to the ETL role (`roles.loader`). An advisory
    lock serialises concurrent runs. Without `roles` only the migrations are applied.

    The administrator need not be a superuser: on Azure it is a CREATEROLE, CREATEDB login in
    azure_pg_admin. The roles' rules are quarterly_roles', which every pipeline's database follows."""
    applied_now: list[int] = []
    ident = sql.Identifier(schema)
    with conn.transaction(), conn.cursor() as cur:
        cur.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (f"bank_etl.migrate.{schema}",))
        if roles is not None:
            quarterly_roles.ensure_roles(cur, roles)
        quarterly_roles.create_schema(cur, schema)
        cur.execute(sql.SQL(
            "CREATE TABLE IF NOT EXISTS {}.schema_migrations "
            "(version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())"
        ).format(ident))
        cur.execute(sql.SQL("SELECT version FROM {}.schema_migrations").format(ident))
        done = {row[0] for row in cur.fetchall()}
        cur.execute(sql.SQL("SET LOCAL search_path TO {}").format(ident))
        for migration in migrations():
            if migration.version in done:
                continue
            cur.execute(migration.text)
            cur.execute("INSERT INTO schema_migrations (version, name) VALUES (%s, %s)",
                        (migration.version, migration.name))
            applied_now.append(migration.version)
        cur.execute("RESET search_path")
        if roles is not None:
            quarterly_roles.grant_schema(cur, schema, roles)
    if applied_now:
        log.info("applied migrations %s to schema %s", applied_now, schema)
    return applied_now


def check_schema_ready(conn: psycopg.Connection, schema: str) -> None:
    """The load needs the migrate task to have run; without it, fail (a retry would not help)."""
    row = conn.execute("SELECT to_regclass(%s)", (f'"{schema}".schema_migrations',)).fetchone()
    version = None
    if row[0] is not None:
        version = conn.execute(sql.SQL("SELECT max(version) FROM {}.schema_migrations").format(
            sql.Identifier(schema))).fetchone()[0]
    if version is None or version < LATEST_VERSION:
        raise SchemaNotReadyError(f"schema {schema} is at migration {version}, this job needs {LATEST_VERSION}: "
                                  "run the migrate task (run_migrate.py) first")


RUN_COLUMNS = (
    "run_id", "scope", "started_at", "finished_at", "status", "rows_read", "rows_valid", "rows_quarantined",
    "rows_duplicate", "rows_out_of_scope", "input_uri", "input_sha256", "error", "completes_run",
)


def record_run(conn: psycopg.Connection, schema: str, record: dict[str, object], stored: str | None = None) -> None:
    """Inserts or updates the run's etl_runs row (in the caller's transaction, if any). `stored`:
    the run record as JSON text, kept in the row (once the run commits), so that a later run can
    finish its publication."""
    statement = sql.SQL("INSERT INTO {}.etl_runs ({}, record) VALUES ({}, %s::jsonb) ON CONFLICT (run_id) DO UPDATE "
                        "SET {}, record = coalesce(EXCLUDED.record, {}.etl_runs.record)").format(
        sql.Identifier(schema),
        sql.SQL(", ").join(map(sql.Identifier, RUN_COLUMNS)),
        sql.SQL(", ").join(sql.Placeholder() * len(RUN_COLUMNS)),
        sql.SQL(", ").join(sql.SQL("{0} = EXCLUDED.{0}").format(sql.Identifier(c)) for c in RUN_COLUMNS if c != "run_id"),
        sql.Identifier(schema),
    )
    conn.execute(statement, [record.get(c) for c in RUN_COLUMNS] + [stored])


def unpublished_runs(conn: psycopg.Connection, schema: str) -> list[dict]:
    """Runs that committed (succeeded) but whose manifests are not all in the lake, and whose driver
    is gone (its run lock is free), oldest first: their run record, as stored at the commit."""
    rows = conn.execute(sql.SQL("SELECT run_id, record FROM {}.etl_runs WHERE status = 'succeeded' AND "
                                "lake_published_at IS NULL AND record IS NOT NULL ORDER BY finished_at").format(
        sql.Identifier(schema))).fetchall()
    return [record for run_id, record in rows if not run_alive(conn, run_id)]


def mark_published(conn: psycopg.Connection, schema: str, run_id: str) -> None:
    """The run's manifests are in the lake."""
    conn.execute(sql.SQL("UPDATE {}.etl_runs SET lake_published_at = now() WHERE run_id = %s").format(
        sql.Identifier(schema)), (run_id,))


PUBLISH_LOCK = "bank_etl.publish"


@contextmanager
def quarter_publication(conn: psycopg.Connection, schema: str, quarter: str) -> Iterator[dict | None]:
    """While the lake's manifest of `quarter` is written: holds the quarter's publication lock (so
    that two runs never write it at once, in the wrong order) and yields quarter_ready's current
    manifest, the one the lake must show (a later run's, if one has superseded the caller's)."""
    key = (PUBLISH_LOCK, f"{schema}.{quarter}")
    conn.execute("SELECT pg_advisory_lock(hashtext(%s), hashtext(%s))", key)
    try:
        row = conn.execute(sql.SQL("SELECT manifest FROM {}.quarter_ready WHERE quarter = %s").format(
            sql.Identifier(schema)), (quarter,)).fetchone()
        yield row[0] if row else None
    finally:
        conn.execute("SELECT pg_advisory_unlock(hashtext(%s), hashtext(%s))", key)


RUN_LOCK = "bank_etl.run"


def hold_run_lock(conn: psycopg.Connection, run_id: str) -> None:
    """A session-level advisory lock, from when the run starts to leave something to clear up (its
    staging tables, then its lake commits) until it ends. The server releases it when the session
    ends, also when the driver is killed: that is how a later run tells a dead run from a live one."""
    conn.execute("SELECT pg_advisory_lock(hashtext(%s), hashtext(%s))", (RUN_LOCK, run_id))


def run_alive(conn: psycopg.Connection, run_id: str) -> bool:
    """Whether the run's driver still holds its run lock."""
    if conn.execute("SELECT pg_try_advisory_lock(hashtext(%s), hashtext(%s))", (RUN_LOCK, run_id)).fetchone()[0]:
        conn.execute("SELECT pg_advisory_unlock(hashtext(%s), hashtext(%s))", (RUN_LOCK, run_id))
        return False
    return True


def run_tag(run_id: str) -> str:
    """The short, per-run part of the staging tables' names."""
    return run_id.rsplit("-", 1)[-1][:8]


RECOVERY_LOCK_TIMEOUT = "5s"  # clearing up an abandoned run waits no longer for a lock; the next run tries again


def recover_abandoned_runs(conn: psycopg.Connection, schema: str, current_run_id: str) -> list[str]:
    """Runs recorded as running whose session is gone (a killed driver, a lost cluster): drops
    their staging tables and records them as failed. Returns their ids, oldest first. A run whose
    tables another session has locked is left for a later run (after RECOVERY_LOCK_TIMEOUT)."""
    s = sql.Identifier(schema)
    running = conn.execute(sql.SQL("SELECT run_id FROM {}.etl_runs WHERE status = 'running' AND run_id <> %s "
                                   "ORDER BY started_at").format(s), (current_run_id,)).fetchall()
    abandoned = []
    for (run_id,) in running:
        if not conn.execute("SELECT pg_try_advisory_lock(hashtext(%s), hashtext(%s))", (RUN_LOCK, run_id)).fetchone()[0]:
            continue  # its driver still holds the lock: alive
        try:
            staged = conn.execute(
                "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE n.nspname = %s AND c.relkind IN ('r', 'p') AND c.relname LIKE %s ORDER BY c.relkind",
                (schema, "load\\_" + run_tag(run_id).replace("_", "\\_") + "\\_%")).fetchall()
            with conn.transaction():
                conn.execute(sql.SQL("SET LOCAL lock_timeout = {}").format(sql.Literal(RECOVERY_LOCK_TIMEOUT)))
                for (table,) in staged:  # partitioned parents first: they take their partitions along
                    conn.execute(sql.SQL("DROP TABLE IF EXISTS {}.{}").format(s, sql.Identifier(table)))
                conn.execute(sql.SQL("UPDATE {}.etl_runs SET status = 'failed', finished_at = now(), error = %s "
                                     "WHERE run_id = %s AND status = 'running'").format(s),
                             (f"abandoned: its session ended without an outcome; recovered by run {current_run_id}",
                              run_id))
        except psycopg.errors.LockNotAvailable:
            log.warning("run %s was abandoned, but another session holds a lock on its staging tables; "
                        "left for a later run", run_id)
            continue
        finally:
            conn.execute("SELECT pg_advisory_unlock(hashtext(%s), hashtext(%s))", (RUN_LOCK, run_id))
        log.warning("run %s was abandoned (its session ended while it was running): dropped its %d staging "
                    "table(s) and recorded it as failed", run_id, len(staged))
        abandoned.append(run_id)
    return abandoned


def partition_name(year: int, quarter: int, table: str = "transactions") -> str:
    """The partition of a table partitioned by quarter that holds one quarter."""
    return f"{table}_{year}_q{quarter}"


def quarantine_partition_name(input_sha256: str) -> str:
    """The quarantine's partition that holds one input file's rows (V005)."""
    return f"quarantine_{input_sha256[:16]}"


@dataclass
class LoadTables:
    """The staging tables of one run: for each table partitioned by quarter (transactions,
    quarterly_features), a partitioned table whose partitions are the quarters' new tables (one
    COPY into it routes every row to its quarter), and one table for the input's quarantine rows.
    Without `detail` (--pg-detail aggregates) only the features are loaded."""

    schema: str
    run_tag: str  # short and unique per run: staging tables of concurrent runs never collide
    quarters: list[tuple[int, int]]
    input_sha256: str = ""  # the input whose quarantine rows are loaded (its partition's bound)
    detail: bool = True

    @property
    def quarter_tables(self) -> tuple[str, ...]:
        """The tables partitioned by quarter that the run loads, transactions last (swap_in)."""
        return ("quarterly_features", "transactions") if self.detail else ("quarterly_features",)

    def parent(self, table: str) -> str:
        return f"load_{self.run_tag}_{table}"

    def staged(self, table: str, year: int, quarter: int) -> str:
        return f"load_{self.run_tag}_{table}_{year}_q{quarter}"

    @property
    def transactions_parent(self) -> str:
        return self.parent("transactions")

    def transactions(self, year: int, quarter: int) -> str:
        return self.staged("transactions", year, quarter)

    @property
    def features(self) -> str:
        return self.parent("quarterly_features")

    @property
    def quarantine(self) -> str:
        return f"load_{self.run_tag}_quarantine"

    @property
    def ledger(self) -> str:
        """One line per COPY task: the rows it stored and its transaction (pg_copy)."""
        return f"load_{self.run_tag}_ledger"

    def holding_rows(self) -> list[str]:
        """The tables the COPY sessions fill: each quarter's and the quarantine's."""
        return [self.staged(t, y, q) for t in self.quarter_tables for y, q in self.quarters] + (
            [self.quarantine] if self.detail else [])

    def all(self) -> list[str]:
        return self.holding_rows() + [self.parent(t) for t in self.quarter_tables] + [self.ledger]


def create_load_tables(conn: psycopg.Connection, tables: LoadTables) -> None:
    """Empty tables of the targets' shape, with their indexes (built as the rows arrive, by the
    COPY sessions, so that ATTACH PARTITION has nothing to build). Each quarter's table carries the
    partition's bound as a CHECK constraint, and the quarantine's its input, so that ATTACH needs
    no scan to prove the bound inside the swap transaction. Autovacuum is off on them until the
    swap (_replace_partition turns it back on): it starts on a table that has just taken millions
    of rows, and a lock request it blocks is granted only when the deadlock check cancels it, after
    deadlock_timeout (1 s; PostgreSQL's proc.c, ProcSleep). At 100 M rows that cost the swap 1 s
    per quarter."""
    s = sql.Identifier(tables.schema)
    with conn.transaction():
        for table in tables.quarter_tables:
            parent = sql.Identifier(tables.parent(table))
            conn.execute(sql.SQL("CREATE TABLE {}.{} (LIKE {}.{} INCLUDING DEFAULTS INCLUDING CONSTRAINTS "
                                 "INCLUDING INDEXES) PARTITION BY RANGE (year, quarter)").format(
                s, parent, s, sql.Identifier(table)))
            for year, quarter in tables.quarters:
                conn.execute(sql.SQL("CREATE TABLE {}.{} PARTITION OF {}.{} (CONSTRAINT {} CHECK (year = {} AND quarter = {})) "
                                     "FOR VALUES FROM ({}, {}) TO ({}, {})").format(
                    s, sql.Identifier(tables.staged(table, year, quarter)), s, parent,
                    sql.Identifier(f"{partition_name(year, quarter, table)}_bound"), sql.Literal(year), sql.Literal(quarter),
                    sql.Literal(year), sql.Literal(quarter), sql.Literal(year), sql.Literal(quarter + 1)))
        if tables.detail:
            input_bound = sql.SQL(", CONSTRAINT {} CHECK (input_sha256 = {})").format(
                sql.Identifier(f"{quarantine_partition_name(tables.input_sha256)}_input"),
                sql.Literal(tables.input_sha256)) if tables.input_sha256 else sql.SQL("")
            conn.execute(sql.SQL("CREATE TABLE {}.{} (LIKE {}.quarantine INCLUDING DEFAULTS INCLUDING CONSTRAINTS "
                                 "INCLUDING INDEXES{})").format(s, sql.Identifier(tables.quarantine), s, input_bound))
        for name in tables.holding_rows():
            conn.execute(sql.SQL("ALTER TABLE {}.{} SET (autovacuum_enabled = false)").format(s, sql.Identifier(name)))
        conn.execute(sql.SQL("CREATE TABLE {}.{} (target text NOT NULL, task integer NOT NULL, "
                             "rows bigint NOT NULL DEFAULT 0, copy_xid bigint, attempts integer NOT NULL DEFAULT 0, "
                             "PRIMARY KEY (target, task))").format(s, sql.Identifier(tables.ledger)))


def drop_load_tables(conn: psycopg.Connection, tables: LoadTables) -> None:
    for name in tables.all():
        conn.execute(sql.SQL("DROP TABLE IF EXISTS {}.{}").format(sql.Identifier(tables.schema), sql.Identifier(name)))


def loaded_rows(conn: psycopg.Connection, tables: LoadTables) -> dict[str, int]:
    """The rows each staging table holds, by the COPY tasks' ledger (no scan of the tables)."""
    rows = dict(conn.execute(sql.SQL("SELECT target, sum(rows)::bigint FROM {}.{} GROUP BY target").format(
        sql.Identifier(tables.schema), sql.Identifier(tables.ledger))).fetchall())
    targets = [tables.parent(t) for t in tables.quarter_tables] + ([tables.quarantine] if tables.detail else [])
    return {table: rows.get(table, 0) for table in targets}


def check_loaded(rows: dict[str, int], expected: dict[str, int]) -> None:
    for table, want in expected.items():
        if rows.get(table) != want:
            raise RuntimeError(f"{table}: loaded {rows.get(table)} rows but the run counted {want}")


# The swap waits at most this long for a lock (readers of the table it replaces finishing), then
# gives up and tries again: while it waits for its ACCESS EXCLUSIVE lock, new readers queue behind
# it, so this bounds how long a reader can be held up by a swap that has to wait.
SWAP_LOCK_TIMEOUT = "2s"
SWAP_ATTEMPTS = 30
SWAP_RETRY_PAUSE_SECONDS = 10.0


def with_lock_retries(action, attempts: int | None = None, pause: float | None = None):
    """Runs `action` (a whole transaction) again while it fails for a lock it did not get within
    SWAP_LOCK_TIMEOUT, up to SWAP_ATTEMPTS times; returns (its result, the attempts it took)."""
    attempts = SWAP_ATTEMPTS if attempts is None else attempts
    pause = SWAP_RETRY_PAUSE_SECONDS if pause is None else pause
    for attempt in range(1, attempts + 1):
        try:
            return action(), attempt
        except psycopg.errors.LockNotAvailable:
            if attempt == attempts:
                raise
            log.warning("the swap did not get its locks within %s (attempt %d of %d); trying again in %.0f s",
                        SWAP_LOCK_TIMEOUT, attempt, attempts, pause)
            time.sleep(pause)
    raise AssertionError("unreachable")


def _children(conn: psycopg.Connection, schema: str, parent: str) -> set[str]:
    return {row[0] for row in conn.execute(
        "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
        "JOIN pg_class p ON p.oid = i.inhparent JOIN pg_namespace n ON n.oid = p.relnamespace "
        "WHERE n.nspname = %s AND p.relname = %s", (schema, parent)).fetchall()}


def _replace_partition(conn: psycopg.Connection, schema: str, table: str, partition: str, staged: str | None,
                       bound: sql.Composable, existing: set[str]) -> None:
    """The old partition (if any) out and dropped, the staged table (if any) in under its name: no
    row is copied, and the CHECK constraint of the staged table proves its bound without a scan."""
    s = sql.Identifier(schema)
    if partition in existing:
        conn.execute(sql.SQL("ALTER TABLE {}.{} DETACH PARTITION {}.{}").format(
            s, sql.Identifier(table), s, sql.Identifier(partition)))
        conn.execute(sql.SQL("DROP TABLE {}.{}").format(s, sql.Identifier(partition)))
    if staged is not None:
        conn.execute(sql.SQL("ALTER TABLE {}.{} RENAME TO {}").format(s, sql.Identifier(staged), sql.Identifier(partition)))
        conn.execute(sql.SQL("ALTER TABLE {}.{} ATTACH PARTITION {}.{} {}").format(
            s, sql.Identifier(table), s, sql.Identifier(partition), bound))
        # Off while it was loaded (create_load_tables); a partition is vacuumed and analysed as any table.
        conn.execute(sql.SQL("ALTER TABLE {}.{} RESET (autovacuum_enabled)").format(s, sql.Identifier(partition)))


def swap_in(conn: psycopg.Connection, tables: LoadTables, expected_rows: dict[str, int]) -> float:
    """Inside the caller's transaction: checks the ledger against `expected_rows` (staging table ->
    rows) with every COPY task shut out, then replaces each loaded quarter's partitions and the
    input's quarantine partition by the staged tables. transactions comes last, so that its readers
    wait only for its own few statements and the commit. Without detail, the quarters' transactions
    and the input's quarantine rows are taken out of PostgreSQL (the lake serves them). Returns the
    moment (time.perf_counter) it began to change transactions."""
    if conn.info.transaction_status != psycopg.pq.TransactionStatus.INTRANS:
        raise RuntimeError("swap_in must run inside a transaction")
    s = sql.Identifier(tables.schema)
    conn.execute(sql.SQL("SET LOCAL lock_timeout = {}").format(sql.Literal(SWAP_LOCK_TIMEOUT)))
    # A task attempt still running (a speculative one Spark has not stopped yet) can no longer
    # commit: it would wait for its ledger line until the swap has dropped the staging tables.
    conn.execute(sql.SQL("LOCK TABLE {}.{} IN EXCLUSIVE MODE").format(s, sql.Identifier(tables.ledger)))
    check_loaded(loaded_rows(conn, tables), expected_rows)

    def quarters(table: str, staged: bool) -> None:
        existing = _children(conn, tables.schema, table)
        for year, quarter in tables.quarters:
            name = tables.staged(table, year, quarter) if staged else None
            if name is not None:
                conn.execute(sql.SQL("ALTER TABLE {}.{} DETACH PARTITION {}.{}").format(
                    s, sql.Identifier(tables.parent(table)), s, sql.Identifier(name)))
            _replace_partition(conn, tables.schema, table, partition_name(year, quarter, table), name,
                               sql.SQL("FOR VALUES FROM ({}, {}) TO ({}, {})").format(
                                   sql.Literal(year), sql.Literal(quarter), sql.Literal(year), sql.Literal(quarter + 1)),
                               existing)

    quarters("quarterly_features", staged=True)
    if tables.input_sha256:
        _replace_partition(conn, tables.schema, "quarantine", quarantine_partition_name(tables.input_sha256),
                           tables.quarantine if tables.detail and expected_rows.get(tables.quarantine) else None,
                           sql.SQL("FOR VALUES IN ({})").format(sql.Literal(tables.input_sha256)),
                           _children(conn, tables.schema, "quarantine"))
    locked_at = time.perf_counter()
    quarters("transactions", staged=tables.detail)
    for name in tables.all():
        conn.execute(sql.SQL("DROP TABLE IF EXISTS {}.{}").format(s, sql.Identifier(name)))
    return locked_at


def publish_manifests(conn: psycopg.Connection, schema: str, manifests: list[dict],
                      published_at) -> list[tuple[dict, bool]]:
    """Inside the caller's transaction (the swap's): upserts each quarter's quarter_ready row and,
    when its content changed (quarter_manifest.changed), NOTIFYs quarter_ready with the quarter;
    the notification is delivered when the transaction commits, and never if it rolls back. The
    quarter's row is locked first, so two runs of one quarter publish one after the other.
    Returns each manifest as published (quarter_manifest.carry_over) and whether it notified."""
    if conn.info.transaction_status != psycopg.pq.TransactionStatus.INTRANS:
        raise RuntimeError("publish_manifests must run inside a transaction")
    s = sql.Identifier(schema)
    published = []
    for manifest in manifests:
        quarter = manifest["quarter"]
        row = conn.execute(sql.SQL("SELECT manifest FROM {}.quarter_ready WHERE quarter = %s FOR UPDATE").format(s),
                           (quarter,)).fetchone()
        previous = row[0] if row else None
        manifest = quarter_manifest.carry_over(previous, manifest)
        notify = quarter_manifest.changed(previous, manifest)
        conn.execute(sql.SQL(
            "INSERT INTO {}.quarter_ready (quarter, run_id, published_at, manifest) VALUES (%s, %s, %s, %s) "
            "ON CONFLICT (quarter) DO UPDATE SET run_id = EXCLUDED.run_id, published_at = EXCLUDED.published_at, "
            "manifest = EXCLUDED.manifest").format(s), (quarter, manifest["run_id"], published_at, Jsonb(manifest)))
        if notify:
            conn.execute("SELECT pg_notify(%s, %s)", (quarter_manifest.CHANNEL, quarter))
        published.append((manifest, notify))
    return published
