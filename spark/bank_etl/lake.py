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

from .errors import LakeLayoutError
from .fs import FileSystem
from .layout import AREAS, CONTAINER_PLACEHOLDER, DELTA_TABLES, WRITTEN_CONTAINERS

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LakeLayout:
    """URIs of the lake's areas for one lake root."""

    curated: str  # Delta table curated.transactions, partitioned year, quarter
    features: str  # Delta table features.quarterly, partitioned year, quarter
    quarantine: str  # Delta table ops.quarantine, at quarantine/rows
    export: str  # the features as plain Parquet, year=YYYY/quarter=Q/
    runs: str  # run records, <run_id>.json
    roots: tuple[str, ...] = ()  # the lake root, or each container's root: never deleted

    @property
    def legacy_quarantine(self) -> str:
        """Where the quarantine Delta table was before it moved to quarantine/rows: the area itself
        (with one container per area, the container's root)."""
        return self.quarantine.rstrip("/").rsplit("/", 1)[0]


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
    """Maps a lake root to its areas (bank_etl.layout declares where each lives).

    A plain root R (local directory, file:// or one container) holds every area under it:
    R/curated/transactions, R/features/quarterly, R/features/export, R/quarantine/rows, R/_runs. A
    root containing `{container}` (for example `abfss://{container}@stbankprod.dfs.core.windows.net/`)
    has one container per area, as the Azure lake does: curated/transactions, features/quarterly,
    features/export, quarantine/rows and curated/_runs. No table sits at a container's root, so
    undoing a run that created a table never deletes a container's (or a pipeline folder's) root.
    """
    if CONTAINER_PLACEHOLDER in root:
        def in_container(container: str, folder: str) -> str:
            return _join(root.replace(CONTAINER_PLACEHOLDER, container), folder)

        places = {name: in_container(area.container, area.folder) for name, area in AREAS.items()}
        roots = tuple(in_container(container, "") for container in WRITTEN_CONTAINERS)
    else:
        base = _absolute(root)
        places = {name: _join(base, area.under_plain_root) for name, area in AREAS.items()}
        roots = (base,)
    return LakeLayout(**places, roots=roots)


def _normalised(path: str) -> str:
    return path.rstrip("/") or "/"


