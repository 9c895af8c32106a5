import { Construct, IConstruct } from "constructs";
import { ITerraformDependable, TerraformResource } from "cdktf";
import { AzurermProvider } from "@cdktf/provider-azurerm/lib/provider";
import { KeyVault } from "@cdktf/provider-azurerm/lib/key-vault";
import { KeyVaultKey } from "@cdktf/provider-azurerm/lib/key-vault-key";
import { KeyVaultSecret } from "@cdktf/provider-azurerm/lib/key-vault-secret";
import { RoleAssignment } from "@cdktf/provider-azurerm/lib/role-assignment";
import { protectFromDeletion } from "../core/deletion-protection";
import { EphemeralPassword, EphemeralResource, plansWithoutSecrets, TerraformData } from "../core/ephemeral";
import { IObservability } from "../monitoring/observability";
import { checkPlacement, Placement } from "../core/placement";
import { checkObjectId, grantRole, IAzurePrincipal } from "../core/principal";
import { checkPrivateEndpointName, privateEndpoint } from "../network/private-endpoint";
import { checkResourceId, ID_SEGMENT, idSegment } from "../core/resource-id";
import { checkDnsZoneSlot, ISecureNetwork } from "../network/secure-network";
import { claimName, placeInNetwork, requiredUnlessFromNetwork } from "../core/consistency";
import { checkProviderType } from "../core/provider-setup";
import { PRIVATE_ENDPOINT_SUBSCRIPTION_RULE, requireNetworkSubscription } from "../core/subscription-placement";
import { propagationWait } from "../core/time-provider";
import { checkExpiry, checkName, checkSecretIsToken, isUnresolved, NAME_RULES, PropValidator } from "../core/validation";
import { requireTerraformVersion } from "../core/terraform-requirements";
import { useAzurermProvider } from "../core/providers";

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

/**
 * A vault other constructs keep secrets and keys in: the one {@link SecretStore} creates, or an
 * existing (central) vault imported with {@link SecretStore.fromExisting}. Methods that create
 * resources create them in the caller's `scope`, so several constructs can share one vault.
 */
export interface ISecretStore extends IConstruct {
  /** Resource id of the vault. */
  readonly vaultId: string;
  /** Vault name. */
  readonly vaultName: string;
  /** Vault URI, such as `https://kv-bank-prod-01.vault.azure.net/`. */
  readonly vaultUri: string;
  /** Vault SKU; customer-managed (HSM-backed) keys need "premium". */
  readonly skuName: KeyVaultSku;
  /**
   * What any data-plane access to the vault waits for: its private endpoint (with the DNS zone
   * group), the zone's VNet link and the network's line of sight to the deployment agents.
   */
  readonly dataPlaneReady: readonly ITerraformDependable[];
  /** Grants a principal a data-plane role on the vault; the assignment is created in `scope`. */
  grant(scope: Construct, id: string, principal: IAzurePrincipal, role: KeyVaultRole): RoleAssignment;
  /** Stores a secret (in `scope`) once the vault is reachable and the writer's role has taken effect. */
  addSecret(scope: Construct, id: string, options: SecretOptions): KeyVaultSecret;
  /** Creates an HSM-backed key (in `scope`) once the vault is reachable and the writer's role has taken effect. */
  addKey(scope: Construct, id: string, options: KeyOptions): KeyVaultKey;
  /**
   * Stores a password generated while Terraform runs (never in state or the synthesized JSON) as a
   * write-only secret (in `scope`); the vault is then its one source, which
   * {@link readBackForWriteOnly} reads it from.
   */
  addGeneratedPassword(scope: Construct, id: string, options: GeneratedPasswordOptions): GeneratedPassword;
  /**
   * The value a generated password has in the vault, for a write-only argument of `consumer` (such
   * as a server's `administrator_password_wo`): an ephemeral read of the secret, which waits for
   * the apply in a plan that creates or rotates it, so the consumer always gets what the vault
   * holds, also when an apply is retried after failing half-way.
   */
  readBackForWriteOnly(consumer: TerraformResource, id: string, password: GeneratedPassword): string;
}

