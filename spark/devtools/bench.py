"""Benchmark (npm run bench:etl): the full-size file end to end in Spark local mode, per stage,
and the PostgreSQL load against `psql \\copy` of the same rows into a table of the same shape.

Writes a JSON report to ${REPORTS_DIR:-reports}/bench-etl.json and prints a table.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from . import local_run
from .pgserver import running

GOAL_TOTAL_SECONDS = 60.0
GOAL_COPY_RATIO = 0.5


def psql(*args: str, capture: bool = False) -> str:
    completed = subprocess.run(["psql", "-X", "-v", "ON_ERROR_STOP=1", "-q", *args], check=True, text=True,
                               stdout=subprocess.PIPE if capture else subprocess.DEVNULL)
    return completed.stdout or ""


def copy_baseline(schema: str, work: Path) -> tuple[int, float]:
    """Times `psql \\copy` of the loaded transactions into an empty table with the same columns and
    index; returns (rows, seconds)."""
    export = work / "transactions.csv"
    psql("-c", f"\\copy {schema}.transactions TO '{export}' (FORMAT csv)")
    psql("-c", f"SET client_min_messages = warning; DROP TABLE IF EXISTS {schema}.copy_baseline; "
               f"CREATE TABLE {schema}.copy_baseline (LIKE {schema}.transactions INCLUDING ALL)")
    started = time.perf_counter()
    psql("-c", f"\\copy {schema}.copy_baseline FROM '{export}' (FORMAT csv)")
    seconds = time.perf_counter() - started
    rows = int(psql("-Atc", f"SELECT count(*) FROM {schema}.copy_baseline", capture=True).strip())
    psql("-c", f"DROP TABLE {schema}.copy_baseline")
    return rows, seconds


def main(argv: list[str] | None = None) -> int:
    reports = Path(os.environ.get("REPORTS_DIR", "reports")).resolve()
    reports.mkdir(parents=True, exist_ok=True)
    input_path = local_run.ensure_default_input(progress=True)
    work = Path(tempfile.mkdtemp(prefix="bank-bench-"))
    try:
        with running() as server:
            started = time.perf_counter()  # before the JVM starts
            code, record, stages = local_run.run(
                ["--input", str(input_path), "--lake", str(work / "lake"), "--pg-url", server.env()["BANK_PG_URL"],
                 "--all", "--no-progress"], started)
            total = time.perf_counter() - started
            if code != 0:
                print("bench-etl: the ETL run failed", file=sys.stderr)
                return code
            rows = int(record["rows_valid"])
            load_seconds = stages["load postgres"] + stages["publish"]
            copy_rows, copy_seconds = copy_baseline("bank", work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    etl_rate, copy_rate = rows / load_seconds, copy_rows / copy_seconds
    report = {
        "input": str(input_path), "rows_read": record["rows_read"], "rows_loaded": rows,
        "end_to_end_seconds": round(total, 2), "stage_seconds": stages,
        "pg_load_seconds": round(load_seconds, 2), "pg_load_rows_per_second": round(etl_rate),
        "psql_copy_seconds": round(copy_seconds, 2), "psql_copy_rows_per_second": round(copy_rate),
        "pg_load_vs_psql_copy": round(etl_rate / copy_rate, 3), "cores": os.cpu_count(),
        "goals": {"end_to_end_seconds": GOAL_TOTAL_SECONDS, "pg_load_vs_psql_copy": GOAL_COPY_RATIO},
    }
    (reports / "bench-etl.json").write_text(json.dumps(report, indent=2) + "\n")
    print()
    print(f"{'benchmark':<44} {'result':>14}  goal")
    print("-" * 72)
    print(f"{'end to end, JVM start included':<44} {total:>12.1f} s  <= {GOAL_TOTAL_SECONDS:.0f} s "
          f"{'ok' if total <= GOAL_TOTAL_SECONDS else 'MISSED'}")
    print(f"{'PostgreSQL load (COPY in the replacing tx)':<44} {etl_rate:>10,.0f} r/s  ({load_seconds:.2f} s)")
    copy_label, ratio_label = "psql \\copy of the same rows", "load / psql \\copy"
    print(f"{copy_label:<44} {copy_rate:>10,.0f} r/s  ({copy_seconds:.2f} s)")
    ratio = etl_rate / copy_rate
    print(f"{ratio_label:<44} {ratio:>13.0%}  >= {GOAL_COPY_RATIO:.0%} "
          f"{'ok' if ratio >= GOAL_COPY_RATIO else 'MISSED'}")
    print(f"report: {reports / 'bench-etl.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
