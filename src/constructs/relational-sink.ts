import { Construct } from "constructs";
import { ITerraformDependable } from "cdktf";
import { PostgresqlFlexibleServer } from "@cdktf/provider-azurerm/lib/postgresql-flexible-server";
import { PostgresqlFlexibleServerConfiguration } from "@cdktf/provider-azurerm/lib/postgresql-flexible-server-configuration";
import { PostgresqlFlexibleServerDatabase } from "@cdktf/provider-azurerm/lib/postgresql-flexible-server-database";
import { Password } from "@cdktf/provider-random/lib/password";
import { protectFromDeletion } from "./deletion-protection";
import { Observability } from "./observability";
import { Placement } from "./placement";
import { SecretStore } from "./secret-store";
import { isRfc3339Utc, NAME_RULES, PropValidator } from "./validation";

export const HIGH_AVAILABILITY_MODES = ["ZoneRedundant", "SameZone", "Disabled"] as const;
export type HighAvailabilityMode = (typeof HIGH_AVAILABILITY_MODES)[number];
export const POSTGRES_VERSIONS = ["14", "15", "16", "17"] as const;
export type PostgresVersion = (typeof POSTGRES_VERSIONS)[number];
/** Storage sizes Flexible Server offers, in MB. */
export const POSTGRES_STORAGE_MB = [32768, 65536, 131072, 262144, 524288, 1048576, 2097152, 4193280, 4194304, 8388608, 16777216, 33553408] as const;
/** Burstable (B), General Purpose (D) and Memory Optimized (E) compute names. */
const POSTGRES_SKU = /^(B_Standard_B\d+(s|ms)|GP_Standard_D\d+(s|ds|ads)_v[3-6]|MO_Standard_E\d+(s|ds|ads)_v[3-6])$/;
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

export interface RelationalSinkProps extends Placement {
  /** Server name, such as `psql-bank-prod` (3-63 lowercase letters, digits and hyphens, globally unique). */
  readonly serverName: string;
  /** Subnet delegated to `Microsoft.DBforPostgreSQL/flexibleServers`. */
  readonly delegatedSubnetId: string;
  /** Private DNS zone (name ending in `.postgres.database.azure.com`) linked to the VNet. */
  readonly privateDnsZoneId: string;
  /** Entra ID tenant for Entra authentication. */
  readonly tenantId: string;
  /** Vault that keeps the generated administrator credential. */
  readonly secretStore: SecretStore;
  /** When the stored credential expires, RFC 3339 UTC; rotate before then. */
  readonly credentialExpirationDate: string;
  /**
   * The zone's VNet link; the server is created only after it exists, as Azure requires.
   * @default - no explicit dependency
   */
  readonly privateDnsZoneLink?: ITerraformDependable;
  /**
   * Compute SKU: `B_Standard_*` (burstable), `GP_Standard_D*` or `MO_Standard_E*`.
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
  readonly observability?: Observability;
  /**
   * Guard the server with `prevent_destroy` and a CanNotDelete lock.
   * @default true
   */
  readonly deletionProtection?: boolean;
}

/**
 * The PostgreSQL sink: a Flexible Server reachable only inside the VNet (delegated subnet and
 * private DNS zone, public access off), TLS 1.2+ required, connection logging and throttling on,
 * backups (geo-redundant and zone-redundant HA unless relaxed), the `bank` database, and a
 * generated administrator password that reaches the server and the vault only as write-only
 * arguments, so it never appears in the synthesized configuration or in their state.
 */
export class RelationalSink extends Construct {
  readonly server: PostgresqlFlexibleServer;
  /** Resource id of the server. */
  readonly serverId: string;
  /** Private host name of the server. */
  readonly fqdn: string;
  /** Name of the database the ETL loads. */
  readonly databaseName: string;
  /** Vault secret holding the administrator login. */
  readonly adminUserSecretName = "pg-admin-user";
  /** Vault secret holding the administrator password. */
  readonly adminPasswordSecretName = "pg-admin-password";
  /** libpq URI of the database without credentials; TLS required. */
  readonly connectionUri: string;