/** A password to generate and keep in the vault. */
export interface GeneratedPasswordOptions {
  /** Secret name (1-127 characters, letters, digits and hyphens), unique in the vault. */
  readonly name: string;
  /** What the value is, such as `text/plain; postgres-password` (CKV_AZURE_114). */
  readonly contentType: string;
  /** When the secret expires, RFC 3339 UTC in the future (CKV_AZURE_41). */
  readonly expirationDate: string;
  /**
   * Version of the password; bump it to generate and store a new one (and send it to whatever
   * reads it back).
   * @default 1
   */
  readonly version?: number;
}

/** A generated password kept in the vault. */
export interface GeneratedPassword {
  /** The vault secret that holds it. */
  readonly secret: KeyVaultSecret;
  /** The secret's name. */
  readonly name: string;
  /** The version it was generated at. */
  readonly version: number;
}

export interface SecretStoreProps extends Placement {
  /**
   * The azurerm provider of the subscription this construct's resources go to, when it is not
   * the stack's default (such as a spoke subscription's aliased provider).
   * @default - the stack's default azurerm provider
   */
  readonly provider?: AzurermProvider;
  /** Key Vault name, such as `kv-bank-prod-01` (3-24 characters, globally unique). */
  readonly vaultName: string;
  /** Entra ID tenant that the vault trusts. */
  readonly tenantId: string;
  /**
   * The network the vault's private endpoint goes in: its private endpoint subnet, its vault DNS
   * zone, and what data-plane writes wait for (the zone's VNet link and the network's line of
   * sight to the deployment agents).
   * @default - none; give `privateEndpointSubnetId` and `privateDnsZoneId`
   */
  readonly network?: ISecureNetwork;
  /**
   * Subnet that hosts the vault's private endpoint.
   * @default - `network.privateEndpointSubnet.id`
   */
  readonly privateEndpointSubnetId?: string;
  /**
   * Private DNS zone `privatelink.vaultcore.azure.net` linked to the VNet.
   * @default - `network.privateDnsZoneIds.vault`
   */
  readonly privateDnsZoneId?: string;
  /**
   * More resources every data-plane write waits for, such as peerings or DNS links made
   * elsewhere when the network is not given.
   * @default - only the private endpoint and what `network` names
   */
  readonly dataPlaneDependencies?: ITerraformDependable[];
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
   * Principals that write secrets and keys (Key Vault Secrets Officer, and Crypto Officer once a
   * key is added), usually the deploying identity, which writes the generated credentials.
   * @default - none
   */
  readonly secretsOfficers?: IAzurePrincipal[];
  /**
   * Where the vault's audit logs and metrics go.
   * @default - no diagnostic settings
   */
  readonly observability?: IObservability;
  /**
   * Guard the vault with `prevent_destroy` and a CanNotDelete lock.
   * @default true
   */
  readonly deletionProtection?: boolean;
}

/** Attributes of an existing vault for {@link SecretStore.fromExisting}. */
export interface SecretStoreAttributes {
  /** Resource id of the vault. */
  readonly vaultId: string;
  /**
   * Vault name.
   * @default - parsed from `vaultId`
   */
  readonly vaultName?: string;
  /**
   * Vault URI.
   * @default - `https://<vaultName>.vault.azure.net/`
   */
  readonly vaultUri?: string;
  /**
   * The vault's SKU; `addKey` needs "premium".
   * @default "standard"
   */
  readonly skuName?: KeyVaultSku;
  /**
   * The network whose line of sight (peerings, DNS links) data-plane writes wait for.
   * @default - none
   */
  readonly network?: ISecureNetwork;
  /**
   * What data-plane writes wait for, such as the vault's private endpoint when it is made in
   * this stack.
   * @default - nothing: the vault's owner has made it reachable from the deployment agents
   */
  readonly dataPlaneDependencies?: ITerraformDependable[];
  /**
   * Principals to make Secrets Officer (and Crypto Officer once a key is added) on the vault, so
   * they can write this stack's secrets and keys; writes wait for the roles to take effect.
   * @default - none: the deploying identity already holds the roles it needs on the vault
   */
  readonly secretsOfficers?: IAzurePrincipal[];
}

