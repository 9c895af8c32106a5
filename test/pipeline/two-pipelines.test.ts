import { Testing, TerraformStack } from "cdktf";
import { DatabricksProvider } from "@cdktf/provider-databricks/lib/provider";
import { DatabricksPrincipal } from "../../src/constructs/core/principal";
import { SparkBatchPipeline } from "../../src/constructs/pipeline/spark-batch-pipeline";
import { describeProblem, validationProblems } from "../../src/constructs/core/validation";
import { synthStack } from "../helpers/synth";
import { allResources, BASE_PROPS, ExistingSink, FIXTURE_PACKAGE, pathOf, sharedEstate } from "./pipeline-stack";

type Body = Record<string, unknown>;

/** A second Databricks subnet pair in the shared network's VNet (existing subnets, given by id). */
function secondPair(network: { virtualNetworkId: string }, name: string) {
  const subnet = (role: string) => {
    const id = `${network.virtualNetworkId}/subnets/snet-${name}-dbw-${role}`;
    return { id, name: `snet-${name}-dbw-${role}`, networkSecurityGroupAssociationId: id };
  };
  return { host: subnet("host"), container: subnet("container") };
}

/**
 * Two pipelines in one stack, sharing one network, lake and vault, each with its own workspace,
 * sink and provider; the second has its own Databricks subnet pair and each its own lake prefix.
 */
function twoPipelines(browserAuthentication: Array<boolean | undefined> = []) {
  const stack = new TerraformStack(Testing.app(), "two-pipelines");
  const { placement, network, secretStore, lake, accountProvider } = sharedEstate(stack);
  const pipelines = (["risk", "fraud"] as const).map((name, index) => {
    const provider = new DatabricksProvider(stack, `databricks-${name}`, { alias: name });
    const sink = new ExistingSink(stack, `${name}-sink`, `psql-${name}-dev`);
    return new SparkBatchPipeline(stack, `${name}-pipeline`, {
      ...placement,
      ...BASE_PROPS,
      nameSuffix: `${name}-dev`,
      jobServicePrincipal: DatabricksPrincipal.servicePrincipal(index === 0 ? "1f0e2d3c-4b5a-4968-8776-a5b4c3d2e1f0" : "2e1f3a4b-5c6d-4e7f-8a9b-0c1d2e3f4a5b"),
      dataEngineers: DatabricksPrincipal.group(`${name}-engineers`),
      mlConsumers: DatabricksPrincipal.group(`${name}-ml`),
      codeDirectory: FIXTURE_PACKAGE,
      dbfsCustomerManagedKey: { keyExpirationDate: "2030-01-01T00:00:00Z" },
      provider,
      accountProvider,
      network,
      secretStore,
      lake,
      lakePathPrefix: name,
      workspaceSubnets: index === 0 ? undefined : secondPair(network, name),
      sink,
      loaderCredential: sink.loaderCredential,
      browserAuthentication: browserAuthentication[index],
    });
  });
  return { stack, pipelines };
}

