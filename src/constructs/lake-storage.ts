import { Construct } from "constructs";
import { Lazy } from "cdktf";
import { RoleAssignment } from "@cdktf/provider-azurerm/lib/role-assignment";
import { StorageAccount } from "@cdktf/provider-azurerm/lib/storage-account";
import { StorageContainer } from "@cdktf/provider-azurerm/lib/storage-container";
import { StorageManagementPolicy } from "@cdktf/provider-azurerm/lib/storage-management-policy";
import { UserAssignedIdentity } from "@cdktf/provider-azurerm/lib/user-assigned-identity";
import { protectFromDeletion } from "./deletion-protection";
import { Observability } from "./observability";
import { Placement } from "./placement";
import { privateEndpoint } from "./private-endpoint";
import { SecretStore } from "./secret-store";
import { isRfc3339Utc, NAME_RULES, PropValidator } from "./validation";

export const REPLICATION_TYPES = ["LRS", "ZRS", "GRS", "RAGRS", "GZRS", "RAGZRS"] as const;
export type ReplicationType = (typeof REPLICATION_TYPES)[number];
/** Replication types that keep a copy in the paired region (CIS 9.3.11, CKV_AZURE_206). */
export const GEO_REDUNDANT_REPLICATION: readonly ReplicationType[] = ["GRS", "RAGRS", "GZRS", "RAGZRS"];
/** Azure offers no archive tier on zone-redundant accounts. */
const ZONE_REDUNDANT_REPLICATION: readonly ReplicationType[] = ["ZRS", "GZRS", "RAGZRS"];

export const LANDING_COLD_TIERS = ["Archive", "Cold"] as const;
export type LandingColdTier = (typeof LANDING_COLD_TIERS)[number];

/** The lake's containers: one per data area of the data contract, plus the Unity Catalog root. */
export const LAKE_CONTAINERS = ["landing", "curated", "features", "quarantine", "catalog"] as const;
export type LakeContainerName = (typeof LAKE_CONTAINERS)[number];

/** Data-plane roles a principal can be granted on the lake. */
export const LAKE_ROLES = ["Storage Blob Data Reader", "Storage Blob Data Contributor", "Storage Blob Data Owner", "Storage Queue Data Contributor"] as const;
export type LakeRole = (typeof LAKE_ROLES)[number];

/** Encryption of the lake with a key the estate holds (CKV2_AZURE_1, CIS 9.x). */
export interface LakeCustomerManagedKey {
  /** Premium vault that holds the HSM-backed key; the account reaches it as a trusted service. */
  readonly secretStore: SecretStore;
  /** When the first key version expires, RFC 3339 UTC; Azure rotates it 30 days before. */
  readonly keyExpirationDate: string;
}

export interface LakeStorageProps extends Placement {
  /** Storage account name, such as `stbankprod01` (3-24 lowercase letters and digits, globally unique). */
  readonly accountName: string;
  /** Subnet that hosts the blob and dfs private endpoints. */
  readonly privateEndpointSubnetId: string;
  /** Private DNS zone `privatelink.blob.core.windows.net`. */
  readonly blobDnsZoneId: string;
  /** Private DNS zone `privatelink.dfs.core.windows.net`. */
  readonly dfsDnsZoneId: string;
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
   * Encrypt the account with a customer-managed key instead of a Microsoft-managed one. Creates a
   * user-assigned identity, an HSM-backed key in the vault and the identity's role on that key.
   * @default - Microsoft-managed keys (the environment's config justifies it)
   */
  readonly customerManagedKey?: LakeCustomerManagedKey;
  /**
   * Where the account's and blob service's logs and metrics go.
   * @default - no diagnostic settings
   */
  readonly observability?: Observability;
  /**
   * Guard the account with `prevent_destroy` and a CanNotDelete lock.
   * @default true
   */
  readonly deletionProtection?: boolean;
}

/**
 * The data lake: an ADLS Gen2 account (hierarchical namespace) with a container per data area,
 * lifecycle tiering of landed files, blob and dfs private endpoints, and every storage hardening
 * of the estate: TLS 1.2, HTTPS only, Entra ID only (shared keys and local users off), no public
 * network or anonymous access, a Deny network ACL, soft delete of blobs and containers,
 * infrastructure encryption, no cross-tenant replication, and geo-redundancy unless relaxed.
 */
export class LakeStorage extends Construct {
  readonly account: StorageAccount;
  /** Resource id of the account. */
  readonly accountId: string;
  /** Account name. */
  readonly accountName: string;
  /** Primary DFS endpoint, such as `https://stbankprod01.dfs.core.windows.net/`. */
  readonly dfsEndpoint: string;
  /** Primary blob endpoint, such as `https://stbankprod01.blob.core.windows.net/`. */
  readonly blobEndpoint: string;
  /** The containers, by data area. */
  readonly containers: Record<LakeContainerName, StorageContainer>;
  private readonly trustedResources: Array<{ resourceId: string; tenantId: string }> = [];

