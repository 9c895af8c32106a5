import { Fn } from "cdktf";
import { RelationalSink, RelationalSinkProps } from "../../src/constructs/postgres/relational-sink";
import { SecretStore } from "../../src/constructs/key-vault/secret-store";
import { POSTGRES_SKUS } from "../../src/constructs/postgres/postgres-skus";
import { PLAN_WITHOUT_SECRETS_CONTEXT } from "../../src/constructs/core/ephemeral";
import { bareStack, ephemeralAt, logicalNameAt, ref, resourceAt, resourcesOf, synthStack } from "../helpers/synth";
import { EXISTING_ZONES, FUTURE, network, PAST, PLACEMENT, problemsOf, subnetId, TENANT, vault } from "./fixtures";

type Stack = ReturnType<typeof bareStack>["stack"];

function sinkProps(store: SecretStore, props: Partial<RelationalSinkProps> = {}): RelationalSinkProps {
  return {
    ...PLACEMENT,
    serverName: "psql-bank-dev-01",
    delegatedSubnetId: subnetId("snet-psql"),
    privateDnsZoneId: EXISTING_ZONES.postgres,
    tenantId: TENANT,
    secretStore: store,
    credentialExpirationDate: FUTURE,
    ...props,
  };
}

function sink(stack: Stack, props: Partial<RelationalSinkProps> = {}, id = "database"): RelationalSink {
  const store = (stack.node.tryFindChild("store") as SecretStore | undefined) ?? vault(stack);
  return new RelationalSink(stack, id, sinkProps(store, props));
}

function problemsFor(props: Partial<RelationalSinkProps>) {
  const { stack } = bareStack();
  sink(stack, props);
  return problemsOf(stack);
}

