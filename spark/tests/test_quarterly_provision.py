"""quarterly_provision.py, the package's task that sets up a team's database as the server
administrator (an Azure-like one, not a superuser: devtools/pgserver.py): run as a user runs it,
as a process with its command line, and on Databricks with its secrets from the scope."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

import quarterly_provision
from bank_etl.config import parse_pg_url
from devtools import pgserver

from fake_dbutils import FakeSecrets

SPARK_DIR = Path(__file__).resolve().parent.parent
OWNER_PASSWORD = "owner-" + uuid.uuid4().hex
READER_PASSWORD = "reader-" + uuid.uuid4().hex
KEYS = {"admin-user": "psql-cards-admin-user", "admin-password": "psql-cards-admin-password",
        "owner-password": "psql-cards-etl-password", "reader-password": "psql-cards-app-password"}


@pytest.fixture
def team(pg, fresh_schema):
    """A team's names (schema, owner login, reader role, reader login), all new; dropped afterwards."""
    tag = uuid.uuid4().hex[:8]
    names = {"schema": fresh_schema, "owner": f"cards_etl_{tag}", "reader": f"cards_reader_{tag}", "login": f"cards_app_{tag}"}
    yield names
    pg.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(names["schema"])))
    exists = lambda role: pg.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,)).fetchone()  # noqa: E731
    if exists(names["owner"]) and pg.execute("SELECT pg_has_role(%s, 'USAGE')", (names["owner"],)).fetchone()[0]:
        pg.execute(sql.SQL("DROP OWNED BY {}").format(sql.Identifier(names["owner"])))  # its default privileges
    for role in (names["login"], names["reader"], names["owner"]):
        if exists(role):
            pg.execute(sql.SQL("DROP ROLE {}").format(sql.Identifier(role)))


def command_line(pg_url: str, team: dict, *, reader_login: bool = True, secrets: bool = False) -> list[str]:
    arguments = ["--pg-url", pg_url, "--schema", team["schema"], "--owner-login", team["owner"], "--reader-role", team["reader"]]
    if reader_login:
        arguments += ["--reader-login", team["login"]]
    if secrets:
        arguments += ["--secret-scope", "cards-kv", "--admin-user-key", KEYS["admin-user"], "--admin-password-key",
                      KEYS["admin-password"], "--owner-password-key", KEYS["owner-password"]]
        arguments += ["--reader-password-key", KEYS["reader-password"]] if reader_login else []
    return arguments


def run_locally(pg_url: str, team: dict, **options) -> subprocess.CompletedProcess:
    """`python quarterly_provision.py ...` on this machine: the administrator from the URL and the
    PG* variables, the passwords from the environment."""
    env = {**os.environ, quarterly_provision.OWNER_PASSWORD_ENV: OWNER_PASSWORD,
           quarterly_provision.READER_PASSWORD_ENV: READER_PASSWORD}
    return subprocess.run([sys.executable, str(SPARK_DIR / "quarterly_provision.py"), *command_line(pg_url, team, **options)],
                          env=env, capture_output=True, text=True, timeout=120)


def login(pg_url: str, role: str, password: str) -> psycopg.Connection:
    return psycopg.connect(**parse_pg_url(pg_url).with_credentials(role, password).connect_kwargs(), autocommit=True)


def test_the_owner_login_creates_and_fills_a_table_and_the_reader_login_reads_it_and_nothing_more(pg_url, team):
    provisioned = run_locally(pg_url, team)
    assert provisioned.returncode == 0, provisioned.stderr[-3000:]
    table = sql.SQL("{}.cards").format(sql.Identifier(team["schema"]))
    with login(pg_url, team["owner"], OWNER_PASSWORD) as owner:
        owner.execute(sql.SQL("CREATE TABLE {} (card_id bigint, spend numeric)").format(table))
        owner.execute(sql.SQL("INSERT INTO {} VALUES (1, 10.5), (2, 3)").format(table))
    with login(pg_url, team["login"], READER_PASSWORD) as reader:
        assert reader.execute(sql.SQL("SELECT count(*) FROM {}").format(table)).fetchone()[0] == 2
        for statement in (sql.SQL("INSERT INTO {} VALUES (3, 1)").format(table),
                          sql.SQL("CREATE TABLE {}.mine (x int)").format(sql.Identifier(team["schema"]))):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                reader.execute(statement)


