"""Provisions a team's quarterly job in its PostgreSQL database, as the server administrator: the
package's task in each team's deploy job (a Databricks spark_python_task), also runnable locally.

    python quarterly_provision.py --pg-url URL --schema NAME --secret-scope SCOPE
        --admin-user-key K --admin-password-key K --owner-login LOGIN --owner-password-key K
        --reader-role ROLE [--reader-login LOGIN --reader-password-key K]

It first checks its parameters against the deploy's deployment.json (deployment_guard.py, beside
this file) and refuses a run that points anywhere else, before any secret is read. It then reads
the administrator's login and password, the owner login's and the reader login's passwords from
the secret scope (dbutils.secrets on Databricks), and, in one transaction, idempotently:
- the owner login LOGIN `--owner-login`, with its password and no other right;
- the reader role `--reader-role` (NOLOGIN), and the reader login `--reader-login`, a member of
  the reader role only, with its password;
- CREATE SCHEMA IF NOT EXISTS `--schema` (owned by the administrator): the owner login gets USAGE
  and CREATE; the reader role USAGE, and SELECT on every table the owner login creates (default
  privileges FOR ROLE the owner login).
A role that exists with more rights than that is brought back where the administrator may (it
loses CREATEDB and CREATEROLE) and refused where it may not (SUPERUSER, REPLICATION, BYPASSRLS, a
membership of another role). The rules are quarterly_roles.py's, beside this file. The
administrator need not be a superuser (Azure's is not). Passwords reach the server only as
verifiers computed here, and are never logged.

Locally, without --secret-scope and its keys: the administrator's login comes from the URL or
libpq's PG* variables (PGUSER, PGPASSWORD, PGPASSFILE), the owner login's password from
QUARTERLY_OWNER_PASSWORD and the reader login's from QUARTERLY_READER_PASSWORD.

Exit codes: 0 done, 2 a bad argument, 3 permanent (refused by the guard, a role with more rights
than its contract, an administrator without the privileges it needs, bad credentials), 75
transient (the server could not be reached, a lock or serialization conflict), 1 anything else.
"""

from __future__ import annotations

import argparse
import logging
import os
import re
import sys
from dataclasses import dataclass, field
from typing import Callable
from urllib.parse import quote

_entry_file = os.path.abspath(globals().get("__file__") or sys.argv[0])  # deployment.json sits beside it
_here = os.path.dirname(_entry_file)
if _here not in sys.path:
    sys.path.insert(0, _here)

import psycopg  # noqa: E402
from psycopg.conninfo import conninfo_to_dict  # noqa: E402

import deployment_guard  # noqa: E402
import quarterly_roles  # noqa: E402

log = logging.getLogger("quarterly_provision")

OK, UNKNOWN, USAGE, PERMANENT, TRANSIENT = 0, 1, 2, 3, 75
OWNER_PASSWORD_ENV = "QUARTERLY_OWNER_PASSWORD"
READER_PASSWORD_ENV = "QUARTERLY_READER_PASSWORD"
IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")
# URL parameters that would send the connection somewhere other than the host, port and database
# the guard compares (libpq reads them from the query string too, and they win over the URL's host).
REDIRECTING_PARAMETERS = ("hostaddr", "service", "servicefile")
CONNECT_TIMEOUT_SECONDS = "10"  # unless the URL says otherwise: a silent server fails the task, which is retried

SecretGetter = Callable[[str, str], str]  # (scope, key) -> value


class UsageError(ValueError):
    """A bad command line (exit code 2)."""

    exit_code = USAGE


@dataclass(frozen=True)
class Request:
    """The command line, checked."""

    connection: dict[str, str]  # libpq parameters of --pg-url, without user and password
    url_user: str | None
    url_password: str | None = field(repr=False)
    schema: str
    owner_login: str
    reader_role: str
    reader_login: str | None
    secret_scope: str | None
    admin_user_key: str | None
    admin_password_key: str | None
    owner_password_key: str | None
    reader_password_key: str | None

    @property
    def secret_keys(self) -> list[str]:
        """The keys this run reads, in the order it reads them."""
        keys = (self.admin_user_key, self.admin_password_key, self.owner_password_key, self.reader_password_key)
        return [key for key in keys if key] if self.secret_scope else []

    @property
    def target_url(self) -> str:
        """postgresql://host:port/database where the session goes (--pg-url as libpq reads it, unset
        parts from PG* as libpq fills them): what the guard compares."""
        c, env = self.connection, os.environ
        host, port = c.get("host") or env.get("PGHOST") or "", c.get("port") or env.get("PGPORT") or 5432
        return f"postgresql://{host}:{port}/{quote(c.get('dbname') or env.get('PGDATABASE') or '', safe='')}"


