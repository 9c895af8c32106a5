"""The failure taxonomy: what is retried, what fails at once, and what the check task catches."""

from __future__ import annotations

import logging

import psycopg
import pytest

from bank_etl.check import run_check
from bank_etl.config import ConfigError, parse_check_args
from bank_etl.errors import EmptyScopeError, Failure, InputError, SchemaNotReadyError, classify, describe, log_failure
from bank_etl.fs import LocalFs
from bank_etl.main import check_main
from deployment_guard import DeploymentMismatch
from devtools.datagen import generate
from quarterly_roles import RoleConfigError, RoleConflictError

from conftest import write_csv


class FakePy4JError(Exception):
    """Stands in for py4j's Py4JJavaError, which carries the JVM's stack trace."""

    def __init__(self, message: str):
        super().__init__(message)
        self.java_exception = f"java.io.IOException: {message}\n\tat org.apache.hadoop.fs.azurebfs.Client.call"


def chained(outer: Exception, inner: Exception) -> Exception:
    try:
        try:
            raise inner
        except Exception as cause:
            raise outer from cause
    except Exception as error:
        return error


@pytest.mark.parametrize("error, kind", [
    (InputError("input not found: x.csv"), Failure.PERMANENT),
    (InputError("input is missing required column(s) value"), Failure.PERMANENT),
    (EmptyScopeError("no valid rows for scope 2023-Q1"), Failure.PERMANENT),
    (SchemaNotReadyError("run migrate"), Failure.PERMANENT),
    (ConfigError("--quarter must look like 2022-Q3"), Failure.USAGE),
    (psycopg.OperationalError("connection to server at 10.0.0.4 failed: Connection refused"), Failure.TRANSIENT),
    (psycopg.OperationalError("password authentication failed for user bank_etl"), Failure.PERMANENT),
    (FakePy4JError("Operation failed: 'Server busy', 503, PUT, ServerBusy"), Failure.TRANSIENT),
    (FakePy4JError("Status code 429: throttled"), Failure.TRANSIENT),
    (FakePy4JError("[PATH_NOT_FOUND] Path does not exist: abfss://landing@a/x.csv"), Failure.PERMANENT),
    (chained(RuntimeError("load failed"), ConnectionResetError("Connection reset by peer")), Failure.TRANSIENT),
    (chained(RuntimeError("stage failed"), InputError("missing required column")), Failure.PERMANENT),
    (ZeroDivisionError("division by zero"), Failure.UNKNOWN),
    (DeploymentMismatch("refused before reading any secret: --pg-url names elsewhere"), Failure.PERMANENT),
    (chained(RuntimeError("migrate failed"), RoleConflictError("role bank_etl exists with rights")), Failure.PERMANENT),
    (RoleConfigError("the job's roles must be distinct"), Failure.PERMANENT),
])
def test_classifies_failures_by_whether_a_retry_can_fix_them(error, kind):
    assert classify(error) is kind


def test_exit_codes_tell_the_kinds_apart_and_only_permanent_ones_are_not_retryable():
    assert {k: (k.exit_code, k.retryable) for k in Failure} == {
        Failure.USAGE: (2, False), Failure.PERMANENT: (3, False), Failure.TRANSIENT: (75, True),
        Failure.UNKNOWN: (1, True)}


def test_logs_an_error_whole_with_its_causes_and_the_jvm_stack(caplog):
    error = chained(RuntimeError("writing the lake failed"), FakePy4JError("Server busy"))
    with caplog.at_level(logging.ERROR):
        log_failure(logging.getLogger("test"), "load", error)
    text = caplog.text
    assert "writing the lake failed" in text and "Server busy" in text and "Traceback" in text
    assert "org.apache.hadoop.fs.azurebfs" in text and "retryable" in text
    assert describe(error).startswith("RuntimeError: writing the lake failed <- caused by: FakePy4JError")


def test_check_fails_at_once_on_a_missing_file_a_missing_column_or_no_rows_in_scope(spark, tmp_path):
    fs = LocalFs()
    with pytest.raises(InputError, match="not found"):
        run_check(spark, fs, parse_check_args(["--input", str(tmp_path / "absent.csv"), "--all"]))
    no_value = write_csv(tmp_path / "no-value.csv", [["1/1/2022", "RETAIL", "Goa", "1"]],
                         header=["Date", "Domain", "Location", "Transaction_count"])
    with pytest.raises(InputError, match="value"):
        run_check(spark, fs, parse_check_args(["--input", str(no_value), "--all"]))
    path = tmp_path / "landing.csv"
    generate(path, rows=730, seed=1)
    with pytest.raises(EmptyScopeError, match="2023-Q1"):
        run_check(spark, fs, parse_check_args(["--input", str(path), "--quarter", "2023-Q1"]))
    assert run_check(spark, fs, parse_check_args(["--input", str(path), "--quarter", "2022-Q3"]))["scope"] == "2022-Q3"


def test_the_check_task_exits_with_the_permanent_code(spark, tmp_path):
    assert check_main(["--input", str(tmp_path / "absent.csv"), "--all"]) == Failure.PERMANENT.exit_code
    assert check_main(["--input", "x.csv", "--quarter", "2022-Q9"]) == Failure.USAGE.exit_code
