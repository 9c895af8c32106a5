"""Spark session set-up: the cluster's session on Databricks, a small local one elsewhere."""

from __future__ import annotations

import os
from pathlib import Path

from pyspark.sql import SparkSession


def on_databricks() -> bool:
    return "DATABRICKS_RUNTIME_VERSION" in os.environ


def get_session(app_name: str = "bank-etl") -> SparkSession:
    if on_databricks():
        spark = SparkSession.builder.getOrCreate()
    else:
        spark = SparkSession.getActiveSession() or local_session(app_name)
    configure(spark)
    return spark


def local_session(app_name: str = "bank-etl", master: str | None = None, shuffle_partitions: int = 4) -> SparkSession:
    """Spark in local mode sized for a small machine: no UI, few shuffle partitions, UTC, bound to
    the loopback address, quiet logging."""
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    log_config = Path(__file__).with_name("log4j2-local.properties")
    java_options = f"-XX:+UseParallelGC -Dlog4j2.configurationFile=file:{log_config} " + os.environ.get("BANK_ETL_JAVA_OPTIONS", "")
    spark = (
        SparkSession.builder.appName(app_name)
        .master(master or os.environ.get("BANK_ETL_SPARK_MASTER", "local[2]"))
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", str(shuffle_partitions))
        .config("spark.driver.memory", os.environ.get("BANK_ETL_DRIVER_MEMORY", "3g"))
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .config("spark.driver.extraJavaOptions", java_options)
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel(os.environ.get("BANK_ETL_SPARK_LOG_LEVEL", "ERROR"))
    return spark


def configure(spark: SparkSession) -> None:
    """Runtime settings the job relies on, on any cluster."""
    # Every CSV column is parsed so that a record's field count is always checked (malformed).
    spark.conf.set("spark.sql.csv.parser.columnPruning.enabled", "false")
