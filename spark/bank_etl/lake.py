"""The lake: where each area lives, and file-system operations through Hadoop's FileSystem API.

The same code runs on a local directory and on ADLS Gen2 (abfss://, hierarchical namespace), because
every operation goes through the JVM's org.apache.hadoop.fs.FileSystem of the Spark session.
"""

from __future__ import annotations

import logging
import os
import re
from dataclasses import dataclass, field

log = logging.getLogger(__name__)

CONTAINER_PLACEHOLDER = "{container}"


@dataclass(frozen=True)
class LakeLayout:
    """URIs of the lake's areas for one lake root."""

    curated: str  # curated transactions, partitioned year=/quarter=
    features: str  # quarterly features, partitioned year=/quarter=
    quarantine: str  # quarantined rows, partitioned input_sha256=
    runs: str  # run records, <run_id>.json


def _join(base: str, *parts: str) -> str:
    tail = "/".join(p.strip("/") for p in parts if p.strip("/"))
    if not tail:
        return base
    return base.rstrip("/") + "/" + tail if base.rstrip("/") else "/" + tail


def _absolute(root: str) -> str:
    """A root without a URI scheme is a local path; Hadoop wants it absolute."""
    if re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:", root):
        return root
    return os.path.abspath(root)


def lake_layout(root: str) -> LakeLayout:
    """Maps a lake root to its areas.

    A plain root R (local directory, file:// or one container) holds every area under it:
    R/curated/transactions, R/features/quarterly, R/quarantine, R/_runs. A root containing
    `{container}` (for example `abfss://{container}@stbankprod.dfs.core.windows.net/`) has one
    container per area, as the Azure lake does: curated/transactions, features/quarterly,
    quarantine/ (the container root) and curated/_runs.
    """
    if CONTAINER_PLACEHOLDER in root:
        def area(container: str, path: str) -> str:
            return _join(root.replace(CONTAINER_PLACEHOLDER, container), path)

        return LakeLayout(
            curated=area("curated", "transactions"),
            features=area("features", "quarterly"),
            quarantine=area("quarantine", ""),
            runs=area("curated", "_runs"),
        )
    base = _absolute(root)
    return LakeLayout(
        curated=_join(base, "curated/transactions"),
        features=_join(base, "features/quarterly"),
        quarantine=_join(base, "quarantine"),
        runs=_join(base, "_runs"),
    )


def to_hadoop_uri(path: str) -> str:
    """Local paths become absolute; URIs (file:, abfss:, dbfs:) are passed through."""
    return _absolute(path)


class LakeError(RuntimeError):
    """A lake operation failed."""


class HadoopFs:
    """Thin wrapper over org.apache.hadoop.fs.FileSystem for the paths this job touches."""

    def __init__(self, spark):
        self._jvm = spark._jvm
        self._conf = spark._jsc.hadoopConfiguration()

    def _path(self, uri: str):
        return self._jvm.org.apache.hadoop.fs.Path(to_hadoop_uri(uri))

    def _fs(self, path):
        return path.getFileSystem(self._conf)

    def local_path(self, uri: str) -> str | None:
        """The path on this machine's disk when `uri` resolves to Hadoop's local file system
        (a plain path outside Databricks, or file://); None for abfss://, dbfs:/ and the like."""
        path = self._path(uri)
        fs = self._fs(path)
        if str(fs.getScheme()) != "file":
            return None
        return str(fs.makeQualified(path).toUri().getPath())

    def exists(self, uri: str) -> bool:
        path = self._path(uri)
        return bool(self._fs(path).exists(path))

    def is_dir(self, uri: str) -> bool:
        path = self._path(uri)
        fs = self._fs(path)
        return bool(fs.exists(path) and fs.getFileStatus(path).isDirectory())

    def mkdirs(self, uri: str) -> None:
        path = self._path(uri)
        if not self._fs(path).mkdirs(path):
            raise LakeError(f"could not create directory {uri}")

    def delete(self, uri: str) -> None:
        path = self._path(uri)
        fs = self._fs(path)
        if fs.exists(path):
            fs.delete(path, True)

    def delete_if_empty(self, uri: str) -> None:
        path = self._path(uri)
        fs = self._fs(path)
        if fs.exists(path) and fs.getFileStatus(path).isDirectory() and len(fs.listStatus(path)) == 0:
            fs.delete(path, False)

    def rename(self, source: str, target: str) -> None:
        """Renames a file or directory; atomic on HNS-enabled ADLS Gen2 and on a local disk."""
        src, dst = self._path(source), self._path(target)
        fs = self._fs(src)
        if fs.exists(dst):
            raise LakeError(f"rename target already exists: {target}")
        parent = dst.getParent()
        if parent is not None and not fs.exists(parent):
            fs.mkdirs(parent)
        if not fs.rename(src, dst):
            raise LakeError(f"could not rename {source} to {target}")

    def list_files(self, uri: str) -> list[tuple[str, int]]:
        """(uri, modification time in ms) of the plain files directly inside a directory."""
        path = self._path(uri)
        statuses = self._fs(path).listStatus(path)
        return [(s.getPath().toString(), int(s.getModificationTime())) for s in statuses if s.isFile()]

    def read_first_line(self, uri: str) -> str:
        path = self._path(uri)
        stream = self._fs(path).open(path)
        try:
            reader = self._jvm.java.io.BufferedReader(self._jvm.java.io.InputStreamReader(stream, "UTF-8"))
            line = reader.readLine()
            return "" if line is None else str(line)
        finally:
            stream.close()

    def sha256(self, uri: str) -> str:
        path = self._path(uri)
        stream = self._fs(path).open(path)
        try:
            return str(self._jvm.org.apache.commons.codec.digest.DigestUtils.sha256Hex(stream))
        finally:
            stream.close()

    def write_text(self, uri: str, text: str) -> None:
        path = self._path(uri)
        stream = self._fs(path).create(path, True)
        try:
            stream.write(bytearray(text.encode("utf-8")))
        finally:
            stream.close()


def partition_path(area: str, partition: dict[str, object]) -> str:
    return _join(area, *(f"{key}={value}" for key, value in partition.items()))


@dataclass
class PartitionSwap:
    """Replaces lake partitions by write-then-swap, and can undo what it swapped.

    For each partition: the current directory (if any) is renamed to a backup under
    `<area>/_backup/<run_id>/`, then the staged directory is renamed into place. Until `commit`,
    `rollback` restores every partition it touched. Directories starting with `_` are ignored by
    Spark and pyarrow readers, so staging and backups never show up as data.
    """

    fs: HadoopFs
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
            self.fs.rename(target, backup)
        self._done.append((target, backup))
        if self.fs.exists(staged):
            self.fs.rename(staged, target)

    def rollback(self) -> None:
        restored_all = True
        for target, backup in reversed(self._done):
            try:
                self.fs.delete(target)
                if backup is not None:
                    self.fs.rename(backup, target)
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
                self.fs.delete_if_empty(root.rsplit("/", 1)[0])
            except Exception:
                log.warning("could not remove lake backup %s", root)
        self._backup_roots.clear()
