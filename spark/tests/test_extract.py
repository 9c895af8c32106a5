"""Ingest: CSV and XLSX into the raw shape, header matching, malformed records and row numbers."""

import datetime as dt

import pytest

from bank_etl.accounting import count_outcomes, settled_split_offsets, split_offsets
from bank_etl.extract import InputError, cell_text, extract, match_required_columns, resolve_input
from bank_etl.fs import LocalFs
from bank_etl.transform import quarantine_rows
from bank_etl.validate import apply_scope, classify, distinct_valid, group_outcomes, rejected_rows

from conftest import write_csv


def rows_of(extracted):
    return sorted(extracted.raw.collect(), key=lambda r: (r.source_split, r.source_position))


def test_matches_header_names_case_insensitively_after_trimming():
    assert match_required_columns([" DATE", "domain ", "Location", "VALUE", "transaction_COUNT"]) == {
        "date": 0, "domain": 1, "location": 2, "value": 3, "transaction_count": 4}


def test_fails_on_a_missing_required_column_naming_it():
    with pytest.raises(InputError, match="transaction_count"):
        match_required_columns(["Date", "Domain", "Location", "Value"])


def test_reads_a_csv_with_reordered_and_extra_columns(spark, tmp_path):
    path = write_csv(tmp_path / "in.csv", [["Bhuj", "x", "1/1/2022", "1932", "365554", "RESTRAUNT"]],
                     header=["location", "Comment", "DATE", "Transaction_Count", "value", "Domain"])
    row = rows_of(extract(spark, LocalFs(), str(path)))[0]
    assert (row.raw_date, row.raw_domain, row.raw_location, row.raw_value, row.raw_transaction_count) == (
        "1/1/2022", "RESTRAUNT", "Bhuj", "365554", "1932")
    assert row.malformed is False


def test_flags_records_with_too_many_or_too_few_fields_as_malformed(spark, tmp_path):
    path = tmp_path / "in.csv"
    path.write_text("Date,Domain,Location,Value,Transaction_count\n"
                    "1/1/2022,RETAIL,Goa,1,1\n1/1/2022,RETAIL,Goa,1,1,extra\n1/1/2022,RETAIL,Goa,1\n")
    rows = rows_of(extract(spark, LocalFs(), str(path)))
    assert [r.malformed for r in rows] == [False, True, True]
    assert rows[1].raw_record == "1/1/2022,RETAIL,Goa,1,1,extra"


def test_reads_rfc4180_quoting_a_bom_crlf_line_ends_and_skips_blank_lines(spark, tmp_path):
    path = tmp_path / "in.csv"
    path.write_bytes(b"\xef\xbb\xbfDate,Domain,Location,Value,Transaction_count\r\n"
                     b'1/1/2022,RETAIL,"Navi, ""Mumbai""",1,1\r\n\r\n1/2/2022,RETAIL,Goa,2,2\r\n')
    rows = rows_of(extract(spark, LocalFs(), str(path)))
    assert [r.raw_location for r in rows] == ['Navi, "Mumbai"', "Goa"]
    assert not any(r.malformed for r in rows)


def test_fails_before_reading_when_a_required_column_is_missing(spark, tmp_path):
    path = write_csv(tmp_path / "in.csv", [["1/1/2022", "RETAIL", "Goa", "1"]],
                     header=["Date", "Domain", "Location", "Value"])
    with pytest.raises(InputError, match="missing required column"):
        extract(spark, LocalFs(), str(path))


def test_numbers_quarantined_rows_by_their_data_record_across_reader_splits(spark, tmp_path):
    path = tmp_path / "in.csv"
    lines = ["Date,Domain,Location,Value,Transaction_count"]
    bad = {7, 1500, 2999}
    for n in range(1, 3001):
        lines.append(f"1/1/2022,{'BAD' if n in bad else 'RETAIL'},Goa,{n},1")
    path.write_text("\n".join(lines) + "\n")
    spark.conf.set("spark.sql.files.maxPartitionBytes", "16384")  # several splits for a 100 kB file
    try:
        outcomes = group_outcomes(classify(extract(spark, LocalFs(), str(path)).raw)).cache()
        counts = count_outcomes(outcomes, apply_scope(distinct_valid(outcomes), None))
        assert len(counts.rows_per_split) > 1
        rejected = quarantine_rows(rejected_rows(outcomes), "run", "sha", settled_split_offsets(spark, counts)).collect()
    finally:
        spark.conf.unset("spark.sql.files.maxPartitionBytes")
    assert counts.rows_read == 3000
    assert sorted((r.source_row, r.raw_value) for r in rejected) == [(n, str(n)) for n in sorted(bad)]


