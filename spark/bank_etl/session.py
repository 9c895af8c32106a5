"""Spark session set-up: the cluster's session on Databricks, a small local one elsewhere."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
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


def _machine_cache() -> Path:
    """The machine's cache shared by every clone (spark/bin/setup and scripts/cached-venv.sh)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(os.environ.get("AQB_CACHE") or Path(base) / "azure-quarterly-batch")


def ivy_dir() -> Path:
    """Where Ivy caches the Delta jars; spark/bin/setup fills it so that a run needs no network."""
    return Path(os.environ.get("BANK_ETL_IVY_DIR", _machine_cache() / "ivy"))


def delta_jar_settings() -> dict[str, str]:
    """Spark settings that put the Delta jars on the class path: the cached jars when setup has
    fetched them, else resolution from Maven Central into the cache. The cached jars go on the
    driver's own class path (local mode: the driver is the executor), ahead of PySpark's, so that
    their classes load without a search through PySpark's jars and the class-data archive holds them."""
    jars = [ivy_dir() / "jars" / name for name in DELTA_JARS]
    if all(jar.exists() for jar in jars):
        return {"spark.driver.extraClassPath": os.pathsep.join(str(j) for j in jars)}
    return {"spark.jars.packages": DELTA_PACKAGE, "spark.jars.ivy": str(ivy_dir())}


def class_data_archive() -> Path:
    """Where spark/bin/setup keeps the local JVM's class-data archive (CDS). The name changes with
    the Java runtime, PySpark and the Delta jars, so an archive is only used with the class path
    it was made for."""
    java = shutil.which("java", path=os.path.join(os.environ["JAVA_HOME"], "bin")) if os.environ.get("JAVA_HOME") else None
    java = os.path.realpath(java or shutil.which("java") or "java")
    import pyspark

    key = "|".join([java, str(os.path.getmtime(java)) if os.path.exists(java) else "", pyspark.__version__,
                    *delta_jar_settings().values()])
    return ivy_dir().parent / "jvm" / f"spark-{hashlib.sha256(key.encode()).hexdigest()[:16]}.jsa"


def _class_data_options() -> str:
    """Start-up: a local run loads some 20,000 classes, each looked up through PySpark's 300 jars;
    the archive setup made holds them parsed and verified. Skipped when absent or unwanted."""
    if os.environ.get("BANK_ETL_CLASS_DATA", "1") == "0" or "ArchiveClassesAtExit" in os.environ.get("BANK_ETL_JAVA_OPTIONS", ""):
        return ""
    archive = class_data_archive()
    if not archive.is_file():
        return ""
    # A stale archive is ignored by the JVM (-Xshare:auto); the log options keep that quiet.
    return f"-XX:SharedArchiveFile={archive} -Xshare:auto -Xlog:cds=off -Xlog:cds+dynamic=off "


def _jit_options() -> str:
    """Warm-up: HotSpot's optimising compiler (C2) leaves the code that works per query or per
    task, not per row (Spark's code generator, task serialization, the optimiser), to the quick
    one (C1); jit-directives-local.json says which and why. Its one line of output ("1 compiler
    directives added") goes to stderr. Off with BANK_ETL_JIT_DIRECTIVES=0."""
    if os.environ.get("BANK_ETL_JIT_DIRECTIVES", "1") == "0":
        return ""
    directives = Path(__file__).with_name("jit-directives-local.json")
    return f"-XX:+UnlockDiagnosticVMOptions -XX:+DisplayVMOutputToStderr -XX:CompilerDirectivesFile={directives} "


def driver_memory() -> str:
    """The local driver's heap (spark.driver.memory, and -Xms with it): BANK_ETL_DRIVER_MEMORY or 3g."""
    return os.environ.get("BANK_ETL_DRIVER_MEMORY", "3g")


