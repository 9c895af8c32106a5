import { Construct, IConstruct } from "constructs";
import { ITerraformDependable } from "cdktf";
import { AzurermProvider } from "@cdktf/provider-azurerm/lib/provider";
import { PostgresqlFlexibleServer } from "@cdktf/provider-azurerm/lib/postgresql-flexible-server";
import { PostgresqlFlexibleServerActiveDirectoryAdministrator } from "@cdktf/provider-azurerm/lib/postgresql-flexible-server-active-directory-administrator";
import { PostgresqlFlexibleServerConfiguration } from "@cdktf/provider-azurerm/lib/postgresql-flexible-server-configuration";
import { PostgresqlFlexibleServerDatabase } from "@cdktf/provider-azurerm/lib/postgresql-flexible-server-database";
import { protectFromDeletion } from "../core/deletion-protection";
import { IObservability } from "../monitoring/observability";
import { checkPlacement, Placement } from "../core/placement";
import { checkObjectId } from "../core/principal";
import { isBurstableSku, isPostgresSku, POSTGRES_SKUS } from "./postgres-skus";
import { useAzurermProvider } from "../core/providers";
import { checkResourceId } from "../core/resource-id";
import { ISecretStore } from "../key-vault/secret-store";
import { checkDnsZoneSlot, ISecureNetwork } from "../network/secure-network";
import { claimName, placeInNetwork, requiredUnlessFromNetwork } from "../core/consistency";
import { checkProviderType } from "../core/provider-setup";
import { requireNetworkSubscription } from "../core/subscription-placement";
import { requireTerraformVersion } from "../core/terraform-requirements";
import { checkExpiry, checkName, closestMatches, isUnresolved, NAME_RULES, PropValidator } from "../core/validation";

export const HIGH_AVAILABILITY_MODES = ["ZoneRedundant", "SameZone", "Disabled"] as const;
export type HighAvailabilityMode = (typeof HIGH_AVAILABILITY_MODES)[number];
export const POSTGRES_VERSIONS = ["14", "15", "16", "17"] as const;
export type PostgresVersion = (typeof POSTGRES_VERSIONS)[number];
/** Storage sizes Flexible Server offers, in MB. */
export const POSTGRES_STORAGE_MB = [32768, 65536, 131072, 262144, 524288, 1048576, 2097152, 4193280, 4194304, 8388608, 16777216, 33553408] as const;
const RESERVED_LOGINS = ["admin", "administrator", "root", "guest", "public", "azure_superuser", "azure_pg_admin", "sa"];

/** Server parameters the estate enforces (CIS PostgreSQL 5.2.x, trivy AZU PostgreSQL checks). */
export const ENFORCED_SERVER_PARAMETERS: Record<string, string> = {
  require_secure_transport: "ON",
  ssl_min_protocol_version: "TLSv1.2",
  log_connections: "ON",
  log_disconnections: "ON",
  log_checkpoints: "ON",
  "connection_throttle.enable": "ON",
};

/** A login of the database whose name and password the vault keeps. */
export interface DatabaseCredential {
  /** Login (role) name. */
  readonly login: string;
  /** Vault secret holding the login name. */
  readonly userSecretName: string;
  /** Vault secret holding the password. */
  readonly passwordSecretName: string;
}

/** A database of a sink's server (see {@link RelationalSink.addDatabase}). */
export interface SinkDatabase {
  /** Name of the database. */
  readonly databaseName: string;
  /** libpq URI of the database without credentials, verifying the server's certificate. */
  readonly connectionUri: string;
}

/** A PostgreSQL database the pipeline loads. */
export interface IRelationalSink extends IConstruct {
  /** Resource id of the server. */
  readonly serverId: string;
  /** Private host name of the server. */
  readonly fqdn: string;
  /** Name of the database. */
  readonly databaseName: string;
  /** libpq URI of the database without credentials, verifying the server's certificate. */
  readonly connectionUri: string;
  /** The administrator's credential in the vault (used only to create schemas and roles). */
  readonly adminCredential: DatabaseCredential;
}

