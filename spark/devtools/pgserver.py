"""A throwaway PostgreSQL server for tests and local runs, with Azure's administrator model.

`start` runs initdb in a new temp directory (as the postgres user when running as root), listens
on 127.0.0.1 on a free port with TLS (a self-signed certificate made by openssl), and prints shell
`export` lines (PGHOST, PGPORT, PGUSER, PGDATABASE, PGPASSFILE, BANK_PG_URL, BANK_PG_DIR) for
`eval`. `stop` stops the server and removes the directory.

As on Azure Database for PostgreSQL Flexible Server, nothing that uses the server is a superuser.
The bootstrap superuser is used once, right after the server starts, to create what Azure creates:
- `azure_pg_admin`, a NOLOGIN group role, member of the predefined monitoring roles Azure gives it
  (pg_monitor, pg_read_all_settings, pg_read_all_stats, pg_stat_scan_tables, pg_signal_backend)
  and of nothing that reads or writes data or server files;
- the server administrator `bankadmin` (the RelationalSink's default administrator login):
  LOGIN NOSUPERUSER INHERIT CREATEDB CREATEROLE REPLICATION NOBYPASSRLS, member of azure_pg_admin;
- the `bank` database, owned by the administrator: a database that azurerm_postgresql_flexible_server_database
  creates through the Azure API on a server with a password administrator belongs to that login
  (without one, to the service's own azuresu, and nobody can use it). PostgreSQL 15's `public`
  schema then belongs to pg_database_owner and PUBLIC may not CREATE in it.
Then the superuser's password is removed: it can no longer log in over TCP, only through the
server's Unix socket as the OS user that runs the server (which only the server's lifecycle does).
Everything exported is the administrator's; its generated password is kept only in the 0600
passfile (as a SCRAM verifier on the server) and never printed.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import pwd
import secrets
import shlex
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

PG_BIN_CANDIDATES = ("/usr/lib/postgresql/15/bin", "/usr/lib/postgresql/16/bin", "/usr/lib/postgresql/17/bin")
SUPERUSER = "postgres"  # bootstrap only: never exported, left without a password
ADMIN = "bankadmin"  # the Azure-like server administrator, what everything connects as
ADMIN_GROUP = "azure_pg_admin"
# What Azure makes azure_pg_admin a member of: monitoring and signalling, no data or file access.
ADMIN_GROUP_ROLES = ("pg_monitor", "pg_read_all_settings", "pg_read_all_stats", "pg_stat_scan_tables",
                     "pg_signal_backend")
# The attributes of Azure's server administrator (Flexible Server's documentation).
ADMIN_ATTRIBUTES = "LOGIN NOSUPERUSER INHERIT CREATEDB CREATEROLE REPLICATION NOBYPASSRLS"
DATABASE = "bank"


def pg_bin() -> Path:
    override = os.environ.get("PG_BIN")
    for candidate in ([override] if override else []) + list(PG_BIN_CANDIDATES):
        if candidate and (Path(candidate) / "initdb").exists():
            return Path(candidate)
    found = shutil.which("initdb")
    if found:
        return Path(found).parent
    raise SystemExit("pgserver: PostgreSQL server binaries (initdb) not found; set PG_BIN")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Server:
    directory: Path
    port: int

    @property
    def data(self) -> Path:
        return self.directory / "data"

    @property
    def passfile(self) -> Path:
        return self.directory / "pgpass"

    def env(self) -> dict[str, str]:
        return {
            "PGHOST": "127.0.0.1",
            "PGPORT": str(self.port),
            "PGUSER": ADMIN,
            "PGDATABASE": DATABASE,
            "PGPASSFILE": str(self.passfile),
            "BANK_PG_URL": f"postgresql://{ADMIN}@127.0.0.1:{self.port}/{DATABASE}?sslmode=require",
            "BANK_PG_DIR": str(self.directory),
        }


def _as_server_user(command: list[str]) -> list[str]:
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--"] + command
    return command


def _run(command: list[str], **kwargs) -> None:
    completed = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, **kwargs)
    if completed.returncode != 0:
        raise SystemExit(f"pgserver: {' '.join(command[:5])} failed:\n{completed.stdout[-2000:]}")


def start(base_dir: str | None = None) -> Server:
    bindir = pg_bin()
    directory = Path(tempfile.mkdtemp(prefix="bank-pg-", dir=base_dir))
    server = Server(directory, free_port())
    superuser_password = secrets.token_urlsafe(24)  # for the bootstrap below, then removed
    admin_password = secrets.token_urlsafe(24)
    pwfile = directory / "pwfile"
    for path, text in ((pwfile, superuser_password), (server.passfile, f"127.0.0.1:{server.port}:*:{ADMIN}:{admin_password}")):
        path.touch(0o600)
        path.chmod(0o600)
        path.write_text(text + "\n")
    if os.geteuid() == 0:
        owner = pwd.getpwnam("postgres")
        os.chown(directory, owner.pw_uid, owner.pw_gid)
        os.chown(pwfile, owner.pw_uid, owner.pw_gid)
    _run(_as_server_user([str(bindir / "initdb"), "-D", str(server.data), "-U", SUPERUSER, "--pwfile", str(pwfile),
                          "--auth-host=scram-sha-256", "--auth-local=peer", "-E", "UTF8", "--locale=C.UTF-8"]))
    pwfile.unlink()
    cert, key = server.data / "server.crt", server.data / "server.key"
    _run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1",
          "-keyout", str(key), "-out", str(cert)])
    key.chmod(0o600)
    if os.geteuid() == 0:
        owner = pwd.getpwnam("postgres")
        for path in (cert, key):
            os.chown(path, owner.pw_uid, owner.pw_gid)
    settings = {
        "listen_addresses": "'127.0.0.1'",
        "port": str(server.port),
        "unix_socket_directories": f"'{directory}'",
        "ssl": "on",
        "ssl_cert_file": "'server.crt'",
        "ssl_key_file": "'server.key'",
        # A disposable server: durability is not needed, speed is.
        "fsync": "off",
        "synchronous_commit": "off",
        "full_page_writes": "off",
        "max_wal_size": "'2GB'",
        "shared_buffers": "'256MB'",
        "logging_collector": "off",
    }
    with open(server.data / "postgresql.conf", "a", encoding="utf-8") as conf:
        conf.write("\n# throwaway server settings\n")
        conf.writelines(f"{name} = {value}\n" for name, value in settings.items())
    run_server(server)
    try:
        _bootstrap(server, superuser_password, admin_password)
    except BaseException:
        stop(server.directory)
        raise
    return server


def _bootstrap(server: Server, superuser_password: str, admin_password: str) -> None:
    """As the superuser, once: Azure's group role, its administrator and the database the job
    uses; then the superuser's password is removed."""
    import psycopg
    from psycopg import sql

    error: Exception | None = None
    for _ in range(50):
        try:
            conn = psycopg.connect(host="127.0.0.1", port=server.port, dbname="postgres", user=SUPERUSER,
                                   password=superuser_password, sslmode="require", autocommit=True,
                                   application_name="pgserver bootstrap")
            break
        except psycopg.OperationalError as failure:
            error = failure
            time.sleep(0.2)
    else:
        raise SystemExit(f"pgserver: could not connect to the new server: {error}")
    with conn:
        group, admin = sql.Identifier(ADMIN_GROUP), sql.Identifier(ADMIN)
        conn.execute(sql.SQL("CREATE ROLE {} NOLOGIN").format(group))
        conn.execute(sql.SQL("GRANT {} TO {}").format(sql.SQL(", ").join(map(sql.Identifier, ADMIN_GROUP_ROLES)), group))
        # The password goes to the server as a SCRAM verifier only, never in clear text.
        verifier = conn.pgconn.encrypt_password(admin_password.encode(), ADMIN.encode(), b"scram-sha-256").decode()
        conn.execute(sql.SQL("CREATE ROLE {} " + ADMIN_ATTRIBUTES + " IN ROLE {} PASSWORD {}").format(
            admin, group, sql.Literal(verifier)))
        conn.execute(sql.SQL("CREATE DATABASE {} OWNER {}").format(sql.Identifier(DATABASE), admin))
        conn.execute(sql.SQL("ALTER ROLE {} PASSWORD NULL").format(sql.Identifier(SUPERUSER)))


