"""Run configuration: command-line arguments, quarter scope and PostgreSQL connection settings.

Pure Python, no Spark: everything here is unit-testable without a JVM.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import re
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit, urlunsplit

QUARTER_PATTERN = re.compile(r"^(\d{4})-Q([1-4])$")

# libpq connection parameters accepted from a URL query string; anything else (for example JDBC
# driver options) is dropped so that libpq does not reject the connection string.
LIBPQ_QUERY_KEYS = frozenset(
    {
        "sslmode", "sslrootcert", "sslcert", "sslkey", "sslcrl", "sslcompression",
        "sslnegotiation", "connect_timeout", "application_name", "options", "target_session_attrs",
        "keepalives", "keepalives_idle", "keepalives_interval", "keepalives_count", "tcp_user_timeout",
        "gssencmode", "channel_binding", "user", "password", "dbname",
    }
)

# Every connection (the driver's, each executor's COPY session, migrate's) gives up instead of
# hanging, unless the URL says otherwise: connect_timeout bounds the connection's start, TCP
# keepalives and tcp_user_timeout find a peer that went away (a lost cluster node, a dropped NAT
# entry) while the session waits or sends, and the server cuts a statement, a lock wait and a
# transaction left idle. A URL's own parameter wins; its `options` come after these, and a later
# `-c name=value` wins (libpq connection parameters; PostgreSQL's runtime settings).
CONNECTION_DEFAULTS = {
    "connect_timeout": "10",  # seconds
    "keepalives": "1",
    "keepalives_idle": "30",  # seconds idle before the first probe
    "keepalives_interval": "10",
    "keepalives_count": "6",  # a silent peer is given up on after about 90 s
    "tcp_user_timeout": "120000",  # ms that sent data may stay unacknowledged
}
SESSION_DEFAULTS = {
    "statement_timeout": "30min",  # the longest statement is a task's COPY (seconds per million rows)
    "lock_timeout": "1min",
    "idle_in_transaction_session_timeout": "10min",
}
SESSION_DEFAULT_OPTIONS = " ".join(f"-c {name}={value}" for name, value in SESSION_DEFAULTS.items())


class ConfigError(ValueError):
    """A command-line argument or setting is invalid."""


@dataclass(frozen=True, order=True)
class Quarter:
    year: int
    quarter: int

    @classmethod
    def parse(cls, text: str) -> "Quarter":
        match = QUARTER_PATTERN.match(text.strip())
        if not match:
            raise ConfigError(f"--quarter must look like 2022-Q3, got {text!r}")
        return cls(int(match.group(1)), int(match.group(2)))

    @classmethod
    def of(cls, day: dt.date) -> "Quarter":
        return cls(day.year, (day.month - 1) // 3 + 1)

    @classmethod
    def last_ended_in_zone(cls, timezone: str, now: dt.datetime | None = None) -> "Quarter":
        """The last quarter that ended before the date it is now in `timezone` (the schedule's
        zone): a run at 02:00 on 1 January in Asia/Kolkata is still 31 December in UTC."""
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            zone = ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError) as error:
            raise ConfigError(f"--timezone must be an IANA time zone such as Europe/London, got {timezone!r}") from error
        moment = now or dt.datetime.now(dt.timezone.utc)
        if moment.tzinfo is None:
            raise ValueError("now must be timezone-aware")
        return cls.last_ended_before(moment.astimezone(zone).date())

    @classmethod
    def last_ended_before(cls, today: dt.date) -> "Quarter":
        """The last quarter that ended before `today` (the scheduled job's default scope)."""
        current = cls.of(today)
        return cls(current.year - 1, 4) if current.quarter == 1 else cls(current.year, current.quarter - 1)

    def __str__(self) -> str:
        return f"{self.year}-Q{self.quarter}"


@dataclass(frozen=True)
class Scope:
    """Which quarters a run replaces: one named quarter, or every quarter found in the input."""

    quarter: Quarter | None  # None means every quarter in the file (--all)

    @property
    def is_all(self) -> bool:
        return self.quarter is None

    def __str__(self) -> str:
        return "all" if self.quarter is None else str(self.quarter)


@dataclass(frozen=True)
class PgSettings:
    """Connection settings for psycopg/libpq. `password` is never logged or printed."""

    host: str | None = None
    port: int | None = None
    dbname: str | None = None
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    params: tuple[tuple[str, str], ...] = ()

    @property
    def sslmode(self) -> str | None:
        return dict(self.params).get("sslmode")

    def connect_kwargs(self) -> dict[str, object]:
        """Keyword arguments for psycopg.connect: the URL's parameters over CONNECTION_DEFAULTS,
        with SESSION_DEFAULTS ahead of the URL's own `options`; unset values fall back to PG*
        variables."""
        given = dict(self.params)
        kwargs: dict[str, object] = {**CONNECTION_DEFAULTS, **given}
        kwargs["options"] = f"{SESSION_DEFAULT_OPTIONS} {given.get('options', '')}".strip()
        for key in ("host", "port", "dbname", "user", "password"):
            value = getattr(self, key)
            if value is not None:
                kwargs[key] = value
        return kwargs

    def with_credentials(self, user: str | None, password: str | None) -> "PgSettings":
        return PgSettings(self.host, self.port, self.dbname, user or self.user, password or self.password, self.params)

    def target_url(self) -> str:
        """postgresql://host:port/database?sslmode=..., without credentials or other parameters: where
        a connection goes and how it verifies the server, as the deployment guard compares it (unset
        parts as libpq fills them from PG*)."""
        host = self.host or os.environ.get("PGHOST") or ""
        port = self.port or os.environ.get("PGPORT") or 5432
        sslmode = dict(self.params).get("sslmode") or os.environ.get("PGSSLMODE") or ""
        query = f"?sslmode={quote(sslmode, safe='')}" if sslmode else ""
        return f"postgresql://{host}:{port}/{quote(self.dbname or os.environ.get('PGDATABASE') or '', safe='')}{query}"

    def masked_url(self) -> str:
        return mask_url(self.to_url())

    def to_url(self) -> str:
        user = quote(self.user, safe="") if self.user else ""
        auth = f"{user}:{quote(self.password, safe='')}@" if self.password else (f"{user}@" if user else "")
        host = self.host or ""
        port = f":{self.port}" if self.port else ""
        query = urlencode(self.params)
        return f"postgresql://{auth}{host}{port}/{self.dbname or ''}" + (f"?{query}" if query else "")


def parse_pg_url(url: str) -> PgSettings:
    """Parses a libpq URI (postgresql://user:pass@host:5432/db?sslmode=require) or a JDBC URL
    (jdbc:postgresql://host:5432/db?sslmode=require&user=...&password=...)."""
    text = url.strip()
    if text.startswith("jdbc:"):
        text = text[len("jdbc:"):]
    parts = urlsplit(text)
    if parts.scheme not in ("postgresql", "postgres"):
        raise ConfigError(f"--pg-url must start with postgresql:// or jdbc:postgresql://, got {mask_url(url)!r}")
    query = dict(parse_qsl(parts.query, keep_blank_values=True))
    # The PostgreSQL JDBC driver spells "TLS required" as ssl=true; libpq spells it sslmode=require.
    if query.pop("ssl", "").lower() == "true":
        query.setdefault("sslmode", "require")
    user = unquote(parts.username) if parts.username else query.pop("user", None)
    password = unquote(parts.password) if parts.password else query.pop("password", None)
    query.pop("user", None)
    query.pop("password", None)
    dbname = unquote(parts.path.lstrip("/")) or query.pop("dbname", None)
    query.pop("dbname", None)
    params = tuple(sorted((k, v) for k, v in query.items() if k in LIBPQ_QUERY_KEYS))
    try:
        port = parts.port
    except ValueError as error:
        raise ConfigError(f"--pg-url has an invalid port: {mask_url(url)!r}") from error
    return PgSettings(parts.hostname, port, dbname, user, password, params)


_URL_PASSWORD = re.compile(r"(?P<head>://[^:/@?#]*:)(?P<secret>[^@/?#]*)(?P<tail>@)")
_QUERY_PASSWORD = re.compile(r"(?i)(?P<head>[?&;]password=)(?P<secret>[^&;]*)")


def mask_url(url: str) -> str:
    """Replaces any password in a URL (userinfo or query parameter) with ***."""
    masked = _URL_PASSWORD.sub(lambda m: m.group("head") + "***" + m.group("tail"), url)
    return _QUERY_PASSWORD.sub(lambda m: m.group("head") + "***", masked)


def strip_url_credentials(url: str) -> str:
    """An input URI as it may be recorded: without any userinfo or SAS token query string."""
    parts = urlsplit(url)
    if not parts.scheme or parts.scheme == "file":
        return url
    netloc = parts.hostname or ""
    if parts.username and parts.scheme in ("abfss", "abfs", "wasbs", "wasb"):
        netloc = f"{parts.username}@{netloc}"  # the container name, not a credential
    if parts.port:
        netloc += f":{parts.port}"
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


# How much of a run PostgreSQL gets (--pg-detail): every row (the transactions and the quarantined
# rows, besides the features), or the features and aggregates only, the rows being served from Delta.
PG_DETAIL_ROWS, PG_DETAIL_AGGREGATES = "rows", "aggregates"
PG_DETAIL_MODES = (PG_DETAIL_ROWS, PG_DETAIL_AGGREGATES)


@dataclass(frozen=True)
class JobConfig:
    input_uri: str
    lake_root: str
    pg: PgSettings
    schema: str
    scope: Scope
    secret_scope: str | None = None
    pg_user_key: str | None = None
    pg_password_key: str | None = None
    catalog: str | None = None  # Unity Catalog name; None: path-based Delta tables
    timezone: str = "UTC"
    code_version: str | None = None  # the deployment's hash of the job files; None: computed from them
    pg_detail: str = PG_DETAIL_ROWS
    publication_credential: str | None = None  # Unity Catalog service credential that replaces manifests (Databricks)


def add_scope_arguments(parser: argparse.ArgumentParser) -> None:
    scope = parser.add_mutually_exclusive_group()
    scope.add_argument("--quarter", help="the quarter to replace, YYYY-Qn (default: the last quarter that ended "
                                         "before today in --timezone)")
    scope.add_argument("--all", action="store_true", help="replace every quarter found in the input")
    parser.add_argument("--timezone", default="UTC", help="IANA time zone of the schedule, for the default quarter")


def scope_from(args: argparse.Namespace, now: dt.datetime | None = None) -> Scope:
    if args.all:
        return Scope(None)
    if args.quarter:
        return Scope(Quarter.parse(args.quarter))
    return Scope(Quarter.last_ended_in_zone(args.timezone, now))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="run_etl.py",
        description="Quarterly bank batch: validate, quarantine, transform, write the lake and load PostgreSQL.",
    )
    parser.add_argument("--input", required=True, help="landing file, or a directory whose newest *.csv/*.xlsx is used")
    parser.add_argument("--lake", required=True, help="lake root (local dir, file://, abfss://) or a template with {container}")
    parser.add_argument("--pg-url", default=os.environ.get("BANK_PG_URL"), help="postgresql:// or jdbc:postgresql:// URL")
    parser.add_argument("--schema", default="bank", help="PostgreSQL schema (default: bank)")
    parser.add_argument("--catalog", help="Unity Catalog catalog of the lake's tables (Databricks); "
                                          "without it the Delta tables are addressed by path")
    add_scope_arguments(parser)
    parser.add_argument("--secret-scope", help="Databricks secret scope holding the PostgreSQL credentials")
    parser.add_argument("--pg-user-key", help="secret key of the PostgreSQL user")
    parser.add_argument("--pg-password-key", help="secret key of the PostgreSQL password")
    parser.add_argument("--code-version", help="the deployment's SHA-256 of the uploaded job files (BatchJob.codeVersion), "
                                               "for the quarter manifest; default: computed from the job's own files")
    parser.add_argument("--pg-detail", default=PG_DETAIL_ROWS,
                        help="what PostgreSQL gets: every row (rows, the default) or the features and aggregates only "
                             "(aggregates: the transactions and quarantined rows are served from the lake's Delta tables)")
    parser.add_argument("--publication-credential",
                        help="Unity Catalog service credential whose identity replaces each quarter's manifest in one "
                             "request (Databricks); without it the manifest is rewritten in place")
    return parser


