"""The quarter manifest: what one quarter's published data is made of, for the application that
retrains on it (DATA_CONTRACT.md, "The quarter manifest").

The job builds one per quarter it replaced, upserts it into PostgreSQL's quarter_ready table in the
swap's transaction (load_pg.publish_manifests, which also NOTIFYs quarter_ready when the content
changed) and, once that has committed, writes it to the lake at export/_manifests/<YYYY>Q<n>.json
(write_to_lake). Its JSON Schema is schemas/quarter-manifest.schema.json.

Pure Python, no Spark.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
from pathlib import Path

from .fs import FileSystem
from .layout import DELTA_TABLES, MANIFESTS_FOLDER

SCHEMA_VERSION = 1
SCHEMA_FILE = "schemas/quarter-manifest.schema.json"  # inside the bank_etl package
CHANNEL = "quarter_ready"  # NOTIFY channel; the payload is the quarter, such as 2022-Q3
VOLATILE_FIELDS = ("run_id", "published_at")  # what a rerun with the same input changes

# The Delta tables by their contract names (without the Unity Catalog catalog), keyed like lake_tables.
DELTA_TABLE_NAMES = {area: str(name) for area, name in DELTA_TABLES.items()}
REASONS = ("malformed", "bad_date", "bad_domain", "bad_location", "bad_value", "bad_transaction_count")

# What the deployment uploads and hashes as the job's code version (BANK_ETL_CODE_PATHS in
# src/constructs/pipeline/bank-etl-job.ts; collectJobCode and codeVersion in
# src/constructs/databricks/job-code.ts): the entry files, requirements.txt, the guard and the roles'
# rules the package imports, and every .py and .sql file of the package, without tests, caches and
# hidden entries.
CODE_FILES = ("run_check.py", "run_migrate.py", "run_etl.py", "run_maintain.py", "requirements.txt", "deployment_guard.py", "quarterly_roles.py")
CODE_PACKAGE = "bank_etl"
CODE_EXTENSIONS = (".py", ".sql")
SKIPPED_FOLDERS = frozenset({"tests", "test", "__pycache__", "node_modules", "venv", "env", ".venv"})


def quarter_label(year: int, quarter: int) -> str:
    return f"{int(year)}-Q{int(quarter)}"


def file_name(year: int, quarter: int) -> str:
    """2022Q3.json: the manifest's name in the lake."""
    return f"{int(year)}Q{int(quarter)}.json"


def manifests_folder(export_area: str) -> str:
    return f"{export_area.rstrip('/')}/{MANIFESTS_FOLDER}"


def manifest_path(export_area: str, year: int, quarter: int) -> str:
    return f"{manifests_folder(export_area)}/{file_name(year, quarter)}"


def utc_timestamp(moment: dt.datetime) -> str:
    """2026-10-01T02:06:41.870123Z."""
    if moment.tzinfo is None:
        raise ValueError("published_at must be timezone-aware")
    return moment.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def build(*, year: int, quarter: int, run_id: str, published_at: dt.datetime, input_path: str, input_sha256: str,
          rows_read: int, valid: int, quarantined_by_reason: dict[str, int], duplicates: int,
          delta_versions: dict[str, int], schema: str, code_version: str,
          partitioned_tables: tuple[str, ...] = ("transactions",)) -> dict[str, object]:
    """One quarter's manifest, with exactly the contract's fields. `partitioned_tables`: the
    PostgreSQL tables partitioned by quarter that hold the quarter (their partition is named)."""
    return {
        "schema_version": SCHEMA_VERSION,
        "quarter": quarter_label(year, quarter),
        "run_id": run_id,
        "published_at": utc_timestamp(published_at),
        "input": {"path": input_path, "sha256": input_sha256, "rows": int(rows_read)},
        "counts": {
            "valid": int(valid),
            "quarantined": {reason: int(quarantined_by_reason.get(reason, 0)) for reason in REASONS},
            "duplicates": int(duplicates),
        },
        "delta": {DELTA_TABLE_NAMES[key]: int(version) for key, version in sorted(delta_versions.items())},
        "postgres": {f"{schema}.{table}": f"{schema}.{table}_{int(year)}_q{int(quarter)}" for table in sorted(partitioned_tables)},
        "code_version": code_version,
    }


def content(manifest: dict) -> dict:
    """The manifest without what a rerun of the same input changes (run_id, published_at)."""
    return {key: value for key, value in manifest.items() if key not in VOLATILE_FIELDS}


