/**
 * A team's own quarterly job beside the bank pipeline (issue 29): one workspace, one sink and one
 * lake shared, each pipeline with its own database, logins, connector, catalog and code.
 */
import { join } from "node:path";
import { Testing, TerraformStack } from "cdktf";
import { DatabricksProvider } from "@cdktf/provider-databricks/lib/provider";
import { DatabricksPrincipal } from "../../src/constructs/core/principal";
import { LakeStorage } from "../../src/constructs/storage/lake-storage";
import { QuarterlyPipeline, QuarterlyPipelineProps } from "../../src/constructs/pipeline/quarterly-pipeline";
import { QuarterlyJobDefinition } from "../../src/constructs/pipeline/quarterly-job";
import { SparkBatchPipeline } from "../../src/constructs/pipeline/spark-batch-pipeline";
import { RelationalSink } from "../../src/constructs/postgres/relational-sink";
import { validationProblems } from "../../src/constructs/core/validation";
import { synthStack } from "../helpers/synth";
import { allResources, BASE_PROPS, FIXTURE_PACKAGE, pathOf, problemKeys, sharedEstate, TENANT_ID } from "./pipeline-stack";

type Body = Record<string, unknown>;

const CARDS_CODE = join(__dirname, "fixtures", "cards-job");

/** The cards team's job: one task that reads the landing folder and loads its own schema, and the package's provisioning task. */
const cardsJob: QuarterlyJobDefinition = {
  name: "cards",
  codeDirectory: CARDS_CODE,
  landingFolder: "statements/",
  tasks: (context) => ({
    quarterly: [
      {
        key: "spend",
        entryFile: "run_cards.py",
        parameters: ["--input", context.landingUri, "--lake", context.lakeRoot, "--pg-url", context.database?.url ?? "", "--secret-scope", context.secretScopeName],
        secretKeys: [context.database?.loader.userSecretName ?? "", context.database?.loader.passwordSecretName ?? ""],
      },
    ],
    deploy: [context.provisionTask("cards")],
  }),
};

/** The bank pipeline creates the workspace; the cards pipeline joins it, on the same sink and lake. */
function sharedWorkspace(cards: Partial<QuarterlyPipelineProps> = {}) {
  const stack = new TerraformStack(Testing.app(), "shared");
  const { placement, network, secretStore, lake, accountProvider } = sharedEstate(stack);
  const provider = new DatabricksProvider(stack, "databricks", { alias: "analytics" });
  const sink = new RelationalSink(stack, "sink", {
    ...placement,
    serverName: "psql-analytics-dev",
    tenantId: TENANT_ID,
    secretStore,
    network,
    credentialExpirationDate: "2030-01-01T00:00:00Z",
    deletionProtection: false,
  });
  const bank = new SparkBatchPipeline(stack, "bank", {
    ...placement,
    ...BASE_PROPS,
    nameSuffix: "bank-dev",
    codeDirectory: FIXTURE_PACKAGE,
    provider,
    accountProvider,
    network,
    secretStore,
    lake,
    sink,
    lakePathPrefix: "bank",
    landingPrefix: "transactions/",
  });
  const pipeline = new QuarterlyPipeline(stack, "cards", {
    ...placement,
    ...BASE_PROPS,
    nameSuffix: "cards-dev",
    jobServicePrincipal: DatabricksPrincipal.servicePrincipal("2e1f3a4b-5c6d-4e7f-8a9b-0c1d2e3f4a5b"),
    dataEngineers: DatabricksPrincipal.group("cards-engineers"),
    mlConsumers: DatabricksPrincipal.group("cards-ml"),
    job: cardsJob,
    workspace: bank.workspace,
    secretStore,
    lake,
    sink,
    lakePathPrefix: "cards",
    ...cards,
  });
  return { stack, bank, cards: pipeline, sink, lake, secretStore, placement };
}

