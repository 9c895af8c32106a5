"""Benchmark (npm run bench:etl -- [--rows N] [--runs 3]): this ETL end to end in Spark local mode
against DuckDB doing the same contract plus `psql \\copy` of the valid rows, on one machine; each
run of the two sides in a fresh process, the report with every run and the medians.

Both sides read the same landing file and load the same PostgreSQL server. The ETL side is timed
from before the JVM starts to the end of its run; a sampler counts, every 50 ms, the sessions
that are running the ETL's COPY (pg_stat_activity), which is the number of concurrent writers;
another sums the resident memory of the ETL's processes (driver, JVM, Python workers) every 100 ms;
a reader selects from transactions every 20 ms, and its longest query is how long the swap held
readers up. Each run records the machine's load averages (os.getloadavg, as `uptime` shows them).
With --rerun the ETL runs again on the same input, lake and server before the reference (a rerun
replaces every quarter: its swap detaches and drops the partitions readers use), probed the same way.
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
import statistics
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


class Sampler:
    """A daemon thread that runs `_run` while the `with` block lasts; `_run` polls until `_stop` is set."""

    def __init__(self):
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        raise NotImplementedError

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


class WriterSampler(Sampler):
    """Samples pg_stat_activity for sessions running the ETL's COPY; keeps the most seen at once."""

    def __init__(self, pg_url: str):
        super().__init__()
        self.pg_url = pg_url
        self.peak = 0
        self.pids: set[int] = set()

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


