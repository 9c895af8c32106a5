"""Validate and normalise: the contract's rules, as pure DataFrame -> DataFrame functions.

Nothing here can raise on a bad cell under Spark's ANSI mode: text is matched with regular
expressions before it is converted, and conversions use try_* functions.
"""

from __future__ import annotations

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

DOMAINS = ("RESTAURANT", "INVESTMENTS", "RETAIL", "INTERNATIONAL", "PUBLIC", "MEDICAL", "EDUCATION")
DOMAIN_SPELLINGS = {"RESTRAUNT": "RESTAURANT"}  # the published file's spelling

# Reason codes, in the order the rules are applied; a row gets the first that applies.
REASONS = ("malformed", "bad_date", "bad_domain", "bad_location", "bad_value", "bad_transaction_count")

NORMALISED_FIELDS = ("txn_date", "domain", "location", "value", "transaction_count")

# The accepted spellings of a date: YYYY-MM-DD (optionally with a 00:00:00 time part) or M/D/YYYY.
DATE_SHAPE = r"^(\d{4}-\d{2}-\d{2}( 00:00:00)?|\d{1,2}/\d{1,2}/\d{4})$"
WHOLE_NUMBER = r"^[0-9]+(\.0+)?$"
WHITESPACE = " \t\r\n\f\u000b"


def _strip(column: Column) -> Column:
    """Trims surrounding whitespace (Spark's one-argument trim only removes spaces)."""
    return F.btrim(column, F.lit(WHITESPACE))


def parse_date(raw: Column) -> Column:
    """YYYY-MM-DD (optionally with a 00:00:00 time part) or M/D/YYYY; null unless a real calendar
    date. The shape is checked first, so the strict parsers below only see well-formed text."""
    text = _strip(raw)
    iso = F.substring(text, 5, 1) == "-"
    parsed = F.when(iso, F.try_to_timestamp(F.substring(text, 1, 10), F.lit("yyyy-MM-dd"))).otherwise(
        F.try_to_timestamp(text, F.lit("M/d/yyyy"))
    )
    return F.when(text.rlike(DATE_SHAPE), parsed.cast("date"))


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
    number = F.substring_index(text, ".", 1).try_cast("bigint")
    return F.when(text.rlike(WHOLE_NUMBER) & (number >= minimum), number)


RAW_FIELDS = ("raw_date", "raw_domain", "raw_location", "raw_value", "raw_transaction_count", "raw_record")


def classify(raw: DataFrame) -> DataFrame:
    """Adds the normalised fields and `reason` (null for a valid row, else the first failing rule).

    The raw text is kept only on rejected rows, which the quarantine needs; valid rows carry
    their normalised fields instead (this keeps the cached rows small).
    """
    normalised = raw.select(
        "source_split",
        "source_position",
        *RAW_FIELDS,
        "malformed",
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
    with_reason = normalised.withColumn("reason", reason)
    rejected = F.col("reason").isNotNull()
    return with_reason.select(
        "source_split",
        "source_position",
        *(F.when(rejected, F.col(c)).alias(c) for c in RAW_FIELDS),
        *NORMALISED_FIELDS,
        "reason",
    )


def deduplicate(classified: DataFrame) -> DataFrame:
    """One row per distinct valid record (equal in all five normalised fields), with the number of
    times it occurs in the file. Every occurrence after the first is a duplicate; as the copies
    are identical, which one is kept does not change any output."""
    return (
        classified.where(F.col("reason").isNull())
        .groupBy(*NORMALISED_FIELDS)
        .agg(F.count(F.lit(1)).alias("occurrences"))
    )


def in_quarter(year: int, quarter: int) -> Column:
    """True for rows of one quarter (rows with `year` and `quarter` columns)."""
    return (F.col("year") == year) & (F.col("quarter") == quarter)


def apply_scope(distinct: DataFrame, quarters: list[tuple[int, int]] | None) -> DataFrame:
    """Adds `year`, `quarter` and `in_scope`; `quarters` None means every quarter is in scope."""
    with_quarter = distinct.withColumn("year", F.year("txn_date")).withColumn("quarter", F.quarter("txn_date"))
    if quarters is None:
        in_scope = F.lit(True)
    else:
        in_scope = F.lit(False)
        for year, quarter in quarters:
            in_scope = in_scope | in_quarter(year, quarter)
    return with_quarter.withColumn("in_scope", in_scope)