/**
 * A secret to store. Give exactly one value: `writeOnlyValue` for anything sensitive (it must be
 * a token, such as a random_password's result, and never enters state or the synthesized JSON),
 * or `publicValue` for something deliberately not secret, such as a login name.
 */
export interface SecretOptions {
  /** Secret name (1-127 characters, letters, digits and hyphens), unique in the vault. */
  readonly name: string;
  /** What the value is, such as `text/plain` or `application/x-postgres-password` (CKV_AZURE_114). */
  readonly contentType: string;
  /** When the secret expires, RFC 3339 UTC in the future, such as `2027-06-30T00:00:00Z` (CKV_AZURE_41, CIS 8.3.x). */
  readonly expirationDate: string;
  /**
   * A value that is not secret and may appear in plain text in the synthesized JSON and in state,
   * such as a login name.
   * @default - none; give exactly one of `publicValue` and `writeOnlyValue`
   */
  readonly publicValue?: string;
  /**
   * A sensitive value, as a token, sent as the write-only `value_wo` so Terraform never stores it.
   * @default - none; give exactly one of `publicValue` and `writeOnlyValue`
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
  /** Key name (1-127 characters, letters, digits and hyphens), unique in the vault. */
  readonly name: string;
  /**
   * When the first key version expires, RFC 3339 UTC in the future (CKV_AZURE_40, CIS 8.3.1).
   * Azure rotates the key 30 days before each expiry, so Terraform ignores later changes to this date.
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
 * What the created and the imported vault share: grants, and secrets and keys written once the
 * vault is reachable and the writers' roles have taken effect.
 */
abstract class SecretStoreBase extends Construct implements ISecretStore {
  abstract readonly vaultId: string;
  abstract readonly vaultName: string;
  abstract readonly vaultUri: string;
  abstract readonly skuName: KeyVaultSku;
  abstract readonly dataPlaneReady: readonly ITerraformDependable[];
  /** Principals that write this stack's secrets and keys. */
  protected officers: readonly IAzurePrincipal[] = [];
  private secretsWriterReady?: ITerraformDependable[];
  private keysWriterReady?: ITerraformDependable[];
  private readonly objectNames = new Map<string, string>();

  grant(scope: Construct, id: string, principal: IAzurePrincipal, role: KeyVaultRole): RoleAssignment {
    return grantRole(scope, id, { construct: "SecretStore.grant", targetScope: this.vaultId, principal, role, roles: KEY_VAULT_ROLES });
  }

  /** Lets a principal read secret values (Key Vault Secrets User); the assignment is created in `scope`. */
  grantReadSecrets(scope: Construct, id: string, principal: IAzurePrincipal): RoleAssignment {
    return this.grant(scope, id, principal, "Key Vault Secrets User");
  }

