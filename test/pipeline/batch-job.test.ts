import { cpSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Testing, TerraformStack } from "cdktf";
import { AzurermProvider } from "@cdktf/provider-azurerm/lib/provider";
import { DatabricksProvider } from "@cdktf/provider-databricks/lib/provider";
import { BatchJob, BatchJobProps } from "../../src/constructs/databricks/batch-job";
import { DatabricksWorkspace } from "../../src/constructs/databricks/databricks-workspace";
import { DatabricksPrincipal } from "../../src/constructs/core/principal";
import { SecretStore } from "../../src/constructs/key-vault/secret-store";
import { SecureNetwork } from "../../src/constructs/network/secure-network";
import { validationProblems } from "../../src/constructs/core/validation";
import { synthStack } from "../helpers/synth";
import { dependsOn, FIXTURE_PACKAGE, JOB_SP, problemKeys } from "./pipeline-stack";

type Body = Record<string, unknown>;

const DEPLOYER = "5d4c3b2a-1908-4f7e-8d6c-5b4a39281706";
const DATABRICKS_APP = "3a2b1c0d-9e8f-4a7b-8c6d-5e4f3a2b1c0d";

/** A generic job on an existing workspace, in a bare stack. */
let vaultIn: ReturnType<typeof SecretStore.fromExisting>;

function buildJob(overrides: Partial<BatchJobProps> = {}) {
  const stack = new TerraformStack(Testing.app(), "jobs");
  vaultIn = SecretStore.fromExisting(stack, "vault", {
    vaultId: "/subscriptions/0b1c2d3e-4f5a-4b6c-8d7e-9f0a1b2c3d4e/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv-analytics",
  });
  new AzurermProvider(stack, "azurerm", { features: [{ storage: [{ dataPlaneAvailable: false }] }] });
  const provider = new DatabricksProvider(stack, "databricks", { alias: "analytics" });
  const workspace = DatabricksWorkspace.fromExisting(stack, "workspace", {
    workspaceResourceId: "/subscriptions/0b1c2d3e-4f5a-4b6c-8d7e-9f0a1b2c3d4e/resourceGroups/rg/providers/Microsoft.Databricks/workspaces/dbw-analytics",
    workspaceUrl: "https://adb-1234567890123456.7.azuredatabricks.net",
    workspaceId: "1234567890123456",
    location: "westeurope",
    accessConnectorId: "/subscriptions/0b1c2d3e-4f5a-4b6c-8d7e-9f0a1b2c3d4e/resourceGroups/rg/providers/Microsoft.Databricks/accessConnectors/dbac-analytics",
    accessConnectorPrincipalId: "7c6b5a49-3827-4615-9a4b-3c2d1e0f9a8b",
    provider,
    assignedPrincipals: [DatabricksPrincipal.servicePrincipal(JOB_SP), DatabricksPrincipal.group("analysts")],
  });
  const job = new BatchJob(stack, "nightly", {
    provider,
    workspace,
    jobName: "analytics-nightly",
    codeDirectory: FIXTURE_PACKAGE,
    tasks: [
      { key: "extract", entryFile: "run_check.py", parameters: ["--day", "yesterday"] },
      { key: "load", entryFile: "run_etl.py", dependsOn: ["extract"], maxRetries: 3, timeoutSeconds: 3600 },
    ],
    schedule: { quartzCronExpression: "0 30 1 ? * MON-FRI", timezoneId: "Europe/Amsterdam" },
    cluster: { nodeTypeIds: ["Standard_D4ds_v5"], minWorkers: 1, maxWorkers: 2 },
    runAs: DatabricksPrincipal.servicePrincipal(JOB_SP),
    notificationAddresses: ["oncall@analytics.contoso.com"],
    runDurationWarningSeconds: 1800,
    ...overrides,
  });
  return { stack, job };
}

