import { SecretStore, SecretStoreProps } from "../../src/constructs/secret-store";
import { PropValidationError } from "../../src/constructs/validation";
import { bareStack, logicalNameAt, ref, resourceAt, resourcesOf, synthEnvironment, synthStack } from "../helpers/synth";

const validProps: SecretStoreProps = {
  resourceGroupName: "rg-test",
  location: "westeurope",
  vaultName: "kv-bank-dev-01",
  tenantId: "00000000-0000-0000-0000-000000000000",
  privateEndpointSubnetId: "/subscriptions/x/subnets/pe",
  privateDnsZoneId: "/subscriptions/x/privateDnsZones/privatelink.vaultcore.azure.net",
};
const secret = { name: "api-user", contentType: "text/plain", expirationDate: "2027-06-30T00:00:00Z", value: "etl" };

function errorOf(action: () => unknown): PropValidationError {
  try {
    action();
  } catch (error) {
    return error as PropValidationError;
  }
  throw new Error("expected a validation error");
}

describe("SecretStore", () => {
  const prod = synthEnvironment("prod");
  const vault = resourceAt(prod, "azurerm_key_vault", "secrets/vault");
  const vaultRef = ref("azurerm_key_vault", logicalNameAt(prod, "azurerm_key_vault", "secrets/vault"));

  it("authorizes with Azure RBAC, not access policies", () => {
    expect(vault.rbac_authorization_enabled).toBe(true);
    expect(vault.access_policy).toBeUndefined();
  });

  it("keeps purge protection and soft delete on", () => {
    expect(vault.purge_protection_enabled).toBe(true);
    expect(vault.soft_delete_retention_days).toBe(90);
  });

  it("denies public network access to the vault", () => {
    expect(vault.public_network_access_enabled).toBe(false);
    expect(vault.network_acls).toEqual({ default_action: "Deny", bypass: "AzureServices" });
  });

  it("reaches the vault through a private endpoint registered in the vault DNS zone", () => {
    const endpoint = resourceAt(prod, "azurerm_private_endpoint", "secrets/private-endpoint");
    expect(endpoint.subnet_id).toBe(ref("azurerm_subnet", logicalNameAt(prod, "azurerm_subnet", "network/private-endpoints-subnet")));
    expect(endpoint.private_service_connection).toMatchObject({ private_connection_resource_id: vaultRef, subresource_names: ["vault"], is_manual_connection: false });
    expect(endpoint.private_dns_zone_group).toMatchObject({
      private_dns_zone_ids: [ref("azurerm_private_dns_zone", logicalNameAt(prod, "azurerm_private_dns_zone", "network/vault-dns-zone"))],
    });
  });

  it("sends the vault's audit logs to Log Analytics", () => {
    const diagnostics = resourceAt(prod, "azurerm_monitor_diagnostic_setting", "secrets/diagnostics");
    expect(diagnostics.target_resource_id).toBe(vaultRef);
    expect(diagnostics.log_analytics_workspace_id).toBe(ref("azurerm_log_analytics_workspace", logicalNameAt(prod, "azurerm_log_analytics_workspace", "observability/workspace")));
    expect(diagnostics.enabled_log).toEqual([{ category_group: "allLogs" }]);
  });

  it("gives every secret an expiry and a content type", () => {
    const secrets = resourcesOf(prod, "azurerm_key_vault_secret");
    expect(secrets.length).toBeGreaterThan(0);
    for (const [, body] of secrets) {
      expect(body.expiration_date).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
      expect(body.content_type).toEqual(expect.any(String));
      expect(body.key_vault_id).toBe(vaultRef);
    }
  });

  it("lets the deploying identity manage secrets before it writes any", () => {
    const officer = resourceAt(prod, "azurerm_role_assignment", "secrets/secrets-officer-0");
    expect(officer).toMatchObject({ scope: vaultRef, role_definition_name: "Key Vault Secrets Officer", principal_id: "${data.azurerm_client_config.client.object_id}" });
    const officerRef = `azurerm_role_assignment.${logicalNameAt(prod, "azurerm_role_assignment", "secrets/secrets-officer-0")}`;
    for (const [, body] of resourcesOf(prod, "azurerm_key_vault_secret")) expect(body.depends_on).toContain(officerRef);
  });

  it("locks the vault against deletion in prod", () => {
    expect(vault.lifecycle).toEqual({ prevent_destroy: true });
    expect(resourceAt(prod, "azurerm_management_lock", "secrets/delete-lock")).toMatchObject({ scope: vaultRef, lock_level: "CanNotDelete" });
  });

  it("stores a write-only secret without its value in the configuration", () => {
    const { stack } = bareStack();
    const store = new SecretStore(stack, "store", validProps);
    store.addSecret("token", { name: "token", contentType: "text/plain", expirationDate: "2027-06-30T00:00:00Z", writeOnlyValue: "${var.token}" });
    const body = resourceAt(synthStack(stack), "azurerm_key_vault_secret", "store/token");
    expect(body.value).toBeUndefined();
    expect(body).toMatchObject({ value_wo: "${var.token}", value_wo_version: 1 });
  });

  it("grants a principal a data-plane role on the vault", () => {
    const { stack } = bareStack();
    const store = new SecretStore(stack, "store", validProps);
    store.grantReadSecrets("job-reads", "11111111-1111-1111-1111-111111111111");
    const body = resourceAt(synthStack(stack), "azurerm_role_assignment", "store/job-reads");
    expect(body).toMatchObject({ role_definition_name: "Key Vault Secrets User", principal_id: "11111111-1111-1111-1111-111111111111" });
  });

  it("refuses a vault name with bad characters or too long", () => {
    const { stack } = bareStack();
    const error = errorOf(() => new SecretStore(stack, "store", { ...validProps, vaultName: "kv_bank_development_environment" }));
    expect(error.message).toContain("SecretStore");
    expect(error.message).toContain('vaultName "kv_bank_development_environment" is not allowed: 3-24 characters');
  });

  it("refuses soft delete retention outside 7 to 90 days", () => {
    const { stack } = bareStack();
    const error = errorOf(() => new SecretStore(stack, "store", { ...validProps, softDeleteRetentionDays: 120 }));
    expect(error.message).toContain("softDeleteRetentionDays 120 is not allowed: a whole number from 7 to 90");
  });

  it("refuses an unknown SKU", () => {
    const { stack } = bareStack();
    const error = errorOf(() => new SecretStore(stack, "store", { ...validProps, skuName: "gold" as "standard" }));
    expect(error.message).toContain('skuName "gold" is not allowed: one of standard, premium');
  });

  it("refuses a secret without a valid expiry or with both kinds of value", () => {
    const { stack } = bareStack();
    const store = new SecretStore(stack, "store", validProps);
    const error = errorOf(() => store.addSecret("bad", { ...secret, expirationDate: "next year", writeOnlyValue: "x" }));
    expect(error.message).toContain("SecretStore.addSecret");
    expect(error.message).toContain('expirationDate "next year" is not allowed: an RFC 3339 UTC timestamp');
    expect(error.message).toContain("exactly one of value and writeOnlyValue");
  });
});
