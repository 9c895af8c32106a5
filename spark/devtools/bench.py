"""Benchmark (npm run bench:etl -- [--rows N]): this ETL end to end in Spark local mode against
DuckDB doing the same contract plus `psql \\copy` of the valid rows, in one run on one machine.

Both sides read the same landing file and load the same PostgreSQL server. The ETL side is timed
from before the JVM starts to the end of its run; a sampler counts, every 50 ms, the sessions
that are running the ETL's COPY (pg_stat_activity), which is the number of concurrent writers.
The DuckDB side applies the contract's rules to the same file (all fields as text, the same
validation, de-duplication, accounting, curated columns and features, Parquet output), exports
the valid rows as CSV and loads them with `psql \\copy` into a table of the partition's shape.

Writes ${REPORTS_DIR:-reports}/bench-etl.json and prints a table.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from . import local_run
from .datagen import PUBLISHED_ROWS, generate
from .pgserver import running

# Goals from the issue: ETL seconds / (DuckDB + \copy) seconds, at each size.
GOALS = {1_004_480: 8.0, 10_044_800: 3.0}


def psql(*args: str, capture: bool = False) -> str:
    completed = subprocess.run(["psql", "-X", "-v", "ON_ERROR_STOP=1", "-q", *args], check=True, text=True,
                               stdout=subprocess.PIPE if capture else subprocess.DEVNULL)
    return completed.stdout or ""


def input_for(rows: int) -> Path:
    if rows == PUBLISHED_ROWS:
        return local_run.ensure_default_input(progress=False)
    path = local_run.DATA_DIR / f"bank-{rows}.csv"
    if not path.exists():
        print(f"bench-etl: generating {path} (once)", file=sys.stderr)
        generate(path, rows=rows, progress=False)
    return path


class WriterSampler:
    """Samples pg_stat_activity for sessions running the ETL's COPY; keeps the most seen at once."""

    def __init__(self, pg_url: str):
        self.pg_url = pg_url
        self.peak = 0
        self.pids: set[int] = set()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        import psycopg

        from bank_etl.config import parse_pg_url

        with psycopg.connect(**parse_pg_url(self.pg_url).connect_kwargs(), autocommit=True) as conn:
            while not self._stop.is_set():
                rows = conn.execute("SELECT pid FROM pg_stat_activity WHERE application_name = 'bank_etl copy' "
                                    "AND state = 'active' AND query LIKE 'COPY%'").fetchall()
                self.pids.update(r[0] for r in rows)
                self.peak = max(self.peak, len(rows))
                self._stop.wait(0.05)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


