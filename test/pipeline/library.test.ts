import * as library from "../../src";
import { resourceAt } from "../helpers/synth";
import { addressesAt, allResources, BASE_PROPS, dependsOn, JOB_SP, pathOf, pipelineProblems, problemKeys, synthPipeline } from "./pipeline-stack";

type Body = Record<string, unknown>;
type Task = { task_key: string; max_retries: number; depends_on?: Array<{ task_key: string }>; spark_python_task: { python_file: string; parameters: string[] } };

describe("SparkBatchPipeline in another organisation's stack", () => {
  const synthesized = synthPipeline();
  const job = resourceAt(synthesized, "databricks_job", "/pipeline/job/job");
  const migrateJob = resourceAt(synthesized, "databricks_job", "/pipeline/job/deploy-job");
  const tasks = job.task as Task[];
  const allTasks = [...tasks, ...(migrateJob.task as Task[])];
  const task = (key: string) => allTasks.find((candidate) => candidate.task_key === key) as Task;
  const parameter = (key: string, name: string) => {
    const parameters = task(key).spark_python_task.parameters;
    const index = parameters.indexOf(name);
    return index === -1 ? undefined : parameters[index + 1];
  };
  const assignments = addressesAt(synthesized, "databricks_permission_assignment", "/pipeline/workspace/");
  const endpoint = addressesAt(synthesized, "azurerm_private_endpoint", "/pipeline/workspace/ui-api-private-endpoint");
  const metastore = addressesAt(synthesized, "databricks_metastore_assignment", "/pipeline/workspace/metastore-assignment");

  it("is exported from the package entry point with its parts, and no internal helper", () => {
    for (const name of ["SparkBatchPipeline", "DatabricksWorkspace", "NetworkConnectivity", "LakehouseCatalog", "BatchJob", "DatabricksPrincipal"]) {
      expect(library).toHaveProperty(name);
    }
    for (const name of ["pipelineGrantSet", "isQuartzCron", "collectJobCode", "checkDatabricksPrincipal"]) expect(library).not.toHaveProperty(name);
  });

  it("keeps the workspace private by default, with a databricks_ui_api private endpoint", () => {
    expect(resourceAt(synthesized, "azurerm_databricks_workspace", "/pipeline/workspace/workspace")).toMatchObject({
      name: "dbw-analytics-dev",
      public_network_access_enabled: false,
      network_security_group_rules_required: "NoAzureDatabricksRules",
    });
    expect(resourceAt(synthesized, "azurerm_private_endpoint", "/pipeline/workspace/ui-api-private-endpoint").private_service_connection).toMatchObject({ subresource_names: ["databricks_ui_api"] });
  });

  it("assigns the job's service principal and both groups to the workspace, through the workspace provider", () => {
    const bodies = assignments.map((address) => synthesized.resource.databricks_permission_assignment[address.split(".")[1]]);
    expect(bodies.map(({ service_principal_name, group_name, permissions }) => ({ service_principal_name, group_name, permissions }))).toEqual([
      { service_principal_name: JOB_SP, group_name: undefined, permissions: ["USER"] },
      { service_principal_name: undefined, group_name: "analytics-engineers", permissions: ["USER"] },
      { service_principal_name: undefined, group_name: "analytics-ml", permissions: ["USER"] },
    ]);
    for (const body of bodies) {
      expect(body.provider).toBe("databricks.analytics");
      expect(dependsOn(body)).toEqual(expect.arrayContaining([...endpoint, ...metastore]));
    }
  });

  it("assigns the workspace to its metastore before any principal and after nothing that names one", () => {
    expect(metastore).toHaveLength(1);
    expect(dependsOn(resourceAt(synthesized, "databricks_metastore_assignment", "/pipeline/workspace/metastore-assignment"))).not.toEqual(expect.arrayContaining([expect.stringMatching(/^databricks_/)]));
  });

  it("makes every workspace-level Databricks resource wait for the UI/API endpoint and every assignment", () => {
    const workspaceLevel = allResources(synthesized).filter(
      ([address]) =>
        address.startsWith("databricks_") &&
        !address.startsWith("databricks_mws_") &&
        !address.startsWith("databricks_permission_assignment") &&
        !address.startsWith("databricks_metastore_assignment") &&
        !address.startsWith("databricks_workspace_file"),
    );
    expect(workspaceLevel.length).toBeGreaterThan(20);
    for (const [address, body] of workspaceLevel) {
      expect({ address, depends_on: dependsOn(body) }).toEqual({ address, depends_on: expect.arrayContaining([...endpoint, ...assignments]) });
    }
  });

  it("names principals only in resources that wait for their assignment", () => {
    const names = [JOB_SP, "analytics-engineers", "analytics-ml"];
    for (const [address, body] of allResources(synthesized)) {
      if (!address.startsWith("databricks_") || address.startsWith("databricks_permission_assignment")) continue;
      const text = JSON.stringify({ ...body, depends_on: undefined, "//": undefined });
      if (names.some((name) => text.includes(name))) expect({ address, depends_on: dependsOn(body) }).toEqual({ address, depends_on: expect.arrayContaining(assignments) });
    }
  });

  it("binds a network connectivity configuration in the region to the workspace, through the account provider", () => {
    const config = resourceAt(synthesized, "databricks_mws_network_connectivity_config", "/pipeline/network-connectivity/config");
    expect(config).toMatchObject({ name: "ncc-analytics-dev", region: "northeurope", provider: "databricks.account" });
    const binding = resourceAt(synthesized, "databricks_mws_ncc_binding", "/pipeline/network-connectivity/binding");
    expect(binding.provider).toBe("databricks.account");
    expect(binding.workspace_id).toMatch(/azurerm_databricks_workspace\.pipeline_workspace_.*\.workspace_id/);
    expect(binding.network_connectivity_config_id).toMatch(/databricks_mws_network_connectivity_config\..*\.network_connectivity_config_id/);
  });

  it("adds private-endpoint rules to the lake's dfs and blob, which the lake's Unity Catalog objects wait for", () => {
    const rules = ["dfs", "blob"].map((groupId) => resourceAt(synthesized, "databricks_mws_ncc_private_endpoint_rule", `/pipeline/network-connectivity/rule-lake-${groupId}`));
    for (const [index, groupId] of ["dfs", "blob"].entries()) {
      expect(rules[index]).toMatchObject({ group_id: groupId, provider: "databricks.account" });
      expect(rules[index].resource_id).toMatch(/^\$\{azurerm_storage_account\.lake_account_.*\.id\}$/);
    }
    const ruleAddresses = addressesAt(synthesized, "databricks_mws_ncc_private_endpoint_rule", "/pipeline/network-connectivity/");
    const binding = addressesAt(synthesized, "databricks_mws_ncc_binding", "/pipeline/network-connectivity/");
    for (const path of ["/pipeline/catalog/storage-credential", "/pipeline/catalog/external-location-curated", "/pipeline/catalog/external-location-landing"]) {
      const type = path.includes("credential") ? "databricks_storage_credential" : "databricks_external_location";
      const body = resourceAt(synthesized, type, path);
      expect(dependsOn(body)).toEqual(expect.arrayContaining([...ruleAddresses, ...binding]));
      // The lake's owner approves the pending endpoints after apply; validation would fail before.
      expect(body.skip_validation).toBe(true);
    }
  });

  it("names the catalog after the name suffix and gives data engineers read access by default", () => {
    expect(resourceAt(synthesized, "databricks_catalog", "/pipeline/catalog/catalog").name).toBe("analytics_dev");
    const grants = resourceAt(synthesized, "databricks_grants", "/pipeline/catalog/grants-catalog").grant as Array<{ principal: string; privileges: string[] }>;
    expect(grants.find((grant) => grant.principal === "analytics-engineers")?.privileges).toEqual(["USE_CATALOG", "USE_SCHEMA", "SELECT", "BROWSE"]);
  });

  it("lets the job create its external tables in curated, features and quarantine", () => {
    for (const area of ["curated", "features", "quarantine"]) {
      const grants = resourceAt(synthesized, "databricks_grants", `/pipeline/catalog/grants-external-location-${area}`).grant as Array<{ principal: string; privileges: string[] }>;
      expect(grants).toEqual([{ principal: JOB_SP, privileges: ["READ_FILES", "WRITE_FILES", "CREATE_EXTERNAL_TABLE"] }]);
    }
    for (const schema of ["curated", "features", "ops"]) {
      const grants = resourceAt(synthesized, "databricks_grants", `/pipeline/catalog/grants-schema-${schema}`).grant as Array<{ principal: string; privileges: string[] }>;
      expect(grants.find((grant) => grant.principal === JOB_SP)?.privileges).toEqual(["USE_SCHEMA", "SELECT", "MODIFY", "CREATE_TABLE"]);
    }
  });

  it("schedules the job quarterly at 02:00 UTC and unpaused by default", () => {
    expect(job.schedule).toEqual({ quartz_cron_expression: "0 0 2 1 1,4,7,10 ?", timezone_id: "UTC", pause_status: "UNPAUSED" });
  });

  it("runs check (never retried), then load, then maintain, on one job cluster, and migrate in a job of its own", () => {
    expect(tasks.map((candidate) => [candidate.task_key, candidate.max_retries, candidate.depends_on?.map((dependency) => dependency.task_key) ?? []])).toEqual([
      ["check", 0, []],
      ["load", 2, ["check"]],
      ["maintain", 2, ["load"]],
    ]);
    expect(new Set(tasks.map((candidate) => (candidate as unknown as Body).job_cluster_key))).toEqual(new Set(["job"]));
    expect((migrateJob.task as Task[]).map((candidate) => candidate.task_key)).toEqual(["migrate"]);
    expect(migrateJob.schedule).toBeUndefined();
  });

  it("runs only files it uploads", () => {
    const files = synthesized.resource.databricks_workspace_file;
    for (const candidate of allTasks) {
      const match = /^\$\{databricks_workspace_file\.([^.]+)\.workspace_path\}$/.exec(candidate.spark_python_task.python_file);
      expect(match).not.toBeNull();
      expect(files[match![1]]).toBeDefined();
    }
    // The fixture's entry files are not the package's own, so each runs through its launcher (task-launcher.ts).
    expect(allTasks.map((candidate) => /code-(_guarded_[a-z]+)-py/.exec(candidate.spark_python_task.python_file)?.[1])).toEqual(["_guarded_check", "_guarded_load", "_guarded_maintain", "_guarded_migrate"]);
    expect(dependsOn(job)).toEqual(expect.arrayContaining(Object.keys(files).map((name) => `databricks_workspace_file.${name}`)));
  });

  it("passes the check, load and migrate parameters of the fixed interface", () => {
    const pgUrl = "postgresql://psql-analytics-dev.postgres.database.azure.com:5432/analytics?sslmode=verify-full&sslrootcert=/etc/ssl/certs/ca-certificates.crt";
    expect(task("check").spark_python_task.parameters).toEqual(["--input", expect.stringMatching(/^abfss:\/\/landing@\$\{azurerm_storage_account\..*\.name\}\.dfs\.core\.windows\.net\/bank\/transactions\/$/), "--timezone", "UTC"]);
    expect(task("migrate").spark_python_task.parameters).toEqual([
      "--pg-url", pgUrl, "--schema", "bank", "--secret-scope", "analytics-dev-kv",
      "--admin-user-key", "psql-analytics-dev-admin-user", "--admin-password-key", "psql-analytics-dev-admin-password",
      "--etl-role", "bank_etl", "--etl-password-key", "psql-analytics-dev-etl-password", "--reader-role", "bank_reader",
    ]);
    expect(parameter("migrate", "--reader-login")).toBeUndefined();
    expect(parameter("load", "--lake")).toMatch(/^abfss:\/\/\{container\}@\$\{azurerm_storage_account\..*\.name\}\.dfs\.core\.windows\.net\/$/);
    expect(parameter("load", "--catalog")).toBe("analytics_dev");
    expect(parameter("load", "--pg-url")).toBe(pgUrl);
    expect(parameter("load", "--pg-user-key")).toBe("psql-analytics-dev-etl-user");
    expect(parameter("load", "--pg-password-key")).toBe("psql-analytics-dev-etl-password");
    expect(parameter("load", "--timezone")).toBe("UTC");
    expect(parameter("load", "--input")).toBe(parameter("check", "--input"));
  });

  it("allows only the dedicated access mode, for the job's service principal", () => {
    const policy = JSON.parse(resourceAt(synthesized, "databricks_cluster_policy", "/pipeline/job/cluster-policy").definition as string);
    expect(policy.data_security_mode).toEqual({ type: "fixed", value: "SINGLE_USER" });
    expect(policy.single_user_name).toEqual({ type: "fixed", value: JOB_SP });
    expect(JSON.stringify(policy)).not.toContain("USER_ISOLATION");
  });

  it("sends every Databricks resource to this pipeline's providers", () => {
    for (const [address, body] of allResources(synthesized)) {
      if (!address.startsWith("databricks_")) continue;
      expect({ address, provider: body.provider }).toEqual({ address, provider: address.startsWith("databricks_mws_") ? "databricks.account" : "databricks.analytics" });
    }
    expect(pathOf(job)).toBe("their-stack/pipeline/job/job");
  });
});

