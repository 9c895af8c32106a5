import { Construct, IConstruct } from "constructs";
import { ITerraformDependable, Token } from "cdktf";
import { RoleAssignment } from "@cdktf/provider-azurerm/lib/role-assignment";
import { Catalog } from "@cdktf/provider-databricks/lib/catalog";
import { ExternalLocation } from "@cdktf/provider-databricks/lib/external-location";
import { Grant } from "@cdktf/provider-databricks/lib/grant";
import { Grants, GrantsGrant } from "@cdktf/provider-databricks/lib/grants";
import { MetastoreAssignment } from "@cdktf/provider-databricks/lib/metastore-assignment";
import { DatabricksProvider } from "@cdktf/provider-databricks/lib/provider";
import { Schema } from "@cdktf/provider-databricks/lib/schema";
import { StorageCredential } from "@cdktf/provider-databricks/lib/storage-credential";
import { checkDatabricksPrincipal } from "./databricks-checks";
import { checkProviderType } from "../core/provider-setup";
import { checkWorkspaceProvider, DatabricksWorkspace, IDatabricksWorkspace } from "./databricks-workspace";
import { claimName, useDatabricksProvider } from "../core/consistency";
import { ILakeStorage } from "../storage/lake-storage";
import { CATALOG_CONTAINER, LakeContainerName, LANDING_CONTAINER } from "../storage/lake-layout";
import {
  CATALOG_SCHEMAS,
  CatalogSchemaName,
  DATA_ENGINEER_ACCESS_LEVELS,
  DataEngineerAccess,
  EXTERNAL_LOCATION_AREAS,
  ExternalLocationArea,
  Grantee,
  GRANTEES,
  GrantSet,
  pipelineGrantSet,
  Securable,
} from "./pipeline-grants";
import { AzurePrincipal, checkObjectId, IDatabricksPrincipal } from "../core/principal";
import { propagationWait } from "../core/time-provider";
import { checkDerivedName, isUnresolved, PropValidator } from "../core/validation";

/** The three principals the catalog's grants name. */
export type CatalogPrincipals = Readonly<Record<Grantee, IDatabricksPrincipal>>;

