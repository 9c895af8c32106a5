import { readdirSync, readFileSync } from "fs";
import { join } from "path";
import { RelationalSink, RelationalSinkProps } from "../../src/constructs/relational-sink";
import { SecretStore } from "../../src/constructs/secret-store";
import { PropValidationError } from "../../src/constructs/validation";
import { bareStack, logicalNameAt, ref, resourceAt, resourcesOf, synthEnvironment } from "../helpers/synth";

function errorFor(props: Partial<RelationalSinkProps>): PropValidationError {
  const { stack } = bareStack();
  const secretStore = new SecretStore(stack, "store", {
    resourceGroupName: "rg",
    location: "westeurope",
    vaultName: "kv-bank-dev-01",
    tenantId: "t",
    privateEndpointSubnetId: "s",
    privateDnsZoneId: "z",
  });
  try {
    new RelationalSink(stack, "database", {
      resourceGroupName: "rg",
      location: "westeurope",
      serverName: "psql-bank-dev-01",
      delegatedSubnetId: "s",
      privateDnsZoneId: "z",
      tenantId: "t",
      secretStore,
      credentialExpirationDate: "2027-06-30T00:00:00Z",
      ...props,
    });
  } catch (error) {
    return error as PropValidationError;
  }
  throw new Error("expected a validation error");
}

describe("RelationalSink", () => {
  const prod = synthEnvironment("prod");
  const server = resourceAt(prod, "azurerm_postgresql_flexible_server", "database/server");
  const serverRef = ref("azurerm_postgresql_flexible_server", logicalNameAt(prod, "azurerm_postgresql_flexible_server", "database/server"));
  const parameters = Object.fromEntries(resourcesOf(prod, "azurerm_postgresql_flexible_server_configuration").map(([, body]) => [body.name, body.value]));

  it("runs PostgreSQL 16 with private access only", () => {
    expect(server).toMatchObject({ version: "16", public_network_access_enabled: false });
    expect(server.delegated_subnet_id).toBe(ref("azurerm_subnet", logicalNameAt(prod, "azurerm_subnet", "network/postgres-subnet")));
    expect(server.private_dns_zone_id).toBe(ref("azurerm_private_dns_zone", logicalNameAt(prod, "azurerm_private_dns_zone", "network/postgres-dns-zone")));
  });

  it("waits for the DNS zone's VNet link before creating the server", () => {
    expect(server.depends_on).toEqual([`azurerm_private_dns_zone_virtual_network_link.${logicalNameAt(prod, "azurerm_private_dns_zone_virtual_network_link", "network/postgres-dns-link")}`]);
  });

  it("requires TLS 1.2 or later", () => {
    expect(parameters).toMatchObject({ require_secure_transport: "ON", ssl_min_protocol_version: "TLSv1.2" });
  });

  it("logs connections and checkpoints and throttles failed logins", () => {
    expect(parameters).toMatchObject({ log_connections: "ON", log_disconnections: "ON", log_checkpoints: "ON", "connection_throttle.enable": "ON", "logfiles.retention_days": "7" });
  });

  it("applies server parameters one at a time", () => {
    const withoutDependency = resourcesOf(prod, "azurerm_postgresql_flexible_server_configuration").filter(([, body]) => body.depends_on === undefined);
    expect(withoutDependency).toHaveLength(1);
  });

  it("creates the bank database", () => {
    expect(resourceAt(prod, "azurerm_postgresql_flexible_server_database", "database/database")).toMatchObject({ name: "bank", server_id: serverRef, charset: "UTF8" });
  });

  it("is zone-redundant with geo-redundant backups in prod", () => {
    expect(server).toMatchObject({ high_availability: { mode: "ZoneRedundant", standby_availability_zone: "2" }, geo_redundant_backup_enabled: true, backup_retention_days: 35 });
  });

  it("is a burstable server without HA or geo backups in dev", () => {
    const devServer = resourceAt(synthEnvironment("dev"), "azurerm_postgresql_flexible_server", "database/server");
    expect(devServer).toMatchObject({ sku_name: "B_Standard_B1ms", geo_redundant_backup_enabled: false });
    expect(devServer.high_availability).toBeUndefined();
  });

  it("hands the generated password to the server and the vault only as write-only arguments", () => {
    const password = ref("random_password", logicalNameAt(prod, "random_password", "database/admin-password"), "result");
    expect(server).toMatchObject({ administrator_password_wo: password, administrator_password_wo_version: 1 });
    expect(server.administrator_password).toBeUndefined();
    const secret = resourceAt(prod, "azurerm_key_vault_secret", "secrets/pg-admin-password");
    expect(secret).toMatchObject({ name: "pg-admin-password", value_wo: password, value_wo_version: 1 });
    expect(secret.value).toBeUndefined();
  });

  it("writes no password literal into any synthesized stack", () => {
    const outDir = join(__dirname, "..", "..", "cdktf.out", "stacks");
    const stacks = [synthEnvironment("dev"), synthEnvironment("test"), prod].map((s) => JSON.stringify(s));
    try {
      for (const stack of readdirSync(outDir)) stacks.push(readFileSync(join(outDir, stack, "cdk.tf.json"), "utf8"));
    } catch {
      // cdktf.out exists only after `npm run synth`; the in-process stacks are checked regardless.
    }
    for (const json of stacks) {
      expect(json).not.toMatch(/"administrator_password"\s*:/);
      expect(json).not.toMatch(/"(value|value_wo|administrator_password_wo)"\s*:\s*"(?!\$\{)[^"]*[A-Za-z0-9]{16,}/);
    }
  });

  it("enables Entra ID authentication beside the generated password", () => {
    expect(server.authentication).toMatchObject({ active_directory_auth_enabled: true, password_auth_enabled: true });
  });

  it("refuses a server name with capitals", () => {
    const error = errorFor({ serverName: "PSQL-Bank" });
    expect(error.message).toContain("RelationalSink");
    expect(error.message).toContain('serverName "PSQL-Bank" is not allowed: 3-63 characters, lowercase letters, digits and hyphens');
  });

  it("refuses an unknown SKU", () => {
    expect(errorFor({ skuName: "Standard_D2s_v3" }).message).toContain('skuName "Standard_D2s_v3" is not allowed: B_Standard_B<n>s|ms');
  });

  it("refuses high availability on a burstable SKU", () => {
    expect(errorFor({ skuName: "B_Standard_B1ms", highAvailability: "ZoneRedundant" }).message).toContain('highAvailability "ZoneRedundant" is not allowed: "Disabled" with the burstable SKU');
  });

  it("refuses backup retention outside 7 to 35 days", () => {
    expect(errorFor({ backupRetentionDays: 3 }).message).toContain("backupRetentionDays 3 is not allowed: a whole number from 7 to 35");
  });

  it("refuses a storage size Flexible Server does not offer", () => {
    expect(errorFor({ storageMb: 50000 }).message).toContain("storageMb 50000 is not allowed: one of 32768, 65536");
  });

  it("refuses a reserved administrator login", () => {
    expect(errorFor({ administratorLogin: "admin" }).message).toContain('administratorLogin "admin" is not allowed');
  });
});
