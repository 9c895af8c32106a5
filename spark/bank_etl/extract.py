"""Extract: find the landing file and read it into the raw shape every later step expects.

The raw shape (RAW_COLUMNS) is one row per data record of the source: where it is in the source
(source_split, the reader's split of the file in file order, and source_position, 0-based within
the split; accounting.split_offsets turns them into the 1-based data record number), the
five required fields as the source wrote them, raw_record (the whole record's text, only for
malformed records) and malformed (the record does not have the header's number of fields).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import logging
import re
from contextlib import contextmanager
from dataclasses import dataclass

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql.types import BooleanType, IntegerType, LongType, StringType, StructField, StructType

from .errors import InputChangedError, InputError, causes
from .fs import FileInfo, FileSystem

log = logging.getLogger(__name__)

# Contract field name (as published) -> raw column name in the job.
REQUIRED_FIELDS = {
    "date": "raw_date",
    "domain": "raw_domain",
    "location": "raw_location",
    "value": "raw_value",
    "transaction_count": "raw_transaction_count",
}
RAW_SCHEMA = StructType(
    [StructField("source_split", IntegerType(), False), StructField("source_position", LongType(), False)]
    + [StructField(name, StringType(), True) for name in REQUIRED_FIELDS.values()]
    + [StructField("raw_record", StringType(), True), StructField("malformed", BooleanType(), False)]
)
RAW_COLUMNS = [f.name for f in RAW_SCHEMA.fields]
SUPPORTED_SUFFIXES = (".csv", ".xlsx")


@dataclass(frozen=True)
class Extracted:
    raw: DataFrame
    input_path: str
    file_format: str


def resolve_input(fs: FileSystem, uri: str) -> FileInfo:
    """The file itself, or the newest *.csv/*.xlsx file (by modification time) in a directory, with
    its size and modification time: what identifies this version of it (input_identity)."""
    if not fs.exists(uri):
        raise InputError(f"input not found: {uri}")
    if not fs.is_dir(uri):
        return fs.info(uri)
    candidates = [f for f in fs.list(uri) if not f.is_dir and f.path.lower().endswith(SUPPORTED_SUFFIXES)]
    if not candidates:
        raise InputError(f"no *.csv or *.xlsx file in {uri}")
    newest = max(candidates, key=lambda f: (f.modified_ms, f.path))
    log.info("input directory %s: processing its newest file %s", uri, newest.path)
    return newest


def input_identity(info: FileInfo) -> dict[str, object]:
    """A landing file's version as the check task hands it to the load: its path, size and
    modification time. A delivery that replaces the file changes its modification time (and
    usually its size); hashing it here would be one more full read of the file."""
    return {"path": info.path, "size": info.size, "modified_ms": info.modified_ms}


def check_same_input(fs: FileSystem, uri: str, expected: dict[str, object]) -> FileInfo:
    """The file the check task resolved, provided it is still that version under `uri`; raises
    InputChangedError (the load refuses to read another file than the one checked)."""
    path = str(expected.get("path") or "")
    if not _within(path, uri):
        raise InputChangedError(f"the check task resolved {path or 'nothing'}, which is not --input {uri}")
    if not fs.exists(path):
        raise InputChangedError(f"the input the check task resolved, {path}, is gone; the next run takes what is there")
    found = fs.info(path)
    if (found.size, found.modified_ms) != (expected.get("size"), expected.get("modified_ms")):
        raise InputChangedError(
            f"the input {path} changed after the check task resolved it (size {expected.get('size')} -> {found.size}, "
            f"modified {expected.get('modified_ms')} -> {found.modified_ms}); the next run takes the new version")
    return found


def _within(path: str, uri: str) -> bool:
    """Whether `path` is `uri` or inside it. dbutils.fs lists /Volumes/... and dbfs:/... paths as
    dbfs:/..., and the local file system file:/... paths without the scheme."""
    def plain(text: str) -> str:
        for scheme in ("dbfs:", "file://", "file:"):
            if text.startswith(scheme):
                return text[len(scheme):]
        return text

    path, uri = plain(path).rstrip("/"), plain(uri).rstrip("/")
    return path == uri or path.startswith(uri + "/")


def check_unchanged(fs: FileSystem, info: FileInfo) -> None:
    """Raises InputChangedError if the file is no longer the version `info` describes (a delivery
    replaced it while the run read it)."""
    check_same_input(fs, info.path, input_identity(info))


class InputArchivedError(InputError):
    """The landing file is in the archive tier (the lake's lifecycle moves landing files there after
    some months): nothing can read it until it is rehydrated, which takes hours, so no retry helps."""


# Azure's error code for a read of a blob in the archive tier (409 Conflict, "This operation is not
# permitted on an archived blob"; Blob service error codes). hadoop-azure puts the storage error code
# in its exception's message (AbfsRestOperationException.formatMessage), which dbutils.fs and Spark
# pass on.
ARCHIVED_BLOB = ("blobarchived", "not permitted on an archived blob")
ABFS_PATH = re.compile(r"^abfss?://(?P<container>[^@/]+)@(?P<account>[^./]+)\.dfs\.core\.windows\.net/(?P<name>.+)$")


def rehydrate_command(path: str) -> str:
    """The Azure CLI command that brings an archived landing file back online (to the cool tier, at
    high priority: under an hour for most files below 10 GB, up to 15 hours at standard priority)."""
    match = ABFS_PATH.match(path)
    if not match:
        return f"az storage blob set-tier --tier Cool --rehydrate-priority High --auth-mode login (for the blob behind {path})"
    return (f"az storage blob set-tier --account-name {match['account']} --container-name {match['container']} "
            f"--name {match['name']} --tier Cool --rehydrate-priority High --auth-mode login")


@contextmanager
def reading_input(path: str):
    """Turns the storage's refusal to read an archived landing file into InputArchivedError (exit 3),
    saying how to rehydrate it."""
    try:
        yield
    except Exception as error:
        if any(marker in str(item).lower() for item in causes(error) for marker in ARCHIVED_BLOB):
            raise InputArchivedError(
                f"the landing file {path} is in the archive tier and cannot be read until it is rehydrated; "
                f"run `{rehydrate_command(path)}`, wait until `az storage blob show ... --query "
                "properties.rehydrationStatus` is empty (the file is in the cool tier again), then run the job "
                "again") from error
        raise


def match_required_columns(header: list[str]) -> dict[str, int]:
    """Position of each required field in the header; names match case-insensitively after trimming."""
    positions: dict[str, int] = {}
    for index, name in enumerate(header):
        key = name.strip().lower()
        if key in REQUIRED_FIELDS and key not in positions:
            positions[key] = index
    missing = [name for name in REQUIRED_FIELDS if name not in positions]
    if missing:
        found = ", ".join(h.strip() for h in header) or "(empty header)"
        raise InputError(f"input is missing required column(s) {', '.join(missing)}; header has: {found}")
    return positions


def parse_csv_header(line: str) -> list[str]:
    line = line.lstrip("\ufeff")
    return next(csv.reader([line]), [])


def read_header(fs: FileSystem, path: str) -> list[str]:
    """The CSV header from the first bytes of the file (no Spark job)."""
    with reading_input(path):
        head = fs.read_head(path).decode("utf-8", errors="replace")
    return parse_csv_header(head.splitlines()[0] if head else "")


def read_csv(spark: SparkSession, fs: FileSystem, path: str) -> Extracted:
    header = read_header(fs, path)
    positions = match_required_columns(header)
    # Every header column is read (as text) so a record's field count can be compared with the
    # header's; a record with more or fewer fields lands in _corrupt_record.
    schema = StructType(
        [StructField(f"_c{i}", StringType(), True) for i in range(len(header))]
        + [StructField("_corrupt_record", StringType(), True)]
    )
    parsed = (
        spark.read.schema(schema)
        .option("header", True)
        .option("enforceSchema", True)
        .option("mode", "PERMISSIVE")
        .option("columnNameOfCorruptRecord", "_corrupt_record")
        .option("escape", '"')  # RFC 4180: a quote inside a quoted field is doubled
        .option("multiLine", False)
        .option("encoding", "UTF-8")
        .csv(path)
    )
    # File splits are numbered in file order, and within a split monotonically_increasing_id
    # counts up from split << 33: together they give each record's place in the file.
    malformed = F.col("_corrupt_record").isNotNull()
    raw = parsed.select(
        F.spark_partition_id().alias("source_split"),
        (F.monotonically_increasing_id() - F.shiftleft(F.spark_partition_id().cast("long"), 33)).alias("source_position"),
        *(F.col(f"_c{positions[name]}").alias(column) for name, column in REQUIRED_FIELDS.items()),
        F.when(malformed, F.regexp_replace("_corrupt_record", r"[\r\n]+$", "")).alias("raw_record"),
        malformed.alias("malformed"),
    )
    return Extracted(raw, path, "csv")


def cell_text(value: object) -> str | None:
    """An XLSX cell as the text a CSV export would hold. Date cells become ISO dates
    (YYYY-MM-DD, or YYYY-MM-DD HH:MM:SS when they carry a time of day); whole numbers lose '.0'."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time(0) else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    return str(value)


def _csv_line(cells: list[str | None]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="").writerow(["" if c is None else c for c in cells])
    return buffer.getvalue()


def xlsx_rows_to_columns(rows) -> tuple[dict[str, list], int]:
    """Converts XLSX rows (lists of cell values, header first) into raw columns.

    Entirely empty rows are skipped (as blank lines are in CSV). A record is malformed when it
    has a non-empty cell to the right of the header's last named column.
    """
    iterator = iter(rows)
    header: list[str] = []
    for row in iterator:
        texts = [cell_text(c) for c in row]
        if any(t is not None and t.strip() for t in texts):
            header = [t or "" for t in texts]
            break
    while header and not header[-1].strip():
        header.pop()
    positions = match_required_columns(header)
    width = len(header)
    columns: dict[str, list] = {name: [] for name in RAW_COLUMNS}
    records = 0
    for row in iterator:
        texts = [cell_text(c) for c in row]
        if not any(t is not None and t != "" for t in texts):
            continue
        malformed = any(t is not None and t != "" for t in texts[width:])
        columns["source_split"].append(0)
        columns["source_position"].append(records)
        records += 1
        for name, column in REQUIRED_FIELDS.items():
            index = positions[name]
            columns[column].append(texts[index] if index < len(texts) else None)
        columns["raw_record"].append(_csv_line(texts) if malformed else None)
        columns["malformed"].append(malformed)
    return columns, records


def read_xlsx(spark: SparkSession, path: str) -> Extracted:
    """Reads the first sheet with calamine (Rust; about a second per 100k rows) on the driver and
    hands the columns to Spark as one Arrow table."""
    import pyarrow as pa
    from python_calamine import CalamineWorkbook

    with reading_input(path):
        content = spark.read.format("binaryFile").load(path).select("content").head()[0]
    workbook = CalamineWorkbook.from_filelike(io.BytesIO(content))
    sheet = workbook.get_sheet_by_index(0)
    columns, _ = xlsx_rows_to_columns(sheet.iter_rows())
    arrow_schema = pa.schema(
        [pa.field("source_split", pa.int32(), False), pa.field("source_position", pa.int64(), False)]
        + [pa.field(name, pa.string()) for name in REQUIRED_FIELDS.values()]
        + [pa.field("raw_record", pa.string()), pa.field("malformed", pa.bool_(), False)]
    )
    table = pa.table(columns, schema=arrow_schema)
    raw = spark.createDataFrame(table)
    return Extracted(raw, path, "xlsx")


def extract(spark: SparkSession, fs: FileSystem, path: str) -> Extracted:
    lower = path.lower()
    if lower.endswith(".csv"):
        return read_csv(spark, fs, path)
    if lower.endswith(".xlsx"):
        return read_xlsx(spark, path)
    raise InputError(f"unsupported input format (expected .csv or .xlsx): {path}")
