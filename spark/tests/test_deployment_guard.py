"""The guard that keeps a run's credentials where the deploy decided (spark/deployment_guard.py)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import deployment_guard
from conftest import REPO_DIR, node_with_typescript
from deployment_guard import DeploymentMismatch, check_run

DEPLOYMENT = {
    "schema_version": 1,
    "postgres": {"host": "psql-bank-prod-01.postgres.database.azure.com", "port": 5432, "database": "bank", "sslmode": "verify-full"},
    "lake": {"account": "stbankprod01", "root": "abfss://{container}@stbankprod01.dfs.core.windows.net/"},
    "input": "abfss://landing@stbankprod01.dfs.core.windows.net/bank/transactions/",
    "secret_scope": "bank-prod-kv",
    "secret_keys": {
        "run_check.py": [],
        "run_etl.py": ["psql-bank-prod-01-bank-etl-user", "psql-bank-prod-01-bank-etl-password"],
        "run_migrate.py": ["psql-bank-prod-01-admin-user", "psql-bank-prod-01-admin-password"],
    },
}
PG_URL = "postgresql://psql-bank-prod-01.postgres.database.azure.com:5432/bank?sslmode=verify-full&sslrootcert=/etc/ssl/certs/ca-certificates.crt"
LOADER_KEYS = ["psql-bank-prod-01-bank-etl-user", "psql-bank-prod-01-bank-etl-password"]


@pytest.fixture
def entry(tmp_path):
    """An entry file beside the deploy's deployment.json."""
    (tmp_path / "deployment.json").write_text(json.dumps(DEPLOYMENT))
    path = tmp_path / "run_etl.py"
    path.write_text("")
    return str(path)


def load_run(entry, **changes):
    arguments = {
        "pg_url": PG_URL,
        "lake": DEPLOYMENT["lake"]["root"],
        "input_uri": DEPLOYMENT["input"],
        "secret_scope": "bank-prod-kv",
        "secret_keys": LOADER_KEYS,
    }
    arguments.update(changes)
    return check_run(entry, **arguments)


def test_a_run_with_the_deployed_parameters_passes(entry):
    assert load_run(entry) == DEPLOYMENT


def test_a_run_may_name_one_file_under_the_deployed_landing_folder(entry):
    load_run(entry, input_uri=DEPLOYMENT["input"] + "2025-q3.csv")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"pg_url": "postgresql://attacker.example.net:5432/bank?sslmode=verify-full"}, "--pg-url names attacker.example.net:5432/bank"),
        ({"pg_url": PG_URL.replace(":5432/", ":6432/")}, "--pg-url names psql-bank-prod-01.postgres.database.azure.com:6432/bank"),
        ({"pg_url": PG_URL.replace("/bank?", "/postgres?")}, ":5432/postgres; the deploy decided"),
        ({"lake": "abfss://{container}@stattacker01.dfs.core.windows.net/"}, "--lake is abfss://{container}@stattacker01"),
        ({"input_uri": "abfss://landing@stattacker01.dfs.core.windows.net/bank/transactions/"}, "--input is abfss://landing@stattacker01"),
        ({"input_uri": DEPLOYMENT["input"] + "../../other/x.csv"}, "is not an abfss:// path under"),
        ({"secret_scope": "other-kv"}, "--secret-scope is other-kv"),
        ({"secret_keys": ["psql-bank-prod-01-admin-password"]}, "secret key psql-bank-prod-01-admin-password is not one run_etl.py may read"),
        ({"pg_url": PG_URL + "&host=attacker.example.net"}, "--pg-url sets host in its query"),
        ({"pg_url": PG_URL + "&hostaddr=203.0.113.7"}, "--pg-url sets hostaddr in its query"),
        ({"pg_url": PG_URL.replace("sslmode=verify-full", "sslmode=disable")}, "--pg-url has sslmode=disable; the deploy decided sslmode=verify-full"),
        ({"pg_url": "postgresql://psql-bank-prod-01.postgres.database.azure.com,attacker.example.net:5432/bank?sslmode=verify-full"}, "names several hosts"),
    ],
)
def test_a_run_pointing_anywhere_else_is_refused_before_any_secret_is_read(entry, change, message):
    with pytest.raises(DeploymentMismatch) as refused:
        load_run(entry, **change)
    assert message in str(refused.value)
    assert refused.value.exit_code == 3


