import { Construct, IConstruct } from "constructs";
import { Annotations, ITerraformDependable, Token } from "cdktf";
import { AzurermProvider } from "@cdktf/provider-azurerm/lib/provider";
import { DatabricksAccessConnector } from "@cdktf/provider-azurerm/lib/databricks-access-connector";
import { DatabricksWorkspace as AzurermDatabricksWorkspace } from "@cdktf/provider-azurerm/lib/databricks-workspace";
import { DataAzurermKeyVaultKey } from "@cdktf/provider-azurerm/lib/data-azurerm-key-vault-key";
import { DatabricksWorkspaceRootDbfsCustomerManagedKey } from "@cdktf/provider-azurerm/lib/databricks-workspace-root-dbfs-customer-managed-key";
import { PrivateEndpoint } from "@cdktf/provider-azurerm/lib/private-endpoint";
import { RoleAssignment } from "@cdktf/provider-azurerm/lib/role-assignment";
import { MetastoreAssignment } from "@cdktf/provider-databricks/lib/metastore-assignment";
import { PermissionAssignment } from "@cdktf/provider-databricks/lib/permission-assignment";
import { DatabricksProvider } from "@cdktf/provider-databricks/lib/provider";
import { normalizeLocation } from "../core/azure-regions";
import { checkDatabricksPrincipal, principalKey } from "./databricks-checks";
import { IObservability } from "../monitoring/observability";
import { checkLocation, checkPlacement, Placement } from "../core/placement";
import { privateEndpoint } from "../network/private-endpoint";
import { ISecretStore } from "../key-vault/secret-store";
import { checkResourceId, ID_SEGMENT, parentId, subscriptionOfId } from "../core/resource-id";
import { checkProviderType } from "../core/provider-setup";
import { requireNetworkSubscription, WORKSPACE_VNET_SUBSCRIPTION_RULE } from "../core/subscription-placement";
import { claimName, isAccountLevelProvider, networkRecord, placeInNetwork, stackNetworks, SUBNET_ROLE_NAMES, subnetOwner, useDatabricksProvider } from "../core/consistency";
import { checkObjectId, IDatabricksPrincipal } from "../core/principal";
import { ISecureNetwork, NetworkSubnet } from "../network/secure-network";
import { propagationWait } from "../core/time-provider";
import { checkDerivedName, checkExpiry, isUnresolved, PropValidator } from "../core/validation";
import { requireTerraformVersion } from "../core/terraform-requirements";
import { useAzurermProvider } from "../core/providers";
import { noteAssignedPrincipals } from "../core/stack-notes";

/**
 * A Databricks workspace other constructs put workspace-level objects in: the one
 * {@link DatabricksWorkspace} creates, or an existing one from {@link DatabricksWorkspace.fromExisting}.
 */
export interface IDatabricksWorkspace extends IConstruct {
  /** Resource id of the workspace (the databricks provider's `azure_workspace_resource_id`). */
  readonly workspaceResourceId: string;
  /** `https://` URL of the workspace (the databricks provider's `host`). */
  readonly workspaceUrl: string;
  /** Numeric workspace id, as a string token (use `Token.asNumber` where a number is expected). */
  readonly workspaceId: string;
  /** Azure region of the workspace, such as `westeurope`. */
  readonly location: string;
  /** Resource id of the access connector whose identity Unity Catalog uses on storage. */
  readonly accessConnectorId: string;
  /** Object id of the access connector's system-assigned identity (for role assignments). */
  readonly accessConnectorPrincipalId: string;
  /** The workspace-level provider every Databricks object of this workspace goes to. */
  readonly provider: DatabricksProvider;
  /** Principals assigned to the workspace (workspace-level objects may name these only). */
  readonly assignedPrincipals: readonly IDatabricksPrincipal[];
  /**
   * The assignment of the workspace to its Unity Catalog metastore, when this library makes it
   * (every principal assignment waits for it).
   */
  readonly metastoreAssignment?: MetastoreAssignment;
  /** Id of the metastore `metastoreAssignment` assigns. */
  readonly metastoreId?: string;
  /**
   * What every workspace-level Databricks object must wait for: the UI/API private endpoint (with
   * its DNS record and the agents' line of sight) when the workspace is private, and the
   * assignment of every principal in {@link assignedPrincipals}.
   */
  readonly ready: readonly ITerraformDependable[];
  /**
   * Assigns principals to the workspace (USER), in `scope`, for a pipeline that joins it; the
   * principals it has already are skipped. Workspace-level objects created afterwards wait for the
   * new assignments too (they join {@link ready}).
   */
  assignPrincipals(scope: Construct, principals: readonly IDatabricksPrincipal[]): void;
}

/** The attributes of an existing workspace, for {@link DatabricksWorkspace.fromExisting}. */
export interface DatabricksWorkspaceAttributes {
  /** Resource id of the workspace (`/subscriptions/…/providers/Microsoft.Databricks/workspaces/<name>`). */
  readonly workspaceResourceId: string;
  /** `https://` URL of the workspace. */
  readonly workspaceUrl: string;
  /** Numeric workspace id, as a string. */
  readonly workspaceId: string;
  /** Azure region of the workspace, such as `westeurope`. */
  readonly location: string;
  /** Resource id of the access connector whose identity Unity Catalog uses on storage. */
  readonly accessConnectorId: string;
  /** Object id of the access connector's system-assigned identity. */
  readonly accessConnectorPrincipalId: string;
  /** Workspace-level provider of the workspace (its host and resource id are set when unset). */
  readonly provider: DatabricksProvider;
  /**
   * Principals already assigned to the workspace.
   * @default - none
   */
  readonly assignedPrincipals?: IDatabricksPrincipal[];
  /**
   * What workspace-level objects must wait for.
   * @default - nothing
   */
  readonly ready?: ITerraformDependable[];
  /**
   * Id of the metastore the workspace is already assigned to (a catalog on it then makes no
   * assignment of its own).
   * @default - unknown: a LakehouseCatalog on the workspace assigns its metastore itself
   */
  readonly metastoreId?: string;
}