export interface LakehouseCatalogProps {
  /** Workspace-level Databricks provider of `workspace`. */
  readonly provider: DatabricksProvider;
  /** Workspace the catalog is bound to; its access connector is the storage credential's identity. */
  readonly workspace: IDatabricksWorkspace;
  /** Lake whose data areas become external locations and whose catalog container is the catalog root. */
  readonly lake: ILakeStorage;
  /** Entra ID tenant of the access connector's identity (for the lake's trusted-resource rule). */
  readonly tenantId: string;
  /**
   * Id of the region's Unity Catalog metastore (one per account and region, created once in the
   * account console), for a workspace that this library does not assign to it: an imported one.
   * A {@link DatabricksWorkspace} takes its `metastoreId` itself, so that its principal
   * assignments can wait for the metastore.
   * @default - the workspace's own metastore assignment (`workspace.metastoreId`)
   */
  readonly metastoreId?: string;
  /** Name of the catalog: 1-255 lowercase letters, digits and underscores, starting with a letter. */
  readonly catalogName: string;
  /** Who gets what (see {@link pipelineGrantSet}): the job's service principal, data engineers, ML consumers. */
  readonly principals: CatalogPrincipals;
  /**
   * What data engineers may do in the catalog: `all` privileges (dev) or `read`.
   * @default "read"
   */
  readonly dataEngineerAccess?: DataEngineerAccess;
  /**
   * What Unity Catalog objects that reach the lake wait for: the NCC's private-endpoint rules.
   * @default - nothing
   */
  readonly lakeReachable?: ITerraformDependable[];
  /**
   * Create the storage credential and external locations without Unity Catalog checking that it
   * can reach the lake. The lake denies public access, so Unity Catalog reaches it only through
   * the NCC's private endpoints, and those stay pending until the lake's owner approves them,
   * which the deploy pipeline does after apply: on a first apply validation would fail and stop
   * it. Skipping it changes nothing else; the job's first run (or `databricks
   * storage-credentials validate` against an external location) proves access once the
   * endpoints are approved.
   * @default true
   */
  readonly skipValidation?: boolean;
  /**
   * Folder, inside each of the lake's containers, that holds this catalog's data: its external
   * locations are `abfss://<container>@<lake>.dfs.core.windows.net/<lakePathPrefix>/` and its
   * managed storage root is `<lakePathPrefix>/<catalogName>/` in the catalog container. Give each
   * catalog that shares a lake its own prefix: Unity Catalog refuses overlapping external locations
   * in one metastore, and synth refuses two catalogs (or pipelines) claiming overlapping locations
   * on the same lake. Letters, digits, `.`, `_` and `-`, in `/`-separated segments, such as
   * `payments` or `finance/payments`.
   * @default - none: the container roots, so this catalog must be the lake's only one
   */
  readonly lakePathPrefix?: string;
  /**
   * Comment on the catalog.
   * @default - none
   */
  readonly comment?: string;
  /**
   * Grant this principal (the one that deploys) CREATE STORAGE CREDENTIAL, CREATE EXTERNAL
   * LOCATION and CREATE CATALOG on the metastore before the catalog's objects are created, with a
   * non-authoritative `databricks_grant` (other grants on the metastore stay as they are).
   * Account admins do not hold these by default; the grant is made by the deploying identity, so
   * it must be a metastore admin (for instance a member of the metastore's admin group). With
   * `createsServiceCredential`, CREATE SERVICE CREDENTIAL too.
   * @default - no grant: the deploying identity already holds the privileges (first-deploy.md, "What must exist first")
   */
  readonly metastorePrivilegesFor?: IDatabricksPrincipal;
  /**
   * The identity of the weekly drift check (a plan that refreshes, from reviewed code only): given
   * what refreshing the catalog's objects needs, USE_CATALOG, USE_SCHEMA and MANAGE on the catalog
   * and MANAGE on each external location and the storage credential. Reading grants and these
   * objects needs their owner, MANAGE or a metastore admin, and Unity Catalog has no read-only
   * privilege that allows it (security.md, "The access matrix").
   * @default - none: only the deploying identity (their owner) can refresh them
   */
  readonly driftChecker?: IDatabricksPrincipal;
  /**
   * The access connector whose identity the catalog's storage credential uses on the lake. Give
   * each pipeline on a shared workspace its own, so that its lake roles, and its storage
   * credential, reach its own data only.
   * @default - the workspace's access connector
   */
  readonly accessConnector?: { readonly id: string; readonly principalId: string };
  /**
   * Whether the deploying identity also creates a service credential beside the catalog (a
   * `PublicationCredential`): `metastorePrivilegesFor` then gets CREATE_SERVICE_CREDENTIAL too.
   * @default false
   */
  readonly createsServiceCredential?: boolean;
}

/** What the drift check's identity needs to refresh the catalog's objects and their grants. */
export const DRIFT_CHECKER_PRIVILEGES = {
  catalog: ["USE_CATALOG", "USE_SCHEMA", "MANAGE"],
  location: ["MANAGE"],
} as const;

/** What creating a catalog's storage credential, external locations and catalog needs on the metastore. */
export const METASTORE_PRIVILEGES = ["CREATE_STORAGE_CREDENTIAL", "CREATE_EXTERNAL_LOCATION", "CREATE_CATALOG"] as const;
/** What creating a service credential (a `PublicationCredential`) needs on the metastore as well. */
export const SERVICE_CREDENTIAL_PRIVILEGE = "CREATE_SERVICE_CREDENTIAL";

