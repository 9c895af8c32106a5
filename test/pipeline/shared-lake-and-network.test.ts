import { Testing, TerraformStack } from "cdktf";
import { DatabricksProvider } from "@cdktf/provider-databricks/lib/provider";
import { DatabricksWorkspace } from "../../src/constructs/databricks/databricks-workspace";
import { LakehouseCatalog } from "../../src/constructs/databricks/lakehouse-catalog";
import { ILakeStorage, LakeStorage } from "../../src/constructs/storage/lake-storage";
import { DatabricksPrincipal } from "../../src/constructs/core/principal";
import { NetworkSubnet } from "../../src/constructs/network/secure-network";
import { SparkBatchPipeline, SparkBatchPipelineProps } from "../../src/constructs/pipeline/spark-batch-pipeline";
import { validationProblems } from "../../src/constructs/core/validation";
import { synthStack } from "../helpers/synth";
import { allResources, BASE_PROPS, ExistingSink, FIXTURE_PACKAGE, pathOf, problemKeys, sharedEstate, TENANT_ID } from "./pipeline-stack";

type Body = Record<string, unknown>;
/** The shared lake's account name, a reference to the created storage account. */
const LAKE = "${azurerm_storage_account.lake_account_92054329.name}";
type Extra = Partial<Pick<SparkBatchPipelineProps, "lakePathPrefix" | "workspaceSubnets" | "landingPrefix">>;

/** An existing subnet of the shared network's VNet, by name. */
function existingSubnet(network: { virtualNetworkId: string }, name: string): NetworkSubnet {
  const id = `${network.virtualNetworkId}/subnets/${name}`;
  return { id, name, networkSecurityGroupAssociationId: id };
}

function pair(network: { virtualNetworkId: string }, name: string) {
  return { host: existingSubnet(network, `snet-${name}-dbw-host`), container: existingSubnet(network, `snet-${name}-dbw-container`) };
}

/**
 * Pipelines in one stack on the shared estate; `settings` gives each pipeline's name and extra
 * props, and `lakeOf` may swap in another lake.
 */
function pipelines(stackName: string, settings: Array<[string, Extra | ((estate: ReturnType<typeof sharedEstate>) => Extra)]>, lakeOf?: (estate: ReturnType<typeof sharedEstate>, stack: TerraformStack) => ILakeStorage) {
  const stack = new TerraformStack(Testing.app(), stackName);
  const estate = sharedEstate(stack);
  const lake = lakeOf ? lakeOf(estate, stack) : estate.lake;
  const built = settings.map(([name, extra], index) => {
    const sink = new ExistingSink(stack, `${name}-sink`, `psql-${name}-dev`);
    return new SparkBatchPipeline(stack, `${name}-pipeline`, {
      ...estate.placement,
      ...BASE_PROPS,
      nameSuffix: `${name}-dev`,
      jobServicePrincipal: DatabricksPrincipal.servicePrincipal(`${index + 1}f0e2d3c-4b5a-4968-8776-a5b4c3d2e1f0`),
      dataEngineers: DatabricksPrincipal.group(`${name}-engineers`),
      mlConsumers: DatabricksPrincipal.group(`${name}-ml`),
      codeDirectory: FIXTURE_PACKAGE,
      provider: new DatabricksProvider(stack, `databricks-${name}`, { alias: name }),
      accountProvider: estate.accountProvider,
      network: estate.network,
      secretStore: estate.secretStore,
      lake,
      sink,
      loaderCredential: sink.loaderCredential,
      ...(typeof extra === "function" ? extra(estate) : extra),
    });
  });
  return { stack, estate, pipelines: built };
}

const loadParameters = (resources: Array<[string, Body]>, name: string): string[] => {
  const [[, job]] = resources.filter(([address, body]) => address.startsWith("databricks_job.") && pathOf(body).includes(`/${name}-pipeline/`));
  return (job.task as Array<{ task_key: string; spark_python_task: { parameters: string[] } }>).find((task) => task.task_key === "load")!.spark_python_task.parameters;
};
const parameter = (parameters: string[], flag: string): string => parameters[parameters.indexOf(flag) + 1];

