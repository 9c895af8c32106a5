"""Validate and normalise: the contract's rules, as pure DataFrame -> DataFrame functions.

Nothing here can raise on a bad cell under Spark's ANSI mode: text is matched with regular
expressions before it is converted, and conversions use try_* functions.
"""

from __future__ import annotations

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F

DOMAINS = ("RESTAURANT", "INVESTMENTS", "RETAIL", "INTERNATIONAL", "PUBLIC", "MEDICAL", "EDUCATION")
DOMAIN_SPELLINGS = {"RESTRAUNT": "RESTAURANT"}  # the published file's spelling

# Reason codes, in the order the rules are applied; a row gets the first that applies.
REASONS = ("malformed", "bad_date", "bad_domain", "bad_location", "bad_value", "bad_transaction_count")

OUTCOME_VALID = "valid"
OUTCOME_QUARANTINED = "quarantined"
OUTCOME_DUPLICATE = "duplicate"
OUTCOME_OUT_OF_SCOPE = "out_of_scope"

NORMALISED_FIELDS = ("txn_date", "domain", "location", "value", "transaction_count")

ISO_DATE = r"^(\d{4})-(\d{2})-(\d{2})( 00:00:00)?$"
US_DATE = r"^(\d{1,2})/(\d{1,2})/(\d{4})$"
WHOLE_NUMBER = r"^([0-9]+)(\.0+)?$"


def _strip(column: Column) -> Column:
    """Trims any whitespace (Spark's trim only removes spaces)."""
    return F.regexp_replace(column, r"^\s+|\s+$", "")


def parse_date(raw: Column) -> Column:
    """YYYY-MM-DD (optionally with a 00:00:00 time part) or M/D/YYYY; null unless a real calendar date."""
    text = _strip(raw)
    iso = text.rlike(ISO_DATE)
    us = text.rlike(US_DATE)

    def part(iso_group: int, us_group: int) -> Column:
        return (
            F.when(iso, F.regexp_extract(text, ISO_DATE, iso_group))
            .when(us, F.regexp_extract(text, US_DATE, us_group))
            .cast("int")  # at most four digits: cannot overflow
        )

    year, month, day = part(1, 3), part(2, 1), part(3, 2)
    stamp = F.try_make_timestamp_ntz(year, month, day, F.lit(0), F.lit(0), F.lit(0))
    return F.when(year >= 1, stamp.cast("date"))


def normalise_domain(raw: Column) -> Column:
    """Trimmed and upper-cased, the source spelling corrected; null unless a known domain."""
    text = F.upper(_strip(raw))
    for spelling, domain in DOMAIN_SPELLINGS.items():
        text = F.when(text == spelling, F.lit(domain)).otherwise(text)
    return F.when(text.isin(*DOMAINS), text)


def normalise_location(raw: Column) -> Column:
    """Trimmed, inner whitespace collapsed to one space, title-cased; null when empty."""
    text = F.initcap(F.regexp_replace(_strip(raw), r"\s+", " "))
    return F.when(F.length(text) > 0, text)


def parse_whole_number(raw: Column, minimum: int) -> Column:
    """`365554` or `365554.0` as a bigint >= minimum; null for anything else (signs, exponents,
    fractions, thousands separators, numbers beyond bigint)."""
    text = _strip(raw)
    number = F.regexp_extract(text, WHOLE_NUMBER, 1).try_cast("bigint")
    return F.when(text.rlike(WHOLE_NUMBER) & (number >= minimum), number)


def classify(raw: DataFrame) -> DataFrame:
    """Adds the normalised fields and `reason` (null for a valid row, else the first failing rule)."""
    normalised = raw.select(
        "*",
        parse_date(F.col("raw_date")).alias("txn_date"),
        normalise_domain(F.col("raw_domain")).alias("domain"),
        normalise_location(F.col("raw_location")).alias("location"),
        parse_whole_number(F.col("raw_value"), 0).alias("value"),
        parse_whole_number(F.col("raw_transaction_count"), 1).alias("transaction_count"),
    )
    reason = (
        F.when(F.col("malformed"), F.lit("malformed"))
        .when(F.col("txn_date").isNull(), F.lit("bad_date"))
        .when(F.col("domain").isNull(), F.lit("bad_domain"))
        .when(F.col("location").isNull(), F.lit("bad_location"))
        .when(F.col("value").isNull(), F.lit("bad_value"))
        .when(F.col("transaction_count").isNull(), F.lit("bad_transaction_count"))
    )
    return normalised.withColumn("reason", reason)


def mark_outcomes(classified: DataFrame, quarters: list[tuple[int, int]] | None) -> DataFrame:
    """Adds `year`, `quarter` and `outcome` to classified rows.

    A valid row whose five normalised fields equal an earlier (lower source_row) valid row's is a
    duplicate; the earliest one is kept. Duplicates are found over the whole file, before the
    scope is applied. `quarters` None means every quarter is in scope.
    """
    first_seen = Window.partitionBy(*NORMALISED_FIELDS).orderBy("source_row")
    is_valid = F.col("reason").isNull()
    with_quarter = classified.select(
        "*",
        F.year("txn_date").alias("year"),
        F.quarter("txn_date").alias("quarter"),
        F.when(is_valid, F.row_number().over(first_seen)).alias("_occurrence"),
    )
    if quarters is None:
        in_scope = F.lit(True)
    else:
        in_scope = F.lit(False)
        for year, quarter in quarters:
            in_scope = in_scope | ((F.col("year") == year) & (F.col("quarter") == quarter))
    outcome = (
        F.when(~is_valid, F.lit(OUTCOME_QUARANTINED))
        .when(F.col("_occurrence") > 1, F.lit(OUTCOME_DUPLICATE))
        .when(~in_scope, F.lit(OUTCOME_OUT_OF_SCOPE))
        .otherwise(F.lit(OUTCOME_VALID))
    )
    return with_quarter.withColumn("outcome", outcome).drop("_occurrence")
