"""The lake's layout, declared once for the Python side: its containers, where each area lives in
them, and the Unity Catalog names of its Delta tables (DATA_CONTRACT.md, "Outputs").

Pure data, no Spark: bank_etl.lake maps a lake root to these places, bank_etl.manifest names the
tables by them, and devtools/task_contract.py prints them. The TypeScript side declares the same
layout once, in src/constructs/storage/lake-layout.ts; test/foundation/lake-layout.test.ts reads
this module (plain python3) and holds the two together.

A lake root is either a template with `{container}` (the Azure lake: one container per area, as
LakeStorage makes them) or a plain root (a local directory, file://, or one container) that holds
every area under it.
"""

from __future__ import annotations

from dataclasses import dataclass

CONTAINER_PLACEHOLDER = "{container}"

LANDING_CONTAINER = "landing"  # deliveries land here; the job only reads it
CURATED_CONTAINER = "curated"
FEATURES_CONTAINER = "features"
QUARANTINE_CONTAINER = "quarantine"
# The containers the job writes: their roots are never deleted (bank_etl.lake.check_deletable).
WRITTEN_CONTAINERS = (CURATED_CONTAINER, FEATURES_CONTAINER, QUARANTINE_CONTAINER)


@dataclass(frozen=True)
class Area:
    """Where one area of the lake lives: `folder` in `container` under a `{container}` root, and
    `under_plain_root` below a plain root."""

    container: str
    folder: str
    under_plain_root: str


AREAS: dict[str, Area] = {
    "curated": Area(CURATED_CONTAINER, "transactions", f"{CURATED_CONTAINER}/transactions"),
    "features": Area(FEATURES_CONTAINER, "quarterly", f"{FEATURES_CONTAINER}/quarterly"),
    # Under the container's root, never at it: undoing a run that created it deletes its folder.
    "quarantine": Area(QUARANTINE_CONTAINER, "rows", f"{QUARANTINE_CONTAINER}/rows"),
    "export": Area(FEATURES_CONTAINER, "export", f"{FEATURES_CONTAINER}/export"),
    # Run records sit beside the curated data; under a plain root, at its top.
    "runs": Area(CURATED_CONTAINER, "_runs", "_runs"),
}

# Quarter manifests, under the export area; the "_" keeps Parquet readers from taking it for data.
MANIFESTS_FOLDER = "_manifests"


@dataclass(frozen=True)
class TableName:
    """A Delta table's name in Unity Catalog, without the catalog (the contract's name)."""

    schema: str
    table: str

    def __str__(self) -> str:
        return f"{self.schema}.{self.table}"


# The lake's Delta tables, keyed by their area.
DELTA_TABLES: dict[str, TableName] = {
    "curated": TableName("curated", "transactions"),
    "features": TableName("features", "quarterly"),
    "quarantine": TableName("ops", "quarantine"),
}


def as_json() -> dict[str, object]:
    """The layout as plain JSON, for the TypeScript side's consistency test."""
    return {
        "containers": {"landing": LANDING_CONTAINER, "written": list(WRITTEN_CONTAINERS)},
        "areas": {name: {"container": area.container, "folder": area.folder, "under_plain_root": area.under_plain_root}
                  for name, area in AREAS.items()},
        "manifests_folder": MANIFESTS_FOLDER,
        "delta_tables": {name: {**{"container": AREAS[name].container, "folder": AREAS[name].folder}, "name": str(table)}
                         for name, table in DELTA_TABLES.items()},
    }
