"""The quarter manifest: what a run publishes for the retraining application, in the lake
(export/_manifests/<YYYY>Q<n>.json) and in PostgreSQL (quarter_ready, NOTIFY quarter_ready), and
what reruns and failed runs do to it. Every manifest a test produces is validated against the
JSON Schema (bank_etl/schemas/quarter-manifest.schema.json)."""

from __future__ import annotations

import copy
import datetime as dt
import json
import shutil
import subprocess
import uuid
from pathlib import Path

import jsonschema
import psycopg
import pytest

from bank_etl import lake, load_pg
from bank_etl import manifest as quarter_manifest
from bank_etl.config import ConfigError, parse_args, parse_pg_url
from bank_etl.fs import LocalFs
from bank_etl.job import ManifestWriteError, run_job

from conftest import ROLES, job_config, node_with_typescript

QUARTER = "2022-Q3"
LAKE_TABLES = {"curated.transactions": "curated/transactions", "features.quarterly": "features/quarterly",
               "ops.quarantine": "quarantine/rows"}
VALIDATOR = jsonschema.Draft202012Validator(quarter_manifest.load_schema())
REPO_DIR = Path(__file__).resolve().parents[2]


def valid(manifest: dict) -> dict:
    """Fails the test unless the manifest is valid against the schema; returns it."""
    errors = sorted(VALIDATOR.iter_errors(manifest), key=lambda e: list(e.absolute_path))
    assert not errors, [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in errors]
    return manifest


def new_schema(pg_url) -> str:
    name = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(**parse_pg_url(pg_url).connect_kwargs(), autocommit=True) as conn:
        load_pg.migrate(conn, name, ROLES)
    return name


