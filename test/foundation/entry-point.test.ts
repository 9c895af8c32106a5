import { existsSync, readFileSync } from "fs";
import { join } from "path";
import { App, TerraformStack, Testing } from "cdktf";
import { AzurermProvider } from "@cdktf/provider-azurerm/lib/provider";
import * as library from "../../src";
import { synthStack } from "../helpers/synth";

describe("the package entry point", () => {
  it("exports every construct, its props validation and the stacks", () => {
    for (const name of ["SecureNetwork", "SecretStore", "LakeStorage", "RelationalSink", "Observability", "PropValidationError", "EstateStack", "privateEndpoint"]) {
      expect(library).toHaveProperty(name);
    }
  });

  it("composes constructs in another organisation's stack without the estate's stacks", () => {
    const app: App = Testing.app();
    const stack = new TerraformStack(app, "their-stack");
    new AzurermProvider(stack, "azurerm", { features: [{}] });
    const placement = { resourceGroupName: "rg-analytics", location: "northeurope" };
    const network = new library.SecureNetwork(stack, "network", {
      ...placement,
      nameSuffix: "analytics-dev",
      addressSpace: "172.16.0.0/20",
      subnets: { databricksHost: "172.16.0.0/26", databricksContainer: "172.16.0.64/26", postgres: "172.16.1.0/28", privateEndpoints: "172.16.1.16/28" },
    });
    const lake = new library.LakeStorage(stack, "lake", {
      ...placement,
      accountName: "stanalyticsdev",
      replicationType: "ZRS",
      landingColdTier: "Cold",
      privateEndpointSubnetId: network.privateEndpoints.subnet.id,
      blobDnsZoneId: network.dnsZones.blob.id,
      dfsDnsZoneId: network.dnsZones.dfs.id,
    });
    const synthesized = synthStack(stack);
    expect(Object.values(synthesized.resource.azurerm_storage_account)[0]).toMatchObject({ name: "stanalyticsdev", account_replication_type: "ZRS" });
    expect(lake.containers.landing).toBeDefined();
  });

  it("points package.json main and types at the compiled entry point", async () => {
    const pkg = JSON.parse(readFileSync(join(__dirname, "..", "..", "package.json"), "utf8")) as { main: string; types: string };
    expect(pkg.main).toBe("lib/index.js");
    expect(pkg.types).toBe("lib/index.d.ts");
    const compiled = join(__dirname, "..", "..", pkg.main);
    if (existsSync(compiled)) {
      // npm test builds first; the compiled library must expose the same constructs.
      const built = (await import(compiled)) as Record<string, unknown>;
      expect(Object.keys(built)).toEqual(expect.arrayContaining(["SecureNetwork", "SecretStore", "LakeStorage", "RelationalSink"]));
    }
  });
});