@dataclass(frozen=True)
class Credentials:
    admin_user: str | None
    admin_password: str | None = field(repr=False)
    owner_password: str = field(repr=False)
    reader_password: str | None = field(repr=False)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="quarterly_provision.py",
        description="As the server administrator: creates or updates a quarterly job's owner login, reader role, "
                    "reader login and schema in its database.")
    parser.add_argument("--pg-url", required=True, help="the job's database: postgresql://host:port/database?sslmode=...")
    parser.add_argument("--schema", required=True, help="the schema the job's tables live in")
    parser.add_argument("--secret-scope", help="Databricks secret scope holding the credentials")
    parser.add_argument("--admin-user-key", help="secret key of the server administrator's login name")
    parser.add_argument("--admin-password-key", help="secret key of the server administrator's password")
    parser.add_argument("--owner-login", required=True, help="the job's login: creates and owns the schema's tables")
    parser.add_argument("--owner-password-key", help=f"secret key of the owner login's password (locally: {OWNER_PASSWORD_ENV})")
    parser.add_argument("--reader-role", required=True, help="read-only role (NOLOGIN): USAGE and SELECT")
    parser.add_argument("--reader-login", help="the reading application's login, member of --reader-role only (default: none)")
    parser.add_argument("--reader-password-key", help=f"secret key of --reader-login's password (locally: {READER_PASSWORD_ENV})")
    return parser


def parse_args(argv: list[str] | None) -> Request:
    """The checked command line; UsageError names each problem. Job parameters a deploy leaves
    unset arrive as empty strings, and count as not given."""
    args = build_parser().parse_args(argv)
    value = {name: (text or None) for name, text in vars(args).items()}
    problems = []
    for option in ("pg_url", "schema", "owner_login", "reader_role"):
        if not value[option]:
            problems.append(f"--{option.replace('_', '-')} is required")
    for option in ("schema", "owner_login", "reader_role", "reader_login"):
        if value[option] and not IDENTIFIER.match(value[option]):
            problems.append(f"--{option.replace('_', '-')} must be a plain SQL identifier, got {value[option]!r}")
    names = [value[option] for option in ("owner_login", "reader_role", "reader_login") if value[option]]
    if len(set(names)) < len(names):
        problems.append(f"--owner-login, --reader-role and --reader-login must be three different roles, got {', '.join(names)}")
    keys = ("admin_user_key", "admin_password_key", "owner_password_key", "reader_password_key")
    if value["secret_scope"]:
        for option in keys[:3]:
            if not value[option]:
                problems.append(f"--secret-scope needs --{option.replace('_', '-')}: the task reads it from the scope")
    elif any(value[option] for option in keys):
        problems.append("--admin-user-key, --admin-password-key, --owner-password-key and --reader-password-key need --secret-scope")
    elif not os.environ.get(OWNER_PASSWORD_ENV):
        problems.append(f"the owner login needs a password: --owner-password-key (with --secret-scope) or {OWNER_PASSWORD_ENV}")
    if value["reader_password_key"] and not value["reader_login"]:
        problems.append("--reader-password-key needs --reader-login")
    if value["reader_login"] and not value["reader_password_key"] and (value["secret_scope"] or not os.environ.get(READER_PASSWORD_ENV)):
        problems.append(f"--reader-login needs a password: --reader-password-key (with --secret-scope), or locally {READER_PASSWORD_ENV}")
    connection, user, password = {}, None, None
    if value["pg_url"]:
        try:
            connection, user, password = _connection_of(value["pg_url"])
        except UsageError as error:
            problems.append(str(error))
    if problems:
        raise UsageError("; ".join(problems))
    return Request(connection, user, password, value["schema"], value["owner_login"], value["reader_role"],
                   value["reader_login"], value["secret_scope"], value["admin_user_key"], value["admin_password_key"],
                   value["owner_password_key"], value["reader_password_key"])


def _connection_of(url: str) -> tuple[dict[str, str], str | None, str | None]:
    """--pg-url as libpq reads it: its parameters, and the user and password it names, if any."""
    if not url.startswith(("postgresql://", "postgres://")):
        raise UsageError("--pg-url must be a postgresql:// URL")
    try:
        parameters = conninfo_to_dict(url)
    except psycopg.ProgrammingError as error:
        raise UsageError(f"--pg-url cannot be read: {str(error).splitlines()[0]}") from None
    redirecting = [name for name in REDIRECTING_PARAMETERS if name in parameters]
    if redirecting or any("," in str(parameters.get(name, "")) for name in ("host", "port")):
        raise UsageError(f"--pg-url must name one host and port, without {', '.join(REDIRECTING_PARAMETERS)}")
    user, password = parameters.pop("user", None), parameters.pop("password", None)
    parameters.setdefault("connect_timeout", CONNECT_TIMEOUT_SECONDS)
    return {name: str(text) for name, text in parameters.items()}, user, password