SCHEMA_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")
CODE_VERSION = re.compile(r"^[0-9a-f]{64}$")
CREDENTIAL_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_-]{0,254}$")


def parse_args(argv: list[str] | None, now: dt.datetime | None = None) -> JobConfig:
    args = build_parser().parse_args(argv)
    if not args.pg_url:
        raise ConfigError("--pg-url is required (or set BANK_PG_URL)")
    if not SCHEMA_NAME.match(args.schema):
        raise ConfigError(f"--schema must be a plain SQL identifier, got {args.schema!r}")
    secret_args = (args.secret_scope, args.pg_user_key, args.pg_password_key)
    if any(secret_args) and not all(secret_args):
        raise ConfigError("--secret-scope, --pg-user-key and --pg-password-key go together")
    if args.catalog is not None and not SCHEMA_NAME.match(args.catalog):
        raise ConfigError(f"--catalog must be a plain identifier, got {args.catalog!r}")
    code_version = (args.code_version or "").strip().lower() or None  # unset job parameters arrive empty
    if code_version is not None and not CODE_VERSION.match(code_version):
        raise ConfigError(f"--code-version must be a SHA-256 in hex (64 characters), got {args.code_version!r}")
    pg_detail = (args.pg_detail or "").strip() or PG_DETAIL_ROWS  # unset job parameters arrive empty
    if pg_detail not in PG_DETAIL_MODES:
        raise ConfigError(f"--pg-detail must be one of {', '.join(PG_DETAIL_MODES)}, got {args.pg_detail!r}")
    publication_credential = (args.publication_credential or "").strip() or None  # unset job parameters arrive empty
    if publication_credential is not None and not CREDENTIAL_NAME.match(publication_credential):
        raise ConfigError(f"--publication-credential must be a Unity Catalog credential name (letters, digits, _ and -, "
                          f"at most 255), got {args.publication_credential!r}")
    if publication_credential is not None and not args.lake.startswith("abfss://"):
        raise ConfigError(f"--publication-credential replaces files of an ADLS Gen2 lake: --lake must be an abfss:// URI "
                          f"with it, got {args.lake!r}")
    scope = scope_from(args, now)
    return JobConfig(
        input_uri=args.input,
        lake_root=args.lake,
        pg=parse_pg_url(args.pg_url),
        schema=args.schema,
        scope=scope,
        secret_scope=args.secret_scope,
        pg_user_key=args.pg_user_key,
        pg_password_key=args.pg_password_key,
        catalog=args.catalog,
        timezone=args.timezone,
        code_version=code_version,
        pg_detail=pg_detail,
        publication_credential=publication_credential,
    )