  addSecret(scope: Construct, id: string, options: SecretOptions): KeyVaultSecret {
    options = options ?? ({} as SecretOptions);
    const v = new PropValidator("SecretStore.addSecret", `${scope?.node.path}/${id}`);
    v.required("name", options.name, NAME_RULES.keyVaultObject.rule);
    checkName(v, "name", options.name, NAME_RULES.keyVaultObject);
    this.checkUnique(v, "name", options.name, "secret", `${scope?.node.path}/${id}`);
    v.required("contentType", options.contentType, "a content type such as text/plain");
    v.required("expirationDate", options.expirationDate, "an RFC 3339 UTC timestamp in the future, such as 2027-06-30T00:00:00Z");
    checkExpiry(v, "expirationDate", options.expirationDate, undefined, secretSubject("secret", options.name));
    const legacyValue = (options as { value?: unknown }).value;
    if (legacyValue !== undefined) v.fail("value", "(set)", "publicValue for a value that is deliberately not secret, or writeOnlyValue (a token) for a secret one");
    if ((options.publicValue === undefined) === (options.writeOnlyValue === undefined) && legacyValue === undefined) {
      v.fail("writeOnlyValue", options.publicValue === undefined ? "(neither)" : "(both)", "exactly one of publicValue and writeOnlyValue");
    }
    checkSecretIsToken(v, "writeOnlyValue", options.writeOnlyValue);
    v.range("writeOnlyValueVersion", options.writeOnlyValueVersion, 1, Number.MAX_SAFE_INTEGER);
    v.report(scope);

    const writeOnly = options.writeOnlyValue !== undefined;
    return new KeyVaultSecret(scope, id, {
      name: options.name,
      keyVaultId: this.vaultId,
      contentType: options.contentType,
      expirationDate: options.expirationDate,
      value: writeOnly ? undefined : options.publicValue,
      valueWo: writeOnly ? options.writeOnlyValue : undefined,
      valueWoVersion: writeOnly ? (options.writeOnlyValueVersion ?? 1) : undefined,
      // A data-plane write: the vault must be reachable and resolvable, and the writer's role in effect.
      dependsOn: [...this.dataPlaneReady, ...this.secretsWriter()],
    });
  }

  /**
   * Creates an HSM-backed RSA key (CKV_AZURE_112) with an expiry (CKV_AZURE_40) and a rotation
   * policy that renews it 30 days before each expiry, for customer-managed encryption. The vault
   * must be premium. The officer principals get Key Vault Crypto Officer to manage it.
   */
  addKey(scope: Construct, id: string, options: KeyOptions): KeyVaultKey {
    options = options ?? ({} as KeyOptions);
    const v = new PropValidator("SecretStore.addKey", `${scope?.node.path}/${id}`);
    v.required("name", options.name, NAME_RULES.keyVaultObject.rule);
    checkName(v, "name", options.name, NAME_RULES.keyVaultObject);
    this.checkUnique(v, "name", options.name, "key", `${scope?.node.path}/${id}`);
    v.required("expirationDate", options.expirationDate, "an RFC 3339 UTC timestamp in the future, such as 2027-06-30T00:00:00Z");
    checkExpiry(v, "expirationDate", options.expirationDate, undefined, secretSubject("key", options.name));
    v.matches("versionLifetime", options.versionLifetime, /^P([1-9][0-9]?M|[1-9]Y)$/, "an ISO 8601 duration of months or years from P2M (rotation happens 30 days before expiry), such as P1Y");
    v.check("versionLifetime", options.versionLifetime, (lifetime) => lifetime !== "P1M", "at least P2M, so the rotation 30 days before expiry has room");
    v.check("keySize", options.keySize, (size) => (KEY_SIZES as readonly number[]).includes(size), `one of ${KEY_SIZES.join(", ")}`);
    if (!isUnresolved(this.skuName) && this.skuName !== "premium") {
      v.fail("skuName", this.skuName, '"premium" on the vault: customer-managed keys are HSM-backed (CKV_AZURE_112), which only premium vaults offer');
    }
    v.report(scope);

    return new KeyVaultKey(scope, id, {
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
      dependsOn: [...this.dataPlaneReady, ...this.keysWriter()],
    });
  }

  addGeneratedPassword(scope: Construct, id: string, options: GeneratedPasswordOptions): GeneratedPassword {
    options = options ?? ({} as GeneratedPasswordOptions);
    const version = options.version ?? 1;
    const generated = new EphemeralPassword(scope, `${id}-generated`);
    const secret = this.addSecret(scope, id, {
      name: options.name,
      contentType: options.contentType,
      expirationDate: options.expirationDate,
      writeOnlyValue: generated.result,
      writeOnlyValueVersion: version,
    });
    return { secret, name: options.name, version };
  }

