import { Construct } from "constructs";
import { Annotations, ITerraformDependable } from "cdktf";
import { KeyVault } from "@cdktf/provider-azurerm/lib/key-vault";
import { KeyVaultKey } from "@cdktf/provider-azurerm/lib/key-vault-key";
import { KeyVaultSecret } from "@cdktf/provider-azurerm/lib/key-vault-secret";
import { RoleAssignment } from "@cdktf/provider-azurerm/lib/role-assignment";
import { protectFromDeletion } from "./deletion-protection";
import { Observability } from "./observability";
import { Placement } from "./placement";
import { privateEndpoint } from "./private-endpoint";
import { isRfc3339Utc, NAME_RULES, PropValidator } from "./validation";

export const KEY_VAULT_SKUS = ["standard", "premium"] as const;
export type KeyVaultSku = (typeof KEY_VAULT_SKUS)[number];

/** Built-in data-plane roles a principal can be granted on the vault. */
export const KEY_VAULT_ROLES = [
  "Key Vault Secrets User",
  "Key Vault Secrets Officer",
  "Key Vault Reader",
  "Key Vault Crypto User",
  "Key Vault Crypto Officer",
  "Key Vault Crypto Service Encryption User",
  "Key Vault Administrator",
] as const;
export type KeyVaultRole = (typeof KEY_VAULT_ROLES)[number];

export interface SecretStoreProps extends Placement {
  /** Key Vault name, such as `kv-bank-prod-01` (3-24 characters, globally unique). */
  readonly vaultName: string;
  /** Entra ID tenant that the vault trusts. */
  readonly tenantId: string;
  /** Subnet that hosts the vault's private endpoint. */
  readonly privateEndpointSubnetId: string;
  /** Private DNS zone `privatelink.vaultcore.azure.net` linked to the VNet. */
  readonly privateDnsZoneId: string;
  /**
   * Key Vault SKU; `premium` adds HSM-backed keys.
   * @default "standard"
   */
  readonly skuName?: KeyVaultSku;
  /**
   * Days a deleted vault or secret stays recoverable (7 to 90). Purge protection is always on.
   * @default 90
   */
  readonly softDeleteRetentionDays?: number;
  /**
   * Principals that manage secrets (Key Vault Secrets Officer), usually the deploying identity,
   * which writes the generated PostgreSQL credential.
   * @default - none
   */
  readonly secretsOfficerPrincipalIds?: string[];
  /**
   * Where the vault's audit logs and metrics go.
   * @default - no diagnostic settings
   */
  readonly observability?: Observability;
  /**
   * Guard the vault with `prevent_destroy` and a CanNotDelete lock.
   * @default true
   */
  readonly deletionProtection?: boolean;
}

/** A secret to store: either a plain value or a write-only value that never enters state. */
export interface SecretOptions {
  /** Secret name (1-127 characters, letters, digits and hyphens). */
  readonly name: string;
  /** What the value is, such as `text/plain` or `application/x-postgres-password` (CKV_AZURE_114). */
  readonly contentType: string;
  /** When the secret expires, RFC 3339 UTC such as `2027-06-30T00:00:00Z` (CKV_AZURE_41, CIS 8.3.x). */
  readonly expirationDate: string;
  /**
   * A value that is not sensitive enough to keep out of state, such as a login name.
   * @default - none; give exactly one of `value` and `writeOnlyValue`
   */
  readonly value?: string;
  /**
   * A sensitive value, sent as the write-only `value_wo` so Terraform never stores it.
   * @default - none; give exactly one of `value` and `writeOnlyValue`
   */
  readonly writeOnlyValue?: string;
  /**
   * Version of the write-only value; bump it to send a new value.
   * @default 1
   */
  readonly writeOnlyValueVersion?: number;
}

/** RSA key sizes an HSM-backed key may have. */
export const KEY_SIZES = [2048, 3072, 4096] as const;

/** A customer-managed encryption key to create in the vault. */
export interface KeyOptions {
  /** Key name (1-127 characters, letters, digits and hyphens). */
  readonly name: string;
  /**
   * When the first key version expires, RFC 3339 UTC (CKV_AZURE_40, CIS 8.3.1). Azure rotates the
   * key 30 days before each expiry, so Terraform ignores later changes to this date.
   */
  readonly expirationDate: string;
  /**
   * How long each rotated key version lives, as an ISO 8601 duration of months or years.
   * @default "P1Y"
   */
  readonly versionLifetime?: string;
  /**
   * RSA key size in bits.
   * @default 3072
   */
  readonly keySize?: number;
}

