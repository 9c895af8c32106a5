/**
 * The quarter manifest the ETL publishes when a quarter is ready for retraining
 * (DATA_CONTRACT.md, "The quarter manifest"): its type, where it lives, and a check of its shape.
 *
 * The check follows the JSON Schema spark/bank_etl/schemas/quarter-manifest.schema.json field for
 * field, without a schema library at run time (the package has no runtime dependency for it); a
 * test validates the same manifests with ajv against the schema and requires the same verdict.
 */
import { MANIFESTS_PREFIX, normalisePrefix } from "./layout";
import type { Quarter } from "./run-records";

export const MANIFEST_SCHEMA_VERSION = 1;
export const QUARANTINE_REASONS = ["malformed", "bad_date", "bad_domain", "bad_location", "bad_value", "bad_transaction_count"] as const;
export const MANIFEST_DELTA_TABLE_NAMES = ["curated.transactions", "features.quarterly", "ops.quarantine"] as const;

export type QuarantineReason = (typeof QUARANTINE_REASONS)[number];
export type ManifestDeltaTable = (typeof MANIFEST_DELTA_TABLE_NAMES)[number];

export interface QuarterManifest {
  readonly schema_version: 1;
  /** "2022-Q3". */
  readonly quarter: string;
  readonly run_id: string;
  /** UTC, ISO 8601 with a Z. */
  readonly published_at: string;
  readonly input: { readonly path: string; readonly sha256: string; readonly rows: number };
  readonly counts: { readonly valid: number; readonly quarantined: Readonly<Record<QuarantineReason, number>>; readonly duplicates: number };
  readonly delta: Readonly<Record<ManifestDeltaTable, number>>;
  /** `<schema>.<table>` → `<schema>.<partition>`. */
  readonly postgres: Readonly<Record<string, string>>;
  readonly code_version: string;
}

const FIELDS = ["schema_version", "quarter", "run_id", "published_at", "input", "counts", "delta", "postgres", "code_version"] as const;
const QUARTER_LABEL = /^[0-9]{4}-Q[1-4]$/;
const RUN_ID = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const UTC_TIMESTAMP = /^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,6})?Z$/;
const SHA256 = /^[0-9a-f]{64}$/;
const QUALIFIED_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,62}\.[A-Za-z_][A-Za-z0-9_]{0,62}$/;

/** "2022-Q3": how the job and the manifest spell a quarter. */
export function quarterLabel(quarter: Quarter): string {
  return `${quarter.year}-Q${quarter.quarter}`;
}

/** The manifest's blob name: `<lakePathPrefix>export/_manifests/2022Q3.json` in the features container. */
export function manifestBlobName(quarter: Quarter, lakePathPrefix = ""): string {
  return `${normalisePrefix(lakePathPrefix)}${MANIFESTS_PREFIX}${quarter.year}Q${quarter.quarter}.json`;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

function isCount(value: unknown): value is number {
  return typeof value === "number" && Number.isInteger(value) && value >= 0;
}

/**
 * What is wrong with a parsed manifest against its JSON Schema, one line per problem (empty when
 * it is valid), each starting with the JSON pointer of the field.
 */
export function manifestProblems(value: unknown): string[] {
  const problems: string[] = [];
  const problem = (path: string, text: string) => problems.push(`${path || "/"}: ${text}`);
  const exactly = (path: string, object: Record<string, unknown>, keys: readonly string[]) => {
    for (const key of keys) if (!(key in object)) problem(path, `missing "${key}"`);
    for (const key of Object.keys(object)) if (!keys.includes(key)) problem(`${path}/${key}`, "not a field of the manifest");
  };
  const text = (path: string, field: unknown, pattern: RegExp, what: string, maxLength = Infinity) => {
    if (typeof field !== "string" || !pattern.test(field) || field.length > maxLength) problem(path, `must be ${what}`);
  };
  const count = (path: string, field: unknown, what = "a whole number >= 0") => {
    if (!isCount(field)) problem(path, `must be ${what}`);
  };

  if (!isObject(value)) {
    problem("", "must be a JSON object");
    return problems;
  }
  exactly("", value, FIELDS);
  if ("schema_version" in value && value.schema_version !== MANIFEST_SCHEMA_VERSION) problem("/schema_version", `must be ${MANIFEST_SCHEMA_VERSION} (this lake CLI reads manifests of schema version ${MANIFEST_SCHEMA_VERSION})`);
  if ("quarter" in value) text("/quarter", value.quarter, QUARTER_LABEL, "a quarter such as 2022-Q3");
  if ("run_id" in value) text("/run_id", value.run_id, RUN_ID, "a run id (letters, digits, '.', '_', '-'; at most 200)", 200);
  if ("published_at" in value) text("/published_at", value.published_at, UTC_TIMESTAMP, "a UTC time such as 2026-10-01T02:06:41.870Z");
  if ("code_version" in value) text("/code_version", value.code_version, SHA256, "a SHA-256 in lower-case hex");

  if ("input" in value) {
    if (!isObject(value.input)) problem("/input", "must be an object");
    else {
      exactly("/input", value.input, ["path", "sha256", "rows"]);
      if ("path" in value.input && (typeof value.input.path !== "string" || value.input.path === "")) problem("/input/path", "must be a non-empty string");
      if ("sha256" in value.input) text("/input/sha256", value.input.sha256, SHA256, "a SHA-256 in lower-case hex");
      if ("rows" in value.input) count("/input/rows", value.input.rows);
    }
  }
  if ("counts" in value) {
    const counts = value.counts;
    if (!isObject(counts)) problem("/counts", "must be an object");
    else {
      exactly("/counts", counts, ["valid", "quarantined", "duplicates"]);
      if ("valid" in counts) count("/counts/valid", counts.valid);
      if ("duplicates" in counts) count("/counts/duplicates", counts.duplicates);
      if ("quarantined" in counts) {
        if (!isObject(counts.quarantined)) problem("/counts/quarantined", "must be an object of reason codes");
        else {
          exactly("/counts/quarantined", counts.quarantined, QUARANTINE_REASONS);
          for (const reason of QUARANTINE_REASONS) if (reason in counts.quarantined) count(`/counts/quarantined/${reason}`, counts.quarantined[reason]);
        }
      }
    }
  }
  if ("delta" in value) {
    if (!isObject(value.delta)) problem("/delta", "must be an object of Delta tables");
    else {
      exactly("/delta", value.delta, MANIFEST_DELTA_TABLE_NAMES);
      for (const table of MANIFEST_DELTA_TABLE_NAMES) if (table in value.delta) count(`/delta/${table}`, value.delta[table], "a Delta table version (a whole number >= 0)");
    }
  }
  if ("postgres" in value) {
    const postgres = value.postgres;
    if (!isObject(postgres) || Object.keys(postgres).length === 0) problem("/postgres", "must be an object with at least one table");
    else {
      for (const [table, partition] of Object.entries(postgres)) {
        if (!QUALIFIED_NAME.test(table)) problem(`/postgres/${table}`, "the key must be <schema>.<table>");
        text(`/postgres/${table}`, partition, QUALIFIED_NAME, "<schema>.<partition>");
      }
    }
  }
  return problems;
}

/** True when `value` is a manifest of the schema (see {@link manifestProblems}). */
export function isQuarterManifest(value: unknown): value is QuarterManifest {
  return manifestProblems(value).length === 0;
}
