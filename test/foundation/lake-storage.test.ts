import { Fn, TerraformStack, Testing } from "cdktf";
import { AzurermProvider } from "@cdktf/provider-azurerm/lib/provider";
import { blobPathCondition, folderFilesWriteCondition, LakeStorage, LakeStorageProps } from "../../src/constructs/storage/lake-storage";
import { conditionAllows } from "../helpers/abac";
import { AzurePrincipal } from "../../src/constructs/core/principal";
import { bareStack, logicalNameAt, ref, resourceAt, resourcesOf, synthStack } from "../helpers/synth";
import { validationProblems } from "../../src/constructs/core/validation";
import { addressAt, dependsOn, EXISTING_ZONES, FUTURE, JOB_PRINCIPAL, network, PAST, PLACEMENT, problemsOf, subnetId, vault } from "./fixtures";

const lakeProps = (props: Partial<LakeStorageProps> = {}): LakeStorageProps => ({
  ...PLACEMENT,
  accountName: "stbankdev01",
  privateEndpointSubnetId: subnetId("snet-pe"),
  blobDnsZoneId: EXISTING_ZONES.blob,
  dfsDnsZoneId: EXISTING_ZONES.dfs,
  ...props,
});

describe("LakeStorage", () => {
  const { stack: baseStack } = bareStack();
  new LakeStorage(baseStack, "lake", lakeProps());
  const base = synthStack(baseStack);
  const account = resourceAt(base, "azurerm_storage_account", "lake/account");

  it("refuses, at synth, a stack whose azurerm provider would call the private account's data plane", () => {
    for (const features of [[{}], [{ storage: [{ dataPlaneAvailable: true }] }]]) {
      const stack = new TerraformStack(Testing.app(), "no-feature");
      new AzurermProvider(stack, "azurerm", { features });
      new LakeStorage(stack, "lake", lakeProps());
      expect(problemsOf(stack)).toEqual([{ construct: "LakeStorage", prop: "(the stack's azurerm provider)" }]);
      expect(() => Testing.synth(stack, true)).toThrow(/dataPlaneAvailable: false/);
    }
  });

  it("sees a provider created after the lake", () => {
    const stack = new TerraformStack(Testing.app(), "provider-later");
    new LakeStorage(stack, "lake", lakeProps());
    new AzurermProvider(stack, "azurerm", { features: [{ storage: [{ dataPlaneAvailable: false }] }] });
    expect(problemsOf(stack)).toEqual([]);
  });

  it("configures nothing that only the data plane can set (queue properties, static website)", () => {
    expect(account.queue_properties).toBeUndefined();
    expect(account.static_website).toBeUndefined();
  });

  it("is an ADLS Gen2 account (hierarchical namespace)", () => {
    expect(account).toMatchObject({ is_hns_enabled: true, account_kind: "StorageV2" });
  });

  it("requires TLS 1.2 and HTTPS and accepts only Entra ID", () => {
    expect(account).toMatchObject({ min_tls_version: "TLS1_2", https_traffic_only_enabled: true, shared_access_key_enabled: false, local_user_enabled: false });
  });

  it("denies public network access with a Deny ACL", () => {
    expect(account.public_network_access_enabled).toBe(false);
    expect(account.network_rules).toMatchObject({ default_action: "Deny" });
  });

  it("is geo-redundant by default", () => {
    expect(account.account_replication_type).toBe("RAGRS");
  });

  it("has private containers for landing, curated, features, quarantine and the catalog root", () => {
    const names = resourcesOf(base, "azurerm_storage_container").map(([, body]) => body.name);
    expect(names.sort()).toEqual(["catalog", "curated", "features", "landing", "quarantine"]);
  });

  it("reaches blob and dfs through private endpoints in the network's DNS zones", () => {
    const { stack } = bareStack();
    const net = network(stack);
    new LakeStorage(stack, "lake", { ...PLACEMENT, accountName: "stbankdev01", network: net });
    const result = synthStack(stack);
    for (const subresource of ["blob", "dfs"]) {
      const endpoint = resourceAt(result, "azurerm_private_endpoint", `lake/${subresource}-private-endpoint`);
      expect(endpoint.subnet_id).toBe(ref("azurerm_subnet", logicalNameAt(result, "azurerm_subnet", "network/private-endpoints-subnet")));
      expect(endpoint.private_dns_zone_group).toMatchObject({ private_dns_zone_ids: [ref("azurerm_private_dns_zone", logicalNameAt(result, "azurerm_private_dns_zone", `network/${subresource}-dns-zone`))] });
    }
  });

  it("creates the account only after its customer-managed key, the identity's role on it and a propagation wait", () => {
    const { stack } = bareStack();
    const store = vault(stack, { skuName: "premium" });
    new LakeStorage(stack, "lake", lakeProps({ customerManagedKey: { secretStore: store, keyExpirationDate: FUTURE } }));
    const result = synthStack(stack);
    const accountDeps = dependsOn(resourceAt(result, "azurerm_storage_account", "lake/account"));
    const keyAccess = addressAt(result, "azurerm_role_assignment", "lake/encryption-key-access");
    expect(accountDeps).toEqual(expect.arrayContaining([addressAt(result, "azurerm_key_vault_key", "lake/encryption-key"), keyAccess, addressAt(result, "time_sleep", "lake/encryption-key-access-propagation")]));
    expect(dependsOn(resourceAt(result, "time_sleep", "lake/encryption-key-access-propagation"))).toEqual([keyAccess]);
    expect(resourceAt(result, "azurerm_key_vault_key", "lake/encryption-key").name).toBe("cmk-stbankdev01");
  });

  it("grants two consumers on one lake, each in its own scope", () => {
    const { stack } = bareStack();
    const lake = new LakeStorage(stack, "lake", lakeProps());
    lake.grant(stack, "etl-contributor", AzurePrincipal.servicePrincipal(JOB_PRINCIPAL), "Storage Blob Data Contributor");
    lake.grant(lake, "etl-contributor", AzurePrincipal.group("7b8c9d0e-1f2a-4b3c-8d4e-5f6a7b8c9d0e"), "Storage Blob Data Reader");
    const grants = resourcesOf(synthStack(stack), "azurerm_role_assignment").map(([, body]) => body);
    expect(grants).toHaveLength(2);
    expect(grants.map((g) => g.principal_type).sort()).toEqual(["Group", "ServicePrincipal"]);
  });

  it("grants a role on one container, limited by an ABAC condition to the blobs under a folder", () => {
    const { stack } = bareStack();
    const lake = new LakeStorage(stack, "lake", lakeProps());
    lake.grantContainer(stack, "payments-curated", AzurePrincipal.servicePrincipal(JOB_PRINCIPAL), "Storage Blob Data Contributor", "curated", "payments/");
    const [[, grant]] = resourcesOf(synthStack(stack), "azurerm_role_assignment");
    expect(grant.scope).toBe(`\${${"azurerm_storage_account"}.${logicalNameAt(synthStack(stack), "azurerm_storage_account", "lake/account")}.id}/blobServices/default/containers/curated`);
    expect(grant.condition_version).toBe("2.0");
    const condition = String(grant.condition);
    // Every data action the role has is conditioned on the path; listing (which has no path) is not.
    for (const action of ["read", "write", "add/action", "move/action", "delete"]) expect(condition).toContain(`ActionMatches{'Microsoft.Storage/storageAccounts/blobServices/containers/blobs/${action}'}`);
    expect(condition).toContain("AND NOT SubOperationMatches{'Blob.List'}");
    expect(condition).toContain("blobs:path] StringStartsWith 'payments/'");
    expect(condition).toContain("blobs:path] StringEquals 'payments'");
  });

  it("lets a folder writer write the files directly in its folder, and read, delete or rename no blob", () => {
    const blob = (name: string) => `Microsoft.Storage/storageAccounts/blobServices/containers/blobs/${name}`;
    const condition = folderFilesWriteCondition("bank/export/_manifests");
    const allows = (action: string, path?: string, subOperation?: string) => conditionAllows(condition, { action: blob(action), path, subOperation });
    expect(allows("write", "bank/export/_manifests/2022Q3.json")).toBe(true);
    expect(allows("add/action", "bank/export/_manifests/2023Q1.json")).toBe(true);
    expect(allows("write", "bank/export/_manifests/2022Q3/20261001T020000Z-5f3a1b2c.json")).toBe(false); // the kept run copies
    expect(allows("write", "bank/export/year=2022/quarter=3/part-0.parquet")).toBe(false);
    expect(allows("write", "cards/export/_manifests/2022Q3.json")).toBe(false);
    expect(allows("write", "bank/export/_manifests")).toBe(false);
    for (const action of ["read", "delete", "move/action"]) expect([action, allows(action, "bank/export/_manifests/2022Q3.json")]).toEqual([action, false]);
    expect(allows("read", undefined, "Blob.List")).toBe(true); // a list has no path to condition on
  });

  it("reads the folder grant's condition as the documented evaluation does (the evaluator's own check)", () => {
    const condition = blobPathCondition("Storage Blob Data Contributor", "payments/");
    const blob = (name: string) => `Microsoft.Storage/storageAccounts/blobServices/containers/blobs/${name}`;
    expect(conditionAllows(condition, { action: blob("delete"), path: "payments/x.parquet" })).toBe(true);
    expect(conditionAllows(condition, { action: blob("delete"), path: "risk/x.parquet" })).toBe(false);
  });

  it("conditions a reader's grant on reads only, and leaves a grant without a folder unconditioned", () => {
    const { stack } = bareStack();
    const lake = new LakeStorage(stack, "lake", lakeProps());
    lake.grantContainer(stack, "landing-reader", AzurePrincipal.servicePrincipal(JOB_PRINCIPAL), "Storage Blob Data Reader", "landing", "payments");
    lake.grantContainer(stack, "catalog", AzurePrincipal.servicePrincipal(JOB_PRINCIPAL), "Storage Blob Data Contributor", "catalog");
    const grants = resourcesOf(synthStack(stack), "azurerm_role_assignment").map(([, body]) => body);
    const reader = grants.find((grant) => grant.role_definition_name === "Storage Blob Data Reader")!;
    expect(String(reader.condition)).not.toContain("blobs/write");
    expect(String(reader.condition)).toContain("StringStartsWith 'payments/'");
    const contributor = grants.find((grant) => grant.role_definition_name === "Storage Blob Data Contributor")!;
    expect(contributor.condition).toBeUndefined();
  });

  it("lets a trusted resource through the network ACL", () => {
    const { stack } = bareStack();
    const lake = new LakeStorage(stack, "lake", lakeProps());
    lake.allowTrustedResource("/subscriptions/x/resourceGroups/rg/providers/Microsoft.Databricks/accessConnectors/ac", "t");
    const rules = resourceAt(synthStack(stack), "azurerm_storage_account", "lake/account").network_rules as Record<string, unknown>;
    expect(rules.private_link_access).toEqual([{ endpoint_resource_id: "/subscriptions/x/resourceGroups/rg/providers/Microsoft.Databricks/accessConnectors/ac", endpoint_tenant_id: "t" }]);
  });

  it("builds abfss URIs for Spark and Unity Catalog", () => {
    const { stack } = bareStack();
    const lake = LakeStorage.fromExisting(stack, "lake", { accountId: "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/stbankdev01" });
    expect(lake.abfssUri("curated", "bank/")).toBe("abfss://curated@stbankdev01.dfs.core.windows.net/bank/");
  });

  describe("fromExisting", () => {
    const accountId = "/subscriptions/11111111-2222-4333-8444-555555555555/resourceGroups/rg-data/providers/Microsoft.Storage/storageAccounts/stcentral01";

    it("creates nothing, derives the name and endpoints from the id and still grants roles", () => {
      const { stack } = bareStack();
      const lake = LakeStorage.fromExisting(stack, "lake", { accountId, containerNames: { landing: "raw" } });
      lake.grant(stack, "reader", AzurePrincipal.servicePrincipal(JOB_PRINCIPAL), "Storage Blob Data Reader");
      const result = synthStack(stack);
      expect(resourcesOf(result, "azurerm_storage_account")).toEqual([]);
      expect(resourceAt(result, "azurerm_role_assignment", "under-test/reader").scope).toBe(accountId);
      expect(lake.accountName).toBe("stcentral01");
      expect(lake.dfsEndpoint).toBe("https://stcentral01.dfs.core.windows.net/");
      expect(lake.abfssUri("landing")).toBe("abfss://raw@stcentral01.dfs.core.windows.net/");
    });

    it("warns that the owner must add a trusted resource to an imported account's ACL", () => {
      const { stack } = bareStack();
      const lake = LakeStorage.fromExisting(stack, "lake", { accountId });
      lake.allowTrustedResource("/subscriptions/x/resourceGroups/rg/providers/Microsoft.Databricks/accessConnectors/ac", "t");
      const warnings = lake.node.metadata.filter((entry) => entry.type === "@cdktf/warn").map((entry) => String(entry.data));
      expect(warnings).toEqual([expect.stringMatching(/cannot change its network ACL[\s\S]*accessConnectors\/ac/)]);
    });
  });

  describe("validation", () => {
    const problemsFor = (props: Partial<LakeStorageProps>) => {
      const { stack } = bareStack();
      new LakeStorage(stack, "lake", lakeProps(props));
      return problemsOf(stack);
    };

    it("refuses an account name with capitals or too long", () => {
      expect(problemsFor({ accountName: "StBankDevelopmentAccount01" })).toEqual([{ construct: "LakeStorage", prop: "accountName" }]);
    });

    it("checks the literal part of an account name built from a token", () => {
      expect(problemsFor({ accountName: `ST_BAD_${Fn.lower("x")}` })).toEqual([{ construct: "LakeStorage", prop: "accountName" }]);
      expect(problemsFor({ accountName: `st${Fn.lower("x")}` })).toEqual([]);
    });

    it("refuses a literal part longer than the account name limit", () => {
      expect(problemsFor({ accountName: `stbankdevelopmentlake${Fn.lower("x")}abcd` })).toEqual([{ construct: "LakeStorage", prop: "accountName" }]);
    });

    it("refuses an unknown replication type and the archive tier on a zone-redundant account", () => {
      expect(problemsFor({ replicationType: "XRS" as "LRS" })).toEqual([{ construct: "LakeStorage", prop: "replicationType" }]);
      expect(problemsFor({ replicationType: "ZRS" })).toEqual([{ construct: "LakeStorage", prop: "landingColdTier" }]);
    });

    it("refuses a cold tier that comes before the cool tier and soft delete outside 1 to 365 days", () => {
      expect(problemsFor({ landingCoolAfterDays: 90, landingColdAfterDays: 30, blobSoftDeleteDays: 0 })).toEqual([
        { construct: "LakeStorage", prop: "blobSoftDeleteDays" },
        { construct: "LakeStorage", prop: "landingColdAfterDays" },
      ]);
    });

    it("refuses a customer-managed key whose expiry is in the past, once, naming the key", () => {
      const { stack } = bareStack();
      const store = vault(stack, { skuName: "premium" });
      new LakeStorage(stack, "lake", lakeProps({ customerManagedKey: { secretStore: store, keyExpirationDate: PAST } }));
      // The vault's key gets the same date: one problem, at the prop the user set, naming the key.
      expect(problemsOf(stack)).toEqual([{ construct: "LakeStorage", prop: "customerManagedKey.keyExpirationDate" }]);
      expect(validationProblems(stack)[0].allowed).toContain("key cmk-");
    });

    it("refuses a placeholder principal id in a grant", () => {
      const { stack } = bareStack();
      new LakeStorage(stack, "lake", lakeProps()).grant(stack, "bad", AzurePrincipal.fromObjectId("<principal-object-id>"), "Storage Blob Data Reader");
      expect(problemsOf(stack)).toEqual([{ construct: "LakeStorage.grant", prop: "principal.objectId" }]);
    });

    it("refuses a tag value longer than Azure allows and a region it does not know", () => {
      expect(problemsFor({ location: "mars", tags: { owner: "x".repeat(257) } })).toEqual([
        { construct: "LakeStorage", prop: "location" },
        { construct: "LakeStorage", prop: "tags.owner" },
      ]);
    });

    it("reports missing props of a JavaScript caller without crashing", () => {
      const { stack } = bareStack();
      expect(() => new LakeStorage(stack, "lake", {} as never)).not.toThrow();
      expect(problemsOf(stack).map((p) => p.prop)).toEqual(expect.arrayContaining(["accountName", "privateEndpointSubnetId", "blobDnsZoneId", "dfsDnsZoneId"]));
    });
  });
});

