"""One run of the quarterly batch: extract -> validate -> transform -> load, with the run record.

Order of the edges, chosen so that a failure at any point leaves every quarter's previous data:
1. PostgreSQL: executors COPY the quarters, the features and the quarantine rows into new tables
   (invisible to readers), each task recording its rows in the run's ledger in the same
   transaction, so that a retried task replaces its rows instead of adding them.
2. Lake, once 1 is complete: one commit per Delta table (a replaceWhere, or the table's creation
   on the first run), tagged with the run id, and the features' Parquet export swapped in.
3. PostgreSQL: one short transaction checks the ledger, swaps the loaded quarters in, records the
   run (with its run record) and upserts each quarter's manifest into quarter_ready (with NOTIFY
   quarter_ready when it changed).
4. Lake, once 3 has committed: each quarter's manifest, export/_manifests/<YYYY>Q<n>.json
   (manifest.write_to_lake), then the run is marked as published.
A failure before 3 commits drops the new tables, undoes the run's Delta commits (the version before
them, kept in Delta's history) and moves the previous export back: it publishes nothing. A run
killed outright is found by the next one (its advisory lock is free) and cleared up the same way.
A failure in 4 undoes nothing (the run has committed); the run fails, and the next run (the job's
retry) writes the manifests from quarter_ready and, if it is the same work, stops there.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import secrets
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from typing import Callable

from pyspark import StorageLevel
from pyspark.sql import DataFrame, SparkSession

from . import lake, load_pg, pg_copy
from . import manifest as quarter_manifest
from .accounting import RunCounts, check_identity, count_outcomes, settled_split_offsets
from .config import PG_DETAIL_ROWS, JobConfig, PgSettings, strip_url_credentials
from .errors import EmptyScopeError, describe, log_failure
from .extract import check_same_input, check_unchanged, extract, resolve_input
from .fs import FileSystem, file_system_for
from .lake import PartitionSwap, lake_layout, lake_tables, partition_path, quarters_predicate
from .session import scale_to_input
from .transform import CURATED_COLUMNS, FEATURE_COLUMNS, QUARANTINE_COLUMNS, curated_transactions, quarterly_features, quarantine_rows
from .validate import apply_scope, classify, distinct_valid, group_outcomes, rejected_rows

log = logging.getLogger(__name__)

__all__ = ["EmptyScopeError", "ManifestWriteError", "RunResult", "run_job", "STAGES"]

StageListener = Callable[[str, str, float], None]  # (stage, "start" | "end", seconds so far)
MAX_WRITER_SESSIONS = 8  # PostgreSQL sessions COPYing at once, at most (the server's cores bound the gain)


def new_run_id(now: dt.datetime | None = None) -> str:
    moment = now or dt.datetime.now(dt.timezone.utc)
    return f"{moment:%Y%m%dT%H%M%SZ}-{secrets.token_hex(4)}"


@dataclass
class RunResult:
    record: dict[str, object]
    stage_seconds: dict[str, float] = field(default_factory=dict)

    @property
    def succeeded(self) -> bool:
        return self.record.get("status") == "succeeded"


class ManifestWriteError(RuntimeError):
    """The run has committed (PostgreSQL and the lake hold its data, quarter_ready its manifests)
    but a manifest could not be written to the lake. Nothing is undone; the run fails so that the
    job retries it, and the rerun writes the manifests."""


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def copy_to_postgres(frame: DataFrame, settings: PgSettings, tables: load_pg.LoadTables, table: str,
                     columns: list[str], run_id: str, max_sessions: int = MAX_WRITER_SESSIONS) -> list[dict]:
    """COPYs `frame` into the staging table `table` from the executors, one session per task, each
    recording its rows in the run's ledger, and returns one small row per task (task, rows,
    backend_pid, started, finished): never the data itself."""
    from pyspark import cloudpickle

    # The Python workers may not have the bank_etl package on their path (Databricks runs the
    # job from workspace files): ship the COPY function's module by value.
    cloudpickle.register_pickle_by_value(pg_copy)
    # At most max_sessions tasks, without asking the frame how many partitions it has: `.rdd` would
    # run the frame's shuffles there and then, one frame after the other (2-4 s of a 1 M-row run
    # before any COPY began). A coalesce to more partitions than there are changes nothing.
    frame = frame.coalesce(max_sessions)
    copier = pg_copy.copy_partitions(settings.connect_kwargs(), tables.schema, table, tables.ledger, columns, run_id)
    return [row.asDict() for row in frame.select(*columns).mapInArrow(copier, pg_copy.RESULT_DDL).collect()]


@dataclass
class RunState:
    """What one run knows and has done, step by step: each step reads what the earlier ones left
    here and adds its own, and the outcome of a failure (what to undo) is decided from it alone."""

    spark: SparkSession
    config: JobConfig
    fs: FileSystem
    run_id: str
    result: RunResult
    on_stage: StageListener | None = None
    checked_input: dict[str, object] | None = None
    # What a failure looks at: the PostgreSQL session holding the run lock, the staging tables not
    # yet swapped in, the Delta tables the run may have committed to, the export partitions it
    # swapped, and whether the publish transaction has committed (then nothing is undone).
    conn: object = None
    load_tables: load_pg.LoadTables | None = None
    delta_committed: list[str] = field(default_factory=list)
    committed: bool = False
    cached: list[DataFrame] = field(default_factory=list)
    # What the steps hand on.
    unpublished: list[dict] = field(default_factory=list)
    input_file: object = None
    checksum: Callable[[], object] | None = None
    extracted: object = None
    outcomes: DataFrame | None = None
    scoped: DataFrame | None = None
    counts: RunCounts | None = None
    quarters: list[tuple[int, int]] = field(default_factory=list)
    curated: DataFrame | None = None
    features: DataFrame | None = None
    quarantine: DataFrame | None = None
    expected_rows: dict[str, int] = field(default_factory=dict)
    loaded: dict[str, int] = field(default_factory=dict)
    delta_versions: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.layout = lake_layout(self.config.lake_root)
        self.tables = lake_tables(self.layout, self.config.catalog)
        self.export_staging = lake.export_staging(self.layout, self.run_id)
        self.swap = PartitionSwap(self.fs, self.run_id)

    @property
    def record(self) -> dict[str, object]:
        return self.result.record

    def timed_record(self) -> dict[str, object]:
        return {**self.record, "stage_seconds": dict(self.result.stage_seconds)}

    @contextmanager
    def stage(self, name: str):
        started = time.perf_counter()
        if self.on_stage:
            self.on_stage(name, "start", 0.0)
        try:
            yield
        finally:
            seconds = time.perf_counter() - started
            self.result.stage_seconds[name] = round(seconds, 3)
            if self.on_stage:
                self.on_stage(name, "end", seconds)


def run_job(
    spark: SparkSession,
    config: JobConfig,
    *,
    run_id: str | None = None,
    on_stage: StageListener | None = None,
    fs: FileSystem | None = None,
    checked_input: dict[str, object] | None = None,
) -> RunResult:
    """Runs the batch once and returns its record; raises (after recording the failure) on error.
    `checked_input`: the file the check task resolved (extract.input_identity); the run reads that
    file or none. Without it (locally) the run resolves the input itself, once."""
    run_id = run_id or new_run_id()
    run = RunState(spark, config, fs or file_system_for(spark, config.publication_credential), run_id, RunResult(record={
        "run_id": run_id, "scope": str(config.scope), "started_at": _utc_now(), "finished_at": None,
        "status": "running", "input_uri": strip_url_credentials(config.input_uri), "input_sha256": None,
        "error": None, "timezone": config.timezone,
    }), on_stage, checked_input)
    log.info("run %s: scope %s, input %s, lake %s, catalog %s, postgres %s (schema %s)", run_id, config.scope,
             run.record["input_uri"], config.lake_root, config.catalog, config.pg.masked_url(), config.schema)
    try:
        for name, step in STEPS:
            with run.stage(name):
                finished_early = step(run)
            if finished_early:
                return run.result
        log.info("run %s succeeded: %s", run_id, _summary(run.counts))
        return run.result
    except BaseException as error:
        _settle_failure(run, error)
        raise
    finally:
        _close(run)


def _connect(run: RunState) -> None:
    """Checks the schema, clears up what abandoned runs left (in PostgreSQL, then in the lake) and
    finds committed runs whose manifests are not all in the lake. A short session: nothing of this
    run's is in PostgreSQL yet, so no lock to hold."""
    config = run.config
    with load_pg.connect(config.pg) as setup:
        load_pg.check_schema_ready(setup, config.schema)
        abandoned = load_pg.recover_abandoned_runs(setup, config.schema, run.run_id)
        run.unpublished = load_pg.unpublished_runs(setup, config.schema)
    # The manifest's code version: the deployment's, or the hash of the files this job runs.
    run.record["code_version"] = config.code_version or quarter_manifest.code_version()
    for dead in abandoned:
        lake.undo_run(run.spark, run.fs, run.tables, run.layout, dead)


