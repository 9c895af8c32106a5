"""The lake: where each area lives, its Delta tables, and the plain-Parquet export of the features.

Data is read and written by Spark only; the few file operations around it (the export's swap,
the run records) go through bank_etl.fs.
"""

from __future__ import annotations

import logging
import os
import re
from dataclasses import dataclass, field

from pyspark.sql import DataFrame, SparkSession

from .fs import FileSystem

log = logging.getLogger(__name__)

CONTAINER_PLACEHOLDER = "{container}"


@dataclass(frozen=True)
class LakeLayout:
    """URIs of the lake's areas for one lake root."""

    curated: str  # Delta table curated.transactions, partitioned year, quarter
    features: str  # Delta table features.quarterly, partitioned year, quarter
    quarantine: str  # Delta table ops.quarantine
    export: str  # the features as plain Parquet, year=YYYY/quarter=Q/
    runs: str  # run records, <run_id>.json


def _join(base: str, *parts: str) -> str:
    tail = "/".join(p.strip("/") for p in parts if p.strip("/"))
    if not tail:
        return base
    return base.rstrip("/") + "/" + tail if base.rstrip("/") else "/" + tail


def _absolute(root: str) -> str:
    """A root without a URI scheme is a local path; Spark wants it absolute."""
    if re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:", root):
        return root
    return os.path.abspath(root)


def lake_layout(root: str) -> LakeLayout:
    """Maps a lake root to its areas.

    A plain root R (local directory, file:// or one container) holds every area under it:
    R/curated/transactions, R/features/quarterly, R/features/export, R/quarantine, R/_runs. A root
    containing `{container}` (for example `abfss://{container}@stbankprod.dfs.core.windows.net/`)
    has one container per area, as the Azure lake does: curated/transactions, features/quarterly,
    features/export, quarantine/ (the container root) and curated/_runs.
    """
    if CONTAINER_PLACEHOLDER in root:
        def area(container: str, path: str) -> str:
            return _join(root.replace(CONTAINER_PLACEHOLDER, container), path)

        return LakeLayout(
            curated=area("curated", "transactions"),
            features=area("features", "quarterly"),
            quarantine=area("quarantine", ""),
            export=area("features", "export"),
            runs=area("curated", "_runs"),
        )
    base = _absolute(root)
    return LakeLayout(
        curated=_join(base, "curated/transactions"),
        features=_join(base, "features/quarterly"),
        quarantine=_join(base, "quarantine"),
        export=_join(base, "features/export"),
        runs=_join(base, "_runs"),
    )


def partition_path(area: str, partition: dict[str, object]) -> str:
    return _join(area, *(f"{key}={value}" for key, value in partition.items()))


@dataclass(frozen=True)
class DeltaTable:
    """One of the lake's Delta tables: by path, and by name in Unity Catalog when a catalog is set."""

    path: str
    name: str | None  # <catalog>.<schema>.<table>, or None for a path-based table
    partition_by: tuple[str, ...]

    @property
    def reference(self) -> str:
        return self.name or f"delta.`{self.path}`"


def lake_tables(layout: LakeLayout, catalog: str | None) -> dict[str, DeltaTable]:
    def named(schema: str, table: str) -> str | None:
        return f"`{catalog}`.`{schema}`.`{table}`" if catalog else None

    return {
        "curated": DeltaTable(layout.curated, named("curated", "transactions"), ("year", "quarter")),
        "features": DeltaTable(layout.features, named("features", "quarterly"), ("year", "quarter")),
        "quarantine": DeltaTable(layout.quarantine, named("ops", "quarantine"), ()),
    }


def _ddl(frame: DataFrame) -> str:
    return ", ".join(f"`{f.name}` {f.dataType.simpleString()}" for f in frame.schema.fields)


def ensure_table(spark: SparkSession, table: DeltaTable, like: DataFrame) -> None:
    """Creates the Delta table if it is missing: in Unity Catalog an external table at the lake
    path (so the catalog's grants apply to it), elsewhere a path-based table."""
    partitioned = f" PARTITIONED BY ({', '.join(table.partition_by)})" if table.partition_by else ""
    location = f" LOCATION '{table.path}'" if table.name else ""
    spark.sql(f"CREATE TABLE IF NOT EXISTS {table.reference} ({_ddl(like)}) USING DELTA{partitioned}{location}")


def current_version(spark: SparkSession, table: DeltaTable) -> int:
    """The table's latest commit version (one row of DESCRIBE HISTORY)."""
    return int(spark.sql(f"DESCRIBE HISTORY {table.reference} LIMIT 1").select("version").head()[0])


def replace_where(table: DeltaTable, frame: DataFrame, predicate: str) -> None:
    """One Delta commit that replaces exactly the rows matching `predicate` with `frame`'s rows;
    Delta refuses the commit if a new row falls outside the predicate."""
    writer = frame.write.format("delta").mode("overwrite").option("replaceWhere", predicate)
    if table.name:
        writer.saveAsTable(table.name)
    else:
        writer.save(table.path)


def restore(spark: SparkSession, table: DeltaTable, version: int) -> None:
    spark.sql(f"RESTORE TABLE {table.reference} TO VERSION AS OF {int(version)}")


def quarters_predicate(quarters: list[tuple[int, int]]) -> str:
    return " OR ".join(f"(year = {int(y)} AND quarter = {int(q)})" for y, q in quarters)


@dataclass
class PartitionSwap:
    """Replaces plain-Parquet partition directories by write-then-swap, and can undo what it swapped.

    For each partition: the current directory (if any) is moved to a backup under
    `<area>/_backup/<run_id>/`, then the staged directory is moved into place. Until `commit`,
    `rollback` restores every partition it touched. Directories starting with `_` are ignored by
    Spark and pyarrow readers, so staging and backups never show up as data.
    """

    fs: FileSystem
    run_id: str
    _done: list[tuple[str, str | None]] = field(default_factory=list)  # (target, backup or None)
    _backup_roots: set[str] = field(default_factory=set)

    def replace(self, area: str, staged: str, partition: dict[str, object]) -> None:
        target = partition_path(area, partition)
        backup_root = _join(area, "_backup", self.run_id)
        backup: str | None = None
        if self.fs.exists(target):
            backup = partition_path(backup_root, partition)
            self._backup_roots.add(backup_root)
            self.fs.move(target, backup)
        self._done.append((target, backup))
        if self.fs.exists(staged):
            self.fs.move(staged, target)

    def rollback(self) -> None:
        restored_all = True
        for target, backup in reversed(self._done):
            try:
                self.fs.delete(target)
                if backup is not None:
                    self.fs.move(backup, target)
            except Exception:  # keep restoring the other partitions; the error is logged
                restored_all = False
                log.exception("could not restore lake partition %s from %s", target, backup)
        self._done.clear()
        if restored_all:
            self._drop_backups()  # otherwise the backups stay for a manual restore

    def commit(self) -> None:
        self._done.clear()
        self._drop_backups()

    def _drop_backups(self) -> None:
        for root in self._backup_roots:
            try:
                self.fs.delete(root)
                parent = root.rsplit("/", 1)[0]
                if self.fs.exists(parent) and not self.fs.list(parent):
                    self.fs.delete(parent)
            except Exception:
                log.warning("could not remove lake backup %s", root)
        self._backup_roots.clear()