describe("BatchJob, generic", () => {
  it("runs its tasks in dependency order on any Quartz schedule, as its service principal", () => {
    const { stack } = buildJob();
    const synthesized = synthStack(stack);
    const [job] = Object.values(synthesized.resource.databricks_job);
    expect(job.schedule).toEqual({ quartz_cron_expression: "0 30 1 ? * MON-FRI", timezone_id: "Europe/Amsterdam", pause_status: "UNPAUSED" });
    expect((job.task as Body[]).map((task) => [task.task_key, task.max_retries, task.timeout_seconds])).toEqual([["extract", 0, 14400], ["load", 3, 3600]]);
    expect(job.run_as).toEqual({ service_principal_name: JOB_SP });
    expect(job.provider).toBe("databricks.analytics");
    expect(Object.values(synthesized.resource.databricks_directory)[0].path).toBe("/jobs/analytics-nightly");
  });

  it("uploads the whole code folder by default and tags the job with the code's hash", () => {
    const { stack, job } = buildJob();
    const synthesized = synthStack(stack);
    const paths = Object.values(synthesized.resource.databricks_workspace_file).map((body) => body.path);
    expect(paths).toEqual(expect.arrayContaining(["/jobs/analytics-nightly/run_check.py", "/jobs/analytics-nightly/run_etl.py", "/jobs/analytics-nightly/requirements.txt"]));
    const [body] = Object.values(synthesized.resource.databricks_job);
    expect((body.tags as Record<string, string>)["code-version"]).toBe(job.codeVersion.slice(0, 12));
    expect(dependsOn(body).filter((address) => address.startsWith("databricks_workspace_file."))).toHaveLength(paths.length);
  });

  it("refuses an entry file it does not upload", () => {
    const { stack } = buildJob({ codePaths: ["run_check.py"], tasks: [{ key: "load", entryFile: "run_etl.py" }] });
    expect(problemKeys(validationProblems(stack))).toEqual([{ construct: "BatchJob", prop: "tasks[0].entryFile" }]);
  });

  it("refuses a missing code folder as an error", () => {
    const { stack } = buildJob({ codeDirectory: "/nonexistent/analytics-job" });
    expect(problemKeys(validationProblems(stack))).toEqual([{ construct: "BatchJob", prop: "codeDirectory" }]);
  });

  it("refuses duplicate task keys, unknown and circular dependencies, and a malformed cron", () => {
    const { stack } = buildJob({
      tasks: [
        { key: "a", entryFile: "run_check.py", dependsOn: ["b"] },
        { key: "b", entryFile: "run_etl.py", dependsOn: ["a", "zzz"] },
        { key: "b", entryFile: "run_etl.py" },
      ],
      schedule: { quartzCronExpression: "0 0 2 * * *" },
    });
    expect(problemKeys(validationProblems(stack))).toEqual(
      expect.arrayContaining([
        { construct: "BatchJob", prop: "schedule.quartzCronExpression" },
        { construct: "BatchJob", prop: "tasks[2].key" },
        { construct: "BatchJob", prop: "tasks[1].dependsOn[1]" },
        { construct: "BatchJob", prop: "tasks" },
      ]),
    );
  });

  it("puts deploy tasks in a job of their own, never scheduled, which only its owner may start", () => {
    const { stack } = buildJob({
      deployTasks: [{ key: "migrate", entryFile: "run_migrate.py" }],
      operators: [DatabricksPrincipal.group("analysts")],
      owner: DatabricksPrincipal.servicePrincipal(DEPLOYER),
    });
    const synthesized = synthStack(stack);
    const jobs = Object.entries(synthesized.resource.databricks_job);
    const [deployName, deployJob] = jobs.find(([, body]) => body.name === "analytics-nightly-deploy")!;
    const [jobName] = jobs.find(([, body]) => body.name === "analytics-nightly")!;
    expect(deployJob.schedule).toBeUndefined();
    expect((deployJob.task as Body[]).map((task) => task.task_key)).toEqual(["migrate"]);
    const permissionsOf = (name: string) => Object.values(synthesized.resource.databricks_permissions).find((body) => body.job_id === `\${databricks_job.${name}.id}`)!.access_control;
    expect(permissionsOf(deployName)).toEqual([{ service_principal_name: DEPLOYER, permission_level: "IS_OWNER" }]);
    expect(permissionsOf(jobName)).toContainEqual({ group_name: "analysts", permission_level: "CAN_MANAGE_RUN" });
  });

  it("autoscales its job cluster between the bounds by default", () => {
    const synthesized = synthStack(buildJob().stack);
    const [job] = Object.values(synthesized.resource.databricks_job);
    const cluster = (job.job_cluster as Body[])[0].new_cluster as Body;
    expect(cluster.autoscale).toEqual({ min_workers: 1, max_workers: 2 });
    expect(cluster.num_workers).toBeUndefined();
  });

  it("keeps a fixed-size cluster at its largest size for the whole scheduled run, under a policy that allows that size and sets no autoscale default", () => {
    const { stack } = buildJob({
      cluster: { nodeTypeIds: ["Standard_D4ds_v5"], minWorkers: 1, maxWorkers: 6, fixedSize: true },
      deployTasks: [{ key: "migrate", entryFile: "run_migrate.py" }],
      owner: DatabricksPrincipal.servicePrincipal(DEPLOYER),
    });
    const synthesized = synthStack(stack);
    const clusterOf = (name: string) => {
      const job = Object.values(synthesized.resource.databricks_job).find((body) => body.name === name)!;
      return (job.job_cluster as Body[])[0].new_cluster as Body;
    };
    expect(clusterOf("analytics-nightly")).toMatchObject({ num_workers: 6 });
    expect(clusterOf("analytics-nightly").autoscale).toBeUndefined();
    expect(clusterOf("analytics-nightly-deploy")).toMatchObject({ num_workers: 1 });
    const [policy] = Object.values(synthesized.resource.databricks_cluster_policy);
    const definition = JSON.parse(policy.definition as string) as Record<string, Body>;
    expect(definition.num_workers).toEqual({ type: "range", minValue: 1, maxValue: 6, defaultValue: 6 });
    expect(definition["autoscale.min_workers"].defaultValue).toBeUndefined();
    expect(definition["autoscale.max_workers"].defaultValue).toBeUndefined();
  });

  it("refuses a fixedSize that is not true or false", () => {
    const { job } = buildJob({ cluster: { nodeTypeIds: ["Standard_D4ds_v5"], minWorkers: 1, maxWorkers: 2, fixedSize: "yes" as unknown as boolean } });
    expect(validationProblems(job).map((problem) => problem.prop)).toContain("cluster.fixedSize");
  });

  it("writes the secret keys each entry file may read to deployment.json", () => {
    const { stack } = buildJob({
      secretScope: { name: "analytics-kv", secretStore: vaultIn, azureDatabricksObjectId: DATABRICKS_APP },
      tasks: [{ key: "load", entryFile: "run_etl.py", secretKeys: ["etl-user", "etl-password"] }],
      deployTasks: [{ key: "migrate", entryFile: "run_migrate.py", secretKeys: ["admin-user", "admin-password"] }],
      adminSecretKeys: ["admin-user", "admin-password"],
      deploymentSettings: { postgres: { host: "psql.example.internal", port: 5432, database: "analytics" } },
    });
    const [file] = Object.values(synthStack(stack).resource.databricks_workspace_file).filter((body) => String(body.path).endsWith("/deployment.json"));
    expect(file.path).toBe("/jobs/analytics-nightly/deployment.json");
    const settings = String(file.content_base64);
    expect(settings).toContain(`"postgres" = {"host" = "psql.example.internal", "port" = 5432, "database" = "analytics"}`);
    expect(settings).toContain(`"secret_scope" = "analytics-kv"`);
    expect(settings).toContain(`"secret_keys" = {"run_etl.py" = ["etl-user", "etl-password"], "run_migrate.py" = ["admin-user", "admin-password"]}`);
  });

  it("refuses an administrator's secret in a task operators may start, or in its entry file", () => {
    const { stack } = buildJob({
      secretScope: { name: "analytics-kv", secretStore: vaultIn, azureDatabricksObjectId: DATABRICKS_APP },
      tasks: [
        { key: "load", entryFile: "run_etl.py", secretKeys: ["etl-user", "admin-password"] },
        { key: "again", entryFile: "run_migrate.py" },
      ],
      deployTasks: [{ key: "migrate", entryFile: "run_migrate.py", secretKeys: ["admin-password"] }],
      adminSecretKeys: ["admin-password"],
    });
    const problems = validationProblems(stack);
    expect(problemKeys(problems)).toEqual([
      { construct: "BatchJob", prop: "tasks[0].secretKeys[1]" },
      { construct: "BatchJob", prop: "tasks[1].entryFile" },
    ]);
    expect(problems[0].value).toContain("admin-password");
    expect(problems[0].allowed).toContain("read only by deployTasks");
  });

  it("refuses secret keys without a secret scope to read them from", () => {
    const { stack } = buildJob({ tasks: [{ key: "load", entryFile: "run_etl.py", secretKeys: ["etl-password"] }] });
    expect(problemKeys(validationProblems(stack))).toEqual([{ construct: "BatchJob", prop: "tasks[0].secretKeys" }]);
  });

  it("records what a JavaScript caller leaves out instead of crashing", () => {
    const stack = new TerraformStack(Testing.app(), "js");
    expect(() => new BatchJob(stack, "job", {} as BatchJobProps)).not.toThrow();
    expect(problemKeys(validationProblems(stack))).toEqual(
      expect.arrayContaining(["provider", "workspace", "jobName", "codeDirectory", "runAs", "notificationAddresses", "schedule", "cluster", "tasks"].map((prop) => ({ construct: "BatchJob", prop }))),
    );
  });
});