def carry_over(previous: dict | None, manifest: dict) -> dict:
    """The manifest to publish, given the quarter's previous one.

    A rerun with the same input and code writes the same rows again, in new Delta commits. When
    everything else in the manifest is unchanged, the previous Delta versions stay: they name the
    commits that wrote the quarter's content, which the rerun's commits repeat. So the published
    content is the same (apart from run_id and published_at) and no notification is sent. A previous
    version above this run's (a table created anew) is not kept."""
    if not isinstance(previous, dict):
        return manifest
    without_delta = lambda m: {k: v for k, v in content(m).items() if k != "delta"}  # noqa: E731
    old, new = previous.get("delta"), manifest["delta"]
    if (without_delta(previous) != without_delta(manifest) or not isinstance(old, dict) or set(old) != set(new)
            or any(not isinstance(old[t], int) or old[t] > new[t] for t in new)):
        return manifest
    return {**manifest, "delta": dict(old)}


def changed(previous: dict | None, manifest: dict) -> bool:
    """Whether publishing `manifest` changes what readers were told: decides the NOTIFY."""
    return not isinstance(previous, dict) or content(previous) != content(manifest)


def to_json(manifest: dict) -> str:
    """Deterministic text: the same manifest always gives the same bytes."""
    return json.dumps(manifest, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def run_copy_path(export_area: str, year: int, quarter: int, run_id: str) -> str:
    """_manifests/2022Q3/<run_id>.json: the manifest as the run published it, kept."""
    return f"{manifests_folder(export_area)}/{int(year)}Q{int(quarter)}/{run_id}.json"


def write_to_lake(fs: FileSystem, export_area: str, manifest: dict) -> str:
    """Writes the manifest in full under its run's own name, then replaces the quarter's file with
    it in one step; returns the quarter's path.

    ABFS has no rename that replaces a file (fs.py), so the quarter's file is never deleted or
    renamed over but replaced whole (on Azure one Put Blob, blob.py): a reader finds the previous
    manifest or the new one, never no file, an empty one or part of one (on Databricks without a
    publication credential, a rewrite in place that may look empty for one request: fs.py). The run's copy, complete
    before the quarter's file is touched, stays as the quarter's publication history. Writing the
    same run's manifest again (a retry) writes the same bytes."""
    year, quarter = (int(part) for part in manifest["quarter"].split("-Q"))
    text = to_json(manifest)
    fs.write_text(run_copy_path(export_area, year, quarter, manifest["run_id"]), text)
    target = manifest_path(export_area, year, quarter)
    fs.replace_text(target, text)
    return target


def code_files(code_dir: Path) -> list[str]:
    """The job's files as the deployment uploads them, relative to `code_dir` with / separators, in
    code-point order (job-code.ts: collectJobCode(codeDirectory, BANK_ETL_CODE_PATHS))."""
    found = {name for name in CODE_FILES if (code_dir / name).is_file()}

    def walk(folder: Path, relative: str) -> None:
        for entry in sorted(os.scandir(folder), key=lambda e: e.name):
            if entry.name.startswith("."):
                continue
            path = f"{relative}/{entry.name}"
            if entry.is_dir():
                if entry.name not in SKIPPED_FOLDERS:
                    walk(Path(entry.path), path)
            elif entry.is_file() and os.path.splitext(entry.name)[1] in CODE_EXTENSIONS:
                found.add(path)

    if (code_dir / CODE_PACKAGE).is_dir():
        walk(code_dir / CODE_PACKAGE, CODE_PACKAGE)
    return sorted(found)


def code_version(code_dir: Path | None = None) -> str:
    """SHA-256 over each uploaded file's path, a NUL, its own SHA-256 in hex and a newline, in path
    order: the same value as the deployment's codeVersion (job-code.ts codeVersion) for the same
    files. By default the files are the ones this package was loaded from (on Databricks: the
    workspace files the job runs)."""
    root = code_dir or Path(__file__).resolve().parent.parent
    digest = hashlib.sha256()
    for relative in code_files(root):
        file_digest = hashlib.sha256((root / relative).read_bytes()).hexdigest()
        digest.update(f"{relative}\0{file_digest}\n".encode("utf-8"))
    return digest.hexdigest()


def load_schema() -> dict:
    """The manifest's JSON Schema (for tests and tools; the job does not validate at run time)."""
    from importlib import resources

    return json.loads(resources.files(__package__).joinpath(SCHEMA_FILE).read_text(encoding="utf-8"))