export interface RelationalSinkProps extends Placement {
  /**
   * The azurerm provider of the subscription this construct's resources go to, when it is not
   * the stack's default (such as a spoke subscription's aliased provider).
   * @default - the stack's default azurerm provider
   */
  readonly provider?: AzurermProvider;
  /** Server name, such as `psql-bank-prod` (3-63 lowercase letters, digits and hyphens, globally unique). */
  readonly serverName: string;
  /** Entra ID tenant for Entra authentication. */
  readonly tenantId: string;
  /** Vault that keeps the generated credentials (it may be shared with other sinks). */
  readonly secretStore: ISecretStore;
  /** When the stored credentials expire, RFC 3339 UTC in the future; rotate before then. */
  readonly credentialExpirationDate: string;
  /**
   * The network whose PostgreSQL subnet and private DNS zone the server uses; the server waits for
   * the zone's VNet link, as Azure requires.
   * @default - none; give `delegatedSubnetId` and `privateDnsZoneId`
   */
  readonly network?: ISecureNetwork;
  /**
   * Subnet delegated to `Microsoft.DBforPostgreSQL/flexibleServers`.
   * @default - `network.postgresSubnet.id`
   */
  readonly delegatedSubnetId?: string;
  /**
   * Private DNS zone (name ending in `.postgres.database.azure.com`) linked to the VNet.
   * @default - `network.privateDnsZoneIds.postgres`
   */
  readonly privateDnsZoneId?: string;
  /**
   * The zone's VNet link; the server is created only after it exists, as Azure requires.
   * @default - `network.privateDnsZoneReady.postgres`, or no explicit dependency without a network
   */
  readonly privateDnsZoneLink?: ITerraformDependable;
  /**
   * Compute SKU of the Flexible Server catalogue: `B_Standard_B*` (burstable), `GP_Standard_D*` or
   * `MO_Standard_E*`, such as `GP_Standard_D2ds_v5`.
   * @default "GP_Standard_D2ds_v5"
   */
  readonly skuName?: string;
  /**
   * PostgreSQL major version.
   * @default "16"
   */
  readonly version?: PostgresVersion;
  /**
   * Storage in MB, one of the sizes Flexible Server offers.
   * @default 32768
   */
  readonly storageMb?: number;
  /**
   * Days of point-in-time backups (7 to 35).
   * @default 35
   */
  readonly backupRetentionDays?: number;
  /**
   * Keep backups in the paired region as well (CKV_AZURE_136). Settable only at creation.
   * @default true
   */
  readonly geoRedundantBackup?: boolean;
  /**
   * High availability; burstable SKUs support only `Disabled`.
   * @default "ZoneRedundant"
   */
  readonly highAvailability?: HighAvailabilityMode;
  /**
   * Zone of the primary server.
   * @default "1"
   */
  readonly zone?: string;
  /**
   * Zone of the zone-redundant standby.
   * @default "2"
   */
  readonly standbyZone?: string;
  /**
   * Name of the database the ETL loads.
   * @default "bank"
   */
  readonly databaseName?: string;
  /**
   * Administrator login name.
   * @default "bankadmin"
   */
  readonly administratorLogin?: string;
  /**
   * Vault secret that holds the administrator login (unique in the vault).
   * @default - `<serverName>-admin-user`
   */
  readonly adminUserSecretName?: string;
  /**
   * Vault secret that holds the administrator password (unique in the vault).
   * @default - `<serverName>-admin-password`
   */
  readonly adminPasswordSecretName?: string;
  /**
   * Version of the generated administrator password; bump it to rotate the password on the server
   * and in the vault in one apply.
   * @default 1
   */
  readonly passwordVersion?: number;
  /**
   * Days the server keeps its log files (`logfiles.retention_days`, 1 to 7; CIS wants more than 3).
   * @default 7
   */
  readonly logRetentionDays?: number;
  /**
   * Where the server's logs and metrics go.
   * @default - no diagnostic settings
   */
  readonly observability?: IObservability;
  /**
   * Guard the server with `prevent_destroy` and a CanNotDelete lock.
   * @default true
   */
  readonly deletionProtection?: boolean;
  /**
   * The Entra ID principal (usually a DBA group) made the server's Entra administrator; Entra
   * authentication is turned on with it. Without one, Entra authentication stays off: a server
   * that accepts Entra tokens but has no Entra administrator could never create an Entra role.
   * @default - none: password authentication only
   */
  readonly entraAdministrator?: EntraAdministrator;
}

