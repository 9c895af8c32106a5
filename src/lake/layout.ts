/**
 * The lake's layout as the quarterly job and the ETL use it (see DATA_CONTRACT.md and the
 * LakeStorage construct): containers, default prefixes and content types.
 */
import { extname } from "node:path";

export const LANDING_CONTAINER = "landing";
export const CURATED_CONTAINER = "curated";
export const FEATURES_CONTAINER = "features";
export const QUARANTINE_CONTAINER = "quarantine";

/** The quarterly job reads the newest CSV/XLSX file under landing/bank/transactions/. */
export const DEFAULT_LANDING_PREFIX = "bank/transactions/";

/**
 * Where `verify` and `pull` look by default inside each partitioned container: the curated Delta
 * table, and the features' plain-Parquet export (the features Delta table is `quarterly/`, which
 * readers without a Delta reader should not list: it keeps files of earlier versions).
 */
export const PARTITIONED_AREAS: Readonly<Record<string, string>> = {
  [CURATED_CONTAINER]: "transactions/",
  [FEATURES_CONTAINER]: "export/",
};

/** Delta tables, by container: a `_delta_log/` with at least one commit must sit at their root. */
export const DELTA_TABLES: Readonly<Record<string, readonly string[]>> = {
  [CURATED_CONTAINER]: ["transactions/"],
  [FEATURES_CONTAINER]: ["quarterly/"],
};

/** The features' plain-Parquet export, in the features container. */
export const EXPORT_PREFIX = "export/";

/** Quarter manifests (`<YYYY>Q<n>.json`), under the export: the `_` keeps Parquet readers out. */
export const MANIFESTS_PREFIX = `${EXPORT_PREFIX}_manifests/`;

/**
 * The Delta tables a quarter manifest names (its `delta` keys, the contract's table names) and
 * where each lives: container and folder (under the pipeline's lakePathPrefix, if any).
 */
export const MANIFEST_DELTA_TABLES: Readonly<Record<string, { readonly container: string; readonly folder: string }>> = {
  "curated.transactions": { container: CURATED_CONTAINER, folder: "transactions/" },
  "features.quarterly": { container: FEATURES_CONTAINER, folder: "quarterly/" },
  "ops.quarantine": { container: QUARANTINE_CONTAINER, folder: "rows/" },
};

/** The folder of a Delta table's commit log. */
export const DELTA_LOG = "_delta_log/";

/** Run records (`_runs/<run_id>.json`) are written next to the curated data. */
export const RUNS_CONTAINER = CURATED_CONTAINER;
export const RUNS_PREFIX = "_runs/";

/** Metadata key under which `land` records the source file's SHA-256 (hex). */
export const SHA256_METADATA_KEY = "sha256";

export const XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  ".csv": "text/csv",
  ".xlsx": XLSX_CONTENT_TYPE,
  ".parquet": "application/vnd.apache.parquet",
  ".json": "application/json",
};

/** The file extensions the quarterly job reads from the landing area. */
export const JOB_INPUT_EXTENSIONS = [".csv", ".xlsx"];

export function contentTypeFor(fileName: string): string {
  return CONTENT_TYPES[extname(fileName).toLowerCase()] ?? "application/octet-stream";
}

/** Normalises a user-given prefix: no leading slash, exactly one trailing slash (or empty). */
export function normalisePrefix(prefix: string): string {
  const trimmed = prefix.trim().replace(/^\/+/, "").replace(/\/+$/, "");
  return trimmed === "" ? "" : `${trimmed}/`;
}