/** The customer-managed key of the workspace's root DBFS storage. */
export interface DbfsCustomerManagedKey {
  /** When the first key version expires (RFC 3339 UTC, in the future); automatic rotation moves it on. */
  readonly keyExpirationDate: string;
}

/**
 * The host (public) and container (private) subnets a VNet-injected workspace runs its clusters
 * in: both in the network's VNet, delegated to Microsoft.Databricks/workspaces, each with an NSG,
 * and used by this workspace alone.
 */
export interface DatabricksWorkspaceSubnets {
  /** The host (public) subnet. */
  readonly host: NetworkSubnet;
  /** The container (private) subnet. */
  readonly container: NetworkSubnet;
}

export interface DatabricksWorkspaceProps extends Placement {
  /**
   * The azurerm provider of the subscription this construct's resources go to, when it is not
   * the stack's default (such as a spoke subscription's aliased provider).
   * @default - the stack's default azurerm provider
   */
  readonly azurermProvider?: AzurermProvider;
  /** Name of the workspace, such as `dbw-bank-prod` (3-64 letters, digits, `_` and `-`). */
  readonly name: string;
  /**
   * Workspace-level Databricks provider of this workspace (one per workspace, with its own alias
   * when a stack holds several). When its `host` is unset, the workspace sets `host` and
   * `azure_workspace_resource_id` on it.
   */
  readonly provider: DatabricksProvider;
  /** Network whose Databricks subnets host the clusters and whose endpoint subnet hosts the private endpoint. */
  readonly network: ISecureNetwork;
  /**
   * The workspace's own host and container subnets, in `network`'s VNet. Azure gives every
   * VNet-injected workspace a pair of its own, so a second workspace on a network needs a second
   * pair: existing subnets given as `NetworkSubnet` values (`{ id, name,
   * networkSecurityGroupAssociationId }`, the association id being the subnet's id), or the
   * Databricks subnets of another `SecureNetwork.fromExisting` view of the VNet. Synth refuses two
   * workspaces on one subnet.
   * @default - the network's databricksHostSubnet and databricksContainerSubnet
   */
  readonly subnets?: DatabricksWorkspaceSubnets;
  /**
   * Account principals to assign to the workspace as users (`databricks_permission_assignment`):
   * every principal that workspace-level objects name (run as, single user, ACLs, permissions, grants).
   * @default - none
   */
  readonly principals?: IDatabricksPrincipal[];
  /**
   * Account principals to assign to the workspace as admins (`databricks_permission_assignment`
   * with ADMIN), such as the weekly drift check's identity: refreshing secret ACLs, object
   * permissions and permission assignments needs a workspace admin, since Databricks has no
   * read-only admin. Give it only to identities that run reviewed code.
   * @default - none
   */
  readonly admins?: IDatabricksPrincipal[];
  /**
   * Id of the region's Unity Catalog metastore to assign the workspace to, as soon as the workspace
   * is reachable. Identity federation (assigning account principals to a workspace) works only
   * once the workspace has a metastore, so every principal assignment waits for this one.
   * @default - no metastore assignment: the workspace must have one before `principals` are assigned
   */
  readonly metastoreId?: string;
  /**
   * Keep the workspace reachable from the internet. When false the workspace has a
   * `databricks_ui_api` private endpoint and no Azure Databricks NSG rules (back-end Private Link).
   * @default false
   */
  readonly publicNetworkAccess?: boolean;
  /**
   * Give a private workspace a `browser_authentication` private endpoint too, so browsers on the
   * private network complete the Entra ID sign-in (web auth) callback. Azure allows one per region
   * in a private DNS zone (`<region>.pl-auth.azuredatabricks.net`): of several private workspaces
   * in a region sharing a zone, turn it on for one only (synth refuses two in one app).
   * @default - true when the workspace is private
   */
  readonly browserAuthentication?: boolean;
  /**
   * Why the workspace stays public; required when `publicNetworkAccess` is true.
   * @default - none
   */
  readonly publicNetworkAccessReason?: string;
  /**
   * Resource group Azure creates for the workspace's own resources.
   * @default `rg-${name}-managed`
   */
  readonly managedResourceGroupName?: string;
  /**
   * Name of the access connector.
   * @default `dbac-${name}` without a leading `dbw-` in name
   */
  readonly accessConnectorName?: string;
  /**
   * Encrypt the workspace's root DBFS storage with an HSM-backed key in this (premium) vault. The
   * workspace's storage identity gets "Key Vault Crypto Service Encryption User" on the key.
   * @default - Microsoft-managed keys for root DBFS
   */
  readonly dbfsCustomerManagedKey?: DbfsCustomerManagedKey & { readonly secretStore: ISecretStore };
  /**
   * Where the workspace's diagnostic logs go.
   * @default - no diagnostic settings
   */
  readonly observability?: IObservability;
}

const WORKSPACE_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_-]{1,62}[a-zA-Z0-9]$/;

/**
 * A premium Azure Databricks workspace injected into a network's subnets without public IPs; an
 * access connector with a system-assigned identity for Unity Catalog; optionally root DBFS under a
 * customer-managed key; a `databricks_ui_api` private endpoint when private; diagnostics; and the
 * assignment of the account principals that its objects name.
 */