/**
 * A Key Vault for the estate's secrets: RBAC authorization (no access policies), purge
 * protection and soft delete, public network access off with a Deny ACL, reachable only through
 * its private endpoint, with audit logs to Log Analytics.
 */
export class SecretStore extends Construct {
  readonly vault: KeyVault;
  /** Resource id of the vault. */
  readonly vaultId: string;
  /** Vault name. */
  readonly vaultName: string;
  /** Vault URI, such as `https://kv-bank-prod-01.vault.azure.net/`. */
  readonly vaultUri: string;
  private readonly officerAssignments: ITerraformDependable[] = [];
  private readonly cryptoOfficerAssignments: ITerraformDependable[] = [];
  private readonly officerPrincipalIds: string[];
  /** Vault SKU; customer-managed keys need "premium". */
  readonly skuName: KeyVaultSku;

  constructor(scope: Construct, id: string, props: SecretStoreProps) {
    super(scope, id);
    const v = new PropValidator("SecretStore", this.node.path);
    v.required("vaultName", props.vaultName, NAME_RULES.keyVault.rule);
    v.matches("vaultName", props.vaultName, NAME_RULES.keyVault.pattern, NAME_RULES.keyVault.rule);
    v.required("tenantId", props.tenantId, "the Entra ID tenant id the vault trusts");
    v.oneOf("skuName", props.skuName, KEY_VAULT_SKUS);
    v.range("softDeleteRetentionDays", props.softDeleteRetentionDays, 7, 90);
    v.throwIfInvalid();
    this.skuName = props.skuName ?? "standard";
    this.officerPrincipalIds = props.secretsOfficerPrincipalIds ?? [];

    this.vault = new KeyVault(this, "vault", {
      name: props.vaultName,
      resourceGroupName: props.resourceGroupName,
      location: props.location,
      tenantId: props.tenantId,
      skuName: this.skuName,
      rbacAuthorizationEnabled: true,
      purgeProtectionEnabled: true,
      softDeleteRetentionDays: props.softDeleteRetentionDays ?? 90,
      publicNetworkAccessEnabled: false,
      networkAcls: { defaultAction: "Deny", bypass: "AzureServices" },
      tags: props.tags,
    });
    this.vaultId = this.vault.id;
    this.vaultName = this.vault.name;
    this.vaultUri = this.vault.vaultUri;

    privateEndpoint(this, "private-endpoint", {
      name: `pe-${props.vaultName}`,
      resourceGroupName: props.resourceGroupName,
      location: props.location,
      tags: props.tags,
      subnetId: props.privateEndpointSubnetId,
      targetResourceId: this.vaultId,
      subresource: "vault",
      privateDnsZoneId: props.privateDnsZoneId,
    });
    props.observability?.diagnose(this, "diagnostics", this.vaultId, { logs: true, metrics: true });
    if (props.deletionProtection ?? true) protectFromDeletion(this, this.vault, "estate's secrets");

    this.officerPrincipalIds.forEach((principalId, index) => {
      this.officerAssignments.push(this.grant(`secrets-officer-${index}`, principalId, "Key Vault Secrets Officer"));
    });
  }

  /** Grants a principal a data-plane role on this vault. */
  grant(id: string, principalId: string, role: KeyVaultRole): RoleAssignment {
    const v = new PropValidator("SecretStore.grant", `${this.node.path}/${id}`);
    v.oneOf("role", role, KEY_VAULT_ROLES);
    v.throwIfInvalid();
    return new RoleAssignment(this, id, { scope: this.vaultId, principalId, roleDefinitionName: role });
  }

  /** Lets a principal read secret values (Key Vault Secrets User). */
  grantReadSecrets(id: string, principalId: string): RoleAssignment {
    return this.grant(id, principalId, "Key Vault Secrets User");
  }