DUCKDB_CONTRACT = r"""
CREATE MACRO ws_trim(x) AS trim(x, ' ' || chr(9) || chr(10) || chr(13) || chr(12) || chr(11));
CREATE MACRO title_case(x) AS array_to_string(list_transform(string_split(lower(x), ' '),
    lambda w: upper(w[1]) || w[2:]), ' ');
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


class ReaderProbe(Sampler):
    """A reader of transactions (the machine-learning application's query shape, one row of the
    table) every 20 ms: the longest one took is how long the swap held readers up (plus the query)."""

    def __init__(self, pg_url: str, schema: str):
        super().__init__()
        self.pg_url, self.schema = pg_url, schema
        self.longest = 0.0
        self.queries = 0

    def _run(self) -> None:
        import psycopg

        from bank_etl.config import parse_pg_url

        with psycopg.connect(**parse_pg_url(self.pg_url).connect_kwargs(), autocommit=True) as conn:
            while not self._stop.is_set():
                started = time.perf_counter()
                try:
                    conn.execute(f"SELECT 1 FROM {self.schema}.transactions LIMIT 1").fetchall()
                except psycopg.errors.UndefinedTable:  # before the first migration
                    pass
                else:
                    self.queries += 1
                    self.longest = max(self.longest, time.perf_counter() - started)
                self._stop.wait(0.02)


class MemorySampler(Sampler):
    """The memory of this process and its children (the ETL's Python driver, its JVM and the Python
    workers), summed every 100 ms; keeps two peaks. `peak`: resident memory. `anonymous_peak`: its
    anonymous part, what the processes allocated, without the file pages they map (Spark maps the
    blocks it spilled to disk when it reads them back; the OS may drop those pages at any time)."""

    def __init__(self):
        super().__init__()
        self.peak = 0
        self.anonymous_peak = 0

    @staticmethod
    def tree_memory(root: int) -> tuple[int, int]:
        """(resident, anonymous resident) bytes of `root` and its descendants, from /proc/<pid>/status."""
        parents: dict[int, int] = {}
        memory: dict[int, tuple[int, int]] = {}
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                with open(f"/proc/{entry}/status") as handle:
                    fields = dict(line.split(":", 1) for line in handle if ":" in line)
                parents[int(entry)] = int(fields["PPid"])
                kib = lambda name: int(fields.get(name, "0 kB").split()[0]) * 1024  # noqa: E731
                memory[int(entry)] = (kib("VmRSS"), kib("RssAnon"))
            except (OSError, KeyError, ValueError):
                continue
        tree, frontier = {root}, [root]
        while frontier:
            pid = frontier.pop()
            children = [child for child, parent in parents.items() if parent == pid and child not in tree]
            tree.update(children)
            frontier.extend(children)
        return sum(memory.get(pid, (0, 0))[0] for pid in tree), sum(memory.get(pid, (0, 0))[1] for pid in tree)

    def _run(self) -> None:
        while not self._stop.is_set():
            resident, anonymous = self.tree_memory(os.getpid())
            self.peak, self.anonymous_peak = max(self.peak, resident), max(self.anonymous_peak, anonymous)
            self._stop.wait(0.1)


def one_run(rows: int, detail: str, rerun: bool = False) -> dict[str, object] | None:
    """Both sides once, in this process (a fresh JVM): the ETL, then DuckDB + psql \\copy. With
    `rerun`, the ETL runs a second time on the same input, lake and server before the reference: a
    rerun that replaces every quarter, whose swap detaches and drops the partitions readers use."""
    input_path = input_for(rows)
    work = Path(tempfile.mkdtemp(prefix="bank-bench-"))
    load_before = os.getloadavg()
    try:
        with running() as server:
            admin_url = server.env()["BANK_PG_URL"]
            wal_before, io_before = _wal_lsn(admin_url), _io_counters(admin_url)
            with WriterSampler(admin_url) as sampler, MemorySampler() as memory, ReaderProbe(admin_url, "bank") as probe:
                code, record, stages, etl_seconds = _timed_etl(input_path, work, admin_url, detail)
            if code != 0:
                print("bench-etl: the ETL run failed", file=sys.stderr)
                return None
            postgres = _postgres_footprint(admin_url, wal_before, io_before)
            exact = _check_counts(input_path, record, admin_url)
            # Said at once: a long run's ETL figures survive even if the reference side is cut short.
            print(f"bench-etl: ETL side {etl_seconds:.1f} s, {record['rows_read']:,} read, {record['rows_valid']:,} valid, "
                  f"peak memory {memory.peak / 2**30:.2f} GiB (anonymous {memory.anonymous_peak / 2**30:.2f} GiB), "
                  f"writer sessions at once {sampler.peak}, longest reader "
                  f"wait {probe.longest:.3f} s, stages {json.dumps(stages)}", file=sys.stderr, flush=True)
            again = _rerun(input_path, work, admin_url, detail) if rerun else None
            if rerun and again is None:
                return None
            _end_jvm()
            load_between = os.getloadavg()
            duck = duckdb_side(input_path, work, "bank")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if duck["rows_copied"] != record["rows_valid"] or duck["rows_read"] != record["rows_read"]:
        print(f"bench-etl: the two sides disagree: ETL {record['rows_read']} read / {record['rows_valid']} valid, "
              f"DuckDB {duck['rows_read']} / {duck['rows_copied']}", file=sys.stderr)
        return None
    writers = record.get("pg_writer_sessions", {})
    return {
        "input": str(input_path), "rows_read": record["rows_read"], "rows_valid": record["rows_valid"],
        "valid_by_quarter": record.get("valid_by_quarter"), "counts_match_generator": exact,
        "rows_quarantined": record["rows_quarantined"], "rows_duplicate": record["rows_duplicate"],
        "etl_seconds": round(etl_seconds, 2), "etl_stage_seconds": stages, "duckdb": duck,
        "ratio": round(etl_seconds / duck["seconds"], 2),
        "etl_peak_memory_bytes": memory.peak, "etl_peak_anonymous_memory_bytes": memory.anonymous_peak,
        "postgres": postgres, "input_bytes": input_path.stat().st_size,
        "copy_tasks": record.get("pg_copy_tasks"), "shuffle_partitions": record.get("shuffle_partitions"),
        "swap": record.get("swap"), "reader_longest_query_seconds": round(probe.longest, 3),
        "reader_queries": probe.queries, "rerun": again,
        "concurrent_writer_sessions": {"sampled_peak": sampler.peak, "sampled_distinct": len(sampler.pids),
                                       "task_overlap_peak": writers.get("max_concurrent"),
                                       "distinct_sessions": writers.get("distinct")},
        "load_average": {"before": [round(x, 2) for x in load_before], "between_sides": [round(x, 2) for x in load_between],
                         "after": [round(x, 2) for x in os.getloadavg()]},
    }


def _timed_etl(input_path: Path, work: Path, admin_url: str, detail: str) -> tuple[int, dict, dict, float]:
    """The ETL over every quarter of the input into the lake under `work`: (exit code, run record,
    stage seconds, seconds from before the JVM starts, or is reused, to the end of the run)."""
    started = time.perf_counter()
    code, record, stages = local_run.run(
        ["--input", str(input_path), "--lake", str(work / "lake"), "--pg-url", admin_url, "--all",
         "--pg-detail", detail, "--no-progress"], started)
    return code, record, stages, time.perf_counter() - started


def _rerun(input_path: Path, work: Path, admin_url: str, detail: str) -> dict[str, object] | None:
    """The ETL once more on the same input into the same lake and server, a reader probing throughout;
    its time, stages, swap and longest reader wait, and whether the counts are still exact. It runs
    in the first run's JVM, already warmed up: its time is not a cold run's."""
    with MemorySampler() as memory, ReaderProbe(admin_url, "bank") as probe:
        code, record, stages, seconds = _timed_etl(input_path, work, admin_url, detail)
    if code != 0:
        print("bench-etl: the ETL's rerun failed", file=sys.stderr)
        return None
    again = {"etl_seconds": round(seconds, 2), "etl_stage_seconds": stages, "swap": record.get("swap"),
             "reader_longest_query_seconds": round(probe.longest, 3), "reader_queries": probe.queries,
             "etl_peak_memory_bytes": memory.peak, "rows_valid": record["rows_valid"],
             "counts_match_generator": _check_counts(input_path, record, admin_url)}
    print(f"bench-etl: ETL rerun {seconds:.1f} s, swap {json.dumps(record.get('swap'))}, longest reader wait "
          f"{probe.longest:.3f} s, stages {json.dumps(stages)}", file=sys.stderr, flush=True)
    return again


def _check_counts(input_path: Path, record: dict, pg_url: str) -> bool | None:
    """The run's counts and the rows in PostgreSQL per quarter against what the generator wrote (the
    input's .expected.json), when it is there; None when it is not. Said at once, true or not."""
    sidecar = input_path.with_name(input_path.name + ".expected.json")
    if not sidecar.is_file():
        return None
    expected = json.loads(sidecar.read_text())
    loaded = json.loads(psql_at(pg_url, "SELECT coalesce(json_object_agg(year || '-Q' || quarter, n ORDER BY year, quarter)::text, '{}') "
                                        "FROM (SELECT year, quarter, count(*) AS n FROM bank.transactions GROUP BY 1, 2) AS q"))
    keys = ("rows_read", "rows_valid", "rows_quarantined", "rows_duplicate")
    exact = (all(record.get(k) == expected[k] for k in keys) and record.get("valid_by_quarter") == expected["valid_by_quarter"]
             and loaded == expected["valid_by_quarter"])
    print(f"bench-etl: counts {'exactly as' if exact else 'DIFFERENT from'} the generator's ({sidecar.name}): "
          f"in PostgreSQL {loaded}", file=sys.stderr, flush=True)
    return exact


