"""Accounting: counting each row's outcome and checking the contract's identity
rows_read = rows_valid + rows_quarantined + rows_duplicate + rows_out_of_scope."""

from __future__ import annotations

from dataclasses import dataclass, field

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from .validate import REASONS


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

    def as_record(self) -> dict[str, object]:
        return {
            "rows_read": self.rows_read,
            "rows_valid": self.rows_valid,
            "rows_quarantined": self.rows_quarantined,
            "rows_duplicate": self.rows_duplicate,
            "rows_out_of_scope": self.rows_out_of_scope,
            "quarantined_by_reason": {r: self.by_reason.get(r, 0) for r in REASONS},
            "valid_by_quarter": {f"{y}-Q{q}": n for (y, q), n in sorted(self.valid_by_quarter.items())},
        }


def reason_summary(classified: DataFrame) -> DataFrame:
    """Quarantined rows per reason code."""
    return classified.where(F.col("reason").isNotNull()).groupBy("reason").agg(F.count(F.lit(1)).alias("rows"))


def scope_summary(scoped: DataFrame) -> DataFrame:
    """Per quarter and scope: distinct valid rows, and all valid rows including duplicates."""
    return scoped.groupBy("year", "quarter", "in_scope").agg(
        F.count(F.lit(1)).alias("distinct_rows"), F.sum("occurrences").alias("rows")
    )


def tally(rows_read: int, reason_rows, scope_rows) -> RunCounts:
    """Folds the two summaries into the run's counts. rows_read comes from the reader, so the
    identity check below catches rows lost or invented between reading and loading."""
    counts = RunCounts(rows_read=rows_read)
    for row in reason_rows:
        counts.by_reason[row["reason"]] = int(row["rows"])
        counts.rows_quarantined += int(row["rows"])
    for row in scope_rows:
        distinct, occurrences = int(row["distinct_rows"]), int(row["rows"])
        counts.rows_duplicate += occurrences - distinct
        if row["in_scope"]:
            counts.rows_valid += distinct
            key = (int(row["year"]), int(row["quarter"]))
            counts.valid_by_quarter[key] = counts.valid_by_quarter.get(key, 0) + distinct
        else:
            counts.rows_out_of_scope += distinct
    return counts


def check_identity(counts: RunCounts) -> None:
    accounted = counts.rows_valid + counts.rows_quarantined + counts.rows_duplicate + counts.rows_out_of_scope
    if accounted != counts.rows_read:
        raise AccountingError(
            f"accounting identity violated: rows_read={counts.rows_read} but valid {counts.rows_valid} + "
            f"quarantined {counts.rows_quarantined} + duplicate {counts.rows_duplicate} + "
            f"out_of_scope {counts.rows_out_of_scope} = {accounted}"
        )
    if sum(counts.by_reason.values()) != counts.rows_quarantined:
        raise AccountingError("accounting identity violated: quarantined rows per reason do not add up")
