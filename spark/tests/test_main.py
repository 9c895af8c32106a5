"""The job's tasks as Databricks runs them (bank_etl/main.py), with a stand-in for dbutils
(fake_dbutils.py, as strict as the service): the check task resolves the input once and hands it to
the load as a task value; the load reads that file and no other, its credentials come from the
secret scope and its lake operations go through dbutils.fs."""

from __future__ import annotations

import hashlib
import json
import logging
import os

import psycopg
import pytest

from bank_etl import runtime
from bank_etl.config import PgSettings, parse_pg_url
from bank_etl.main import check_main, main, maintain_main, migrate_main
from devtools import pgserver
from devtools.datagen import generate

from conftest import ETL_PASSWORD, ETL_ROLE
from fake_dbutils import FakeDbutils, FakeJob

SECRETS = {("kv", "pg-user"): ETL_ROLE, ("kv", "pg-password"): ETL_PASSWORD}


def as_task(monkeypatch, job: FakeJob | None, task_key: str | None) -> FakeDbutils:
    """From now on the code sees Databricks: this task's dbutils (ABFS-like fs, secrets, task values)."""
    utils = FakeDbutils(secrets=SECRETS, job=job, task_key=task_key)
    monkeypatch.setattr(runtime, "dbutils", lambda spark: utils)
    return utils


def load_arguments(landing, lake, pg_url, schema) -> list[str]:
    # As the job definition passes them: no credentials in the URL, the login from the secret scope.
    return ["--input", str(landing), "--lake", str(lake), "--pg-url", parse_pg_url(pg_url).with_credentials(None, None).to_url(),
            "--schema", schema, "--secret-scope", "kv", "--pg-user-key", "pg-user", "--pg-password-key", "pg-password",
            "--timezone", "UTC", "--all"]


def landed(path, seed: int, stamp: int) -> str:
    generate(path, rows=730, seed=seed)
    os.utime(path, (stamp, stamp))
    return str(path)


def checked_landing(tmp_path, monkeypatch) -> tuple:
    """A landing folder with one delivery, which the check task of a new job run has resolved."""
    landing = tmp_path / "landing"
    landing.mkdir()
    checked = landed(landing / "bank-2022.csv", seed=3, stamp=1_700_000_000)
    job = FakeJob()
    as_task(monkeypatch, job, "check")
    assert check_main(["--input", str(landing), "--timezone", "UTC", "--all"]) == 0
    return landing, checked, job


def runs(pg, schema) -> list[tuple]:
    return pg.execute(f'SELECT status, input_uri, input_sha256, error FROM "{schema}".etl_runs ORDER BY started_at').fetchall()


def test_the_load_reads_the_file_the_check_task_resolved_though_a_newer_one_landed_since(
        spark, pg, pg_url, schema, tmp_path, monkeypatch):
    landing, checked, job = checked_landing(tmp_path, monkeypatch)
    assert job.values["check"]["input"]["path"] == checked

    landed(landing / "bank-2022-resent.csv", seed=4, stamp=1_700_000_100)  # newer, lands before the load starts
    utils = as_task(monkeypatch, job, "load")
    assert main(load_arguments(landing, tmp_path / "lake", pg_url, schema)) == 0
    sha = hashlib.sha256(open(checked, "rb").read()).hexdigest()
    assert runs(pg, schema) == [("succeeded", checked, sha, None)]
    # The lake's first run went through dbutils.fs: the export's year folder and the manifest exist.
    assert (tmp_path / "lake/features/export/year=2022/quarter=4").is_dir()
    assert (tmp_path / "lake/features/export/_manifests/2022Q4.json").is_file()
    assert any(call[0] == "mv" for call in utils.fs.calls)


def test_the_load_refuses_the_checked_file_once_a_delivery_has_replaced_it(
        spark, pg, pg_url, schema, tmp_path, monkeypatch):
    landing, checked, job = checked_landing(tmp_path, monkeypatch)
    landed(landing / "bank-2022.csv", seed=5, stamp=1_700_000_200)  # the same name, another delivery
    as_task(monkeypatch, job, "load")
    assert main(load_arguments(landing, tmp_path / "lake", pg_url, schema)) == 3  # permanent: not retried
    [(status, input_uri, _, error)] = runs(pg, schema)
    assert (status, input_uri) == ("failed", checked) and "changed after the check task resolved it" in error
    assert pg.execute(f'SELECT count(*) FROM "{schema}".transactions').fetchone()[0] == 0
    assert not (tmp_path / "lake/curated").exists()


def test_a_load_in_a_job_whose_check_task_handed_over_nothing_refuses_to_guess(spark, pg, pg_url, schema, tmp_path,
                                                                              monkeypatch):
    landing = tmp_path / "landing"
    landing.mkdir()
    landed(landing / "bank-2022.csv", seed=3, stamp=1_700_000_000)
    as_task(monkeypatch, FakeJob(), "load")
    assert main(load_arguments(landing, tmp_path / "lake", pg_url, schema)) == 3
    assert runs(pg, schema) == []


