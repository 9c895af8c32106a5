"""The contract's validation and normalisation rules, one behaviour per test."""

import datetime as dt

from bank_etl.extract import RAW_SCHEMA
from bank_etl.validate import apply_scope, classify, distinct_valid, group_outcomes

GOOD = ("1/1/2022", "RESTRAUNT", "Bhuj", "365554", "1932")


def raw_frame(spark, *records, malformed=()):
    rows = [
        (0, i, *fields, None if i not in malformed else ",".join(f or "" for f in fields), i in malformed)
        for i, fields in enumerate(records)
    ]
    return spark.createDataFrame(rows, RAW_SCHEMA)


def classify_one(spark, date=GOOD[0], domain=GOOD[1], location=GOOD[2], value=GOOD[3], count=GOOD[4]):
    return classify(raw_frame(spark, (date, domain, location, value, count))).collect()[0]


FIELDS = ("date", "domain", "location", "value", "count")


def classify_variants(spark, field, texts):
    """Classifies GOOD with one field replaced by each text in turn (one Spark job), in order."""
    index = FIELDS.index(field)
    records = [GOOD[:index] + (text,) + GOOD[index + 1:] for text in texts]
    return sorted(classify(raw_frame(spark, *records)).collect(), key=lambda r: r.source_position)


def test_accepts_a_row_of_the_published_file(spark):
    row = classify_one(spark)
    assert row.reason is None
    assert (row.txn_date, row.domain, row.location, row.value, row.transaction_count) == (
        dt.date(2022, 1, 1), "RESTAURANT", "Bhuj", 365554, 1932)


def test_quarantines_a_record_with_the_wrong_number_of_fields_as_malformed(spark):
    row = classify(raw_frame(spark, GOOD, malformed=(0,))).collect()[0]
    assert row.reason == "malformed"
    assert row.raw_record == "1/1/2022,RESTRAUNT,Bhuj,365554,1932"


def test_parses_the_accepted_date_spellings(spark):
    cases = {
        "2022-03-04": dt.date(2022, 3, 4),
        "2022-03-04 00:00:00": dt.date(2022, 3, 4),
        "3/4/2022": dt.date(2022, 3, 4),
        "03/04/2022": dt.date(2022, 3, 4),
        " 12/31/2022 ": dt.date(2022, 12, 31),
        "2/29/2024": dt.date(2024, 2, 29),
    }
    rows = classify_variants(spark, "date", list(cases))
    assert [(r.reason, r.txn_date) for r in rows] == [(None, d) for d in cases.values()]


def test_quarantines_anything_else_as_bad_date(spark):
    texts = ["2/29/2022", "2/30/2022", "13/1/2022", "31/12/2022", "2022-13-01", "2022-1-5", "2022/01/05",
             "2022-01-01 10:30:00", "2022-01-01T00:00:00", "1/1/22", "12022-01-01", "yesterday", "", None, "44562"]
    assert [r.reason for r in classify_variants(spark, "date", texts)] == ["bad_date"] * len(texts)


def test_normalises_domains_and_the_source_spelling_restraunt(spark):
    cases = {"RESTRAUNT": "RESTAURANT", "restaurant": "RESTAURANT", "  Investments ": "INVESTMENTS",
             "retail": "RETAIL", "INTERNATIONAL": "INTERNATIONAL", "public": "PUBLIC", "Medical": "MEDICAL",
             "education\t": "EDUCATION", "restraunt": "RESTAURANT"}
    rows = classify_variants(spark, "domain", list(cases))
    assert [(r.reason, r.domain) for r in rows] == [(None, d) for d in cases.values()]


def test_quarantines_an_unknown_domain_as_bad_domain(spark):
    texts = ["GROCERY", "RESTAURANTS", "", "   ", None, "RE TAIL"]
    assert [r.reason for r in classify_variants(spark, "domain", texts)] == ["bad_domain"] * len(texts)


def test_normalises_locations(spark):
    cases = {"bhuj": "Bhuj", "  NEW   DELHI ": "New Delhi", "navi\tmumbai": "Navi Mumbai", "Goa": "Goa"}
    rows = classify_variants(spark, "location", list(cases))
    assert [(r.reason, r.location) for r in rows] == [(None, c) for c in cases.values()]


def test_quarantines_an_empty_location_as_bad_location(spark):
    texts = ["", "   ", "\t", None]
    assert [r.reason for r in classify_variants(spark, "location", texts)] == ["bad_location"] * len(texts)


