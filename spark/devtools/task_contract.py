"""The command-line contract between the job definitions the TypeScript side synthesizes and the
entry files that run them: each task's parameters parsed by the entry file's own argparse parser.

    .venv/bin/python spark/devtools/task_contract.py < tasks.json
    .venv/bin/python spark/devtools/task_contract.py --constants

stdin: `[{"entryFile": "run_etl.py", "parameters": ["--input", "...", ...]}, ...]`. stdout, one
entry per task in the same order: `{"entryFile": ..., "ok": true, "options": {<dest>: <value>}}`,
or `{"entryFile": ..., "ok": false, "error": "<argparse's message>"}`. Values are strings as a task
passes them, so Terraform's `${...}` tokens parse like any other text.

`--constants` prints what the TypeScript side must agree with: the check task's key (the task
values' producer, bank_etl.runtime), the entry files with a parser here, the deploy's settings
file, the input task value's key and the lake's layout (bank_etl.layout).

Exit codes: 0 (each task's outcome is in the output), 2 when stdin is not such a list.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import sys
from pathlib import Path

SPARK_DIR = Path(__file__).resolve().parent.parent
if str(SPARK_DIR) not in sys.path:
    sys.path.insert(0, str(SPARK_DIR))

# A parser's defaults must not depend on this machine: a task on Databricks has no BANK_PG_URL.
os.environ.pop("BANK_PG_URL", None)

import deployment_guard  # noqa: E402
import quarterly_provision  # noqa: E402
from bank_etl import config, layout, runtime  # noqa: E402

PARSERS = {
    "run_check.py": config.build_check_parser,
    "run_etl.py": config.build_parser,
    "run_migrate.py": config.build_migrate_parser,
    "run_maintain.py": config.build_maintain_parser,
    "quarterly_provision.py": quarterly_provision.build_parser,
}


class Refused(Exception):
    """argparse refused the parameters (its message)."""


def parse(entry_file: str, parameters: list[str]) -> dict[str, object]:
    """One task's outcome: its options as the entry file's parser reads them, or argparse's error."""
    build = PARSERS.get(entry_file)
    if build is None:
        return {"entryFile": entry_file, "ok": False,
                "error": f"no parser for entry file {entry_file} (known: {', '.join(PARSERS)})"}
    parser = build()

    def refuse(message: str) -> None:
        raise Refused(message)

    def stop(status: int = 0, message: str | None = None) -> None:  # --help, --version
        raise Refused(message or f"the parameters ask argparse to stop (exit {status}), as --help does")

    parser.error, parser.exit = refuse, stop
    try:
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            options = vars(parser.parse_args(parameters))
    except Refused as refused:
        return {"entryFile": entry_file, "ok": False, "error": str(refused)}
    return {"entryFile": entry_file, "ok": True, "options": options}


def constants() -> dict[str, object]:
    return {
        "check_task_key": runtime.CHECK_TASK_KEY,
        "input_value_key": runtime.INPUT_VALUE_KEY,
        "entry_files": list(PARSERS),
        "deployment_file": deployment_guard.DEPLOYMENT_FILE,
        "lake": layout.as_json(),
    }


def tasks_from(text: str) -> list[tuple[str, list[str]]]:
    tasks = json.loads(text)
    if not isinstance(tasks, list):
        raise ValueError("stdin must be a JSON list of {entryFile, parameters}")
    found = []
    for index, task in enumerate(tasks):
        entry_file = task.get("entryFile") if isinstance(task, dict) else None
        parameters = task.get("parameters") if isinstance(task, dict) else None
        if not isinstance(entry_file, str) or not isinstance(parameters, list) or not all(isinstance(p, str) for p in parameters):
            raise ValueError(f"task {index} must be {{\"entryFile\": string, \"parameters\": [strings]}}, got {json.dumps(task)[:200]}")
        found.append((entry_file, parameters))
    return found


def main(argv: list[str] | None = None) -> int:
    cli = argparse.ArgumentParser(prog="task_contract.py", description=__doc__.split("\n\n")[0])
    cli.add_argument("--constants", action="store_true", help="print the constants the TypeScript side must agree with")
    args = cli.parse_args(argv)
    if args.constants:
        print(json.dumps(constants(), indent=2))
        return 0
    try:
        tasks = tasks_from(sys.stdin.read())
    except ValueError as error:
        print(f"task_contract: {error}", file=sys.stderr)
        return 2
    print(json.dumps([parse(entry_file, parameters) for entry_file, parameters in tasks], indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
