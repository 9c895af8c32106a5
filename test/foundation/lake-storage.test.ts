import { TerraformOutput } from "cdktf";
import { LakeStorage, LakeStorageProps } from "../../src/constructs/lake-storage";
import { PropValidationError } from "../../src/constructs/validation";
import { bareStack, logicalNameAt, ref, resourceAt, resourcesOf, synthEnvironment, synthStack } from "../helpers/synth";

const validProps: LakeStorageProps = {
  resourceGroupName: "rg-test",
  location: "westeurope",
  accountName: "stbankdev01",
  privateEndpointSubnetId: "/subscriptions/x/subnets/pe",
  blobDnsZoneId: "/zones/blob",
  dfsDnsZoneId: "/zones/dfs",
};

function errorFor(props: Partial<LakeStorageProps>): PropValidationError {
  const { stack } = bareStack();
  try {
    new LakeStorage(stack, "lake", { ...validProps, ...props });
  } catch (error) {
    return error as PropValidationError;
  }
  throw new Error("expected a validation error");
}

describe("LakeStorage", () => {
  const prod = synthEnvironment("prod");
  const account = resourceAt(prod, "azurerm_storage_account", "lake/account");
  const accountRef = ref("azurerm_storage_account", logicalNameAt(prod, "azurerm_storage_account", "lake/account"));

  it("is an ADLS Gen2 account (hierarchical namespace)", () => {
    expect(account).toMatchObject({ account_kind: "StorageV2", is_hns_enabled: true });
  });

  it("requires TLS 1.2 and HTTPS", () => {
    expect(account).toMatchObject({ min_tls_version: "TLS1_2", https_traffic_only_enabled: true });
  });

  it("accepts only Entra ID: shared keys and local users are off", () => {
    expect(account).toMatchObject({ shared_access_key_enabled: false, default_to_oauth_authentication: true, local_user_enabled: false, sftp_enabled: false });
  });

  it("denies public network access to the lake", () => {
    expect(account).toMatchObject({ public_network_access_enabled: false, allow_nested_items_to_be_public: false });
    expect(account.network_rules).toMatchObject({ default_action: "Deny", bypass: ["AzureServices", "Logging", "Metrics"] });
  });

  it("keeps deleted blobs and containers recoverable", () => {
    expect(account.blob_properties).toEqual({ delete_retention_policy: { days: 30 }, container_delete_retention_policy: { days: 30 } });
  });

  it("encrypts at the infrastructure layer and never replicates to another tenant", () => {
    expect(account).toMatchObject({ infrastructure_encryption_enabled: true, cross_tenant_replication_enabled: false });
  });

  it("is geo-redundant in prod and locally redundant in dev", () => {
    expect(account.account_replication_type).toBe("RAGRS");
    expect(resourceAt(synthEnvironment("dev"), "azurerm_storage_account", "lake/account").account_replication_type).toBe("LRS");
  });

  it("has private containers for landing, curated, features, quarantine and the catalog root", () => {
    const containers = resourcesOf(prod, "azurerm_storage_container").map(([, body]) => body);
    expect(containers.map((c) => c.name).sort()).toEqual(["catalog", "curated", "features", "landing", "quarantine"]);
    for (const container of containers) expect(container).toMatchObject({ storage_account_id: accountRef, container_access_type: "private" });
  });

  it("moves landed files to cool and then archive", () => {
    const policy = resourceAt(prod, "azurerm_storage_management_policy", "lake/lifecycle");
    expect(policy.storage_account_id).toBe(accountRef);
    expect(policy.rule).toEqual([
      expect.objectContaining({
        name: "landing-tiering",
        filters: { blob_types: ["blockBlob"], prefix_match: ["landing/"] },
        actions: { base_blob: { tier_to_cool_after_days_since_modification_greater_than: 30, tier_to_archive_after_days_since_modification_greater_than: 180 } },
      }),
    ]);
  });

  it("reaches blob and dfs through private endpoints in their own DNS zones", () => {
    for (const subresource of ["blob", "dfs"]) {
      const endpoint = resourceAt(prod, "azurerm_private_endpoint", `lake/${subresource}-private-endpoint`);
      expect(endpoint.private_service_connection).toMatchObject({ private_connection_resource_id: accountRef, subresource_names: [subresource] });
      expect(endpoint.private_dns_zone_group).toMatchObject({
        private_dns_zone_ids: [ref("azurerm_private_dns_zone", logicalNameAt(prod, "azurerm_private_dns_zone", `network/${subresource}-dns-zone`))],
      });
    }
  });

  it("sends the blob service's logs to Log Analytics", () => {
    expect(resourceAt(prod, "azurerm_monitor_diagnostic_setting", "lake/blob-diagnostics")).toMatchObject({
      target_resource_id: `${accountRef}/blobServices/default`,
      enabled_log: [{ category_group: "allLogs" }],
    });
  });

  it("lets a trusted resource through the network ACL", () => {
    const { stack } = bareStack();
    const lake = new LakeStorage(stack, "lake", validProps);
    lake.allowTrustedResource("/subscriptions/x/accessConnectors/dbw", "tenant-1");
    const body = resourceAt(synthStack(stack), "azurerm_storage_account", "lake/account");
    expect(body.network_rules).toMatchObject({ private_link_access: [{ endpoint_resource_id: "/subscriptions/x/accessConnectors/dbw", endpoint_tenant_id: "tenant-1" }] });
  });

  it("builds abfss URIs for Spark and Unity Catalog", () => {
    const { stack } = bareStack();
    const lake = new LakeStorage(stack, "lake", validProps);
    new TerraformOutput(stack, "curated", { value: lake.abfssUri("curated", "transactions/") });
    const synthesized = synthStack(stack);
    const account = logicalNameAt(synthesized, "azurerm_storage_account", "lake/account");
    expect((synthesized.output?.curated as { value: string }).value).toBe(`abfss://curated@\${azurerm_storage_account.${account}.name}.dfs.core.windows.net/transactions/`);
  });

  it("refuses an account name with capitals or too long", () => {
    const error = errorFor({ accountName: "StBankDevelopmentAccount01" });
    expect(error.message).toContain('LakeStorage at \'under-test/lake\'');
    expect(error.message).toContain('accountName "StBankDevelopmentAccount01" is not allowed: 3-24 characters, lowercase letters and digits only');
  });

  it("refuses an unknown replication type", () => {
    expect(errorFor({ replicationType: "XRS" as "LRS" }).message).toContain('replicationType "XRS" is not allowed: one of LRS, ZRS, GRS, RAGRS, GZRS, RAGZRS');
  });

  it("refuses the archive tier on a zone-redundant account", () => {
    expect(errorFor({ replicationType: "GZRS" }).message).toContain('landingColdTier "Archive" is not allowed: "Cold" with replicationType GZRS');
  });

  it("refuses a cold tier that comes before the cool tier", () => {
    expect(errorFor({ landingCoolAfterDays: 60, landingColdAfterDays: 30 }).message).toContain("landingColdAfterDays 30 is not allowed: more days than landingCoolAfterDays (60)");
  });

  it("refuses blob soft delete outside 1 to 365 days", () => {
    expect(errorFor({ blobSoftDeleteDays: 0 }).message).toContain("blobSoftDeleteDays 0 is not allowed: a whole number from 1 to 365");
  });
});