  readBackForWriteOnly(consumer: TerraformResource, id: string, password: GeneratedPassword): string {
    const scope = consumer.node.scope as Construct;
    if (plansWithoutSecrets(scope)) return throwawayForSpeculativePlan(consumer, id);
    // azurerm_key_vault_secret marks nothing unknown when value_wo_version changes (no CustomizeDiff
    // in internal/services/keyvault/key_vault_secret_resource.go), so the read would happen at plan
    // time, before the new value is written. This value is unknown in exactly the plans that create
    // the secret or change its version, which makes Terraform open the read during the apply, after
    // the write it depends on.
    const rotation = new TerraformData(scope, `${id}-rotation`, password.name, [password.version]);
    const read = new EphemeralResource(scope, id, "azurerm_key_vault_secret", { name: rotation.output, key_vault_id: this.vaultId }, { dependsOn: [password.secret, ...this.dataPlaneReady] });
    return read.attribute("value");
  }

  /** Grants the officers Secrets Officer (created with the vault) and returns the wait for it. */
  protected secretsWriter(): ITerraformDependable[] {
    if (!this.secretsWriterReady) this.secretsWriterReady = this.writerRole("secrets-officer", "Key Vault Secrets Officer");
    return this.secretsWriterReady;
  }

  /** Grants the officers Crypto Officer on the first key and returns the wait for it. */
  private keysWriter(): ITerraformDependable[] {
    if (!this.keysWriterReady) this.keysWriterReady = this.writerRole("crypto-officer", "Key Vault Crypto Officer");
    return this.keysWriterReady;
  }

  /** The officers' role assignments, followed by a propagation wait that writes depend on. */
  private writerRole(prefix: string, role: KeyVaultRole): ITerraformDependable[] {
    if (this.officers.length === 0) return [];
    const assignments = this.officers.map((principal, index) => this.grant(this, `${prefix}-${index}`, principal, role));
    const triggers = Object.fromEntries(assignments.map((assignment, index) => [`${prefix}_${index}`, assignment.id]));
    return [propagationWait(this, `${prefix}-propagation`, assignments, triggers)];
  }

  /** Refuses a second secret (or key) of the same name in this vault from this app. */
  private checkUnique(v: PropValidator, prop: string, name: string | undefined, kind: string, path: string): void {
    if (name === undefined || isUnresolved(name)) return;
    const key = `${kind}:${name.toLowerCase()}`;
    const previous = this.objectNames.get(key);
    if (previous !== undefined) v.fail(prop, name, `a ${kind} name not already used in vault ${this.node.path} (${previous} uses it)`);
    else this.objectNames.set(key, path);
  }
}

/**
 * A Key Vault for the estate's secrets: RBAC authorization (no access policies), purge
 * protection and soft delete, public network access off with a Deny ACL, reachable only through
 * its private endpoint, with audit logs to Log Analytics. Secrets and keys are written (in the
 * caller's scope) only once the endpoint, its DNS record, the network's line of sight and the
 * writers' roles are in place.
 */
export class SecretStore extends SecretStoreBase {
  /**
   * An existing (central) vault for the constructs that take an {@link ISecretStore}. Nothing is
   * created for the vault itself; `addSecret`, `addKey` and `grant` still create their resources.
   */
  static fromExisting(scope: Construct, id: string, attributes: SecretStoreAttributes): ISecretStore {
    return new ImportedSecretStore(scope, id, attributes);
  }

  readonly vault: KeyVault;
  readonly vaultId: string;
  readonly vaultName: string;
  readonly vaultUri: string;
  readonly skuName: KeyVaultSku;
  readonly dataPlaneReady: readonly ITerraformDependable[];