def _extract(run: RunState) -> bool:
    """Resolves the input (the one the check task handed over, if any), finishes the publication
    of committed runs, and starts reading the file; returns True when this run is the retry of one
    that had committed the same work, which is then complete."""
    config, record, fs = run.config, run.record, run.fs
    lake.check_layout(fs, run.layout)  # before anything is written to the lake
    if run.checked_input:
        record["input_uri"] = strip_url_credentials(str(run.checked_input.get("path")))
        input_file = check_same_input(fs, config.input_uri, run.checked_input)
    else:
        input_file = resolve_input(fs, config.input_uri)
    run.input_file = input_file
    record.update(input_uri=strip_url_credentials(input_file.path), input_bytes=input_file.size,
                  input_modified_ms=input_file.modified_ms)
    completed = _finish_publications(config, fs, run.layout, run.unpublished, record, input_file.path)
    if completed:
        record.update(status="succeeded", finished_at=_utc_now(), completes_run=completed)
        with load_pg.connect(config.pg) as done:
            load_pg.record_run(done, config.schema, record)
        log.info("run %s: run %s had committed this input; its publication is finished, nothing else to do",
                 run.run_id, completed)
        return True
    record["shuffle_partitions"] = scale_to_input(run.spark, input_file.size)
    # Read once more, for its checksum, while validate reads it for its rows.
    run.checksum = start_in_background(partial(fs.sha256, input_file.path))
    run.extracted = extract(run.spark, fs, input_file.path)
    return False