  /** Stores a secret with an expiry and a content type. */
  addSecret(id: string, options: SecretOptions): KeyVaultSecret {
    const v = new PropValidator("SecretStore.addSecret", `${this.node.path}/${id}`);
    v.matches("name", options.name, /^[a-zA-Z0-9-]{1,127}$/, "1-127 characters, letters, digits and hyphens");
    v.check("contentType", options.contentType, (type) => type.trim().length > 0, "a non-empty content type such as text/plain");
    v.check("expirationDate", options.expirationDate, isRfc3339Utc, "an RFC 3339 UTC timestamp such as 2027-06-30T00:00:00Z");
    if ((options.value === undefined) === (options.writeOnlyValue === undefined)) {
      v.fail("value", options.value === undefined ? "(neither)" : "(both)", "exactly one of value and writeOnlyValue");
    }
    v.range("writeOnlyValueVersion", options.writeOnlyValueVersion, 1, Number.MAX_SAFE_INTEGER);
    v.throwIfInvalid();
    if (isRfc3339Utc(options.expirationDate) && Date.parse(options.expirationDate) < Date.now()) {
      Annotations.of(this).addWarning(`Secret ${options.name} expired on ${options.expirationDate}; set a later expirationDate and rotate it.`);
    }

    const writeOnly = options.writeOnlyValue !== undefined;
    return new KeyVaultSecret(this, id, {
      name: options.name,
      keyVaultId: this.vaultId,
      contentType: options.contentType,
      expirationDate: options.expirationDate,
      value: writeOnly ? undefined : options.value,
      valueWo: writeOnly ? options.writeOnlyValue : undefined,
      valueWoVersion: writeOnly ? (options.writeOnlyValueVersion ?? 1) : undefined,
      // The data-plane write needs the officer role to exist first.
      dependsOn: this.officerAssignments,
    });
  }

  /**
   * Creates an HSM-backed RSA key (CKV_AZURE_112) with an expiry (CKV_AZURE_40) and a rotation
   * policy that renews it 30 days before each expiry, for customer-managed encryption. The vault
   * must be premium. The officer principals get Key Vault Crypto Officer to manage it.
   */
  addKey(id: string, options: KeyOptions): KeyVaultKey {
    const v = new PropValidator("SecretStore.addKey", `${this.node.path}/${id}`);
    v.matches("name", options.name, /^[a-zA-Z0-9-]{1,127}$/, "1-127 characters, letters, digits and hyphens");
    v.check("expirationDate", options.expirationDate, isRfc3339Utc, "an RFC 3339 UTC timestamp such as 2027-06-30T00:00:00Z");
    v.matches("versionLifetime", options.versionLifetime, /^P([1-9][0-9]?M|[1-9]Y)$/, "an ISO 8601 duration of months or years from P2M (rotation happens 30 days before expiry), such as P1Y");
    v.check("versionLifetime", options.versionLifetime, (lifetime) => lifetime !== "P1M", "at least P2M, so the rotation 30 days before expiry has room");
    v.check("keySize", options.keySize, (size) => (KEY_SIZES as readonly number[]).includes(size), `one of ${KEY_SIZES.join(", ")}`);
    if (this.skuName !== "premium") {
      v.fail("skuName", this.skuName, '"premium" on the vault: customer-managed keys are HSM-backed (CKV_AZURE_112), which only premium vaults offer');
    }
    v.throwIfInvalid();

    if (this.cryptoOfficerAssignments.length === 0) {
      this.officerPrincipalIds.forEach((principalId, index) => {
        this.cryptoOfficerAssignments.push(this.grant(`crypto-officer-${index}`, principalId, "Key Vault Crypto Officer"));
      });
    }
    return new KeyVaultKey(this, id, {
      name: options.name,
      keyVaultId: this.vaultId,
      keyType: "RSA-HSM",
      keySize: options.keySize ?? 3072,
      keyOpts: ["wrapKey", "unwrapKey"],
      expirationDate: options.expirationDate,
      rotationPolicy: {
        expireAfter: options.versionLifetime ?? "P1Y",
        notifyBeforeExpiry: "P30D",
        automatic: { timeBeforeExpiry: "P30D" },
      },
      // Each automatic rotation moves the expiry on; Terraform must not move it back.
      lifecycle: { ignoreChanges: ["expiration_date"] },
      dependsOn: this.cryptoOfficerAssignments,
    });
  }
}