export class DatabricksWorkspace extends Construct implements IDatabricksWorkspace {
  /** Stands in an existing workspace for one this library would create. */
  static fromExisting(scope: Construct, id: string, attributes: DatabricksWorkspaceAttributes): IDatabricksWorkspace {
    class Imported extends Construct implements IDatabricksWorkspace {
      readonly workspaceResourceId = attributes.workspaceResourceId;
      readonly workspaceUrl = attributes.workspaceUrl;
      readonly workspaceId = attributes.workspaceId;
      readonly location = attributes.location;
      readonly accessConnectorId = attributes.accessConnectorId;
      readonly accessConnectorPrincipalId = attributes.accessConnectorPrincipalId;
      readonly provider = attributes.provider;
      readonly assignedPrincipals = [...(attributes.assignedPrincipals ?? [])];
      readonly ready = [...(attributes.ready ?? [])];
      assignPrincipals(scope: Construct, principals: readonly IDatabricksPrincipal[]): void {
        assignTo(this, scope, principals, [...(attributes.ready ?? [])]);
      }
      readonly metastoreId = attributes.metastoreId;
    }
    const imported = new Imported(scope, id);
    const v = new PropValidator("DatabricksWorkspace.fromExisting", imported.node.path);
    for (const attribute of ["workspaceResourceId", "workspaceUrl", "workspaceId", "location", "accessConnectorId", "accessConnectorPrincipalId", "provider"] as const) {
      v.required(attribute, attributes[attribute], "the existing workspace's attribute (see DatabricksWorkspaceAttributes)");
    }
    checkImportedWorkspace(v, attributes ?? ({} as DatabricksWorkspaceAttributes));
    checkProviderType(v, imported, "provider", attributes?.provider, "databricks");
    v.report(imported);
    if (attributes.assignedPrincipals !== undefined) ASSIGNMENTS_KNOWN.add(imported);
    if (attributes.provider && attributes.assignedPrincipals !== undefined) {
      const alias = attributes.provider.alias;
      noteAssignedPrincipals(imported, alias === undefined ? "databricks" : `databricks.${alias}`, attributes.assignedPrincipals.map((principal) => principal?.name));
    }
    if (attributes.provider) {
      useDatabricksProvider(imported, { provider: attributes.provider, role: "workspace", construct: "DatabricksWorkspace.fromExisting", prop: "provider" });
      if (!isAccountLevelProvider(attributes.provider)) configureProvider(attributes.provider, attributes.workspaceUrl, attributes.workspaceResourceId);
    }
    return imported;
  }

  readonly workspace: AzurermDatabricksWorkspace;
  readonly workspaceResourceId: string;
  readonly workspaceUrl: string;
  readonly workspaceId: string;
  readonly location: string;
  readonly accessConnector: DatabricksAccessConnector;
  readonly accessConnectorId: string;
  readonly accessConnectorPrincipalId: string;
  readonly provider: DatabricksProvider;
  /** The `databricks_ui_api` private endpoint, when the workspace is private. */
  readonly uiApiPrivateEndpoint?: PrivateEndpoint;
  /** The `browser_authentication` private endpoint, when the workspace is private and has one. */
  readonly browserAuthenticationPrivateEndpoint?: PrivateEndpoint;
  /** The root DBFS encryption key's binding, when `dbfsCustomerManagedKey` is set. */
  readonly dbfsKey?: DatabricksWorkspaceRootDbfsCustomerManagedKey;
  /** Permission assignments by principal (`servicePrincipal:<id>`, `group:<name>`, `user:<email>`). */
  readonly permissionAssignments: Readonly<Record<string, PermissionAssignment>>;
  readonly assignedPrincipals: IDatabricksPrincipal[];
  readonly metastoreAssignment?: MetastoreAssignment;
  readonly metastoreId?: string;
  readonly ready: ITerraformDependable[];
  /** What an assignment waits for: the workspace, its reachability and its metastore. */
  private readonly assignable: ITerraformDependable[];