def _end_jvm() -> None:
    """Ends the ETL's JVM: it outlives spark.stop() (PySpark keeps the gateway for a next session)
    and keeps its heap, 12 GB at 100 M rows, which with DuckDB's own memory ran the machine out of
    memory. The reference gets the machine to itself, as the ETL had."""
    from pyspark import SparkContext

    gateway = SparkContext._gateway
    if gateway is None:
        return
    gateway.shutdown()
    process = getattr(gateway, "proc", None)
    if process is not None:
        process.stdin.close()  # the JVM ends when its stdin closes (pyspark.java_gateway)
        process.wait(timeout=120)
    SparkContext._gateway = SparkContext._jvm = None


def main(argv: list[str] | None = None) -> int:
    from bank_etl.session import driver_memory  # bank_etl is on the path from spark/bin/bench-etl

    parser = argparse.ArgumentParser(prog="bench-etl", description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=PUBLISHED_ROWS, help=f"rows of the landing file (default {PUBLISHED_ROWS:,})")
    parser.add_argument("--runs", type=int, default=1, help="runs of both sides, each in a fresh process; the report "
                                                           "gives each run and the medians (default 1)")
    parser.add_argument("--pg-detail", default="rows", help="the ETL's --pg-detail (rows or aggregates)")
    parser.add_argument("--rerun", action="store_true", help="run the ETL a second time on the same input and "
                                                                "server in each run (a rerun replacing every quarter) "
                                                                "and report its swap and reader waits")
    parser.add_argument("--run-report", help=argparse.SUPPRESS)  # one run's result, for the parent process
    args = parser.parse_args(argv)
    # The contract's cap on what the driver may receive; a run that needs more fails.
    os.environ.setdefault("PYSPARK_SUBMIT_ARGS", "--conf spark.driver.maxResultSize=64m pyspark-shell")
    if args.run_report:
        result = one_run(args.rows, args.pg_detail, args.rerun)
        Path(args.run_report).write_text(json.dumps(result))
        return 0 if result else 1
    reports = Path(os.environ.get("REPORTS_DIR", "reports")).resolve()
    reports.mkdir(parents=True, exist_ok=True)
    input_for(args.rows)  # generated once, before any run is timed
    results = []
    for number in range(1, args.runs + 1):
        with tempfile.NamedTemporaryFile(suffix=".json") as handle:
            completed = subprocess.run([sys.executable, "-m", "devtools.bench", "--rows", str(args.rows), "--pg-detail",
                                        args.pg_detail, "--run-report", handle.name, *(["--rerun"] if args.rerun else [])])
            if completed.returncode != 0:
                return completed.returncode
            results.append(json.loads(Path(handle.name).read_text()))
        run = results[-1]
        print(f"run {number}: ETL {run['etl_seconds']:.1f} s, DuckDB + psql \\copy {run['duckdb']['seconds']:.1f} s, "
              f"ratio {run['ratio']:.2f}, load average before {run['load_average']['before']}", file=sys.stderr)
    etl = statistics.median(r["etl_seconds"] for r in results)
    duck = statistics.median(r["duckdb"]["seconds"] for r in results)
    ratio = etl / duck
    goal = GOALS.get(args.rows)
    last = results[-1]
    report = {
        "rows_read": last["rows_read"], "rows_valid": last["rows_valid"], "runs": results,
        "median_etl_seconds": round(etl, 2), "median_duckdb_seconds": round(duck, 2), "ratio_of_medians": round(ratio, 2),
        "goal_ratio": goal, "duckdb_version": _duckdb_version(), "cores": os.cpu_count(),
        "driver_max_result_size": _max_result_size(), "driver_memory": driver_memory(),
        "pg_detail": args.pg_detail,
    }
    (reports / "bench-etl.json").write_text(json.dumps(report, indent=2) + "\n")
    print()
    print(f"{'benchmark, ' + format(last['rows_read'], ',') + ' rows, median of ' + str(len(results)):<52} {'result':>12}")
    print("-" * 66)
    print(f"{'this ETL (Spark start included)':<52} {etl:>10.1f} s")
    reference = f"DuckDB {report['duckdb_version']} + psql \\copy, same contract"
    print(f"{reference:<52} {duck:>10.1f} s")
    goal_text = f"  goal <= {goal:g} {'ok' if ratio <= goal else 'MISSED'}" if goal else ""
    print(f"{'ratio of the medians':<52} {ratio:>10.2f} x{goal_text}")
    print(f"{'ETL peak memory (driver, JVM, workers), largest run':<52} {max(r['etl_peak_memory_bytes'] for r in results) / 2**30:>10.2f} GiB")
    print(f"{'... of it anonymous (no mapped file pages), largest run':<52} "
          f"{max(r['etl_peak_anonymous_memory_bytes'] for r in results) / 2**30:>10.2f} GiB")
    print(f"{'writer sessions at once (sampled), largest run':<52} {max(r['concurrent_writer_sessions']['sampled_peak'] for r in results):>12}")
    print(f"{'longest reader query during a run':<52} {max(r['reader_longest_query_seconds'] for r in results):>10.3f} s")
    reruns = [r["rerun"] for r in results if r.get("rerun")]
    if reruns:
        print(f"{'ETL rerun replacing every quarter, median':<52} {statistics.median(r['etl_seconds'] for r in reruns):>10.1f} s")
        print(f"{'... longest reader query during a rerun':<52} {max(r['reader_longest_query_seconds'] for r in reruns):>10.3f} s")
        print(f"{'... transactions locked by its swap, longest':<52} "
              f"{max((r['swap'] or {}).get('transactions_locked_seconds') or 0 for r in reruns):>10.3f} s")
    for number, run in enumerate(results, 1):
        print(f"run {number}: {run['etl_seconds']} s vs {run['duckdb']['seconds']} s, load average before "
              f"{run['load_average']['before']}, stages {json.dumps(run['etl_stage_seconds'])}")
    print(f"report: {reports / 'bench-etl.json'}")
    return 0


