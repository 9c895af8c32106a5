"""Entry points of the job's three tasks (check, migrate, load): parse arguments, check them
against the deployment (deployment_guard), set up Spark, credentials and the file system at the
edges, run, and return an exit code (bank_etl.errors).

Each entry is given the path of the run_*.py file that was started: on Databricks the deploy's
deployment.json sits beside it, and the guard compares the run's parameters with it before any
secret is read (a run pointing elsewhere exits 3)."""

from __future__ import annotations

import logging
import sys
from typing import Callable

import deployment_guard

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


SecretGetter = Callable[[str, str], str]  # (scope, key) -> value


def secret_getter(spark=None) -> SecretGetter:
    """dbutils.secrets.get on Databricks (Key Vault-backed scope)."""
    from .runtime import dbutils

    if spark is None:
        from .session import get_session

        spark = get_session()
    utils = dbutils(spark)
    if utils is None:
        raise ConfigError("--secret-scope needs Databricks secrets (dbutils is not available here)")
    return lambda scope, key: utils.secrets.get(scope=scope, key=key)


def load_secret_keys(config: JobConfig) -> list[str]:
    """The keys the load reads: its login and password, when it reads a secret scope."""
    return [config.pg_user_key, config.pg_password_key] if config.secret_scope else []


def migrate_secret_keys(config: MigrateConfig) -> list[str]:
    """The keys the migrate task reads, when it reads a secret scope."""
    keys = (config.admin_user_key, config.admin_password_key, config.etl_password_key, config.reader_password_key)
    return [key for key in keys if key] if config.secret_scope else []


def with_secret_credentials(config: JobConfig, entry_file: str, get_secret: SecretGetter | None = None) -> JobConfig:
    """The load's configuration with its PostgreSQL user (bank_etl) and password from the secret
    scope, once the guard has passed the run (its database, lake, input, scope and keys)."""
    deployment_guard.check_run(entry_file, pg_url=config.pg.target_url(), lake=config.lake_root,
                               input_uri=config.input_uri, secret_scope=config.secret_scope,
                               secret_keys=load_secret_keys(config))
    if not config.secret_scope:
        return config
    get = get_secret or secret_getter()
    user = get(config.secret_scope, config.pg_user_key)
    password = get(config.secret_scope, config.pg_password_key)
    return JobConfig(**{**config.__dict__, "pg": config.pg.with_credentials(user, password)})


def with_migrate_secrets(config: MigrateConfig, entry_file: str, get_secret: SecretGetter | None = None) -> MigrateConfig:
    """The migrate task's configuration with the administrator's login and the roles' passwords
    from the secret scope, once the guard has passed the run (its database, scope and keys)."""
    deployment_guard.check_run(entry_file, pg_url=config.pg.target_url(), secret_scope=config.secret_scope,
                               secret_keys=migrate_secret_keys(config))
    if not config.secret_scope:
        return config
    get = get_secret or secret_getter()
    pg = config.pg
    if config.admin_user_key or config.admin_password_key:
        pg = pg.with_credentials(get(config.secret_scope, config.admin_user_key) if config.admin_user_key else None,
                                 get(config.secret_scope, config.admin_password_key) if config.admin_password_key else None)
    etl_password = get(config.secret_scope, config.etl_password_key) if config.etl_password_key else config.etl_password
    reader_password = (get(config.secret_scope, config.reader_password_key) if config.reader_password_key
                       else config.reader_password)
    return MigrateConfig(**{**config.__dict__, "pg": pg, "etl_password": etl_password,
                            "reader_password": reader_password})


def _parsed(parse, argv: list[str] | None):
    """The entry's configuration, or None after printing why its arguments are refused (exit 2)."""
    try:
        return parse(argv)
    except ConfigError as error:
        print(f"bank_etl: {error}", file=sys.stderr)
        return None


def _run(what: str, action) -> int:
    try:
        action()
    except SystemExit:
        raise
    except BaseException as error:
        return log_failure(log, what, error).exit_code
    return 0


def main(argv: list[str] | None = None, entry_file: str | None = None) -> int:
    """The load task (run_etl.py; `entry_file`: its path, by default the script that was started)."""
    entry_file = entry_file or sys.argv[0]
    configure_logging()
    config = _parsed(parse_args, argv)
    if config is None:
        return Failure.USAGE.exit_code

    from .job import run_job
    from .runtime import input_from_check
    from .session import get_session

    def load() -> None:
        settings = with_secret_credentials(config, entry_file)  # the guard first, then the secrets
        spark = get_session()
        run_job(spark, settings, checked_input=input_from_check(spark))

    return _run("load", load)


def check_main(argv: list[str] | None = None, entry_file: str | None = None) -> int:
    """The check task (run_check.py): no retries, so it fails only on what a retry cannot fix."""
    entry_file = entry_file or sys.argv[0]
    configure_logging()
    config = _parsed(parse_check_args, argv)
    if config is None:
        return Failure.USAGE.exit_code

    from .check import run_check
    from .fs import file_system_for
    from .runtime import hand_over_input
    from .session import get_session

    def check() -> None:
        deployment_guard.check_run(entry_file, input_uri=config.input_uri)
        spark = get_session()
        report = run_check(spark, file_system_for(spark), config)
        hand_over_input(spark, report["input"])  # the load reads this file and no other

    return _run("check", check)


def migrate_main(argv: list[str] | None = None, entry_file: str | None = None) -> int:
    """The migrate task (run_migrate.py), as the server administrator."""
    entry_file = entry_file or sys.argv[0]
    configure_logging()
    config = _parsed(parse_migrate_args, argv)
    if config is None:
        return Failure.USAGE.exit_code

    from . import load_pg

    def migrate() -> None:
        settings = with_migrate_secrets(config, entry_file)  # the guard first, then the secrets
        roles = load_pg.Roles(settings.etl_role, settings.reader_role, settings.etl_password,
                              settings.reader_login, settings.reader_password)
        with load_pg.connect(settings.pg, application_name="bank_etl migrate") as conn:
            applied = load_pg.migrate(conn, settings.schema, roles)
        log.info("schema %s migrated (newly applied: %s); roles %s and %s in place%s", settings.schema,
                 applied or "none", settings.etl_role, settings.reader_role,
                 f", and the reader login {settings.reader_login}" if settings.reader_login else "")

    return _run("migrate", migrate)


def maintain_main(argv: list[str] | None = None, entry_file: str | None = None) -> int:
    """The maintain task (run_maintain.py), after the load: OPTIMIZE and VACUUM of the Delta tables."""
    entry_file = entry_file or sys.argv[0]
    configure_logging()
    config = _parsed(parse_maintain_args, argv)
    if config is None:
        return Failure.USAGE.exit_code

    from .lake import lake_layout, lake_tables
    from .maintain import maintain
    from .session import get_session

    def run() -> None:
        # A run-now cannot point VACUUM at another lake than the deploy's.
        deployment_guard.check_run(entry_file, lake=config.lake_root)
        maintain(get_session(), lake_tables(lake_layout(config.lake_root), config.catalog), config.retain_hours)

    return _run("maintain", run)
