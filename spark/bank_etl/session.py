"""Spark session set-up: the cluster's session on Databricks, a small local one elsewhere."""

from __future__ import annotations

import os
import sys
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


# Delta Lake for Spark 4.0 (delta-spark from PyPI has the Python API; the JVM side comes from Maven
# Central). Databricks Runtime ships its own Delta, so none of this applies there.
DELTA_PACKAGE = "io.delta:delta-spark_2.13:4.0.0"
DELTA_JARS = ("io.delta_delta-spark_2.13-4.0.0.jar", "io.delta_delta-storage-4.0.0.jar", "org.antlr_antlr4-runtime-4.13.1.jar")
REPO_DIR = Path(__file__).resolve().parents[2]


def ivy_dir() -> Path:
    """Where Ivy caches the Delta jars; spark/bin/setup fills it so that a run needs no network."""
    return Path(os.environ.get("BANK_ETL_IVY_DIR", REPO_DIR / ".cache" / "ivy"))


def delta_jar_settings() -> dict[str, str]:
    """Spark settings that put the Delta jars on the class path: the cached jars when setup has
    fetched them (no Ivy resolution at start-up), else resolution from Maven Central into the cache."""
    jars = [ivy_dir() / "jars" / name for name in DELTA_JARS]
    if all(jar.exists() for jar in jars):
        return {"spark.jars": ",".join(str(j) for j in jars)}
    return {"spark.jars.packages": DELTA_PACKAGE, "spark.jars.ivy": str(ivy_dir())}


def local_session(app_name: str = "bank-etl", master: str | None = None, shuffle_partitions: int = 4) -> SparkSession:
    """Spark in local mode sized for a small machine: no UI, few shuffle partitions, UTC, bound to
    the loopback address, quiet logging."""
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    # The Python workers (the executors' COPY) need this interpreter's packages (pyarrow, psycopg).
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    log_config = Path(__file__).with_name("log4j2-local.properties")
    java_options = f"-XX:+UseParallelGC -Dlog4j2.configurationFile=file:{log_config} " + os.environ.get("BANK_ETL_JAVA_OPTIONS", "")
    builder = SparkSession.builder
    for key, value in delta_jar_settings().items():
        builder = builder.config(key, value)
    spark = (
        builder.appName(app_name)
        .master(master or os.environ.get("BANK_ETL_SPARK_MASTER", "local[2]"))
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", str(shuffle_partitions))
        .config("spark.driver.memory", os.environ.get("BANK_ETL_DRIVER_MEMORY", "3g"))
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .config("spark.driver.extraJavaOptions", java_options)
        .config("spark.sql.extensions", "io.delta.sql.DeltaSparkSessionExtension")
        .config("spark.sql.catalog.spark_catalog", "org.apache.spark.sql.delta.catalog.DeltaCatalog")
        # A Delta log of a few dozen commits needs no 50-way shuffle to be read.
        .config("spark.databricks.delta.snapshotPartitions", "2")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel(os.environ.get("BANK_ETL_SPARK_LOG_LEVEL", "ERROR"))
    return spark


def configure(spark: SparkSession) -> None:
    """Runtime settings the job relies on, on any cluster."""
    # Every CSV column is parsed so that a record's field count is always checked (malformed).
    spark.conf.set("spark.sql.csv.parser.columnPruning.enabled", "false")
    # The executors' COPY encodes whole Arrow batches to CSV; bigger batches, fewer calls.
    spark.conf.set("spark.sql.execution.arrow.maxRecordsPerBatch", "65536")
    # Writing a few year/quarter partitions per task needs no sort by partition first.
    spark.conf.set("spark.sql.maxConcurrentOutputFileWriters", "8")
