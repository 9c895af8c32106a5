/**
 * The lake as the lake CLI reads it: prefixes and folders derived from the one declaration of the
 * layout (constructs/storage/lake-layout.ts), default prefixes and content types.
 */
import { extname } from "node:path";

import {
  CURATED_CONTAINER,
  FEATURES_CONTAINER,
  LAKE_AREAS,
  LAKE_DELTA_TABLES,
  LANDING_CONTAINER,
  MANIFESTS_FOLDER,
  QUARANTINE_CONTAINER,
} from "../constructs/storage/lake-layout";

export { CURATED_CONTAINER, FEATURES_CONTAINER, LANDING_CONTAINER, QUARANTINE_CONTAINER };

/** The quarterly job reads the newest CSV/XLSX file under landing/bank/transactions/. */
export const DEFAULT_LANDING_PREFIX = "bank/transactions/";

/**
 * Where `verify` and `pull` look by default inside each partitioned container: the curated Delta
 * table, and the features' plain-Parquet export (the features Delta table is `quarterly/`, which
 * readers without a Delta reader should not list: it keeps files of earlier versions).
 */
export const PARTITIONED_AREAS: Readonly<Record<string, string>> = {
  [LAKE_AREAS.curated.container]: `${LAKE_AREAS.curated.folder}/`,
  [LAKE_AREAS.export.container]: `${LAKE_AREAS.export.folder}/`,
};

/** Delta tables, by container: a `_delta_log/` with at least one commit must sit at their root. */
export const DELTA_TABLES: Readonly<Record<string, readonly string[]>> = {
  [LAKE_AREAS.curated.container]: [`${LAKE_AREAS.curated.folder}/`],
  [LAKE_AREAS.features.container]: [`${LAKE_AREAS.features.folder}/`],
};

/** The features' plain-Parquet export, in the features container. */
export const EXPORT_PREFIX = `${LAKE_AREAS.export.folder}/`;

/** Quarter manifests (`<YYYY>Q<n>.json`), under the export: the `_` keeps Parquet readers out. */
export const MANIFESTS_PREFIX = `${EXPORT_PREFIX}${MANIFESTS_FOLDER}/`;

/**
 * The Delta tables a quarter manifest names (its `delta` keys, the contract's table names) and
 * where each lives: container and folder (under the pipeline's lakePathPrefix, if any).
 */
export const MANIFEST_DELTA_TABLES: Readonly<Record<string, { readonly container: string; readonly folder: string }>> = Object.fromEntries(
  (Object.keys(LAKE_DELTA_TABLES) as Array<keyof typeof LAKE_DELTA_TABLES>).map((area) => [
    LAKE_DELTA_TABLES[area],
    { container: LAKE_AREAS[area].container, folder: `${LAKE_AREAS[area].folder}/` },
  ]),
);

/** The folder of a Delta table's commit log. */
export const DELTA_LOG = "_delta_log/";

/** Run records (`_runs/<run_id>.json`) are written next to the curated data. */
export const RUNS_CONTAINER = LAKE_AREAS.runs.container;
export const RUNS_PREFIX = `${LAKE_AREAS.runs.folder}/`;

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

/**
 * Why a container name cannot be used, or undefined. Azure's rule ("Naming and referencing
 * containers, blobs, and metadata",
 * https://learn.microsoft.com/rest/api/storageservices/naming-and-referencing-containers--blobs--and-metadata):
 * 3-63 lowercase letters, digits and hyphens, starting with a letter or digit, no two hyphens in a
 * row; or one of the service's own, $root, $web and $logs. Anything else (`../features`,
 * `landing/x`) would address another container, or none.
 */
export function containerNameProblem(name: string): string | undefined {
  if (["$root", "$web", "$logs"].includes(name)) return undefined;
  if (/^(?!.*--)[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/.test(name)) return undefined;
  return "a container name is 3-63 lowercase letters, digits and single hyphens, starting and ending with a letter or digit";
}

/**
 * Why a blob prefix or path cannot be used, or undefined. The request URL is normalised on the
 * way (RFC 3986 removes `.` and `..` segments), while the blob name keeps them, so `../features/`
 * under the landing container would address the features container instead; an empty segment
 * (`a//b`), a leading `/` or a backslash names a blob other than the one written. A trailing `/`
 * ends a prefix and is kept.
 */
export function blobPathProblem(value: string): string | undefined {
  if (value.includes("\\")) return "use / between folders: a backslash is part of a blob name, not a separator";
  if (value.startsWith("/")) return "a path relative to the container, without a leading /";
  const segments = value.replace(/\/$/, "").split("/");
  if (value !== "" && segments.some((segment) => segment === "")) return "no empty folder (two / in a row)";
  if (segments.some((segment) => segment === "." || segment === "..")) return "no . or .. folder: the request would leave the container named";
  return undefined;
}