@dataclass(frozen=True)
class CheckConfig:
    input_uri: str
    scope: Scope
    timezone: str


def build_check_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="run_check.py", description="Fails fast, without retries, on what a "
                                     "retry cannot fix: a missing input, a missing column, no rows in scope.")
    parser.add_argument("--input", required=True, help="landing file, or a directory whose newest *.csv/*.xlsx is used")
    add_scope_arguments(parser)
    return parser


def parse_check_args(argv: list[str] | None, now: dt.datetime | None = None) -> CheckConfig:
    args = build_check_parser().parse_args(argv)
    return CheckConfig(args.input, scope_from(args, now), args.timezone)


@dataclass(frozen=True)
class MigrateConfig:
    pg: PgSettings  # the server administrator
    schema: str
    etl_role: str
    reader_role: str
    etl_password: str | None = field(default=None, repr=False)
    secret_scope: str | None = None
    admin_user_key: str | None = None
    admin_password_key: str | None = None
    etl_password_key: str | None = None
    reader_login: str | None = None  # the application's login, a member of reader_role; None: none
    reader_password: str | None = field(default=None, repr=False)
    reader_password_key: str | None = None


def build_migrate_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="run_migrate.py", description="As the server administrator: creates the "
                                     "schema, its tables and the job's roles.")
    parser.add_argument("--pg-url", default=os.environ.get("BANK_PG_URL"), help="administrator's postgresql:// URL")
    parser.add_argument("--schema", default="bank")
    parser.add_argument("--etl-role", default="bank_etl", help="the role the load runs as (owns the tables)")
    parser.add_argument("--reader-role", default="bank_reader", help="read-only role (USAGE and SELECT)")
    parser.add_argument("--reader-login", help="a LOGIN role for the reading application, member of --reader-role "
                                               "and nothing else, created or updated (default: none)")
    parser.add_argument("--secret-scope", help="Databricks secret scope holding the credentials")
    parser.add_argument("--admin-user-key", help="secret key of the administrator's login name")
    parser.add_argument("--admin-password-key", help="secret key of the administrator's password")
    parser.add_argument("--etl-password-key", help="secret key of the ETL role's password")
    parser.add_argument("--reader-password-key", help="secret key of --reader-login's password "
                                                      "(locally: BANK_READER_PASSWORD)")
    return parser


