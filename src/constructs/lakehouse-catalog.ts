import { Construct } from "constructs";
import { ITerraformDependable, Token } from "cdktf";
import { RoleAssignment } from "@cdktf/provider-azurerm/lib/role-assignment";
import { Catalog } from "@cdktf/provider-databricks/lib/catalog";
import { ExternalLocation } from "@cdktf/provider-databricks/lib/external-location";
import { Grants, GrantsGrant } from "@cdktf/provider-databricks/lib/grants";
import { MetastoreAssignment } from "@cdktf/provider-databricks/lib/metastore-assignment";
import { DatabricksProvider } from "@cdktf/provider-databricks/lib/provider";
import { Schema } from "@cdktf/provider-databricks/lib/schema";
import { StorageCredential } from "@cdktf/provider-databricks/lib/storage-credential";
import { checkDatabricksPrincipal } from "./databricks-checks";
import { checkWorkspaceProvider, IDatabricksWorkspace } from "./databricks-workspace";
import { ILakeStorage } from "./lake-storage";
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
import { AzurePrincipal, checkObjectId, IDatabricksPrincipal } from "./principal";
import { propagationWait } from "./time-provider";
import { checkDerivedName, isUnresolved, PropValidator } from "./validation";

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
  /** Id of the region's Unity Catalog metastore (one per account and region, created once in the account console). */
  readonly metastoreId: string;
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
   * external-locations validate`) proves access once the endpoints are approved.
   * @default true
   */
  readonly skipValidation?: boolean;
  /**
   * Comment on the catalog.
   * @default - none
   */
  readonly comment?: string;
}

/**
 * Unity Catalog for one workspace: the metastore assignment; a storage credential of the
 * workspace's access connector (with Storage Blob Data Contributor on the lake and a trusted
 * resource-instance rule); external locations for the lake's data areas and catalog root; the
 * catalog and its schemas, bound to this workspace; and least-privilege grants, one authoritative
 * `databricks_grants` per securable, never to all account users.
 */
export class LakehouseCatalog extends Construct {
  readonly metastoreAssignment: MetastoreAssignment;
  /** The access connector's role on the lake. */
  readonly lakeRole: RoleAssignment;
  readonly storageCredential: StorageCredential;
  /** External locations by lake container (the four data areas and the catalog root). */
  readonly externalLocations: Readonly<Record<ExternalLocationArea | "catalog", ExternalLocation>>;
  readonly catalog: Catalog;
  readonly catalogName: string;
  readonly schemas: Readonly<Record<CatalogSchemaName, Schema>>;
  /** The grants applied, by securable. */
  readonly grantSet: GrantSet;
  readonly grants: Readonly<Partial<Record<Securable, Grants>>>;

  constructor(scope: Construct, id: string, props: LakehouseCatalogProps) {
    super(scope, id);
    validate(this, props);
    const provider = props.provider;
    const workspace = props.workspace;
    const lake = props.lake;
    const ready = [...(workspace?.ready ?? [])];
    const lakeReachable = [...(props.lakeReachable ?? [])];
    const skipValidation = props.skipValidation ?? true;
    this.catalogName = props.catalogName;

    // Unity Catalog reads and writes lake files as the connector; file events (which would also
    // need queue and Event Grid roles) are not used by a batch job.
    this.lakeRole = lake?.grant(this, "connector-blob-contributor", AzurePrincipal.servicePrincipal(workspace?.accessConnectorPrincipalId), "Storage Blob Data Contributor");
    if (workspace?.accessConnectorId) lake?.allowTrustedResource(workspace.accessConnectorId, props.tenantId);
    const lakeRoleEffective = this.lakeRole ? [propagationWait(this, "connector-role-wait", [this.lakeRole], { roleAssignmentId: this.lakeRole.id })] : [];

    this.metastoreAssignment = new MetastoreAssignment(this, "metastore-assignment", {
      provider,
      metastoreId: props.metastoreId,
      workspaceId: Token.asNumber(workspace?.workspaceId),
      dependsOn: ready,
    });
    this.storageCredential = new StorageCredential(this, "storage-credential", {
      provider,
      name: `${this.catalogName}_lake`,
      comment: "The workspace access connector's identity on the lake.",
      azureManagedIdentity: { accessConnectorId: workspace?.accessConnectorId },
      // Usable from this workspace only, although the metastore serves every environment.
      isolationMode: "ISOLATION_MODE_ISOLATED",
      skipValidation,
      dependsOn: [this.metastoreAssignment, ...ready, ...lakeRoleEffective, ...lakeReachable],
    });
    const locations: Partial<Record<ExternalLocationArea | "catalog", ExternalLocation>> = {};
    for (const area of [...EXTERNAL_LOCATION_AREAS, "catalog"] as const) {
      locations[area] = new ExternalLocation(this, `external-location-${area}`, {
        provider,
        name: `${this.catalogName}_${area}`,
        url: lake?.abfssUri(area),
        credentialName: this.storageCredential.name,
        comment: area === "catalog" ? "Managed storage root of the catalog." : `The lake's ${area} area.`,
        // Landed files are written by the landing tool, never through Unity Catalog.
        readOnly: area === "landing" ? true : undefined,
        isolationMode: "ISOLATION_MODE_ISOLATED",
        skipValidation,
        dependsOn: [...(lake?.containerReady?.[area] ?? []), ...ready, ...lakeReachable],
      });
    }
    this.externalLocations = locations as Record<ExternalLocationArea | "catalog", ExternalLocation>;
    this.catalog = new Catalog(this, "catalog", {
      provider,
      name: this.catalogName,
      comment: props.comment,
      storageRoot: lake?.abfssUri("catalog", `${this.catalogName}/`),
      // Bound to this workspace: other environments' workspaces share the metastore.
      isolationMode: "ISOLATED",
      dependsOn: [this.externalLocations.catalog, ...ready],
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
      grants[securable] = new Grants(this, `grants-${securable.replace(":", "-")}`, { provider, ...this.securableReference(securable), grant, dependsOn: ready });
    }
    this.grants = grants;
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
  v.required("workspace", props.workspace, "an IDatabricksWorkspace");
  checkWorkspaceProvider(v, props.provider, props.workspace);
  v.required("lake", props.lake, "an ILakeStorage (LakeStorage or LakeStorage.fromExisting)");
  v.required("tenantId", props.tenantId, "the Entra ID tenant id of the access connector's identity");
  checkObjectId(v, "tenantId", props.tenantId, "the Entra ID tenant id of the access connector's identity");
  v.required("metastoreId", props.metastoreId, "the id (a GUID) of the region's Unity Catalog metastore");
  checkObjectId(v, "metastoreId", props.metastoreId, "the id of the region's Unity Catalog metastore");
  v.required("catalogName", props.catalogName, "1-255 lowercase letters, digits and underscores, starting with a letter");
  v.matches("catalogName", props.catalogName, /^[a-z][a-z0-9_]{0,254}$/, "1-255 lowercase letters, digits and underscores, starting with a letter");
  if (typeof props.catalogName === "string" && !isUnresolved(props.catalogName)) {
    // External location and storage credential names derive from the catalog's.
    checkDerivedName(v, "catalogName", `${props.catalogName}_quarantine`, "the quarantine external location", 255);
  }
  v.oneOf("dataEngineerAccess", props.dataEngineerAccess, DATA_ENGINEER_ACCESS_LEVELS);
  v.required("principals", props.principals, "the jobServicePrincipal, dataEngineers and mlConsumers principals");
  for (const grantee of GRANTEES) checkDatabricksPrincipal(v, `principals.${grantee}`, props.principals?.[grantee]);
  const names = GRANTEES.map((grantee) => props.principals?.[grantee]?.name).filter((name): name is string => typeof name === "string" && !isUnresolved(name));
  if (new Set(names).size !== names.length) v.fail("principals", names, "three different principals: the job's service principal, the data engineers and the ML consumers");
  v.report(catalog);
}