def _validate(run: RunState) -> None:
    """One pass over the input: classification, de-duplication and the counts share one
    aggregation, whose (much smaller) result is kept for the steps that follow."""
    config = run.config
    scope_quarters = None if config.scope.is_all else [(config.scope.quarter.year, config.scope.quarter.quarter)]
    run.outcomes = group_outcomes(classify(run.extracted.raw)).persist(StorageLevel.MEMORY_AND_DISK_DESER)
    run.cached.append(run.outcomes)
    run.scoped = apply_scope(distinct_valid(run.outcomes), scope_quarters)
    run.counts = counts = count_outcomes(run.outcomes, run.scoped)
    run.record.update(counts.as_record())
    check_identity(counts)
    if counts.rows_valid == 0:
        raise EmptyScopeError(f"no valid rows for scope {config.scope} in the input; nothing was replaced")
    run.quarters = sorted(counts.valid_by_quarter)
    run.record["quarters"] = [f"{y}-Q{q}" for y, q in run.quarters]


def _transform(run: RunState) -> None:
    run.record["input_sha256"] = input_sha256 = run.checksum()
    check_unchanged(run.fs, run.input_file)  # what was read and hashed is the version resolved
    run.curated = curated_transactions(run.scoped, run.run_id)
    run.features = quarterly_features(run.curated).persist()  # a few hundred rows per quarter
    run.cached.append(run.features)
    quarantine = quarantine_rows(rejected_rows(run.outcomes), run.run_id, input_sha256,
                                 settled_split_offsets(run.spark, run.counts))
    # The counts say whether any row was rejected. When none was, an empty relation (Spark's
    # optimiser replaces a plan under a zero limit with one, OptimizeLimitZero): its COPY and its
    # commit then neither scan the cached outcomes nor broadcast the split offsets to find nothing.
    run.quarantine = quarantine if run.counts.rows_quarantined else quarantine.limit(0)