def parse_migrate_args(argv: list[str] | None) -> MigrateConfig:
    args = build_migrate_parser().parse_args(argv)
    # Job parameters that a deployment leaves unset arrive as empty strings.
    reader_login = args.reader_login or None
    if not args.pg_url:
        raise ConfigError("--pg-url is required (or set BANK_PG_URL)")
    names = [("--schema", args.schema), ("--etl-role", args.etl_role), ("--reader-role", args.reader_role)]
    for name, value in names + ([("--reader-login", reader_login)] if reader_login else []):
        if not SCHEMA_NAME.match(value):
            raise ConfigError(f"{name} must be a plain SQL identifier, got {value!r}")
    keys = (args.admin_user_key, args.admin_password_key, args.etl_password_key, args.reader_password_key)
    if any(keys) and not args.secret_scope:
        raise ConfigError("--admin-user-key, --admin-password-key, --etl-password-key and --reader-password-key "
                          "need --secret-scope")
    reader_password = os.environ.get("BANK_READER_PASSWORD") or None
    if args.reader_password_key and not reader_login:
        raise ConfigError("--reader-password-key needs --reader-login")
    if reader_login and not (args.reader_password_key or reader_password):
        raise ConfigError("--reader-login needs a password: --reader-password-key (with --secret-scope) "
                          "or BANK_READER_PASSWORD")
    return MigrateConfig(parse_pg_url(args.pg_url), args.schema, args.etl_role, args.reader_role,
                         os.environ.get("BANK_ETL_PASSWORD"), args.secret_scope, args.admin_user_key or None,
                         args.admin_password_key or None, args.etl_password_key or None, reader_login,
                         reader_password, args.reader_password_key or None)