  constructor(scope: Construct, id: string, props: SecretStoreProps) {
    super(scope, id);
    // The library is tested with, and its write-only arguments need, Terraform 1.11 or later.
    requireTerraformVersion(this);
    useAzurermProvider(this, props?.provider);
    props = props ?? ({} as SecretStoreProps);
    const v = new PropValidator("SecretStore", this.node.path);
    checkProviderType(v, this, "provider", props.provider, "azurerm");
    checkPlacement(v, props);
    v.required("vaultName", props.vaultName, NAME_RULES.keyVault.rule);
    checkName(v, "vaultName", props.vaultName, NAME_RULES.keyVault);
    if (typeof props.vaultName === "string") checkPrivateEndpointName(v, "vaultName", `pe-${props.vaultName}`, props.vaultName);
    v.required("tenantId", props.tenantId, "the Entra ID tenant id the vault trusts");
    v.once(`tenant:${props.tenantId}`, () => checkObjectId(v, "tenantId", props.tenantId, "the Entra ID tenant id the vault trusts"));
    v.oneOf("skuName", props.skuName, KEY_VAULT_SKUS);
    v.range("softDeleteRetentionDays", props.softDeleteRetentionDays, 7, 90);
    const subnetId = props.privateEndpointSubnetId ?? props.network?.privateEndpointSubnet.id;
    const zoneId = props.privateDnsZoneId ?? props.network?.privateDnsZoneIds.vault;
    requiredUnlessFromNetwork(v, "privateEndpointSubnetId", props.privateEndpointSubnetId, props.network, subnetId, "a subnet id for the private endpoint, or a network");
    requiredUnlessFromNetwork(v, "privateDnsZoneId", props.privateDnsZoneId, props.network, zoneId, "the id of the privatelink.vaultcore.azure.net zone, or a network");
    checkResourceId(v, "privateEndpointSubnetId", props.privateEndpointSubnetId, "subnet");
    checkResourceId(v, "privateDnsZoneId", props.privateDnsZoneId, "privateDnsZone");
    checkDnsZoneSlot(v, "privateDnsZoneId", props.privateDnsZoneId, "vault");
    const officers = props.secretsOfficers ?? [];
    v.report(this);
    claimName(this, { kind: "keyVault", name: props.vaultName, construct: "SecretStore", prop: "vaultName", value: props.vaultName });
    placeInNetwork(this, { construct: "SecretStore", location: props.location, network: props.network, subnetIds: [props.privateEndpointSubnetId], because: "a private endpoint goes in a VNet of its own region" });
    requireNetworkSubscription(this, { construct: "SecretStore", kind: "private-endpoint", provider: props.provider, network: props.network, subnetId: props.privateEndpointSubnetId, subnetProp: "privateEndpointSubnetId", because: PRIVATE_ENDPOINT_SUBSCRIPTION_RULE });
    this.skuName = props.skuName ?? "standard";
    this.officers = officers;

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

    const zoneReady = props.network?.privateDnsZoneReady.vault ?? [];
    const endpoint = privateEndpoint(this, "private-endpoint", {
      name: `pe-${props.vaultName}`,
      resourceGroupName: props.resourceGroupName,
      location: props.location,
      tags: props.tags,
      subnetId: subnetId ?? "",
      targetResourceId: this.vaultId,
      subresource: "vault",
      privateDnsZoneId: zoneId ?? "",
      dependsOn: [...zoneReady],
    });
    this.dataPlaneReady = [endpoint, ...zoneReady, ...(props.network?.lineOfSight ?? []), ...(props.dataPlaneDependencies ?? [])];
    props.observability?.diagnose(this, "diagnostics", this.vaultId, { logs: true, metrics: true });
    if (props.deletionProtection ?? true) protectFromDeletion(this, this.vault, "estate's secrets");
    // The officers can manage secrets from the start (e.g. to rotate them by hand).
    this.secretsWriter();
  }
}

/** An existing vault, imported by {@link SecretStore.fromExisting}. */
class ImportedSecretStore extends SecretStoreBase {
  readonly vaultId: string;
  readonly vaultName: string;
  readonly vaultUri: string;
  readonly skuName: KeyVaultSku;
  readonly dataPlaneReady: readonly ITerraformDependable[];