def _load_postgres(run: RunState) -> None:
    """The run's own session from here to the end, holding the run lock: from now on the run leaves
    staging tables (and then lake commits) that only it may clear up while it lives."""
    config, counts = run.config, run.counts
    run.conn = conn = load_pg.connect(config.pg)
    load_pg.hold_run_lock(conn, run.run_id)
    load_pg.record_run(conn, config.schema, run.record)
    run.load_tables = tables = load_pg.LoadTables(config.schema, load_pg.run_tag(run.run_id), run.quarters,
                                                  run.record["input_sha256"], config.pg_detail == PG_DETAIL_ROWS)
    load_pg.create_load_tables(conn, tables)
    # The COPY jobs run at once: the features, and with every row, the quarters' transactions
    # (routed to their tables by the staging parent) and the quarantined rows. run_id is left out:
    # each session sets it, and the column default fills it in.
    copies = [(run.features, tables.features, FEATURE_COLUMNS)]
    run.expected_rows = {}
    if tables.detail:
        copies += [(run.curated, tables.transactions_parent, CURATED_COLUMNS[:-1]),
                   (run.quarantine, tables.quarantine, QUARANTINE_COLUMNS)]
        run.expected_rows = {tables.transactions_parent: counts.rows_valid, tables.quarantine: counts.rows_quarantined}
    results = run_concurrently(*(partial(copy_to_postgres, frame, config.pg, tables, table, list(columns), run.run_id)
                                 for frame, table, columns in copies))
    sessions = [task for tasks in results for task in tasks]
    # The tasks' ledger, not a scan: a retried or speculative task replaced its rows.
    staged = load_pg.loaded_rows(conn, tables)
    load_pg.check_loaded(staged, run.expected_rows)
    targets = {"transactions": tables.transactions_parent, "quarterly_features": tables.features,
               "quarantine": tables.quarantine}
    run.loaded = {name: staged[table] for name, table in targets.items() if table in staged}
    run.record["pg_writer_sessions"] = {
        "distinct": len({s["backend_pid"] for s in sessions}),
        "max_concurrent": pg_copy.max_concurrent([(s["started"], s["finished"]) for s in sessions]),
    }
    # Per staging table: its tasks, rows and the seconds its sessions spent (rows per writer second).
    run.record["pg_copy_tasks"] = {table: {"tasks": len(tasks), "rows": sum(t["rows"] for t in tasks),
                                           "session_seconds": round(sum(t["finished"] - t["started"] for t in tasks), 3)}
                                   for (_, table, _), tasks in zip(copies, results)}


