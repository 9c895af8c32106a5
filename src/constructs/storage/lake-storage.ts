import { Construct, IConstruct } from "constructs";
import { Annotations, ITerraformDependable, Lazy } from "cdktf";
import { AzurermProvider } from "@cdktf/provider-azurerm/lib/provider";
import { RoleAssignment } from "@cdktf/provider-azurerm/lib/role-assignment";
import { StorageAccount } from "@cdktf/provider-azurerm/lib/storage-account";
import { StorageContainer } from "@cdktf/provider-azurerm/lib/storage-container";
import { UserAssignedIdentity } from "@cdktf/provider-azurerm/lib/user-assigned-identity";
import { protectFromDeletion } from "../core/deletion-protection";
import { IObservability } from "../monitoring/observability";
import { checkPlacement, Placement, STORAGE_ACCOUNT_TAG_NAME_MAX_LENGTH } from "../core/placement";
import { grantRole, IAzurePrincipal } from "../core/principal";
import { checkPrivateEndpointName, privateEndpoint } from "../network/private-endpoint";
import { checkResourceId, ID_SEGMENT, idSegment } from "../core/resource-id";
import { ISecretStore } from "../key-vault/secret-store";
import { checkDnsZoneSlot, ISecureNetwork } from "../network/secure-network";
import { claimName, placeInNetwork, requiredUnlessFromNetwork } from "../core/consistency";
import { checkProviderType } from "../core/provider-setup";
import { PRIVATE_ENDPOINT_SUBSCRIPTION_RULE, requireNetworkSubscription } from "../core/subscription-placement";
import { requireArmOnlyStorage, requireTerraformVersion } from "../core/terraform-requirements";
import { propagationWait } from "../core/time-provider";
import { checkExpiry, checkName, isUnresolved, NAME_RULES, PropValidator } from "../core/validation";
import { useAzurermProvider } from "../core/providers";
import { notePrincipal } from "../core/stack-notes";
import { checkLandingLifecycle, LandingColdTier, landingLifecycle, landingTiering } from "./landing-lifecycle";
import { LAKE_CONTAINERS, LakeContainerName, LANDING_CONTAINER } from "./lake-layout";

export const REPLICATION_TYPES = ["LRS", "ZRS", "GRS", "RAGRS", "GZRS", "RAGZRS"] as const;
export type ReplicationType = (typeof REPLICATION_TYPES)[number];
/** Replication types that keep a copy in the paired region (CIS 9.3.11, CKV_AZURE_206). */
export const GEO_REDUNDANT_REPLICATION: readonly ReplicationType[] = ["GRS", "RAGRS", "GZRS", "RAGZRS"];
export { LANDING_COLD_TIERS } from "./landing-lifecycle";
export type { LandingColdTier } from "./landing-lifecycle";

/** The lake's containers: one per data area of the data contract, plus the Unity Catalog root. */
export { LAKE_CONTAINERS } from "./lake-layout";
export type { LakeContainerName } from "./lake-layout";

/** Data-plane roles a principal can be granted on the lake. */
export const LAKE_ROLES = ["Storage Blob Data Reader", "Storage Blob Data Contributor", "Storage Blob Data Owner", "Storage Queue Data Contributor"] as const;
export type LakeRole = (typeof LAKE_ROLES)[number];
/** What each blob data role lets a principal do to a blob, as data actions. */
const BLOB_DATA_ACTIONS: Readonly<Record<LakeDataRole, readonly string[]>> = {
  "Storage Blob Data Reader": ["read"],
  "Storage Blob Data Contributor": ["read", "write", "add/action", "move/action", "delete"],
};

/**
 * An Azure ABAC condition (version 2.0) that lets a role act on blobs only under `folder` of its
 * container: every blob data action the role has is allowed only when the blob's path starts with
 * the folder, except listing (`Blob.List`), whose request has no path
 * and the folder itself (ABFS creates it and reads its status)
 * (https://learn.microsoft.com/azure/storage/blobs/storage-auth-abac-examples, "Read, write, or
 * delete blobs in named containers with a path"; the `blobs:path` resource attribute needs a
 * hierarchical namespace, which the lake has: storage-auth-abac-attributes).
 */
