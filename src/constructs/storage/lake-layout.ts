/**
 * The lake's layout, declared once for the TypeScript side: its containers and where each area of
 * the quarterly job lives in them (DATA_CONTRACT.md, "Outputs"). LakeStorage creates the
 * containers, LakehouseCatalog registers the job's containers as external locations, the bank
 * preset names the containers its job writes, and the lake CLI finds the areas by it.
 *
 * The Python job declares the same layout in spark/bank_etl/layout.py; a test reads that file and
 * compares the two (test/foundation/lake-layout.test.ts). Pure data: the lake CLI imports it without
 * loading any construct.
 */

/** Deliveries land here; the job only reads it. */
export const LANDING_CONTAINER = "landing";
export const CURATED_CONTAINER = "curated";
export const FEATURES_CONTAINER = "features";
export const QUARANTINE_CONTAINER = "quarantine";
/** Unity Catalog's managed storage for the pipeline's catalog; no job reads or writes it by path. */
export const CATALOG_CONTAINER = "catalog";

/** The containers the job writes (the ETL puts each in place of `{container}`). */
export const WRITTEN_CONTAINERS = [CURATED_CONTAINER, FEATURES_CONTAINER, QUARANTINE_CONTAINER] as const;
/** The containers the job reads or writes: each an external location in Unity Catalog. */
export const JOB_CONTAINERS = [LANDING_CONTAINER, ...WRITTEN_CONTAINERS] as const;
/** Every container LakeStorage creates, in order. */
export const LAKE_CONTAINERS = [...JOB_CONTAINERS, CATALOG_CONTAINER] as const;
export type LakeContainerName = (typeof LAKE_CONTAINERS)[number];

/** Where one area of the job's data lives: `folder` in `container` (under the pipeline's prefix, if any). */
export interface LakeArea {
  /** The container, by data area (its name on the lake may differ: `LakeStorage`'s `containerNames`). */
  readonly container: LakeContainerName;
  /** A folder inside the container, without a leading or trailing `/`, such as `export/_manifests`. */
  readonly folder: string;
}

/** The job's areas. Each folder sits under its container's root, never at it (undoing a first run deletes the folder). */
export const LAKE_AREAS = {
  curated: { container: CURATED_CONTAINER, folder: "transactions" },
  features: { container: FEATURES_CONTAINER, folder: "quarterly" },
  quarantine: { container: QUARANTINE_CONTAINER, folder: "rows" },
  /** The features' plain-Parquet export, for readers without a Delta reader. */
  export: { container: FEATURES_CONTAINER, folder: "export" },
  /** Run records (`<run_id>.json`), beside the curated data. */
  runs: { container: CURATED_CONTAINER, folder: "_runs" },
} as const satisfies Record<string, LakeArea>;

/** Quarter manifests (`<YYYY>Q<n>.json`), in the export area: the `_` keeps Parquet readers out. */
export const MANIFESTS_FOLDER = "_manifests";

/** The Delta tables, by area, with their names in the contract and in Unity Catalog (without the catalog). */
export const LAKE_DELTA_TABLES = {
  curated: "curated.transactions",
  features: "features.quarterly",
  quarantine: "ops.quarantine",
} as const satisfies Partial<Record<keyof typeof LAKE_AREAS, string>>;