describe("two pipelines sharing one lake, each under its own lakePathPrefix", () => {
  // The second workspace's subnets come from the created network's additionalWorkspaceSubnets.
  const { stack } = pipelines("prefixed", [
    ["risk", { lakePathPrefix: "risk" }],
    ["fraud", (estate) => ({ lakePathPrefix: "fraud/", workspaceSubnets: estate.network.workspaceSubnets.fraud })],
  ]);
  const resources = allResources(synthStack(stack));

  it("synthesize without problems", () => {
    expect(validationProblems(stack)).toEqual([]);
  });

  it("put each pipeline's external locations and catalog storage root under its own prefix", () => {
    const urls = resources.filter(([address]) => address.startsWith("databricks_external_location.")).map(([, body]) => String(body.url));
    expect(urls).toHaveLength(10);
    expect(new Set(urls).size).toBe(10);
    for (const name of ["risk", "fraud"]) {
      const mine = resources.filter(([address, body]) => address.startsWith("databricks_external_location.") && pathOf(body).includes(`/${name}-pipeline/`)).map(([, body]) => body.url);
      expect(mine.sort()).toEqual(["catalog", "curated", "features", "landing", "quarantine"].map((container) => `abfss://${container}@${LAKE}.dfs.core.windows.net/${name}/`));
      const [[, catalog]] = resources.filter(([address, body]) => address.startsWith("databricks_catalog.") && pathOf(body).includes(`/${name}-pipeline/`));
      expect(catalog.storage_root).toBe(`abfss://catalog@${LAKE}.dfs.core.windows.net/${name}/${name}_dev/`);
    }
  });

  it("point each job's --lake and --input under its prefix", () => {
    for (const name of ["risk", "fraud"]) {
      const parameters = loadParameters(resources, name);
      expect(parameter(parameters, "--lake")).toBe(`abfss://{container}@${LAKE}.dfs.core.windows.net/${name}/`);
      expect(parameter(parameters, "--input")).toBe(`abfss://landing@${LAKE}.dfs.core.windows.net/${name}/bank/transactions/`);
    }
  });

  it("inject each workspace into its own subnet pair, the second from the network's additionalWorkspaceSubnets", () => {
    const workspaces = resources.filter(([address]) => address.startsWith("azurerm_databricks_workspace.")).map(([, body]) => body.custom_parameters as Body);
    const subnets = workspaces.flatMap((parameters) => [parameters.public_subnet_name, parameters.private_subnet_name]).map(String);
    expect(new Set(subnets).size).toBe(4);
    const [[hostAddress]] = resources.filter(([address, body]) => address.startsWith("azurerm_subnet.") && pathOf(body).endsWith("network/fraud-databricks-host-subnet"));
    const [[associationAddress]] = resources.filter(([address, body]) => address.startsWith("azurerm_subnet_network_security_group_association.") && pathOf(body).endsWith("network/fraud-databricks-host-nsg-association"));
    const fraud = workspaces.find((parameters) => parameters.public_subnet_name === `\${${hostAddress}.name}`) as Body;
    expect(fraud).toBeDefined();
    expect(fraud.public_subnet_network_security_group_association_id).toBe(`\${${associationAddress}.id}`);
  });
});

describe("a single pipeline without lakePathPrefix", () => {
  it("keeps the container roots", () => {
    const { stack } = pipelines("single", [["risk", {}]]);
    const resources = allResources(synthStack(stack));
    const urls = resources.filter(([address]) => address.startsWith("databricks_external_location.")).map(([, body]) => body.url);
    expect(urls.sort()).toEqual(["catalog", "curated", "features", "landing", "quarantine"].map((container) => `abfss://${container}@${LAKE}.dfs.core.windows.net/`));
    expect(parameter(loadParameters(resources, "risk"), "--lake")).toBe(`abfss://{container}@${LAKE}.dfs.core.windows.net/`);
    expect(parameter(loadParameters(resources, "risk"), "--input")).toBe(`abfss://landing@${LAKE}.dfs.core.windows.net/bank/transactions/`);
  });
});