def test_accepts_whole_number_values(spark):
    cases = {"365554": 365554, "365554.0": 365554, "0": 0, " 12.00 ": 12, "9223372036854775807": 9223372036854775807}
    rows = classify_variants(spark, "value", list(cases))
    assert [(r.reason, r.value) for r in rows] == [(None, v) for v in cases.values()]


def test_quarantines_anything_else_as_bad_value(spark):
    texts = ["-5", "12.5", "1e5", "1,000", "abc", "", None, "+5", "9223372036854775808", "0x10", "1 000"]
    assert [r.reason for r in classify_variants(spark, "value", texts)] == ["bad_value"] * len(texts)


def test_accepts_a_transaction_count_of_one_or_more(spark):
    rows = classify_variants(spark, "count", ["1", "1932", "1932.0"])
    assert [(r.reason, r.transaction_count) for r in rows] == [(None, 1), (None, 1932), (None, 1932)]


def test_quarantines_a_transaction_count_below_one_or_not_whole_as_bad_transaction_count(spark):
    texts = ["0", "0.0", "-1", "2.5", "", "x", None]
    assert [r.reason for r in classify_variants(spark, "count", texts)] == ["bad_transaction_count"] * len(texts)


def test_gives_a_row_the_first_failing_rule_in_the_contract_order(spark):
    raw = raw_frame(
        spark,
        ("x", "x", "", "x", "x"),
        ("x", "x", "", "x", "x"),
        ("1/1/2022", "x", "", "x", "x"),
        ("1/1/2022", "RETAIL", "", "x", "x"),
        ("1/1/2022", "RETAIL", "Goa", "x", "x"),
        malformed=(0,),
    )
    rows = sorted(classify(raw).collect(), key=lambda r: r.source_position)
    assert [r.reason for r in rows] == ["malformed", "bad_date", "bad_domain", "bad_location", "bad_value"]


def test_keeps_the_raw_text_of_a_quarantined_row(spark):
    row = classify_one(spark, date="2022-02-30", domain=" retail ")
    assert (row.reason, row.raw_date, row.raw_domain, row.raw_value) == ("bad_date", "2022-02-30", " retail ", "365554")


def test_does_not_crash_on_pathological_cells_under_ansi_mode(spark):
    assert spark.conf.get("spark.sql.ansi.enabled") == "true"
    weird = ("99999/99999/99999", "\u0000", "\u00a0", "9" * 40, "-" * 5)
    rows = classify(raw_frame(spark, weird, ("0000-00-00", "X", "Y", "1" * 19, "0.0000"))).collect()
    assert [r.reason for r in rows] == ["bad_date", "bad_date"]


def test_finds_duplicates_after_normalisation(spark):
    raw = raw_frame(
        spark,
        GOOD,
        ("2022-01-01", " restraunt ", "BHUJ", "365554.0", "1932"),  # the same record, spelled differently
        ("2022-01-01 00:00:00", "RESTAURANT", "bhuj", "365554", "1932.0"),
        ("1/1/2022", "RESTRAUNT", "Bhuj", "365555", "1932"),  # a different value: not a duplicate
    )
    distinct = distinct_valid(group_outcomes(classify(raw))).orderBy("value").collect()
    assert [(r.value, r.occurrences) for r in distinct] == [(365554, 3), (365555, 1)]


def test_does_not_count_quarantined_rows_as_duplicates(spark):
    raw = raw_frame(spark, ("1/1/2022", "X", "Bhuj", "1", "1"), ("1/1/2022", "X", "Bhuj", "1", "1"))
    assert distinct_valid(group_outcomes(classify(raw))).count() == 0


def test_marks_rows_outside_the_selected_quarter_out_of_scope(spark):
    raw = raw_frame(spark, ("3/31/2022", "RETAIL", "Goa", "1", "1"), ("4/1/2022", "RETAIL", "Goa", "1", "1"))
    scoped = apply_scope(distinct_valid(group_outcomes(classify(raw))), [(2022, 2)]).orderBy("txn_date").collect()
    assert [(r.quarter, r.in_scope) for r in scoped] == [(1, False), (2, True)]


def test_keeps_every_quarter_in_scope_with_all(spark):
    raw = raw_frame(spark, ("3/31/2021", "RETAIL", "Goa", "1", "1"), ("4/1/2022", "RETAIL", "Goa", "1", "1"))
    assert all(r.in_scope for r in apply_scope(distinct_valid(group_outcomes(classify(raw))), None).collect())
