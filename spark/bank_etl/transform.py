"""Transform: the curated transactions, the quarterly features and the quarantine rows, as pure
DataFrame -> DataFrame functions over the output of validate.classify / validate.apply_scope."""

from __future__ import annotations

from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F


CURATED_COLUMNS = (
    "txn_date", "domain", "location", "value", "transaction_count", "value_per_transaction",
    "year", "quarter", "month", "day_of_week", "run_id",
)
FEATURE_COLUMNS = (
    "year", "quarter", "domain", "location", "row_count", "total_value", "total_transactions",
    "avg_value_per_transaction", "active_days", "domain_value_share",
)
QUARANTINE_COLUMNS = (
    "run_id", "input_sha256", "source_row", "raw_date", "raw_domain", "raw_location", "raw_value",
    "raw_transaction_count", "raw_record", "reason",
)


def curated_transactions(scoped: DataFrame, run_id: str) -> DataFrame:
    """The distinct valid rows in scope (validate.apply_scope) with the contract's curated columns."""
    valid = scoped.where(F.col("in_scope"))
    return valid.select(
        F.col("txn_date").cast("date").alias("txn_date"),
        F.col("domain"),
        F.col("location"),
        F.col("value").cast("bigint").alias("value"),
        F.col("transaction_count").cast("bigint").alias("transaction_count"),
        (F.col("value").cast("double") / F.col("transaction_count").cast("double")).alias("value_per_transaction"),
        F.col("year").cast("int").alias("year"),
        F.col("quarter").cast("int").alias("quarter"),
        F.month("txn_date").cast("int").alias("month"),
        (F.weekday("txn_date") + 1).cast("int").alias("day_of_week"),  # weekday: 0 = Monday
        F.lit(run_id).alias("run_id"),
    )


def quarterly_features(curated: DataFrame) -> DataFrame:
    """Per year, quarter, domain and location: counts, exact integer totals, and ratios."""
    # Two plain aggregations (per day, then per location) count active days exactly without the
    # costlier distinct-count plan.
    # The per-day rows are spread by quarter and domain, which both later steps group within: the
    # per-location aggregation and the domain's window then need no shuffle of their own (one
    # shuffle instead of two, and at 1 M rows two fewer Spark jobs). There are at most days x
    # domains x locations of them, however many rows the input has, so a few tasks take them.
    per_day = curated.groupBy("year", "quarter", "domain", "location", "txn_date").agg(
        F.count(F.lit(1)).alias("rows"),
        F.sum("value").alias("value"),  # ANSI: an overflow fails the run instead of wrapping
        F.sum("transaction_count").alias("transactions"),
    ).repartition("year", "quarter", "domain")
    per_location = per_day.groupBy("year", "quarter", "domain", "location").agg(
        F.sum("rows").cast("bigint").alias("row_count"),
        F.sum("value").cast("bigint").alias("total_value"),
        F.sum("transactions").cast("bigint").alias("total_transactions"),
        F.count(F.lit(1)).cast("int").alias("active_days"),
    )
    domain_total = F.sum("total_value").over(Window.partitionBy("year", "quarter", "domain"))
    return per_location.select(
        "year", "quarter", "domain", "location", "row_count", "total_value", "total_transactions",
        (F.col("total_value").cast("double") / F.col("total_transactions").cast("double")).alias(
            "avg_value_per_transaction"
        ),
        "active_days",
        F.when(domain_total > 0, F.col("total_value").cast("double") / domain_total.cast("double"))
        .otherwise(F.lit(0.0))
        .alias("domain_value_share"),
    )


def _text_safe(column: str):
    """PostgreSQL text cannot hold NUL characters; the quarantine keeps everything else verbatim."""
    return F.regexp_replace(F.col(column), "\u0000", "\ufffd").alias(column)


def quarantine_rows(classified: DataFrame, run_id: str, input_sha256: str, split_offsets: DataFrame) -> DataFrame:
    """Every row that failed a rule (validate.classify), with its raw text, its reason and its
    1-based data record number: `split_offsets` (accounting.split_offsets) has the rows before each
    reader split, joined in whatever the number of splits (the table is small: it is broadcast)."""
    rejected = classified.where(F.col("reason").isNotNull()).join(F.broadcast(split_offsets), "source_split", "left")
    return rejected.select(
        F.lit(run_id).alias("run_id"),
        F.lit(input_sha256).alias("input_sha256"),
        (F.coalesce(F.col("rows_before"), F.lit(0).cast("long")) + F.col("source_position") + 1).cast("bigint").alias("source_row"),
        *(_text_safe(c) for c in ("raw_date", "raw_domain", "raw_location", "raw_value", "raw_transaction_count", "raw_record")),
        F.col("reason"),
    )