# VACUUM's shortest retention: Delta's default deleted-file retention (7 days), far beyond the undo
# window of a failed run (bank_etl/maintain.py); VACUUM itself refuses less unless told otherwise.
MIN_RETAIN_HOURS = 168


@dataclass(frozen=True)
class MaintainConfig:
    lake_root: str
    catalog: str | None
    retain_hours: int


def build_maintain_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="run_maintain.py", description="OPTIMIZE and VACUUM of the lake's Delta "
                                     "tables, after a load that succeeded.")
    parser.add_argument("--lake", required=True, help="lake root, as the load's --lake")
    parser.add_argument("--catalog", help="Unity Catalog catalog of the lake's tables, as the load's --catalog")
    parser.add_argument("--retain-hours", default=str(MIN_RETAIN_HOURS),
                        help=f"VACUUM's retention in hours, at least {MIN_RETAIN_HOURS} (default)")
    return parser


def parse_maintain_args(argv: list[str] | None) -> MaintainConfig:
    args = build_maintain_parser().parse_args(argv)
    catalog = args.catalog or None  # unset job parameters arrive empty
    if catalog is not None and not SCHEMA_NAME.match(catalog):
        raise ConfigError(f"--catalog must be a plain identifier, got {args.catalog!r}")
    text = (args.retain_hours or "").strip() or str(MIN_RETAIN_HOURS)
    if not text.isdigit() or int(text) < MIN_RETAIN_HOURS:
        raise ConfigError(f"--retain-hours must be a whole number of hours of at least {MIN_RETAIN_HOURS} (longer than "
                          f"a failed run's undo needs), got {args.retain_hours!r}")
    return MaintainConfig(args.lake, catalog, int(text))