def test_split_offsets_come_from_the_run_counts_without_a_spark_job(spark, tmp_path):
    path = write_csv(tmp_path / "in.csv", [["1/1/2022", "RETAIL", "Goa", str(n), "1"] for n in range(3000)])
    spark.conf.set("spark.sql.files.maxPartitionBytes", "16384")  # several splits
    outcomes = group_outcomes(classify(extract(spark, LocalFs(), str(path)).raw)).cache()
    try:
        counts = count_outcomes(outcomes, apply_scope(distinct_valid(outcomes), None))
        assert len(counts.rows_per_split) > 1
        context = spark.sparkContext
        context.setJobGroup("split-offsets", "settled_split_offsets")
        try:
            settled = settled_split_offsets(spark, counts)
            jobs = context.statusTracker().getJobIdsForGroup("split-offsets")
        finally:
            context.setLocalProperty("spark.jobGroup.id", None)
        assert jobs == []
        assert sorted(settled.collect()) == sorted(split_offsets(outcomes).collect())
    finally:
        spark.conf.unset("spark.sql.files.maxPartitionBytes")
        outcomes.unpersist()


def test_split_offsets_are_broadcast_from_the_driver_without_a_spark_job(spark):
    from bank_etl.accounting import RunCounts

    settled = settled_split_offsets(spark, RunCounts(rows_per_split={0: 5, 1: 7, 2: 3}))
    plan = settled._jdf.queryExecution().executedPlan().toString()
    # A LocalTableScan collects on the driver; an RDD scan (Scan ExistingRDD) would be a job per broadcast.
    assert plan.startswith("LocalTableScan") and "ExistingRDD" not in plan
    assert sorted(tuple(r) for r in settled.collect()) == [(0, 0), (1, 5), (2, 12)]
    assert settled.schema.simpleString() == "struct<source_split:int,rows_before:bigint>"


def test_numbering_quarantined_rows_is_the_same_plan_however_many_splits_the_input_has(spark, tmp_path):
    """A billion-row input has thousands of splits: the numbering must not add to the plan per split."""
    import re

    path = write_csv(tmp_path / "in.csv", [[f"1/{n % 28 + 1}/2022", "BAD" if n % 7 else "RETAIL", "Goa", str(n), "1"]
                                          for n in range(3000)])

    def plan(max_partition_bytes: str) -> str:
        spark.conf.set("spark.sql.files.maxPartitionBytes", max_partition_bytes)
        try:
            outcomes = group_outcomes(classify(extract(spark, LocalFs(), str(path)).raw)).cache()
            counts = count_outcomes(outcomes, apply_scope(distinct_valid(outcomes), None))
            quarantine = quarantine_rows(rejected_rows(outcomes), "run", "sha", split_offsets(outcomes))
            text = quarantine._jdf.queryExecution().logical().toString()
            outcomes.unpersist()
            return len(counts.rows_per_split), re.sub(r"#\d+L?", "", text)
        finally:
            spark.conf.unset("spark.sql.files.maxPartitionBytes")

    (one, one_plan), (many, many_plan) = plan(str(1 << 30)), plan("4096")
    assert (one, many > 10) == (1, True)
    assert many_plan == one_plan


def test_picks_the_newest_landed_file_in_a_directory(spark, tmp_path):
    import os
    older = write_csv(tmp_path / "a.csv", [])
    write_csv(tmp_path / "b.xlsx", [])
    (tmp_path / "notes.txt").write_text("ignored")
    os.utime(older, (1_000_000, 1_000_000))
    assert resolve_input(LocalFs(), str(tmp_path)).path.endswith("/b.xlsx")