def crash(server: Server) -> None:
    """Stops the server as a crash would: at once, every session cut, no checkpoint (tests)."""
    _run(_as_server_user([str(pg_bin() / "pg_ctl"), "-D", str(server.data), "-m", "immediate", "-w", "stop"]))


def run_server(server: Server) -> None:
    """Starts the server on its data directory (after a crash it first recovers from its WAL)."""
    _run(_as_server_user([str(pg_bin() / "pg_ctl"), "-D", str(server.data), "-l", str(server.directory / "server.log"),
                          "-w", "-t", "60", "start"]))


def stop(directory: str | Path) -> None:
    directory = Path(directory)
    data = directory / "data"
    if (data / "postmaster.pid").exists():
        subprocess.run(_as_server_user([str(pg_bin() / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"]),
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    shutil.rmtree(directory, ignore_errors=True)


@contextlib.contextmanager
def running(base_dir: str | None = None):
    """Starts a server, sets its PG* variables in os.environ, and stops it afterwards."""
    server = start(base_dir)
    saved = {k: os.environ.get(k) for k in server.env()}
    os.environ.update(server.env())
    try:
        yield server
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        stop(server.directory)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="pg", description="Start or stop a throwaway PostgreSQL server.")
    sub = parser.add_subparsers(dest="command", required=True)
    start_cmd = sub.add_parser("start", help="start a server and print export lines for eval")
    start_cmd.add_argument("--base-dir", help="parent directory of the server's temp directory")
    stop_cmd = sub.add_parser("stop", help="stop a server and delete its directory")
    stop_cmd.add_argument("directory", nargs="?", default=os.environ.get("BANK_PG_DIR"))
    args = parser.parse_args(argv)
    if args.command == "start":
        server = start(args.base_dir)
        for key, value in server.env().items():
            print(f"export {key}={shlex.quote(value)}")
        return 0
    if not args.directory:
        parser.error("stop needs the server directory (or BANK_PG_DIR)")
    stop(args.directory)
    return 0


if __name__ == "__main__":
    sys.exit(main())