def catalog_state(pg, team: dict) -> dict:
    """What a run may change: the roles' attributes and memberships, the schema's owner and rights,
    the default privileges, and the tables' owners and rights."""
    roles = (team["owner"], team["reader"], team["login"])
    return {
        "roles": pg.execute("SELECT rolname, rolsuper, rolinherit, rolcreaterole, rolcreatedb, rolcanlogin, rolreplication, "
                            "rolbypassrls FROM pg_roles WHERE rolname = ANY(%s) ORDER BY 1", (list(roles),)).fetchall(),
        "memberships": pg.execute("SELECT r.rolname, m.rolname FROM pg_auth_members a JOIN pg_roles r ON r.oid = a.roleid "
                                  "JOIN pg_roles m ON m.oid = a.member WHERE r.rolname = ANY(%s) OR m.rolname = ANY(%s) "
                                  "ORDER BY 1, 2", (list(roles), list(roles))).fetchall(),
        "schema": pg.execute("SELECT pg_get_userbyid(nspowner), nspacl::text FROM pg_namespace WHERE nspname = %s",
                             (team["schema"],)).fetchall(),
        "default privileges": pg.execute("SELECT pg_get_userbyid(defaclrole), defaclobjtype, defaclacl::text FROM pg_default_acl d "
                                         "JOIN pg_namespace n ON n.oid = d.defaclnamespace WHERE n.nspname = %s",
                                         (team["schema"],)).fetchall(),
        "tables": pg.execute("SELECT relname, pg_get_userbyid(relowner), relacl::text FROM pg_class c JOIN pg_namespace n "
                             "ON n.oid = c.relnamespace WHERE n.nspname = %s ORDER BY 1", (team["schema"],)).fetchall(),
    }


def test_a_second_run_changes_nothing(pg, pg_url, team):
    first = run_locally(pg_url, team)
    assert first.returncode == 0, first.stderr[-3000:]
    assert f"created role {team['owner']}" in first.stderr and f"created schema {team['schema']}" in first.stderr
    with login(pg_url, team["owner"], OWNER_PASSWORD) as owner:
        owner.execute(sql.SQL("CREATE TABLE {}.cards (card_id bigint)").format(sql.Identifier(team["schema"])))
    before = catalog_state(pg, team)
    second = run_locally(pg_url, team)
    assert second.returncode == 0, second.stderr[-3000:]
    assert "nothing to change" in second.stderr
    assert catalog_state(pg, team) == before
    login(pg_url, team["login"], READER_PASSWORD).close()  # the passwords, set again, are the same


def test_an_existing_owner_login_with_createdb_and_createrole_loses_them(pg, pg_url, team):
    pg.execute(sql.SQL("CREATE ROLE {} NOLOGIN CREATEDB CREATEROLE").format(sql.Identifier(team["owner"])))
    provisioned = run_locally(pg_url, team)
    assert provisioned.returncode == 0, provisioned.stderr[-3000:]
    assert pg.execute("SELECT rolcanlogin, rolcreatedb, rolcreaterole FROM pg_roles WHERE rolname = %s",
                      (team["owner"],)).fetchone() == (True, False, False)
    assert "set NOCREATEDB NOCREATEROLE LOGIN" in provisioned.stderr


@pytest.mark.parametrize("role", ["owner", "login"])
def test_an_existing_role_with_rights_the_administrator_cannot_take_away_is_refused_and_nothing_is_made(pg, pg_url, team, role):
    # Membership in pg_read_all_data reads every table of the database: not the contract of either login.
    pg.execute(sql.SQL("CREATE ROLE {} LOGIN IN ROLE pg_read_all_data").format(sql.Identifier(team[role])))
    provisioned = run_locally(pg_url, team)
    assert provisioned.returncode == 3
    assert f"role {team[role]} exists with rights its contract does not allow: membership in pg_read_all_data" in provisioned.stderr
    assert pg.execute("SELECT to_regnamespace(%s)", (team["schema"],)).fetchone()[0] is None
    others = [team[name] for name in ("owner", "reader", "login") if name != role]
    assert pg.execute("SELECT count(*) FROM pg_roles WHERE rolname = ANY(%s)", (others,)).fetchone()[0] == 0


def as_databricks(tmp_path, monkeypatch, pg_url: str, secrets: FakeSecrets) -> str:
    """The team's job folder on Databricks, with the deploy's deployment.json; returns the entry file."""
    server = parse_pg_url(pg_url)
    deployment = {"schema_version": 1, "postgres": {"host": server.host, "port": server.port, "database": server.dbname},
                  "lake": {"account": "stcards01", "root": "abfss://{container}@stcards01.dfs.core.windows.net/cards/"},
                  "input": "abfss://landing@stcards01.dfs.core.windows.net/cards/statements/", "secret_scope": "cards-kv",
                  "secret_keys": {"run_cards.py": ["psql-cards-etl-user", "psql-cards-etl-password"],
                                  "quarterly_provision.py": sorted(KEYS.values())}}
    (tmp_path / "deployment.json").write_text(json.dumps(deployment))
    monkeypatch.setenv("DATABRICKS_RUNTIME_VERSION", "17.3")
    monkeypatch.setattr(quarterly_provision, "databricks_secrets", lambda: secrets.get)
    return str(tmp_path / "quarterly_provision.py")


def vault(pg_url: str) -> FakeSecrets:
    with open(os.environ["PGPASSFILE"], encoding="utf-8") as handle:  # host:port:database:user:password
        admin_password = handle.readline().rstrip("\n").split(":", 4)[4]
    return FakeSecrets({("cards-kv", KEYS["admin-user"]): pgserver.ADMIN, ("cards-kv", KEYS["admin-password"]): admin_password,
                        ("cards-kv", KEYS["owner-password"]): OWNER_PASSWORD,
                        ("cards-kv", KEYS["reader-password"]): READER_PASSWORD})


