"""devtools/task_contract.py, and the contract it checks: every task the TypeScript constructs
synthesize for this package's entry files (scripts/job-tasks.js) parses with the entry file's own
argparse parser."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bank_etl import layout, runtime

REPO_DIR = Path(__file__).resolve().parents[2]
FQDN = "${azurerm_postgresql_flexible_server.sink_server_1A2B.fqdn}"
ACCOUNT = "${azurerm_storage_account.lake_account_3C4D.name}"
PG_URL = f"postgresql://{FQDN}:5432/bank?sslmode=verify-full&sslrootcert=/etc/ssl/certs/ca-certificates.crt"
LANDING = f"abfss://landing@{ACCOUNT}.dfs.core.windows.net/bank/transactions/"


def contract(*arguments: str, tasks: list[dict] | None = None, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "spark/devtools/task_contract.py", *arguments], cwd=REPO_DIR,
                          input=None if tasks is None else json.dumps(tasks), capture_output=True, text=True,
                          timeout=120, env={**os.environ, **(env or {})})


def parsed(tasks: list[dict], **options) -> list[dict]:
    completed = contract(tasks=tasks, **options)
    assert completed.returncode == 0, completed.stderr
    return json.loads(completed.stdout)


def test_the_bank_tasks_parameters_with_terraform_tokens_parse_with_the_entry_files_own_parsers():
    load = ["--input", LANDING, "--lake", f"abfss://{{container}}@{ACCOUNT}.dfs.core.windows.net/", "--catalog", "bank_dev",
            "--pg-url", PG_URL, "--schema", "bank", "--secret-scope", "bank-dev-kv", "--pg-user-key", "psql-bank-dev-etl-user",
            "--pg-password-key", "psql-bank-dev-etl-password", "--timezone", "UTC"]
    migrate = ["--pg-url", PG_URL, "--schema", "bank", "--secret-scope", "bank-dev-kv", "--admin-user-key", "psql-admin-user",
               "--admin-password-key", "psql-admin-password", "--etl-role", "bank_etl", "--etl-password-key",
               "psql-bank-dev-etl-password", "--reader-role", "bank_reader"]
    check, etl, migrated = parsed([{"entryFile": "run_check.py", "parameters": ["--input", LANDING, "--timezone", "UTC"]},
                                   {"entryFile": "run_etl.py", "parameters": load},
                                   {"entryFile": "run_migrate.py", "parameters": migrate}])
    assert check == {"entryFile": "run_check.py", "ok": True,
                     "options": {"input": LANDING, "quarter": None, "all": False, "timezone": "UTC"}}
    assert etl["ok"] and etl["options"]["pg_url"] == PG_URL and etl["options"]["pg_password_key"] == "psql-bank-dev-etl-password"
    assert migrated["ok"] and migrated["options"]["etl_role"] == "bank_etl" and migrated["options"]["reader_login"] is None


def test_the_provisioning_task_parses_with_quarterly_provisions_parser():
    parameters = ["--pg-url", PG_URL.replace("/bank?", "/cards?"), "--schema", "cards", "--secret-scope", "cards-dev-kv",
                  "--admin-user-key", "a", "--admin-password-key", "b", "--owner-login", "cards_etl", "--owner-password-key", "c",
                  "--reader-role", "cards_reader", "--reader-login", "cards_app", "--reader-password-key", "d"]
    [provision] = parsed([{"entryFile": "quarterly_provision.py", "parameters": parameters}])
    assert provision["ok"] and provision["options"]["owner_login"] == "cards_etl" and provision["options"]["reader_login"] == "cards_app"


def test_a_task_the_parser_refuses_gets_argparses_message():
    refused = parsed([{"entryFile": "run_etl.py", "parameters": ["--input", LANDING, "--lake-root", "x"]},
                      {"entryFile": "run_check.py", "parameters": ["--input", LANDING, "--quarter", "2022-Q3", "--all"]},
                      {"entryFile": "quarterly_provision.py", "parameters": ["--pg-url", PG_URL]},
                      {"entryFile": "run_check.py", "parameters": ["--help"]},
                      {"entryFile": "run_cards.py", "parameters": []}])
    assert [task["ok"] for task in refused] == [False] * 5
    assert "the following arguments are required: --lake" in refused[0]["error"]
    assert refused[1]["error"] == "argument --all: not allowed with argument --quarter"
    assert refused[2]["error"] == "the following arguments are required: --schema, --owner-login, --reader-role"
    assert "--help" in refused[3]["error"]
    assert refused[4]["error"].startswith("no parser for entry file run_cards.py")


def test_options_do_not_depend_on_the_machines_environment():
    [migrate] = parsed([{"entryFile": "run_migrate.py", "parameters": ["--schema", "bank"]}],
                       env={"BANK_PG_URL": "postgresql://bankadmin@127.0.0.1:5432/bank"})
    assert migrate["ok"] and migrate["options"]["pg_url"] is None


def test_stdin_that_is_not_a_list_of_tasks_is_refused():
    completed = contract(tasks={"entryFile": "run_etl.py"})  # type: ignore[arg-type]
    assert completed.returncode == 2 and "JSON list" in completed.stderr
    completed = contract(tasks=[{"entryFile": "run_etl.py", "parameters": "--all"}])
    assert completed.returncode == 2 and "task 0 must be" in completed.stderr


def test_constants_name_the_check_task_key_the_entry_files_and_the_lake_layout():
    completed = contract("--constants")
    assert completed.returncode == 0, completed.stderr
    constants = json.loads(completed.stdout)
    assert constants["check_task_key"] == runtime.CHECK_TASK_KEY == "check"
    assert constants["entry_files"] == ["run_check.py", "run_etl.py", "run_migrate.py", "run_maintain.py",
                                        "quarterly_provision.py"]
    assert constants["deployment_file"] == "deployment.json"
    assert constants["lake"] == layout.as_json()
    assert constants["lake"]["delta_tables"]["quarantine"] == {"container": "quarantine", "folder": "rows", "name": "ops.quarantine"}


def synthesized_tasks() -> list[dict]:
    """Every task the compiled constructs synthesize for this package's entry files (scripts/job-tasks.js)."""
    if not (REPO_DIR / "node_modules").is_dir() or not (REPO_DIR / "lib" / "tools" / "estate-stacks.js").is_file():
        pytest.skip("needs the compiled package (npm ci && npm run build), as npm test has it")
    completed = subprocess.run(["node", "scripts/job-tasks.js"], cwd=REPO_DIR, capture_output=True, text=True, timeout=300)
    assert completed.returncode == 0, completed.stderr
    return json.loads(completed.stdout)