def _write_lake(run: RunState) -> None:
    """Only after PostgreSQL has every row staged: a kill before this point leaves the lake
    untouched. The three commits and the export run at once."""
    spark, tables, run_id = run.spark, run.tables, run.run_id
    lake.record_empty_commits(spark)
    frames = {"curated": run.curated, "features": run.features, "quarantine": run.quarantine}
    predicates = {"curated": quarters_predicate(run.quarters), "features": quarters_predicate(run.quarters),
                  "quarantine": f"input_sha256 = '{run.record['input_sha256']}'"}

    def commit(name: str) -> None:
        run.delta_committed.append(name)  # before the commit: undoing finds the run's commit, if it was made
        lake.write(spark, tables[name], frames[name], predicates[name], run_id)
        run.delta_versions[name] = lake.run_version(spark, tables[name], run_id)

    exports: dict[str, list[dict[str, object]]] = {}

    def export() -> None:
        # One small write of every quarter's features, then one swap per quarter.
        run.features.coalesce(1).write.partitionBy("year", "quarter").mode("overwrite").parquet(run.export_staging)
        for year, quarter in run.quarters:
            partition = {"year": year, "quarter": quarter}
            run.swap.replace(run.layout.export, partition_path(run.export_staging, partition), partition)
            # What `lake ready` checks the export against: file names, sizes, SHA-256.
            exports[quarter_manifest.quarter_label(year, quarter)] = lake.partition_files(
                run.fs, run.layout.export, partition)

    run_concurrently(*(partial(commit, name) for name in tables), export)
    run.record["delta_versions"] = {quarter_manifest.DELTA_TABLE_NAMES[n]: v for n, v in sorted(run.delta_versions.items())}
    run.record["exports"] = exports


def _publish(run: RunState) -> None:
    """One transaction swaps the loaded tables in, upserts the quarters' manifests and records the
    run; once it has committed, the run record and the manifests go to the lake."""
    config, record, counts, conn = run.config, run.record, run.counts, run.conn
    published_at = _utc_now()
    record.update(status="succeeded", finished_at=published_at, rows_loaded=run.loaded)
    manifests = [quarter_manifest.build(
        year=year, quarter=quarter, run_id=run.run_id, published_at=published_at, input_path=record["input_uri"],
        input_sha256=record["input_sha256"], rows_read=counts.rows_read, valid=counts.valid_by_quarter[(year, quarter)],
        quarantined_by_reason=counts.by_reason, duplicates=counts.duplicates_by_quarter.get((year, quarter), 0),
        delta_versions=run.delta_versions, schema=config.schema, code_version=record["code_version"],
        partitioned_tables=run.load_tables.quarter_tables)
        for year, quarter in run.quarters]
    def swap_and_record() -> float:
        with conn.transaction():
            locked_at = load_pg.swap_in(conn, run.load_tables, run.expected_rows)
            published = load_pg.publish_manifests(conn, config.schema, manifests, published_at)
            record["manifests"] = {m["quarter"]: {"notified": notified, "delta": m["delta"]} for m, notified in published}
            # The run record goes into etl_runs too: a retry after this commit finishes from it.
            load_pg.record_run(conn, config.schema, record, _record_text(run.timed_record()))
        return locked_at

    # A swap that waits too long for readers' locks gives up and tries again (load_pg.SWAP_LOCK_TIMEOUT).
    # transactions_locked_seconds runs until COMMIT returns: an upper bound of readers' wait. A rerun's
    # COMMIT then deletes the replaced partitions' files, after it has released its locks (PostgreSQL's
    # xact.c, CommitTransaction): at 100 M rows 2.85 s, while readers waited at most 0.14 s.
    locked_at, attempts = load_pg.with_lock_retries(swap_and_record)
    record["swap"] = {"attempts": attempts,
                      "transactions_locked_seconds": round(time.perf_counter() - locked_at, 3) if locked_at else None}
    run.committed = True
    run.load_tables = None  # swapped in: nothing left to drop
    run.swap.commit()
    _pause_for_tests("BANK_ETL_TEST_PAUSE_AFTER_COMMIT")
    # The run record first, so that a reader who finds a manifest also finds its run record.
    _write_run_file(run.fs, run.layout.runs, run.timed_record())
    _publish_to_lake(conn, config.schema, run.fs, run.layout, record)


# The run, in order: each step is a stage of the run record's stage_seconds and of the progress.
STEPS: tuple[tuple[str, Callable[[RunState], bool | None]], ...] = (
    ("connect", _connect),
    ("extract", _extract),
    ("validate", _validate),
    ("transform", _transform),
    ("load postgres", _load_postgres),
    ("write lake", _write_lake),
    ("publish", _publish),
)
STAGES = tuple(name for name, _ in STEPS)


