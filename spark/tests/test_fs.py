"""The file operations (bank_etl/fs.py) on both sides, each as strict as ABFS with a hierarchical
namespace: the local file system, and dbutils.fs through a stand-in that behaves as ABFS does
(fake_dbutils.py), whose rename failures are either a `false` result or an exception."""

from __future__ import annotations

import hashlib

import pytest

from bank_etl import lake
from bank_etl.fs import DbutilsFs, LocalFs, MoveError

from fake_dbutils import FakeDbutils

STORES = ["local", "dbutils, mv returns false", "dbutils, mv raises"]


def store(kind: str, spark=None):
    if kind == "local":
        return LocalFs()
    return DbutilsFs(FakeDbutils(mv_failure="raise" if kind.endswith("raises") else "false"), spark)


def test_a_local_rename_fails_as_on_abfs_into_a_missing_folder_onto_a_file_or_from_nowhere(tmp_path):
    fs = LocalFs()
    (tmp_path / "a.json").write_text("a")
    (tmp_path / "b.json").write_text("b")
    assert fs.rename(str(tmp_path / "a.json"), str(tmp_path / "missing/a.json")) is False
    assert fs.rename(str(tmp_path / "a.json"), str(tmp_path / "b.json")) is False  # never overwrites
    assert fs.rename(str(tmp_path / "gone.json"), str(tmp_path / "c.json")) is False
    assert (tmp_path / "a.json").read_text() == "a" and (tmp_path / "b.json").read_text() == "b"
    assert not (tmp_path / "missing").exists() and not (tmp_path / "c.json").exists()


@pytest.mark.parametrize("kind", STORES)
def test_a_move_into_folders_that_do_not_exist_yet_creates_them(kind, tmp_path):
    fs = store(kind)
    staged = tmp_path / "_staging/run/year=2023/quarter=1"
    staged.mkdir(parents=True)
    (staged / "part-0.parquet").write_bytes(b"PAR1")
    target = tmp_path / "export/year=2023/quarter=1"  # a new year: year=2023 does not exist
    fs.move(str(staged), str(target))
    assert (target / "part-0.parquet").read_bytes() == b"PAR1" and not staged.exists()


@pytest.mark.parametrize("kind", STORES)
def test_a_move_onto_an_existing_path_or_from_a_missing_one_raises_and_changes_nothing(kind, tmp_path):
    fs = store(kind)
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "b/keep.parquet").write_bytes(b"old")
    with pytest.raises(FileExistsError):
        fs.move(str(tmp_path / "a"), str(tmp_path / "b"))
    with pytest.raises(MoveError, match="could not move"):
        fs.move(str(tmp_path / "nowhere"), str(tmp_path / "c"))
    assert (tmp_path / "a").is_dir() and (tmp_path / "b/keep.parquet").read_bytes() == b"old"
    assert not (tmp_path / "c").exists()


def test_a_rename_that_dbutils_reports_as_failed_is_not_taken_for_done(tmp_path, monkeypatch):
    fake = FakeDbutils()
    fs = DbutilsFs(fake, None)
    (tmp_path / "a").mkdir()
    monkeypatch.setattr(fake.fs, "mv", lambda *args: False)  # refused, for whatever reason
    with pytest.raises(MoveError, match="refused"):
        fs.move(str(tmp_path / "a"), str(tmp_path / "b"))