/** A folder path inside a container: `/`-separated segments, no `.` or `..` segment, no leading `/`. */
export const LAKE_PATH_PREFIX = /^(?!\.{1,2}(\/|$))(?!.*\/\.{1,2}(\/|$))[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*\/?$/;
/** Whether the catalog refuses `prefix` (`lakePathPrefix`): what derives from it then adds no problem of its own. */
export function isRefusedLakePathPrefix(prefix: string | undefined): boolean {
  return prefix !== undefined && (typeof prefix !== "string" || (!isUnresolved(prefix) && !LAKE_PATH_PREFIX.test(prefix)));
}
const LAKE_PATH_PREFIX_RULE = "a folder path of letters, digits, '.', '_' and '-' in '/'-separated segments, without a leading '/' or '.' and '..' segments, such as payments or finance/payments";

/**
 * The folder form of a lake path prefix: `""` for none, otherwise the segments with one trailing
 * `/` (`payments` and `payments/` both give `payments/`). A token is returned as it is, with `/`.
 */
export function lakePathFolder(prefix: string | undefined): string {
  if (prefix === undefined || prefix === null || prefix === "") return "";
  if (isUnresolved(prefix)) return `${prefix}/`;
  return `${prefix.replace(/\/+$/, "")}/`;
}

/** One external location a catalog claims on a lake: a container and a folder in it. */
interface LakeClaim {
  readonly container: string;
  /** `""` (the container root) or a folder ending in `/`. */
  readonly folder: string;
  /** The claiming catalog's construct path. */
  readonly owner: string;
}

/**
 * External locations claimed per lake, per app: keyed by the lake's account name when it is known
 * at synth time (so two imports of one account are one lake), by the lake object otherwise.
 */
const LAKE_CLAIMS = new WeakMap<IConstruct, Map<unknown, LakeClaim[]>>();

function claimsOf(scope: IConstruct, lake: ILakeStorage): LakeClaim[] {
  let byLake = LAKE_CLAIMS.get(scope.node.root);
  if (!byLake) {
    byLake = new Map();
    LAKE_CLAIMS.set(scope.node.root, byLake);
  }
  const key = typeof lake.accountName === "string" && !isUnresolved(lake.accountName) ? `account:${lake.accountName.toLowerCase()}` : lake;
  let claims = byLake.get(key);
  if (!claims) {
    claims = [];
    byLake.set(key, claims);
  }
  return claims;
}

/** Two folders of one container overlap when one holds the other (the root holds every folder). */
function overlaps(a: LakeClaim, b: LakeClaim): boolean {
  return a.container === b.container && (a.folder.startsWith(b.folder) || b.folder.startsWith(a.folder));
}

/**
 * Unity Catalog for one workspace: the metastore assignment; a storage credential of the
 * workspace's access connector (with Storage Blob Data Contributor on the lake and a trusted
 * resource-instance rule); external locations for the lake's data areas and catalog root; the
 * catalog and its schemas, bound to this workspace; and least-privilege grants, one authoritative
 * `databricks_grants` per securable, never to all account users.
 */
export class LakehouseCatalog extends Construct {
  /** The workspace's metastore assignment: the workspace's own, or one made here for an imported workspace. */
  readonly metastoreAssignment?: MetastoreAssignment;
  /** The deployer's privileges on the metastore, when `metastorePrivilegesFor` is set. */
  readonly metastoreGrant?: Grant;
  /** The access connector's roles on the lake, by container: read on landing, read and write on the rest, under lakePathPrefix when set. */
  readonly lakeRoles: Readonly<Partial<Record<ExternalLocationArea | "catalog", RoleAssignment>>>;
  readonly storageCredential: StorageCredential;
  /** External locations by lake container (the four data areas and the catalog root). */
  readonly externalLocations: Readonly<Record<ExternalLocationArea | "catalog", ExternalLocation>>;
  readonly catalog: Catalog;
  readonly catalogName: string;
  /** The folder of `lakePathPrefix` (`""` or ending in `/`) inside each lake container. */
  readonly lakePathFolder: string;
  readonly schemas: Readonly<Record<CatalogSchemaName, Schema>>;
  /** The grants applied, by securable. */
  readonly grantSet: GrantSet;
  readonly grants: Readonly<Partial<Record<Securable, Grants>>>;
  /** The drift check's grant on the storage credential, when `driftChecker` is set. */
  readonly storageCredentialGrants?: Grants;
  /** What another Unity Catalog object of the metastore waits for: its assignment to the workspace, the deployer's privileges, the workspace's principals. */
  readonly metastoreReady: readonly ITerraformDependable[];

  constructor(scope: Construct, id: string, props: LakehouseCatalogProps) {
    super(scope, id);
    validate(this, props);
    register(this, props);
    const provider = props.provider;
    const workspace = props.workspace;
    const lake = props.lake;
    const ready = [...(workspace?.ready ?? [])];
    const lakeReachable = [...(props.lakeReachable ?? [])];
    const skipValidation = props.skipValidation ?? true;
    this.catalogName = props.catalogName;
    this.lakePathFolder = lakePathFolder(props.lakePathPrefix);
    const folder = this.lakePathFolder;

    // Unity Catalog reads and writes lake files as the connector, on this catalog's containers only,
    // and under its lakePathPrefix only when it has one (an ABAC condition on the blob path): a
    // pipeline sharing the lake cannot reach another's data even through its storage credential.
    // Landing is read only; file events (which would need queue and Event Grid roles) are not used.
    const connectorId = props.accessConnector?.id ?? workspace?.accessConnectorId;
    const connector = AzurePrincipal.servicePrincipal(props.accessConnector?.principalId ?? workspace?.accessConnectorPrincipalId);
    const roles: Partial<Record<ExternalLocationArea | "catalog", RoleAssignment>> = {};
    if (lake) {
      for (const area of [...EXTERNAL_LOCATION_AREAS, CATALOG_CONTAINER] as const) {
        const role = area === LANDING_CONTAINER ? "Storage Blob Data Reader" : "Storage Blob Data Contributor";
        roles[area] = lake.grantContainer(this, `connector-${area}-${area === LANDING_CONTAINER ? "reader" : "contributor"}`, connector, role, area, folder === "" ? undefined : folder);
      }
    }
    this.lakeRoles = roles;
    if (connectorId) lake?.allowTrustedResource(connectorId, props.tenantId);
    const assignments = Object.values(roles) as RoleAssignment[];
    const lakeRoleEffective =
      assignments.length > 0 ? [propagationWait(this, "connector-role-wait", assignments, Object.fromEntries(Object.entries(roles).map(([area, role]) => [`${area}_role_assignment_id`, (role as RoleAssignment).id])))] : [];

    // An imported workspace not yet on a metastore is assigned here; its principals were assigned
    // by its owner, who therefore gave it a metastore first, or they come after this.
    this.metastoreAssignment =
      workspace?.metastoreAssignment ??
      (workspace?.metastoreId === undefined && props.metastoreId !== undefined
        ? new MetastoreAssignment(this, "metastore-assignment", { provider, metastoreId: props.metastoreId, workspaceId: Token.asNumber(workspace?.workspaceId), dependsOn: ready })
        : undefined);
    const metastoreId = workspace?.metastoreId ?? props.metastoreId;
    if (props.metastorePrivilegesFor && metastoreId !== undefined) {
      this.metastoreGrant = new Grant(this, "metastore-privileges", {
        provider,
        metastore: metastoreId,
        principal: props.metastorePrivilegesFor.name,
        privileges: [...METASTORE_PRIVILEGES, ...(props.createsServiceCredential ? [SERVICE_CREDENTIAL_PRIVILEGE] : [])],
        dependsOn: [...(this.metastoreAssignment ? [this.metastoreAssignment] : []), ...ready],
      });
    }
    const onMetastore = [...(this.metastoreAssignment ? [this.metastoreAssignment] : []), ...(this.metastoreGrant ? [this.metastoreGrant] : [])];
    this.metastoreReady = [...new Set([...onMetastore, ...ready])];
    this.storageCredential = new StorageCredential(this, "storage-credential", {
      provider,
      name: `${this.catalogName}_lake`,
      comment: "The workspace access connector's identity on the lake.",
      azureManagedIdentity: { accessConnectorId: connectorId },
      // Usable from this workspace only, although the metastore serves every environment.
      isolationMode: "ISOLATION_MODE_ISOLATED",
      skipValidation,
      dependsOn: [...onMetastore, ...ready, ...lakeRoleEffective, ...lakeReachable],
    });
    const locations: Partial<Record<ExternalLocationArea | "catalog", ExternalLocation>> = {};
    for (const area of [...EXTERNAL_LOCATION_AREAS, CATALOG_CONTAINER] as const) {
      locations[area] = new ExternalLocation(this, `external-location-${area}`, {
        provider,
        name: `${this.catalogName}_${area}`,
        url: lake?.abfssUri(area, folder),
        credentialName: this.storageCredential.name,
        comment: area === CATALOG_CONTAINER ? "Managed storage root of the catalog." : `The lake's ${area} area.`,
        // Landed files are written by the landing tool, never through Unity Catalog.
        readOnly: area === LANDING_CONTAINER ? true : undefined,
        isolationMode: "ISOLATION_MODE_ISOLATED",
        skipValidation,
        dependsOn: [...(lake?.containerReady?.[area] ?? []), ...onMetastore, ...ready, ...lakeReachable],
      });
    }
    this.externalLocations = locations as Record<ExternalLocationArea | "catalog", ExternalLocation>;
    this.catalog = new Catalog(this, "catalog", {
      provider,
      name: this.catalogName,
      comment: props.comment,
      storageRoot: lake?.abfssUri(CATALOG_CONTAINER, `${folder}${this.catalogName}/`),
      // Bound to this workspace: other environments' workspaces share the metastore.
      isolationMode: "ISOLATED",
      dependsOn: [this.externalLocations.catalog, ...onMetastore, ...ready],
    });
    const schemas: Partial<Record<CatalogSchemaName, Schema>> = {};
    for (const name of CATALOG_SCHEMAS) {
      schemas[name] = new Schema(this, `schema-${name}`, { provider, catalogName: this.catalog.name, name, comment: `The ${name} layer.`, dependsOn: ready });
    }
    this.schemas = schemas as Record<CatalogSchemaName, Schema>;

    this.grantSet = pipelineGrantSet(props.dataEngineerAccess ?? "read");
    const grants: Partial<Record<Securable, Grants>> = {};
    for (const [securable, byGrantee] of Object.entries(this.grantSet) as Array<[Securable, GrantSet[Securable]]>) {
      const grant: GrantsGrant[] = GRANTEES.filter((grantee) => (byGrantee[grantee] ?? []).length > 0 && props.principals?.[grantee]).map((grantee) => ({
        principal: props.principals[grantee].name,
        privileges: [...(byGrantee[grantee] ?? [])],
      }));
      const driftPrivileges = securable === "catalog" ? DRIFT_CHECKER_PRIVILEGES.catalog : securable.startsWith("external-location:") ? DRIFT_CHECKER_PRIVILEGES.location : [];
      if (props.driftChecker && driftPrivileges.length > 0) grant.push({ principal: props.driftChecker.name, privileges: [...driftPrivileges] });
      grants[securable] = new Grants(this, `grants-${securable.replace(":", "-")}`, { provider, ...this.securableReference(securable), grant, dependsOn: ready });
    }
    this.grants = grants;
    if (props.driftChecker) {
      this.storageCredentialGrants = new Grants(this, "grants-storage-credential", {
        provider,
        storageCredential: this.storageCredential.id,
        grant: [{ principal: props.driftChecker.name, privileges: [...DRIFT_CHECKER_PRIVILEGES.location] }],
        dependsOn: ready,
      });
    }
  }

  private securableReference(securable: Securable): { catalog?: string; schema?: string; externalLocation?: string } {
    if (securable === "catalog") return { catalog: this.catalog.name };
    const [kind, name] = securable.split(":");
    if (kind === "schema") return { schema: this.schemas[name as CatalogSchemaName].id };
    return { externalLocation: this.externalLocations[name as ExternalLocationArea].id };
  }
}

function validate(catalog: LakehouseCatalog, props: LakehouseCatalogProps): void {
  const v = new PropValidator("LakehouseCatalog", catalog.node.path);
  v.required("provider", props.provider, "the workspace-level DatabricksProvider of the workspace");
  checkProviderType(v, catalog, "provider", props.provider, "databricks");
  v.required("workspace", props.workspace, "an IDatabricksWorkspace");
  checkWorkspaceProvider(v, props.provider, props.workspace);
  v.required("lake", props.lake, "an ILakeStorage (LakeStorage or LakeStorage.fromExisting)");
  v.required("tenantId", props.tenantId, "the Entra ID tenant id of the access connector's identity");
  v.once(`tenant:${props.tenantId}`, () => checkObjectId(v, "tenantId", props.tenantId, "the Entra ID tenant id of the access connector's identity"));
  checkMetastore(v, props);
  if (props.metastorePrivilegesFor !== undefined) checkDatabricksPrincipal(v, "metastorePrivilegesFor", props.metastorePrivilegesFor);
  if (props.driftChecker !== undefined) checkDatabricksPrincipal(v, "driftChecker", props.driftChecker);
  v.required("catalogName", props.catalogName, "1-255 lowercase letters, digits and underscores, starting with a letter");
  v.matches("catalogName", props.catalogName, /^[a-z][a-z0-9_]{0,254}$/, "1-255 lowercase letters, digits and underscores, starting with a letter");
  if (typeof props.catalogName === "string" && !isUnresolved(props.catalogName)) {
    // External location and storage credential names derive from the catalog's.
    checkDerivedName(v, "catalogName", `${props.catalogName}_quarantine`, "the quarantine external location", 255, { value: props.catalogName });
  }
  v.check("lakePathPrefix", props.lakePathPrefix, (prefix) => typeof prefix === "string" && LAKE_PATH_PREFIX.test(prefix), LAKE_PATH_PREFIX_RULE);
  if (props.lake) checkLakeClaims(v, catalog, props.lake, props.lakePathPrefix);
  v.oneOf("dataEngineerAccess", props.dataEngineerAccess, DATA_ENGINEER_ACCESS_LEVELS);
  v.required("principals", props.principals, "the jobServicePrincipal, dataEngineers and mlConsumers principals");
  for (const grantee of GRANTEES) checkDatabricksPrincipal(v, `principals.${grantee}`, props.principals?.[grantee]);
  const names = GRANTEES.map((grantee) => props.principals?.[grantee]?.name).filter((name): name is string => typeof name === "string" && !isUnresolved(name));
  if (new Set(names).size !== names.length) v.fail("principals", names, "three different principals: the job's service principal, the data engineers and the ML consumers");
  // Unity Catalog grants go to account-level principals, which need no workspace assignment
  // (databricks provider docs/resources/grants.md: "Account-level principal grants can be assigned
  // with any valid workspace"); only workspace objects (jobs, folders, secret ACLs) need one.
  v.report(catalog);
}

/** What the stack-wide pass needs to know of it (its provider's role, its names), registered as it is constructed. */
function register(catalog: LakehouseCatalog, props: LakehouseCatalogProps): void {
  if (props.provider) useDatabricksProvider(catalog, { provider: props.provider, role: "workspace", construct: "LakehouseCatalog", prop: "provider" });
  if (typeof props.catalogName === "string") {
    const metastore = props.workspace?.metastoreId ?? props.metastoreId ?? "";
    claimName(catalog, { kind: "catalog", name: props.catalogName, within: metastore, construct: "LakehouseCatalog", prop: "catalogName", value: props.catalogName });
    claimName(catalog, { kind: "storageCredential", name: `${props.catalogName}_lake`, within: metastore, construct: "LakehouseCatalog", prop: "catalogName", value: props.catalogName });
  }
}

/**
 * The metastore comes from the workspace (its assignment, or the one an imported workspace is on)
 * or from `metastoreId`, and the two agree when both are given.
 */
function checkMetastore(v: PropValidator, props: LakehouseCatalogProps): void {
  checkObjectId(v, "metastoreId", props.metastoreId, "the id of the region's Unity Catalog metastore");
  const workspace = props.workspace;
  if (!workspace) return;
  const workspaceMetastore = workspace.metastoreId;
  if (workspaceMetastore === undefined) {
    if (workspace instanceof DatabricksWorkspace && props.metastoreId !== undefined) {
      v.fail(
        "metastoreId",
        props.metastoreId,
        "unset here: give it to the DatabricksWorkspace (its metastoreId), which assigns the metastore before its principals (identity federation needs a metastore first)",
      );
    } else {
      v.required("metastoreId", props.metastoreId, "the id (a GUID) of the region's Unity Catalog metastore, or a workspace that has one (DatabricksWorkspace metastoreId)");
    }
    return;
  }
  if (props.metastoreId !== undefined && !isUnresolved(props.metastoreId) && !isUnresolved(workspaceMetastore) && props.metastoreId.toLowerCase() !== workspaceMetastore.toLowerCase()) {
    v.fail("metastoreId", props.metastoreId, `the workspace's metastore (${workspaceMetastore}), or unset: a workspace is on one metastore`);
  }
}

/**
 * Claims the catalog's external locations (the four data areas and the catalog root) on its lake,
 * and refuses them when they overlap another catalog's on the same lake, or each other (an
 * imported lake whose areas share a container): Unity Catalog refuses overlapping external
 * locations in one metastore at apply, and two pipelines would write the same Delta paths.
 */
function checkLakeClaims(v: PropValidator, catalog: LakehouseCatalog, lake: ILakeStorage, prefix: string | undefined): void {
  if (isRefusedLakePathPrefix(prefix)) return;
  // A prefix known only at deploy time cannot be compared; such a catalog claims nothing.
  if (isUnresolved(prefix)) return;
  const folder = lakePathFolder(prefix);
  const areas: Array<ExternalLocationArea | "catalog"> = [...EXTERNAL_LOCATION_AREAS, CATALOG_CONTAINER];
  const mine: Array<LakeClaim & { area: string }> = areas.map((area) => ({
    area,
    container: lake.containerNames?.[area as LakeContainerName] ?? area,
    folder,
    owner: catalog.node.path,
  }));
  const account = isUnresolved(lake.accountName) ? `the lake ${lake.node.path}` : `the lake ${lake.accountName}`;
  for (const [index, claim] of mine.entries()) {
    const twin = mine.slice(0, index).find((other) => overlaps(claim, other));
    if (twin) v.fail(`lake.containerNames.${claim.area}`, claim.container, `a container other than ${twin.area}'s ("${twin.container}"): each area's external location must not overlap another's`);
  }
  const claims = claimsOf(catalog, lake);
  const clashes = new Map<string, string[]>();
  for (const claim of mine) {
    for (const other of claims.filter((candidate) => candidate.owner !== claim.owner && overlaps(claim, candidate))) {
      const containers = clashes.get(other.owner) ?? [];
      if (!containers.includes(claim.container)) containers.push(claim.container);
      clashes.set(other.owner, containers);
    }
  }
  for (const [owner, containers] of clashes) {
    v.fail(
      "lakePathPrefix",
      prefix ?? "(none: the container roots)",
      `a prefix whose external locations do not overlap those ${owner} claims on ${account} (containers ${containers.join(", ")}); give each catalog or pipeline sharing a lake its own lakePathPrefix, neither inside the other`,
    );
  }
  claims.push(...mine.map(({ container, folder: f, owner }) => ({ container, folder: f, owner })));
}