def test_the_check_task_outside_a_job_hands_over_nothing_and_the_load_resolves_the_input_itself(monkeypatch):
    as_task(monkeypatch, None, None)  # a task run by hand: dbutils, but no job
    assert runtime.input_from_check(None) is None
    with pytest.raises(TypeError):  # as Databricks does, without a debugValue
        FakeDbutils().jobs.taskValues.get(taskKey="check", key="input")


def test_a_landing_file_in_the_archive_tier_fails_the_check_at_once_saying_how_to_rehydrate_it(
        spark, tmp_path, monkeypatch, caplog):
    landing = tmp_path / "landing"
    landing.mkdir()
    path = landed(landing / "bank-2022.csv", seed=3, stamp=1_700_000_000)
    utils = as_task(monkeypatch, FakeJob(), "check")
    utils.fs.archive(path)  # months later, by the landing lifecycle rule
    with caplog.at_level(logging.ERROR):
        assert check_main(["--input", str(landing), "--timezone", "UTC", "--all"]) == 3
    assert "is in the archive tier" in caplog.text and "az storage blob set-tier" in caplog.text


def test_the_rehydrate_command_names_the_account_container_and_blob_of_an_abfs_path():
    from bank_etl.extract import rehydrate_command

    assert rehydrate_command("abfss://landing@stbankprod.dfs.core.windows.net/bank/transactions/2022.csv") == (
        "az storage blob set-tier --account-name stbankprod --container-name landing --name "
        "bank/transactions/2022.csv --tier Cool --rehydrate-priority High --auth-mode login")


# The guard (deployment_guard.py): on Databricks the job's code folder holds the deploy's
# deployment.json beside the entry files, and an entry refuses a run whose parameters point
# anywhere else before it reads a secret.
LANDING = "abfss://landing@stbanktest01.dfs.core.windows.net/bank/transactions/"
LAKE = "abfss://{container}@stbanktest01.dfs.core.windows.net/"
ADMIN_SECRETS = ("admin-user", "admin-password", "etl-password")


def admin_password() -> str:
    """The test server's administrator password, from its passfile (host:port:db:user:password)."""
    with open(os.environ["PGPASSFILE"], encoding="utf-8") as handle:
        return handle.readline().rstrip("\n").split(":", 4)[4]


@pytest.fixture
def code_folder(tmp_path, pg_url, monkeypatch):
    """The job's folder on Databricks: deployment.json as the deploy writes it, for this server."""
    server = parse_pg_url(pg_url)
    deployment = {
        "schema_version": 1,
        "postgres": {"host": server.host, "port": server.port, "database": server.dbname},
        "lake": {"account": "stbanktest01", "root": LAKE},
        "input": LANDING,
        "secret_scope": "kv",
        "secret_keys": {"run_check.py": [], "run_etl.py": ["pg-user", "pg-password"], "run_migrate.py": list(ADMIN_SECRETS)},
    }
    folder = tmp_path / "code"
    folder.mkdir()
    (folder / "deployment.json").write_text(json.dumps(deployment))
    monkeypatch.setenv("DATABRICKS_RUNTIME_VERSION", "17.3")
    return folder


def deployed_url(pg_url, **changes) -> str:
    server = parse_pg_url(pg_url)
    target = {"host": server.host, "port": server.port, "dbname": server.dbname, **changes}
    return PgSettings(target["host"], target["port"], target["dbname"], params=server.params).to_url()


def deployed_load(pg_url, schema="bank") -> list[str]:
    return ["--input", LANDING, "--lake", LAKE, "--pg-url", deployed_url(pg_url), "--schema", schema,
            "--secret-scope", "kv", "--pg-user-key", "pg-user", "--pg-password-key", "pg-password", "--timezone", "UTC"]


def replaced(arguments: list[str], option: str, value: str) -> list[str]:
    changed = list(arguments)
    changed[changed.index(option) + 1] = value
    return changed


@pytest.mark.parametrize("option, value", [
    ("--pg-url", "host"), ("--pg-url", "port"), ("--pg-url", "database"),
    ("--lake", "abfss://{container}@stattacker01.dfs.core.windows.net/"),
    ("--input", "abfss://landing@stbanktest01.dfs.core.windows.net/payroll/"),
    ("--secret-scope", "other-kv"),
    ("--pg-user-key", "admin-user"),
])
def test_a_load_whose_parameters_differ_from_deployment_json_exits_3_before_reading_a_secret(
        code_folder, pg_url, monkeypatch, option, value):
    utils = as_task(monkeypatch, FakeJob(), "load")
    if option == "--pg-url":
        value = deployed_url(pg_url, **{"host": {"host": "attacker.example.net"}, "port": {"port": 6432},
                                        "database": {"dbname": "postgres"}}[value])
    arguments = replaced(deployed_load(pg_url), option, value)
    assert main(arguments, entry_file=str(code_folder / "run_etl.py")) == 3
    assert utils.secrets.calls == []