def test_every_difference_is_named_in_one_refusal(entry):
    with pytest.raises(DeploymentMismatch) as refused:
        load_run(entry, pg_url="postgresql://elsewhere.example.net/bank", secret_scope="other-kv")
    assert "--pg-url names elsewhere.example.net" in str(refused.value)
    assert "--secret-scope is other-kv" in str(refused.value)


def test_a_local_run_without_deployment_json_is_not_guarded(tmp_path, monkeypatch):
    monkeypatch.delenv("DATABRICKS_RUNTIME_VERSION", raising=False)
    entry = tmp_path / "run_etl.py"
    entry.write_text("")
    assert check_run(str(entry), pg_url="postgresql://localhost/bank") is None


def test_a_databricks_run_without_deployment_json_reads_no_secret(tmp_path, monkeypatch):
    monkeypatch.setenv("DATABRICKS_RUNTIME_VERSION", "17.3")
    entry = tmp_path / "run_etl.py"
    entry.write_text("")
    with pytest.raises(DeploymentMismatch, match="deployment.json is missing beside run_etl.py"):
        check_run(str(entry), secret_scope="bank-prod-kv", secret_keys=LOADER_KEYS)


def test_a_deployment_json_that_cannot_be_read_refuses_the_run(tmp_path):
    (tmp_path / "deployment.json").write_text("{ not json")
    entry = tmp_path / "run_etl.py"
    entry.write_text("")
    with pytest.raises(DeploymentMismatch, match="cannot be read"):
        check_run(str(entry), secret_scope="bank-prod-kv")
    (tmp_path / "deployment.json").write_text(json.dumps({"schema_version": 2}))
    with pytest.raises(DeploymentMismatch, match="schema_version 1"):
        check_run(str(entry), secret_scope="bank-prod-kv")


def test_the_guard_needs_nothing_but_the_standard_library():
    imported = {line.split()[1].split(".")[0] for line in open(deployment_guard.__file__, encoding="utf-8") if line.startswith(("import ", "from "))}
    assert imported <= {"__future__", "json", "os", "re", "runpy", "sys", "collections", "urllib"}


# --- the launcher in front of a team's own entry file (src/constructs/databricks/task-launcher.ts) ---

CARDS_URL = "postgresql://psql-analytics-dev.postgres.database.azure.com:5432/cards?sslmode=verify-full"
CARDS_LAKE = "abfss://{container}@stanalyticsdev01.dfs.core.windows.net/cards/"
DEPLOYED = ["--pg-url", CARDS_URL, "--lake", CARDS_LAKE, "--day", "started-{{job.start_time.iso_date}}"]
LAUNCHED_DEPLOYMENT = {
    "schema_version": 1,
    "secret_scope": "cards-dev-kv",
    "secret_keys": {"run_spend.py": ["cards-etl-user", "cards-etl-password"]},
    "tasks": {"spend": {"entry": "run_spend.py", "parameters": DEPLOYED, "operator_options": {"--quarter": "value", "--all": "flag"}}},
}
# The team's entry file: records that it started, with what, and where it thinks it is.
TEAM_ENTRY = """import json, sys
json.dump({"argv": sys.argv, "path0": sys.path[0]}, open(sys.argv[0] + ".started", "w"))
"""


def typescript_launcher(task_key: str, entry: str) -> str:
    """The launcher the constructs upload, made by task-launcher.ts itself."""
    return node_with_typescript(
        "const l = require(process.argv[1]);"
        "process.stdout.write(Buffer.from(l.launcherFile(process.argv[2], process.argv[3]).contentBase64, 'base64').toString('utf8'));",
        str(REPO_DIR / "src/constructs/databricks/task-launcher.ts"), task_key, entry)


@pytest.fixture(scope="module")
def launcher_source() -> str:
    return typescript_launcher("spend", "run_spend.py")


