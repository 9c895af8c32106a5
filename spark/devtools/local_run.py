"""The job in Spark local mode, with progress and a summary table (npm run etl:local).

With no --input it generates the full-size file once (spark/.data/bankdataset.csv) and reuses it;
with no --pg-url it starts a throwaway PostgreSQL and stops it afterwards; with neither --quarter
nor --all it processes every quarter in the file. --pg-url is the server administrator's: as on
Databricks, the migrate step runs as the administrator (creating the bank_etl role with a password
generated for this run) and the load then runs as bank_etl.
"""

from __future__ import annotations

import argparse
import logging
import os
import secrets
import sys
import time
from contextlib import ExitStack
from dataclasses import replace
from pathlib import Path

SPARK_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = SPARK_DIR / ".data"
DEFAULT_INPUT = DATA_DIR / "bankdataset.csv"
DEFAULT_LAKE = DATA_DIR / "lake"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="etl-local", description=__doc__.split("\n\n")[0])
    parser.add_argument("--input", help=f"landing file or directory (default: generate {DEFAULT_INPUT.relative_to(SPARK_DIR.parent)})")
    parser.add_argument("--lake", default=str(DEFAULT_LAKE), help="lake root (default: spark/.data/lake)")
    parser.add_argument("--pg-url", help="PostgreSQL URL (default: a throwaway server for this run)")
    parser.add_argument("--schema", default="bank")
    scope = parser.add_mutually_exclusive_group()
    scope.add_argument("--quarter", help="YYYY-Qn")
    scope.add_argument("--all", action="store_true", help="every quarter in the file (the local default)")
    parser.add_argument("--timezone", default="UTC", help="IANA time zone for the default quarter")
    parser.add_argument("--etl-role", default="bank_etl")
    parser.add_argument("--reader-role", default="bank_reader")
    parser.add_argument("--pg-detail", default="rows", help="rows (default): PostgreSQL gets every row; aggregates: "
                                                            "the features only, the rows stay in the lake")
    parser.add_argument("--no-progress", action="store_true", help="plain log lines instead of a progress bar")
    return parser.parse_args(argv)


class StageProgress:
    """A tqdm bar over the job's stages (the job reports start and end of each)."""

    def __init__(self, stages: tuple[str, ...], enabled: bool):
        self.enabled = enabled
        self.bar = None
        if enabled:
            from tqdm import tqdm

            self.bar = tqdm(total=len(stages), desc="etl", unit="stage", file=sys.stderr,
                            bar_format="{desc:<26} {bar} {n_fmt}/{total_fmt} stages [{elapsed}]")

    def __call__(self, stage: str, event: str, seconds: float) -> None:
        if self.bar is None:
            if event == "end":
                print(f"etl: {stage} done in {seconds:.1f}s", file=sys.stderr)
            return
        if event == "start":
            self.bar.set_description(f"etl: {stage}")
        else:
            self.bar.update(1)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def summary_table(record: dict, stage_seconds: dict, total_seconds: float) -> str:
    """The end-of-run table: counts, quarantine per reason, rows loaded, time per stage."""
    lines = [f"run {record.get('run_id', '?')}: {record.get('status', '?')} (scope {record.get('scope', '?')})", ""]
    if record.get("completes_run"):
        lines[1:1] = [f"run {record['completes_run']} had committed this input: its manifests are now in the lake, "
                      "nothing else was done"]

    def section(title: str, rows: list[tuple[str, str]]) -> None:
        lines.append(f"{title:<30}{'':>16}")
        lines.append("-" * 46)
        lines.extend(f"{key:<30}{value:>16}" for key, value in rows)
        lines.append("")

    def number(key: str) -> str:
        return f"{record.get(key) or 0:,}"

    section("rows", [("read", number("rows_read")), ("valid (loaded)", number("rows_valid")),
                     ("quarantined", number("rows_quarantined")), ("duplicate", number("rows_duplicate")),
                     ("out of scope", number("rows_out_of_scope"))])
    reasons = record.get("quarantined_by_reason") or {}
    if reasons:
        section("quarantined by reason", [(k, f"{v:,}") for k, v in reasons.items()])
    loaded = record.get("rows_loaded") or {}
    if loaded:
        section("rows loaded into PostgreSQL", [(k, f"{v:,}") for k, v in loaded.items()])
    manifests = record.get("manifests") or {}
    if manifests:
        section("quarter manifests published", [(q, "new (notified)" if m.get("notified") else "unchanged")
                                                for q, m in manifests.items()])
    stages = [(k, f"{v:.2f} s") for k, v in stage_seconds.items()]
    stages.append(("total, Spark start included", f"{total_seconds:.2f} s"))
    section("time per stage", stages)
    if record.get("error"):
        lines.append(f"error: {record['error']}")
    return "\n".join(lines)


