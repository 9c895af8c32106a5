"""Makes the local JVM's class-data archive (spark/bin/setup): one small run of the job, in local
mode against a throwaway PostgreSQL, with -XX:ArchiveClassesAtExit, so that later local runs start
with the classes that run loaded already parsed and verified (bank_etl.session._class_data_options).
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

SPARK_DIR = Path(__file__).resolve().parent.parent


def main() -> int:
    sys.path.insert(0, str(SPARK_DIR))
    from bank_etl.session import class_data_archive

    archive = class_data_archive()
    if archive.is_file():
        return 0
    archive.parent.mkdir(parents=True, exist_ok=True)
    for stale in archive.parent.glob("spark-*.jsa"):  # made for another Java, PySpark or Delta
        stale.unlink()
    partial = archive.with_suffix(".jsa.partial")
    os.environ["BANK_ETL_JAVA_OPTIONS"] = f"-XX:ArchiveClassesAtExit={partial} -Xlog:cds=off -Xlog:cds+dynamic=off"
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    from pyspark import SparkContext

    from . import local_run
    from .datagen import generate

    with tempfile.TemporaryDirectory(prefix="bank-class-data-") as work:
        landing = Path(work) / "landing.csv"
        generate(landing, rows=20_000, seed=5, messy=True, progress=False)
        code, _, _ = local_run.run(["--input", str(landing), "--lake", str(Path(work) / "lake"), "--all", "--no-progress"])
        gateway = SparkContext._gateway
        process = getattr(gateway, "proc", None)
        if process is not None:  # the JVM writes the archive as it exits, after the driver has stopped it
            process.stdin.close()
            process.wait(timeout=300)
    if code != 0 or not partial.is_file():
        partial.unlink(missing_ok=True)
        print("setup: could not make the JVM class-data archive; local runs start without it", file=sys.stderr)
        return 0
    partial.rename(archive)
    return 0


if __name__ == "__main__":
    sys.exit(main())
