"""A stand-in for Databricks' dbutils (fs, secrets, jobs.taskValues) over local paths, as strict as
the service, for the code that only runs on Databricks.

fs behaves as dbutils.fs on ABFS with a hierarchical namespace, which goes through hadoop-azure
(org/apache/hadoop/fs/azurebfs/):
- mv is AzureBlobFileSystem.rename: a missing source (SOURCE_PATH_NOT_FOUND), a missing target
  folder (RENAME_DESTINATION_PARENT_PATH_NOT_FOUND) or an existing target (PATH_ALREADY_EXISTS:
  AbfsClient.renamePath sends `If-None-Match: *`) is a failed rename, reported as `false`. How mv
  passes that on is not documented, so `mv_failure` chooses: "false" returns False, "raise" raises.
- put is AzureBlobFileSystemStore.createFile then a flush: an existing file is refused unless
  overwrite, and with overwrite first recreated empty (AbfsClient.createPath); parents are created;
  the content becomes readable whole at the flush. `on_change(operation, path)` is called after
  each step a reader could see, so a test can look at the lake at every one of them.
- ls of a missing path raises java.io.FileNotFoundException (wrapped); ls of a file lists the file.
- a file in the archive tier (`archive`, what the landing lifecycle rule does) is listed as any
  other, and reading it fails with Azure's 409 BlobArchived ("This operation is not permitted on an
  archived blob"; Blob service error codes), in hadoop-azure's message format
  (AbfsRestOperationException.formatMessage).
secrets.get raises for a missing scope or key, as Databricks does, and records what was asked for;
credentials.getServiceCredentialsProvider likewise for a service credential it was not given. jobs.taskValues follows
Databricks' documentation: set takes a string key and a JSON value of at most 48 KiB; get raises
ValueError for an unknown task or (without a default) a missing key, and outside a job returns
debugValue, or raises TypeError without one.
"""

from __future__ import annotations

import json
import os
import shutil
from collections import namedtuple
from typing import Callable

TASK_VALUE_LIMIT = 48 * 1024


class FileInfo(namedtuple("FileInfo", "path name size modificationTime")):
    def isDir(self) -> bool:
        return self.path.endswith("/")

    def isFile(self) -> bool:
        return not self.isDir()


def _not_found(path: str) -> Exception:
    return Exception(f"java.io.FileNotFoundException: {path} does not exist.")


def _archived(path: str) -> Exception:
    message = "This operation is not permitted on an archived blob."
    return Exception("shaded.databricks.azurebfs.org.apache.hadoop.fs.azurebfs.contracts.exceptions."
                     f'AbfsRestOperationException: Operation failed: "{message}", 409, GET, {path}, '
                     f'rId: 00000000-0000-0000-0000-000000000000, BlobArchived, "{message} RequestId:0000"')


class FakeFs:
    def __init__(self, mv_failure: str = "false", on_change: Callable[[str, str], None] | None = None):
        assert mv_failure in ("false", "raise")
        self.mv_failure = mv_failure
        self.on_change = on_change or (lambda operation, path: None)
        self.calls: list[tuple] = []
        self.archived: set[str] = set()

    def archive(self, path: str) -> None:
        """The lifecycle rule's move of a file to the archive tier."""
        self.archived.add(os.path.abspath(path))

    def _changed(self, operation: str, path: str) -> None:
        self.on_change(operation, path)

    def ls(self, path: str) -> list[FileInfo]:
        self.calls.append(("ls", path))
        if not os.path.exists(path):
            raise _not_found(path)

        def info(full: str) -> FileInfo:
            stat = os.stat(full)
            if os.path.isdir(full):
                return FileInfo(full.rstrip("/") + "/", os.path.basename(full.rstrip("/")) + "/", 0, int(stat.st_mtime * 1000))
            return FileInfo(full, os.path.basename(full), stat.st_size, int(stat.st_mtime * 1000))

        if os.path.isfile(path):
            return [info(path)]
        return [info(os.path.join(path, name)) for name in sorted(os.listdir(path))]

    def head(self, file: str, maxBytes: int = 65536) -> str:  # noqa: N803 (dbutils' spelling)
        if not os.path.isfile(file):
            raise _not_found(file)
        if os.path.abspath(file) in self.archived:
            raise _archived(file)
        with open(file, "rb") as handle:
            return handle.read(maxBytes).decode("utf-8", errors="replace")

    def put(self, file: str, contents: str, overwrite: bool = False) -> bool:
        self.calls.append(("put", file, overwrite))
        if os.path.exists(file) and not overwrite:
            raise Exception(f"org.apache.hadoop.fs.FileAlreadyExistsException: {file} already exists")
        os.makedirs(os.path.dirname(file), exist_ok=True)
        open(file, "wb").close()  # createPath: the file now exists, empty
        self._changed("put: created", file)
        flushed = os.path.join(os.path.dirname(file), f".{os.path.basename(file)}.flushing")
        with open(flushed, "w", encoding="utf-8") as handle:
            handle.write(contents)
        os.replace(flushed, file)  # the flush: the content appears whole
        self._changed("put: flushed", file)
        return True

    def mkdirs(self, dir: str) -> bool:  # noqa: A002 (dbutils' spelling)
        self.calls.append(("mkdirs", dir))
        if os.path.isfile(dir):
            raise Exception(f"org.apache.hadoop.fs.FileAlreadyExistsException: {dir} is a file")
        os.makedirs(dir, exist_ok=True)
        return True

    def rm(self, dir: str, recurse: bool = False) -> bool:  # noqa: A002
        self.calls.append(("rm", dir, recurse))
        if not os.path.exists(dir):
            return False
        if os.path.isdir(dir):
            if os.listdir(dir) and not recurse:
                raise Exception(f"java.io.IOException: {dir} is a non-empty directory; use recurse=True")
            shutil.rmtree(dir)
        else:
            os.remove(dir)
        self._changed("rm", dir)
        return True

    def mv(self, from_: str, to: str, recurse: bool = False) -> bool:
        self.calls.append(("mv", from_, to, recurse))
        if os.path.isdir(from_) and not recurse:
            raise Exception(f"java.io.IOException: {from_} is a directory; use recurse=True")
        reason = ("SOURCE_PATH_NOT_FOUND" if not os.path.exists(from_)
                  else "PATH_ALREADY_EXISTS" if os.path.lexists(to)
                  else "RENAME_DESTINATION_PARENT_PATH_NOT_FOUND" if not os.path.isdir(os.path.dirname(to.rstrip("/")))
                  else None)
        if reason:
            if self.mv_failure == "raise":
                raise Exception(f"shaded.databricks.azurebfs.AbfsRestOperationException: rename {from_} -> {to}: {reason}")
            return False
        os.rename(from_, to)
        self._changed("mv", to)
        return True