DUCKDB_CONTRACT = r"""
CREATE MACRO ws_trim(x) AS trim(x, ' ' || chr(9) || chr(10) || chr(13) || chr(12) || chr(11));
CREATE MACRO title_case(x) AS array_to_string(list_transform(string_split(lower(x), ' '),
    w -> upper(w[1]) || w[2:]), ' ');
CREATE TABLE raw AS SELECT row_number() OVER () AS source_row, * FROM read_csv('{input}', all_varchar = true,
    header = true, quote = '"', escape = '"', store_rejects = true, rejects_table = 'malformed_rows');
CREATE TABLE classified AS
WITH parsed AS (
  SELECT source_row, Date AS raw_date, Domain AS raw_domain, Location AS raw_location, Value AS raw_value,
         Transaction_count AS raw_transaction_count,
         CASE WHEN regexp_matches(ws_trim(Date), '^(\d{{4}}-\d{{2}}-\d{{2}}( 00:00:00)?|\d{{1,2}}/\d{{1,2}}/\d{{4}})$') THEN
           CASE WHEN substr(ws_trim(Date), 5, 1) = '-' THEN try_strptime(substr(ws_trim(Date), 1, 10), '%Y-%m-%d')
                ELSE try_strptime(ws_trim(Date), '%m/%d/%Y') END END::date AS txn_date,
         CASE WHEN upper(ws_trim(Domain)) = 'RESTRAUNT' THEN 'RESTAURANT' ELSE upper(ws_trim(Domain)) END AS domain0,
         title_case(regexp_replace(ws_trim(Location), '\s+', ' ', 'g')) AS location0,
         CASE WHEN regexp_matches(ws_trim(Value), '^[0-9]+(\.0+)?$') THEN try_cast(split_part(ws_trim(Value), '.', 1) AS bigint) END AS value0,
         CASE WHEN regexp_matches(ws_trim(Transaction_count), '^[0-9]+(\.0+)?$') THEN try_cast(split_part(ws_trim(Transaction_count), '.', 1) AS bigint) END AS count0
  FROM raw)
SELECT *, CASE
    WHEN txn_date IS NULL THEN 'bad_date'
    WHEN domain0 NOT IN ('RESTAURANT', 'INVESTMENTS', 'RETAIL', 'INTERNATIONAL', 'PUBLIC', 'MEDICAL', 'EDUCATION') OR domain0 IS NULL THEN 'bad_domain'
    WHEN location0 IS NULL OR length(location0) = 0 THEN 'bad_location'
    WHEN value0 IS NULL OR value0 < 0 THEN 'bad_value'
    WHEN count0 IS NULL OR count0 < 1 THEN 'bad_transaction_count' END AS reason
FROM parsed;
CREATE TABLE curated AS
SELECT txn_date, domain0 AS domain, location0 AS location, value0 AS value, count0 AS transaction_count,
       value0::double / count0::double AS value_per_transaction, year(txn_date)::int AS year,
       quarter(txn_date)::int AS quarter, month(txn_date)::int AS month, isodow(txn_date)::int AS day_of_week,
       'duckdb' AS run_id
FROM (SELECT DISTINCT txn_date, domain0, location0, value0, count0 FROM classified WHERE reason IS NULL);
CREATE TABLE features AS
WITH per_location AS (
  SELECT year, quarter, domain, location, count(*)::bigint AS row_count, sum(value)::bigint AS total_value,
         sum(transaction_count)::bigint AS total_transactions, count(DISTINCT txn_date)::int AS active_days
  FROM curated GROUP BY ALL)
SELECT year, quarter, domain, location, row_count, total_value, total_transactions,
       total_value::double / total_transactions::double AS avg_value_per_transaction, active_days,
       total_value::double / sum(total_value) OVER (PARTITION BY year, quarter, domain) AS domain_value_share
FROM per_location;
CREATE TABLE accounting AS SELECT
  (SELECT count(*) FROM raw) + (SELECT count(*) FROM malformed_rows) AS rows_read,
  (SELECT count(*) FROM curated) AS rows_valid,
  (SELECT count(*) FROM classified WHERE reason IS NOT NULL) + (SELECT count(*) FROM malformed_rows) AS rows_quarantined,
  (SELECT count(*) FROM classified WHERE reason IS NULL) - (SELECT count(*) FROM curated) AS rows_duplicate;
COPY (SELECT * FROM curated) TO '{lake}/curated' (FORMAT parquet, PARTITION_BY (year, quarter));
COPY (SELECT * FROM features) TO '{lake}/features' (FORMAT parquet, PARTITION_BY (year, quarter));
COPY (SELECT source_row, raw_date, raw_domain, raw_location, raw_value, raw_transaction_count, reason
      FROM classified WHERE reason IS NOT NULL) TO '{lake}/quarantine.parquet' (FORMAT parquet);
COPY (SELECT txn_date, domain, location, value, transaction_count, value_per_transaction, year, quarter, month,
             day_of_week, run_id FROM curated) TO '{work}/valid.csv' (FORMAT csv, HEADER false);
"""