/** The server's Entra ID administrator. */
export interface EntraAdministrator {
  /** Object id of the user, group or service principal. */
  readonly objectId: string;
  /** Its display name (a group's name, a user's UPN, a service principal's name), as PostgreSQL's role name. */
  readonly principalName: string;
  /** What kind of principal it is. */
  readonly principalType: "User" | "Group" | "ServicePrincipal";
}

/** A database login to issue with {@link RelationalSink.addLoginCredential}. */
export interface LoginCredentialOptions {
  /** Login (role) name, such as `bank_etl` (1-63 lowercase letters, digits and underscores). */
  readonly login: string;
  /**
   * Vault secret that holds the login name.
   * @default - `<serverName>-<login>-user` (underscores become hyphens)
   */
  readonly userSecretName?: string;
  /**
   * Vault secret that holds the password.
   * @default - `<serverName>-<login>-password` (underscores become hyphens)
   */
  readonly passwordSecretName?: string;
  /**
   * Version of the generated password; bump it to send a new one to the vault (the job's migrate
   * task then sets it on the role).
   * @default 1
   */
  readonly passwordVersion?: number;
}

const LOGIN_RULE = `1-63 lowercase letters, digits and underscores starting with a letter, not pg_* nor one of ${RESERVED_LOGINS.join(", ")}`;
const isValidLogin = (login: string): boolean => /^[a-z][a-z0-9_]{0,62}$/.test(login) && !login.startsWith("pg_") && !RESERVED_LOGINS.includes(login);

/**
 * The PostgreSQL sink: a Flexible Server reachable only inside the VNet (delegated subnet and
 * private DNS zone, public access off), TLS 1.2+ required, connection logging and throttling on,
 * backups (geo-redundant and zone-redundant HA unless relaxed), the `bank` database, and a
 * generated administrator password that reaches the server and the vault only as write-only
 * arguments, so it never appears in the synthesized configuration or in their state.
 */
export class RelationalSink extends Construct implements IRelationalSink {
  readonly server: PostgresqlFlexibleServer;
  readonly serverId: string;
  readonly fqdn: string;
  readonly databaseName: string;
  /** Vault secret holding the administrator login. */
  readonly adminUserSecretName: string;
  /** Vault secret holding the administrator password. */
  readonly adminPasswordSecretName: string;
  readonly adminCredential: DatabaseCredential;
  /** libpq URI of the database without credentials; TLS required and the server's certificate verified. */
  readonly connectionUri: string;
  private readonly secretStore: ISecretStore;
  private readonly serverName: string;
  private readonly credentialExpirationDate: string;
  private readonly logins = new Set<string>();
  private readonly databases = new Set<string>();