  constructor(scope: Construct, id: string, attributes: SecretStoreAttributes) {
    super(scope, id);
    attributes = attributes ?? ({} as SecretStoreAttributes);
    const v = new PropValidator("SecretStore.fromExisting", this.node.path);
    v.required("vaultId", attributes.vaultId, "the vault's resource id");
    checkResourceId(v, "vaultId", attributes.vaultId, "keyVault");
    checkName(v, "vaultName", attributes.vaultName, NAME_RULES.keyVault);
    v.oneOf("skuName", attributes.skuName, KEY_VAULT_SKUS);
    checkImportedVault(v, attributes);
    v.report(this);
    this.vaultId = attributes.vaultId ?? "";
    this.vaultName = attributes.vaultName ?? idSegment(this.vaultId, ID_SEGMENT.name);
    this.vaultUri = attributes.vaultUri ?? `https://${this.vaultName}.vault.azure.net/`;
    this.skuName = attributes.skuName ?? "standard";
    this.officers = attributes.secretsOfficers ?? [];
    this.dataPlaneReady = [...(attributes.network?.lineOfSight ?? []), ...(attributes.dataPlaneDependencies ?? [])];
  }
}

/**
 * In a speculative plan (see PLAN_WITHOUT_SECRETS_CONTEXT) nothing reads the vault: the consumer's
 * write-only argument gets a throwaway password that no one keeps, and the consumer refuses to be
 * applied (`terraform.applying` is false while planning), so such a plan can never change it.
 */
function throwawayForSpeculativePlan(consumer: TerraformResource, id: string): string {
  const throwaway = new EphemeralPassword(consumer.node.scope as Construct, `${id}-speculative`);
  const lifecycle = consumer.lifecycle ?? {};
  consumer.lifecycle = {
    ...lifecycle,
    precondition: [
      ...(lifecycle.precondition ?? []),
      { condition: "${!terraform.applying}", errorMessage: "synthesized for a plan without secrets (azure-quarterly-batch:planWithoutSecrets): never applied; synthesize again without it" },
    ],
  };
  return throwaway.result;
}

/** How an object of the vault is named in an expiry problem. */
function secretSubject(kind: "secret" | "key", name: string | undefined): string | undefined {
  return typeof name === "string" && !isUnresolved(name) ? `${kind} ${name}` : undefined;
}

/** An imported vault's attributes agree: the name is the id's last segment, the URI the vault's own. */
function checkImportedVault(v: PropValidator, attributes: SecretStoreAttributes): void {
  const { vaultId, vaultName, vaultUri } = attributes;
  const idName = typeof vaultId === "string" && !isUnresolved(vaultId) && /\/providers\/Microsoft\.KeyVault\/vaults\/[^/]+$/i.test(vaultId) ? vaultId.slice(vaultId.lastIndexOf("/") + 1) : undefined;
  if (idName !== undefined && typeof vaultName === "string" && !isUnresolved(vaultName) && vaultName.toLowerCase() !== idName.toLowerCase()) {
    v.fail("vaultName", vaultName, `the vault vaultId names, "${idName}" (or leave vaultName unset: it is parsed from vaultId)`);
  }
  const name = typeof vaultName === "string" && !isUnresolved(vaultName) ? vaultName : idName;
  if (typeof vaultUri !== "string" || isUnresolved(vaultUri)) return;
  const match = /^https:\/\/([a-zA-Z0-9-]+)\.vault\.azure\.net\/?$/.exec(vaultUri);
  if (!match) v.fail("vaultUri", vaultUri, `the vault's URI, such as https://${name ?? "<vault name>"}.vault.azure.net/ (or leave it unset)`);
  else if (name !== undefined && match[1].toLowerCase() !== name.toLowerCase()) v.fail("vaultUri", vaultUri, `the URI of vault ${name}, https://${name}.vault.azure.net/ (or leave it unset)`);
}