def duckdb_side(input_path: Path, work: Path, schema: str) -> dict[str, object]:
    """The same contract in DuckDB, then psql \\copy of the valid rows; returns timings and counts."""
    import duckdb

    lake = work / "duckdb-lake"
    lake.mkdir(parents=True)
    psql("-c", f"SET client_min_messages = warning; DROP TABLE IF EXISTS {schema}.copy_baseline; "
               f"CREATE TABLE {schema}.copy_baseline (LIKE {schema}.transactions INCLUDING DEFAULTS INCLUDING CONSTRAINTS)")
    started = time.perf_counter()
    con = duckdb.connect()
    con.execute(f"SET threads = {os.cpu_count() or 2}")
    con.execute(DUCKDB_CONTRACT.format(input=input_path, lake=lake, work=work))
    accounting = dict(zip(("rows_read", "rows_valid", "rows_quarantined", "rows_duplicate"),
                          con.execute("SELECT * FROM accounting").fetchone()))
    con.close()
    contract_seconds = time.perf_counter() - started
    copy_started = time.perf_counter()
    psql("-c", f"\\copy {schema}.copy_baseline FROM '{work / 'valid.csv'}' (FORMAT csv)")
    copy_seconds = time.perf_counter() - copy_started
    copied = int(psql("-Atc", f"SELECT count(*) FROM {schema}.copy_baseline", capture=True).strip())
    psql("-c", f"DROP TABLE {schema}.copy_baseline")
    return {"seconds": round(contract_seconds + copy_seconds, 2), "contract_seconds": round(contract_seconds, 2),
            "psql_copy_seconds": round(copy_seconds, 2), "rows_copied": copied, **accounting}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench-etl", description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=PUBLISHED_ROWS, help=f"rows of the landing file (default {PUBLISHED_ROWS:,})")
    args = parser.parse_args(argv)
    reports = Path(os.environ.get("REPORTS_DIR", "reports")).resolve()
    reports.mkdir(parents=True, exist_ok=True)
    input_path = input_for(args.rows)
    work = Path(tempfile.mkdtemp(prefix="bank-bench-"))
    try:
        with running() as server:
            admin_url = server.env()["BANK_PG_URL"]
            with WriterSampler(admin_url) as sampler:
                started = time.perf_counter()  # before the JVM starts
                code, record, stages = local_run.run(
                    ["--input", str(input_path), "--lake", str(work / "lake"), "--pg-url", admin_url, "--all",
                     "--no-progress"], started)
                etl_seconds = time.perf_counter() - started
            if code != 0:
                print("bench-etl: the ETL run failed", file=sys.stderr)
                return code
            duck = duckdb_side(input_path, work, "bank")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if duck["rows_copied"] != record["rows_valid"] or duck["rows_read"] != record["rows_read"]:
        print(f"bench-etl: the two sides disagree: ETL {record['rows_read']} read / {record['rows_valid']} valid, "
              f"DuckDB {duck['rows_read']} / {duck['rows_copied']}", file=sys.stderr)
        return 1
    ratio = etl_seconds / duck["seconds"]
    goal = GOALS.get(args.rows)
    writers = record.get("pg_writer_sessions", {})
    report = {
        "input": str(input_path), "rows_read": record["rows_read"], "rows_valid": record["rows_valid"],
        "etl_seconds": round(etl_seconds, 2), "etl_stage_seconds": stages, "duckdb": duck,
        "ratio": round(ratio, 2), "goal_ratio": goal,
        "concurrent_writer_sessions": {"sampled_peak": sampler.peak, "sampled_distinct": len(sampler.pids),
                                       "task_overlap_peak": writers.get("max_concurrent"),
                                       "distinct_sessions": writers.get("distinct")},
        "cores": os.cpu_count(), "driver_max_result_size": _max_result_size(),
    }
    (reports / "bench-etl.json").write_text(json.dumps(report, indent=2) + "\n")
    print()
    print(f"{'benchmark, ' + format(record['rows_read'], ',') + ' rows':<48} {'result':>12}")
    print("-" * 64)
    print(f"{'this ETL (Spark start included)':<48} {etl_seconds:>10.1f} s")
    print(f"{'DuckDB, same contract':<48} {duck['contract_seconds']:>10.1f} s")
    copy_label, both_label = "psql \\copy of the valid rows", "DuckDB + psql \\copy"
    print(f"{copy_label:<48} {duck['psql_copy_seconds']:>10.1f} s")
    print(f"{both_label:<48} {duck['seconds']:>10.1f} s")
    goal_text = f"  goal <= {goal:g} {'ok' if ratio <= goal else 'MISSED'}" if goal else ""
    print(f"{'ratio':<48} {ratio:>10.2f} x{goal_text}")
    print(f"{'concurrent PostgreSQL writer sessions (sampled)':<48} {sampler.peak:>12}")
    print(f"{'writer sessions overlapping (task times)':<48} {writers.get('max_concurrent', 0):>12}")
    print(f"{'distinct writer sessions':<48} {writers.get('distinct', 0):>12}")
    print(f"stages: {json.dumps(stages)}")
    print(f"report: {reports / 'bench-etl.json'}")
    return 0


def _max_result_size() -> str | None:
    args = os.environ.get("PYSPARK_SUBMIT_ARGS", "")
    marker = "spark.driver.maxResultSize="
    return args.split(marker, 1)[1].split()[0] if marker in args else None


if __name__ == "__main__":
    sys.exit(main())