  constructor(scope: Construct, id: string, props: RelationalSinkProps) {
    super(scope, id);
    props = props ?? ({} as RelationalSinkProps);
    this.serverName = props.serverName;
    this.adminUserSecretName = props.adminUserSecretName ?? `${props.serverName}-admin-user`;
    this.adminPasswordSecretName = props.adminPasswordSecretName ?? `${props.serverName}-admin-password`;
    validate(this, props, this.adminUserSecretName, this.adminPasswordSecretName);
    register(this, props);
    const databaseName = props.databaseName ?? "bank";
    const administratorLogin = props.administratorLogin ?? "bankadmin";
    const passwordVersion = props.passwordVersion ?? 1;
    const highAvailability = props.highAvailability ?? "ZoneRedundant";
    const entraAdministrator = props.entraAdministrator;
    const zoneLink = props.privateDnsZoneLink ? [props.privateDnsZoneLink] : [...(props.network?.privateDnsZoneReady.postgres ?? [])];
    this.secretStore = props.secretStore;
    this.credentialExpirationDate = props.credentialExpirationDate;
    this.logins.add(administratorLogin);

    // The password is generated while Terraform runs and written only to the vault, its one
    // source: the server reads it back from there, so no state holds it and a retried apply can
    // never leave the two with different passwords.
    const adminPassword = this.secretStore?.addGeneratedPassword(this, "admin-password-secret", {
      name: this.adminPasswordSecretName,
      version: passwordVersion,
      contentType: "text/plain; postgres-password",
      expirationDate: props.credentialExpirationDate,
    });

    this.server = new PostgresqlFlexibleServer(this, "server", {
      name: props.serverName,
      resourceGroupName: props.resourceGroupName,
      location: props.location,
      version: props.version ?? "16",
      skuName: props.skuName ?? "GP_Standard_D2ds_v5",
      storageMb: props.storageMb ?? 32768,
      autoGrowEnabled: true,
      zone: props.zone ?? "1",
      delegatedSubnetId: props.delegatedSubnetId ?? props.network?.postgresSubnet.id,
      privateDnsZoneId: props.privateDnsZoneId ?? props.network?.privateDnsZoneIds.postgres,
      publicNetworkAccessEnabled: false,
      backupRetentionDays: props.backupRetentionDays ?? 35,
      geoRedundantBackupEnabled: props.geoRedundantBackup ?? true,
      highAvailability:
        highAvailability === "Disabled" ? undefined : { mode: highAvailability, standbyAvailabilityZone: highAvailability === "ZoneRedundant" ? (props.standbyZone ?? "2") : undefined },
      administratorLogin,
      administratorPasswordWoVersion: passwordVersion,
      authentication: { passwordAuthEnabled: true, activeDirectoryAuthEnabled: entraAdministrator !== undefined, tenantId: entraAdministrator ? props.tenantId : undefined },
      // With zone-redundant HA, Azure swaps the primary and standby zones on every failover; a plan
      // that put them back would force a second failover (or a replacement).
      lifecycle: highAvailability === "ZoneRedundant" ? { ignoreChanges: ["zone", "high_availability[0].standby_availability_zone"] } : undefined,
      dependsOn: zoneLink.length > 0 ? zoneLink : undefined,
      tags: props.tags,
    });
    if (adminPassword) this.server.administratorPasswordWo = this.secretStore.readBackForWriteOnly(this.server, "admin-password-from-vault", adminPassword);
    // The library is tested with, and administrator_password_wo needs, Terraform 1.11 or later.
    requireTerraformVersion(this);
    useAzurermProvider(this, props?.provider);
    this.serverId = this.server.id;
    this.fqdn = this.server.fqdn;
    this.databaseName = databaseName;
    this.databases.add(databaseName);
    this.connectionUri = `postgresql://${this.fqdn}:5432/${databaseName}?sslmode=verify-full`;

    if (entraAdministrator) {
      new PostgresqlFlexibleServerActiveDirectoryAdministrator(this, "entra-administrator", {
        serverName: this.server.name,
        resourceGroupName: props.resourceGroupName,
        tenantId: props.tenantId,
        objectId: entraAdministrator.objectId,
        principalName: entraAdministrator.principalName,
        principalType: entraAdministrator.principalType,
      });
    }

    new PostgresqlFlexibleServerDatabase(this, "database", { name: databaseName, serverId: this.serverId, charset: "UTF8", collation: "en_US.utf8" });

    // Flexible Server applies one parameter change at a time, so the changes are chained.
    let previous: PostgresqlFlexibleServerConfiguration | undefined;
    const parameters = { ...ENFORCED_SERVER_PARAMETERS, "logfiles.retention_days": String(props.logRetentionDays ?? 7) };
    for (const [name, value] of Object.entries(parameters)) {
      previous = new PostgresqlFlexibleServerConfiguration(this, `parameter-${name.replace(/[._]/g, "-")}`, {
        name,
        serverId: this.serverId,
        value,
        dependsOn: previous ? [previous] : undefined,
      });
    }

    // The secrets are created here, in the sink's scope, so several sinks can share one vault.
    this.secretStore?.addSecret(this, "admin-user-secret", {
      name: this.adminUserSecretName,
      publicValue: administratorLogin,
      contentType: "text/plain; postgres-login",
      expirationDate: props.credentialExpirationDate,
    });
    this.adminCredential = { login: administratorLogin, userSecretName: this.adminUserSecretName, passwordSecretName: this.adminPasswordSecretName };

    props.observability?.diagnose(this, "diagnostics", this.serverId, { logs: true, metrics: true });
    if (props.deletionProtection ?? true) protectFromDeletion(this, this.server, "PostgreSQL sink");
  }