def drop_schema(pg_url, name) -> None:
    with psycopg.connect(**parse_pg_url(pg_url).connect_kwargs(), autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')


@pytest.fixture(scope="module")
def published(spark, pg_url, etl_url, messy_file, tmp_path_factory):
    """A schema and a lake with one container per area, as on Azure (the job's --lake is
    <account>/{container}), where one run published 2022-Q3; shared by the tests whose runs leave
    its content as it was. Inside the account folder the areas have the paths of a plain lake root
    (features/export, curated/transactions, quarantine/rows), the run records are in curated/_runs."""
    schema = new_schema(pg_url)
    account = tmp_path_factory.mktemp("published") / "account"
    record = run_job(spark, job_config(messy_file[0], account / "{container}", etl_url, schema, quarter=QUARTER)).record
    yield schema, account, record
    drop_schema(pg_url, schema)


class Listener:
    """A second session, as the application's login (a member of bank_reader only), LISTENing on
    quarter_ready."""

    def __init__(self, reader_url: str):
        self.conn = psycopg.connect(**parse_pg_url(reader_url).connect_kwargs(), autocommit=True)
        self.conn.execute("LISTEN quarter_ready")

    def received(self, wait: float = 0.5) -> list[tuple[str, str]]:
        """Notifications delivered so far, waiting `wait` seconds after the last one. PostgreSQL sends
        them at the commit, well before run_job returns (it writes the lake's manifests after it)."""
        return [(n.channel, n.payload) for n in self.conn.notifies(timeout=wait)]

    def close(self) -> None:
        self.conn.close()


@pytest.fixture
def listener(reader_url):
    listening = Listener(reader_url)
    yield listening
    listening.close()


def lake_manifest(lake_root: Path, quarter: str = QUARTER) -> dict:
    return json.loads(manifest_file(lake_root, quarter).read_text())


def manifest_file(lake_root: Path, quarter: str = QUARTER) -> Path:
    return lake_root / "features/export/_manifests" / (quarter.replace("-", "") + ".json")


def ready_rows(pg, schema) -> list[tuple]:
    return pg.execute(f'SELECT quarter, run_id, published_at, manifest FROM "{schema}".quarter_ready ORDER BY 1').fetchall()


def delta_version(spark, lake_root: Path, area: str) -> int:
    return lake.current_version(spark, lake.DeltaTable(str(lake_root / area), None, ()))


def test_a_run_publishes_a_manifest_that_validates_a_quarter_ready_row_and_one_notification(
        spark, pg, etl_url, schema, messy_file, listener, tmp_path):
    path, expected = messy_file
    lake_root = tmp_path / "lake"
    record = run_job(spark, job_config(path, lake_root, etl_url, schema, quarter=QUARTER)).record

    manifest = valid(lake_manifest(lake_root))
    assert listener.received() == [("quarter_ready", QUARTER)]
    [(quarter, run_id, published_at, in_pg)] = ready_rows(pg, schema)
    assert (quarter, run_id, in_pg) == (QUARTER, record["run_id"], manifest)
    assert published_at == dt.datetime.fromisoformat(manifest["published_at"].replace("Z", "+00:00"))
    assert manifest["published_at"].endswith("Z") and published_at.utcoffset() == dt.timedelta(0)
    assert manifest["schema_version"] == quarter_manifest.SCHEMA_VERSION == 1
    assert (manifest["quarter"], manifest["run_id"]) == (QUARTER, record["run_id"])
    assert manifest["input"] == {"path": str(path), "sha256": record["input_sha256"], "rows": expected["rows_read"]}
    assert manifest["counts"] == {"valid": expected["valid_by_quarter"][QUARTER],
                                  "quarantined": expected["quarantined_by_reason"],
                                  "duplicates": record["duplicates_by_quarter"][QUARTER]}
    assert manifest["delta"] == {name: delta_version(spark, lake_root, area) for name, area in LAKE_TABLES.items()}
    assert manifest["postgres"] == {f"{schema}.quarterly_features": f"{schema}.quarterly_features_2022_q3",
                                    f"{schema}.transactions": f"{schema}.transactions_2022_q3"}
    assert manifest["code_version"] == record["code_version"] == quarter_manifest.code_version()
    # What the manifest says is what PostgreSQL holds.
    assert pg.execute(f'SELECT count(*) FROM "{schema}".transactions_2022_q3').fetchone()[0] == manifest["counts"]["valid"]
    by_reason = dict(pg.execute(f'SELECT reason, count(*) FROM "{schema}".quarantine GROUP BY reason').fetchall())
    assert by_reason == {r: n for r, n in manifest["counts"]["quarantined"].items() if n}
    # The run record lists the export files the manifest's quarter holds, for `lake ready`.
    run_file = json.loads((lake_root / "_runs" / f"{record['run_id']}.json").read_text())
    [exported] = run_file["exports"][QUARTER]
    partition = lake_root / "features/export/year=2022/quarter=3"
    assert (partition / exported["file"]).stat().st_size == exported["bytes"]
    assert LocalFs().sha256(str(partition / exported["file"])) == exported["sha256"]
    assert run_file["manifests"][QUARTER]["notified"] is True
    # Only the run's quarter has a manifest, and the run's own copy of it is kept beside it.
    assert sorted(p.name for p in manifest_file(lake_root).parent.iterdir()) == ["2022Q3", "2022Q3.json"]
    assert (manifest_file(lake_root).parent / "2022Q3" / f"{record['run_id']}.json").read_bytes() == \
        manifest_file(lake_root).read_bytes()


def test_a_rerun_with_the_same_input_publishes_the_same_manifest_and_sends_no_notification(
        spark, pg, etl_url, schema, messy_file, changed_file, listener, tmp_path):
    path, expected = messy_file
    lake_root = tmp_path / "lake"
    first_run = run_job(spark, job_config(path, lake_root, etl_url, schema, quarter=QUARTER)).record
    first = valid(lake_manifest(lake_root))
    assert listener.received() == [("quarter_ready", QUARTER)]

    rerun = run_job(spark, job_config(path, lake_root, etl_url, schema, quarter=QUARTER)).record
    again = valid(lake_manifest(lake_root))
    assert listener.received() == []
    assert again["run_id"] == rerun["run_id"] != first_run["run_id"] and again["published_at"] > first["published_at"]
    assert quarter_manifest.content(again) == quarter_manifest.content(first)
    assert manifest_file(lake_root).read_text() == quarter_manifest.to_json(again)  # the same bytes but for the two
    [(_, run_id, _, in_pg)] = ready_rows(pg, schema)
    assert (run_id, in_pg) == (rerun["run_id"], again)
    # The rerun committed the same rows again; the manifest keeps naming the commits that wrote them.
    assert all(delta_version(spark, lake_root, area) > first["delta"][name] for name, area in LAKE_TABLES.items())
    assert rerun["delta_versions"] != again["delta"] and rerun["manifests"][QUARTER] == {
        "notified": False, "delta": first["delta"], "path": str(manifest_file(lake_root))}

    # Every quarter of the same input (--all): one manifest each; only the quarters that are new notify.
    everything = run_job(spark, job_config(path, lake_root, etl_url, schema)).record
    manifests = {q: valid(lake_manifest(lake_root, q)) for q in ("2022-Q1", "2022-Q2", "2022-Q3", "2022-Q4")}
    assert sorted(listener.received()) == [("quarter_ready", q) for q in ("2022-Q1", "2022-Q2", "2022-Q4")]
    assert quarter_manifest.content(manifests[QUARTER]) == quarter_manifest.content(first)
    assert {q: m["counts"]["valid"] for q, m in manifests.items()} == expected["valid_by_quarter"]
    assert sum(m["counts"]["duplicates"] for m in manifests.values()) == expected["rows_duplicate"]
    assert {m["run_id"] for m in manifests.values()} == {everything["run_id"]}
    assert [(r[0], r[3]) for r in ready_rows(pg, schema)] == sorted(manifests.items())

    # Another input for the quarter is news: a new manifest, with the new commits, and a notification.
    changed = run_job(spark, job_config(changed_file, lake_root, etl_url, schema, quarter=QUARTER)).record
    third = valid(lake_manifest(lake_root))
    assert quarter_manifest.content(lake_manifest(lake_root, "2022-Q2")) == quarter_manifest.content(manifests["2022-Q2"])
    assert listener.received() == [("quarter_ready", QUARTER)]
    assert third["input"]["sha256"] == changed["input_sha256"] != first["input"]["sha256"]
    assert third["delta"] == changed["delta_versions"] == {
        name: delta_version(spark, lake_root, area) for name, area in LAKE_TABLES.items()}


@pytest.mark.parametrize("where", ["inside the swap transaction, after the lake's commits",
                                   "in the lake's export swap, before the PostgreSQL swap"])
def test_a_run_that_fails_publishes_nothing_and_leaves_the_previous_manifest_as_it_was(
        spark, pg, etl_url, published, changed_file, listener, monkeypatch, where):
    schema, lake_root, _ = published  # the account folder: features/export/_manifests/ is in it
    before_file = manifest_file(lake_root).read_bytes()
    before_rows = ready_rows(pg, schema)
    valid(json.loads(before_file))
    if where.startswith("inside"):
        original = load_pg.swap_in

        def fail_after_swapping(conn, *args, **kwargs):
            original(conn, *args, **kwargs)
            raise RuntimeError("injected failure in the swap transaction")

        monkeypatch.setattr(load_pg, "swap_in", fail_after_swapping)
    else:
        original_move = LocalFs.move

        def move(self, source, target):
            if "/_staging/" in source:
                raise OSError("injected failure in the lake swap")
            return original_move(self, source, target)

        monkeypatch.setattr(LocalFs, "move", move)
    with pytest.raises((RuntimeError, OSError), match="injected failure"):
        run_job(spark, job_config(changed_file, lake_root, etl_url, schema, quarter=QUARTER))
    assert manifest_file(lake_root).read_bytes() == before_file
    assert sorted(p.name for p in manifest_file(lake_root).parent.iterdir()) == ["2022Q3", "2022Q3.json"]
    assert len(list((manifest_file(lake_root).parent / "2022Q3").iterdir())) == 1
    assert ready_rows(pg, schema) == before_rows
    assert listener.received() == []
    status = pg.execute(f'SELECT status FROM "{schema}".etl_runs ORDER BY started_at DESC LIMIT 1').fetchone()[0]
    assert status == "failed"


def test_a_load_retried_after_its_commit_only_writes_the_manifest_and_says_so(
        spark, pg, etl_url, schema, messy_file, listener, tmp_path, monkeypatch):
    """The lake refuses the manifest after the swap has committed: the run stays succeeded and
    fails; the job's retry (a run of the same input) finds the committed run, writes its run record
    and manifests from PostgreSQL and stops there: no second load, no new Delta commit, no new
    notification. The first run is recorded as published, the retry as completing it."""
    path, _ = messy_file
    lake_root = tmp_path / "lake"
    original = quarter_manifest.write_to_lake

    def refuse(*args, **kwargs):
        raise OSError("injected failure writing the manifest")

    monkeypatch.setattr(quarter_manifest, "write_to_lake", refuse)
    with pytest.raises(ManifestWriteError, match="could not be written") as failure:
        run_job(spark, job_config(path, lake_root, etl_url, schema, quarter=QUARTER), run_id="manifest-refused")
    assert failure.value.run_record["status"] == "succeeded"
    assert not manifest_file(lake_root).exists()
    # Committed: PostgreSQL has the quarter and its manifest (and told the listener); the lake keeps the run's commits.
    assert pg.execute(f'SELECT status, error, lake_published_at FROM "{schema}".etl_runs').fetchall() == [
        ("succeeded", failure.value.run_record["error"], None)]
    [(_, run_id, _, in_pg)] = ready_rows(pg, schema)
    assert run_id == "manifest-refused" and valid(in_pg)["delta"]["curated.transactions"] == delta_version(
        spark, lake_root, "curated/transactions")
    assert listener.received() == [("quarter_ready", QUARTER)]
    versions = {area: delta_version(spark, lake_root, area) for area in LAKE_TABLES.values()}
    export_files = sorted(p.name for p in (lake_root / "features/export/year=2022/quarter=3").iterdir())

    monkeypatch.setattr(quarter_manifest, "write_to_lake", original)
    retry = run_job(spark, job_config(path, lake_root, etl_url, schema, quarter=QUARTER))
    assert retry.record["status"] == "succeeded" and retry.record["completes_run"] == "manifest-refused"
    assert "validate" not in retry.stage_seconds and "load postgres" not in retry.stage_seconds
    assert valid(lake_manifest(lake_root)) == in_pg  # the committed run's manifest, as quarter_ready has it
    assert (manifest_file(lake_root).parent / "2022Q3" / "manifest-refused.json").read_bytes() == \
        manifest_file(lake_root).read_bytes()
    assert {area: delta_version(spark, lake_root, area) for area in LAKE_TABLES.values()} == versions
    assert sorted(p.name for p in (lake_root / "features/export/year=2022/quarter=3").iterdir()) == export_files
    assert listener.received() == []
    runs = pg.execute(f'SELECT run_id, status, lake_published_at IS NOT NULL, completes_run FROM "{schema}".etl_runs '
                      'ORDER BY started_at').fetchall()
    assert runs == [("manifest-refused", "succeeded", True, None),
                    (retry.record["run_id"], "succeeded", False, "manifest-refused")]
    assert json.loads((lake_root / "_runs" / f"{retry.record['run_id']}.json").read_text())["completes_run"] == \
        "manifest-refused"
    # A later run of the same input is a rerun again: nothing is left to finish.
    rerun = run_job(spark, job_config(path, lake_root, etl_url, schema, quarter=QUARTER)).record
    assert "completes_run" not in rerun and lake_manifest(lake_root)["run_id"] == rerun["run_id"]


def test_the_reader_may_read_quarter_ready_but_not_write_it(pg, reader_url, etl_url, schema):
    with psycopg.connect(**parse_pg_url(etl_url).connect_kwargs(), autocommit=True) as etl, etl.transaction():
        manifest = sample_manifest(schema)
        load_pg.publish_manifests(etl, schema, [manifest], dt.datetime.now(dt.timezone.utc))
    with psycopg.connect(**parse_pg_url(reader_url).connect_kwargs(), autocommit=True) as reader:
        assert reader.execute(f'SELECT manifest FROM "{schema}".quarter_ready').fetchall() == [(manifest,)]
        for statement in (f'UPDATE "{schema}".quarter_ready SET run_id = \'x\'',
                          f'DELETE FROM "{schema}".quarter_ready',
                          f'INSERT INTO "{schema}".quarter_ready VALUES (\'2022-Q1\', \'x\', now(), \'{{}}\')'):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                reader.execute(statement)
    owner = pg.execute("SELECT tableowner FROM pg_tables WHERE schemaname = %s AND tablename = 'quarter_ready'",
                       (schema,)).fetchone()[0]
    assert owner == ROLES.loader


def test_publishing_outside_a_transaction_is_refused(etl_url, schema):
    with psycopg.connect(**parse_pg_url(etl_url).connect_kwargs(), autocommit=True) as etl:
        with pytest.raises(RuntimeError, match="inside a transaction"):
            load_pg.publish_manifests(etl, schema, [sample_manifest(schema)], dt.datetime.now(dt.timezone.utc))


# ---------------------------------------------------------------- without Spark or PostgreSQL

def sample_manifest(schema: str = "bank", **changes) -> dict:
    manifest = quarter_manifest.build(
        year=2022, quarter=3, run_id="20261001T020000Z-5f3a1b2c", published_at=dt.datetime(2026, 10, 1, 2, 6, 41, 870000,
                                                                                            dt.timezone.utc),
        input_path="abfss://landing@stbankprod.dfs.core.windows.net/bank/transactions/bankdataset.csv",
        input_sha256="a" * 64, rows_read=1000, valid=240, quarantined_by_reason={"bad_date": 3, "malformed": 1},
        duplicates=2, delta_versions={"curated": 4, "features": 4, "quarantine": 7}, schema=schema,
        code_version="b" * 64)
    manifest.update(changes)
    return manifest


def reading(path: Path) -> str:
    """What a reader of the quarter's manifest path finds: "missing", "empty", or the run id of
    the whole, valid manifest there (anything else fails the test)."""
    try:
        text = path.read_text()
    except FileNotFoundError:
        return "missing"
    if not text:
        return "empty"
    return valid(json.loads(text))["run_id"]


def polling(read, seen: set[str]):
    """A thread that reads the quarter's manifest until stopped, adding what it finds to `seen`."""
    import threading

    stop = threading.Event()

    def reader():
        while not stop.is_set():
            seen.add(read())

    watcher = threading.Thread(target=reader)
    watcher.start()

    def stopped():
        stop.set()
        watcher.join(60)
    return stopped


def test_a_reader_of_the_quarters_manifest_on_databricks_finds_the_old_or_the_new_at_every_moment(tmp_path, azurite):
    """On Databricks: the run's copy through dbutils.fs as on ABFS (fake_dbutils.py), the quarter's
    file replaced with one Put Blob (Azurite), as the publication credential's identity. Read after
    every step dbutils takes and by a reader polling throughout: always a whole manifest, the old
    or the new; never missing, empty or partial. dbutils.fs never writes the quarter's file."""
    from azure.core.exceptions import ResourceNotFoundError
    from azure.storage.blob import BlobServiceClient

    from bank_etl.blob import BlobReplace
    from bank_etl.fs import DbutilsFs
    from fake_dbutils import FakeDbutils

    features = tmp_path / "features"
    container = BlobServiceClient(azurite.blob_endpoint, credential=azurite.credential).get_container_client("manifests-dbutils")
    container.create_container()
    target = container.get_blob_client("export/_manifests/2022Q3.json")

    def read() -> str:
        try:
            text = target.download_blob().readall().decode("utf-8")
        except ResourceNotFoundError:
            return "missing"
        return valid(json.loads(text))["run_id"] if text else "empty"

    seen_at_steps: list[str] = []
    utils = FakeDbutils(on_change=lambda operation, path: seen_at_steps.append(read()))
    blob = BlobReplace(azurite.credential, locate=lambda path: (
        azurite.blob_endpoint, "manifests-dbutils", Path(path).relative_to(features).as_posix()))
    fs = DbutilsFs(utils, None, blob)
    manifests = [sample_manifest(run_id=f"run-{i}", counts={**sample_manifest()["counts"], "valid": 240 + i}) for i in range(2)]
    quarter_manifest.write_to_lake(fs, str(features / "export"), manifests[0])
    seen_at_steps.clear()
    polled: set[str] = set()
    stop = polling(read, polled)
    try:
        for i in range(1, 41):
            quarter_manifest.write_to_lake(fs, str(features / "export"), manifests[i % 2])
    finally:
        stop()
    assert set(seen_at_steps) == {"run-0", "run-1"} and polled == {"run-0", "run-1"}
    assert not any(call[0] == "put" and call[1].endswith("2022Q3.json") for call in utils.fs.calls)
    kept = sorted(p.name for p in (features / "export/_manifests/2022Q3").iterdir())
    assert kept == ["run-0.json", "run-1.json"]


def test_without_a_publication_credential_dbutils_rewrites_the_manifest_in_place_and_warns(tmp_path, caplog):
    """The fallback (no --publication-credential): dbutils.fs as on ABFS recreates the quarter's file
    empty and flushes it whole, so a reader finds the old, the new, or, for that one step, an empty
    file; never a missing one. The run warns that it does so."""
    from bank_etl.fs import DbutilsFs
    from fake_dbutils import FakeDbutils

    export = tmp_path / "features/export"
    target = export / "_manifests/2022Q3.json"
    seen: list[str] = []
    fs = DbutilsFs(FakeDbutils(on_change=lambda operation, path: seen.append(reading(target))), None)
    quarter_manifest.write_to_lake(fs, str(export), sample_manifest(run_id="run-one"))
    seen.clear()
    with caplog.at_level("WARNING", logger="bank_etl.fs"):
        quarter_manifest.write_to_lake(fs, str(export), sample_manifest(run_id="run-two"))
    assert seen and set(seen) <= {"run-one", "run-two", "empty"} and seen[-1] == "run-two"
    assert seen.count("empty") == 1  # one write of the quarter's file: one step without content
    assert "no publication credential" in caplog.text and str(target) in caplog.text


def test_a_run_takes_its_file_system_with_the_publication_credential_it_was_given(tmp_path, monkeypatch):
    """The load's --publication-credential reaches the file system the run publishes with (on
    Databricks, the Put Blob's identity), before the run does anything else."""
    import dataclasses

    from bank_etl import job as job_module

    asked = []

    def file_system_for(spark, publication_credential=None):
        asked.append(publication_credential)
        raise RuntimeError("stopped before the run")

    monkeypatch.setattr(job_module, "file_system_for", file_system_for)
    config = dataclasses.replace(job_config(tmp_path / "in.csv", tmp_path / "lake", "postgresql://h/db", "bank"),
                                 publication_credential="bank_prod_publication")
    with pytest.raises(RuntimeError, match="stopped before the run"):
        job_module.run_job(None, config)
    assert asked == ["bank_prod_publication"]


def test_a_reader_polling_the_quarters_manifest_locally_finds_the_old_or_the_new_and_nothing_else(tmp_path):
    export = tmp_path / "features/export"
    target = export / "_manifests/2022Q3.json"
    manifests = [sample_manifest(run_id=f"run-{i}", counts={**sample_manifest()["counts"], "valid": 240 + i})
                 for i in range(2)]
    quarter_manifest.write_to_lake(LocalFs(), str(export), manifests[0])
    seen: set[str] = set()
    stop = polling(lambda: reading(target), seen)
    try:
        for i in range(200):
            quarter_manifest.write_to_lake(LocalFs(), str(export), manifests[i % 2])
    finally:
        stop()
    assert seen == {"run-0", "run-1"}


def test_a_manifest_has_exactly_the_contracts_fields_and_validates():
    manifest = valid(sample_manifest())
    assert list(manifest) == ["schema_version", "quarter", "run_id", "published_at", "input", "counts", "delta",
                              "postgres", "code_version"]
    assert manifest["published_at"] == "2026-10-01T02:06:41.870000Z"
    assert manifest["counts"]["quarantined"] == {"malformed": 1, "bad_date": 3, "bad_domain": 0, "bad_location": 0,
                                                 "bad_value": 0, "bad_transaction_count": 0}
    assert manifest["delta"] == {"curated.transactions": 4, "features.quarterly": 4, "ops.quarantine": 7}
    assert quarter_manifest.file_name(2022, 3) == "2022Q3.json"


@pytest.mark.parametrize("broken", [
    lambda m: m.pop("code_version"),
    lambda m: m.update(extra=1),
    lambda m: m.update(schema_version=2),
    lambda m: m.update(quarter="2022Q3"),
    lambda m: m.update(published_at="2026-10-01T04:06:41+02:00"),
    lambda m: m["input"].update(sha256="A" * 64),
    lambda m: m["input"].pop("rows"),
    lambda m: m["counts"].update(valid=-1),
    lambda m: m["counts"]["quarantined"].update(bad_mood=1),
    lambda m: m["counts"]["quarantined"].pop("bad_value"),
    lambda m: m["counts"].update(duplicates=1.5),
    lambda m: m["delta"].pop("ops.quarantine"),
    lambda m: m["delta"].update({"curated.transactions": "4"}),
    lambda m: m.update(postgres={}),
    lambda m: m.update(postgres={"transactions": "bank.transactions_2022_q3"}),
    lambda m: m.update(code_version="b" * 63),
], ids=["no code_version", "an extra field", "another schema version", "quarter as in the file name",
        "a local time", "an upper-case checksum", "no input rows", "a negative count", "an unknown reason",
        "a reason left out", "a fraction", "a Delta table left out", "a version as text", "no partition",
        "an unqualified table", "a short code version"])
def test_the_schema_refuses_a_manifest_that_breaks_the_contract(broken):
    manifest = copy.deepcopy(sample_manifest())
    broken(manifest)
    assert list(VALIDATOR.iter_errors(manifest))


def test_a_rerun_that_changes_nothing_keeps_the_delta_versions_and_is_not_news():
    previous = sample_manifest()
    rerun = sample_manifest(run_id="20261001T030000Z-00000000", published_at="2026-10-01T03:00:00.000000Z",
                            delta={"curated.transactions": 9, "features.quarterly": 9, "ops.quarantine": 12})
    published = quarter_manifest.carry_over(previous, rerun)
    assert published["delta"] == previous["delta"] and published["run_id"] == rerun["run_id"]
    assert not quarter_manifest.changed(previous, published)
    for change in ({"code_version": "c" * 64}, {"input": {**previous["input"], "sha256": "d" * 64}},
                   {"counts": {**previous["counts"], "valid": 241}}):
        other = {**rerun, **change}
        assert quarter_manifest.carry_over(previous, other)["delta"] == rerun["delta"]
        assert quarter_manifest.changed(previous, quarter_manifest.carry_over(previous, other))
    # A table created anew (its versions start again) does not keep versions from its old history.
    recreated = {**rerun, "delta": {"curated.transactions": 0, "features.quarterly": 9, "ops.quarantine": 12}}
    assert quarter_manifest.carry_over(previous, recreated)["delta"] == recreated["delta"]
    assert quarter_manifest.changed(None, previous)


def test_the_job_computes_the_same_code_version_as_the_deployment(tmp_path):
    """The deployment hashes the uploaded files in TypeScript (src/constructs/job-code.ts); the job,
    without --code-version, hashes the files it runs from: the two must agree."""
    node = shutil.which("node")
    if node is None or not (REPO_DIR / "node_modules/@swc/core").is_dir():
        pytest.skip("needs node and the repository's node_modules")
    # The bank ETL's code paths live in bank-etl-job.ts, which requires other modules of the library.
    spark_dir = REPO_DIR / "spark"
    version = node_with_typescript(
        "const j = require(process.argv[1]); const { BANK_ETL_CODE_PATHS } = require(process.argv[2]);"
        "process.stdout.write(j.codeVersion(j.collectJobCode(process.argv[3], BANK_ETL_CODE_PATHS)));",
        str(REPO_DIR / "src/constructs/databricks/job-code.ts"), str(REPO_DIR / "src/constructs/pipeline/bank-etl-job.ts"),
        str(spark_dir))
    assert version == quarter_manifest.code_version() == quarter_manifest.code_version(spark_dir)
    # Tests, caches, hidden files and other file types are not part of it; a shipped file is.
    copy_dir = tmp_path / "spark"
    shutil.copytree(spark_dir, copy_dir, ignore=shutil.ignore_patterns(".data", "artifacts", "spark-warehouse"))
    (copy_dir / "bank_etl/__pycache__").mkdir(exist_ok=True)
    (copy_dir / "bank_etl/__pycache__/x.py").write_text("cached")
    (copy_dir / "bank_etl/notes.txt").write_text("not shipped")
    (copy_dir / "tests/test_new.py").write_text("not shipped")
    assert quarter_manifest.code_version(copy_dir) == version
    (copy_dir / "bank_etl/sql/V999__more.sql").write_text("SELECT 1;")
    assert quarter_manifest.code_version(copy_dir) != version


def test_the_code_version_parameter_is_optional_and_must_be_a_sha256():
    base = ["--input", "in.csv", "--lake", "/tmp/lake", "--pg-url", "postgresql://h/db", "--all"]
    assert parse_args(base).code_version is None
    assert parse_args(base + ["--code-version", ""]).code_version is None  # an unset job parameter
    assert parse_args(base + ["--code-version", "AB" * 32]).code_version == "ab" * 32
    with pytest.raises(ConfigError, match="--code-version"):
        parse_args(base + ["--code-version", "1234"])


READY_SCRIPT = r"""
const swc = require("@swc/core");
const fs = require("node:fs");
const path = require("node:path");
const { Writable } = require("node:stream");
require.extensions[".ts"] = (module, filename) => {
  const { code } = swc.transformFileSync(filename, { jsc: { parser: { syntax: "typescript" }, target: "es2022" },
    module: { type: "commonjs" }, swcrc: false, configFile: false });
  module._compile(code, filename);
};
const [repo, lakeDir, quarter, exportFile] = process.argv.slice(1);
const { startAzurite } = require(path.join(repo, "test/lake/azurite.ts"));
const { runCli } = require(path.join(repo, "src/lake/cli.ts"));
const { BlobServiceClient } = require("@azure/storage-blob");

function files(dir) {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? files(path.join(dir, entry.name)) : [path.join(dir, entry.name)]);
}

(async () => {
  const azurite = await startAzurite();
  try {
    const env = { AZURE_STORAGE_CONNECTION_STRING: azurite.connectionString };
    const service = BlobServiceClient.fromConnectionString(azurite.connectionString);
    for (const container of ["curated", "features", "quarantine"]) {
      const client = service.getContainerClient(container);
      await client.create();
      const root = path.join(lakeDir, container);
      for (const file of files(root)) {
        const body = fs.readFileSync(file);
        await client.getBlockBlobClient(path.relative(root, file).split(path.sep).join("/")).upload(body, body.length);
      }
    }
    const run = async (...args) => {
      let stdout = "", stderr = "";
      const sink = (append) => new Writable({ write(chunk, _e, done) { append(chunk.toString()); done(); } });
      const code = await runCli(args, { stdout: sink((t) => (stdout += t)), stderr: sink((t) => (stderr += t)), env });
      return { code, stdout, stderr };
    };
    const results = { ready: await run("ready", quarter), unpublished: await run("ready", "2023-Q1") };
    const tampered = Buffer.from("PAR1 not what the run wrote PAR1");
    await service.getContainerClient("features").getBlockBlobClient(exportFile).upload(tampered, tampered.length);
    results.tampered = await run("ready", quarter);
    process.stdout.write(JSON.stringify(results));
  } finally {
    await azurite.stop();
  }
})().catch((error) => { console.error(error); process.exit(99); });
"""


def test_lake_ready_verifies_what_a_run_and_a_rerun_published_and_refuses_a_changed_export(
        spark, etl_url, published, messy_file):
    """The job's own output, one container per area as on Azure, uploaded to Azurite: `lake ready`
    passes on it after a rerun (whose manifest keeps the first run's Delta versions), says 6 for a
    quarter not published, and 1 once an export file is changed."""
    node = shutil.which("node")
    if node is None or not (REPO_DIR / "node_modules/.bin/azurite-blob").exists():
        pytest.skip("needs node and the repository's node_modules (Azurite)")
    schema, containers, _ = published
    rerun = run_job(spark, job_config(messy_file[0], containers / "{container}", etl_url, schema, quarter=QUARTER)).record
    manifest = valid(json.loads((containers / "features/export/_manifests/2022Q3.json").read_text()))
    assert manifest["run_id"] == rerun["run_id"] and manifest["delta"] != rerun["delta_versions"]
    export_file = f"export/year=2022/quarter=3/{rerun['exports'][QUARTER][0]['file']}"

    completed = subprocess.run([node, "-e", READY_SCRIPT, str(REPO_DIR), str(containers), QUARTER, export_file],
                               capture_output=True, text=True, cwd=REPO_DIR, timeout=180)
    assert completed.returncode == 0, completed.stderr[-3000:]
    results = json.loads(completed.stdout)
    assert results["ready"]["code"] == 0, results["ready"]
    assert results["ready"]["stdout"].strip().splitlines()[-1] == (
        f"ready: 2022-Q3 verified against the lake (11 checks, run {rerun['run_id']})")
    assert f"{manifest['counts']['valid']} rows added to year=2022/quarter=3" in results["ready"]["stdout"]
    assert results["unpublished"]["code"] == 6 and results["unpublished"]["stderr"].startswith("lake: Not ready: no manifest")
    assert results["tampered"]["code"] == 1 and "SHA-256 MISMATCH" in results["tampered"]["stdout"]