describe("the deployer's privileges on the metastore", () => {
  const DEPLOYER = "2d3e4f5a-6b7c-4d8e-9f0a-1b2c3d4e5f6a";

  it("grants nothing on the metastore unless asked", () => {
    expect(allResources(synthPipeline({ deployer: library.DatabricksPrincipal.servicePrincipal(DEPLOYER) })).filter(([address]) => address.startsWith("databricks_grant."))).toEqual([]);
  });

  it("grants the deployer the four privileges non-authoritatively, before the credentials, locations and catalog are made", () => {
    const synthesized = synthPipeline({ deployer: library.DatabricksPrincipal.servicePrincipal(DEPLOYER), grantMetastorePrivileges: true });
    const [grant] = addressesAt(synthesized, "databricks_grant", "/pipeline/catalog/metastore-privileges");
    expect(resourceAt(synthesized, "databricks_grant", "/pipeline/catalog/metastore-privileges")).toMatchObject({
      metastore: BASE_PROPS.metastoreId,
      principal: DEPLOYER,
      privileges: ["CREATE_STORAGE_CREDENTIAL", "CREATE_EXTERNAL_LOCATION", "CREATE_CATALOG", "CREATE_SERVICE_CREDENTIAL"],
    });
    const creators = allResources(synthesized).filter(([address]) => /^databricks_(storage_credential|credential|external_location|catalog)\./.test(address));
    expect(creators).toHaveLength(8);
    for (const [address, body] of creators) expect({ address, waits: dependsOn(body).includes(grant) }).toEqual({ address, waits: true });
  });

  it("refuses the grant without a deployer, and a deployer that is the job's principal", () => {
    expect(problemKeys(pipelineProblems({ grantMetastorePrivileges: true }))).toEqual([{ construct: "SparkBatchPipeline", prop: "deployer" }]);
    expect(problemKeys(pipelineProblems({ deployer: library.DatabricksPrincipal.servicePrincipal(JOB_SP) }))).toEqual([{ construct: "SparkBatchPipeline", prop: "deployer" }]);
  });
});