describe("two pipelines in one stack, sharing a lake and a vault", () => {
  const { stack } = twoPipelines();
  const synthesized = synthStack(stack);
  const resources = allResources(synthesized);
  const of = (name: string) => resources.filter(([, body]) => pathOf(body).startsWith(`two-pipelines/${name}-pipeline/`));

  it("give each access connector data roles on the lake's containers under its own prefix only, so neither can write the other's data", () => {
    for (const [name, other] of [["risk", "fraud"], ["fraud", "risk"]]) {
      const roles = of(name).filter(([address]) => address.startsWith("azurerm_role_assignment.") && address.includes("_catalog_connector-")).map(([, body]) => body);
      expect(roles).toHaveLength(5);
      for (const role of roles) {
        expect(role.scope).toMatch(/\/blobServices\/default\/containers\/(landing|curated|features|quarantine|catalog)$/);
        expect(role.condition_version).toBe("2.0");
        expect(role.condition).toContain(`StringStartsWith '${name}/'`);
        expect(role.condition).not.toContain(`'${other}/'`);
      }
      // Not one of them on the whole account.
      expect(of(name).filter(([address, body]) => address.startsWith("azurerm_role_assignment.") && /^\$\{azurerm_storage_account\.[^}]+\.id\}$/.test(String(body.scope)))).toEqual([]);
    }
  });

  it("synthesize without problems", () => {
    expect(validationProblems(stack)).toEqual([]);
  });

  it("make one browser authentication endpoint for the region, on the first private workspace", () => {
    const endpoints = resources.filter(([address, body]) => address.startsWith("azurerm_private_endpoint.") && JSON.stringify(body.private_service_connection).includes("browser_authentication"));
    expect(endpoints.map(([, body]) => pathOf(body))).toEqual(["two-pipelines/risk-pipeline/workspace/browser-auth-private-endpoint"]);
  });

  it("refuse a second browser authentication endpoint in the region's DNS zone, naming the workspace that has it", () => {
    const { stack: twice } = twoPipelines([undefined, true]);
    const problems = validationProblems(twice);
    expect(problems.map(({ construct, prop, path }) => ({ construct, prop, path }))).toEqual([{ construct: "DatabricksWorkspace", prop: "browserAuthentication", path: "two-pipelines/fraud-pipeline/workspace" }]);
    expect(problems[0].allowed).toContain("two-pipelines/risk-pipeline/workspace already has the region's browser authentication endpoint");
  });

  it("send each pipeline's workspace-level Databricks resources to its own provider, and the NCC's to the account provider", () => {
    for (const name of ["risk", "fraud"]) {
      const databricks = of(name).filter(([address]) => address.startsWith("databricks_"));
      expect(databricks.length).toBeGreaterThan(30);
      for (const [address, body] of databricks) {
        expect({ address, provider: body.provider }).toEqual({ address, provider: address.startsWith("databricks_mws_") ? "databricks.account" : `databricks.${name}` });
      }
    }
    expect(Object.keys(synthesized.provider?.databricks ?? {})).toHaveLength(3);
  });

  it("configure each workspace provider from its own workspace", () => {
    const providers = synthesized.provider?.databricks as Body[];
    for (const name of ["risk", "fraud"]) {
      const provider = providers.find((candidate) => candidate.alias === name) as Body;
      expect(provider.host).toMatch(new RegExp(`^https://\\$\\{azurerm_databricks_workspace\\.${name}-pipeline_workspace_.*\\.workspace_url\\}$`));
      expect(provider.azure_workspace_resource_id).toMatch(new RegExp(`azurerm_databricks_workspace\\.${name}-pipeline_workspace_`));
    }
  });

  it("give every named resource a distinct name", () => {
    const namesOf = (type: string) => resources.filter(([address]) => address.startsWith(`${type}.`)).map(([, body]) => String(body.name ?? body.path));
    for (const type of ["azurerm_databricks_workspace", "azurerm_databricks_access_connector", "azurerm_private_endpoint", "azurerm_key_vault_key", "databricks_catalog", "databricks_storage_credential", "databricks_external_location", "databricks_secret_scope", "databricks_cluster_policy", "databricks_job", "databricks_directory", "databricks_workspace_file", "databricks_mws_network_connectivity_config"]) {
      const names = namesOf(type);
      expect({ type, unique: new Set(names).size }).toEqual({ type, unique: names.length });
    }
  });

  it("make distinct role assignments, and grant the AzureDatabricks application on the shared vault once", () => {
    const assignments = resources.filter(([address]) => address.startsWith("azurerm_role_assignment.")).map(([, body]) => `${body.scope}|${body.principal_id}|${body.role_definition_name}`);
    expect(new Set(assignments).size).toBe(assignments.length);
    const vaultReaders = resources.filter(([address, body]) => address.startsWith("azurerm_role_assignment.") && body.principal_id === BASE_PROPS.azureDatabricksObjectId);
    expect(vaultReaders).toHaveLength(1);
    const scopes = resources.filter(([address]) => address.startsWith("databricks_secret_scope."));
    for (const [, scope] of scopes) expect(scope.depends_on).toContain(vaultReaders[0][0]);
  });

  it("bind each workspace to its own NCC with rules to the shared lake's dfs and blob", () => {
    for (const name of ["risk", "fraud"]) {
      const rules = of(name).filter(([address]) => address.startsWith("databricks_mws_ncc_private_endpoint_rule."));
      expect(rules.map(([, body]) => body.group_id).sort()).toEqual(["blob", "dfs"]);
      const [[, binding]] = of(name).filter(([address]) => address.startsWith("databricks_mws_ncc_binding."));
      expect(binding.workspace_id).toMatch(new RegExp(`azurerm_databricks_workspace\\.${name}-pipeline_workspace_`));
    }
  });

  it("run each job as its own service principal, from its own code folder, against its own sink", () => {
    // The quarterly jobs (each pipeline's migrate job runs as the same principal).
    const jobs = resources.filter(([address, body]) => address.startsWith("databricks_job.") && body.schedule !== undefined).map(([, body]) => body);
    expect(jobs.map((job) => (job.run_as as Body).service_principal_name)).toEqual(["1f0e2d3c-4b5a-4968-8776-a5b4c3d2e1f0", "2e1f3a4b-5c6d-4e7f-8a9b-0c1d2e3f4a5b"]);
    const folders = resources.filter(([address]) => address.startsWith("databricks_directory.")).map(([, body]) => body.path);
    expect(folders).toEqual(["/jobs/risk-dev-quarterly-etl", "/jobs/fraud-dev-quarterly-etl"]);
    const loads = jobs.map((job) => (job.task as Array<{ task_key: string; spark_python_task: { parameters: string[] } }>).find((task) => task.task_key === "load")!.spark_python_task.parameters);
    expect(loads[0]).toContain("psql-risk-dev-etl-password");
    expect(loads[1]).toContain("psql-fraud-dev-etl-password");
  });
});

describe("two pipelines given one workspace provider", () => {
  it("are refused: each workspace needs its own provider", () => {
    const stack = new TerraformStack(Testing.app(), "one-provider");
    const { placement, network, secretStore, lake, accountProvider } = sharedEstate(stack);
    const provider = new DatabricksProvider(stack, "databricks", { alias: "shared" });
    for (const [index, name] of ["risk", "fraud"].entries()) {
      const sink = new ExistingSink(stack, `${name}-sink`, `psql-${name}-dev`);
      new SparkBatchPipeline(stack, `${name}-pipeline`, {
        ...placement,
        ...BASE_PROPS,
        nameSuffix: `${name}-dev`,
        codeDirectory: FIXTURE_PACKAGE,
        provider,
        accountProvider,
        network,
        workspaceSubnets: index === 0 ? undefined : secondPair(network, name),
        secretStore,
        lake,
        lakePathPrefix: name,
        sink,
        loaderCredential: sink.loaderCredential,
      });
    }
    const problems = validationProblems(stack);
    expect(problems.map(({ construct, prop, path }) => ({ construct, prop, path }))).toEqual([{ construct: "DatabricksWorkspace", prop: "provider", path: "one-provider/fraud-pipeline/workspace" }]);
    // The value is the provider's alias, quoted once.
    expect(describeProblem(problems[0])).toMatch(/^DatabricksWorkspace: provider "shared" is not allowed: /);
  });
});