  constructor(scope: Construct, id: string, props: DatabricksWorkspaceProps) {
    super(scope, id);
    // The library is tested with, and its write-only arguments need, Terraform 1.11 or later.
    requireTerraformVersion(this);
    useAzurermProvider(this, props?.azurermProvider);
    const browserAuthentication = validate(this, props);
    const network = props.network;
    const hostSubnet = props.subnets?.host ?? network?.databricksHostSubnet;
    const containerSubnet = props.subnets?.container ?? network?.databricksContainerSubnet;
    const placement = { resourceGroupName: props.resourceGroupName, location: props.location, tags: props.tags };
    const publicAccess = props.publicNetworkAccess ?? false;
    const name = props.name;
    this.location = props.location;
    this.provider = props.provider;

    this.workspace = new AzurermDatabricksWorkspace(this, "workspace", {
      ...placement,
      name,
      sku: "premium",
      managedResourceGroupName: props.managedResourceGroupName ?? `rg-${name}-managed`,
      publicNetworkAccessEnabled: publicAccess,
      customerManagedKeyEnabled: props.dbfsCustomerManagedKey !== undefined,
      // A private workspace reaches its control plane over back-end Private Link only.
      networkSecurityGroupRulesRequired: publicAccess ? "AllRules" : "NoAzureDatabricksRules",
      customParameters: {
        noPublicIp: true,
        virtualNetworkId: network?.virtualNetworkId,
        publicSubnetName: hostSubnet?.name,
        privateSubnetName: containerSubnet?.name,
        publicSubnetNetworkSecurityGroupAssociationId: hostSubnet?.networkSecurityGroupAssociationId,
        privateSubnetNetworkSecurityGroupAssociationId: containerSubnet?.networkSecurityGroupAssociationId,
      },
      // Once the workspace exists, Databricks' network intent policy locks its subnets: their NSG,
      // NAT gateway and route table associations are made first.
      dependsOn: uniqueDependables([...(hostSubnet?.associations ?? []), ...(containerSubnet?.associations ?? [])]),
    });
    this.workspaceResourceId = this.workspace.id;
    this.workspaceUrl = `https://${this.workspace.workspaceUrl}`;
    this.workspaceId = this.workspace.workspaceId;
    // An account-level provider given by mistake (refused at synth) is left as it is.
    if (props.provider && !isAccountLevelProvider(props.provider)) configureProvider(props.provider, this.workspaceUrl, this.workspaceResourceId);

    // Workspace-level API calls of a private workspace go through this endpoint; they wait for it,
    // its DNS record and the agents' line of sight (peering, DNS links).
    const reachable: ITerraformDependable[] = [];
    if (!publicAccess) {
      // Both of a private workspace's endpoints publish their records in the Databricks zone.
      const workspaceEndpoint = (id: string, nameSuffix: string, subresource: string) =>
        privateEndpoint(this, id, {
          ...placement,
          name: `pe-${name}-${nameSuffix}`,
          subnetId: network?.privateEndpointSubnet?.id,
          targetResourceId: this.workspaceResourceId,
          subresource,
          privateDnsZoneId: network?.privateDnsZoneIds?.databricks,
          dependsOn: [...(network?.privateDnsZoneReady?.databricks ?? [])],
        });
      this.uiApiPrivateEndpoint = workspaceEndpoint("ui-api-private-endpoint", "ui-api", "databricks_ui_api");
      reachable.push(this.uiApiPrivateEndpoint, ...(network?.privateDnsZoneReady?.databricks ?? []), ...(network?.lineOfSight ?? []));
      if (browserAuthentication) this.browserAuthenticationPrivateEndpoint = workspaceEndpoint("browser-auth-private-endpoint", "browser-auth", "browser_authentication");
    }
    // Databricks emits logs only (no platform metrics).
    props.observability?.diagnose(this, "workspace-diagnostics", this.workspaceResourceId, { logs: true, metrics: false });
    if (props.dbfsCustomerManagedKey?.secretStore) this.dbfsKey = this.encryptRootDbfs(name, props.dbfsCustomerManagedKey);

    this.accessConnector = new DatabricksAccessConnector(this, "access-connector", {
      ...placement,
      name: props.accessConnectorName ?? `dbac-${name.replace(/^dbw-/, "")}`,
      identity: { type: "SystemAssigned" },
    });
    this.accessConnectorId = this.accessConnector.id;
    this.accessConnectorPrincipalId = this.accessConnector.identity.principalId;

    // Identity federation needs the workspace's metastore: databricks_permission_assignment fails
    // on a workspace without one (databricks/terraform-provider-databricks#5282), so the metastore
    // is assigned first, as soon as the workspace is reachable, and every assignment waits for it.
    this.metastoreId = props.metastoreId;
    if (props.metastoreId !== undefined) {
      this.metastoreAssignment = new MetastoreAssignment(this, "metastore-assignment", {
        provider: props.provider,
        metastoreId: props.metastoreId,
        workspaceId: Token.asNumber(this.workspaceId),
        dependsOn: [this.workspace, ...reachable],
      });
    }
    const federated: ITerraformDependable[] = this.metastoreAssignment ? [this.metastoreAssignment] : [];

    // Identities exist at account level; a workspace created by the same apply knows none of them
    // until they are assigned, so everything that names one waits for these.
    const assignments: Record<string, PermissionAssignment> = {};
    const principals: IDatabricksPrincipal[] = [];
    const admins = new Set((props.admins ?? []).filter((admin) => admin !== undefined).map(principalKey));
    for (const [index, principal] of [...(props.principals ?? []), ...(props.admins ?? [])].entries()) {
      if (!principal) continue;
      const key = principalKey(principal);
      if (assignments[key]) continue;
      principals.push(principal);
      const idPart = Token.isUnresolved(principal.name) ? `${index}` : constructIdPart(principal.name);
      assignments[key] = new PermissionAssignment(this, `assignment-${principal.kind}-${idPart}`, {
        provider: props.provider,
        permissions: [admins.has(key) ? "ADMIN" : "USER"],
        servicePrincipalName: principal.kind === "servicePrincipal" ? principal.name : undefined,
        groupName: principal.kind === "group" ? principal.name : undefined,
        userName: principal.kind === "user" ? principal.name : undefined,
        dependsOn: [this.workspace, ...reachable, ...federated],
      });
    }
    this.permissionAssignments = assignments;
    this.assignedPrincipals = principals;
    ASSIGNMENTS_KNOWN.add(this);
    this.assignable = [this.workspace, ...reachable, ...federated];
    this.ready = [this.workspace, ...reachable, ...federated, ...Object.values(assignments)];
  }

  assignPrincipals(scope: Construct, principals: readonly IDatabricksPrincipal[]): void {
    assignTo(this, scope, principals, this.assignable);
  }

  /** Root DBFS encryption: an HSM key, the workspace storage identity's role on it, a propagation wait, the binding. */
  private encryptRootDbfs(workspaceName: string, options: DbfsCustomerManagedKey & { readonly secretStore: ISecretStore }) {
    const key = options.secretStore.addKey(this, "dbfs-cmk", { name: `cmk-${workspaceName}-dbfs`, expirationDate: options.keyExpirationDate });
    const keyAccess = new RoleAssignment(this, "dbfs-key-access", {
      scope: key.resourceVersionlessId,
      principalId: this.workspace.storageAccountIdentity.get(0).principalId,
      roleDefinitionName: "Key Vault Crypto Service Encryption User",
      principalType: "ServicePrincipal",
    });
    const keyAccessEffective = propagationWait(this, "dbfs-key-access-wait", [keyAccess], { roleAssignmentId: keyAccess.id });
    // The binding must name a key version: azurerm 4.55 refuses a versionless id
    // (keyvault/validate/child_id.go, ParseNestedItemID), and azurerm_key_vault_key's id stays on the
    // first version for ever (key_vault_key_resource.go sets it once, at create). So the binding
    // takes the key's current version from a read of the key: after each automatic rotation (30 days
    // before the bound version expires) the next plan moves it to the new version, which the drift
    // check accepts (.azure-devops/accepted-drift.yaml) until a deploy applies it.
    const current = new DataAzurermKeyVaultKey(this, "dbfs-cmk-current", { name: key.name, keyVaultId: key.keyVaultId, dependsOn: [key] });
    return new DatabricksWorkspaceRootDbfsCustomerManagedKey(this, "dbfs-key", {
      workspaceId: this.workspaceResourceId,
      keyVaultKeyId: current.id,
      dependsOn: [keyAccess, keyAccessEffective],
    });
  }
}

