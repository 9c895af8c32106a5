"""The few file operations the job needs, behind one small interface.

On Databricks they go through dbutils.fs, which Unity Catalog's credential vending covers (direct
Hadoop FileSystem calls over py4j may not authenticate, and py4j is blocked in shared access
mode); elsewhere through the local file system. Data itself is only ever read and written by
Spark; these calls touch the run record, the manifests, the input's header and directory listings.

Both sides keep to what ABFS with a hierarchical namespace (the lake, and dbutils.fs on it) does,
so that what passes here passes on Azure (hadoop-azure, org/apache/hadoop/fs/azurebfs/):
- a rename never overwrites: AbfsClient.renamePath sends `If-None-Match: *`, so a rename onto an
  existing path fails (PATH_ALREADY_EXISTS);
- a rename into a folder that does not exist fails (RENAME_DESTINATION_PARENT_PATH_NOT_FOUND), as
  does one whose source is gone (SOURCE_PATH_NOT_FOUND): AzureBlobFileSystem.rename turns each of
  these into a `false` result, not an exception, so every result is checked here;
- writing a file (AzureBlobFileSystemStore.createFile, AbfsClient.createPath) creates its missing
  parents; with overwrite it first recreates the file empty, and the new content appears whole when
  the output stream flushes on close (data appended but not flushed is not readable). No operation
  of dbutils.fs replaces a file's content in one step: `replace_text` does it with the Blob API's
  Put Blob (blob.py), given a credential that may.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
from dataclasses import dataclass
from typing import Protocol

from .blob import STORAGE_SCOPE, BlobReplace

log = logging.getLogger(__name__)

HEADER_BYTES = 65_536  # enough for any header line this job accepts


@dataclass(frozen=True)
class FileInfo:
    path: str
    is_dir: bool
    modified_ms: int
    size: int = 0  # bytes of a file


class MoveError(OSError):
    """A rename the store refused or did not carry out (ABFS reports most refusals as `false`)."""


class FileSystem(Protocol):
    def exists(self, path: str) -> bool: ...
    def is_dir(self, path: str) -> bool: ...
    def info(self, path: str) -> FileInfo: ...
    def list(self, path: str) -> list[FileInfo]: ...
    def read_head(self, path: str, max_bytes: int = HEADER_BYTES) -> bytes: ...
    def read_text(self, path: str) -> str: ...
    def write_text(self, path: str, text: str, overwrite: bool = True) -> None: ...
    def replace_text(self, path: str, text: str) -> None: ...
    def delete(self, path: str) -> None: ...
    def mkdirs(self, path: str) -> None: ...
    def rename(self, source: str, target: str) -> bool: ...
    def move(self, source: str, target: str) -> None: ...
    def sha256(self, path: str) -> str: ...


def parent_of(path: str) -> str:
    return path.rstrip("/").rsplit("/", 1)[0]


class _Moves:
    """`move` on top of a store's own `rename`, which behaves as ABFS's: creates the target's
    parent first (the first run, a new year's first quarter and every backup move into folders that
    do not exist yet), never replaces what is at the target, and checks that the rename happened."""

    def move(self, source: str, target: str) -> None:
        if self.exists(target):
            raise FileExistsError(f"move target already exists: {target}")
        self.mkdirs(parent_of(target))
        try:
            renamed = self.rename(source, target)
        except Exception as error:
            raise MoveError(f"could not move {source} to {target}: {error}") from error
        if renamed is False or not self.exists(target) or self.exists(source):
            raise MoveError(f"could not move {source} to {target}: the store refused the rename "
                            f"(source present: {self.exists(source)}, target present: {self.exists(target)})")


def _local(path: str) -> str:
    return path[len("file:"):].replace("///", "/", 1) if path.startswith("file:") else path


def _file_info(path: str, stat: os.stat_result, is_dir: bool) -> FileInfo:
    return FileInfo(path, is_dir, int(stat.st_mtime * 1000), 0 if is_dir else stat.st_size)


class LocalFs(_Moves):
    """The local file system (plain paths or file: URIs), as strict as ABFS where the job relies
    on it (see the module's docstring)."""

    def exists(self, path: str) -> bool:
        return os.path.exists(_local(path))

    def is_dir(self, path: str) -> bool:
        return os.path.isdir(_local(path))

    def info(self, path: str) -> FileInfo:
        local = _local(path)
        return _file_info(path, os.stat(local), os.path.isdir(local))

    def list(self, path: str) -> list[FileInfo]:
        base = _local(path)
        with os.scandir(base) as entries:
            return [_file_info(os.path.join(base, e.name), e.stat(), e.is_dir()) for e in entries]

    def read_head(self, path: str, max_bytes: int = HEADER_BYTES) -> bytes:
        with open(_local(path), "rb") as handle:
            return handle.read(max_bytes)

    def read_text(self, path: str) -> str:
        with open(_local(path), encoding="utf-8") as handle:
            return handle.read()

    def write_text(self, path: str, text: str, overwrite: bool = True) -> None:
        """As ABFS's create: parents are made; an existing file is refused without `overwrite`,
        and with it first recreated empty; the content then appears whole (the flush)."""
        target = _local(path)
        if os.path.exists(target) and not overwrite:
            raise FileExistsError(f"file already exists: {path}")
        os.makedirs(os.path.dirname(target) or ".", exist_ok=True)
        open(target, "w").close()
        self.replace_text(path, text)

    def replace_text(self, path: str, text: str) -> None:
        """As Put Blob (blob.py): parents are made, and a reader finds the old content or the new,
        never an empty or partial file (a rename onto the file, atomic on a POSIX file system)."""
        target = _local(path)
        os.makedirs(os.path.dirname(target) or ".", exist_ok=True)
        staged = os.path.join(os.path.dirname(target) or ".", f".{os.path.basename(target)}.put")
        with open(staged, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(staged, target)

    def delete(self, path: str) -> None:
        target = _local(path)
        if os.path.isdir(target):
            shutil.rmtree(target)
        elif os.path.exists(target):
            os.remove(target)

    def mkdirs(self, path: str) -> None:
        os.makedirs(_local(path), exist_ok=True)

    def rename(self, source: str, target: str) -> bool:
        """ABFS's rename: false, and nothing moved, when the source is missing, the target exists or
        the target's folder does not (os.rename alone would overwrite a file and make no folder)."""
        origin, destination = _local(source), _local(target)
        if (not os.path.exists(origin) or os.path.lexists(destination)
                or not os.path.isdir(os.path.dirname(destination) or ".")):
            return False
        os.rename(origin, destination)
        return True

    def sha256(self, path: str) -> str:
        digest = hashlib.sha256()
        with open(_local(path), "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
        return digest.hexdigest()


class DbutilsFs(_Moves):
    """dbutils.fs on Databricks: abfss://, dbfs:/ and /Volumes paths."""

    def __init__(self, dbutils, spark, blob_replace: BlobReplace | None = None):
        self._fs = dbutils.fs
        self._spark = spark
        self._blob_replace = blob_replace

    def exists(self, path: str) -> bool:
        try:
            self._fs.ls(path)
            return True
        except Exception as error:  # dbutils raises a wrapped FileNotFoundException
            if "FileNotFound" in str(error) or "does not exist" in str(error):
                return False
            raise

    def _is_the_file(self, entries, path: str) -> bool:
        # ls of a file returns that file alone, with its own path.
        return len(entries) == 1 and entries[0].path.rstrip("/") == path.rstrip("/") and not entries[0].isDir()

    def is_dir(self, path: str) -> bool:
        return not self._is_the_file(self._fs.ls(path), path)

    def info(self, path: str) -> FileInfo:
        entries = self._fs.ls(path)
        if not self._is_the_file(entries, path):
            return FileInfo(path.rstrip("/"), True, 0)
        return self._file_info(entries[0])

    @staticmethod
    def _file_info(entry) -> FileInfo:
        return FileInfo(entry.path.rstrip("/"), entry.isDir(), int(getattr(entry, "modificationTime", 0) or 0),
                        int(getattr(entry, "size", 0) or 0))

    def list(self, path: str) -> list[FileInfo]:
        return [self._file_info(e) for e in self._fs.ls(path)]

    def read_head(self, path: str, max_bytes: int = HEADER_BYTES) -> bytes:
        return self._fs.head(path, max_bytes).encode("utf-8")

    def read_text(self, path: str) -> str:
        return self._fs.head(path, 10 * 1024 * 1024)

    def write_text(self, path: str, text: str, overwrite: bool = True) -> None:
        self._fs.put(path, text, overwrite)

    def replace_text(self, path: str, text: str) -> None:
        """One Put Blob with the publication credential's identity; without one, a write in place,
        which a reader may find empty for one request (the module's comment)."""
        if self._blob_replace is None:
            log.warning("no publication credential: %s is rewritten in place, and a reader may find it empty "
                         "while it is written (give --publication-credential)", path)
            self.write_text(path, text)
        else:
            self._blob_replace.replace(path, text)

    def delete(self, path: str) -> None:
        if self.exists(path):
            self._fs.rm(path, True)

    def mkdirs(self, path: str) -> None:
        if self._fs.mkdirs(path) is False:
            raise OSError(f"could not create folder {path}")

    def rename(self, source: str, target: str) -> bool:
        # recurse: a partition is a folder. What mv returns is checked by move(), which also looks
        # at both paths: Databricks documents mv's result as a boolean without saying when it is false.
        return self._fs.mv(source, target, True)

    def sha256(self, path: str) -> str:
        """dbutils.fs cannot stream a file to the driver, and Spark's binaryFile source holds a file
        as one value (at most 2 GiB). So one executor streams the file's lines, in file order, through
        SHA-256 (lines_sha256); only the digest and the bytes it covered come back, and those bytes
        must be the file's size."""
        import sys

        from pyspark import cloudpickle
        from pyspark.sql import functions as F

        size = self.info(path).size
        starts_with_bom = self.read_head(path, len(UTF8_BOM)) == UTF8_BOM
        # The Python workers may not have bank_etl on their path: the function goes by value.
        cloudpickle.register_pickle_by_value(sys.modules[__name__])
        # Text lines keep their bytes as they are in the file (the reader does not decode them);
        # one task reads the file's splits one after the other, and says which split each line is from.
        lines = (self._spark.read.option("lineSep", "\n").text(path)
                 .select(F.col("value").cast("binary").alias("line"), F.col("_metadata.file_block_start").alias("split"))
                 .coalesce(1))
        result = lines.mapInArrow(lines_sha256(size, starts_with_bom), LINES_SHA256_DDL).collect()
        digest, hashed = (result[0]["sha256"], result[0]["bytes"]) if result else (hashlib.sha256().hexdigest(), 0)
        if hashed != size:
            raise OSError(f"could not hash {path}: its lines hold {hashed} bytes, the file {size}")
        return digest


UTF8_BOM = b"\xef\xbb\xbf"
LINES_SHA256_DDL = "sha256 string, bytes long"


def lines_sha256(size: int, starts_with_bom: bool):
    """A mapInArrow function over one partition of a file's lines (`line` binary, in file order, and
    `split`, the start of the file split each was read from): the SHA-256 of the file they were cut
    from, and the bytes it covers. The lines are joined with the newline that separated them; the
    file's last newline, if it has one, is known from its size, and a UTF-8 byte order mark that the
    text reader (Hadoop's LineRecordReader) skips is put back. Splits that come out of order fail."""

    def digest_in_order(batches):
        import hashlib

        import pyarrow as pa
        import pyarrow.compute as pc

        digest, hashed, last_split = hashlib.sha256(), 0, -1
        for batch in batches:
            if not batch.num_rows:
                continue
            splits = pc.unique(batch.column(1)).to_pylist()
            if splits != sorted(splits) or splits[0] < last_split:
                raise RuntimeError(f"the file's splits came out of order ({last_split} before {splits})")
            lines = batch.column(0)
            if last_split < 0:
                if starts_with_bom and not lines[0].as_py().startswith(UTF8_BOM):
                    digest.update(UTF8_BOM)
                    hashed += len(UTF8_BOM)
            else:
                digest.update(b"\n")
                hashed += 1
            last_split = splits[-1]
            joined = pc.binary_join(pa.ListArray.from_arrays(pa.array([0, len(lines)], pa.int32()), lines), b"\n")
            digest.update(joined[0].as_buffer())
            hashed += len(lines) - 1 + (pc.sum(pc.binary_length(lines)).as_py() or 0)
        if hashed == size - 1:  # the file ends with a newline
            digest.update(b"\n")
            hashed += 1
        yield pa.RecordBatch.from_pylist([{"sha256": digest.hexdigest(), "bytes": hashed}],
                                         schema=pa.schema([("sha256", pa.string()), ("bytes", pa.int64())]))

    return digest_in_order


def databricks_file_system(utils, spark, publication_credential: str | None = None) -> DbutilsFs:
    """dbutils.fs, replacing files whole as the identity of the Unity Catalog service credential
    named `publication_credential` (dbutils.credentials.getServiceCredentialsProvider, Databricks
    Runtime 16.2 and later; the job's principal needs ACCESS on it)."""
    if not publication_credential:
        return DbutilsFs(utils, spark)
    credential = utils.credentials.getServiceCredentialsProvider(publication_credential)
    # A token now: a credential the job cannot use fails the run before it reads anything, not after its load.
    credential.get_token(STORAGE_SCOPE)
    return DbutilsFs(utils, spark, BlobReplace(credential))


def file_system_for(spark, publication_credential: str | None = None) -> FileSystem:
    """dbutils.fs on Databricks, the local file system elsewhere (where no credential is needed)."""
    from .runtime import dbutils

    utils = dbutils(spark)
    return databricks_file_system(utils, spark, publication_credential) if utils is not None else LocalFs()
