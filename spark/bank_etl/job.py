"""One run of the quarterly batch: extract -> validate -> transform -> load, with the run record.

Publishing is the last step and is all-or-nothing per run: the lake partitions are swapped inside
the PostgreSQL transaction that replaces the same quarters, and a failure anywhere rolls back both
and records the run as failed.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import secrets
import time
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from typing import Callable

from pyspark.sql import DataFrame, SparkSession

from . import load_pg
from .accounting import RunCounts, check_identity, read_summary, scope_summary, source_row_offsets, tally
from .config import JobConfig, mask_url, strip_url_credentials
from .extract import extract, resolve_input
from .lake import HadoopFs, PartitionSwap, lake_layout, partition_path
from .transform import CURATED_COLUMNS, FEATURE_COLUMNS, QUARANTINE_COLUMNS, curated_transactions, quarterly_features, quarantine_rows
from .validate import apply_scope, classify, deduplicate, in_quarter

log = logging.getLogger(__name__)

STAGES = ("connect", "extract", "validate", "transform", "write lake", "load postgres", "publish")
StageListener = Callable[[str, str, float], None]  # (stage, "start" | "end", seconds so far)


class EmptyScopeError(RuntimeError):
    """The input has no valid row in the selected scope; replacing the quarter would erase it."""


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


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def _describe(error: BaseException) -> str:
    text = f"{type(error).__name__}: {error}".strip()
    return mask_url(text.splitlines()[0] if text else type(error).__name__)[:2000]


def run_job(
    spark: SparkSession,
    config: JobConfig,
    *,
    run_id: str | None = None,
    on_stage: StageListener | None = None,
) -> RunResult:
    """Runs the batch once and returns its record; raises (after recording the failure) on error."""
    run_id = run_id or new_run_id()
    layout = lake_layout(config.lake_root)
    fs = HadoopFs(spark)
    result = RunResult(
        record={
            "run_id": run_id,
            "scope": str(config.scope),
            "started_at": _utc_now(),
            "finished_at": None,
            "status": "running",
            "input_uri": strip_url_credentials(config.input_uri),
            "input_sha256": None,
            "error": None,
        }
    )
    record = result.record
    staging = {area: f"{root.rstrip('/')}/_staging/{run_id}" for area, root in
               (("curated", layout.curated), ("features", layout.features), ("quarantine", layout.quarantine))}
    swap = PartitionSwap(fs, run_id)
    cached: list[DataFrame] = []
    conn = None

    @contextmanager
    def stage(name: str):
        started = time.perf_counter()
        if on_stage:
            on_stage(name, "start", 0.0)
        try:
            yield
        finally:
            seconds = time.perf_counter() - started
            result.stage_seconds[name] = round(seconds, 3)
            if on_stage:
                on_stage(name, "end", seconds)

    log.info("run %s: scope %s, input %s, lake %s, postgres %s (schema %s)", run_id, config.scope,
             record["input_uri"], config.lake_root, config.pg.masked_url(), config.schema)
    try:
        with stage("connect"):
            conn = load_pg.connect(config.pg)
            load_pg.migrate(conn, config.schema)
            load_pg.record_run(conn, config.schema, record)

        with stage("extract"):
            input_path = resolve_input(fs, config.input_uri)
            record["input_uri"] = strip_url_credentials(input_path)
            record["input_sha256"] = input_sha256 = fs.sha256(input_path)
            extracted = extract(spark, fs, input_path)

        with stage("validate"):
            scope_quarters = None if config.scope.is_all else [(config.scope.quarter.year, config.scope.quarter.quarter)]
            classified = classify(extracted.raw).persist()
            scoped = apply_scope(deduplicate(classified), scope_quarters).persist()
            cached.extend([classified, scoped])
            counts = tally(read_summary(classified).collect(), scope_summary(scoped).collect())
            record.update(counts.as_record())
            check_identity(counts)
            if counts.rows_valid == 0:
                raise EmptyScopeError(f"no valid rows for scope {config.scope} in the input; nothing was replaced")
            quarters = sorted(counts.valid_by_quarter)
            record["quarters"] = [f"{y}-Q{q}" for y, q in quarters]

        with stage("transform"):
            curated = curated_transactions(scoped, run_id)
            features = quarterly_features(curated).persist()
            cached.append(features)
            quarantine = quarantine_rows(classified, run_id, input_sha256, source_row_offsets(counts))

        with stage("write lake"):
            # One plain write per quarter into its staged partition directory: no partitionBy sort,
            # and the year/quarter values live in the directory names (Hive layout).
            for year, quarter in quarters:
                partition = {"year": year, "quarter": quarter}
                curated.where(in_quarter(year, quarter)).drop("year", "quarter").write.mode("overwrite").parquet(
                    partition_path(staging["curated"], partition)
                )
                features.where(in_quarter(year, quarter)).drop("year", "quarter").coalesce(1).write.mode("overwrite").parquet(
                    partition_path(staging["features"], partition)
                )
            quarantine_partition = {"input_sha256": input_sha256}
            quarantine.drop("input_sha256").coalesce(1).write.mode("overwrite").parquet(
                partition_path(staging["quarantine"], quarantine_partition)
            )

        loader = load_pg.PgLoader(conn, config.schema)
        sources = {
            # Generators: each quarter is fetched only when the loader gets to it, so PostgreSQL
            # ingests one quarter while the next is collected. run_id is left out: the table's
            # default fills it in from the transaction's setting.
            "transactions": (CURATED_COLUMNS[:-1], (
                _staged_quarter(fs, curated, partition_path(staging["curated"], {"year": y, "quarter": q}), y, q)
                for y, q in quarters)),
            "quarterly_features": (FEATURE_COLUMNS, _arrow_tables(features)),
            "quarantine": (QUARANTINE_COLUMNS, _arrow_tables(quarantine)),
        }
        with ExitStack() as transaction:
            with stage("load postgres"):
                transaction.enter_context(conn.transaction())
                loaded = loader.replace(quarters, input_sha256, sources, run_id)
                _check_loaded({"transactions": loaded.transactions, "quarantine": loaded.quarantine}, counts)
            with stage("publish"):
                for year, quarter in quarters:
                    partition = {"year": year, "quarter": quarter}
                    swap.replace(layout.curated, partition_path(staging["curated"], partition), partition)
                    swap.replace(layout.features, partition_path(staging["features"], partition), partition)
                swap.replace(layout.quarantine, partition_path(staging["quarantine"], quarantine_partition),
                             quarantine_partition)
                record.update(
                    status="succeeded",
                    finished_at=_utc_now(),
                    rows_loaded={"transactions": loaded.transactions, "quarterly_features": loaded.features,
                                 "quarantine": loaded.quarantine},
                )
                load_pg.record_run(conn, config.schema, record)
                transaction.close()  # COMMIT: PostgreSQL and the swapped lake partitions go live together
        swap.commit()
        log.info("run %s succeeded: %s", run_id, _summary(counts))
        return result
    except BaseException as error:
        swap.rollback()
        record.update(status="failed", finished_at=_utc_now(), error=_describe(error))
        log.error("run %s failed: %s", run_id, record["error"])
        try:
            error.run_record = record  # lets a caller (the local runner) report the failed run
        except AttributeError:
            pass
        _record_failure_in_postgres(config, conn, record)
        raise
    finally:
        record["stage_seconds"] = dict(result.stage_seconds)
        _write_run_file(fs, layout.runs, record)
        for path in staging.values():
            try:
                fs.delete(path)
                fs.delete_if_empty(path.rsplit("/", 1)[0])
            except Exception:
                log.warning("could not remove staging directory %s", path)
        for df in cached:
            df.unpersist()
        if conn is not None:
            conn.close()


def _arrow_tables(*frames: DataFrame):
    """Collects each DataFrame to the driver as an Arrow table, one at a time, when asked for."""
    for frame in frames:
        yield frame.toArrow()


def _staged_quarter(fs: HadoopFs, curated: DataFrame, staged_dir: str, year: int, quarter: int):
    """One quarter's curated rows as an Arrow table (without run_id).

    When the lake is on local disk, the staged Parquet files are read with pyarrow: the rows loaded
    are then exactly the rows about to be published, and reading them costs far less than
    converting them again in the JVM. Elsewhere (abfss://, dbfs:/) Spark collects them.
    """
    import pyarrow as pa
    import pyarrow.dataset as pads

    local = fs.local_path(staged_dir)
    if local is None:
        return curated.where(in_quarter(year, quarter)).drop("run_id").toArrow()
    table = pads.dataset(local, format="parquet").to_table()
    table = table.append_column("year", pa.repeat(pa.scalar(year, pa.int32()), table.num_rows))
    table = table.append_column("quarter", pa.repeat(pa.scalar(quarter, pa.int32()), table.num_rows))
    return table.select(list(CURATED_COLUMNS[:-1]))


def _check_loaded(rows: dict[str, int], counts: RunCounts) -> None:
    expected = {"transactions": counts.rows_valid, "quarantine": counts.rows_quarantined}
    for table, want in expected.items():
        if table in rows and rows[table] != want:
            raise RuntimeError(f"{table}: loaded {rows[table]} rows but the run counted {want}")


def _summary(counts: RunCounts) -> str:
    return (f"read {counts.rows_read}, valid {counts.rows_valid}, quarantined {counts.rows_quarantined}, "
            f"duplicate {counts.rows_duplicate}, out of scope {counts.rows_out_of_scope}")


def _record_failure_in_postgres(config: JobConfig, conn, record: dict[str, object]) -> None:
    """Best effort: the data transaction is already rolled back; write status = failed."""
    try:
        if conn is None or conn.closed or conn.broken:
            conn = load_pg.connect(config.pg)
            load_pg.migrate(conn, config.schema)
        load_pg.record_run(conn, config.schema, record)
    except Exception as error:  # the run file still records the failure
        log.warning("could not record the failed run in PostgreSQL: %s", _describe(error))


def _json_default(value: object) -> object:
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def _write_run_file(fs: HadoopFs, runs_dir: str, record: dict[str, object]) -> None:
    try:
        fs.mkdirs(runs_dir)
        fs.write_text(f"{runs_dir.rstrip('/')}/{record['run_id']}.json",
                      json.dumps(record, default=_json_default, indent=2, sort_keys=True) + "\n")
    except Exception as error:
        log.error("could not write the run record to %s: %s", runs_dir, _describe(error))