export function blobPathCondition(role: LakeDataRole, folder: string): string {
  const action = (name: string) => `Microsoft.Storage/storageAccounts/blobServices/containers/blobs/${name}`;
  const exclusions = BLOB_DATA_ACTIONS[role].map((name) =>
    name === "read" ? `!(ActionMatches{'${action(name)}'} AND NOT SubOperationMatches{'Blob.List'})` : `!(ActionMatches{'${action(name)}'})`,
  );
  const directory = folder.replace(/\/+$/, "");
  const path = "@Resource[Microsoft.Storage/storageAccounts/blobServices/containers/blobs:path]";
  // The folder itself too: ABFS creates it and reads its status, and its path has no trailing slash.
  return `((${exclusions.join(" AND ")}) OR (${path} StringStartsWith '${directory}/') OR (${path} StringEquals '${directory}'))`;
}

/**
 * An Azure ABAC condition (version 2.0) for Storage Blob Data Contributor that lets it write (Put
 * Blob, Put Block List) the files directly in `folder` and do nothing else to a blob: no read, no
 * delete, no rename, no write in a subfolder (a `*` of StringLike also matches `/`, hence the
 * StringNotLike). Two blocks in the documented shape, `((!actions) OR (expression)) AND ...`
 * (https://learn.microsoft.com/azure/role-based-access-control/conditions-format, "Condition
 * syntax"); the second one's expression is false for every path. Listing stays allowed: a list
 * request has no path.
 */
export function folderFilesWriteCondition(folder: string): string {
  const action = (name: string) => `Microsoft.Storage/storageAccounts/blobServices/containers/blobs/${name}`;
  const path = "@Resource[Microsoft.Storage/storageAccounts/blobServices/containers/blobs:path]";
  const directory = folder.replace(/\/+$/, "");
  const write = `((!(ActionMatches{'${action("write")}'}) AND !(ActionMatches{'${action("add/action")}'})) OR (${path} StringLike '${directory}/*' AND ${path} StringNotLike '${directory}/*/*'))`;
  const never = `((!(ActionMatches{'${action("read")}'} AND NOT SubOperationMatches{'Blob.List'}) AND !(ActionMatches{'${action("move/action")}'}) AND !(ActionMatches{'${action("delete")}'})) OR (${path} StringNotLike '*'))`;
  return `${write} AND ${never}`;
}

/** The blob data roles a container grant takes. */
export const LAKE_DATA_ROLES = ["Storage Blob Data Reader", "Storage Blob Data Contributor"] as const;
export type LakeDataRole = (typeof LAKE_DATA_ROLES)[number];

/** Encryption of the lake with a key the estate holds (CKV2_AZURE_1, CIS 9.x). */
export interface LakeCustomerManagedKey {
  /** Premium vault that holds the HSM-backed key; the account reaches it as a trusted service. */
  readonly secretStore: ISecretStore;
  /** When the first key version expires, RFC 3339 UTC in the future; Azure rotates it 30 days before. */
  readonly keyExpirationDate: string;
  /**
   * Name of the key in the vault.
   * @default - `cmk-<accountName>`
   */
  readonly keyName?: string;
}

/**
 * A data lake other constructs read and write: the one {@link LakeStorage} creates, or an existing
 * ADLS Gen2 account imported with {@link LakeStorage.fromExisting}.
 */
