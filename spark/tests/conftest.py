"""Shared fixtures: one local Spark session for the whole run, and the PostgreSQL server that
spark/bin/test starts (BANK_PG_URL and the PG* variables); without it, one is started here.

As on Azure, the server's exported login (pg_url, the `pg` connection) is an administrator that is
not a superuser (devtools/pgserver.py): every test connects as it or as the roles it creates."""

from __future__ import annotations

import csv
import json
import os
import secrets
import shutil
import subprocess
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest

SPARK_DIR = Path(__file__).resolve().parent.parent
REPO_DIR = SPARK_DIR.parent
sys.path.insert(0, str(SPARK_DIR))

from bank_etl import load_pg  # noqa: E402
from devtools.datagen import generate  # noqa: E402
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


# Lets node require the library's TypeScript sources, compiled by the repository's swc as they load.
_TYPESCRIPT_REQUIRE_HOOK = (
    "const swc = require('@swc/core'); const Module = require('module'); const fs = require('fs');"
    "Module._extensions['.ts'] = (m, file) => m._compile(swc.transformSync(fs.readFileSync(file, 'utf8'), { filename: file,"
    " jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'commonjs' }, swcrc: false,"
    " configFile: false }).code, file);")


def node_with_typescript(script: str, *args: str) -> str:
    """Runs `script` in node (its process.argv[1:] are `args`) with .ts files requirable; returns stdout."""
    return subprocess.run([shutil.which("node") or "node", "-e", _TYPESCRIPT_REQUIRE_HOOK + script, *args],
                          capture_output=True, text=True, cwd=REPO_DIR, timeout=120, check=True).stdout


@dataclass(frozen=True)
class Azurite:
    """The Blob service emulator: where it listens, and Shared Key to sign in with (it takes OAuth
    tokens only over HTTPS)."""
    blob_endpoint: str
    credential: dict


# Azurite started by the repository's starter (test/lake/azurite.ts, the one place holding the
# emulator's public development key); with a certificate and key, over HTTPS taking OAuth tokens.
# The node process stops it when its stdin closes.
_AZURITE_STARTER = """
const [repo, certFile, keyFile] = process.argv.slice(1);
const { startAzurite } = require(require('path').join(repo, 'test/lake/azurite.ts'));
(async () => {
  const azurite = await startAzurite(20000, certFile ? { certFile, keyFile } : undefined);
  process.stdout.write(JSON.stringify({ blobEndpoint: azurite.blobEndpoint, accountName: azurite.accountName,
    accountKey: azurite.accountKey }) + '\\n');
  process.stdin.resume();
  process.stdin.on('end', async () => { await azurite.stop(); process.exit(0); });
})().catch((error) => { console.error(error); process.exit(99); });
"""


def _started_azurite(*tls_files: Path):
    """Starts Azurite through the repository's starter; yields its settings until the test session ends."""
    node = shutil.which("node")
    if node is None or not (REPO_DIR / "node_modules/.bin/azurite-blob").exists():
        raise RuntimeError("Azurite needs node and the repository's node_modules (npm ci)")
    starter = subprocess.Popen([node, "-e", _TYPESCRIPT_REQUIRE_HOOK + _AZURITE_STARTER, str(REPO_DIR), *map(str, tls_files)],
                               cwd=REPO_DIR, text=True, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    line = starter.stdout.readline()
    if not line:
        raise RuntimeError(f"Azurite did not start (exit {starter.wait(30)})")
    yield json.loads(line)
    starter.stdin.close()
    try:
        starter.wait(30)
    except subprocess.TimeoutExpired:
        starter.kill()


@pytest.fixture(scope="session")
def azurite():
    for settings in _started_azurite():
        yield Azurite(settings["blobEndpoint"], {"account_name": settings["accountName"], "account_key": settings["accountKey"]})


@dataclass(frozen=True)
class AzuriteOAuth:
    """Azurite over HTTPS that takes Entra ID bearer tokens, as the Blob service is reached with the
    publication credential's token; `ca_file` verifies its self-signed certificate."""
    blob_endpoint: str
    ca_file: str


def _self_signed_certificate(folder: Path) -> tuple[Path, Path]:
    import datetime as dt
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.timezone.utc)
    certificate = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
                   .serial_number(x509.random_serial_number())
                   .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=1))
                   .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
                   .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
                   .sign(key, hashes.SHA256()))
    cert_file, key_file = folder / "azurite-cert.pem", folder / "azurite-key.pem"
    cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_file, key_file


@pytest.fixture(scope="session")
def azurite_oauth(tmp_path_factory):
    cert_file, key_file = _self_signed_certificate(tmp_path_factory.mktemp("azurite-tls"))
    for settings in _started_azurite(cert_file, key_file):
        yield AzuriteOAuth(settings["blobEndpoint"], str(cert_file))


ETL_ROLE, READER_ROLE, READER_LOGIN = "bank_etl", "bank_reader", "bank_app"
ETL_PASSWORD = secrets.token_urlsafe(18)  # this test session's; set on the role by each migrate
READER_PASSWORD = secrets.token_urlsafe(18)  # the reader login's, likewise
ROLES = load_pg.Roles(ETL_ROLE, READER_ROLE, ETL_PASSWORD, READER_LOGIN, READER_PASSWORD)


@pytest.fixture
def fresh_schema(pg_url):
    """A schema name of its own per test (not created), dropped afterwards."""
    name = f"t_{uuid.uuid4().hex[:12]}"
    yield name
    with psycopg.connect(**parse_pg_url(pg_url).connect_kwargs(), autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')


@pytest.fixture
def schema(pg_url, fresh_schema):
    """A fresh schema per test, migrated by the administrator as the migrate task does."""
    with psycopg.connect(**parse_pg_url(pg_url).connect_kwargs(), autocommit=True) as conn:
        load_pg.migrate(conn, fresh_schema, ROLES)
    return fresh_schema


@pytest.fixture(scope="session")
def etl_url(pg_url):
    """The administrator's URL with the ETL role's login: what the load task connects with."""
    return parse_pg_url(pg_url).with_credentials(ETL_ROLE, ETL_PASSWORD).to_url()


@pytest.fixture(scope="session")
def reader_url(pg_url):
    """The reader login's URL: what the machine-learning application connects with."""
    return parse_pg_url(pg_url).with_credentials(READER_LOGIN, READER_PASSWORD).to_url()


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
    """A load's configuration; `pg_url` is the ETL role's (the etl_url fixture)."""
    return JobConfig(
        input_uri=str(input_path),
        lake_root=str(lake),
        pg=parse_pg_url(pg_url),
        schema=schema,
        scope=Scope(Quarter.parse(quarter) if quarter else None),
    )


# The job's inputs, shared by the job and manifest tests (read only, so made once per session).
JOB_TEST_ROWS = 3650  # ten a day: the messy generator then mixes in every reason code and duplicates


@pytest.fixture(scope="session")
def messy_file(tmp_path_factory) -> tuple[Path, dict]:
    path = tmp_path_factory.mktemp("landing") / "bank-messy.csv"
    return path, generate(path, rows=JOB_TEST_ROWS, seed=7, messy=True)


@pytest.fixture(scope="session")
def changed_file(tmp_path_factory) -> Path:
    """A different delivery of the same shape (another seed): every quarter's rows differ."""
    path = tmp_path_factory.mktemp("landing") / "bank-other.csv"
    generate(path, rows=JOB_TEST_ROWS, seed=8)
    return path
