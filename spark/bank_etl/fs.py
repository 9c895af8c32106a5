"""The few file operations the job needs, behind one small interface.

On Databricks they go through dbutils.fs, which Unity Catalog's credential vending covers (direct
Hadoop FileSystem calls over py4j may not authenticate, and py4j is blocked in shared access
mode); elsewhere through the local file system. Data itself is only ever read and written by
Spark; these calls touch the run record, the input's header and directory listings.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from dataclasses import dataclass
from typing import Protocol

HEADER_BYTES = 65_536  # enough for any header line this job accepts


@dataclass(frozen=True)
class FileInfo:
    path: str
    is_dir: bool
    modified_ms: int
    size: int = 0  # bytes of a file


class FileSystem(Protocol):
    def exists(self, path: str) -> bool: ...
    def is_dir(self, path: str) -> bool: ...
    def list(self, path: str) -> list[FileInfo]: ...
    def read_head(self, path: str, max_bytes: int = HEADER_BYTES) -> bytes: ...
    def read_text(self, path: str) -> str: ...
    def write_text(self, path: str, text: str) -> None: ...
    def delete(self, path: str) -> None: ...
    def move(self, source: str, target: str) -> None: ...
    def replace(self, source: str, target: str) -> None: ...
    def sha256(self, path: str) -> str: ...


def _local(path: str) -> str:
    return path[len("file:"):].replace("///", "/", 1) if path.startswith("file:") else path


class LocalFs:
    """The local file system (plain paths or file: URIs)."""

    def exists(self, path: str) -> bool:
        return os.path.exists(_local(path))

    def is_dir(self, path: str) -> bool:
        return os.path.isdir(_local(path))

    def list(self, path: str) -> list[FileInfo]:
        base = _local(path)
        found = []
        with os.scandir(base) as entries:
            for entry in entries:
                stat = entry.stat()
                found.append(FileInfo(os.path.join(base, entry.name), entry.is_dir(), int(stat.st_mtime * 1000),
                                      0 if entry.is_dir() else stat.st_size))
        return found

    def read_head(self, path: str, max_bytes: int = HEADER_BYTES) -> bytes:
        with open(_local(path), "rb") as handle:
            return handle.read(max_bytes)

    def read_text(self, path: str) -> str:
        with open(_local(path), encoding="utf-8") as handle:
            return handle.read()

    def write_text(self, path: str, text: str) -> None:
        target = _local(path)
        os.makedirs(os.path.dirname(target) or ".", exist_ok=True)
        partial = f"{target}.partial"
        with open(partial, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(partial, target)  # readers never see half a record

    def delete(self, path: str) -> None:
        target = _local(path)
        if os.path.isdir(target):
            shutil.rmtree(target)
        elif os.path.exists(target):
            os.remove(target)

    def move(self, source: str, target: str) -> None:
        destination = _local(target)
        if os.path.exists(destination):
            raise FileExistsError(f"move target already exists: {target}")
        os.makedirs(os.path.dirname(destination) or ".", exist_ok=True)
        os.rename(_local(source), destination)

    def replace(self, source: str, target: str) -> None:
        """Renames the file `source` to `target`, replacing a file there in one step (readers see
        the old file or the new one)."""
        destination = _local(target)
        os.makedirs(os.path.dirname(destination) or ".", exist_ok=True)
        os.replace(_local(source), destination)

    def sha256(self, path: str) -> str:
        digest = hashlib.sha256()
        with open(_local(path), "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
        return digest.hexdigest()


class DbutilsFs:
    """dbutils.fs on Databricks: abfss://, dbfs:/ and /Volumes paths."""

    def __init__(self, dbutils, spark):
        self._fs = dbutils.fs
        self._spark = spark

    def exists(self, path: str) -> bool:
        try:
            self._fs.ls(path)
            return True
        except Exception as error:  # dbutils raises a wrapped FileNotFoundException
            if "FileNotFound" in str(error) or "does not exist" in str(error):
                return False
            raise

    def is_dir(self, path: str) -> bool:
        entries = self._fs.ls(path)
        # ls of a file returns that file alone, with its own path.
        return not (len(entries) == 1 and entries[0].path.rstrip("/") == path.rstrip("/") and not entries[0].isDir())

    def list(self, path: str) -> list[FileInfo]:
        return [FileInfo(e.path.rstrip("/"), e.isDir(), int(getattr(e, "modificationTime", 0) or 0),
                         int(getattr(e, "size", 0) or 0)) for e in self._fs.ls(path)]

    def read_head(self, path: str, max_bytes: int = HEADER_BYTES) -> bytes:
        return self._fs.head(path, max_bytes).encode("utf-8")

    def read_text(self, path: str) -> str:
        return self._fs.head(path, 10 * 1024 * 1024)

    def write_text(self, path: str, text: str) -> None:
        self._fs.put(path, text, True)

    def delete(self, path: str) -> None:
        if self.exists(path):
            self._fs.rm(path, True)

    def move(self, source: str, target: str) -> None:
        if self.exists(target):
            raise FileExistsError(f"move target already exists: {target}")
        self._fs.mv(source, target, True)

    def replace(self, source: str, target: str) -> None:
        """dbutils.fs has no rename that replaces an existing file: the old file is removed, then
        `source`, already complete, is moved into its place. A reader sees the old file, for a
        moment none, or the new one."""
        if self.exists(target):
            self._fs.rm(target, False)
        self._fs.mv(source, target, False)

    def sha256(self, path: str) -> str:
        # dbutils.fs cannot stream a whole file to the driver; one executor hashes it instead and
        # only the digest comes back.
        from pyspark.sql import functions as F

        row = self._spark.read.format("binaryFile").load(path).select(F.sha2("content", 256).alias("digest")).head()
        return row["digest"]


def file_system_for(spark) -> FileSystem:
    """dbutils.fs on Databricks, the local file system elsewhere."""
    from .session import on_databricks

    if on_databricks():
        from pyspark.dbutils import DBUtils  # only exists on Databricks

        return DbutilsFs(DBUtils(spark), spark)
    return LocalFs()