export interface ILakeStorage extends IConstruct {
  /** Resource id of the account. */
  readonly accountId: string;
  /** Account name. */
  readonly accountName: string;
  /** Primary DFS endpoint, such as `https://stbankprod01.dfs.core.windows.net/`. */
  readonly dfsEndpoint: string;
  /** Primary blob endpoint, such as `https://stbankprod01.blob.core.windows.net/`. */
  readonly blobEndpoint: string;
  /** Container names, by data area. */
  readonly containerNames: Readonly<Record<LakeContainerName, string>>;
  /**
   * What any data-plane access to the account waits for: its blob and dfs private endpoints (with
   * their DNS zone groups), the zones' VNet links and the network's line of sight to the agents.
   */
  readonly dataPlaneReady: readonly ITerraformDependable[];
  /** What a user of a container (a Unity Catalog external location) must wait for. */
  readonly containerReady: Readonly<Record<LakeContainerName, readonly ITerraformDependable[]>>;
  /** The `abfss://` URI of a container (and optional path), as Spark and Unity Catalog use it. */
  abfssUri(container: LakeContainerName, path?: string): string;
  /** Grants a principal a data-plane role on the whole account; the assignment is created in `scope`. */
  grant(scope: Construct, id: string, principal: IAzurePrincipal, role: LakeRole): RoleAssignment;
  /**
   * Grants a principal a data-plane role on one container only, and, with `folder`, only on the
   * blobs under that folder (an Azure ABAC condition on the blob path); the assignment is created
   * in `scope`. Listing the container stays allowed (the path is not an attribute of a list).
   */
  grantContainer(scope: Construct, id: string, principal: IAzurePrincipal, role: LakeDataRole, container: LakeContainerName, folder?: string): RoleAssignment;
  /**
   * Lets an Azure resource with a managed identity (such as a Databricks access connector) through
   * the account's network ACL as a trusted resource instance.
   */
  allowTrustedResource(resourceId: string, tenantId: string): void;
}

export interface LakeStorageProps extends Placement {
  /**
   * The azurerm provider of the subscription this construct's resources go to, when it is not
   * the stack's default (such as a spoke subscription's aliased provider).
   * @default - the stack's default azurerm provider
   */
  readonly provider?: AzurermProvider;
  /** Storage account name, such as `stbankprod01` (3-24 lowercase letters and digits, globally unique). */
  readonly accountName: string;
  /**
   * The network the blob and dfs private endpoints go in: its private endpoint subnet, its blob and
   * dfs DNS zones, and what data-plane access waits for (the zones' VNet links and the network's
   * line of sight to the deployment agents).
   * @default - none; give `privateEndpointSubnetId`, `blobDnsZoneId` and `dfsDnsZoneId`
   */
  readonly network?: ISecureNetwork;
  /**
   * Subnet that hosts the blob and dfs private endpoints.
   * @default - `network.privateEndpointSubnet.id`
   */
  readonly privateEndpointSubnetId?: string;
  /**
   * Private DNS zone `privatelink.blob.core.windows.net`.
   * @default - `network.privateDnsZoneIds.blob`
   */
  readonly blobDnsZoneId?: string;
  /**
   * Private DNS zone `privatelink.dfs.core.windows.net`.
   * @default - `network.privateDnsZoneIds.dfs`
   */
  readonly dfsDnsZoneId?: string;
  /**
   * More resources that data-plane access waits for, such as peerings or DNS links made
   * elsewhere when the network is not given.
   * @default - only the private endpoints and what `network` names
   */
  readonly dataPlaneDependencies?: ITerraformDependable[];
  /**
   * How the account replicates. Geo-redundant by default; a cheaper environment may choose LRS or
   * ZRS (its justification lives in that environment's config).
   * @default "RAGRS"
   */
  readonly replicationType?: ReplicationType;
  /**
   * Days a deleted or overwritten blob stays recoverable (1 to 365).
   * @default 30
   */
  readonly blobSoftDeleteDays?: number;
  /**
   * Days a deleted container stays recoverable (1 to 365).
   * @default 30
   */
  readonly containerSoftDeleteDays?: number;
  /**
   * Days after its last change that a landed file moves to the cool tier.
   * @default 30
   */
  readonly landingCoolAfterDays?: number;
  /**
   * Days after its last change that a landed file moves to the cold or archive tier; more than
   * `landingCoolAfterDays`.
   * @default 90
   */
  readonly landingColdAfterDays?: number;
  /**
   * Tier landed files end in. Archive is cheapest but Azure offers it only on LRS, GRS and RAGRS
   * accounts; zone-redundant accounts use Cold.
   * @default "Archive"
   */
  readonly landingColdTier?: LandingColdTier;
  /**
   * Principals that land the quarter's file (the person or pipeline that runs `lake land`):
   * Storage Blob Data Contributor on the landing container only, so the first file can be landed
   * without a manual role assignment, and nothing else in the lake can be written.
   * @default - none: the landing writer's role is assigned outside the stack
   */
  readonly landingWriters?: IAzurePrincipal[];
  /**
   * Encrypt the account with a customer-managed key instead of a Microsoft-managed one. Creates a
   * user-assigned identity, an HSM-backed key in the vault and the identity's role on that key;
   * the account is created only once that role has taken effect.
   * @default - Microsoft-managed keys (the environment's config justifies it)
   */
  readonly customerManagedKey?: LakeCustomerManagedKey;
  /**
   * Where the account's and blob service's logs and metrics go.
   * @default - no diagnostic settings
   */
  readonly observability?: IObservability;
  /**
   * Guard the account with `prevent_destroy` and a CanNotDelete lock.
   * @default true
   */
  readonly deletionProtection?: boolean;
}