describe("a team's own pipeline on the bank pipeline's workspace, sink and lake", () => {
  const { stack, cards } = sharedWorkspace();
  const synthesized = synthStack(stack);
  const resources = allResources(synthesized);
  const of = (name: string, type?: string) => resources.filter(([address, body]) => pathOf(body).startsWith(`shared/${name}/`) && (type === undefined || address.startsWith(`${type}.`)));
  const bodies = (name: string, type: string) => of(name, type).map(([, body]) => body);

  it("synthesize without problems", () => {
    expect(validationProblems(stack)).toEqual([]);
  });

  it("create one workspace and one NCC, and send the joining pipeline's Databricks objects to the same provider", () => {
    expect(resources.filter(([address]) => address.startsWith("azurerm_databricks_workspace.")).length).toBe(1);
    expect(resources.filter(([address]) => address.startsWith("databricks_mws_network_connectivity_config.")).length).toBe(1);
    for (const body of [...bodies("cards", "databricks_job"), ...bodies("cards", "databricks_catalog"), ...bodies("cards", "databricks_secret_scope")]) {
      expect(body.provider).toBe("databricks.analytics");
    }
  });

  it("assign the joining pipeline's principals to the workspace, and make its objects wait for them", () => {
    const assigned = bodies("cards", "databricks_permission_assignment").map((body) => body.service_principal_name ?? body.group_name);
    expect(assigned.sort()).toEqual(["2e1f3a4b-5c6d-4e7f-8a9b-0c1d2e3f4a5b", "cards-engineers", "cards-ml"]);
    const [job] = bodies("cards", "databricks_job").filter((body) => body.schedule !== undefined);
    const assignments = of("cards", "databricks_permission_assignment").map(([address]) => address);
    for (const address of assignments) expect(job.depends_on).toContain(address);
  });

  it("give the joining pipeline its own access connector, storage credential and lake roles under its prefix", () => {
    const [connector] = of("cards", "azurerm_databricks_access_connector");
    expect(connector[1].name).toBe("dbac-cards-dev");
    const [credential] = bodies("cards", "databricks_storage_credential");
    expect((credential.azure_managed_identity as Body).access_connector_id).toBe(`\${${connector[0]}.id}`);
    const roles = bodies("cards", "azurerm_role_assignment");
    expect(roles.length).toBe(5);
    for (const role of roles) {
      expect(role.principal_id).toBe(`\${${connector[0]}.identity[0].principal_id}`);
      expect(String(role.condition)).toContain("StringStartsWith 'cards/'");
    }
  });

  it("give each pipeline its own database on the shared server, with logins named after it", () => {
    const databases = resources.filter(([address]) => address.startsWith("azurerm_postgresql_flexible_server_database.")).map(([, body]) => body.name);
    expect(databases.sort()).toEqual(["bank", "cards"]);
    expect(cards.databaseName).toBe("cards");
    expect(cards.loaderCredential?.login).toBe("cards_etl");
    expect(cards.readerCredential?.login).toBe("cards_app");
    expect(cards.readerRole).toBe("cards_reader");
    const secrets = resources.filter(([address]) => address.startsWith("azurerm_key_vault_secret.")).map(([, body]) => body.name);
    expect(secrets).toEqual(expect.arrayContaining(["psql-analytics-dev-bank-etl-user", "psql-analytics-dev-cards-etl-user", "psql-analytics-dev-cards-app-user"]));
  });

  it("run the team's own code only, with the package's guard, its launcher and provisioning task beside it", () => {
    const paths = bodies("cards", "databricks_workspace_file").map((body) => String(body.path).replace("/jobs/cards-dev-quarterly-etl/", ""));
    expect(paths.sort()).toEqual(["_guarded_spend.py", "deployment.json", "deployment_guard.py", "quarterly_provision.py", "quarterly_roles.py", "requirements.txt", "run_cards.py"]);
  });

  it("start the team's entry file only through the launcher that holds a run to its deployed parameters", () => {
    const quarterly = bodies("cards", "databricks_job").find((body) => body.schedule !== undefined) as Body;
    const [spend] = quarterly.task as Body[];
    const launcher = bodies("cards", "databricks_workspace_file").find((body) => String(body.path).endsWith("/_guarded_spend.py")) as Body;
    expect((spend.spark_python_task as Body).python_file).toMatch(/^\$\{databricks_workspace_file\.[^.]*guarded_spend[^.]*\.workspace_path\}$/);
    expect(Buffer.from(String(launcher.content_base64), "base64").toString("utf8")).toContain('deployment_guard.run_task(__file__, "spend")');
    const [settings] = bodies("cards", "databricks_workspace_file").filter((body) => String(body.path).endsWith("/deployment.json"));
    expect(String(settings.content_base64)).toMatch(/"tasks" = \{"spend" = \{"entry" = "run_cards.py", "parameters" = \["--input", /);
  });

  it("provision the team's roles in its deploy job, and read the landing folder under its own prefix", () => {
    const jobs = bodies("cards", "databricks_job");
    const deploy = jobs.find((body) => body.schedule === undefined) as Body;
    const [provision] = deploy.task as Body[];
    const parameters = (provision.spark_python_task as Body).parameters as string[];
    expect(parameters).toEqual(expect.arrayContaining(["--schema", "cards", "--owner-login", "cards_etl", "--reader-role", "cards_reader", "--reader-login", "cards_app"]));
    expect(parameters[parameters.indexOf("--pg-url") + 1]).toMatch(/^postgresql:\/\/\$\{azurerm_postgresql_flexible_server\.[^.]+\.fqdn\}:5432\/cards\?sslmode=verify-full&sslrootcert=/);
    const quarterly = jobs.find((body) => body.schedule !== undefined) as Body;
    const spend = ((quarterly.task as Body[])[0].spark_python_task as Body).parameters as string[];
    expect(spend[spend.indexOf("--input") + 1]).toMatch(/^abfss:\/\/landing@\$\{azurerm_storage_account\.lake_account_[A-F0-9]+\.name\}\.dfs\.core\.windows\.net\/cards\/statements\/$/);
  });

  it("write the team's database, lake root and landing folder to its deployment.json", () => {
    const [settings] = bodies("cards", "databricks_workspace_file").filter((body) => String(body.path).endsWith("/deployment.json"));
    const content = String(settings.content_base64);
    expect(content).toContain(`"database" = "cards"`);
    expect(content).toContain(`"secret_scope" = "cards-dev-kv"`);
    expect(content).toContain(`"run_cards.py" = ["psql-analytics-dev-cards-etl-user", "psql-analytics-dev-cards-etl-password"]`);
  });
});

describe("pipelines sharing a workspace, a sink or a lake", () => {
  it("refuse a second pipeline that would load the same database, naming the one that does", () => {
    const { stack } = sharedWorkspace({ databaseName: "bank", loginPrefix: "cards" });
    const problems = validationProblems(stack);
    expect(problemKeys(problems)).toContainEqual({ construct: "QuarterlyPipeline", prop: "databaseName" });
    expect(problems.find((problem) => problem.prop === "databaseName")?.allowed).toMatch(/shared\/bank/);
  });

  it("refuse a second pipeline whose logins the server has already", () => {
    const { stack } = sharedWorkspace({ loginPrefix: "bank" });
    expect(problemKeys(validationProblems(stack))).toContainEqual({ construct: "RelationalSink.addLoginCredential", prop: "login" });
  });

  it("refuse names a workspace holds once: a second job's secret scope of the same name", () => {
    const { stack } = sharedWorkspace({ secretScopeName: "bank-dev-kv" });
    const problems = validationProblems(stack);
    expect(problems.filter((problem) => problem.prop === "secretScope.name" || problem.prop === "secretScopeName").length).toBeGreaterThan(0);
  });

  it("refuse what only the workspace's owner sets on a joining pipeline", () => {
    const { stack } = sharedWorkspace({ publicNetworkAccess: true, workspaceName: "dbw-cards" });
    expect(problemKeys(validationProblems(stack))).toEqual(
      expect.arrayContaining([
        { construct: "QuarterlyPipeline", prop: "publicNetworkAccess" },
        { construct: "QuarterlyPipeline", prop: "workspaceName" },
      ]),
    );
  });

  it("refuse a landing folder that repeats the lake prefix, saying where files would land", () => {
    const { stack } = sharedWorkspace({ landingPrefix: "cards/statements/" });
    const problem = validationProblems(stack).find((candidate) => candidate.prop === "landingPrefix");
    expect(problem?.allowed).toContain('"cards/statements/" lands at cards/cards/statements/; set landingPrefix to "statements/"');
  });

  it("add a joining pipeline's other lake to the workspace's NCC", () => {
    const stack = new TerraformStack(Testing.app(), "other-lake");
    const { placement, network, secretStore, lake, accountProvider } = sharedEstate(stack);
    const provider = new DatabricksProvider(stack, "databricks", { alias: "analytics" });
    const sink = new RelationalSink(stack, "sink", { ...placement, serverName: "psql-x-dev", tenantId: TENANT_ID, secretStore, network, credentialExpirationDate: "2030-01-01T00:00:00Z", deletionProtection: false });
    const cardsLake = new LakeStorage(stack, "cards-lake", { ...placement, accountName: "stcardsdev", privateEndpointSubnetId: network.privateEndpointSubnet.id, blobDnsZoneId: network.privateDnsZoneIds.blob, dfsDnsZoneId: network.privateDnsZoneIds.dfs, deletionProtection: false });
    const bank = new SparkBatchPipeline(stack, "bank", { ...placement, ...BASE_PROPS, codeDirectory: FIXTURE_PACKAGE, provider, accountProvider, network, secretStore, lake, sink });
    new QuarterlyPipeline(stack, "cards", {
      ...placement,
      ...BASE_PROPS,
      nameSuffix: "cards-dev",
      jobServicePrincipal: DatabricksPrincipal.servicePrincipal("2e1f3a4b-5c6d-4e7f-8a9b-0c1d2e3f4a5b"),
      job: cardsJob,
      workspace: bank.workspace,
      secretStore,
      lake: cardsLake,
      sink,
    });
    const rules = Object.values(synthStack(stack).resource.databricks_mws_ncc_private_endpoint_rule ?? {});
    expect(rules.map((rule) => `${String(rule.resource_id).replace(/^\$\{azurerm_storage_account\.([a-z-]+)_account_[A-F0-9]+\.id\}$/, "$1")} ${rule.group_id}`).sort()).toEqual([
      "cards-lake blob",
      "cards-lake dfs",
      "lake blob",
      "lake dfs",
    ]);
  });
});

describe("a second private workspace in a region", () => {
  it("is told which workspace holds the region's browser authentication endpoint", () => {
    const stack = new TerraformStack(Testing.app(), "two-workspaces");
    const { placement, network, secretStore, lake, accountProvider } = sharedEstate(stack);
    const sink = new RelationalSink(stack, "sink", { ...placement, serverName: "psql-y-dev", tenantId: TENANT_ID, secretStore, network, credentialExpirationDate: "2030-01-01T00:00:00Z", deletionProtection: false });
    for (const [index, name] of ["risk", "fraud"].entries()) {
      new SparkBatchPipeline(stack, name, {
        ...placement,
        ...BASE_PROPS,
        nameSuffix: `${name}-dev`,
        codeDirectory: FIXTURE_PACKAGE,
        provider: new DatabricksProvider(stack, `databricks-${name}`, { alias: name }),
        accountProvider,
        network,
        workspaceSubnets: index === 0 ? undefined : network.workspaceSubnets.fraud,
        secretStore,
        lake,
        lakePathPrefix: name,
        sink,
        databaseName: name,
        jobServicePrincipal: DatabricksPrincipal.servicePrincipal(index === 0 ? "1f0e2d3c-4b5a-4968-8776-a5b4c3d2e1f0" : "2e1f3a4b-5c6d-4e7f-8a9b-0c1d2e3f4a5b"),
      });
    }
    Testing.synth(stack);
    const infos = stack.node.findAll().flatMap((construct) => construct.node.metadata).filter((entry) => /info$/.test(entry.type)).map((entry) => String(entry.data));
    expect(infos).toEqual([expect.stringContaining("two-workspaces/fraud/workspace: browser sign-in uses the region's browser authentication endpoint of two-workspaces/risk/workspace")]);
  });
});
