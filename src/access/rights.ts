/**
 * The rights the estate's identities hold or need, in one vocabulary: the access model
 * (resource-rights.ts, pipeline-identities.ts) and the access matrix (access-matrix.ts) both speak it.
 */

/** Where a right is enforced. */
export type Plane = "azure" | "key-vault" | "state" | "databricks-account" | "databricks-workspace" | "unity-catalog" | "postgres";

/** One right: what it is (a role, a permission level, a privilege) and on what. */
export interface Right {
  readonly plane: Plane;
  /** A role, permission level or privilege, such as `Reader`, `CAN_MANAGE_RUN` or `USE_CATALOG`. */
  readonly right: string;
  /** What it is held on, such as `the environment's subscription` or `the job bank-prod-quarterly-etl`. */
  readonly on: string;
}

/** A right's identity, for sets and sorting. */
export function rightKey(right: Right): string {
  return `${right.plane}\u0000${right.right}\u0000${right.on}`;
}

/** How a right reads in docs and reports. */
export function describeRight(right: Right): string {
  return `${right.right} on ${right.on}`;
}

const SUBSCRIPTION = "the environment's subscription";
const VAULT = "the environment's vault";
const PEERED = "each peered VNet (the agents')";
const WORKSPACE = "the workspace";
const ACCOUNT = "the Databricks account";

/** The rights the access model names, each once. */
export const RIGHTS = {
  reader: { plane: "azure", right: "Reader", on: SUBSCRIPTION },
  readerOnPeered: { plane: "azure", right: "Reader", on: PEERED },
  contributor: { plane: "azure", right: "Contributor", on: SUBSCRIPTION },
  rbacAdministrator: { plane: "azure", right: "Role Based Access Control Administrator", on: SUBSCRIPTION },
  locksContributor: { plane: "azure", right: "Locks Contributor", on: SUBSCRIPTION },
  networkContributorOnPeered: { plane: "azure", right: "Network Contributor", on: PEERED },
  secretsUser: { plane: "key-vault", right: "Key Vault Secrets User", on: VAULT },
  vaultReader: { plane: "key-vault", right: "Key Vault Reader", on: VAULT },
  secretsOfficer: { plane: "key-vault", right: "Key Vault Secrets Officer", on: VAULT },
  cryptoOfficer: { plane: "key-vault", right: "Key Vault Crypto Officer", on: VAULT },
  stateReader: { plane: "state", right: "Storage Blob Data Reader", on: "the state container" },
  stateContributor: { plane: "state", right: "Storage Blob Data Contributor", on: "the state container" },
  accountAdmin: { plane: "databricks-account", right: "account admin", on: ACCOUNT },
  workspaceAdmin: { plane: "databricks-workspace", right: "workspace admin", on: WORKSPACE },
  workspaceUser: { plane: "databricks-workspace", right: "workspace user", on: WORKSPACE },
  createStorageCredential: { plane: "unity-catalog", right: "CREATE_STORAGE_CREDENTIAL", on: "the metastore" },
  createServiceCredential: { plane: "unity-catalog", right: "CREATE_SERVICE_CREDENTIAL", on: "the metastore" },
  createExternalLocation: { plane: "unity-catalog", right: "CREATE_EXTERNAL_LOCATION", on: "the metastore" },
  createCatalog: { plane: "unity-catalog", right: "CREATE_CATALOG", on: "the metastore" },
  useCatalog: { plane: "unity-catalog", right: "USE_CATALOG", on: "the catalog" },
  useSchema: { plane: "unity-catalog", right: "USE_SCHEMA", on: "the catalog's schemas" },
  manageCatalog: { plane: "unity-catalog", right: "MANAGE", on: "the catalog and its schemas" },
  manageLocations: { plane: "unity-catalog", right: "MANAGE", on: "the external locations and the storage credential" },
  manageServiceCredential: { plane: "unity-catalog", right: "MANAGE", on: "the publication credential" },
} as const satisfies Record<string, Right>;

/**
 * Rights that include others, so an identity holding the first needs no second entry for the same
 * work: a workspace admin is a workspace user; Contributor reads what Reader reads; a Key Vault
 * officer reads what the matching user and reader roles read.
 */
export const IMPLIED_RIGHTS: ReadonlyArray<readonly [Right, Right]> = [
  [RIGHTS.workspaceAdmin, RIGHTS.workspaceUser],
  [RIGHTS.contributor, RIGHTS.reader],
  [RIGHTS.secretsOfficer, RIGHTS.secretsUser],
  [RIGHTS.cryptoOfficer, RIGHTS.vaultReader],
];
