"""Entry point: parse arguments, set up Spark and credentials, run the job, return an exit code."""

from __future__ import annotations

import logging
import sys

from .config import ConfigError, JobConfig, parse_args

log = logging.getLogger("bank_etl")


def configure_logging() -> None:
    logging.basicConfig(
        level=logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    logging.getLogger("py4j").setLevel(logging.WARNING)


def with_secret_credentials(config: JobConfig, spark) -> JobConfig:
    """On Databricks, the PostgreSQL user and password come from the secret scope."""
    if not config.secret_scope:
        return config
    try:
        from pyspark.dbutils import DBUtils  # only exists on Databricks
    except ImportError as error:
        raise ConfigError("--secret-scope needs Databricks secrets (pyspark.dbutils is not available)") from error
    secrets = DBUtils(spark).secrets
    user = secrets.get(scope=config.secret_scope, key=config.pg_user_key)
    password = secrets.get(scope=config.secret_scope, key=config.pg_password_key)
    return JobConfig(**{**config.__dict__, "pg": config.pg.with_credentials(user, password)})


def main(argv: list[str] | None = None) -> int:
    configure_logging()
    try:
        config = parse_args(argv)
    except ConfigError as error:
        print(f"bank_etl: {error}", file=sys.stderr)
        return 2

    from .job import run_job
    from .session import get_session

    spark = get_session()
    try:
        config = with_secret_credentials(config, spark)
    except ConfigError as error:
        print(f"bank_etl: {error}", file=sys.stderr)
        return 2
    try:
        run_job(spark, config)
    except Exception:  # already logged and recorded by run_job
        return 1
    return 0
