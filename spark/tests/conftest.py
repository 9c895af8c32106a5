"""Shared fixtures: one local Spark session for the whole run, and the PostgreSQL server that
spark/bin/test starts (BANK_PG_URL and the PG* variables); without it, one is started here."""

from __future__ import annotations

import csv
import os
import sys
import uuid
from pathlib import Path

import psycopg
import pytest

SPARK_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(SPARK_DIR))

from bank_etl.config import Scope, JobConfig, Quarter, parse_pg_url  # noqa: E402
from bank_etl.session import configure, local_session  # noqa: E402


@pytest.fixture(scope="session")
def spark():
    session = local_session("bank-etl-tests", master="local[2]", shuffle_partitions=2)
    configure(session)
    yield session
    session.stop()


@pytest.fixture(scope="session")
def pg_url():
    if os.environ.get("BANK_PG_URL"):
        yield os.environ["BANK_PG_URL"]
        return
    from devtools import pgserver

    with pgserver.running() as server:
        yield server.env()["BANK_PG_URL"]


@pytest.fixture
def schema(pg_url):
    """A fresh schema per test, dropped afterwards."""
    name = f"t_{uuid.uuid4().hex[:12]}"
    yield name
    with psycopg.connect(**parse_pg_url(pg_url).connect_kwargs(), autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')


@pytest.fixture
def pg(pg_url):
    with psycopg.connect(**parse_pg_url(pg_url).connect_kwargs(), autocommit=True) as conn:
        yield conn


def write_csv(path: Path, rows: list[list[str]], header=("Date", "Domain", "Location", "Value", "Transaction_count")) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        if header:
            writer.writerow(header)
        writer.writerows(rows)
    return path


def job_config(input_path, lake, pg_url, schema, quarter: str | None = None) -> JobConfig:
    return JobConfig(
        input_uri=str(input_path),
        lake_root=str(lake),
        pg=parse_pg_url(pg_url),
        schema=schema,
        scope=Scope(Quarter.parse(quarter) if quarter else None),
    )
