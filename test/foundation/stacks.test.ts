import { Testing } from "cdktf";
import { ENVIRONMENTS, resourceNames } from "../../src/stacks/config";
import { EstateStack } from "../../src/stacks/estate-stack";
import { NAME_RULES, validationProblems } from "../../src/constructs/core/validation";
import { CONFIGS, resourcesOf, synthEnvironment, synthStack } from "../helpers/synth";

describe("environment stacks", () => {
  it.each(ENVIRONMENTS)("stores %s state in its own key of the azurerm backend, with Entra ID", (environment) => {
    const backend = (synthEnvironment(environment).terraform.backend as { azurerm: Record<string, unknown> }).azurerm;
    expect(backend).toMatchObject({ key: `estate-${environment}.tfstate`, container_name: "tfstate", use_azuread_auth: true });
    expect(backend.access_key).toBeUndefined();
  });

  it.each(ENVIRONMENTS)("configures the azurerm provider for %s with features and Entra ID storage access", (environment) => {
    const [provider] = synthEnvironment(environment).provider?.azurerm as Array<Record<string, unknown>>;
    expect(provider.storage_use_azuread).toBe(true);
    expect(provider.features).toEqual([{ key_vault: [{ purge_soft_delete_on_destroy: false, recover_soft_deleted_key_vaults: true }], resource_group: [{ prevent_deletion_if_contains_resources: true }], storage: [{ data_plane_available: false }] }]);
  });

  it.each(ENVIRONMENTS)("requires Terraform 1.11 or later in %s, for the write-only arguments", (environment) => {
    expect(synthEnvironment(environment).terraform).toMatchObject({ required_version: ">= 1.11.0" });
  });

  it.each(ENVIRONMENTS)("tags every taggable resource in %s with environment, owner, cost centre and workload", (environment) => {
    const synthesized = synthEnvironment(environment);
    for (const bodies of Object.values(synthesized.resource)) {
      for (const body of Object.values(bodies)) {
        if (body.tags === undefined) continue;
        expect(body.tags).toMatchObject({ environment, owner: CONFIGS[environment].owner, "cost-centre": CONFIGS[environment].costCentre, workload: "bank" });
      }
    }
    expect(Object.values(synthesized.resource.azurerm_resource_group)[0].tags).toBeDefined();
  });

  it.each(ENVIRONMENTS)("names %s resources by the Cloud Adoption Framework within Azure's rules", (environment) => {
    const names = resourceNames(CONFIGS[environment]);
    expect(names.resourceGroup).toBe(`rg-bank-${environment}`);
    expect(names.storageAccount).toMatch(NAME_RULES.storageAccount.pattern);
    expect(names.keyVault).toMatch(NAME_RULES.keyVault.pattern);
    expect(names.postgresServer).toMatch(NAME_RULES.postgresServer.pattern);
    expect(names.keyVault.startsWith("kv-")).toBe(true);
    expect(names.storageAccount.startsWith("st")).toBe(true);
    expect(names.postgresServer.startsWith("psql-")).toBe(true);
  });

  it("protects prod's vault, lake and database with prevent_destroy and delete locks", () => {
    const prod = synthEnvironment("prod");
    expect(resourcesOf(prod, "azurerm_management_lock")).toHaveLength(3);
    for (const type of ["azurerm_key_vault", "azurerm_storage_account", "azurerm_postgresql_flexible_server"]) {
      for (const [, body] of resourcesOf(prod, type)) expect(body.lifecycle).toMatchObject({ prevent_destroy: true });
    }
  });

  it("leaves dev without delete locks so it can be torn down", () => {
    const dev = synthEnvironment("dev");
    expect(resourcesOf(dev, "azurerm_management_lock")).toHaveLength(0);
    for (const [, body] of resourcesOf(dev, "azurerm_storage_account")) expect(body.lifecycle).toBeUndefined();
  });

  it("gives every environment a justification for each secure default it relaxes", () => {
    expect(CONFIGS.prod.relaxations).toEqual({});
    expect(Object.keys(CONFIGS.dev.relaxations)).toEqual(expect.arrayContaining(["lake.replicationType", "database.geoRedundantBackup", "database.highAvailability", "deletionProtection"]));
    for (const reason of [...Object.values(CONFIGS.dev.relaxations), ...Object.values(CONFIGS.test.relaxations)]) expect(reason.length).toBeGreaterThan(20);
  });

  it("writes the environment into no resource that another environment shares", () => {
    const names = ENVIRONMENTS.map((environment) => resourceNames(CONFIGS[environment]));
    for (const key of ["storageAccount", "keyVault", "postgresServer", "resourceGroup"] as const) {
      expect(new Set(names.map((n) => n[key])).size).toBe(ENVIRONMENTS.length);
    }
  });

  it("refuses a config with an empty owner tag, naming the stack and the prop", () => {
    const stack = new EstateStack(Testing.app(), "estate-dev", { ...CONFIGS.dev, owner: " " });
    expect(validationProblems(stack)).toContainEqual(expect.objectContaining({ construct: "EstateStack", path: "estate-dev", prop: "config.owner" }));
    expect(() => synthStack(stack)).toThrow(/config\.owner/);
  });
});