def is_storage_root(path: str) -> bool:
    """A file system's, container's or volume's root: `/`, `abfss://c@acct.dfs.core.windows.net/`,
    `dbfs:/`, `/Volumes/catalog/schema/volume`."""
    match = re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:(//[^/]*)?(?P<path>/.*)?$", path)
    tail = (match.group("path") or "") if match else path
    parts = [p for p in tail.split("/") if p]
    if not parts:
        return True
    return parts[0] == "Volumes" and len(parts) <= 4


def check_deletable(layout: LakeLayout, path: str) -> None:
    """Refuses (LakeLayoutError) to delete a storage root, a root of the lake, or anything that
    holds a lake root or another area: undoing a run removes what the run made, never more."""
    target = _normalised(path)
    areas = (layout.curated, layout.features, layout.quarantine, layout.export, layout.runs)
    protected = [_normalised(p) for p in layout.roots] + [_normalised(p) for p in areas if _normalised(p) != target]
    if is_storage_root(target) or any(p == target or p.startswith(target + "/") for p in protected):
        raise LakeLayoutError(f"refusing to delete {path}: it is the root of a container or of the lake, or holds "
                              "another area of the lake")


def delete_tree(fs: FileSystem, layout: LakeLayout, path: str) -> None:
    """fs.delete (recursive) after check_deletable."""
    check_deletable(layout, path)
    fs.delete(path)


def check_layout(fs: FileSystem, layout: LakeLayout) -> None:
    """Fails (permanently) when the quarantine Delta table is still where it was before it moved to
    quarantine/rows: a new table inside the old one's directory would be deleted by the old one's
    VACUUM, and in Unity Catalog ops.quarantine would keep pointing at the old place."""
    legacy = layout.legacy_quarantine
    if fs.exists(_join(legacy, "_delta_log")):
        raise LakeLayoutError(
            f"the quarantine Delta table is at {legacy} (the layout before this version); it now lives at "
            f"{layout.quarantine}. Move the table's files (_delta_log and the Parquet files) into "
            f"{layout.quarantine}, and with Unity Catalog DROP TABLE <catalog>.ops.quarantine (an external table: "
            "its files stay) so that the next run registers it at the new path; or drop the old table if its rows "
            "are not needed (PostgreSQL's quarantine table holds them too)")


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
    partitioned = {"curated": ("year", "quarter"), "features": ("year", "quarter"), "quarantine": ()}
    return {
        area: DeltaTable(getattr(layout, area), f"`{catalog}`.`{name.schema}`.`{name.table}`" if catalog else None,
                         partitioned[area])
        for area, name in DELTA_TABLES.items()
    }


def table_exists(spark: SparkSession, table: DeltaTable) -> bool:
    if table.name:
        return spark.catalog.tableExists(table.name)
    from delta.tables import DeltaTable as Delta

    return Delta.isDeltaTable(spark, table.path)


def write(spark: SparkSession, table: DeltaTable, frame: DataFrame, predicate: str, run_id: str) -> None:
    """One Delta commit, tagged with `run_id`: replaces exactly the rows matching `predicate`, or,
    on the first run, creates the table with `frame`'s rows (in Unity Catalog an external table at
    the lake path, so the catalog's grants apply to it)."""
    if table_exists(spark, table):
        replace_where(table, frame, predicate, run_id)
        return
    writer = frame.write.format("delta").mode("errorifexists").option("userMetadata", run_id)
    if table.partition_by:
        writer = writer.partitionBy(*table.partition_by)
    if table.name:
        writer.option("path", table.path).saveAsTable(table.name)
    else:
        writer.save(table.path)


def history(spark: SparkSession, table: DeltaTable, commits: int) -> list:
    """The table's latest `commits` rows of DESCRIBE HISTORY, newest first, collected as they are:
    the command's result is already on the driver, and a filter or an aggregation over it would be
    planned and run as Spark jobs of their own (two more per call)."""
    return spark.sql(f"DESCRIBE HISTORY {table.reference} LIMIT {int(commits)}").collect()


def current_version(spark: SparkSession, table: DeltaTable) -> int:
    """The table's latest commit version."""
    return int(history(spark, table, 1)[0]["version"])


def replace_where(table: DeltaTable, frame: DataFrame, predicate: str, run_id: str | None = None) -> None:
    """One Delta commit that replaces exactly the rows matching `predicate` with `frame`'s rows;
    Delta refuses the commit if a new row falls outside the predicate. The commit carries `run_id`
    as its user metadata, which is how a failed run finds its own commit to undo."""
    writer = frame.write.format("delta").mode("overwrite").option("replaceWhere", predicate)
    if run_id:
        writer = writer.option("userMetadata", run_id)
    if table.name:
        writer.saveAsTable(table.name)
    else:
        writer.save(table.path)


HISTORY_SEARCHED = 100  # commits looked through for a run's own commit


def _tagged(commits: list, run_id: str) -> list[int]:
    return [int(row["version"]) for row in commits if row["userMetadata"] == run_id]


def run_commits(spark: SparkSession, table: DeltaTable, run_id: str) -> list[int]:
    """The versions of the run's commits to the table (tagged by write) among its latest
    HISTORY_SEARCHED."""
    return _tagged(history(spark, table, HISTORY_SEARCHED), run_id)


def version_before(spark: SparkSession, table: DeltaTable, run_id: str) -> int | None:
    """The version just before the run's earliest commit to the table (tagged by write), -1 when
    that commit created the table, or None when the run committed nothing to it."""
    versions = run_commits(spark, table, run_id)
    return min(versions) - 1 if versions else None


EMPTY_COMMITS_CONF = "spark.databricks.delta.skipRecordingEmptyCommits"


def record_empty_commits(spark: SparkSession) -> None:
    """Makes Delta record a write that adds and removes nothing (an input without quarantined rows,
    written again): every run then has its own tagged commit in each table, which the manifest
    names and a failed run undoes."""
    try:
        spark.conf.set(EMPTY_COMMITS_CONF, "false")
    except Exception as error:  # then run_version falls back to the table's current version
        log.warning("could not set %s=false: %s", EMPTY_COMMITS_CONF, str(error).splitlines()[0])


def run_version(spark: SparkSession, table: DeltaTable, run_id: str) -> int:
    """The version of the run's latest commit to the table (tagged by write), for the manifest; one
    small DESCRIBE HISTORY, right after the commit. Without such a commit (Delta skipped an empty
    one) the table's current version, which holds what the run would have written."""
    commits = history(spark, table, HISTORY_SEARCHED)
    versions = _tagged(commits, run_id)
    if not versions:
        log.warning("Delta table %s has no commit of run %s (an empty write); its manifest names the current version",
                    table.reference, run_id)
        return int(commits[0]["version"])
    return max(versions)


def partition_files(fs: FileSystem, area: str, partition: dict[str, object]) -> list[dict[str, object]]:
    """The Parquet data files of one plain-Parquet partition, with size and SHA-256 (the run record
    keeps them, and `lake ready` checks the export against them). Hidden files (`.crc`) and
    markers (`_SUCCESS`) are not data."""
    path = partition_path(area, partition)
    if not fs.exists(path):
        return []
    files = []
    for info in sorted(fs.list(path), key=lambda f: f.path):
        name = info.path.rstrip("/").rsplit("/", 1)[-1]
        if info.is_dir or not name.endswith(".parquet") or name.startswith(("_", ".")):
            continue
        files.append({"file": name, "bytes": info.size, "sha256": fs.sha256(info.path)})
    return files


def restore(spark: SparkSession, table: DeltaTable, version: int) -> None:
    spark.sql(f"RESTORE TABLE {table.reference} TO VERSION AS OF {int(version)}")


def undo_commits(spark: SparkSession, fs: FileSystem, table: DeltaTable, run_id: str, layout: LakeLayout) -> str | None:
    """Puts the table back as it was before the run's commits: the version before them, or no
    table at all when the run created it. Returns what was done; None when there was nothing.
    A table that sits at a container's or the lake's root is never removed (check_deletable)."""
    if not table_exists(spark, table):
        return None
    version = version_before(spark, table, run_id)
    if version is None:
        return None
    if version < 0:
        check_deletable(layout, table.path)  # before the catalog entry goes
        if table.name:
            spark.sql(f"DROP TABLE IF EXISTS {table.name}")
        delete_tree(fs, layout, table.path)
        return "removed (the run had created it)"
    restore(spark, table, version)
    return f"restored to version {version}"


def latest_commit_run(spark: SparkSession, table: DeltaTable) -> str | None:
    """The run id tagged on the table's latest commit (None for an untagged commit)."""
    return history(spark, table, 1)[0]["userMetadata"]


def undo_run(spark: SparkSession, fs: FileSystem, tables: dict[str, DeltaTable], layout: LakeLayout, run_id: str) -> None:
    """Undoes what a run that died before publishing left in the lake: each Delta commit of its
    that is still the table's latest, and its half-done export swap (backups moved back)."""
    for table in tables.values():
        try:
            if table_exists(spark, table) and latest_commit_run(spark, table) == run_id:
                log.warning("Delta table %s: %s, undoing abandoned run %s", table.reference,
                            undo_commits(spark, fs, table, run_id, layout), run_id)
        except Exception as error:  # keep going; the next run tries again
            log.error("could not undo abandoned run %s in %s: %s", run_id, table.reference, str(error).splitlines()[0])
    swap = PartitionSwap.left_by(fs, layout.export, run_id)
    if swap.touched:
        log.warning("moving %d export partition(s) back from abandoned run %s", swap.touched, run_id)
        swap.rollback()
    delete_with_empty_parent(fs, export_staging(layout, run_id), layout)


def export_staging(layout: LakeLayout, run_id: str) -> str:
    """Where a run writes the features' export before swapping it in."""
    return _join(layout.export, "_staging", run_id)


def delete_with_empty_parent(fs: FileSystem, path: str, layout: LakeLayout | None = None) -> None:
    """Deletes `path`, and its parent (a `_staging` or `_backup` directory) once nothing is left in
    it; with `layout`, neither may be a root (check_deletable)."""
    parent = path.rstrip("/").rsplit("/", 1)[0]
    for target in (path, parent):
        if layout is not None:
            check_deletable(layout, target)
        elif is_storage_root(target):
            raise LakeLayoutError(f"refusing to delete {target}: it is the root of a container or file system")
    fs.delete(path)
    if fs.exists(parent) and not fs.list(parent):
        fs.delete(parent)


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

    @classmethod
    def left_by(cls, fs: FileSystem, area: str, run_id: str) -> "PartitionSwap":
        """The swap a run that died left in `area`, rebuilt from its backups, so that `rollback`
        moves them back."""
        swap = cls(fs, run_id)
        backup_root = swap._backup_root(area)
        if fs.exists(backup_root):
            swap._backup_roots.add(backup_root)
            for year_dir in fs.list(backup_root):
                for quarter_dir in fs.list(year_dir.path):
                    partition = {"year": year_dir.path.rstrip("/").rsplit("=", 1)[-1],
                                 "quarter": quarter_dir.path.rstrip("/").rsplit("=", 1)[-1]}
                    swap._done.append((partition_path(area, partition), quarter_dir.path))
        return swap

    def _backup_root(self, area: str) -> str:
        return _join(area, "_backup", self.run_id)

    @property
    def touched(self) -> int:
        return len(self._done)

    def replace(self, area: str, staged: str, partition: dict[str, object]) -> None:
        target = partition_path(area, partition)
        backup_root = self._backup_root(area)
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
                delete_with_empty_parent(self.fs, root)
            except Exception:
                log.warning("could not remove lake backup %s", root)
        self._backup_roots.clear()