@pytest.fixture
def code_folder(tmp_path, launcher_source):
    """A job's code folder as the deploy leaves it: the team's entry file, the package's guard, the
    generated launcher and deployment.json."""
    (tmp_path / "deployment.json").write_text(json.dumps(LAUNCHED_DEPLOYMENT))
    shutil.copy(deployment_guard.__file__, tmp_path / "deployment_guard.py")
    (tmp_path / "run_spend.py").write_text(TEAM_ENTRY)
    (tmp_path / "_guarded_spend.py").write_text(launcher_source)
    return tmp_path


def launch(folder: Path, parameters: list[str]) -> subprocess.CompletedProcess:
    # As Databricks starts a Python file: its folder first on sys.path, nothing else of this repository.
    return subprocess.run([sys.executable, str(folder / "_guarded_spend.py"), *parameters], capture_output=True, text=True,
                          cwd=folder, timeout=60, env={"PATH": "/usr/bin:/bin"})


def started(folder: Path) -> dict | None:
    marker = folder / "run_spend.py.started"
    return json.loads(marker.read_text()) if marker.exists() else None


def resolved(parameters: list[str]) -> list[str]:
    """The deployed parameters as Databricks passes them, dynamic value references resolved."""
    return [parameter.replace("{{job.start_time.iso_date}}", "2026-04-01") for parameter in parameters]


def test_the_launcher_runs_the_team_entry_file_with_the_deployed_parameters(code_folder):
    completed = launch(code_folder, resolved(DEPLOYED))
    assert completed.returncode == 0, completed.stderr
    run = started(code_folder)
    assert run["argv"] == [str(code_folder / "run_spend.py"), *resolved(DEPLOYED)]
    assert run["path0"] == str(code_folder)


def test_the_launcher_lets_operators_set_the_options_the_task_declares(code_folder):
    completed = launch(code_folder, ["--quarter", "2024-Q1", *resolved(DEPLOYED), "--all"])
    assert completed.returncode == 0, completed.stderr
    assert started(code_folder)["argv"][1:3] == ["--quarter", "2024-Q1"]


@pytest.mark.parametrize("parameters, named", [
    (resolved(DEPLOYED[:1]) + ["postgresql://attacker.example.net:5432/cards?sslmode=verify-full"] + resolved(DEPLOYED[2:]),
     "parameter 2 is 'postgresql://attacker.example.net"),
    (resolved(DEPLOYED[:3]) + ["abfss://{container}@stother01.dfs.core.windows.net/cards/"] + resolved(DEPLOYED[4:]), "parameter 4"),
    (resolved(DEPLOYED) + ["--debug"], "parameter 7 is '--debug', the deploy decided (none)"),
    (resolved(DEPLOYED[:4]), "parameter 5 is (none), the deploy decided '--day'"),
    (resolved(DEPLOYED[:5]) + ["stopped-2026-04-01"], "parameter 6 is 'stopped-2026-04-01'"),
], ids=["another database", "another lake", "an option the task does not declare", "a deployed parameter left out",
        "a literal part around a dynamic reference changed"])
def test_the_launcher_refuses_other_parameters_before_the_entry_file_starts(code_folder, parameters, named):
    completed = launch(code_folder, parameters)
    assert completed.returncode == deployment_guard.EXIT_CODE
    assert "refused before the entry file starts: task spend" in completed.stderr
    assert "operators may set only these options: --all, --quarter" in completed.stderr
    if named is not None:
        assert named in completed.stderr
    assert started(code_folder) is None


def test_the_launcher_refuses_a_run_without_its_task_in_deployment_json(code_folder):
    (code_folder / "deployment.json").write_text(json.dumps({**LAUNCHED_DEPLOYMENT, "tasks": {}}))
    completed = launch(code_folder, resolved(DEPLOYED))
    assert completed.returncode == deployment_guard.EXIT_CODE and "task spend is not in deployment.json" in completed.stderr
    (code_folder / "deployment.json").unlink()
    completed = launch(code_folder, resolved(DEPLOYED))
    assert completed.returncode == deployment_guard.EXIT_CODE and "deployment.json is missing beside _guarded_spend.py" in completed.stderr
    assert started(code_folder) is None