function uniqueDependables(dependables: ITerraformDependable[]): ITerraformDependable[] | undefined {
  const unique = [...new Set(dependables)];
  return unique.length > 0 ? unique : undefined;
}

/** Points a workspace-level provider at its workspace, unless the caller configured it already. */
function configureProvider(provider: DatabricksProvider, workspaceUrl: string, workspaceResourceId: string): void {
  if (provider.host === undefined) provider.host = workspaceUrl;
  if (provider.azureWorkspaceResourceId === undefined) provider.azureWorkspaceResourceId = workspaceResourceId;
}

/** Workspaces whose `assignedPrincipals` are all the principals they have: created ones, and imports that list them. */
const ASSIGNMENTS_KNOWN = new WeakSet<IConstruct>();

/**
 * True when a workspace's `assignedPrincipals` is the whole list of its principals (a workspace this
 * library creates, or an import given `assignedPrincipals`), so a principal outside it is refused.
 */
export function knowsAssignments(workspace: IDatabricksWorkspace | undefined): boolean {
  return workspace !== undefined && ASSIGNMENTS_KNOWN.has(workspace);
}

const WORKSPACE_URL = /^https:\/\/([a-z0-9-]+(?:\.[a-z0-9-]+)*)\.azuredatabricks\.net\/?$/i;

/**
 * An imported workspace's attributes agree with each other: ids of the right resource types, a
 * numeric workspace id that the `adb-<id>` URL repeats, a GUID identity, a region, and a provider
 * whose host (when set) is that URL.
 */
function checkImportedWorkspace(v: PropValidator, attributes: DatabricksWorkspaceAttributes): void {
  checkResourceId(v, "workspaceResourceId", attributes.workspaceResourceId, "databricksWorkspace");
  checkResourceId(v, "accessConnectorId", attributes.accessConnectorId, "databricksAccessConnector");
  v.check("workspaceId", attributes.workspaceId, (id) => typeof id === "string" && /^[0-9]{1,20}$/.test(id), "the workspace's numeric id, such as 1234567890123456 (the digits after adb- in its URL)");
  v.check("workspaceUrl", attributes.workspaceUrl, (url) => typeof url === "string" && WORKSPACE_URL.test(url), "the workspace's URL, such as https://adb-1234567890123456.7.azuredatabricks.net");
  const url = attributes.workspaceUrl;
  const id = attributes.workspaceId;
  const adb = typeof url === "string" && !isUnresolved(url) ? /^https:\/\/adb-([0-9]+)\./i.exec(url) : null;
  if (adb && typeof id === "string" && !isUnresolved(id) && /^[0-9]+$/.test(id) && adb[1] !== id) {
    v.fail("workspaceId", id, `the id in the workspace's URL, ${adb[1]} (workspaceUrl is ${url}): the two name different workspaces`);
  }
  checkLocation(v, "location", attributes.location);
  checkObjectId(v, "accessConnectorPrincipalId", attributes.accessConnectorPrincipalId, "the object id of the access connector's identity");
  checkObjectId(v, "metastoreId", attributes.metastoreId, "the id of the workspace's Unity Catalog metastore");
  (attributes.assignedPrincipals ?? []).forEach((principal, index) => checkDatabricksPrincipal(v, `assignedPrincipals[${index}]`, principal));
  const host = attributes.provider?.host;
  if (!isAccountLevelProvider(attributes.provider) && typeof host === "string" && !isUnresolved(host) && typeof url === "string" && WORKSPACE_URL.test(url) && host.replace(/\/+$/, "").toLowerCase() !== url.replace(/\/+$/, "").toLowerCase()) {
    v.fail("provider.host", host, `the workspace's URL ${url}, or unset (the import sets it): the provider would go to another workspace`);
  }
}

/** A construct id part from a principal name: letters, digits and hyphens only. */
function constructIdPart(name: string | undefined): string {
  if (name === undefined) return "missing";
  if (Token.isUnresolved(name)) return "token";
  return name.replace(/[^A-Za-z0-9]+/g, "-").replace(/^-|-$/g, "").toLowerCase() || "unnamed";
}

/** Which workspace each workspace-level provider serves: one provider per workspace. */
const PROVIDER_OWNERS = new WeakMap<DatabricksProvider, string>();

/**
 * Checks that `provider` is the workspace's own provider, so a construct's Databricks objects go
 * to the workspace it was given (a stack with several workspaces has one provider each).
 */
export function checkWorkspaceProvider(v: PropValidator, provider: DatabricksProvider | undefined, workspace: IDatabricksWorkspace | undefined): void {
  if (!provider || !workspace?.provider || provider === workspace.provider) return;
  v.fail("provider", provider.alias ?? provider.node.id, `the workspace's own provider ("${workspace.provider.alias ?? workspace.provider.node.id}"), so its objects go to that workspace`);
}

/**
 * Which workspace uses each Databricks subnet, per app, by subnet id (a literal id in lower case,
 * or the token of a created subnet's id): two imports of one VNet still share one registry.
 */
const SUBNET_OWNERS = new WeakMap<IConstruct, Map<string, string>>();

function subnetKey(id: string): string {
  return isUnresolved(id) ? id : id.toLowerCase();
}

/**
 * Checks the workspace's host and container subnets: both given when `subnets` is set, two
 * different subnets of the network's VNet, and not used by another workspace (Azure refuses a
 * second VNet-injected workspace on a subnet at apply). Then claims them.
 */
