"""The quarterly maintenance of the lake's Delta tables (the maintain task, after the load).

Each run replaces a quarter with a replaceWhere that writes as many files as the run had tasks,
and keeps the files it replaced for Delta's history. External tables get no predictive
optimization (Databricks runs it for Unity Catalog managed tables only), so this task does, per
table: OPTIMIZE (bin-packs small files into large ones; a commit that changes no row) and then
VACUUM (deletes the files that no version within the retention needs, and files no version names).

The retention must outlast the undo window: a failed run undoes its commits with RESTORE to the
version before them, which needs that version's files. A run undoes its own commits before it
ends (at most the load's timeout times its attempts, 4 h x 3 plus 2 retry intervals by default),
so 168 hours (Delta's own default, delta.deletedFileRetentionDuration) leaves a wide margin; less
is refused. A run killed outright is undone by the next load, only while its commit is the table's
latest: this task runs after a load that succeeded (which first undid any such run), never alone
on a lake with an abandoned run.
"""

from __future__ import annotations

import logging

from pyspark.sql import SparkSession

from .config import MIN_RETAIN_HOURS
from .lake import DeltaTable, table_exists

log = logging.getLogger(__name__)


def maintain(spark: SparkSession, tables: dict[str, DeltaTable], retain_hours: int = MIN_RETAIN_HOURS) -> dict[str, dict]:
    """OPTIMIZE then VACUUM each existing table; returns, per table, the files OPTIMIZE added and
    removed (one small summary row each; VACUUM logs what it deleted)."""
    if retain_hours < MIN_RETAIN_HOURS:
        raise ValueError(f"retain_hours must be at least {MIN_RETAIN_HOURS} (the undo window needs the files), "
                         f"got {retain_hours}")
    done: dict[str, dict] = {}
    for name, table in tables.items():
        if not table_exists(spark, table):
            log.info("Delta table %s does not exist yet: nothing to maintain", table.reference)
            continue
        metrics = spark.sql(f"OPTIMIZE {table.reference}").select(
            "metrics.numFilesAdded", "metrics.numFilesRemoved").head()
        spark.sql(f"VACUUM {table.reference} RETAIN {int(retain_hours)} HOURS")
        done[name] = {"files_added": int(metrics[0]), "files_removed": int(metrics[1])}
        log.info("Delta table %s: OPTIMIZE wrote %d file(s) in place of %d; VACUUM kept what the last %d hours need",
                 table.reference, metrics[0], metrics[1], retain_hours)
    return done