/** Attributes of an existing ADLS Gen2 account for {@link LakeStorage.fromExisting}. */
export interface LakeStorageAttributes {
  /** Resource id of the storage account. */
  readonly accountId: string;
  /**
   * Account name.
   * @default - parsed from `accountId`
   */
  readonly accountName?: string;
  /**
   * Primary DFS endpoint.
   * @default - `https://<accountName>.dfs.core.windows.net/`
   */
  readonly dfsEndpoint?: string;
  /**
   * Primary blob endpoint.
   * @default - `https://<accountName>.blob.core.windows.net/`
   */
  readonly blobEndpoint?: string;
  /**
   * Names of the existing containers, by data area.
   * @default - each data area's own name (`landing`, `curated`, ...)
   */
  readonly containerNames?: Partial<Record<LakeContainerName, string>>;
  /**
   * The network whose line of sight (peerings, DNS links) data-plane access waits for.
   * @default - none
   */
  readonly network?: ISecureNetwork;
  /**
   * What data-plane access waits for, such as the account's private endpoints when made in this stack.
   * @default - nothing: the account's owner has made it reachable from the deployment agents
   */
  readonly dataPlaneDependencies?: ITerraformDependable[];
}

/** What the created and the imported lake share. */
abstract class LakeStorageBase extends Construct implements ILakeStorage {
  abstract readonly accountId: string;
  abstract readonly accountName: string;
  abstract readonly dfsEndpoint: string;
  abstract readonly blobEndpoint: string;
  abstract readonly containerNames: Readonly<Record<LakeContainerName, string>>;
  abstract readonly dataPlaneReady: readonly ITerraformDependable[];
  abstract readonly containerReady: Readonly<Record<LakeContainerName, readonly ITerraformDependable[]>>;
  abstract allowTrustedResource(resourceId: string, tenantId: string): void;

  grant(scope: Construct, id: string, principal: IAzurePrincipal, role: LakeRole): RoleAssignment {
    return grantRole(scope, id, { construct: "LakeStorage.grant", targetScope: this.accountId, principal, role, roles: LAKE_ROLES });
  }

  grantContainer(scope: Construct, id: string, principal: IAzurePrincipal, role: LakeDataRole, container: LakeContainerName, folder?: string): RoleAssignment {
    const assignment = grantRole(scope, id, {
      construct: "LakeStorage.grantContainer",
      targetScope: `${this.accountId}/blobServices/default/containers/${this.containerNames[container] ?? container}`,
      principal,
      role,
      roles: LAKE_DATA_ROLES,
    });
    if (folder !== undefined && folder !== "") {
      assignment.condition = blobPathCondition(role, folder);
      assignment.conditionVersion = "2.0";
    }
    return assignment;
  }

  abfssUri(container: LakeContainerName, path = ""): string {
    return `abfss://${this.containerNames[container] ?? container}@${this.accountName}.dfs.core.windows.net/${path}`;
  }
}

/**
 * The data lake: an ADLS Gen2 account (hierarchical namespace) with a container per data area,
 * lifecycle tiering of landed files, blob and dfs private endpoints, and every storage hardening
 * of the estate: TLS 1.2, HTTPS only, Entra ID only (shared keys and local users off), no public
 * network or anonymous access, a Deny network ACL, soft delete of blobs and containers,
 * infrastructure encryption, no cross-tenant replication, and geo-redundancy unless relaxed.
 */
export class LakeStorage extends LakeStorageBase {
  /**
   * An existing ADLS Gen2 account for the constructs that take an {@link ILakeStorage}. Nothing is
   * created; `grant` still creates role assignments, but `allowTrustedResource` cannot change the
   * account's network ACL and only records a warning saying what the owner must do.
   */
  static fromExisting(scope: Construct, id: string, attributes: LakeStorageAttributes): ILakeStorage {
    return new ImportedLakeStorage(scope, id, attributes);
  }

