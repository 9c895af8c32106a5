"""The job's first task, without retries: fails at once on what no retry can fix.

It resolves the input once (a directory's newest file) and hands that file, by path, size and
modification time, to the load task (a task value), which refuses any other. It reads the input's
header (no Spark job) and then counts, in one pass over the Date column
only, the rows whose date falls in the scope. Every valid row in scope has such a date, so a zero
count means the load would find no rows in scope. Rows that pass here but fail another rule are
still caught by the load (EmptyScopeError), which is rarer and costs a retry at most.
"""

from __future__ import annotations

import logging

from pyspark.sql import SparkSession
from pyspark.sql import functions as F
from pyspark.sql.types import StringType, StructField, StructType

from .config import CheckConfig
from .errors import EmptyScopeError, InputError
from .extract import SUPPORTED_SUFFIXES, input_identity, match_required_columns, read_header, resolve_input
from .fs import FileSystem
from .validate import parse_date

log = logging.getLogger(__name__)


def dated_rows_in_scope(spark: SparkSession, path: str, date_position: int, width: int, config: CheckConfig) -> int:
    schema = StructType([StructField(f"_c{i}", StringType(), True) for i in range(width)])
    dates = spark.read.schema(schema).option("header", True).option("escape", '"').csv(path).select(
        parse_date(F.col(f"_c{date_position}")).alias("txn_date"))
    if config.scope.is_all:
        in_scope = F.col("txn_date").isNotNull()
    else:
        quarter = config.scope.quarter
        in_scope = (F.year("txn_date") == quarter.year) & (F.quarter("txn_date") == quarter.quarter)
    return dates.where(in_scope).limit(1).count()


def run_check(spark: SparkSession, fs: FileSystem, config: CheckConfig) -> dict[str, object]:
    """Raises InputError or EmptyScopeError (permanent) when the load cannot succeed. The report's
    `input` is the file this run is about (input_identity), which the load is handed."""
    resolved = resolve_input(fs, config.input_uri)
    path = resolved.path
    if not path.lower().endswith(SUPPORTED_SUFFIXES):
        raise InputError(f"unsupported input format (expected .csv or .xlsx): {path}")
    report: dict[str, object] = {"input": input_identity(resolved), "scope": str(config.scope)}
    if path.lower().endswith(".csv"):
        header = read_header(fs, path)
        positions = match_required_columns(header)
        # Column pruning lets the CSV reader parse the Date column alone.
        previous = spark.conf.get("spark.sql.csv.parser.columnPruning.enabled", "true")
        spark.conf.set("spark.sql.csv.parser.columnPruning.enabled", "true")
        try:
            found = dated_rows_in_scope(spark, path, positions["date"], len(header), config)
        finally:
            spark.conf.set("spark.sql.csv.parser.columnPruning.enabled", previous)
        if not found:
            raise EmptyScopeError(f"no row of {path} has a date in scope {config.scope}; nothing would be loaded")
        report["rows_dated_in_scope"] = "at least 1"
    # An XLSX file is read whole by the load (one sheet, on the driver); its header and scope are
    # checked there.
    log.info("check passed: %s", report)
    return report