def test_converts_xlsx_cells_to_the_text_a_csv_would_hold():
    assert cell_text(dt.datetime(2022, 1, 1)) == "2022-01-01"
    assert cell_text(dt.date(2022, 1, 1)) == "2022-01-01"
    assert cell_text(dt.datetime(2022, 1, 1, 10, 30)) == "2022-01-01 10:30:00"
    assert cell_text(365554.0) == "365554"
    assert cell_text(12.5) == "12.5"
    assert cell_text("1/1/2022") == "1/1/2022"
    assert cell_text("") is None and cell_text(None) is None


def test_reads_the_first_sheet_of_an_xlsx_with_date_cells_text_and_extra_cells(spark, tmp_path):
    import xlsxwriter

    path = tmp_path / "in.xlsx"
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("data")
    book.add_worksheet("other").write(0, 0, "ignored")
    date_format = book.add_format({"num_format": "m/d/yyyy"})
    sheet.write_row(0, 0, ["date", "DOMAIN", "Location", "Value", "Transaction_count"])
    sheet.write_datetime(1, 0, dt.datetime(2022, 1, 1), date_format)
    sheet.write_row(1, 1, ["RESTRAUNT", "Bhuj", 365554, 1932])
    sheet.write_row(2, 0, ["2/3/2022", "RETAIL", "Goa", "12.5", "7"])
    sheet.write_row(4, 0, ["3/4/2022", "RETAIL", "Goa", 1, 1, "extra"])  # row 4 (index 3) is blank
    book.close()
    rows = rows_of(extract(spark, LocalFs(), str(path)))
    assert [(r.raw_date, r.raw_domain, r.raw_value, r.malformed) for r in rows] == [
        ("2022-01-01", "RESTRAUNT", "365554", False),
        ("2/3/2022", "RETAIL", "12.5", False),
        ("3/4/2022", "RETAIL", "1", True),
    ]
    assert [r.source_position for r in rows] == [0, 1, 2]
    assert rows[2].raw_record == "3/4/2022,RETAIL,Goa,1,1,extra"


def test_the_load_takes_the_checked_file_under_its_folder_however_the_store_spells_it_and_no_other(tmp_path):
    from bank_etl.errors import InputChangedError
    from bank_etl.extract import check_same_input, input_identity

    (tmp_path / "in").mkdir()
    checked = input_identity(LocalFs().info(str(write_csv(tmp_path / "in" / "a.csv", []))))
    assert check_same_input(LocalFs(), f"file://{tmp_path}/in/", checked).path == checked["path"]
    elsewhere = {**checked, "path": str(tmp_path / "in-other" / "a.csv")}
    with pytest.raises(InputChangedError, match="not --input"):
        check_same_input(LocalFs(), str(tmp_path / "in"), elsewhere)


def test_the_quarantine_reads_the_cached_outcomes_and_never_the_input_again(spark, tmp_path):
    """Its plan's leaves, once the cache is applied: the cached outcomes and the split offsets'
    small table, no file relation. A file relation there means every quarantine write reads and validates the
    whole input again."""
    path = write_csv(tmp_path / "in.csv", [[f"1/{n % 28 + 1}/2022", "BAD" if n % 7 else "RETAIL", "Goa", str(n), "1"]
                                          for n in range(300)])
    outcomes = group_outcomes(classify(extract(spark, LocalFs(), str(path)).raw)).cache()
    try:
        counts = count_outcomes(outcomes, apply_scope(distinct_valid(outcomes), None))

        def leaves(frame) -> set[str]:
            found = frame._jdf.queryExecution().withCachedData().collectLeaves()
            return {found.apply(index).getClass().getSimpleName() for index in range(found.size())}

        settled = leaves(quarantine_rows(rejected_rows(outcomes), "run", "sha", settled_split_offsets(spark, counts)))
        assert "InMemoryRelation" in settled and "LogicalRelation" not in settled  # no file relation
        # The query the local table replaces: its join does not find the cache.
        assert "LogicalRelation" in leaves(quarantine_rows(rejected_rows(outcomes), "run", "sha", split_offsets(outcomes)))
    finally:
        outcomes.unpersist()
