/**
 * Every privilege the pipeline grants, in one place a reviewer can audit.
 *
 * Three grantees exist: the job's service principal, the data engineers group and the ML
 * consumers group. Nothing is ever granted to `account users` or `users`. Each Unity Catalog
 * securable gets one authoritative `databricks_grants` resource built from these tables, so a
 * privilege added by hand in the UI is removed on the next deploy.
 */
import { JOB_CONTAINERS } from "../storage/lake-layout";

/** Schemas of the environment's catalog. */
export const CATALOG_SCHEMAS = ["raw", "curated", "features", "ops"] as const;
export type CatalogSchemaName = (typeof CATALOG_SCHEMAS)[number];

/** Lake containers registered as external locations: the ones the job reads or writes. */
export const EXTERNAL_LOCATION_AREAS = JOB_CONTAINERS;
export type ExternalLocationArea = (typeof EXTERNAL_LOCATION_AREAS)[number];

export type Grantee = "jobServicePrincipal" | "dataEngineers" | "mlConsumers";
export const GRANTEES: readonly Grantee[] = ["jobServicePrincipal", "dataEngineers", "mlConsumers"];

/** How much the data engineers group may do in an environment's catalog. */
export const DATA_ENGINEER_ACCESS_LEVELS = ["all", "read"] as const;
export type DataEngineerAccess = (typeof DATA_ENGINEER_ACCESS_LEVELS)[number];

/** A Unity Catalog securable of the pipeline. */
export type Securable = "catalog" | `schema:${CatalogSchemaName}` | `external-location:${ExternalLocationArea}`;

/** Privileges per securable, per grantee. A grantee absent from a securable gets nothing on it. */
export type GrantSet = Readonly<Record<Securable, Readonly<Partial<Record<Grantee, readonly string[]>>>>>;

const READ_SCHEMA = ["USE_SCHEMA", "SELECT"];
const WRITE_SCHEMA = ["USE_SCHEMA", "SELECT", "MODIFY", "CREATE_TABLE"];
const READ_FILES = ["READ_FILES"];
/**
 * What the job needs on a data area it writes: its files, and registering the Unity Catalog
 * external tables over them (`<catalog>.curated.transactions` at curated/transactions/,
 * `<catalog>.features.quarterly` at features/quarterly/, `<catalog>.ops.quarantine` at
 * quarantine/rows/), which also needs CREATE_TABLE and USE_SCHEMA on the table's schema.
 */
const WRITE_TABLE_FILES = ["READ_FILES", "WRITE_FILES", "CREATE_EXTERNAL_TABLE"];

/**
 * The Unity Catalog grants of one environment.
 *
 * - Job service principal: uses the catalog; reads `raw`; reads and writes `curated`,
 *   `features` and `ops` (USE_SCHEMA, SELECT, MODIFY, CREATE_TABLE); reads files in landing;
 *   reads and writes files in curated, features and quarantine and creates the external tables
 *   there (CREATE_EXTERNAL_TABLE).
 * - Data engineers: everything in the catalog where `all` (dev), otherwise browse and read.
 * - ML consumers: read the `features` schema only.
 */
export function pipelineGrantSet(dataEngineers: DataEngineerAccess): GrantSet {
  return {
    catalog: {
      jobServicePrincipal: ["USE_CATALOG"],
      dataEngineers: dataEngineers === "all" ? ["ALL_PRIVILEGES"] : ["USE_CATALOG", "USE_SCHEMA", "SELECT", "BROWSE"],
      mlConsumers: ["USE_CATALOG"],
    },
    "schema:raw": { jobServicePrincipal: READ_SCHEMA },
    "schema:curated": { jobServicePrincipal: WRITE_SCHEMA },
    "schema:features": { jobServicePrincipal: WRITE_SCHEMA, mlConsumers: READ_SCHEMA },
    "schema:ops": { jobServicePrincipal: WRITE_SCHEMA },
    "external-location:landing": { jobServicePrincipal: READ_FILES },
    "external-location:curated": { jobServicePrincipal: WRITE_TABLE_FILES },
    "external-location:features": { jobServicePrincipal: WRITE_TABLE_FILES },
    "external-location:quarantine": { jobServicePrincipal: WRITE_TABLE_FILES },
  };
}

/**
 * Workspace permissions (not Unity Catalog) the pipeline sets: who may use the job cluster
 * policy, read the uploaded code, run the job and read the secret scope. Data engineers may run
 * the job ("run now") in every environment: that re-runs reviewed code as the service
 * principal and grants them no data privilege.
 */
export const WORKSPACE_PERMISSIONS = {
  clusterPolicy: { jobServicePrincipal: "CAN_USE" },
  codeFolder: { jobServicePrincipal: "CAN_READ", dataEngineers: "CAN_READ" },
  job: { dataEngineers: "CAN_MANAGE_RUN" },
  secretScope: { jobServicePrincipal: "READ" },
} as const satisfies Record<string, Partial<Record<Grantee, string>>>;

/** Principal names Databricks must never receive a grant for: they mean "everyone". */
export const FORBIDDEN_PRINCIPALS = ["account users", "users"];
