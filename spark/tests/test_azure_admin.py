"""PostgreSQL as Azure Database for PostgreSQL Flexible Server has it: the administrator is a
CREATEROLE, CREATEDB, REPLICATION login in azure_pg_admin, never a superuser. The throwaway server
(devtools/pgserver.py) exports only such an administrator; migrate, the load and etl-local run
as it and as the roles it creates."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from bank_etl import load_pg
from bank_etl.config import parse_pg_url
from bank_etl.errors import RoleConflictError
from quarterly_roles import RoleConfigError
from bank_etl.job import run_job
from devtools import pgserver
from devtools.datagen import generate

from conftest import ETL_ROLE, READER_ROLE, job_config

SPARK_DIR = Path(__file__).resolve().parent.parent


def test_the_exported_login_is_an_azure_like_administrator_and_not_a_superuser(pg, pg_url):
    assert parse_pg_url(pg_url).user == pgserver.ADMIN
    if os.environ.get("PGUSER"):  # spark/bin/test exports the server's variables
        assert os.environ["PGUSER"] == pgserver.ADMIN
    assert pg.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user").fetchone()[0] is False
    attributes = pg.execute("SELECT rolcanlogin, rolinherit, rolcreatedb, rolcreaterole, rolreplication, rolbypassrls "
                            "FROM pg_roles WHERE rolname = current_user").fetchone()
    assert attributes == (True, True, True, True, True, False)
    assert pg.execute("SELECT pg_has_role(current_user, 'azure_pg_admin', 'MEMBER')").fetchone()[0] is True
    group = {r[0] for r in pg.execute("SELECT r.rolname FROM pg_auth_members m JOIN pg_roles r ON r.oid = m.roleid "
                                      "WHERE m.member = 'azure_pg_admin'::regrole").fetchall()}
    assert group == set(pgserver.ADMIN_GROUP_ROLES)  # monitoring only: no pg_read_all_data, no server files
    owner = pg.execute("SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = current_database()").fetchone()[0]
    assert owner == pgserver.ADMIN  # as a database Terraform creates through the Azure API
    assert pg.execute("SELECT has_schema_privilege('public', 'public', 'CREATE')").fetchone()[0] is False
    # As strict as Azure: what only a superuser may do is refused.
    role = f"t_{uuid.uuid4().hex[:10]}"
    pg.execute(sql.SQL("CREATE ROLE {}").format(sql.Identifier(role)))
    try:
        for statement in ("ALTER ROLE {} NOSUPERUSER", "ALTER ROLE {} NOREPLICATION", "ALTER ROLE {} NOBYPASSRLS"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege, match="superuser"):
                pg.execute(sql.SQL(statement).format(sql.Identifier(role)))
    finally:
        pg.execute(sql.SQL("DROP ROLE {}").format(sql.Identifier(role)))
    # The superuser cannot log in over TCP: it has no password left.
    settings = parse_pg_url(pg_url)
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(**settings.with_credentials(pgserver.SUPERUSER, None).connect_kwargs()).close()


def test_migrate_then_load_as_the_azure_like_administrator_on_a_fresh_server(spark, tmp_path):
    """run_migrate.py as the administrator on a new server and database (twice: the job retries
    the task), then the load as bank_etl; the reader login sees the rows and no password is logged."""
    landing = tmp_path / "landing.csv"
    expected = generate(landing, rows=730, seed=21, messy=True, progress=False)
    etl_password, reader_password = "etl-" + uuid.uuid4().hex, "reader-" + uuid.uuid4().hex
    server = pgserver.start()
    try:
        env = {**os.environ, **server.env(), "BANK_ETL_PASSWORD": etl_password, "BANK_READER_PASSWORD": reader_password}
        admin_url = server.env()["BANK_PG_URL"]
        command = [sys.executable, str(SPARK_DIR / "run_migrate.py"), "--pg-url", admin_url, "--schema", "bank",
                   "--etl-role", ETL_ROLE, "--reader-role", READER_ROLE, "--reader-login", "ml_app"]
        for attempt in (1, 2):
            migrated = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
            assert migrated.returncode == 0, f"attempt {attempt}: {migrated.stderr[-3000:]}"
            output = migrated.stdout + migrated.stderr
            assert etl_password not in output and reader_password not in output
        assert "reader login ml_app" in migrated.stderr
        etl_url = parse_pg_url(admin_url).with_credentials(ETL_ROLE, etl_password).to_url()
        record = run_job(spark, job_config(landing, tmp_path / "lake", etl_url, "bank")).record
        assert record["status"] == "succeeded" and record["rows_valid"] == expected["rows_valid"]
        reader = parse_pg_url(admin_url).with_credentials("ml_app", reader_password)
        with psycopg.connect(**reader.connect_kwargs(), autocommit=True) as conn:
            assert conn.execute("SELECT count(*) FROM bank.transactions").fetchone()[0] == expected["rows_valid"]
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute("DELETE FROM bank.transactions")
    finally:
        pgserver.stop(server.directory)


def test_etl_local_runs_end_to_end_on_its_own_azure_like_server(tmp_path):
    """npm run etl:local without --pg-url: its throwaway server's administrator migrates, bank_etl loads."""
    landing = tmp_path / "landing.csv"
    expected = generate(landing, rows=1460, seed=22, messy=True, progress=False)
    completed = subprocess.run([str(SPARK_DIR / "bin/etl-local"), "--input", str(landing), "--lake", str(tmp_path / "lake"),
                                "--all", "--no-progress"], capture_output=True, text=True, timeout=600,
                               env={**os.environ, "INIT_CWD": str(tmp_path)})
    assert completed.returncode == 0, completed.stderr[-3000:]
    assert "succeeded" in completed.stdout
    assert f"{'valid (loaded)':<30}{expected['rows_valid']:>16,}" in completed.stdout
    assert (tmp_path / "lake/quarantine/rows/_delta_log").is_dir()


