"""The guard that keeps a run's credentials where the deploy decided (spark/deployment_guard.py)."""

from __future__ import annotations

import json

import pytest

import deployment_guard
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
    assert imported <= {"__future__", "json", "os", "re", "collections", "urllib"}