def _settle_failure(run: RunState, error: BaseException) -> None:
    """The one place that decides what a failure undoes. Once the publish transaction has
    committed, PostgreSQL and the lake hold the run's data: nothing is undone and the run stays
    succeeded (the next run writes what is missing). Before that, the export partitions go back,
    the run's Delta commits are undone and the run is recorded as failed; its staging tables are
    dropped when it closes."""
    record = run.record
    if run.committed:
        record["error"] = describe(error)
        log_failure(log, f"run {run.run_id} (committed; manifests not all written to the lake)", error)
    else:
        record.update(status="failed", finished_at=_utc_now(), error=describe(error))
        log_failure(log, f"run {run.run_id}", error)
        run.swap.rollback()
        _restore_delta(run.spark, run.fs, run.tables, run.layout, run.run_id, run.delta_committed)
    try:
        error.run_record = record  # lets a caller (the local runner) report the failed run
    except AttributeError:
        pass
    _record_failure_in_postgres(run.config, run.conn, record)


def _close(run: RunState) -> None:
    """Whatever the outcome: the run file, the staging area and tables left, the cache, the session."""
    run.record["stage_seconds"] = dict(run.result.stage_seconds)
    _write_run_file(run.fs, run.layout.runs, run.record)
    _cleanup(run.fs, run.layout, run.export_staging, run.conn, run.load_tables)
    for frame in run.cached:
        frame.unpersist()
    if run.conn is not None:
        run.conn.close()


def _publish_to_lake(conn, schema: str, fs: FileSystem, layout: lake.LakeLayout, record: dict) -> None:
    """Writes the lake's manifest of each of the run's quarters (what quarter_ready holds for it,
    under the quarter's publication lock), then records the run as published; tries every quarter,
    then raises ManifestWriteError if any failed."""
    failed = []
    for quarter in record["quarters"]:
        try:
            with load_pg.quarter_publication(conn, schema, quarter) as manifest:
                if manifest is None:
                    raise RuntimeError(f"quarter_ready has no manifest of {quarter}")
                path = quarter_manifest.write_to_lake(fs, layout.export, manifest)
            record.setdefault("manifests", {}).setdefault(quarter, {})["path"] = path
        except Exception as error:
            log.error("could not write the manifest of %s to the lake: %s", quarter, describe(error))
            failed.append((quarter, error))
    if failed:
        quarters = ", ".join(quarter for quarter, _ in failed)
        raise ManifestWriteError(f"the run committed, but the manifest of {quarters} could not be written to "
                                 f"{quarter_manifest.manifests_folder(layout.export)}; the next run (the job's "
                                 "retry) writes it") from failed[0][1]
    load_pg.mark_published(conn, schema, record["run_id"])


def _finish_publications(config: JobConfig, fs: FileSystem, layout: lake.LakeLayout, unpublished: list[dict],
                         record: dict, input_path: str) -> str | None:
    """Finishes what runs that committed but did not get their manifests into the lake (a failed
    lake write, a kill after the commit) left: their run record and manifests, from etl_runs and
    quarter_ready. Returns the id of the one this run retries (same scope, input file and code),
    whose work is then complete; None when this run has its own work to do."""
    digest: list[str] = []

    def same_work(previous: dict) -> bool:
        # The file is compared by its SHA-256: one read, and only when scope, path and code agree.
        if (previous.get("scope"), previous.get("input_uri"), previous.get("code_version")) != (
                record["scope"], record["input_uri"], record["code_version"]):
            return False
        if not digest:
            digest.append(fs.sha256(input_path))
        return previous.get("input_sha256") == digest[0]

    retried = None
    with load_pg.connect(config.pg) as conn:
        for previous in unpublished:
            try:
                runs_file = f"{layout.runs.rstrip('/')}/{previous['run_id']}.json"
                if not fs.exists(runs_file):
                    fs.write_text(runs_file, _record_text(previous))
                _publish_to_lake(conn, config.schema, fs, layout, {**previous, "manifests": {}})
                log.warning("run %s had committed without all its manifests in the lake: written now", previous["run_id"])
            except Exception as error:
                if same_work(previous):
                    raise
                log.error("could not finish the publication of committed run %s: %s", previous["run_id"], describe(error))
                continue
            if retried is None and same_work(previous):
                retried = previous["run_id"]
                record["input_sha256"] = digest[0]
    return retried