class FakeSecrets:
    def __init__(self, values: dict[tuple[str, str], str] | None = None):
        self.values = dict(values or {})
        self.calls: list[tuple[str, str]] = []  # every (scope, key) asked for, in order

    def get(self, scope: str, key: str) -> str:
        self.calls.append((scope, key))
        if (scope, key) not in self.values:
            raise Exception(f"java.lang.IllegalArgumentException: Secret does not exist with scope: {scope} and key: {key}")
        return self.values[(scope, key)]


class FakeJob:
    """One job run's task values, shared by its tasks (each task gets its own dbutils)."""

    def __init__(self, task_keys: tuple[str, ...] = ("check", "migrate", "load")):
        self.task_keys = task_keys
        self.values: dict[str, dict[str, object]] = {}


class FakeTaskValues:
    def __init__(self, job: FakeJob | None, task_key: str | None):
        self._job, self._task_key = job, task_key

    def set(self, key: str, value: object) -> None:
        if not isinstance(key, str):
            raise TypeError("task value keys must be strings")
        text = json.dumps(value)  # raises TypeError for what JSON cannot hold
        if len(text.encode("utf-8")) > TASK_VALUE_LIMIT:
            raise ValueError(f"the task value {key} is larger than 48 KiB as JSON")
        if self._job is not None:
            self._job.values.setdefault(self._task_key, {})[key] = json.loads(text)

    def get(self, taskKey: str, key: str, default: object = None, debugValue: object = None) -> object:  # noqa: N803
        if self._job is None:  # not running as a job task
            if debugValue is None:
                raise TypeError("taskValues.get outside a job needs a debugValue")
            return debugValue
        if taskKey not in self._job.task_keys:
            raise ValueError(f"no task {taskKey} in this job")
        values = self._job.values.get(taskKey, {})
        if key in values:
            return values[key]
        if default is None:
            raise ValueError(f"task {taskKey} set no value {key}")
        return default


class FakeJobs:
    def __init__(self, job: FakeJob | None, task_key: str | None):
        self.taskValues = FakeTaskValues(job, task_key)


class FakeCredentials:
    """dbutils.credentials: getServiceCredentialsProvider(name) gives the token provider of the
    Unity Catalog service credential of that name, which the caller must have ACCESS on; any other
    name raises (Databricks' message is not documented, so only the name is checked)."""

    def __init__(self, providers: dict | None):
        self._providers = dict(providers or {})
        self.asked: list[str] = []

    def getServiceCredentialsProvider(self, name: str):  # noqa: N802 (Databricks' name)
        self.asked.append(name)
        if name not in self._providers:
            raise Exception(f"PERMISSION_DENIED: credential {name} does not exist or the caller lacks ACCESS on it")
        return self._providers[name]


class FakeDbutils:
    def __init__(self, *, mv_failure: str = "false", on_change=None, secrets: dict | None = None,
                 job: FakeJob | None = None, task_key: str | None = None, credentials: dict | None = None):
        self.fs = FakeFs(mv_failure, on_change)
        self.secrets = FakeSecrets(secrets)
        self.jobs = FakeJobs(job, task_key)
        self.credentials = FakeCredentials(credentials)