def test_migrate_refuses_an_existing_role_with_more_rights_and_leaves_nothing_behind(pg, fresh_schema):
    role = f"t_{uuid.uuid4().hex[:10]}"
    ident = sql.Identifier(role)
    pg.execute(sql.SQL("CREATE ROLE {} LOGIN IN ROLE pg_monitor").format(ident))
    try:
        with pytest.raises(RoleConflictError, match=f"role {role} exists with rights .* membership in pg_monitor"):
            load_pg.migrate(pg, fresh_schema, load_pg.Roles(role, READER_ROLE))
        assert pg.execute("SELECT to_regnamespace(%s)", (fresh_schema,)).fetchone()[0] is None
    finally:
        pg.execute(sql.SQL("DROP ROLE {}").format(ident))


def test_migrate_brings_an_existing_role_back_to_its_contract(pg, fresh_schema):
    role = f"t_{uuid.uuid4().hex[:10]}"
    ident = sql.Identifier(role)
    pg.execute(sql.SQL("CREATE ROLE {} NOLOGIN CREATEDB CREATEROLE").format(ident))
    try:
        load_pg.migrate(pg, fresh_schema, load_pg.Roles(role, READER_ROLE))
        flags = pg.execute("SELECT rolcanlogin, rolcreatedb, rolcreaterole FROM pg_roles WHERE rolname = %s",
                           (role,)).fetchone()
        assert flags == (True, False, False)
    finally:
        pg.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(fresh_schema)))
        pg.execute(sql.SQL("DROP ROLE {}").format(ident))


def test_migrate_refuses_a_reader_login_that_is_one_of_the_jobs_roles_or_the_administrator(pg, fresh_schema):
    for login in (ETL_ROLE, READER_ROLE, pgserver.ADMIN):
        with pytest.raises(RoleConfigError, match="distinct roles"):
            load_pg.migrate(pg, fresh_schema, load_pg.Roles(ETL_ROLE, READER_ROLE, None, login, "x"))
