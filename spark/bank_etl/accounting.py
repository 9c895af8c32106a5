"""Accounting: counting each row's outcome and checking the contract's identity
rows_read = rows_valid + rows_quarantined + rows_duplicate + rows_out_of_scope."""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import accumulate

from pyspark.sql import DataFrame, SparkSession, Window
from pyspark.sql import functions as F

from .validate import OUTCOME_SUMMARY, REASONS


class AccountingError(RuntimeError):
    """The run's counts do not add up; nothing is published."""


@dataclass
class RunCounts:
    rows_read: int = 0
    rows_valid: int = 0
    rows_quarantined: int = 0
    rows_duplicate: int = 0
    rows_out_of_scope: int = 0
    by_reason: dict[str, int] = field(default_factory=dict)
    valid_by_quarter: dict[tuple[int, int], int] = field(default_factory=dict)
    duplicates_by_quarter: dict[tuple[int, int], int] = field(default_factory=dict)  # quarters in scope
    rows_per_split: dict[int, int] = field(default_factory=dict)
    valid_before_dedup: int = 0

    def as_record(self) -> dict[str, object]:
        return {
            "rows_read": self.rows_read,
            "rows_valid": self.rows_valid,
            "rows_quarantined": self.rows_quarantined,
            "rows_duplicate": self.rows_duplicate,
            "rows_out_of_scope": self.rows_out_of_scope,
            "quarantined_by_reason": {r: self.by_reason.get(r, 0) for r in REASONS},
            "valid_by_quarter": {f"{y}-Q{q}": n for (y, q), n in sorted(self.valid_by_quarter.items())},
            "duplicates_by_quarter": {f"{y}-Q{q}": self.duplicates_by_quarter.get((y, q), 0)
                                      for y, q in sorted(self.valid_by_quarter)},
        }


def outcome_summaries(outcomes: DataFrame, scoped: DataFrame) -> tuple[DataFrame, DataFrame]:
    """The run's summaries over the grouped outcomes (validate.group_outcomes) and their scoped valid
    rows, as two separate queries with the same columns: rows per split and
    reason, and per quarter and scope. Collected one after the other, both read a persisted
    `outcomes`; in one union Spark re-instances one side's plan, which then no longer matches
    the cached plan, and the whole input would be parsed and aggregated a second time."""
    per_split = outcomes.where(F.col("grouping") == OUTCOME_SUMMARY).select(
        F.lit("read").alias("kind"), "source_split", "reason", F.lit(None).cast("int").alias("year"),
        F.lit(None).cast("int").alias("quarter"), F.lit(None).cast("boolean").alias("in_scope"),
        F.col("rows").cast("bigint").alias("distinct_rows"), F.col("rows").cast("bigint").alias("rows"))
    per_quarter = scoped.groupBy("year", "quarter", "in_scope").agg(
        F.count(F.lit(1)).alias("distinct_rows"), F.sum("occurrences").alias("rows")).select(
        F.lit("scope").alias("kind"), F.lit(None).cast("int").alias("source_split"),
        F.lit(None).cast("string").alias("reason"), "year", "quarter", "in_scope",
        F.col("distinct_rows").cast("bigint"), F.col("rows").cast("bigint"))
    return per_split, per_quarter


def count_outcomes(outcomes: DataFrame, scoped: DataFrame) -> RunCounts:
    """The run's counts: collects the two small summaries one after the other (a few dozen rows)."""
    return tally_summary([row for summary in outcome_summaries(outcomes, scoped) for row in summary.collect()])


def tally_summary(summary_rows) -> RunCounts:
    """Folds the rows of outcome_summaries into the run's counts."""
    rows = list(summary_rows)
    return tally([r for r in rows if r["kind"] == "read"], [r for r in rows if r["kind"] == "scope"])