describe("LakeStorage landing writers", () => {
  it("lets each landing writer write the landing container and nothing else", () => {
    const { stack } = bareStack();
    new LakeStorage(stack, "lake", lakeProps({ landingWriters: [AzurePrincipal.group(JOB_PRINCIPAL)] }));
    const synthesized = synthStack(stack);
    const assignment = resourceAt(synthesized, "azurerm_role_assignment", "lake/landing-writer-0");
    const account = logicalNameAt(synthesized, "azurerm_storage_account", "lake/account");
    expect(assignment).toMatchObject({
      role_definition_name: "Storage Blob Data Contributor",
      principal_id: JOB_PRINCIPAL,
      principal_type: "Group",
      scope: `\${azurerm_storage_account.${account}.id}/blobServices/default/containers/\${azurerm_storage_container.${logicalNameAt(synthesized, "azurerm_storage_container", "lake/landing-container")}.name}`,
    });
  });

  it("refuses a landing writer whose object id is not a GUID", () => {
    const { stack } = bareStack();
    new LakeStorage(stack, "lake", lakeProps({ landingWriters: [AzurePrincipal.group("data-team")] }));
    expect(problemsOf(stack)).toEqual([{ construct: "LakeStorage", prop: "principal.objectId" }]);
  });
});

describe("LakeStorage on a provider of its own", () => {
  it("puts every azurerm resource it makes, including later grants, on the provider it is given", () => {
    const stack = new TerraformStack(Testing.app(), "spoke");
    new AzurermProvider(stack, "azurerm", { features: [{}] });
    const spoke = new AzurermProvider(stack, "spoke", { alias: "spoke", features: [{ storage: [{ dataPlaneAvailable: false }] }] });
    const lake = new LakeStorage(stack, "lake", lakeProps({ provider: spoke }));
    lake.grant(lake, "reader", AzurePrincipal.group(JOB_PRINCIPAL), "Storage Blob Data Reader");
    expect(problemsOf(stack)).toEqual([]);
    const synthesized = synthStack(stack);
    const azurerm = Object.entries(synthesized.resource).filter(([type]) => type.startsWith("azurerm_")).flatMap(([type, byName]) => Object.entries(byName).map(([name, body]) => [`${type}.${name}`, body.provider]));
    expect(azurerm.length).toBeGreaterThan(8);
    expect(azurerm.filter(([, provider]) => provider !== "azurerm.spoke")).toEqual([]);
  });

  it("checks the storage feature on the provider it is given, not the stack's default", () => {
    const stack = new TerraformStack(Testing.app(), "spoke-without-feature");
    new AzurermProvider(stack, "azurerm", { features: [{ storage: [{ dataPlaneAvailable: false }] }] });
    const spoke = new AzurermProvider(stack, "spoke", { alias: "spoke", features: [{}] });
    new LakeStorage(stack, "lake", lakeProps({ provider: spoke }));
    expect(problemsOf(stack)).toEqual([{ construct: "LakeStorage", prop: "provider" }]);
  });
});