def test_a_load_with_the_deployed_parameters_reads_exactly_its_two_keys_and_runs_with_them(
        code_folder, pg_url, monkeypatch):
    from bank_etl import job, session

    utils = as_task(monkeypatch, None, None)
    started = []
    monkeypatch.setattr(session, "get_session", lambda: "the cluster's session")
    monkeypatch.setattr(job, "run_job", lambda spark, config, checked_input: started.append(config))
    assert main(deployed_load(pg_url), entry_file=str(code_folder / "run_etl.py")) == 0
    assert utils.secrets.calls == [("kv", "pg-user"), ("kv", "pg-password")]
    [config] = started
    assert (config.pg.user, config.pg.password) == (ETL_ROLE, ETL_PASSWORD)


def test_a_migrate_run_against_another_database_exits_3_before_reading_a_secret(code_folder, pg_url, monkeypatch):
    utils = as_task(monkeypatch, None, None)
    arguments = ["--pg-url", deployed_url(pg_url, host="attacker.example.net"), "--schema", "bank", "--secret-scope", "kv",
                 "--admin-user-key", "admin-user", "--admin-password-key", "admin-password", "--etl-password-key", "etl-password"]
    assert migrate_main(arguments, entry_file=str(code_folder / "run_migrate.py")) == 3
    assert utils.secrets.calls == []


def test_a_migrate_run_with_the_deployed_parameters_reads_exactly_its_keys_and_migrates(code_folder, pg, pg_url, fresh_schema,
                                                                                        monkeypatch):
    utils = as_task(monkeypatch, None, None)
    utils.secrets.values.update({("kv", "admin-user"): pgserver.ADMIN, ("kv", "admin-password"): admin_password(),
                                 ("kv", "etl-password"): ETL_PASSWORD})
    arguments = ["--pg-url", deployed_url(pg_url), "--schema", fresh_schema, "--secret-scope", "kv", "--admin-user-key",
                 "admin-user", "--admin-password-key", "admin-password", "--etl-password-key", "etl-password"]
    assert migrate_main(arguments, entry_file=str(code_folder / "run_migrate.py")) == 0
    assert utils.secrets.calls == [("kv", key) for key in ADMIN_SECRETS]
    assert pg.execute(f'SELECT max(version) FROM "{fresh_schema}".schema_migrations').fetchone()[0] >= 1


def test_a_check_of_an_input_outside_the_deployed_landing_folder_is_refused_with_exit_3(code_folder, monkeypatch, caplog):
    utils = as_task(monkeypatch, FakeJob(), "check")
    outside = "abfss://landing@stattacker01.dfs.core.windows.net/bank/transactions/"
    assert check_main(["--input", outside, "--timezone", "UTC"], entry_file=str(code_folder / "run_check.py")) == 3
    assert f"--input is {outside}; the deploy decided {LANDING}" in caplog.text
    assert utils.fs.calls == []  # refused before looking at the input


def test_on_databricks_a_load_without_deployment_json_beside_it_reads_no_secret(pg_url, tmp_path, monkeypatch):
    monkeypatch.setenv("DATABRICKS_RUNTIME_VERSION", "17.3")
    utils = as_task(monkeypatch, FakeJob(), "load")
    assert main(deployed_load(pg_url), entry_file=str(tmp_path / "run_etl.py")) == 3
    assert utils.secrets.calls == []


def test_a_maintain_run_on_another_lake_than_the_deployed_one_exits_3_before_touching_a_table(code_folder, monkeypatch):
    from bank_etl import maintain

    touched = []
    monkeypatch.setattr(maintain, "maintain", lambda *args: touched.append(args))
    other = "abfss://{container}@stattacker01.dfs.core.windows.net/"
    assert maintain_main(["--lake", other], entry_file=str(code_folder / "run_maintain.py")) == 3
    assert touched == []


def test_a_maintain_run_on_the_deployed_lake_maintains_its_tables(code_folder, monkeypatch):
    from bank_etl import maintain, session

    touched = []
    monkeypatch.setattr(session, "get_session", lambda: "the cluster's session")
    monkeypatch.setattr(maintain, "maintain", lambda spark, tables, hours: touched.append((spark, sorted(tables), hours)))
    assert maintain_main(["--lake", LAKE], entry_file=str(code_folder / "run_maintain.py")) == 0
    assert touched == [("the cluster's session", ["curated", "features", "quarantine"], 168)]