  /**
   * Adds a database to the server for another pipeline (each pipeline loads a database of its own:
   * `NOTIFY` channels, schemas and grants are per database), with the server's charset and collation.
   * The name must be new on the server (the sink's own `databaseName` included).
   */
  addDatabase(id: string, name: string): SinkDatabase {
    const v = new PropValidator("RelationalSink.addDatabase", `${this.node.path}/${id}`);
    v.required("name", name, NAME_RULES.postgresDatabase.rule);
    checkName(v, "name", name, NAME_RULES.postgresDatabase);
    if (typeof name === "string" && this.databases.has(name)) v.fail("name", name, `a database this server does not already have (${[...this.databases].join(", ")}): give each pipeline its own`);
    v.report(this);
    if (typeof name === "string") this.databases.add(name);
    new PostgresqlFlexibleServerDatabase(this, `database-${id}`, { name, serverId: this.serverId, charset: "UTF8", collation: "en_US.utf8" });
    return { databaseName: name, connectionUri: `postgresql://${this.fqdn}:5432/${name}?sslmode=verify-full` };
  }

  /**
   * Issues a database login for a consumer (such as the ETL's `bank_etl` loader): a generated
   * password sent write-only to the vault, and the login name, under the given secret names.
   * Terraform cannot reach the private server, so the role itself and its password are created
   * inside PostgreSQL by the job's migrate task, which reads both secrets with the admin credential.
   */
  addLoginCredential(id: string, options: LoginCredentialOptions): DatabaseCredential {
    options = options ?? ({} as LoginCredentialOptions);
    const login = options.login;
    const secretBase = `${this.serverName}-${String(login ?? "").replace(/_/g, "-")}`;
    const userSecretName = options.userSecretName ?? `${secretBase}-user`;
    const passwordSecretName = options.passwordSecretName ?? `${secretBase}-password`;
    const version = options.passwordVersion ?? 1;
    const v = new PropValidator("RelationalSink.addLoginCredential", `${this.node.path}/${id}`);
    v.required("login", login, LOGIN_RULE);
    v.check("login", login, isValidLogin, LOGIN_RULE);
    if (login !== undefined && this.logins.has(login)) v.fail("login", login, "a login this server does not already have (the administrator's or another credential's)");
    checkName(v, options.userSecretName !== undefined ? "userSecretName" : "login", userSecretName, NAME_RULES.keyVaultObject);
    checkName(v, options.passwordSecretName !== undefined ? "passwordSecretName" : "login", passwordSecretName, NAME_RULES.keyVaultObject);
    v.range("passwordVersion", options.passwordVersion, 1, Number.MAX_SAFE_INTEGER);
    v.report(this);
    if (login !== undefined) this.logins.add(login);

    this.secretStore?.addSecret(this, `${id}-user-secret`, {
      name: userSecretName,
      publicValue: login,
      contentType: "text/plain; postgres-login",
      expirationDate: this.credentialExpirationDate,
    });
    this.secretStore?.addGeneratedPassword(this, `${id}-password-secret`, {
      name: passwordSecretName,
      version,
      contentType: "text/plain; postgres-password",
      expirationDate: this.credentialExpirationDate,
    });
    return { login, userSecretName, passwordSecretName };
  }
}

