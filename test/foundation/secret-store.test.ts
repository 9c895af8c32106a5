import { Fn, TerraformVariable } from "cdktf";
import { AzurePrincipal } from "../../src/constructs/core/principal";
import { SecretStore } from "../../src/constructs/key-vault/secret-store";
import { bareStack, logicalNameAt, ref, resourceAt, resourcesOf, synthStack } from "../helpers/synth";
import { addressAt, dependsOn, FUTURE, JOB_PRINCIPAL, network, PAST, PLACEMENT, problemsOf, TENANT, vault, vaultProps, vnetId } from "./fixtures";

const DEPLOYER = AzurePrincipal.servicePrincipal("0b1c2d3e-4f5a-4b6c-8d7e-8f9a0b1c2d3e");

function secretValue(stack: ConstructorParameters<typeof TerraformVariable>[0]): string {
  return new TerraformVariable(stack, "secret-token", { type: "string", sensitive: true }).stringValue;
}

describe("SecretStore", () => {
  const { stack: baseStack } = bareStack();
  vault(baseStack);
  const base = synthStack(baseStack);
  const body = resourceAt(base, "azurerm_key_vault", "store/vault");

  it("authorizes with Azure RBAC, not access policies", () => {
    expect(body.rbac_authorization_enabled).toBe(true);
    expect(body.access_policy).toBeUndefined();
  });

  it("keeps purge protection and soft delete on", () => {
    expect(body).toMatchObject({ purge_protection_enabled: true, soft_delete_retention_days: 90 });
  });

  it("denies public network access to the vault", () => {
    expect(body.public_network_access_enabled).toBe(false);
    expect(body.network_acls).toEqual({ default_action: "Deny", bypass: "AzureServices" });
  });

  it("locks the vault against deletion by default", () => {
    expect(body.lifecycle).toEqual({ prevent_destroy: true });
    expect(resourceAt(base, "azurerm_management_lock", "store/delete-lock")).toMatchObject({ lock_level: "CanNotDelete" });
  });

  it("puts its private endpoint in the network's endpoint subnet and vault DNS zone", () => {
    const { stack } = bareStack();
    const net = network(stack);
    new SecretStore(stack, "store", { ...PLACEMENT, vaultName: "kv-bank-dev-01", tenantId: TENANT, network: net });
    const result = synthStack(stack);
    const endpoint = resourceAt(result, "azurerm_private_endpoint", "store/private-endpoint");
    expect(endpoint.subnet_id).toBe(ref("azurerm_subnet", logicalNameAt(result, "azurerm_subnet", "network/private-endpoints-subnet")));
    expect(endpoint.private_dns_zone_group).toMatchObject({ private_dns_zone_ids: [ref("azurerm_private_dns_zone", logicalNameAt(result, "azurerm_private_dns_zone", "network/vault-dns-zone"))] });
  });

  it("writes secrets only after the private endpoint, the line of sight and the officer role's propagation wait", () => {
    const { stack } = bareStack();
    const net = network(stack, { peeredNetworks: [{ name: "agents", virtualNetworkId: vnetId("vnet-agents"), addressSpaces: ["10.200.0.0/24"] }] });
    const store = new SecretStore(stack, "store", { ...PLACEMENT, vaultName: "kv-bank-dev-01", tenantId: TENANT, network: net, secretsOfficers: [DEPLOYER] });
    store.addSecret(stack, "token", { name: "token", contentType: "text/plain", expirationDate: FUTURE, writeOnlyValue: secretValue(stack) });
    const result = synthStack(stack);
    const secretDeps = dependsOn(resourceAt(result, "azurerm_key_vault_secret", "under-test/token"));
    const sleep = addressAt(result, "time_sleep", "store/secrets-officer-propagation");
    expect(secretDeps).toEqual(
      expect.arrayContaining([
        addressAt(result, "azurerm_private_endpoint", "store/private-endpoint"),
        addressAt(result, "azurerm_private_dns_zone_virtual_network_link", "network/vault-dns-link"),
        addressAt(result, "azurerm_virtual_network_peering", "network/peering-to-agents"),
        addressAt(result, "azurerm_virtual_network_peering", "network/peering-from-agents"),
        addressAt(result, "azurerm_private_dns_zone_virtual_network_link", "network/vault-dns-link-agents"),
        sleep,
      ]),
    );
    const wait = resourceAt(result, "time_sleep", "store/secrets-officer-propagation");
    expect(wait.create_duration).toBe("120s");
    expect(dependsOn(wait)).toEqual([addressAt(result, "azurerm_role_assignment", "store/secrets-officer-0")]);
    expect(resourceAt(result, "azurerm_role_assignment", "store/secrets-officer-0")).toMatchObject({ role_definition_name: "Key Vault Secrets Officer", principal_type: "ServicePrincipal" });
    expect(Object.keys(result.provider ?? {})).toContain("time");
  });

  it("creates keys only after the endpoint and the crypto officer role's propagation wait", () => {
    const { stack } = bareStack();
    const store = vault(stack, { skuName: "premium", secretsOfficers: [DEPLOYER] });
    store.addKey(stack, "cmk", { name: "cmk-test", expirationDate: FUTURE });
    const result = synthStack(stack);
    const key = resourceAt(result, "azurerm_key_vault_key", "under-test/cmk");
    expect(key).toMatchObject({ key_type: "RSA-HSM", key_size: 3072 });
    expect(dependsOn(key)).toEqual(expect.arrayContaining([addressAt(result, "azurerm_private_endpoint", "store/private-endpoint"), addressAt(result, "time_sleep", "store/crypto-officer-propagation")]));
    expect(dependsOn(resourceAt(result, "time_sleep", "store/crypto-officer-propagation"))).toEqual([addressAt(result, "azurerm_role_assignment", "store/crypto-officer-0")]);
  });

  it("creates secrets in the caller's scope, so many constructs share one vault", () => {
    const { stack } = bareStack();
    const store = vault(stack);
    const token = secretValue(stack);
    store.addSecret(stack, "a", { name: "a", contentType: "text/plain", expirationDate: FUTURE, writeOnlyValue: token });
    store.addSecret(store, "a", { name: "b", contentType: "text/plain", expirationDate: FUTURE, writeOnlyValue: token });
    expect(resourcesOf(synthStack(stack), "azurerm_key_vault_secret")).toHaveLength(2);
  });

  it("stores a write-only secret without its value in the configuration", () => {
    const { stack } = bareStack();
    vault(stack).addSecret(stack, "token", { name: "token", contentType: "text/plain", expirationDate: FUTURE, writeOnlyValue: secretValue(stack) });
    const secret = resourceAt(synthStack(stack), "azurerm_key_vault_secret", "under-test/token");
    expect(secret.value).toBeUndefined();
    expect(secret).toMatchObject({ value_wo: "${var.secret-token}", value_wo_version: 1 });
  });

  it("writes a deliberately public value, such as a login name, as a plain value", () => {
    const { stack } = bareStack();
    vault(stack).addSecret(stack, "user", { name: "user", contentType: "text/plain", expirationDate: FUTURE, publicValue: "etl" });
    expect(resourceAt(synthStack(stack), "azurerm_key_vault_secret", "under-test/user").value).toBe("etl");
  });

  it("grants a principal a data-plane role in the caller's scope, with its principal type", () => {
    const { stack } = bareStack();
    vault(stack).grantReadSecrets(stack, "job-reads", AzurePrincipal.servicePrincipal(JOB_PRINCIPAL));
    expect(resourceAt(synthStack(stack), "azurerm_role_assignment", "under-test/job-reads")).toMatchObject({
      role_definition_name: "Key Vault Secrets User",
      principal_id: JOB_PRINCIPAL,
      principal_type: "ServicePrincipal",
    });
  });

  describe("fromExisting", () => {
    const vaultId = "/subscriptions/11111111-2222-4333-8444-555555555555/resourceGroups/rg-central/providers/Microsoft.KeyVault/vaults/kv-central-01";

    it("creates no vault but still writes secrets into it, with the right key_vault_id", () => {
      const { stack } = bareStack();
      const imported = SecretStore.fromExisting(stack, "central", { vaultId });
      imported.addSecret(stack, "token", { name: "token", contentType: "text/plain", expirationDate: FUTURE, writeOnlyValue: secretValue(stack) });
      imported.grant(stack, "reader", AzurePrincipal.group(JOB_PRINCIPAL), "Key Vault Secrets User");
      const result = synthStack(stack);
      expect(resourcesOf(result, "azurerm_key_vault")).toEqual([]);
      expect(resourceAt(result, "azurerm_key_vault_secret", "under-test/token").key_vault_id).toBe(vaultId);
      expect(resourceAt(result, "azurerm_role_assignment", "under-test/reader")).toMatchObject({ scope: vaultId, principal_type: "Group" });
      expect(imported.vaultName).toBe("kv-central-01");
      expect(imported.vaultUri).toBe("https://kv-central-01.vault.azure.net/");
    });

    it("makes the given writers officers and waits for the role before writing", () => {
      const { stack } = bareStack();
      const imported = SecretStore.fromExisting(stack, "central", { vaultId, secretsOfficers: [DEPLOYER] });
      imported.addSecret(stack, "token", { name: "token", contentType: "text/plain", expirationDate: FUTURE, writeOnlyValue: secretValue(stack) });
      const result = synthStack(stack);
      expect(dependsOn(resourceAt(result, "azurerm_key_vault_secret", "under-test/token"))).toContain(addressAt(result, "time_sleep", "central/secrets-officer-propagation"));
    });
  });

  describe("validation", () => {
    it("refuses a vault name with bad characters or too long", () => {
      const { stack } = bareStack();
      vault(stack, { vaultName: "kv_bank_development_environment" });
      expect(problemsOf(stack)).toEqual([{ construct: "SecretStore", prop: "vaultName" }]);
    });

    it("checks the literal part of a vault name built from a token", () => {
      const { stack } = bareStack();
      vault(stack, { vaultName: `KV_BAD_${Fn.lower("x")}` });
      expect(problemsOf(stack)).toEqual([{ construct: "SecretStore", prop: "vaultName" }]);
    });

    it("refuses soft delete retention outside 7 to 90 days and an unknown SKU", () => {
      const { stack } = bareStack();
      vault(stack, { softDeleteRetentionDays: 120, skuName: "gold" as "standard" });
      expect(problemsOf(stack)).toEqual([
        { construct: "SecretStore", prop: "skuName" },
        { construct: "SecretStore", prop: "softDeleteRetentionDays" },
      ]);
    });

    it("refuses a region that is not an Azure region", () => {
      const { stack } = bareStack();
      vault(stack, { location: "mars" });
      expect(problemsOf(stack)).toEqual([{ construct: "SecretStore", prop: "location" }]);
    });

    it("reports missing props of a JavaScript caller without crashing", () => {
      const { stack } = bareStack();
      expect(() => new SecretStore(stack, "store", undefined as never)).not.toThrow();
      expect(problemsOf(stack).map((p) => p.prop)).toEqual(expect.arrayContaining(["vaultName", "tenantId", "privateEndpointSubnetId", "privateDnsZoneId"]));
    });

    it("refuses a literal string as a secret value", () => {
      const { stack } = bareStack();
      vault(stack).addSecret(stack, "bad", { name: "bad", contentType: "text/plain", expirationDate: FUTURE, writeOnlyValue: "hunter2" });
      expect(problemsOf(stack)).toEqual([{ construct: "SecretStore.addSecret", prop: "writeOnlyValue" }]);
    });

    it("refuses the old plain value field, which would land in cdk.tf.json", () => {
      const { stack } = bareStack();
      vault(stack).addSecret(stack, "bad", { name: "bad", contentType: "text/plain", expirationDate: FUTURE, value: "hunter2" } as never);
      expect(problemsOf(stack)).toEqual([{ construct: "SecretStore.addSecret", prop: "value" }]);
    });

    it("refuses a secret that has already expired or has no valid expiry", () => {
      const { stack } = bareStack();
      const store = vault(stack);
      store.addSecret(stack, "old", { name: "old", contentType: "text/plain", expirationDate: PAST, publicValue: "x" });
      store.addSecret(stack, "vague", { name: "vague", contentType: "text/plain", expirationDate: "next year", publicValue: "x" });
      expect(problemsOf(stack)).toEqual([
        { construct: "SecretStore.addSecret", prop: "expirationDate" },
        { construct: "SecretStore.addSecret", prop: "expirationDate" },
      ]);
    });

    it("refuses a key that has already expired and a key in a standard vault", () => {
      const { stack } = bareStack();
      vault(stack).addKey(stack, "cmk", { name: "cmk", expirationDate: PAST });
      expect(problemsOf(stack)).toEqual([
        { construct: "SecretStore.addKey", prop: "expirationDate" },
        { construct: "SecretStore.addKey", prop: "skuName" },
      ]);
    });

    it("refuses a secret with both kinds of value or neither", () => {
      const { stack } = bareStack();
      vault(stack).addSecret(stack, "both", { name: "both", contentType: "text/plain", expirationDate: FUTURE, publicValue: "x", writeOnlyValue: secretValue(stack) });
      expect(problemsOf(stack)).toEqual([{ construct: "SecretStore.addSecret", prop: "writeOnlyValue" }]);
    });

    it("refuses two secrets of the same name in one vault", () => {
      const { stack } = bareStack();
      const store = vault(stack);
      store.addSecret(stack, "one", { name: "shared", contentType: "text/plain", expirationDate: FUTURE, publicValue: "x" });
      store.addSecret(stack, "two", { name: "shared", contentType: "text/plain", expirationDate: FUTURE, publicValue: "y" });
      expect(problemsOf(stack)).toEqual([{ construct: "SecretStore.addSecret", prop: "name" }]);
    });

    it("refuses a placeholder principal id in a grant", () => {
      const { stack } = bareStack();
      vault(stack).grant(stack, "bad", AzurePrincipal.fromObjectId("<principal-object-id>"), "Key Vault Secrets User");
      expect(problemsOf(stack)).toEqual([{ construct: "SecretStore.grant", prop: "principal.objectId" }]);
    });

    it("accepts valid props with no problems", () => {
      const { stack } = bareStack();
      new SecretStore(stack, "store", vaultProps());
      expect(problemsOf(stack)).toEqual([]);
    });
  });
});