describe("BatchJob's launcher in front of a team's entry files", () => {
  const workspaceFiles = (stack: TerraformStack) => Object.values(synthStack(stack).resource.databricks_workspace_file as Record<string, Body>);
  const pathsOf = (stack: TerraformStack) => workspaceFiles(stack).map((body) => String(body.path).replace("/jobs/analytics-nightly/", "")).sort();

  it("runs each task of code that is not the package's through a launcher, with the package's guard beside it", () => {
    const { stack } = buildJob();
    expect(pathsOf(stack)).toEqual(expect.arrayContaining(["_guarded_extract.py", "_guarded_load.py", "deployment.json", "deployment_guard.py"]));
    const tasks = (Object.values(synthStack(stack).resource.databricks_job as Record<string, Body>)[0].task as Body[]).map((task) => task.spark_python_task as Body);
    expect(tasks.map((task) => /code-(_guarded_[a-z]+)-py/.exec(String(task.python_file))?.[1])).toEqual(["_guarded_extract", "_guarded_load"]);
    expect(tasks[0].parameters).toEqual(["--day", "yesterday"]);
  });

  it("writes each launched task's entry file, deployed parameters and operator options to deployment.json", () => {
    const { stack } = buildJob({ tasks: [{ key: "extract", entryFile: "run_check.py", parameters: ["--day", "yesterday"], operatorOptions: { "--day": "value", "--all": "flag" } }] });
    const settings = String(workspaceFiles(stack).find((body) => String(body.path).endsWith("/deployment.json"))?.content_base64);
    expect(settings).toContain(`"tasks" = {"extract" = {"entry" = "run_check.py", "parameters" = ["--day", "yesterday"], "operator_options" = {"--day" = "value", "--all" = "flag"}}}`);
  });

  it("runs the package's own entry files, which check their parameters themselves, without a launcher", () => {
    const { stack } = buildJob({ codeDirectory: join(__dirname, "..", "..", "spark"), codePaths: ["run_check.py", "run_etl.py", "deployment_guard.py", "bank_etl"] });
    expect(pathsOf(stack).filter((file) => file.startsWith("_guarded_"))).toEqual([]);
  });

  it("refuses operator options that are not --names, or neither flag nor value", () => {
    const { job } = buildJob({ tasks: [{ key: "extract", entryFile: "run_check.py", operatorOptions: { quarter: "value", "--all": "switch" as "flag" } }] });
    expect(validationProblems(job).map((problem) => problem.prop)).toEqual(["tasks[0].operatorOptions", 'tasks[0].operatorOptions["--all"]']);
  });

  it("refuses code with a deployment_guard.py of its own, whose name the package's guard needs", () => {
    const code = mkdtempSync(join(tmpdir(), "own-guard-"));
    cpSync(FIXTURE_PACKAGE, code, { recursive: true });
    writeFileSync(join(code, "deployment_guard.py"), "def run_task(*args):\n    pass\n");
    const { job } = buildJob({ codeDirectory: code });
    expect(validationProblems(job).map((problem) => problem.prop)).toEqual(["codeDirectory"]);
  });
});