describe("overlapping lake locations", () => {
  const separate = (estate: ReturnType<typeof sharedEstate>) => pair(estate.network, "fraud");

  it("are refused when neither pipeline has a prefix", () => {
    const { stack } = pipelines("no-prefix", [["risk", {}], ["fraud", (estate) => ({ workspaceSubnets: separate(estate) })]]);
    const problems = validationProblems(stack);
    expect(problemKeys(problems)).toEqual([{ construct: "LakehouseCatalog", prop: "lakePathPrefix" }]);
    expect(problems[0].path).toBe("no-prefix/fraud-pipeline/catalog");
    expect(problems[0].allowed).toMatch(/no-prefix\/risk-pipeline\/catalog claims on the lake no-prefix\/lake \(containers landing, curated, features, quarantine, catalog\)/);
  });

  it("are refused when one pipeline has no prefix (the container root holds every folder)", () => {
    const { stack } = pipelines("root-and-prefix", [["risk", {}], ["fraud", (estate) => ({ lakePathPrefix: "fraud", workspaceSubnets: separate(estate) })]]);
    expect(problemKeys(validationProblems(stack))).toEqual([{ construct: "LakehouseCatalog", prop: "lakePathPrefix" }]);
  });

  it("are refused when one prefix is inside the other, and allowed when they only share leading characters", () => {
    const nested = pipelines("nested", [["risk", { lakePathPrefix: "risk" }], ["fraud", (estate) => ({ lakePathPrefix: "risk/fraud", workspaceSubnets: separate(estate) })]]);
    expect(problemKeys(validationProblems(nested.stack))).toEqual([{ construct: "LakehouseCatalog", prop: "lakePathPrefix" }]);
    const siblings = pipelines("siblings", [["risk", { lakePathPrefix: "risk" }], ["fraud", (estate) => ({ lakePathPrefix: "risky", workspaceSubnets: separate(estate) })]]);
    expect(validationProblems(siblings.stack)).toEqual([]);
  });

  it("are refused for two LakehouseCatalogs on two imports of the same account", () => {
    const stack = new TerraformStack(Testing.app(), "two-catalogs");
    const estate = sharedEstate(stack);
    const accountId = "/subscriptions/0b1c2d3e-4f5a-4b6c-8d7e-9f0a1b2c3d4e/resourceGroups/rg-data/providers/Microsoft.Storage/storageAccounts/stshared01";
    for (const name of ["one", "two"]) {
      const provider = new DatabricksProvider(stack, `databricks-${name}`, { alias: name });
      const workspace = DatabricksWorkspace.fromExisting(stack, `workspace-${name}`, {
        workspaceResourceId: `/subscriptions/0b1c2d3e-4f5a-4b6c-8d7e-9f0a1b2c3d4e/resourceGroups/rg-data/providers/Microsoft.Databricks/workspaces/dbw-${name}`,
        workspaceUrl: `https://adb-${name}.azuredatabricks.net`,
        workspaceId: "1234567890",
        location: "northeurope",
        accessConnectorId: `/subscriptions/0b1c2d3e-4f5a-4b6c-8d7e-9f0a1b2c3d4e/resourceGroups/rg-data/providers/Microsoft.Databricks/accessConnectors/dbac-${name}`,
        accessConnectorPrincipalId: "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
        provider,
      });
      new LakehouseCatalog(stack, `catalog-${name}`, {
        provider,
        workspace,
        lake: LakeStorage.fromExisting(stack, `lake-${name}`, { accountId }),
        tenantId: TENANT_ID,
        metastoreId: BASE_PROPS.metastoreId,
        catalogName: `catalog_${name}`,
        principals: { jobServicePrincipal: BASE_PROPS.jobServicePrincipal, dataEngineers: BASE_PROPS.dataEngineers, mlConsumers: BASE_PROPS.mlConsumers },
        lakePathPrefix: name === "one" ? "shared" : "shared/",
      });
    }
    void estate;
    const problems = validationProblems(stack);
    expect(problems.map(({ construct, prop, path }) => ({ construct, prop, path }))).toEqual([{ construct: "LakehouseCatalog", prop: "lakePathPrefix", path: "two-catalogs/catalog-two" }]);
  });

  it("refuse a prefix that is not a relative folder path", () => {
    for (const lakePathPrefix of ["/risk", "risk//x", "ri sk", "risk/../x/", ""]) {
      const { stack } = pipelines("bad-prefix", [["risk", { lakePathPrefix }]]);
      expect([lakePathPrefix, problemKeys(validationProblems(stack))]).toEqual([lakePathPrefix, [{ construct: "LakehouseCatalog", prop: "lakePathPrefix" }]]);
    }
  });
});