def _wal_lsn(pg_url: str) -> str:
    return psql_at(pg_url, "SELECT pg_current_wal_lsn()")


def psql_at(pg_url: str, query: str) -> str:
    import psycopg

    from bank_etl.config import parse_pg_url

    with psycopg.connect(**parse_pg_url(pg_url).connect_kwargs(), autocommit=True) as conn:
        return str(conn.execute(query).fetchone()[0])


IO_COUNTERS = {
    # 8 KiB data pages written (by the checkpointer, the background writer and the backends: COPY's ring buffer)
    "data_page_writes": "SELECT buffers_checkpoint + buffers_clean + buffers_backend FROM pg_stat_bgwriter",
    # WAL write() and fsync calls (pg_stat_wal, PostgreSQL 14+)
    "wal_writes": "SELECT wal_write FROM pg_stat_wal",
    "wal_syncs": "SELECT wal_sync FROM pg_stat_wal",
}


def _io_counters(pg_url: str) -> dict[str, int]:
    return {name: int(psql_at(pg_url, query)) for name, query in IO_COUNTERS.items()}


def _postgres_footprint(pg_url: str, wal_before: str, io_before: dict[str, int]) -> dict[str, int]:
    """What the ETL left in PostgreSQL: each table's bytes (heap, indexes, TOAST), the WAL it wrote,
    and the write operations it took (after a CHECKPOINT, so that its pages are on disk)."""
    sizes = {}
    for table in ("transactions", "quarterly_features", "quarantine"):
        sizes[f"{table}_bytes"] = int(psql_at(pg_url, "SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0) FROM "
                                                     "pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE "
                                                     f"i.inhparent = 'bank.{table}'::regclass"))
    sizes["wal_bytes"] = int(psql_at(pg_url, f"SELECT pg_current_wal_lsn() - '{wal_before}'::pg_lsn"))
    try:
        psql_at(pg_url, "CHECKPOINT")
    except Exception as error:  # CHECKPOINT needs pg_checkpoint (PostgreSQL 15) or superuser
        print(f"bench-etl: no CHECKPOINT ({str(error).splitlines()[0]}); data page writes may be undercounted",
              file=sys.stderr)
    after = _io_counters(pg_url)
    sizes.update({name: after[name] - io_before[name] for name in IO_COUNTERS})
    return sizes


def _duckdb_version() -> str:
    import duckdb

    return duckdb.__version__


def _max_result_size() -> str | None:
    args = os.environ.get("PYSPARK_SUBMIT_ARGS", "")
    marker = "spark.driver.maxResultSize="
    return args.split(marker, 1)[1].split()[0] if marker in args else None


if __name__ == "__main__":
    sys.exit(main())