function validate(scope: Construct, props: RelationalSinkProps, adminUserSecretName: string, adminPasswordSecretName: string): void {
  const v = new PropValidator("RelationalSink", scope.node.path);
  checkProviderType(v, scope, "provider", props.provider, "azurerm");
  checkPlacement(v, props);
  v.required("serverName", props.serverName, NAME_RULES.postgresServer.rule);
  checkName(v, "serverName", props.serverName, NAME_RULES.postgresServer);
  v.required("tenantId", props.tenantId, "the Entra ID tenant id for Entra authentication");
  v.once(`tenant:${props.tenantId}`, () => checkObjectId(v, "tenantId", props.tenantId, "the Entra ID tenant id for Entra authentication"));
  v.required("secretStore", props.secretStore, "the ISecretStore that keeps the generated credentials");
  const entra = props.entraAdministrator;
  if (entra) {
    checkObjectId(v, "entraAdministrator.objectId", entra.objectId, "the Entra object id of the server's Entra administrator");
    v.required("entraAdministrator.principalName", entra.principalName, "the principal's display name, such as a DBA group's name");
    v.oneOf("entraAdministrator.principalType", entra.principalType, ["User", "Group", "ServicePrincipal"]);
  }
  v.required("credentialExpirationDate", props.credentialExpirationDate, "an RFC 3339 UTC timestamp in the future, such as 2027-06-30T00:00:00Z");
  checkExpiry(v, "credentialExpirationDate", props.credentialExpirationDate);
  requiredUnlessFromNetwork(v, "delegatedSubnetId", props.delegatedSubnetId, props.network, props.network?.postgresSubnet.id, "the id of a subnet delegated to Microsoft.DBforPostgreSQL/flexibleServers, or a network");
  requiredUnlessFromNetwork(v, "privateDnsZoneId", props.privateDnsZoneId, props.network, props.network?.privateDnsZoneIds.postgres, "the id of the PostgreSQL private DNS zone, or a network");
  checkResourceId(v, "delegatedSubnetId", props.delegatedSubnetId, "subnet");
  checkResourceId(v, "privateDnsZoneId", props.privateDnsZoneId, "privateDnsZone");
  checkDnsZoneSlot(v, "privateDnsZoneId", props.privateDnsZoneId, "postgres");
  // The derived secret names follow the vault's rules; a bad serverName is reported once, above.
  if (props.adminUserSecretName !== undefined) checkName(v, "adminUserSecretName", adminUserSecretName, NAME_RULES.keyVaultObject);
  if (props.adminPasswordSecretName !== undefined) checkName(v, "adminPasswordSecretName", adminPasswordSecretName, NAME_RULES.keyVaultObject);
  if (props.adminUserSecretName !== undefined && props.adminUserSecretName === props.adminPasswordSecretName) {
    v.fail("adminPasswordSecretName", props.adminPasswordSecretName, "a name other than adminUserSecretName");
  }
  checkName(v, "databaseName", props.databaseName, NAME_RULES.postgresDatabase);
  v.check("skuName", props.skuName, isPostgresSku, () => `a Flexible Server SKU (B_Standard_B*, GP_Standard_D*, MO_Standard_E* of the sizes Azure sells); nearest: ${closestMatches(String(props.skuName), POSTGRES_SKUS).join(", ")}`);
  v.oneOf("version", props.version, POSTGRES_VERSIONS);
  v.check("storageMb", props.storageMb, (mb) => (POSTGRES_STORAGE_MB as readonly number[]).includes(mb), `one of ${POSTGRES_STORAGE_MB.join(", ")}`);
  v.range("backupRetentionDays", props.backupRetentionDays, 7, 35);
  v.range("logRetentionDays", props.logRetentionDays, 1, 7);
  v.range("passwordVersion", props.passwordVersion, 1, Number.MAX_SAFE_INTEGER);
  v.oneOf("highAvailability", props.highAvailability, HIGH_AVAILABILITY_MODES);
  v.oneOf("zone", props.zone as "1" | undefined, ["1", "2", "3"]);
  v.oneOf("standbyZone", props.standbyZone as "1" | undefined, ["1", "2", "3"]);
  v.check("administratorLogin", props.administratorLogin, isValidLogin, LOGIN_RULE);
  const sku = props.skuName ?? "GP_Standard_D2ds_v5";
  if (!isUnresolved(sku) && isBurstableSku(sku) && (props.highAvailability ?? "ZoneRedundant") !== "Disabled") {
    v.fail("highAvailability", props.highAvailability ?? "ZoneRedundant", `"Disabled" with the burstable SKU ${props.skuName}: Azure offers high availability only on General Purpose and Memory Optimized`);
  }
  if ((props.highAvailability ?? "ZoneRedundant") === "ZoneRedundant" && (props.zone ?? "1") === (props.standbyZone ?? "2")) {
    v.fail("standbyZone", props.standbyZone, `a zone other than the primary zone ${props.zone ?? "1"} for zone-redundant HA`);
  }
  v.report(scope);
}

/** What the stack-wide pass needs to know of it (names, network, placement), registered as it is constructed. */
function register(scope: Construct, props: RelationalSinkProps): void {
  claimName(scope, { kind: "postgresServer", name: props.serverName, construct: "RelationalSink", prop: "serverName", value: props.serverName });
  placeInNetwork(scope, { construct: "RelationalSink", location: props.location, network: props.network, subnetIds: [props.delegatedSubnetId], because: "a server goes in a delegated subnet of a VNet in its own region" });
  requireNetworkSubscription(scope, { construct: "RelationalSink", kind: "delegated-subnet", provider: props.provider, network: props.network, subnetId: props.delegatedSubnetId, subnetProp: "delegatedSubnetId", because: "a flexible server is made in its delegated subnet's subscription" });
}