describe("two workspaces on one network", () => {
  it("are refused on the network's one Databricks subnet pair", () => {
    const { stack } = pipelines("same-subnets", [["risk", { lakePathPrefix: "risk" }], ["fraud", { lakePathPrefix: "fraud" }]]);
    const problems = validationProblems(stack);
    expect(problems.map(({ construct, prop, path }) => ({ construct, prop, path }))).toEqual([
      { construct: "DatabricksWorkspace", prop: "network.databricksHostSubnet", path: "same-subnets/fraud-pipeline/workspace" },
      { construct: "DatabricksWorkspace", prop: "network.databricksContainerSubnet", path: "same-subnets/fraud-pipeline/workspace" },
    ]);
    expect(problems[0].allowed).toMatch(/same-subnets\/risk-pipeline\/workspace runs in it.*workspaceSubnets/);
  });

  it("are refused on one explicitly given subnet, by id, whatever the NetworkSubnet object", () => {
    const { stack } = pipelines("given-twice", [
      ["risk", (estate) => ({ lakePathPrefix: "risk", workspaceSubnets: pair(estate.network, "team") })],
      ["fraud", (estate) => ({ lakePathPrefix: "fraud", workspaceSubnets: { host: existingSubnet(estate.network, "snet-fraud-dbw-host"), container: existingSubnet(estate.network, "snet-team-dbw-container") } })],
    ]);
    expect(problemKeys(validationProblems(stack))).toEqual([{ construct: "DatabricksWorkspace", prop: "subnets.container" }]);
  });

  it("refuse one subnet as both host and container, and a subnet outside the network's VNet", () => {
    const literalVnet = "/subscriptions/0b1c2d3e-4f5a-4b6c-8d7e-9f0a1b2c3d4e/resourceGroups/rg-net/providers/Microsoft.Network/virtualNetworks/vnet-other";
    const { stack } = pipelines("same-twice", [
      ["risk", (estate) => ({ workspaceSubnets: { host: existingSubnet(estate.network, "snet-one"), container: existingSubnet(estate.network, "snet-one") } })],
    ]);
    expect(problemKeys(validationProblems(stack))).toEqual([{ construct: "DatabricksWorkspace", prop: "subnets.container" }]);
    // A network known by literal ids: the given subnets must be in its VNet.
    const stack2 = new TerraformStack(Testing.app(), "other-vnet");
    const estate = sharedEstate(stack2);
    const provider = new DatabricksProvider(stack2, "databricks", { alias: "x" });
    const vnet = "/subscriptions/0b1c2d3e-4f5a-4b6c-8d7e-9f0a1b2c3d4e/resourceGroups/rg-net/providers/Microsoft.Network/virtualNetworks/vnet-data";
    new DatabricksWorkspace(stack2, "workspace", {
      ...estate.placement,
      name: "dbw-x",
      provider,
      network: { ...estate.network, virtualNetworkId: vnet } as unknown as typeof estate.network,
      subnets: { host: existingSubnet({ virtualNetworkId: vnet }, "snet-x-host"), container: existingSubnet({ virtualNetworkId: literalVnet }, "snet-x-container") },
    });
    expect(problemKeys(validationProblems(stack2))).toEqual([{ construct: "DatabricksWorkspace", prop: "subnets.container" }]);
  });
});

describe("a lake whose containers are not named after the ETL's areas", () => {
  const accountId = "/subscriptions/0b1c2d3e-4f5a-4b6c-8d7e-9f0a1b2c3d4e/resourceGroups/rg-data/providers/Microsoft.Storage/storageAccounts/stcentral01";

  it("is refused for the areas the ETL writes, naming each container", () => {
    const { stack } = pipelines("renamed", [["risk", {}]], (_estate, stack) => LakeStorage.fromExisting(stack, "central-lake", { accountId, containerNames: { curated: "bank-curated", quarantine: "bank-quarantine" } }));
    const problems = validationProblems(stack);
    expect(problemKeys(problems)).toEqual([
      { construct: "SparkBatchPipeline", prop: "lake.containerNames.curated" },
      { construct: "SparkBatchPipeline", prop: "lake.containerNames.quarantine" },
    ]);
    expect(problems[0].allowed).toMatch(/the job \(bank\) writes to containers named after its areas/);
  });

  it("is honoured for landing and the catalog root, which the job and catalog take as full URIs", () => {
    const { stack } = pipelines("renamed-landing", [["risk", { lakePathPrefix: "risk" }]], (_estate, stack) => LakeStorage.fromExisting(stack, "central-lake", { accountId, containerNames: { landing: "raw", catalog: "unity-catalog" } }));
    expect(validationProblems(stack)).toEqual([]);
    const resources = allResources(synthStack(stack));
    expect(parameter(loadParameters(resources, "risk"), "--input")).toBe("abfss://raw@stcentral01.dfs.core.windows.net/risk/bank/transactions/");
    expect(parameter(loadParameters(resources, "risk"), "--lake")).toBe("abfss://{container}@stcentral01.dfs.core.windows.net/risk/");
    const urls = resources.filter(([address]) => address.startsWith("databricks_external_location.")).map(([, body]) => body.url);
    expect(urls).toEqual(expect.arrayContaining(["abfss://raw@stcentral01.dfs.core.windows.net/risk/", "abfss://unity-catalog@stcentral01.dfs.core.windows.net/risk/"]));
  });
});