function checkSubnets(v: PropValidator, workspace: DatabricksWorkspace, props: DatabricksWorkspaceProps): void {
  const given = props.subnets;
  if (given !== undefined) {
    v.required("subnets.host", given?.host?.id, "the workspace's host subnet: a NetworkSubnet with id, name and networkSecurityGroupAssociationId");
    v.required("subnets.container", given?.container?.id, "the workspace's container subnet: a NetworkSubnet with id, name and networkSecurityGroupAssociationId");
  }
  const pair = {
    host: given?.host ?? props.network?.databricksHostSubnet,
    container: given?.container ?? props.network?.databricksContainerSubnet,
  };
  const prop = (role: "host" | "container") => (given ? `subnets.${role}` : `network.databricks${role === "host" ? "Host" : "Container"}Subnet`);
  if (pair.host?.id && pair.container?.id && subnetKey(pair.host.id) === subnetKey(pair.container.id)) {
    v.fail(prop("container"), isUnresolved(pair.container.id) ? "(the host subnet)" : pair.container.id, "a subnet other than the host subnet: a workspace needs two");
  }
  const vnetId = props.network?.virtualNetworkId;
  if (given && typeof vnetId === "string" && !isUnresolved(vnetId)) {
    for (const role of ["host", "container"] as const) {
      const id = given[role]?.id;
      if (typeof id !== "string" || isUnresolved(id)) {
        // A subnet another network of the stack made or imported is outside this one's VNet.
        const owner = subnetOwner(workspace, id);
        if (owner && !(typeof owner.network.virtualNetworkId === "string" && !isUnresolved(owner.network.virtualNetworkId) && owner.network.virtualNetworkId.toLowerCase() === vnetId.toLowerCase())) {
          v.fail(`subnets.${role}`, given[role]?.name && !isUnresolved(given[role].name) ? given[role].name : `(the ${SUBNET_ROLE_NAMES[owner.role]} subnet of ${owner.network.path})`, `a subnet of the network's VNet ${vnetId} (this one is ${owner.network.path}'s): the workspace takes one VNet`);
        }
        continue;
      }
      if (parentId(id).toLowerCase() !== vnetId.toLowerCase()) v.fail(`subnets.${role}`, id, `a subnet of the network's VNet ${vnetId} (the workspace takes one VNet)`);
      else {
        const owner = subnetOwner(workspace, id);
        if (owner?.role === "postgres" || owner?.role === "privateEndpoints") {
          v.fail(`subnets.${role}`, id, `a subnet delegated to Microsoft.Databricks/workspaces: ${owner.network.path} has it as its ${SUBNET_ROLE_NAMES[owner.role]} subnet`);
        }
      }
    }
  }
  if (given) checkSubnetsOfCreatedNetwork(v, workspace, props.network, given);
  if (given) checkAssociationSubscriptions(v, given);
  for (const role of ["host", "container"] as const) {
    const id = pair[role]?.id;
    if (typeof id !== "string" || id === "") continue;
    const owner = claim(SUBNET_OWNERS, workspace, subnetKey(id));
    if (owner !== undefined) {
      v.fail(
        prop(role),
        isUnresolved(id) ? (pair[role]?.name && !isUnresolved(pair[role].name) ? pair[role].name : "(a subnet of the network)") : id,
        `a ${role} subnet no other workspace uses (${owner} runs in it): Azure gives every VNet-injected workspace its own host and container subnets; give this workspace its own pair with \`subnets\` (SparkBatchPipeline's \`workspaceSubnets\`)`,
      );
    }
  }
}

/**
 * The given subnets of a network SecureNetwork creates (its VNet id is only known at deploy time):
 * each must be one of its Databricks subnets, or an id built from its VNet's id, or a literal id of
 * its VNet's name; a subnet of another network of the stack, or one of its PostgreSQL or private
 * endpoint subnets, is refused.
 */
function checkSubnetsOfCreatedNetwork(v: PropValidator, workspace: IConstruct, network: ISecureNetwork | undefined, given: DatabricksWorkspaceSubnets): void {
  const record = networkRecord(network);
  if (!record || !isUnresolved(record.virtualNetworkId)) return;
  for (const role of ["host", "container"] as const) {
    const subnet = given[role];
    const id = subnet?.id;
    if (typeof id !== "string" || id === "") continue;
    const owner = subnetOwner(workspace, id);
    const shown =
      typeof subnet.name === "string" && !isUnresolved(subnet.name) ? subnet.name : !isUnresolved(id) ? id : owner ? `(the ${SUBNET_ROLE_NAMES[owner.role]} subnet of ${owner.network.path})` : "(a subnet known at deploy time)";
    if (owner?.network === record) {
      if (owner.role === "postgres" || owner.role === "privateEndpoints") {
        v.fail(`subnets.${role}`, shown, `one of the network's Databricks subnets (delegated to Microsoft.Databricks/workspaces): this is its ${SUBNET_ROLE_NAMES[owner.role]} subnet`);
      }
      continue;
    }
    if (owner) {
      v.fail(`subnets.${role}`, shown, `a subnet of the network's VNet (${record.path}): this one is ${owner.network.path}'s, and a workspace takes one VNet`);
      continue;
    }
    if (isUnresolved(id)) {
      if (id.startsWith(`${record.virtualNetworkId}/`)) continue;
      const other = stackNetworks(workspace).find((candidate) => candidate !== record && isUnresolved(candidate.virtualNetworkId) && id.startsWith(`${candidate.virtualNetworkId}/`));
      if (other) v.fail(`subnets.${role}`, shown, `a subnet of the network's VNet (${record.path}): this one is in ${other.path}'s VNet, and a workspace takes one VNet`);
      continue;
    }
    const vnetName = id.split("/")[ID_SEGMENT.name] ?? "";
    const group = id.split("/")[ID_SEGMENT.resourceGroupName] ?? "";
    const sameName = record.virtualNetworkName !== undefined && vnetName.toLowerCase() === record.virtualNetworkName.toLowerCase();
    const sameGroup = record.resourceGroupName === undefined || isUnresolved(record.resourceGroupName) || group.toLowerCase() === record.resourceGroupName.toLowerCase();
    if (!sameName || !sameGroup) v.fail(`subnets.${role}`, id, `a subnet of the network's VNet ${record.virtualNetworkName ?? record.path}${record.resourceGroupName && !isUnresolved(record.resourceGroupName) ? ` in ${record.resourceGroupName}` : ""}: a workspace takes one VNet`);
  }
}