  readonly account: StorageAccount;
  readonly accountId: string;
  readonly accountName: string;
  readonly dfsEndpoint: string;
  readonly blobEndpoint: string;
  /** The containers, by data area. */
  readonly containers: Record<LakeContainerName, StorageContainer>;
  readonly containerNames: Readonly<Record<LakeContainerName, string>>;
  readonly containerReady: Readonly<Record<LakeContainerName, readonly ITerraformDependable[]>>;
  readonly dataPlaneReady: readonly ITerraformDependable[];
  private readonly trustedResources: Array<{ resourceId: string; tenantId: string }> = [];

  constructor(scope: Construct, id: string, props: LakeStorageProps) {
    super(scope, id);
    // The library is tested with, and its write-only arguments need, Terraform 1.11 or later.
    requireTerraformVersion(this);
    useAzurermProvider(this, props?.provider);
    props = props ?? ({} as LakeStorageProps);
    validate(this, props);
    register(this, props);
    const lifecycle = landingLifecycle(props);
    const subnetId = props.privateEndpointSubnetId ?? props.network?.privateEndpointSubnet.id ?? "";
    const encryption = props.customerManagedKey ? this.customerManagedKey(props, props.customerManagedKey) : undefined;

    this.account = new StorageAccount(this, "account", {
      name: props.accountName,
      resourceGroupName: props.resourceGroupName,
      location: props.location,
      accountKind: "StorageV2",
      accountTier: "Standard",
      accountReplicationType: props.replicationType ?? "RAGRS",
      accessTier: "Hot",
      isHnsEnabled: true,
      minTlsVersion: "TLS1_2",
      httpsTrafficOnlyEnabled: true,
      sharedAccessKeyEnabled: false,
      defaultToOauthAuthentication: true,
      localUserEnabled: false,
      sftpEnabled: false,
      publicNetworkAccessEnabled: false,
      allowNestedItemsToBePublic: false,
      crossTenantReplicationEnabled: false,
      infrastructureEncryptionEnabled: true,
      networkRules: {
        defaultAction: "Deny",
        bypass: ["AzureServices", "Logging", "Metrics"],
        // Filled by allowTrustedResource(), e.g. for the Databricks access connector.
        privateLinkAccess: Lazy.anyValue({
          produce: () =>
            this.trustedResources.length === 0
              ? undefined
              : this.trustedResources.map((r) => ({ endpoint_resource_id: r.resourceId, endpoint_tenant_id: r.tenantId })),
        }),
      },
      blobProperties: {
        deleteRetentionPolicy: { days: props.blobSoftDeleteDays ?? 30 },
        containerDeleteRetentionPolicy: { days: props.containerSoftDeleteDays ?? 30 },
      },
      identity: encryption ? { type: "UserAssigned", identityIds: [encryption.identity.id] } : undefined,
      customerManagedKey: encryption ? { keyVaultKeyId: encryption.keyVersionlessId, userAssignedIdentityId: encryption.identity.id } : undefined,
      // Azure checks that the identity can use the key when the account is created: wait for the
      // key, the identity's role on it and the role's propagation.
      dependsOn: encryption ? [encryption.key, encryption.keyAccess, encryption.keyAccessReady] : undefined,
      tags: props.tags,
    });
    requireArmOnlyStorage(this, "LakeStorage", props.provider);
    this.accountId = this.account.id;
    this.accountName = this.account.name;
    this.dfsEndpoint = this.account.primaryDfsEndpoint;
    this.blobEndpoint = this.account.primaryBlobEndpoint;

    // azurerm_storage_container with storage_account_id goes through the management plane (ARM),
    // not the blob endpoint, so it needs neither the private endpoints nor a data-plane role.
    const containers: Partial<Record<LakeContainerName, StorageContainer>> = {};
    for (const name of LAKE_CONTAINERS) {
      containers[name] = new StorageContainer(this, `${name}-container`, {
        name,
        storageAccountId: this.accountId,
        containerAccessType: "private",
      });
    }
    this.containers = containers as Record<LakeContainerName, StorageContainer>;
    (props.landingWriters ?? []).forEach((principal, index) => {
      notePrincipal(this, principal?.objectId, "lands files in the landing container");
      grantRole(this, `landing-writer-${index}`, {
        construct: "LakeStorage",
        targetScope: `${this.accountId}/blobServices/default/containers/${containers.landing?.name ?? LANDING_CONTAINER}`,
        principal,
        role: "Storage Blob Data Contributor",
        roles: ["Storage Blob Data Contributor"],
      });
    });
    this.containerNames = Object.fromEntries(LAKE_CONTAINERS.map((name) => [name, name])) as Record<LakeContainerName, string>;

    landingTiering(this, this.accountId, LANDING_CONTAINER, lifecycle);

    const endpoints: ITerraformDependable[] = [];
    const zonesReady: ITerraformDependable[] = [];
    for (const [subresource, zoneId] of [
      ["blob", props.blobDnsZoneId ?? props.network?.privateDnsZoneIds.blob],
      ["dfs", props.dfsDnsZoneId ?? props.network?.privateDnsZoneIds.dfs],
    ] as const) {
      const zoneReady = props.network?.privateDnsZoneReady[subresource] ?? [];
      zonesReady.push(...zoneReady);
      endpoints.push(
        privateEndpoint(this, `${subresource}-private-endpoint`, {
          name: `pe-${props.accountName}-${subresource}`,
          resourceGroupName: props.resourceGroupName,
          location: props.location,
          tags: props.tags,
          subnetId,
          targetResourceId: this.accountId,
          subresource,
          privateDnsZoneId: zoneId ?? "",
          dependsOn: [...zoneReady],
        }),
      );
    }
    // Any storage data-plane resource (a blob, a path, an ACL) waits for all of these.
    this.dataPlaneReady = [...endpoints, ...zonesReady, ...(props.network?.lineOfSight ?? []), ...(props.dataPlaneDependencies ?? [])];
    this.containerReady = Object.fromEntries(LAKE_CONTAINERS.map((name) => [name, [this.containers[name]]])) as unknown as Record<
      LakeContainerName,
      readonly ITerraformDependable[]
    >;

    // Account-level settings emit metrics only; the blob service carries the access logs.
    props.observability?.diagnose(this, "account-diagnostics", this.accountId, { logs: false, metrics: true });
    props.observability?.diagnose(this, "blob-diagnostics", `${this.accountId}/blobServices/default`, { logs: true, metrics: true });
    // The lake uses no queues, but any queue access is still logged (the CKV_AZURE_33 control).
    props.observability?.diagnose(this, "queue-diagnostics", `${this.accountId}/queueServices/default`, { logs: true, metrics: true });
    if (props.deletionProtection ?? true) protectFromDeletion(this, this.account, "data lake");
  }