def test_every_task_the_constructs_synthesize_parses_with_its_entry_files_own_parser():
    sys.path.insert(0, str(REPO_DIR / "spark"))
    from devtools.task_contract import parse

    tasks = synthesized_tasks()
    assert {task["entryFile"] for task in tasks} == {"run_check.py", "run_etl.py", "run_migrate.py", "run_maintain.py",
                                                   "quarterly_provision.py"}
    refused = [(task["stack"], task["key"], outcome["error"]) for task in tasks
               if not (outcome := parse(task["entryFile"], task["parameters"]))["ok"]]
    assert refused == []


def test_the_load_waits_for_the_task_whose_input_it_takes():
    for task in synthesized_tasks():
        if task["entryFile"] == "run_etl.py":
            assert task["dependsOn"] == [runtime.CHECK_TASK_KEY], task["stack"]


def test_the_migrate_job_holds_the_only_tasks_that_read_the_administrators_password():
    for task in synthesized_tasks():
        reads_admin = "--admin-password-key" in task["parameters"]
        assert reads_admin == task["job"].endswith("-migrate"), (task["stack"], task["job"], task["key"])


def test_maintenance_runs_only_after_the_load_on_the_same_lake():
    tasks = synthesized_tasks()
    for task in tasks:
        if task["entryFile"] == "run_maintain.py":
            [load] = [t for t in tasks if t["entryFile"] == "run_etl.py" and t["stack"] == task["stack"] and t["job"] == task["job"]]
            assert task["dependsOn"] == [load["key"]], task["stack"]
            lake = lambda t: t["parameters"][t["parameters"].index("--lake") + 1]  # noqa: E731
            assert lake(task) == lake(load), task["stack"]


def test_the_names_the_bank_preset_passes_by_default_are_the_entry_files_own_defaults():
    """The estate's stacks leave the bank preset's schema and roles at their defaults: what they
    pass is what the entry files assume when run by hand without those options."""
    sys.path.insert(0, str(REPO_DIR / "spark"))
    from devtools.task_contract import PARSERS, parse

    compared = 0
    for task in synthesized_tasks():
        if not task["stack"].startswith("estate-") or task["entryFile"] not in ("run_etl.py", "run_migrate.py"):
            continue
        options = parse(task["entryFile"], task["parameters"])["options"]
        parser = PARSERS[task["entryFile"]]()
        for dest in ("schema", "etl_role", "reader_role"):
            if dest in options:
                assert options[dest] == parser.get_default(dest), (task["stack"], task["key"], dest)
                compared += 1
    assert compared >= 9  # schema of load and migrate, and migrate's two roles, in three stacks