def _restore_delta(spark: SparkSession, fs: FileSystem, tables: dict, layout: lake.LakeLayout, run_id: str,
                   committed: list[str]) -> None:
    for name in committed:
        table = tables[name]
        try:
            done = lake.undo_commits(spark, fs, table, run_id, layout)
            if done:
                log.info("Delta table %s: %s", table.reference, done)
        except Exception as error:
            log.error("could not undo run %s's commit to Delta table %s: %s", run_id, table.reference, describe(error))


def start_in_background(step: Callable[[], object]) -> Callable[[], object]:
    """Starts `step` in a thread that keeps the caller's Spark job properties; the function it
    returns waits for the step and returns its result or raises its error."""
    from pyspark import InheritableThread

    outcome: dict[str, object] = {}

    def run() -> None:
        try:
            outcome["result"] = step()
        except BaseException as error:  # re-raised by the waiting caller
            outcome["error"] = error

    thread = InheritableThread(target=run, name="bank-etl-background", daemon=True)
    thread.start()

    def wait() -> object:
        thread.join()
        if "error" in outcome:
            raise outcome["error"]
        return outcome["result"]

    return wait


def run_concurrently(*steps: Callable[[], object]) -> list[object]:
    """Runs independent steps at once and waits for every one of them, then raises the first
    failure or returns their results."""
    waits = [start_in_background(step) for step in steps]
    results, errors = [], []
    for wait in waits:
        try:
            results.append(wait())
        except BaseException as error:
            errors.append(error)
    if errors:
        raise errors[0]
    return results


def _cleanup(fs: FileSystem, layout: lake.LakeLayout, export_staging: str, conn, load_tables) -> None:
    try:
        lake.delete_with_empty_parent(fs, export_staging, layout)
    except Exception:
        log.warning("could not remove staging directory %s", export_staging)
    if load_tables is not None and conn is not None and not conn.closed and not conn.broken:
        try:
            load_pg.drop_load_tables(conn, load_tables)
        except Exception as error:
            log.warning("could not drop the run's load tables: %s", describe(error))


def _summary(counts: RunCounts) -> str:
    return (f"read {counts.rows_read}, valid {counts.rows_valid}, quarantined {counts.rows_quarantined}, "
            f"duplicate {counts.rows_duplicate}, out of scope {counts.rows_out_of_scope}")


def _record_failure_in_postgres(config: JobConfig, conn, record: dict[str, object]) -> None:
    """Best effort: nothing was swapped in; write status = failed."""
    try:
        if conn is None or conn.closed or conn.broken:
            conn = load_pg.connect(config.pg)
        load_pg.record_run(conn, config.schema, record)
    except Exception as error:  # the run file still records the failure
        log.warning("could not record the failed run in PostgreSQL: %s", describe(error))


def _pause_for_tests(variable: str) -> None:
    """Tests kill a run at a chosen point: it waits there this many seconds."""
    seconds = float(os.environ.get(variable, "0") or 0)
    if seconds:
        time.sleep(seconds)


def _json_default(value: object) -> object:
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def _record_text(record: dict[str, object]) -> str:
    return json.dumps(record, default=_json_default, indent=2, sort_keys=True) + "\n"


def _write_run_file(fs: FileSystem, runs_dir: str, record: dict[str, object]) -> None:
    try:
        fs.write_text(f"{runs_dir.rstrip('/')}/{record['run_id']}.json", _record_text(record))
    except Exception as error:
        log.error("could not write the run record to %s: %s", runs_dir, describe(error))