  /** The identity, key, role assignment and propagation wait behind customer-managed encryption. */
  private customerManagedKey(props: LakeStorageProps, options: LakeCustomerManagedKey) {
    const identity = new UserAssignedIdentity(this, "encryption-identity", {
      name: `id-${props.accountName}-cmk`,
      resourceGroupName: props.resourceGroupName,
      location: props.location,
      tags: props.tags,
    });
    const key = options.secretStore.addKey(this, "encryption-key", { name: options.keyName ?? `cmk-${props.accountName}`, expirationDate: options.keyExpirationDate });
    const keyAccess = new RoleAssignment(this, "encryption-key-access", {
      scope: key.resourceVersionlessId,
      principalId: identity.principalId,
      principalType: "ServicePrincipal",
      roleDefinitionName: "Key Vault Crypto Service Encryption User",
    });
    const keyAccessReady = propagationWait(this, "encryption-key-access-propagation", [keyAccess], { role_assignment_id: keyAccess.id });
    // The versionless id lets the account follow each automatic rotation of the key.
    return { identity, key, keyVersionlessId: key.versionlessId, keyAccess, keyAccessReady };
  }

  /**
   * Lets an Azure resource with a managed identity (such as a Databricks access connector) reach
   * the account through the network ACL as a trusted resource instance.
   */
  allowTrustedResource(resourceId: string, tenantId: string): void {
    this.trustedResources.push({ resourceId, tenantId });
  }
}