describe("DatabricksWorkspace, public", () => {
  it("has no UI/API endpoint, and its objects wait for the workspace and the assignments only", () => {
    const stack = new TerraformStack(Testing.app(), "public-workspace");
    new AzurermProvider(stack, "azurerm", { features: [{ storage: [{ dataPlaneAvailable: false }] }] });
    const network = new SecureNetwork(stack, "network", {
      resourceGroupName: "rg",
      location: "westeurope",
      nameSuffix: "analytics",
      addressSpace: "10.8.0.0/20",
      subnets: { databricksHost: "10.8.0.0/24", databricksContainer: "10.8.1.0/24", postgres: "10.8.2.0/28", privateEndpoints: "10.8.2.16/28" },
    });
    const provider = new DatabricksProvider(stack, "databricks", {});
    const workspace = new DatabricksWorkspace(stack, "workspace", {
      resourceGroupName: "rg",
      location: "westeurope",
      name: "dbw-analytics",
      provider,
      network,
      publicNetworkAccess: true,
      publicNetworkAccessReason: "Analysts connect from the office network, which has no private route to Azure.",
      principals: [DatabricksPrincipal.group("analysts"), DatabricksPrincipal.group("analysts"), DatabricksPrincipal.user("ana@contoso.com")],
    });
    const synthesized = synthStack(stack);
    expect(validationProblems(stack)).toEqual([]);
    expect(workspace.uiApiPrivateEndpoint).toBeUndefined();
    expect(Object.keys(synthesized.resource.databricks_permission_assignment)).toHaveLength(2);
    expect(Object.values(synthesized.resource.databricks_permission_assignment).map((body) => body.user_name ?? body.group_name)).toEqual(["analysts", "ana@contoso.com"]);
    expect(workspace.ready).toHaveLength(3);
    expect((synthesized.provider?.databricks as Body[])[0].host).toMatch(/workspace_url/);
  });
});