  constructor(scope: Construct, id: string, props: LakeStorageProps) {
    super(scope, id);
    validate(this.node.path, props);
    const coolAfter = props.landingCoolAfterDays ?? 30;
    const coldAfter = props.landingColdAfterDays ?? 90;
    const coldTier = props.landingColdTier ?? "Archive";
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
      // Azure checks that the identity can use the key when the account is created.
      dependsOn: encryption ? [encryption.keyAccess] : undefined,
      tags: props.tags,
    });
    this.accountId = this.account.id;
    this.accountName = this.account.name;
    this.dfsEndpoint = this.account.primaryDfsEndpoint;
    this.blobEndpoint = this.account.primaryBlobEndpoint;

    const containers: Partial<Record<LakeContainerName, StorageContainer>> = {};
    for (const name of LAKE_CONTAINERS) {
      containers[name] = new StorageContainer(this, `${name}-container`, {
        name,
        storageAccountId: this.accountId,
        containerAccessType: "private",
      });
    }
    this.containers = containers as Record<LakeContainerName, StorageContainer>;

    new StorageManagementPolicy(this, "lifecycle", {
      storageAccountId: this.accountId,
      rule: [
        {
          name: "landing-tiering",
          enabled: true,
          filters: { blobTypes: ["blockBlob"], prefixMatch: ["landing/"] },
          actions: {
            baseBlob: {
              tierToCoolAfterDaysSinceModificationGreaterThan: coolAfter,
              tierToArchiveAfterDaysSinceModificationGreaterThan: coldTier === "Archive" ? coldAfter : undefined,
              tierToColdAfterDaysSinceModificationGreaterThan: coldTier === "Cold" ? coldAfter : undefined,
            },
          },
        },
      ],
    });

    for (const [subresource, zoneId] of [
      ["blob", props.blobDnsZoneId],
      ["dfs", props.dfsDnsZoneId],
    ] as const) {
      privateEndpoint(this, `${subresource}-private-endpoint`, {
        name: `pe-${props.accountName}-${subresource}`,
        resourceGroupName: props.resourceGroupName,
        location: props.location,
        tags: props.tags,
        subnetId: props.privateEndpointSubnetId,
        targetResourceId: this.accountId,
        subresource,
        privateDnsZoneId: zoneId,
      });
    }

