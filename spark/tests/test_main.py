"""The job's tasks as Databricks runs them (bank_etl/main.py), with a stand-in for dbutils
(fake_dbutils.py, as strict as the service): the check task resolves the input once and hands it to
the load as a task value; the load reads that file and no other, its credentials come from the
secret scope and its lake operations go through dbutils.fs."""

from __future__ import annotations

import hashlib
import logging
import os

import psycopg
import pytest

from bank_etl import runtime
from bank_etl.config import parse_pg_url
from bank_etl.main import check_main, main
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
