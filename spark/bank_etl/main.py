"""Entry points of the job's three tasks (check, migrate, load): parse arguments, set up Spark,
credentials and the file system at the edges, run, and return an exit code (bank_etl.errors)."""

from __future__ import annotations

import logging
import sys

from .config import (ConfigError, JobConfig, MigrateConfig, parse_args, parse_check_args, parse_maintain_args,
                     parse_migrate_args)
from .errors import Failure, log_failure

log = logging.getLogger("bank_etl")


def configure_logging() -> None:
    logging.basicConfig(
        level=logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    logging.getLogger("py4j").setLevel(logging.WARNING)


def secret_getter(spark):
    """dbutils.secrets.get on Databricks (Key Vault-backed scope)."""
    from .runtime import dbutils

    utils = dbutils(spark)
    if utils is None:
        raise ConfigError("--secret-scope needs Databricks secrets (dbutils is not available here)")
    return lambda scope, key: utils.secrets.get(scope=scope, key=key)


def with_secret_credentials(config: JobConfig, spark, get_secret=None) -> JobConfig:
    """On Databricks, the PostgreSQL user (bank_etl) and password come from the secret scope."""
    if not config.secret_scope:
        return config
    get = get_secret or secret_getter(spark)
    user = get(config.secret_scope, config.pg_user_key)
    password = get(config.secret_scope, config.pg_password_key)
    return JobConfig(**{**config.__dict__, "pg": config.pg.with_credentials(user, password)})


def with_migrate_secrets(config: MigrateConfig, spark, get_secret=None) -> MigrateConfig:
    if not config.secret_scope:
        return config
    get = get_secret or secret_getter(spark)
    pg = config.pg
    if config.admin_user_key or config.admin_password_key:
        pg = pg.with_credentials(get(config.secret_scope, config.admin_user_key) if config.admin_user_key else None,
                                 get(config.secret_scope, config.admin_password_key) if config.admin_password_key else None)
    etl_password = get(config.secret_scope, config.etl_password_key) if config.etl_password_key else config.etl_password
    reader_password = (get(config.secret_scope, config.reader_password_key) if config.reader_password_key
                       else config.reader_password)
    return MigrateConfig(**{**config.__dict__, "pg": pg, "etl_password": etl_password,
                            "reader_password": reader_password})


def _run(what: str, action) -> int:
    try:
        action()
    except SystemExit:
        raise
    except BaseException as error:
        return log_failure(log, what, error).exit_code
    return 0


def main(argv: list[str] | None = None) -> int:
    """The load task (run_etl.py)."""
    configure_logging()
    try:
        config = parse_args(argv)
    except ConfigError as error:
        print(f"bank_etl: {error}", file=sys.stderr)
        return Failure.USAGE.exit_code

    from .job import run_job
    from .runtime import input_from_check
    from .session import get_session

    def load() -> None:
        spark = get_session()
        run_job(spark, with_secret_credentials(config, spark), checked_input=input_from_check(spark))

    return _run("load", load)


def check_main(argv: list[str] | None = None) -> int:
    """The check task (run_check.py): no retries, so it fails only on what a retry cannot fix."""
    configure_logging()
    try:
        config = parse_check_args(argv)
    except ConfigError as error:
        print(f"bank_etl: {error}", file=sys.stderr)
        return Failure.USAGE.exit_code

    from .check import run_check
    from .fs import file_system_for
    from .runtime import hand_over_input
    from .session import get_session

    def check() -> None:
        spark = get_session()
        report = run_check(spark, file_system_for(spark), config)
        hand_over_input(spark, report["input"])  # the load reads this file and no other

    return _run("check", check)


def migrate_main(argv: list[str] | None = None) -> int:
    """The migrate task (run_migrate.py), as the server administrator."""
    configure_logging()
    try:
        config = parse_migrate_args(argv)
    except ConfigError as error:
        print(f"bank_etl: {error}", file=sys.stderr)
        return Failure.USAGE.exit_code

    from . import load_pg

    def migrate() -> None:
        settings = config
        if config.secret_scope:
            from .session import get_session

            settings = with_migrate_secrets(config, get_session())
        roles = load_pg.Roles(settings.etl_role, settings.reader_role, settings.etl_password,
                              settings.reader_login, settings.reader_password)
        with load_pg.connect(settings.pg, application_name="bank_etl migrate") as conn:
            applied = load_pg.migrate(conn, settings.schema, roles)
        log.info("schema %s migrated (newly applied: %s); roles %s and %s in place%s", settings.schema,
                 applied or "none", settings.etl_role, settings.reader_role,
                 f", and the reader login {settings.reader_login}" if settings.reader_login else "")

    return _run("migrate", migrate)


def maintain_main(argv: list[str] | None = None) -> int:
    """The maintain task (run_maintain.py), after the load: OPTIMIZE and VACUUM of the Delta tables."""
    configure_logging()
    try:
        config = parse_maintain_args(argv)
    except ConfigError as error:
        print(f"bank_etl: {error}", file=sys.stderr)
        return Failure.USAGE.exit_code

    from .lake import lake_layout, lake_tables
    from .maintain import maintain
    from .session import get_session

    def run() -> None:
        maintain(get_session(), lake_tables(lake_layout(config.lake_root), config.catalog), config.retain_hours)

    return _run("maintain", run)