def without_login(pg_url: str) -> str:
    """The URL a deploy passes: the server and database, no credentials."""
    server = parse_pg_url(pg_url)
    return f"postgresql://{server.host}:{server.port}/{server.dbname}?sslmode=require"


@pytest.mark.parametrize("url", [
    "postgresql://attacker.example.net:{port}/{database}?sslmode=require",
    "postgresql://{host}:6432/{database}?sslmode=require",
    "postgresql://{host}:{port}/postgres?sslmode=require",
    "postgresql://{host}:{port}/{database}?sslmode=require&host=attacker.example.net",  # libpq takes this host
], ids=["host", "port", "database", "host in the query"])
def test_on_databricks_a_run_whose_pg_url_differs_from_deployment_json_exits_3_before_reading_a_secret(
        pg_url, team, tmp_path, monkeypatch, url):
    secrets = vault(pg_url)
    entry = as_databricks(tmp_path, monkeypatch, pg_url, secrets)
    server = parse_pg_url(pg_url)
    other = url.format(host=server.host, port=server.port, database=server.dbname)
    assert quarterly_provision.main(command_line(other, team, secrets=True), entry_file=entry) == 3
    assert secrets.calls == []


def test_on_databricks_without_deployment_json_no_secret_is_read(pg_url, team, tmp_path, monkeypatch):
    secrets = vault(pg_url)
    entry = as_databricks(tmp_path, monkeypatch, pg_url, secrets)
    (tmp_path / "deployment.json").unlink()
    assert quarterly_provision.main(command_line(without_login(pg_url), team, secrets=True), entry_file=entry) == 3
    assert secrets.calls == []


def traced_connect(monkeypatch, trace) -> None:
    """Every message the administrator's session sends the server (libpq's protocol trace) goes to
    the open file `trace`: what the server, its logs and pg_stat_activity can ever see of the run."""
    original = quarterly_provision.connect

    def connect(request, credentials):
        conn = original(request, credentials)
        conn.pgconn.trace(trace.fileno())
        return conn

    monkeypatch.setattr(quarterly_provision, "connect", connect)


def test_on_databricks_a_run_reads_exactly_its_keys_and_sends_only_password_verifiers(
        pg, pg_url, team, tmp_path, monkeypatch, capfd):
    secrets = vault(pg_url)
    entry = as_databricks(tmp_path, monkeypatch, pg_url, secrets)
    with open(tmp_path / "protocol.trace", "w", encoding="utf-8") as trace:
        traced_connect(monkeypatch, trace)
        assert quarterly_provision.main(command_line(without_login(pg_url), team, secrets=True), entry_file=entry) == 0
    assert secrets.calls == [("cards-kv", KEYS[name]) for name in ("admin-user", "admin-password", "owner-password", "reader-password")]
    sent = (tmp_path / "protocol.trace").read_text(encoding="utf-8")
    assert sent.count("PASSWORD 'SCRAM-SHA-256$") == 2  # the owner login's and the reader login's verifiers
    output = capfd.readouterr()
    for password in (OWNER_PASSWORD, READER_PASSWORD, secrets.values[("cards-kv", KEYS["admin-password"])]):
        assert password not in sent and password not in output.out + output.err
    login(pg_url, team["owner"], OWNER_PASSWORD).close()
    login(pg_url, team["login"], READER_PASSWORD).close()


@pytest.mark.parametrize("change, message", [
    (["--pg-url", ""], "--pg-url is required"),  # a parameter the deploy left unset arrives empty
    (["--schema", "cards-data"], "--schema must be a plain SQL identifier"),
    (["--admin-user-key", "k"], "need --secret-scope"),
    (["--secret-scope", "cards-kv"], "--secret-scope needs --admin-user-key"),
    (["--reader-role", "OWNER"], "three different roles"),
    (["--pg-url", "postgresql://h1,h2/cards"], "--pg-url must name one host and port"),
    (["--pg-url", "postgresql://h1/cards?port=5432,6432"], "--pg-url must name one host and port"),
    (["--pg-url", "postgresql://h1/cards?hostaddr=203.0.113.7"], "--pg-url must name one host and port"),
])
def test_a_bad_command_line_exits_2_naming_the_problem(pg_url, team, change, message, monkeypatch, capsys):
    monkeypatch.setenv(quarterly_provision.OWNER_PASSWORD_ENV, OWNER_PASSWORD)
    arguments = command_line(pg_url, team, reader_login=False)
    option, value = change[0], team["owner"] if change[1] == "OWNER" else change[1]
    if option in arguments:
        arguments[arguments.index(option) + 1] = value
    else:
        arguments += [option, value]
    assert quarterly_provision.main(arguments) == 2
    assert message in capsys.readouterr().err


def test_a_server_that_cannot_be_reached_is_a_transient_failure(team):
    closed = f"postgresql://127.0.0.1:{pgserver.free_port()}/cards?sslmode=require"
    assert run_locally(closed, team).returncode == 75