/**
 * Claims `key` for `workspace` in a per-app registry (keyed by the construct tree's root, so two
 * apps never see each other's claims). Returns the path of another construct that holds it
 * already, or undefined once the claim is this workspace's.
 */
function claim(registry: WeakMap<IConstruct, Map<string, string>>, workspace: IConstruct, key: string): string | undefined {
  let owners = registry.get(workspace.node.root);
  if (!owners) {
    owners = new Map();
    registry.set(workspace.node.root, owners);
  }
  const owner = owners.get(key);
  if (owner !== undefined && owner !== workspace.node.path) return owner;
  owners.set(key, workspace.node.path);
  return undefined;
}

/** Which workspace holds the browser authentication endpoint, per app, by DNS zone and region. */
const BROWSER_AUTHENTICATION_OWNERS = new WeakMap<IConstruct, Map<string, string>>();

/**
 * Whether this workspace makes the region's browser authentication endpoint: one per region and
 * private DNS zone serves every workspace there (a second would publish a second record for the
 * region's `pl-auth` name, which Azure refuses). By default the first private workspace of an app
 * in a region and zone makes it; `true` on a later one is refused, naming the one that has it.
 */
function claimBrowserAuthentication(v: PropValidator, workspace: DatabricksWorkspace, props: DatabricksWorkspaceProps): boolean {
  if ((props.publicNetworkAccess ?? false) || props.browserAuthentication === false) return false;
  const zone = props.network?.privateDnsZoneIds?.databricks;
  if (typeof zone !== "string" || typeof props.location !== "string") return props.browserAuthentication ?? true;
  const owner = claim(BROWSER_AUTHENTICATION_OWNERS, workspace, `${subnetKey(zone)}|${normalizeLocation(props.location)}`);
  if (owner === undefined) return true;
  if (props.browserAuthentication === true) {
    v.fail("browserAuthentication", true, `unset or false: ${owner} already has the region's browser authentication endpoint in this DNS zone, which serves this workspace too (Azure allows one per region and zone)`);
  } else if (props.browserAuthentication === undefined) {
    // Its users sign in through that endpoint: deleting that workspace breaks this one's browser sign-in.
    Annotations.of(workspace).addInfo(
      `DatabricksWorkspace ${workspace.node.path}: browser sign-in uses the region's browser authentication endpoint of ${owner} (one per region and DNS zone); before deleting that workspace, set browserAuthentication true here and false there.`,
    );
  }
  return false;
}

/** Validates the props; returns whether the workspace makes the region's browser authentication endpoint. */
function validate(workspace: DatabricksWorkspace, props: DatabricksWorkspaceProps): boolean {
  const v = new PropValidator("DatabricksWorkspace", workspace.node.path);
  checkProviderType(v, workspace, "azurermProvider", props.azurermProvider, "azurerm");
  checkProviderType(v, workspace, "provider", props.provider, "databricks");
  if (props.provider) {
    const owner = PROVIDER_OWNERS.get(props.provider);
    if (owner !== undefined && owner !== workspace.node.path) {
      v.fail("provider", props.provider.alias ?? props.provider.node.id, `a workspace-level provider of this workspace alone (it already serves ${owner}); give each workspace its own DatabricksProvider with its own alias`);
    } else {
      PROVIDER_OWNERS.set(props.provider, workspace.node.path);
    }
  }
  checkPlacement(v, props);
  v.required("name", props.name, "3-64 letters, digits, underscores and hyphens, starting and ending with a letter or digit");
  v.matches("name", props.name, WORKSPACE_NAME, "3-64 letters, digits, underscores and hyphens, starting and ending with a letter or digit");
  v.required("provider", props.provider, "the workspace-level DatabricksProvider of this workspace");
  v.required("network", props.network, "an ISecureNetwork (SecureNetwork or SecureNetwork.fromExisting) with Databricks host and container subnets");
  checkSubnets(v, workspace, props);
  const browserAuthentication = claimBrowserAuthentication(v, workspace, props);
  const name = props.name ?? "";
  if (typeof name === "string" && !isUnresolved(name)) {
    checkDerivedName(v, "name", `pe-${name}-ui-api-nic`, "the UI/API private endpoint's network interface", 80, { value: name });
    checkDerivedName(v, "name", `pe-${name}-browser-auth-nic`, "the browser authentication private endpoint's network interface", 80, { value: name });
    checkDerivedName(v, "name", `cmk-${name}-dbfs`, "the DBFS key", 127, { value: name });
    if (props.managedResourceGroupName === undefined) checkDerivedName(v, "name", `rg-${name}-managed`, "the managed resource group", 90, { value: name, override: "managedResourceGroupName" });
    if (props.accessConnectorName === undefined) checkDerivedName(v, "name", `dbac-${name.replace(/^dbw-/, "")}`, "the access connector", 64, { value: name, override: "accessConnectorName" });
  }
  v.matches("managedResourceGroupName", props.managedResourceGroupName, /^[-\w._()]{1,89}[-\w_()]$/, "1-90 letters, digits, underscores, hyphens, periods and parentheses, not ending in a period");
  v.matches("accessConnectorName", props.accessConnectorName, /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,62}[a-zA-Z0-9_]$/, "2-64 letters, digits, underscores, periods and hyphens");
  if ((props.publicNetworkAccess ?? false) && (props.publicNetworkAccessReason ?? "").trim() === "") {
    v.fail("publicNetworkAccessReason", props.publicNetworkAccessReason, "a reason why the workspace stays public, required when publicNetworkAccess is true");
  }
  (props.principals ?? []).forEach((principal, index) => checkDatabricksPrincipal(v, `principals[${index}]`, principal));
  (props.admins ?? []).forEach((principal, index) => checkDatabricksPrincipal(v, `admins[${index}]`, principal));
  checkObjectId(v, "metastoreId", props.metastoreId, "the id of the region's Unity Catalog metastore");
  const key = props.dbfsCustomerManagedKey;
  if (key) {
    v.required("dbfsCustomerManagedKey.secretStore", key.secretStore, "the premium ISecretStore that holds the DBFS key");
    v.required("dbfsCustomerManagedKey.keyExpirationDate", key.keyExpirationDate, "an RFC 3339 UTC timestamp in the future, such as 2027-06-30T00:00:00Z");
    checkExpiry(v, "dbfsCustomerManagedKey.keyExpirationDate", key.keyExpirationDate);
    const sku = key.secretStore?.skuName;
    if (sku !== undefined && !isUnresolved(sku) && sku !== "premium") {
      v.fail("dbfsCustomerManagedKey.secretStore", `(a ${sku} vault)`, `a premium secretStore (it is "${sku}"): DBFS keys are HSM-backed`);
    }
  }
  v.report(workspace);
  register(workspace, props);
  return browserAuthentication;
}