def ensure_default_input(progress: bool) -> Path:
    if not DEFAULT_INPUT.exists():
        from .datagen import generate

        print(f"etl-local: generating the full-size input {DEFAULT_INPUT} (once)", file=sys.stderr)
        generate(DEFAULT_INPUT, progress=progress)
    return DEFAULT_INPUT


def run(argv: list[str] | None = None, started: float | None = None) -> tuple[int, dict, dict]:
    """Runs the job locally; returns (exit code, run record, stage seconds)."""
    started = started if started is not None else time.perf_counter()
    args = parse_args(argv)
    sys.path.insert(0, str(SPARK_DIR))
    from bank_etl import load_pg
    from bank_etl.config import ConfigError, parse_args as job_args, parse_pg_url
    from bank_etl.job import STAGES, run_job
    from bank_etl.main import configure_logging
    from bank_etl.session import configure, local_session

    configure_logging()
    if not args.no_progress:
        logging.getLogger("bank_etl").setLevel(logging.WARNING)  # the bar and the table say it
    input_path = args.input or str(ensure_default_input(not args.no_progress))
    with ExitStack() as stack:
        pg_url = args.pg_url
        if not pg_url:
            from .pgserver import running

            print("etl-local: starting a throwaway PostgreSQL", file=sys.stderr)
            server = stack.enter_context(running())
            pg_url = server.env()["BANK_PG_URL"]
        scope = ["--quarter", args.quarter] if args.quarter else ["--all"]
        try:
            config = job_args(["--input", input_path, "--lake", args.lake, "--pg-url", pg_url,
                               "--schema", args.schema, "--timezone", args.timezone, "--pg-detail", args.pg_detail,
                               *scope])
        except ConfigError as error:
            print(f"etl-local: {error}", file=sys.stderr)
            return 2, {}, {}
        # The migrate task, as the administrator; then the load as the ETL role.
        etl_password = secrets.token_urlsafe(24)
        with load_pg.connect(parse_pg_url(pg_url), application_name="bank_etl migrate") as admin:
            load_pg.migrate(admin, args.schema, load_pg.Roles(args.etl_role, args.reader_role, etl_password))
        config = replace(config, pg=config.pg.with_credentials(args.etl_role, etl_password))
        spark = local_session("bank-etl-local")
        configure(spark)
        progress = StageProgress(STAGES, not args.no_progress)
        code = 0
        result_holder = {}
        try:
            result = run_job(spark, config, on_stage=progress)
            result_holder["record"], result_holder["stages"] = result.record, result.stage_seconds
        except Exception as error:
            code = 1
            record = getattr(error, "run_record", None)
            result_holder["record"] = record or {"status": "failed", "error": f"{type(error).__name__}: {error}"}
            result_holder["stages"] = {}
        finally:
            progress.close()
            spark.stop()
        total = time.perf_counter() - started
        record = result_holder["record"]
        stages = result_holder["stages"] or record.get("stage_seconds", {})
        print(summary_table(record, stages, total))
        return code, record, stages


def main(argv: list[str] | None = None) -> int:
    started = time.perf_counter()
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    code, _, _ = run(argv, started)
    return code


if __name__ == "__main__":
    sys.exit(main())
