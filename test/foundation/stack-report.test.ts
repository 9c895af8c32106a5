import { Fn } from "cdktf";
import { LakeStorage } from "../../src/constructs/storage/lake-storage";
import { Observability } from "../../src/constructs/monitoring/observability";
import { PropValidationError, splitTokens, validationProblems } from "../../src/constructs/core/validation";
import { bareStack, resourceAt, resourcesOf, synthStack } from "../helpers/synth";
import { SecretStore } from "../../src/constructs/key-vault/secret-store";
import { SecureNetwork } from "../../src/constructs/network/secure-network";
import { EXISTING_ZONES, PLACEMENT, problemsOf, subnetId, TENANT, vault } from "./fixtures";

describe("stack-wide validation", () => {
  it("reports a bad vault name and a bad lake name together, in one synth error", () => {
    const { stack } = bareStack();
    vault(stack, { vaultName: "kv_bad" });
    new LakeStorage(stack, "lake", { ...PLACEMENT, accountName: "ST_BAD", privateEndpointSubnetId: subnetId("snet-pe"), blobDnsZoneId: EXISTING_ZONES.blob, dfsDnsZoneId: EXISTING_ZONES.dfs });
    expect(problemsOf(stack)).toEqual([
      { construct: "SecretStore", prop: "vaultName" },
      { construct: "LakeStorage", prop: "accountName" },
    ]);
    let message = "";
    try {
      synthStack(stack);
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/SecretStore: vaultName "kv_bad"/);
    expect(message).toMatch(/LakeStorage: accountName "ST_BAD"/);
  });

  it("names the construct, prop, value and what is allowed in each problem", () => {
    const { stack } = bareStack();
    vault(stack, { vaultName: "kv_bad" });
    const [problem] = validationProblems(stack);
    expect(problem).toMatchObject({ construct: "SecretStore", path: "under-test/store", prop: "vaultName", value: '"kv_bad"' });
    expect(problem.allowed).toMatch(/3-24 characters/);
    expect(new PropValidationError([problem]).message).toContain("[under-test/store]");
  });

  it("refuses a region and a tag name in Observability too", () => {
    const { stack } = bareStack();
    new Observability(stack, "observability", { ...PLACEMENT, location: "mars", tags: { "a<b": "x" }, workspaceName: "log-bank-dev" });
    expect(problemsOf(stack)).toEqual([
      { construct: "Observability", prop: "location" },
      { construct: "Observability", prop: 'tags["a<b"]' },
    ]);
  });

  it("creates one time provider per stack however many constructs wait for roles", () => {
    const { stack } = bareStack();
    const officer = { objectId: "0b1c2d3e-4f5a-4b6c-8d7e-8f9a0b1c2d3e", principalType: "ServicePrincipal" as const };
    vault(stack, { secretsOfficers: [officer] }, "one");
    vault(stack, { vaultName: "kv-bank-dev-02", secretsOfficers: [officer] }, "two");
    const result = synthStack(stack);
    expect((result.provider?.time ?? []).length).toBe(1);
    expect(resourcesOf(result, "time_sleep")).toHaveLength(2);
  });

  it("places a vault and a lake on an imported network with existing DNS zones, creating no network resources", () => {
    const { stack } = bareStack();
    const hub = SecureNetwork.fromExisting(stack, "hub", {
      databricksHostSubnetId: subnetId("snet-dbw-host"),
      databricksContainerSubnetId: subnetId("snet-dbw-container"),
      postgresSubnetId: subnetId("snet-psql"),
      privateEndpointSubnetId: subnetId("snet-pe"),
      privateDnsZoneIds: EXISTING_ZONES,
    });
    new SecretStore(stack, "store", { ...PLACEMENT, vaultName: "kv-bank-dev-01", tenantId: TENANT, network: hub });
    new LakeStorage(stack, "lake", { ...PLACEMENT, accountName: "stbankdev01", network: hub });
    const result = synthStack(stack);
    for (const type of ["azurerm_virtual_network", "azurerm_subnet", "azurerm_private_dns_zone"]) expect(resourcesOf(result, type)).toEqual([]);
    for (const [, endpoint] of resourcesOf(result, "azurerm_private_endpoint")) expect(endpoint.subnet_id).toBe(subnetId("snet-pe"));
    expect(resourceAt(result, "azurerm_private_endpoint", "lake/dfs-private-endpoint").private_dns_zone_group).toMatchObject({ private_dns_zone_ids: [EXISTING_ZONES.dfs] });
  });

  it("splits a string into its literal and token parts", () => {
    expect(splitTokens(`ST_BAD_${Fn.lower("x")}`)).toEqual([{ literal: "ST_BAD_" }, { token: true }]);
    expect(splitTokens(`a${Fn.lower("x")}b`)).toEqual([{ literal: "a" }, { token: true }, { literal: "b" }]);
    expect(splitTokens("plain")).toEqual([{ literal: "plain" }]);
  });
});