def _heap_options(heap: str) -> str:
    """The heap at its full size from the start, and room for the class metadata of some 25,000
    classes: a 1 M-row run otherwise stopped for four full collections, one when class metadata
    passed its first threshold and three as the heap grew from its initial 384 MB (GC pauses
    1.2-1.5 s, with these 0.8-1.0 s and no full collection; -Xlog:gc, docs/etl.md). The heap's
    pages are still only taken as they are used."""
    return f"-Xms{heap} -XX:MetaspaceSize=256m "


def local_cores(master: str) -> int:
    """The task slots of a local master: local -> 1, local[N] -> N, local[*] -> the machine's cores."""
    match = re.fullmatch(r"local(?:\[(\d+|\*)(?:,\d+)?\])?", master)
    if not match or match.group(1) is None:
        return 1
    return (os.cpu_count() or 1) if match.group(1) == "*" else int(match.group(1))


def local_session(app_name: str = "bank-etl", master: str | None = None, shuffle_partitions: int | None = None) -> SparkSession:
    """Spark in local mode sized for a small machine: no UI, one shuffle partition per core (one
    wave of tasks; measured at 1M rows: 49.5 s with two per core, 43.8 s with one), UTC, bound to
    the loopback address, quiet logging, the class-data archive when setup has made one, C2 kept
    for the code that works per row, the whole heap from the start."""
    master = master or os.environ.get("BANK_ETL_SPARK_MASTER", "local[2]")
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    # The Python workers (the executors' COPY) need this interpreter's packages (pyarrow, psycopg).
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    log_config = Path(__file__).with_name("log4j2-local.properties")
    heap = driver_memory()
    java_options = (f"-XX:+UseParallelGC {_heap_options(heap)}-Dlog4j2.configurationFile=file:{log_config} "
                    + _class_data_options() + _jit_options() + os.environ.get("BANK_ETL_JAVA_OPTIONS", ""))
    builder = SparkSession.builder
    for key, value in delta_jar_settings().items():
        builder = builder.config(key, value)
    spark = (
        builder.appName(app_name)
        .master(master)
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", str(shuffle_partitions or local_cores(master)))
        .config("spark.driver.memory", heap)
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .config("spark.driver.extraJavaOptions", java_options)
        .config("spark.sql.extensions", "io.delta.sql.DeltaSparkSessionExtension")
        .config("spark.sql.catalog.spark_catalog", "org.apache.spark.sql.delta.catalog.DeltaCatalog")
        # A Delta log of a few dozen commits needs no 50-way shuffle to be read.
        .config("spark.databricks.delta.snapshotPartitions", "2")
        # VACUUM lists the table's folders in this many tasks (Spark's default 10,000, sized for a
        # cluster): on one machine, ten thousand empty tasks took 50 s of a 3-table maintain.
        .config("spark.sql.sources.parallelPartitionDiscovery.parallelism", str(local_cores(master)))
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
    # ... and no batch beyond 64 MiB, whatever its rows hold (the checksum's lines, on Databricks,
    # are as long as the file's lines: fs.DbutilsFs.sha256).
    spark.conf.set("spark.sql.execution.arrow.maxBytesPerBatch", str(64 << 20))
    # Writing a few year/quarter partitions per task needs no sort by partition first.
    spark.conf.set("spark.sql.maxConcurrentOutputFileWriters", "8")


SHUFFLE_BYTES_PER_PARTITION = 128 << 20  # of input; validate's aggregation shuffles about the input's size


def shuffle_partitions_for(input_bytes: int, cores: int) -> int:
    """One shuffle partition per 128 MiB of input, in whole waves of the cluster's task slots and
    at least one wave: 200 partitions (Spark's default) would mean 500 MB each at 100 GB, spilling."""
    cores = max(1, cores)
    waves = max(1, -(-input_bytes // (SHUFFLE_BYTES_PER_PARTITION * cores)))
    return cores * waves


def scale_to_input(spark: SparkSession, input_bytes: int) -> int:
    """Sets the shuffle partitions for an input of this size (before any of its queries is planned)."""
    partitions = shuffle_partitions_for(input_bytes, spark.sparkContext.defaultParallelism)
    spark.conf.set("spark.sql.shuffle.partitions", str(partitions))
    return partitions