/** An existing account, imported by {@link LakeStorage.fromExisting}. */
class ImportedLakeStorage extends LakeStorageBase {
  readonly accountId: string;
  readonly accountName: string;
  readonly dfsEndpoint: string;
  readonly blobEndpoint: string;
  readonly containerNames: Readonly<Record<LakeContainerName, string>>;
  readonly containerReady: Readonly<Record<LakeContainerName, readonly ITerraformDependable[]>>;
  readonly dataPlaneReady: readonly ITerraformDependable[];

  constructor(scope: Construct, id: string, attributes: LakeStorageAttributes) {
    super(scope, id);
    attributes = attributes ?? ({} as LakeStorageAttributes);
    const v = new PropValidator("LakeStorage.fromExisting", this.node.path);
    v.required("accountId", attributes.accountId, "the storage account's resource id");
    checkResourceId(v, "accountId", attributes.accountId, "storageAccount");
    checkName(v, "accountName", attributes.accountName, NAME_RULES.storageAccount);
    for (const [area, name] of Object.entries(attributes.containerNames ?? {})) {
      if (!(LAKE_CONTAINERS as readonly string[]).includes(area)) v.fail(`containerNames.${area}`, area, `a data area of ${LAKE_CONTAINERS.join(", ")}`);
      v.matches(`containerNames.${area}`, name, /^(?!.*--)[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/, "3-63 lowercase letters, digits and single hyphens");
    }
    checkImportedAccount(v, attributes);
    v.report(this);
    this.accountId = attributes.accountId ?? "";
    this.accountName = attributes.accountName ?? idSegment(this.accountId, ID_SEGMENT.name);
    this.dfsEndpoint = attributes.dfsEndpoint ?? `https://${this.accountName}.dfs.core.windows.net/`;
    this.blobEndpoint = attributes.blobEndpoint ?? `https://${this.accountName}.blob.core.windows.net/`;
    this.containerNames = Object.fromEntries(LAKE_CONTAINERS.map((area) => [area, attributes.containerNames?.[area] ?? area])) as Record<LakeContainerName, string>;
    this.dataPlaneReady = [...(attributes.network?.lineOfSight ?? []), ...(attributes.dataPlaneDependencies ?? [])];
    this.containerReady = Object.fromEntries(LAKE_CONTAINERS.map((area) => [area, this.dataPlaneReady])) as unknown as Record<LakeContainerName, readonly ITerraformDependable[]>;
  }

  /** An imported account's network ACL belongs to its owner: records what they must add. */
  allowTrustedResource(resourceId: string, tenantId: string): void {
    Annotations.of(this).addWarning(
      `LakeStorage ${this.node.path} is imported, so this stack cannot change its network ACL. ` +
        `Ask the account's owner to add a resource instance rule for ${resourceId} (tenant ${tenantId}) to storage account ${this.accountName}, ` +
        `e.g. az storage account network-rule add --account-name ${this.accountName} --resource-id ${resourceId} --tenant-id ${tenantId}; until then that resource cannot reach the account.`,
    );
  }
}

function validate(scope: Construct, props: LakeStorageProps): void {
  const v = new PropValidator("LakeStorage", scope.node.path);
  checkProviderType(v, scope, "provider", props.provider, "azurerm");
  checkPlacement(v, props, { nameMaxLength: STORAGE_ACCOUNT_TAG_NAME_MAX_LENGTH, holder: "a storage account" });
  v.required("accountName", props.accountName, NAME_RULES.storageAccount.rule);
  checkName(v, "accountName", props.accountName, NAME_RULES.storageAccount);
  if (typeof props.accountName === "string") {
    for (const subresource of ["blob", "dfs"]) checkPrivateEndpointName(v, "accountName", `pe-${props.accountName}-${subresource}`, props.accountName);
  }
  requiredUnlessFromNetwork(v, "privateEndpointSubnetId", props.privateEndpointSubnetId, props.network, props.network?.privateEndpointSubnet.id, "a subnet id for the private endpoints, or a network");
  requiredUnlessFromNetwork(v, "blobDnsZoneId", props.blobDnsZoneId, props.network, props.network?.privateDnsZoneIds.blob, "the id of the privatelink.blob.core.windows.net zone, or a network");
  requiredUnlessFromNetwork(v, "dfsDnsZoneId", props.dfsDnsZoneId, props.network, props.network?.privateDnsZoneIds.dfs, "the id of the privatelink.dfs.core.windows.net zone, or a network");
  checkResourceId(v, "privateEndpointSubnetId", props.privateEndpointSubnetId, "subnet");
  checkResourceId(v, "blobDnsZoneId", props.blobDnsZoneId, "privateDnsZone");
  checkResourceId(v, "dfsDnsZoneId", props.dfsDnsZoneId, "privateDnsZone");
  checkDnsZoneSlot(v, "blobDnsZoneId", props.blobDnsZoneId, "blob");
  checkDnsZoneSlot(v, "dfsDnsZoneId", props.dfsDnsZoneId, "dfs");
  v.oneOf("replicationType", props.replicationType, REPLICATION_TYPES);
  if (props.customerManagedKey !== undefined) {
    v.required("customerManagedKey.secretStore", props.customerManagedKey?.secretStore, "the premium vault that holds the key");
    v.required("customerManagedKey.keyExpirationDate", props.customerManagedKey?.keyExpirationDate, "an RFC 3339 UTC timestamp in the future, such as 2027-06-30T00:00:00Z");
    checkExpiry(v, "customerManagedKey.keyExpirationDate", props.customerManagedKey?.keyExpirationDate);
  }
  v.range("blobSoftDeleteDays", props.blobSoftDeleteDays, 1, 365);
  v.range("containerSoftDeleteDays", props.containerSoftDeleteDays, 1, 365);
  checkLandingLifecycle(v, props, props.replicationType ?? "RAGRS");
  v.report(scope);
}

/** What the stack-wide pass needs to know of it (names, network, placement), registered as it is constructed. */
function register(scope: Construct, props: LakeStorageProps): void {
  claimName(scope, { kind: "storageAccount", name: props.accountName, construct: "LakeStorage", prop: "accountName", value: props.accountName });
  placeInNetwork(scope, { construct: "LakeStorage", location: props.location, network: props.network, subnetIds: [props.privateEndpointSubnetId], because: "its private endpoints go in a VNet of their own region" });
  requireNetworkSubscription(scope, { construct: "LakeStorage", kind: "private-endpoint", provider: props.provider, network: props.network, subnetId: props.privateEndpointSubnetId, subnetProp: "privateEndpointSubnetId", because: PRIVATE_ENDPOINT_SUBSCRIPTION_RULE });
}

/** An imported account's attributes agree: the name is the id's last segment, the endpoints the account's own. */
function checkImportedAccount(v: PropValidator, attributes: LakeStorageAttributes): void {
  const { accountId, accountName } = attributes;
  const idName =
    typeof accountId === "string" && !isUnresolved(accountId) && /\/providers\/Microsoft\.Storage\/storageAccounts\/[^/]+$/i.test(accountId) ? accountId.slice(accountId.lastIndexOf("/") + 1) : undefined;
  if (idName !== undefined && typeof accountName === "string" && !isUnresolved(accountName) && accountName.toLowerCase() !== idName.toLowerCase()) {
    v.fail("accountName", accountName, `the account accountId names, "${idName}" (or leave accountName unset: it is parsed from accountId)`);
  }
  const name = typeof accountName === "string" && !isUnresolved(accountName) ? accountName : idName;
  for (const [prop, service] of [["dfsEndpoint", "dfs"], ["blobEndpoint", "blob"]] as const) {
    const endpoint = attributes[prop];
    if (typeof endpoint !== "string" || isUnresolved(endpoint)) continue;
    const match = new RegExp(`^https://([a-z0-9]+)\\.${service}\\.core\\.windows\\.net/?$`).exec(endpoint);
    const expected = `https://${name ?? "<account>"}.${service}.core.windows.net/`;
    if (!match) v.fail(prop, endpoint, `the account's ${service} endpoint, such as ${expected} (or leave it unset)`);
    else if (name !== undefined && match[1] !== name.toLowerCase()) v.fail(prop, endpoint, `the ${service} endpoint of account ${name}, ${expected} (or leave it unset)`);
  }
}