@pytest.mark.parametrize("kind", STORES)
def test_the_export_swap_works_on_a_fresh_lake_a_rerun_and_a_rollback(kind, tmp_path):
    """The first run moves a partition into a year that has no folder yet; a rerun moves the live
    partition aside into _backup/<run>/, which does not exist yet; a rollback moves it back."""
    fs = store(kind)
    area = tmp_path / "features/export"

    def stage(run: str, content: bytes) -> str:
        staged = area / "_staging" / run / "year=2022/quarter=3"
        staged.mkdir(parents=True)
        (staged / "part-0.parquet").write_bytes(content)
        return str(staged)

    partition = {"year": 2022, "quarter": 3}
    live = area / "year=2022/quarter=3/part-0.parquet"
    first = lake.PartitionSwap(fs, "first-run")
    first.replace(str(area), stage("first-run", b"first"), partition)
    first.commit()
    assert live.read_bytes() == b"first"

    rerun = lake.PartitionSwap(fs, "rerun")
    rerun.replace(str(area), stage("rerun", b"rerun"), partition)
    assert live.read_bytes() == b"rerun" and (area / "_backup/rerun/year=2022/quarter=3/part-0.parquet").exists()
    rerun.rollback()
    assert live.read_bytes() == b"first" and not (area / "_backup").exists()

    again = lake.PartitionSwap(fs, "again")
    again.replace(str(area), stage("again", b"again"), partition)
    again.commit()
    assert live.read_bytes() == b"again" and not (area / "_backup").exists()


@pytest.mark.parametrize("kind", STORES)
def test_writing_a_file_makes_its_folders_and_refuses_to_replace_one_unless_asked(kind, tmp_path):
    fs = store(kind)
    path = str(tmp_path / "_runs/deep/run.json")
    fs.write_text(path, "one")
    with pytest.raises(Exception, match="(?i)exists"):
        fs.write_text(path, "two", overwrite=False)
    fs.write_text(path, "three")
    assert fs.read_text(path) == "three"
    info = fs.info(path)
    assert (info.path, info.is_dir, info.size) == (path, False, 5) and info.modified_ms > 0


CHECKSUM_CONTENTS = {
    "a CSV ending in a newline": b"Date,Domain\n1/1/2022,RETAIL\n",
    "no final newline, CRLF line ends": b"Date,Domain\r\n1/1/2022,RETAIL",
    "a byte order mark and blank lines at the end": b"\xef\xbb\xbfDate,Domain\n1/1/2022,RETAIL\n\n\n",
    "bytes that are not UTF-8": b"Date\n\xff\xfe\x00\x80\n\xc3\x28\n",
    "a lone newline": b"\n",
    "nothing": b"",
}


@pytest.mark.parametrize("name", CHECKSUM_CONTENTS)
def test_the_checksum_on_databricks_is_the_sha256_of_the_file_as_it_is(spark, tmp_path, name):
    path = tmp_path / "landing.csv"
    path.write_bytes(CHECKSUM_CONTENTS[name])
    assert DbutilsFs(FakeDbutils(), spark).sha256(str(path)) == hashlib.sha256(CHECKSUM_CONTENTS[name]).hexdigest()


def test_the_checksum_on_databricks_reads_a_file_of_many_splits_in_order(spark, tmp_path):
    content = b"".join(f"1/{n % 28 + 1}/2022,RETAIL,Goa,{n},1\n".encode() for n in range(20_000))
    path = tmp_path / "landing.csv"
    path.write_bytes(content)
    spark.conf.set("spark.sql.files.maxPartitionBytes", "16384")  # about 35 splits
    try:
        digest = DbutilsFs(FakeDbutils(), spark).sha256(str(path))
    finally:
        spark.conf.unset("spark.sql.files.maxPartitionBytes")
    assert digest == hashlib.sha256(content).hexdigest()


def test_the_checksum_on_databricks_streams_a_file_beyond_2_gib(spark, tmp_path):
    """Spark's binaryFile source holds a file as one value of at most 2 GiB (2147483647 bytes): a
    landing file of about 52 million rows is past that. A sparse file: lines of 1 MiB of NULs."""
    path = tmp_path / "landing.csv"
    size = (2 << 30) + (1 << 20) + 17
    with open(path, "wb") as handle:
        handle.write(b"Date,Domain,Location,Value,Transaction_count\n")
        handle.truncate(size)
        for offset in range(1 << 20, size, 1 << 20):
            handle.seek(offset - 1)
            handle.write(b"\n")
    assert DbutilsFs(FakeDbutils(), spark).sha256(str(path)) == LocalFs().sha256(str(path))