def databricks_secrets() -> SecretGetter:
    """dbutils.secrets.get of the cluster's Spark session (Databricks only)."""
    try:
        from pyspark.dbutils import DBUtils  # exists on Databricks only
        from pyspark.sql import SparkSession
    except ImportError as error:
        raise UsageError("--secret-scope needs Databricks secrets (dbutils is not available here); locally leave it "
                         f"out and set {OWNER_PASSWORD_ENV} (and {READER_PASSWORD_ENV})") from error
    utils = DBUtils(SparkSession.builder.getOrCreate())
    return lambda scope, key: utils.secrets.get(scope=scope, key=key)


def read_credentials(request: Request, get_secret: SecretGetter | None = None) -> Credentials:
    """The credentials from the secret scope or, without one, from the URL and the environment."""
    if not request.secret_scope:
        return Credentials(request.url_user, request.url_password, os.environ[OWNER_PASSWORD_ENV],
                           os.environ.get(READER_PASSWORD_ENV) if request.reader_login else None)
    get = get_secret or databricks_secrets()
    scope = request.secret_scope
    return Credentials(get(scope, request.admin_user_key), get(scope, request.admin_password_key),
                       get(scope, request.owner_password_key),
                       get(scope, request.reader_password_key) if request.reader_password_key else None)


def connect(request: Request, credentials: Credentials) -> psycopg.Connection:
    """The administrator's session; an unset user or password is libpq's from PG* (locally)."""
    login = {name: text for name, text in (("user", credentials.admin_user), ("password", credentials.admin_password)) if text}
    return psycopg.connect(**request.connection, **login, autocommit=True, application_name="quarterly_provision")


def provision(conn: psycopg.Connection, request: Request, credentials: Credentials) -> list[str]:
    """The roles, the schema and its rights, in one transaction; returns what changed, one line each."""
    roles = quarterly_roles.Roles(request.owner_login, request.reader_role, credentials.owner_password,
                                  request.reader_login, credentials.reader_password)
    with conn.transaction(), conn.cursor() as cur:
        cur.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (f"quarterly_provision.{request.schema}",))
        changes = quarterly_roles.ensure_roles(cur, roles)
        if quarterly_roles.create_schema(cur, request.schema):
            changes.append(f"created schema {request.schema}")
        quarterly_roles.grant_schema(cur, request.schema, roles)
    return changes


def exit_code_of(error: BaseException) -> int:
    """Which kind of failure `error` is (0 ok, 2 usage, 3 permanent, 75 transient, 1 unknown)."""
    code = getattr(error, "exit_code", None)
    if isinstance(code, int):  # UsageError, deployment_guard.DeploymentMismatch, quarterly_roles' errors
        return code
    text = str(error).lower()
    if isinstance(error, psycopg.errors.InsufficientPrivilege) or "authentication failed" in text:
        return PERMANENT
    if "secret does not exist" in text:  # dbutils.secrets.get of a missing scope or key
        return PERMANENT
    if isinstance(error, (psycopg.OperationalError, psycopg.errors.SerializationFailure, psycopg.errors.DeadlockDetected,
                          ConnectionError, TimeoutError)):
        return TRANSIENT  # lost or refused connections, lock timeouts, conflicts with another session
    return UNKNOWN


def main(argv: list[str] | None = None, entry_file: str | None = None, get_secret: SecretGetter | None = None) -> int:
    """The task: returns its exit code. `entry_file`: this file where the job runs it, beside the
    deploy's deployment.json; `get_secret`: the secret scope's reader (by default dbutils')."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    try:
        request = parse_args(argv)
    except UsageError as error:
        print(f"quarterly_provision: {error}", file=sys.stderr)
        return USAGE
    try:
        deployment_guard.check_run(entry_file or _entry_file, pg_url=request.target_url,
                                   secret_scope=request.secret_scope, secret_keys=request.secret_keys)
        credentials = read_credentials(request, get_secret)
        with connect(request, credentials) as conn:
            changes = provision(conn, request, credentials)
    except Exception as error:  # noqa: BLE001 - every failure becomes an exit code, logged whole
        code = exit_code_of(error)
        kind = {USAGE: "usage", PERMANENT: "permanent, not retryable", TRANSIENT: "transient, retryable"}.get(code, "unknown")
        log.error("provisioning schema %s on %s failed (%s, exit code %d)", request.schema, request.target_url, kind, code,
                  exc_info=error)
        return code
    log.info("schema %s on %s: owner login %s, reader role %s%s in place; %s", request.schema, request.target_url,
             request.owner_login, request.reader_role,
             f", reader login {request.reader_login}" if request.reader_login else "",
             "changed: " + "; ".join(changes) if changes else "nothing to change (passwords set again)")
    return OK


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