    // Account-level settings emit metrics only; the blob service carries the access logs.
    props.observability?.diagnose(this, "account-diagnostics", this.accountId, { logs: false, metrics: true });
    props.observability?.diagnose(this, "blob-diagnostics", `${this.accountId}/blobServices/default`, { logs: true, metrics: true });
    // The lake uses no queues, but any queue access is still logged (the CKV_AZURE_33 control).
    props.observability?.diagnose(this, "queue-diagnostics", `${this.accountId}/queueServices/default`, { logs: true, metrics: true });
    if (props.deletionProtection ?? true) protectFromDeletion(this, this.account, "data lake");
  }

  /** The identity, key and role assignment behind customer-managed encryption. */
  private customerManagedKey(props: LakeStorageProps, options: LakeCustomerManagedKey) {
    const identity = new UserAssignedIdentity(this, "encryption-identity", {
      name: `id-${props.accountName}-cmk`,
      resourceGroupName: props.resourceGroupName,
      location: props.location,
      tags: props.tags,
    });
    const key = options.secretStore.addKey(`${props.accountName}-cmk`, { name: `cmk-${props.accountName}`, expirationDate: options.keyExpirationDate });
    const keyAccess = new RoleAssignment(this, "encryption-key-access", {
      scope: key.resourceVersionlessId,
      principalId: identity.principalId,
      roleDefinitionName: "Key Vault Crypto Service Encryption User",
    });
    // The versionless id lets the account follow each automatic rotation of the key.
    return { identity, keyVersionlessId: key.versionlessId, keyAccess };
  }

  /**
   * Lets an Azure resource with a managed identity (such as a Databricks access connector) reach
   * the account through the network ACL as a trusted resource instance.
   */
  allowTrustedResource(resourceId: string, tenantId: string): void {
    this.trustedResources.push({ resourceId, tenantId });
  }

  /** Grants a principal a data-plane role on the whole account. */
  grant(id: string, principalId: string, role: LakeRole): RoleAssignment {
    const v = new PropValidator("LakeStorage.grant", `${this.node.path}/${id}`);
    v.oneOf("role", role, LAKE_ROLES);
    v.throwIfInvalid();
    return new RoleAssignment(this, id, { scope: this.accountId, principalId, roleDefinitionName: role });
  }

  /** The `abfss://` URI of a container (and optional path), as Spark and Unity Catalog use it. */
  abfssUri(container: LakeContainerName, path = ""): string {
    return `abfss://${container}@${this.accountName}.dfs.core.windows.net/${path}`;
  }
}

function validate(path: string, props: LakeStorageProps): void {
  const v = new PropValidator("LakeStorage", path);
  v.required("accountName", props.accountName, NAME_RULES.storageAccount.rule);
  v.matches("accountName", props.accountName, NAME_RULES.storageAccount.pattern, NAME_RULES.storageAccount.rule);
  v.oneOf("replicationType", props.replicationType, REPLICATION_TYPES);
  v.oneOf("landingColdTier", props.landingColdTier, LANDING_COLD_TIERS);
  v.check("customerManagedKey.keyExpirationDate", props.customerManagedKey?.keyExpirationDate, isRfc3339Utc, "an RFC 3339 UTC timestamp such as 2027-06-30T00:00:00Z");
  v.range("blobSoftDeleteDays", props.blobSoftDeleteDays, 1, 365);
  v.range("containerSoftDeleteDays", props.containerSoftDeleteDays, 1, 365);
  v.range("landingCoolAfterDays", props.landingCoolAfterDays, 0, 99999);
  v.range("landingColdAfterDays", props.landingColdAfterDays, 0, 99999);
  const coolAfter = props.landingCoolAfterDays ?? 30;
  const coldAfter = props.landingColdAfterDays ?? 90;
  if (coldAfter <= coolAfter) {
    v.fail("landingColdAfterDays", coldAfter, `more days than landingCoolAfterDays (${coolAfter})`);
  }
  const replication = props.replicationType ?? "RAGRS";
  if ((props.landingColdTier ?? "Archive") === "Archive" && ZONE_REDUNDANT_REPLICATION.includes(replication)) {
    v.fail("landingColdTier", "Archive", `"Cold" with replicationType ${replication}: Azure offers the archive tier only on LRS, GRS and RAGRS accounts`);
  }
  v.throwIfInvalid();
}