describe("RelationalSink", () => {
  const { stack: baseStack } = bareStack();
  const baseSink = sink(baseStack);
  const base = synthStack(baseStack);
  const server = resourceAt(base, "azurerm_postgresql_flexible_server", "database/server");
  const parameters = Object.fromEntries(resourcesOf(base, "azurerm_postgresql_flexible_server_configuration").map(([, body]) => [body.name, body.value]));

  it("keeps Entra authentication off when no Entra administrator is given", () => {
    expect(server.authentication).toMatchObject({ password_auth_enabled: true, active_directory_auth_enabled: false });
    expect(resourcesOf(base, "azurerm_postgresql_flexible_server_active_directory_administrator")).toEqual([]);
  });

  it("turns Entra authentication on with the Entra administrator it is given", () => {
    const { stack } = bareStack();
    sink(stack, { entraAdministrator: { objectId: "7d8e9f0a-1b2c-4d3e-8f4a-5b6c7d8e9f0a", principalName: "bank-dba", principalType: "Group" } });
    const synthesized = synthStack(stack);
    expect(resourceAt(synthesized, "azurerm_postgresql_flexible_server", "database/server").authentication).toMatchObject({ active_directory_auth_enabled: true, tenant_id: TENANT });
    expect(resourceAt(synthesized, "azurerm_postgresql_flexible_server_active_directory_administrator", "database/entra-administrator")).toMatchObject({
      object_id: "7d8e9f0a-1b2c-4d3e-8f4a-5b6c7d8e9f0a",
      principal_name: "bank-dba",
      principal_type: "Group",
      tenant_id: TENANT,
    });
  });

  it("refuses an Entra administrator whose object id is not a GUID", () => {
    expect(problemsFor({ entraAdministrator: { objectId: "bank-dba", principalName: "bank-dba", principalType: "Group" } })).toEqual([{ construct: "RelationalSink", prop: "entraAdministrator.objectId" }]);
  });

  it("leaves the zones to Azure after a zone-redundant failover", () => {
    expect((server.lifecycle as { ignore_changes?: string[] }).ignore_changes).toEqual(["zone", "high_availability[0].standby_availability_zone"]);
    expect((server.lifecycle as { prevent_destroy?: boolean }).prevent_destroy).toBe(true);
    const { stack } = bareStack();
    sink(stack, { highAvailability: "Disabled", deletionProtection: false });
    expect(resourceAt(synthStack(stack), "azurerm_postgresql_flexible_server", "database/server").lifecycle).toBeUndefined();
  });

  it("runs PostgreSQL 16 with private access only", () => {
    expect(server).toMatchObject({ version: "16", public_network_access_enabled: false, delegated_subnet_id: subnetId("snet-psql"), private_dns_zone_id: EXISTING_ZONES.postgres });
  });

  it("requires TLS 1.2 or later, logs connections and throttles failed logins", () => {
    expect(parameters).toMatchObject({ require_secure_transport: "ON", ssl_min_protocol_version: "TLSv1.2", log_connections: "ON", "connection_throttle.enable": "ON" });
  });

  it("is zone-redundant with geo-redundant backups by default", () => {
    expect(server).toMatchObject({ geo_redundant_backup_enabled: true, high_availability: { mode: "ZoneRedundant" } });
  });

  it("generates the admin password while Terraform runs and writes it only to the vault, write-only", () => {
    const [generated] = ephemeralAt(base, "random_password", "database/admin-password-secret-generated");
    const secret = resourceAt(base, "azurerm_key_vault_secret", "database/admin-password-secret");
    expect(secret).toMatchObject({ name: "psql-bank-dev-01-admin-password", value_wo: `\${ephemeral.random_password.${generated}.result}`, value_wo_version: 1 });
    expect(secret.value).toBeUndefined();
    expect(base.resource.random_password).toBeUndefined();
  });

  it("gives the server the password the vault holds, read back write-only", () => {
    const [read, body] = ephemeralAt(base, "azurerm_key_vault_secret", "database/admin-password-from-vault");
    expect(server).toMatchObject({ administrator_password_wo: `\${ephemeral.azurerm_key_vault_secret.${read}.value}`, administrator_password_wo_version: 1 });
    expect(server.administrator_password).toBeUndefined();
    expect(body.depends_on).toContain(`azurerm_key_vault_secret.${logicalNameAt(base, "azurerm_key_vault_secret", "database/admin-password-secret")}`);
  });

  it("reads the password back only after the apply writes it, whenever the plan creates or rotates it", () => {
    // The read's name comes from a terraform_data replaced with each password version: unknown in
    // such a plan, which makes Terraform open the read during the apply, after the write.
    const [, body] = ephemeralAt(base, "azurerm_key_vault_secret", "database/admin-password-from-vault");
    const rotation = logicalNameAt(base, "terraform_data", "database/admin-password-from-vault-rotation");
    expect(body.name).toBe(ref("terraform_data", rotation, "output"));
    expect(resourceAt(base, "terraform_data", "database/admin-password-from-vault-rotation")).toMatchObject({ input: "psql-bank-dev-01-admin-password", triggers_replace: [1] });
    const { stack } = bareStack();
    sink(stack, { passwordVersion: 3 });
    const rotated = synthStack(stack);
    expect(resourceAt(rotated, "terraform_data", "database/admin-password-from-vault-rotation").triggers_replace).toEqual([3]);
    expect(resourceAt(rotated, "azurerm_key_vault_secret", "database/admin-password-secret").value_wo_version).toBe(3);
    expect(resourceAt(rotated, "azurerm_postgresql_flexible_server", "database/server").administrator_password_wo_version).toBe(3);
  });

  it("takes a throwaway password and refuses to apply when synthesized for a plan without secrets", () => {
    const { stack } = bareStack({ [PLAN_WITHOUT_SECRETS_CONTEXT]: true });
    sink(stack);
    const speculative = synthStack(stack);
    expect(speculative.ephemeral?.azurerm_key_vault_secret).toBeUndefined();
    const body = resourceAt(speculative, "azurerm_postgresql_flexible_server", "database/server");
    const [throwaway] = ephemeralAt(speculative, "random_password", "database/admin-password-from-vault-speculative");
    expect(body.administrator_password_wo).toBe(`\${ephemeral.random_password.${throwaway}.result}`);
    expect((body.lifecycle as { precondition?: unknown[] }).precondition).toEqual([{ condition: "${!terraform.applying}", error_message: expect.stringContaining("never applied") }]);
  });

  it("names the admin secrets after the server by default, and exposes them as its admin credential", () => {
    expect(baseSink.adminCredential).toEqual({ login: "bankadmin", userSecretName: "psql-bank-dev-01-admin-user", passwordSecretName: "psql-bank-dev-01-admin-password" });
    expect(resourceAt(base, "azurerm_key_vault_secret", "database/admin-user-secret")).toMatchObject({ name: "psql-bank-dev-01-admin-user", value: "bankadmin" });
  });

  it("takes the admin secret names as props", () => {
    const { stack } = bareStack();
    const custom = sink(stack, { adminUserSecretName: "pg-user", adminPasswordSecretName: "pg-password" });
    expect(custom.adminCredential).toMatchObject({ userSecretName: "pg-user", passwordSecretName: "pg-password" });
  });

  it("gives a connection URI that verifies the server's certificate", () => {
    expect(baseSink.connectionUri).toMatch(/^postgresql:\/\/.+:5432\/bank\?sslmode=verify-full$/);
  });

  it("waits for the network's DNS zone link before creating the server", () => {
    const { stack } = bareStack();
    const net = network(stack);
    new RelationalSink(stack, "database", { ...sinkProps(vault(stack)), delegatedSubnetId: undefined, privateDnsZoneId: undefined, network: net });
    const result = synthStack(stack);
    const body = resourceAt(result, "azurerm_postgresql_flexible_server", "database/server");
    expect(body.depends_on).toEqual([`azurerm_private_dns_zone_virtual_network_link.${logicalNameAt(result, "azurerm_private_dns_zone_virtual_network_link", "network/postgres-dns-link")}`]);
    expect(body.delegated_subnet_id).toBe(ref("azurerm_subnet", logicalNameAt(result, "azurerm_subnet", "network/postgres-subnet")));
  });

  it("issues a login credential: a generated password sent write-only to the vault, and the login name", () => {
    const { stack } = bareStack();
    const db = sink(stack);
    const credential = db.addLoginCredential("loader", { login: "bank_etl" });
    expect(credential).toEqual({ login: "bank_etl", userSecretName: "psql-bank-dev-01-bank-etl-user", passwordSecretName: "psql-bank-dev-01-bank-etl-password" });
    const result = synthStack(stack);
    const [generated] = ephemeralAt(result, "random_password", "database/loader-password-secret-generated");
    expect(resourceAt(result, "azurerm_key_vault_secret", "database/loader-password-secret")).toMatchObject({ name: credential.passwordSecretName, value_wo: `\${ephemeral.random_password.${generated}.result}` });
    expect(resourceAt(result, "azurerm_key_vault_secret", "database/loader-user-secret")).toMatchObject({ name: credential.userSecretName, value: "bank_etl" });
  });

  it("lets two sinks share one vault", () => {
    const { stack } = bareStack();
    const store = vault(stack);
    const a = new RelationalSink(stack, "sales", sinkProps(store, { serverName: "psql-sales-dev" }));
    const b = new RelationalSink(stack, "risk", sinkProps(store, { serverName: "psql-risk-dev" }));
    a.addLoginCredential("loader", { login: "bank_etl" });
    b.addLoginCredential("loader", { login: "bank_etl" });
    const names = resourcesOf(synthStack(stack), "azurerm_key_vault_secret").map(([, body]) => body.name);
    expect(names).toHaveLength(8);
    expect(new Set(names).size).toBe(8);
  });

  describe("validation", () => {
    it("refuses a server name with capitals", () => {
      expect(problemsFor({ serverName: "PSQL-Bank" })).toEqual([{ construct: "RelationalSink", prop: "serverName" }]);
    });

    it("checks the literal part of a server name built from a token", () => {
      // The secret names derived from it are refused by the vault as well.
      expect(problemsFor({ serverName: `PSQL_${Fn.lower("x")}` })).toEqual(expect.arrayContaining([{ construct: "RelationalSink", prop: "serverName" }]));
      expect(problemsFor({ serverName: `psql-${Fn.lower("x")}` })).toEqual([]);
    });

    it("refuses a SKU size Azure does not sell, such as GP_Standard_D3ds_v5", () => {
      expect(problemsFor({ skuName: "GP_Standard_D3ds_v5" })).toEqual([{ construct: "RelationalSink", prop: "skuName" }]);
      expect(POSTGRES_SKUS).toEqual(expect.arrayContaining(["B_Standard_B1ms", "GP_Standard_D2ds_v5", "GP_Standard_D96ads_v5", "MO_Standard_E20ds_v4"]));
    });

    it("refuses high availability on a burstable SKU", () => {
      expect(problemsFor({ skuName: "B_Standard_B1ms" })).toEqual([{ construct: "RelationalSink", prop: "highAvailability" }]);
    });

    it("refuses backup retention outside 7 to 35 days and a storage size Flexible Server does not offer", () => {
      expect(problemsFor({ backupRetentionDays: 40, storageMb: 1000 })).toEqual([
        { construct: "RelationalSink", prop: "storageMb" },
        { construct: "RelationalSink", prop: "backupRetentionDays" },
      ]);
    });

    it("refuses a reserved administrator login", () => {
      expect(problemsFor({ administratorLogin: "azure_superuser" })).toEqual([{ construct: "RelationalSink", prop: "administratorLogin" }]);
    });

    it("refuses a credential expiry in the past as an error", () => {
      expect(problemsFor({ credentialExpirationDate: PAST })).toEqual(
        expect.arrayContaining([{ construct: "RelationalSink", prop: "credentialExpirationDate" }]),
      );
    });

    it("refuses a region that is not an Azure region", () => {
      expect(problemsFor({ location: "mars" })).toEqual([{ construct: "RelationalSink", prop: "location" }]);
    });

    it("refuses a second credential for a login the server already has", () => {
      const { stack } = bareStack();
      const db = sink(stack);
      db.addLoginCredential("loader", { login: "bank_etl" });
      db.addLoginCredential("again", { login: "bank_etl", userSecretName: "other-user", passwordSecretName: "other-password" });
      expect(problemsOf(stack)).toEqual([{ construct: "RelationalSink.addLoginCredential", prop: "login" }]);
    });

    it("reports missing props of a JavaScript caller without crashing", () => {
      const { stack } = bareStack();
      expect(() => new RelationalSink(stack, "database", {} as never)).not.toThrow();
      expect(problemsOf(stack).map((p) => p.prop)).toEqual(expect.arrayContaining(["serverName", "secretStore", "credentialExpirationDate", "delegatedSubnetId"]));
    });
  });
});