/** What the stack-wide pass needs of a workspace: its provider's role, the names it makes, its network's region. */
function register(workspace: DatabricksWorkspace, props: DatabricksWorkspaceProps): void {
  if (props.provider) useDatabricksProvider(workspace, { provider: props.provider, role: "workspace", construct: "DatabricksWorkspace", prop: "provider" });
  const name = props.name;
  if (typeof name !== "string") return;
  const group = typeof props.resourceGroupName === "string" ? props.resourceGroupName : "";
  claimName(workspace, { kind: "databricksWorkspace", name, within: group, construct: "DatabricksWorkspace", prop: "name", value: name });
  const managed = props.managedResourceGroupName ?? `rg-${name}-managed`;
  claimName(workspace, { kind: "managedResourceGroup", name: managed, construct: "DatabricksWorkspace", prop: props.managedResourceGroupName === undefined ? "name" : "managedResourceGroupName", value: props.managedResourceGroupName ?? name });
  const connector = props.accessConnectorName ?? `dbac-${name.replace(/^dbw-/, "")}`;
  claimName(workspace, { kind: "accessConnector", name: connector, within: group, construct: "DatabricksWorkspace", prop: props.accessConnectorName === undefined ? "name" : "accessConnectorName", value: props.accessConnectorName ?? name });
  placeInNetwork(workspace, {
    construct: "DatabricksWorkspace",
    location: props.location,
    network: props.network,
    subnetIds: [props.subnets?.host?.id, props.subnets?.container?.id],
    because: "a VNet-injected workspace runs in its VNet's region",
  });
  requireNetworkSubscription(workspace, {
    construct: "DatabricksWorkspace",
    kind: "workspace-vnet",
    provider: props.azurermProvider,
    network: props.network,
    subnetId: props.subnets?.host?.id,
    subnetProp: "subnets.host",
    because: WORKSPACE_VNET_SUBSCRIPTION_RULE,
  });
}

/**
 * A given subnet's NSG association must be the subnet's own: azurerm gives an association the id
 * of its subnet, and an NSG is associated only with subnets of its own subscription
 * (https://learn.microsoft.com/azure/virtual-network/manage-network-security-group), so an
 * association id in another subscription than the subnet's is another subnet's.
 */
function checkAssociationSubscriptions(v: PropValidator, given: DatabricksWorkspaceSubnets): void {
  for (const role of ["host", "container"] as const) {
    const subnet = given[role];
    const subnetSubscription = subscriptionOfId(subnet?.id);
    const associationSubscription = subscriptionOfId(subnet?.networkSecurityGroupAssociationId);
    if (subnetSubscription === undefined || associationSubscription === undefined || subnetSubscription === associationSubscription) continue;
    v.fail(
      `subnets.${role}.networkSecurityGroupAssociationId`,
      subnet.networkSecurityGroupAssociationId,
      "the subnet's own association, whose id is the subnet's: an NSG joins only subnets of its own subscription",
    );
  }
}

/**
 * Assigns (USER) the principals a workspace does not have yet, in `scope`: each waits for
 * `prerequisites`, and joins the workspace's assigned principals and what its objects wait for.
 */
function assignTo(
  workspace: IDatabricksWorkspace & { readonly assignedPrincipals: IDatabricksPrincipal[]; readonly ready: ITerraformDependable[] },
  scope: Construct,
  principals: readonly IDatabricksPrincipal[],
  prerequisites: readonly ITerraformDependable[],
): void {
  const known = new Set(workspace.assignedPrincipals.map(principalKey));
  for (const [index, principal] of principals.entries()) {
    if (!principal || known.has(principalKey(principal))) continue;
    known.add(principalKey(principal));
    const idPart = Token.isUnresolved(principal.name) ? `${index}` : constructIdPart(principal.name);
    const assignment = new PermissionAssignment(scope, `workspace-assignment-${principal.kind}-${idPart}`, {
      provider: workspace.provider,
      permissions: ["USER"],
      servicePrincipalName: principal.kind === "servicePrincipal" ? principal.name : undefined,
      groupName: principal.kind === "group" ? principal.name : undefined,
      userName: principal.kind === "user" ? principal.name : undefined,
      dependsOn: prerequisites.length > 0 ? [...prerequisites] : undefined,
    });
    workspace.assignedPrincipals.push(principal);
    workspace.ready.push(assignment);
  }
}