  constructor(scope: Construct, id: string, props: RelationalSinkProps) {
    super(scope, id);
    validate(this.node.path, props);
    const databaseName = props.databaseName ?? "bank";
    const administratorLogin = props.administratorLogin ?? "bankadmin";
    const passwordVersion = props.passwordVersion ?? 1;
    const highAvailability = props.highAvailability ?? "ZoneRedundant";

    // The generated value lives in the random provider's state only; see the README's security notes.
    const password = new Password(this, "admin-password", {
      length: 40,
      special: true,
      overrideSpecial: "-_.~",
      minLower: 2,
      minUpper: 2,
      minNumeric: 2,
      minSpecial: 2,
      keepers: { version: String(passwordVersion) },
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
      delegatedSubnetId: props.delegatedSubnetId,
      privateDnsZoneId: props.privateDnsZoneId,
      publicNetworkAccessEnabled: false,
      backupRetentionDays: props.backupRetentionDays ?? 35,
      geoRedundantBackupEnabled: props.geoRedundantBackup ?? true,
      highAvailability:
        highAvailability === "Disabled" ? undefined : { mode: highAvailability, standbyAvailabilityZone: highAvailability === "ZoneRedundant" ? (props.standbyZone ?? "2") : undefined },
      administratorLogin,
      administratorPasswordWo: password.result,
      administratorPasswordWoVersion: passwordVersion,
      authentication: { passwordAuthEnabled: true, activeDirectoryAuthEnabled: true, tenantId: props.tenantId },
      dependsOn: props.privateDnsZoneLink ? [props.privateDnsZoneLink] : undefined,
      tags: props.tags,
    });
    this.serverId = this.server.id;
    this.fqdn = this.server.fqdn;
    this.databaseName = databaseName;
    this.connectionUri = `postgresql://${this.fqdn}:5432/${databaseName}?sslmode=require`;

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

    props.secretStore.addSecret("pg-admin-user", {
      name: this.adminUserSecretName,
      value: administratorLogin,
      contentType: "text/plain; postgres-login",
      expirationDate: props.credentialExpirationDate,
    });
    props.secretStore.addSecret("pg-admin-password", {
      name: this.adminPasswordSecretName,
      writeOnlyValue: password.result,
      writeOnlyValueVersion: passwordVersion,
      contentType: "text/plain; postgres-password",
      expirationDate: props.credentialExpirationDate,
    });

    props.observability?.diagnose(this, "diagnostics", this.serverId, { logs: true, metrics: true });
    if (props.deletionProtection ?? true) protectFromDeletion(this, this.server, "PostgreSQL sink");
  }
}

function validate(path: string, props: RelationalSinkProps): void {
  const v = new PropValidator("RelationalSink", path);
  v.required("serverName", props.serverName, NAME_RULES.postgresServer.rule);
  v.matches("serverName", props.serverName, NAME_RULES.postgresServer.pattern, NAME_RULES.postgresServer.rule);
  v.required("credentialExpirationDate", props.credentialExpirationDate, "an RFC 3339 UTC timestamp such as 2027-06-30T00:00:00Z");
  v.matches("databaseName", props.databaseName, NAME_RULES.postgresDatabase.pattern, NAME_RULES.postgresDatabase.rule);
  v.matches("skuName", props.skuName, POSTGRES_SKU, "B_Standard_B<n>s|ms, GP_Standard_D<n>s|ds|ads_v3-6 or MO_Standard_E<n>s|ds|ads_v3-6, such as GP_Standard_D2ds_v5");
  v.oneOf("version", props.version, POSTGRES_VERSIONS);
  v.check("storageMb", props.storageMb, (mb) => (POSTGRES_STORAGE_MB as readonly number[]).includes(mb), `one of ${POSTGRES_STORAGE_MB.join(", ")}`);
  v.range("backupRetentionDays", props.backupRetentionDays, 7, 35);
  v.range("logRetentionDays", props.logRetentionDays, 1, 7);
  v.range("passwordVersion", props.passwordVersion, 1, Number.MAX_SAFE_INTEGER);
  v.oneOf("highAvailability", props.highAvailability, HIGH_AVAILABILITY_MODES);
  v.oneOf("zone", props.zone as "1" | undefined, ["1", "2", "3"]);
  v.oneOf("standbyZone", props.standbyZone as "1" | undefined, ["1", "2", "3"]);
  v.check("administratorLogin", props.administratorLogin, (login) => /^[a-z][a-z0-9_]{0,62}$/.test(login) && !login.startsWith("pg_") && !RESERVED_LOGINS.includes(login),
    `1-63 lowercase letters, digits and underscores starting with a letter, not pg_* nor one of ${RESERVED_LOGINS.join(", ")}`);
  v.check("credentialExpirationDate", props.credentialExpirationDate, isRfc3339Utc, "an RFC 3339 UTC timestamp such as 2027-06-30T00:00:00Z");
  const burstable = (props.skuName ?? "GP_Standard_D2ds_v5").startsWith("B_");
  if (burstable && (props.highAvailability ?? "ZoneRedundant") !== "Disabled") {
    v.fail("highAvailability", props.highAvailability ?? "ZoneRedundant", `"Disabled" with the burstable SKU ${props.skuName}: Azure offers high availability only on General Purpose and Memory Optimized`);
  }
  if ((props.highAvailability ?? "ZoneRedundant") === "ZoneRedundant" && (props.zone ?? "1") === (props.standbyZone ?? "2")) {
    v.fail("standbyZone", props.standbyZone, `a zone other than the primary zone ${props.zone ?? "1"} for zone-redundant HA`);
  }
  v.throwIfInvalid();
}