def tally(read_rows, scope_rows) -> RunCounts:
    """Folds the two summaries into the run's counts."""
    counts = RunCounts()
    for row in read_rows:
        split, reason, n = int(row["source_split"]), row["reason"], int(row["rows"])
        counts.rows_read += n
        counts.rows_per_split[split] = counts.rows_per_split.get(split, 0) + n
        if reason is None:
            counts.valid_before_dedup += n
        else:
            counts.by_reason[reason] = counts.by_reason.get(reason, 0) + n
            counts.rows_quarantined += n
    for row in scope_rows:
        distinct, occurrences = int(row["distinct_rows"]), int(row["rows"])
        counts.rows_duplicate += occurrences - distinct
        if row["in_scope"]:
            counts.rows_valid += distinct
            key = (int(row["year"]), int(row["quarter"]))
            counts.valid_by_quarter[key] = counts.valid_by_quarter.get(key, 0) + distinct
            counts.duplicates_by_quarter[key] = counts.duplicates_by_quarter.get(key, 0) + occurrences - distinct
        else:
            counts.rows_out_of_scope += distinct
    return counts


def split_offsets(outcomes: DataFrame) -> DataFrame:
    """Rows before each reader split (source_split, rows_before), from the per-split counts of the
    grouped outcomes (validate.group_outcomes), on the executors: source_row = rows_before +
    source_position + 1. One row per split, whatever their number. The rule as a query; the job
    takes the same offsets from its counts (settled_split_offsets), and the tests hold the two equal."""
    per_split = outcomes.where(F.col("grouping") == OUTCOME_SUMMARY).groupBy("source_split").agg(
        F.sum("rows").alias("split_rows"))
    # A few hundred rows at most (one per split of the input): one partition is right for them.
    before = F.sum("split_rows").over(Window.orderBy("source_split").rowsBetween(Window.unboundedPreceding, -1))
    return per_split.select("source_split", F.coalesce(before, F.lit(0)).cast("long").alias("rows_before"))


def settled_split_offsets(spark: SparkSession, counts: RunCounts) -> DataFrame:
    """split_offsets from the run's counts, which have each reader split's rows (count_outcomes),
    held as a small local table: one row per split (a few hundred at 100 GB), no Spark job. Joined
    as a query over the cached outcomes instead, the join's second reference to them missed the
    cache (the analyser gives a self-join's other side new attribute ids), and each quarantine write
    read and validated the whole input again (measured at 1 M rows: 31 s of an 82 s run); collected
    from that query, it cost three small Spark jobs.

    Made from an Arrow table, the rows are a LocalRelation in the plan (below
    spark.sql.execution.arrow.localRelationThreshold, 48 MB; Spark's ArrowConverters.toDataFrame),
    which the quarantine's broadcast reads on the driver. From a list of tuples they would be an
    RDD, and each broadcast of them a Spark job of its own that the quarantine's COPY waited for
    (4.6 s of a 1 M run's load, behind the other COPY jobs' tasks)."""
    import pyarrow as pa

    splits = sorted(counts.rows_per_split)
    rows_before = list(accumulate((counts.rows_per_split[split] for split in splits), initial=0))[:-1]
    return spark.createDataFrame(pa.table({"source_split": pa.array(splits, pa.int32()),
                                           "rows_before": pa.array(rows_before, pa.int64())}))


def check_identity(counts: RunCounts) -> None:
    """rows_read = rows_valid + rows_quarantined + rows_duplicate + rows_out_of_scope, and the valid
    rows that went into de-duplication all came out of it (as kept rows or duplicates)."""
    accounted = counts.rows_valid + counts.rows_quarantined + counts.rows_duplicate + counts.rows_out_of_scope
    if accounted != counts.rows_read:
        raise AccountingError(
            f"accounting identity violated: rows_read={counts.rows_read} but valid {counts.rows_valid} + "
            f"quarantined {counts.rows_quarantined} + duplicate {counts.rows_duplicate} + "
            f"out_of_scope {counts.rows_out_of_scope} = {accounted}"
        )
    after_dedup = counts.rows_valid + counts.rows_duplicate + counts.rows_out_of_scope
    if after_dedup != counts.valid_before_dedup:
        raise AccountingError(
            f"accounting identity violated: {counts.valid_before_dedup} valid rows went into de-duplication "
            f"but {after_dedup} came out"
        )
    if sum(counts.by_reason.values()) != counts.rows_quarantined:
        raise AccountingError("accounting identity violated: quarantined rows per reason do not add up")
