"""Curated columns and quarterly features against hand-computed values."""

import datetime as dt

import pytest

from bank_etl.accounting import AccountingError, RunCounts, check_identity, tally
from bank_etl.extract import RAW_SCHEMA
from bank_etl.transform import CURATED_COLUMNS, FEATURE_COLUMNS, curated_transactions, quarterly_features
from bank_etl.validate import apply_scope, classify, distinct_valid, group_outcomes


def scoped_frame(spark, records, quarters=None):
    rows = [(0, i, *r, None, False) for i, r in enumerate(records)]
    return apply_scope(distinct_valid(group_outcomes(classify(spark.createDataFrame(rows, RAW_SCHEMA)))), quarters)


def test_builds_the_curated_columns_with_the_contract_types(spark):
    curated = curated_transactions(scoped_frame(spark, [("1/2/2022", "RESTRAUNT", "bhuj", "300", "4")]), "run-1")
    assert tuple(curated.columns) == CURATED_COLUMNS
    assert dict(curated.dtypes) == {
        "txn_date": "date", "domain": "string", "location": "string", "value": "bigint",
        "transaction_count": "bigint", "value_per_transaction": "double", "year": "int", "quarter": "int",
        "month": "int", "day_of_week": "int", "run_id": "string"}
    row = curated.collect()[0]
    assert row.asDict() == {
        "txn_date": dt.date(2022, 1, 2), "domain": "RESTAURANT", "location": "Bhuj", "value": 300,
        "transaction_count": 4, "value_per_transaction": 75.0, "year": 2022, "quarter": 1, "month": 1,
        "day_of_week": 7, "run_id": "run-1"}  # 2022-01-02 was a Sunday


def test_numbers_days_of_the_week_from_monday_as_one(spark):
    records = [(f"1/{d}/2022", "RETAIL", "Goa", "1", "1") for d in range(3, 10)]  # Monday 3rd .. Sunday 9th
    rows = curated_transactions(scoped_frame(spark, records), "r").orderBy("txn_date").collect()
    assert [r.day_of_week for r in rows] == [1, 2, 3, 4, 5, 6, 7]


def test_leaves_rows_outside_the_scope_out_of_the_curated_table(spark):
    records = [("3/31/2022", "RETAIL", "Goa", "1", "1"), ("4/1/2022", "RETAIL", "Goa", "2", "1")]
    rows = curated_transactions(scoped_frame(spark, records, [(2022, 2)]), "r").collect()
    assert [r.value for r in rows] == [2]


def test_computes_quarterly_features_as_worked_out_by_hand(spark):
    records = [
        ("1/3/2022", "RETAIL", "Goa", "100", "4"),
        ("1/3/2022", "RETAIL", "Goa", "50", "1"),
        ("2/10/2022", "RETAIL", "Goa", "150", "5"),
        ("1/3/2022", "RETAIL", "Bhuj", "700", "10"),
        ("1/3/2022", "MEDICAL", "Goa", "9000000000", "3"),  # a total beyond 32-bit integers
        ("1/4/2022", "MEDICAL", "Goa", "9000000000", "3"),
        ("4/1/2022", "RETAIL", "Goa", "10", "1"),
    ]
    features = quarterly_features(curated_transactions(scoped_frame(spark, records), "r"))
    assert tuple(features.columns) == FEATURE_COLUMNS
    assert dict(features.dtypes)["total_value"] == "bigint" and dict(features.dtypes)["active_days"] == "int"
    got = {(r.year, r.quarter, r.domain, r.location): r.asDict() for r in features.collect()}
    goa_q1 = got[(2022, 1, "RETAIL", "Goa")]
    assert (goa_q1["row_count"], goa_q1["total_value"], goa_q1["total_transactions"], goa_q1["active_days"]) == (3, 300, 10, 2)
    assert goa_q1["avg_value_per_transaction"] == pytest.approx(30.0)
    assert goa_q1["domain_value_share"] == pytest.approx(300 / 1000)
    assert got[(2022, 1, "RETAIL", "Bhuj")]["domain_value_share"] == pytest.approx(700 / 1000)
    medical = got[(2022, 1, "MEDICAL", "Goa")]
    assert (medical["total_value"], medical["active_days"], medical["domain_value_share"]) == (18_000_000_000, 2, 1.0)
    assert got[(2022, 2, "RETAIL", "Goa")]["domain_value_share"] == 1.0
    assert len(got) == 4


def test_computes_quarterly_features_with_one_shuffle_after_the_per_day_totals(spark):
    import re

    records = [(f"{m}/{d}/2022", domain, place, "10", "1") for m in (1, 5) for d in (1, 2)
               for domain in ("RETAIL", "MEDICAL") for place in ("Goa", "Bhuj")]
    features = quarterly_features(curated_transactions(scoped_frame(spark, records), "r"))
    plan = features._jdf.queryExecution().executedPlan().toString()
    # Above the scoped rows' own shuffle (validation's aggregation): the per-day totals' shuffle,
    # then one that serves both the per-location totals and the domain's window.
    assert len(re.findall(r"Exchange hashpartitioning", plan)) == 3
    assert features.count() == 8


def test_tallies_counts_and_accepts_a_balanced_run():
    read = [{"source_split": 0, "reason": None, "rows": 10}, {"source_split": 0, "reason": "bad_date", "rows": 2},
            {"source_split": 1, "reason": None, "rows": 5}]
    scope = [{"year": 2022, "quarter": 1, "in_scope": True, "distinct_rows": 9, "rows": 11},
             {"year": 2022, "quarter": 2, "in_scope": False, "distinct_rows": 4, "rows": 4}]
    counts = tally(read, scope)
    assert (counts.rows_read, counts.rows_valid, counts.rows_quarantined, counts.rows_duplicate,
            counts.rows_out_of_scope) == (17, 9, 2, 2, 4)
    check_identity(counts)


def test_fails_a_run_whose_counts_do_not_add_up():
    with pytest.raises(AccountingError, match="identity"):
        check_identity(RunCounts(rows_read=10, rows_valid=8, rows_quarantined=1, valid_before_dedup=8))