describe("one provider per workspace", () => {
  it("refuses a job whose provider is not its workspace's, and a provider shared by two workspaces", () => {
    const { stack } = buildJob({ provider: undefined });
    const other = new DatabricksProvider(stack, "other", { alias: "other" });
    new BatchJob(stack, "misrouted", {
      provider: other,
      workspace: DatabricksWorkspace.fromExisting(stack, "second", {
        workspaceResourceId: "/subscriptions/x/resourceGroups/rg/providers/Microsoft.Databricks/workspaces/dbw-b",
        workspaceUrl: "https://adb-2.azuredatabricks.net",
        workspaceId: "2",
        location: "westeurope",
        accessConnectorId: "/subscriptions/x/ac",
        accessConnectorPrincipalId: "7c6b5a49-3827-4615-9a4b-3c2d1e0f9a8b",
        provider: new DatabricksProvider(stack, "second-provider", { alias: "second" }),
      }),
      jobName: "misrouted",
      codeDirectory: FIXTURE_PACKAGE,
      tasks: [{ key: "run", entryFile: "run_etl.py" }],
      schedule: { quartzCronExpression: "0 0 1 * * ?" },
      cluster: { nodeTypeIds: ["Standard_D4ds_v5"], minWorkers: 1, maxWorkers: 1 },
      runAs: DatabricksPrincipal.servicePrincipal(JOB_SP),
      notificationAddresses: ["oncall@analytics.contoso.com"],
    });
    expect(problemKeys(validationProblems(stack))).toEqual(expect.arrayContaining([{ construct: "BatchJob", prop: "provider" }]));
    expect(validationProblems(stack).filter((problem) => problem.prop === "provider").map((problem) => problem.path)).toEqual(["jobs/nightly", "jobs/misrouted"]);
  });
});
