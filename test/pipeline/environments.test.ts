import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse as parseYaml } from "yaml";
import { ENVIRONMENTS, EnvironmentName } from "../../src/stacks/config";
import { DATABRICKS_RUNTIME } from "../../src/constructs/databricks/cluster-policy";
import { CONFIGS, logicalNameAt, ref, resourceAt, resourcesOf, synthEnvironment } from "../helpers/synth";

type Body = Record<string, unknown>;

const workspaceOf = (environment: EnvironmentName): Body => resourceAt(synthEnvironment(environment), "azurerm_databricks_workspace", "/pipeline/workspace/workspace");
const jobOf = (environment: EnvironmentName): Body => resourceAt(synthEnvironment(environment), "databricks_job", "/pipeline/job/job");
const migrateJobOf = (environment: EnvironmentName): Body => resourceAt(synthEnvironment(environment), "databricks_job", "/pipeline/job/deploy-job");
/** A task of the quarterly job, or (migrate) of the migrate job. */
const taskOf = (environment: EnvironmentName, key = "load"): Body => ((key === "migrate" ? migrateJobOf(environment) : jobOf(environment)).task as Body[]).find((task) => task.task_key === key) as Body;
const parametersOf = (environment: EnvironmentName, key = "load"): string[] => (taskOf(environment, key).spark_python_task as { parameters: string[] }).parameters;
const parameter = (environment: EnvironmentName, name: string, key = "load"): string | undefined => {
  const parameters = parametersOf(environment, key);
  const index = parameters.indexOf(name);
  return index === -1 ? undefined : parameters[index + 1];
};
const workspaceRef = (environment: EnvironmentName, attribute: string): string =>
  ref("azurerm_databricks_workspace", logicalNameAt(synthEnvironment(environment), "azurerm_databricks_workspace", "/pipeline/workspace/workspace"), attribute);
const lakeAccountName = (environment: EnvironmentName): string =>
  ref("azurerm_storage_account", logicalNameAt(synthEnvironment(environment), "azurerm_storage_account", "/lake/account"), "name");

describe.each(ENVIRONMENTS)("the %s pipeline's workspace", (environment) => {
  it("is a premium workspace named by the environment with its own managed resource group", () => {
    expect(workspaceOf(environment)).toMatchObject({ sku: "premium", name: `dbw-bank-${environment}`, managed_resource_group_name: `rg-dbw-bank-${environment}-managed` });
  });

  it("is injected into the network's Databricks subnets with their NSG associations and no public IPs", () => {
    const synthesized = synthEnvironment(environment);
    const subnet = (key: string) => ref("azurerm_subnet", logicalNameAt(synthesized, "azurerm_subnet", `/network/${key}-subnet`), "name");
    const association = (key: string) =>
      ref("azurerm_subnet_network_security_group_association", logicalNameAt(synthesized, "azurerm_subnet_network_security_group_association", `/network/${key}-nsg-association`));
    expect(workspaceOf(environment).custom_parameters).toEqual({
      no_public_ip: true,
      virtual_network_id: ref("azurerm_virtual_network", logicalNameAt(synthesized, "azurerm_virtual_network", "/network/vnet")),
      public_subnet_name: subnet("databricks-host"),
      private_subnet_name: subnet("databricks-container"),
      public_subnet_network_security_group_association_id: association("databricks-host"),
      private_subnet_network_security_group_association_id: association("databricks-container"),
    });
  });

  it("sends the workspace's logs to Log Analytics", () => {
    const diagnostics = resourceAt(synthEnvironment(environment), "azurerm_monitor_diagnostic_setting", "/pipeline/workspace/workspace-diagnostics");
    expect(diagnostics.target_resource_id).toBe(workspaceRef(environment, "id"));
    expect(diagnostics.enabled_log).toEqual([{ category_group: "allLogs" }]);
  });

  it("configures the databricks provider from the workspace's URL and resource id, without credentials", () => {
    const providers = synthEnvironment(environment).provider?.databricks as Body[];
    expect(providers.find((provider) => provider.alias === undefined)).toEqual({ host: `https://${workspaceRef(environment, "workspace_url")}`, azure_workspace_resource_id: workspaceRef(environment, "id") });
    // The account-level provider of the NCC: the accounts host and the account id from config.
    expect(providers.find((provider) => provider.alias === "account")).toEqual({ alias: "account", host: "https://accounts.azuredatabricks.net", account_id: CONFIGS[environment].pipeline.databricksAccountId });
  });

  it("outputs the workspace URL and the job id", () => {
    const synthesized = synthEnvironment(environment);
    const job = logicalNameAt(synthesized, "databricks_job", "/pipeline/job/job");
    expect(synthesized.output).toMatchObject({
      databricks_workspace_url: { value: `https://${workspaceRef(environment, "workspace_url")}` },
      databricks_job_id: { value: ref("databricks_job", job) },
    });
  });
});

describe("workspace network access", () => {
  it("keeps prod private with back-end Private Link and a databricks_ui_api private endpoint", () => {
    const prod = synthEnvironment("prod");
    expect(workspaceOf("prod")).toMatchObject({ public_network_access_enabled: false, network_security_group_rules_required: "NoAzureDatabricksRules" });
    const endpoint = resourceAt(prod, "azurerm_private_endpoint", "/pipeline/workspace/ui-api-private-endpoint");
    expect(endpoint.private_service_connection).toMatchObject({ private_connection_resource_id: workspaceRef("prod", "id"), subresource_names: ["databricks_ui_api"] });
    expect(endpoint.subnet_id).toBe(ref("azurerm_subnet", logicalNameAt(prod, "azurerm_subnet", "/network/private-endpoints-subnet")));
    expect(endpoint.private_dns_zone_group).toEqual({
      name: "default",
      private_dns_zone_ids: [ref("azurerm_private_dns_zone", logicalNameAt(prod, "azurerm_private_dns_zone", "/network/databricks-dns-zone"))],
    });
  });

  it.each(["dev", "test"] as const)("keeps %s public with the Azure Databricks NSG rules and says why in its config", (environment) => {
    expect(workspaceOf(environment)).toMatchObject({ public_network_access_enabled: true, network_security_group_rules_required: "AllRules" });
    expect(resourcesOf(synthEnvironment(environment), "azurerm_private_endpoint").map(([name]) => name).filter((name) => name.includes("ui-api"))).toEqual([]);
    expect(CONFIGS[environment].pipeline.publicNetworkAccessReason?.length).toBeGreaterThan(20);
    expect(CONFIGS[environment].relaxations["pipeline.publicNetworkAccess"]).toBe(CONFIGS[environment].pipeline.publicNetworkAccessReason);
  });
});

describe("the browser sign-in of a private workspace", () => {
  it("gives prod's private workspace a browser_authentication endpoint in the Databricks DNS zone", () => {
    const endpoint = resourceAt(synthEnvironment("prod"), "azurerm_private_endpoint", "/pipeline/workspace/browser-auth-private-endpoint");
    expect(endpoint.private_service_connection).toMatchObject({ subresource_names: ["browser_authentication"], is_manual_connection: false });
    expect(JSON.stringify(endpoint.private_dns_zone_group)).toContain("network_databricks-dns-zone");
  });

  it.each(["dev", "test"] as const)("gives %s's public workspace none", (environment) => {
    expect(resourcesOf(synthEnvironment(environment), "azurerm_private_endpoint").filter(([name]) => name.includes("browser-auth"))).toEqual([]);
  });
});

describe("the first apply of a private workspace", () => {
  it("makes every workspace-level Databricks resource in prod wait for the UI/API endpoint and every identity assignment", () => {
    const prod = synthEnvironment("prod");
    const endpoint = `azurerm_private_endpoint.${logicalNameAt(prod, "azurerm_private_endpoint", "/pipeline/workspace/ui-api-private-endpoint")}`;
    const metastore = `databricks_metastore_assignment.${logicalNameAt(prod, "databricks_metastore_assignment", "/pipeline/workspace/metastore-assignment")}`;
    const assignments = resourcesOf(prod, "databricks_permission_assignment").map(([name]) => `databricks_permission_assignment.${name}`);
    // The job's principal, the two groups, and the drift check's identity (as an admin).
    expect(assignments).toHaveLength(4);
    for (const [type, byName] of Object.entries(prod.resource)) {
      if (!type.startsWith("databricks_") || type.startsWith("databricks_mws_") || type === "databricks_workspace_file") continue;
      for (const [name, body] of Object.entries(byName)) {
        // Identity federation needs the metastore first (databricks/terraform-provider-databricks#5282).
        const required =
          type === "databricks_metastore_assignment" ? [endpoint] : type === "databricks_permission_assignment" ? [endpoint, metastore] : [endpoint, metastore, ...assignments];
        expect({ address: `${type}.${name}`, depends_on: body.depends_on }).toEqual({ address: `${type}.${name}`, depends_on: expect.arrayContaining(required) });
      }
    }
  });
});

describe("root DBFS encryption", () => {
  it.each(["test", "prod"] as const)("encrypts %s's root DBFS with an HSM key the workspace's storage identity may use", (environment) => {
    const synthesized = synthEnvironment(environment);
    expect(workspaceOf(environment).customer_managed_key_enabled).toBe(true);
    const keyName = logicalNameAt(synthesized, "azurerm_key_vault_key", "/pipeline/workspace/dbfs-cmk");
    expect(resourceAt(synthesized, "azurerm_key_vault_key", "/pipeline/workspace/dbfs-cmk")).toMatchObject({ name: `cmk-dbw-bank-${environment}-dbfs`, key_type: "RSA-HSM" });
    const access = resourceAt(synthesized, "azurerm_role_assignment", "/pipeline/workspace/dbfs-key-access");
    expect(access).toMatchObject({
      scope: ref("azurerm_key_vault_key", keyName, "resource_versionless_id"),
      principal_id: "${" + `azurerm_databricks_workspace.${logicalNameAt(synthesized, "azurerm_databricks_workspace", "/pipeline/workspace/workspace")}.storage_account_identity[0].principal_id` + "}",
      role_definition_name: "Key Vault Crypto Service Encryption User",
    });
    const binding = resourceAt(synthesized, "azurerm_databricks_workspace_root_dbfs_customer_managed_key", "/pipeline/workspace/dbfs-key");
    expect(binding.workspace_id).toBe(workspaceRef(environment, "id"));
    expect(binding.depends_on).toEqual(expect.arrayContaining([
      `azurerm_role_assignment.${logicalNameAt(synthesized, "azurerm_role_assignment", "/pipeline/workspace/dbfs-key-access")}`,
      `time_sleep.${logicalNameAt(synthesized, "time_sleep", "/pipeline/workspace/dbfs-key-access-wait")}`,
    ]));
  });

  it.each(["test", "prod"] as const)("binds %s's root DBFS to the key's current version, read each plan, so the binding follows automatic rotation", (environment) => {
    const synthesized = synthEnvironment(environment);
    const keyName = logicalNameAt(synthesized, "azurerm_key_vault_key", "/pipeline/workspace/dbfs-cmk");
    const [[current, read]] = Object.entries(synthesized.data?.azurerm_key_vault_key ?? {});
    expect(read).toMatchObject({ name: ref("azurerm_key_vault_key", keyName, "name"), key_vault_id: ref("azurerm_key_vault_key", keyName, "key_vault_id"), depends_on: [`azurerm_key_vault_key.${keyName}`] });
    const binding = resourceAt(synthesized, "azurerm_databricks_workspace_root_dbfs_customer_managed_key", "/pipeline/workspace/dbfs-key");
    expect(binding.key_vault_key_id).toBe(`\${data.azurerm_key_vault_key.${current}.id}`);
  });

  it("accepts, in the drift check, the binding's move to a rotated key version until the next deploy applies it", () => {
    const accepted = parseYaml(readFileSync(join(__dirname, "..", "..", ".azure-devops", "accepted-drift.yaml"), "utf8")) as { accepted: Array<{ address: string; attributes: string[]; reason: string; stacks?: string[] }> };
    expect(accepted.accepted).toContainEqual(expect.objectContaining({ address: "azurerm_databricks_workspace_root_dbfs_customer_managed_key.*", attributes: ["key_vault_key_id"], stacks: ["estate-test", "estate-prod"], reason: expect.stringContaining("versionless") }));
  });

  it("keeps dev's root DBFS on Microsoft-managed keys and says why in its config", () => {
    expect(workspaceOf("dev").customer_managed_key_enabled).toBe(false);
    expect(resourcesOf(synthEnvironment("dev"), "azurerm_databricks_workspace_root_dbfs_customer_managed_key")).toEqual([]);
    expect(CONFIGS.dev.relaxations["pipeline.dbfsCustomerManagedKey"]?.length).toBeGreaterThan(20);
  });
});

describe.each(ENVIRONMENTS)("the %s pipeline's identity and secrets", (environment) => {
  it("gives the access connector a system-assigned identity with data roles on the pipeline's containers only: read on landing, read and write on the rest", () => {
    const synthesized = synthEnvironment(environment);
    expect(resourceAt(synthesized, "azurerm_databricks_access_connector", "/pipeline/workspace/access-connector")).toMatchObject({ name: `dbac-bank-${environment}`, identity: { type: "SystemAssigned" } });
    const connector = ref("azurerm_databricks_access_connector", logicalNameAt(synthesized, "azurerm_databricks_access_connector", "/pipeline/workspace/access-connector"), "identity[0].principal_id");
    const account = ref("azurerm_storage_account", logicalNameAt(synthesized, "azurerm_storage_account", "/lake/account"));
    const roles = resourcesOf(synthesized, "azurerm_role_assignment").map(([, body]) => body).filter((body) => body.principal_id === connector);
    expect(roles.map((body) => [body.scope, body.role_definition_name]).sort()).toEqual(
      [
        [`${account}/blobServices/default/containers/catalog`, "Storage Blob Data Contributor"],
        [`${account}/blobServices/default/containers/curated`, "Storage Blob Data Contributor"],
        [`${account}/blobServices/default/containers/features`, "Storage Blob Data Contributor"],
        [`${account}/blobServices/default/containers/landing`, "Storage Blob Data Reader"],
        [`${account}/blobServices/default/containers/quarantine`, "Storage Blob Data Contributor"],
      ].sort(),
    );
    // The sole pipeline of its lake has the containers' roots: no path condition.
    for (const role of roles) expect(role.condition).toBeUndefined();
  });

  it("lets the access connector through the lake's network rules as a trusted resource instance", () => {
    const synthesized = synthEnvironment(environment);
    const account = resourceAt(synthesized, "azurerm_storage_account", "/lake/account");
    const connector = logicalNameAt(synthesized, "azurerm_databricks_access_connector", "/pipeline/workspace/access-connector");
    expect((account.network_rules as Body).private_link_access).toEqual([
      { endpoint_resource_id: ref("azurerm_databricks_access_connector", connector), endpoint_tenant_id: "${data.azurerm_client_config.client.tenant_id}" },
    ]);
  });

  it("backs the secret scope with the vault, after the AzureDatabricks application may read its secrets", () => {
    const synthesized = synthEnvironment(environment);
    const vault = logicalNameAt(synthesized, "azurerm_key_vault", "/secrets/vault");
    const role = resourceAt(synthesized, "azurerm_role_assignment", "/pipeline/job/azure-databricks-secrets-user");
    expect(role).toMatchObject({ scope: ref("azurerm_key_vault", vault), principal_id: CONFIGS[environment].pipeline.azureDatabricksObjectId, role_definition_name: "Key Vault Secrets User" });
    const scope = resourceAt(synthesized, "databricks_secret_scope", "/pipeline/job/secret-scope");
    expect(scope).toMatchObject({ name: `bank-${environment}-kv`, keyvault_metadata: { resource_id: ref("azurerm_key_vault", vault), dns_name: ref("azurerm_key_vault", vault, "vault_uri") } });
    expect(scope.depends_on).toEqual(expect.arrayContaining([`azurerm_role_assignment.${logicalNameAt(synthesized, "azurerm_role_assignment", "/pipeline/job/azure-databricks-secrets-user")}`]));
    expect(scope.initial_manage_principal).toBeUndefined();
  });

  it("lets only the job's service principal read the secret scope", () => {
    const synthesized = synthEnvironment(environment);
    const acls = resourcesOf(synthesized, "databricks_secret_acl").map(([, body]) => ({ principal: body.principal, permission: body.permission }));
    expect(acls).toEqual([{ principal: CONFIGS[environment].pipeline.jobServicePrincipal.name, permission: "READ" }]);
  });
});

describe.each(ENVIRONMENTS)("the %s pipeline's Unity Catalog", (environment) => {
  const catalogName = `bank_${environment}`;

  it("assigns the configured metastore to the workspace", () => {
    expect(resourceAt(synthEnvironment(environment), "databricks_metastore_assignment", "/pipeline/workspace/metastore-assignment")).toMatchObject({
      metastore_id: CONFIGS[environment].pipeline.metastoreId,
      workspace_id: workspaceRef(environment, "workspace_id"),
    });
  });

  it("makes a storage credential of the access connector, usable from this workspace only", () => {
    const synthesized = synthEnvironment(environment);
    const connector = logicalNameAt(synthesized, "azurerm_databricks_access_connector", "/pipeline/workspace/access-connector");
    expect(resourceAt(synthesized, "databricks_storage_credential", "/pipeline/catalog/storage-credential")).toMatchObject({
      name: `${catalogName}_lake`,
      azure_managed_identity: { access_connector_id: ref("azurerm_databricks_access_connector", connector) },
      isolation_mode: "ISOLATION_MODE_ISOLATED",
    });
  });

  it.each(["landing", "curated", "features", "quarantine", "catalog"])("registers the lake's %s container as an external location", (area) => {
    const synthesized = synthEnvironment(environment);
    const credential = logicalNameAt(synthesized, "databricks_storage_credential", "/pipeline/catalog/storage-credential");
    expect(resourceAt(synthesized, "databricks_external_location", `/pipeline/catalog/external-location-${area}`)).toMatchObject({
      name: `${catalogName}_${area}`,
      url: `abfss://${area}@${lakeAccountName(environment)}.dfs.core.windows.net/`,
      credential_name: ref("databricks_storage_credential", credential, "name"),
      isolation_mode: "ISOLATION_MODE_ISOLATED",
    });
  });

  it("makes the landing external location read-only", () => {
    expect(resourceAt(synthEnvironment(environment), "databricks_external_location", "/pipeline/catalog/external-location-landing").read_only).toBe(true);
  });

  it("creates the environment's catalog, bound to its workspace, with its root in the catalog container", () => {
    expect(resourceAt(synthEnvironment(environment), "databricks_catalog", "/pipeline/catalog/catalog")).toMatchObject({
      name: catalogName,
      isolation_mode: "ISOLATED",
      storage_root: `abfss://catalog@${lakeAccountName(environment)}.dfs.core.windows.net/${catalogName}/`,
    });
  });

  it("creates the raw, curated, features and ops schemas in the catalog", () => {
    const synthesized = synthEnvironment(environment);
    const catalog = logicalNameAt(synthesized, "databricks_catalog", "/pipeline/catalog/catalog");
    const schemas = resourcesOf(synthesized, "databricks_schema").map(([, body]) => body);
    expect(schemas.map((schema) => schema.name).sort()).toEqual(["curated", "features", "ops", "raw"]);
    for (const schema of schemas) expect(schema.catalog_name).toBe(ref("databricks_catalog", catalog, "name"));
  });
});

describe.each(ENVIRONMENTS)("the %s job cluster policy", (environment) => {
  const definition = (): Record<string, Body> =>
    JSON.parse(resourceAt(synthEnvironment(environment), "databricks_cluster_policy", "/pipeline/job/cluster-policy").definition as string) as Record<string, Body>;

  it("admits job clusters only, on the pinned runtime and access mode", () => {
    expect(definition()).toMatchObject({
      cluster_type: { type: "fixed", value: "job" },
      spark_version: { type: "fixed", value: DATABRICKS_RUNTIME },
      data_security_mode: { type: "fixed", value: "SINGLE_USER" },
    });
  });

  it("allows only the configured VM sizes and no instance pools", () => {
    const nodeTypes = CONFIGS[environment].pipeline.cluster.nodeTypeIds;
    expect(definition().node_type_id).toEqual({ type: "allowlist", values: nodeTypes, defaultValue: nodeTypes[0] });
    expect(definition().driver_node_type_id).toEqual({ type: "allowlist", values: nodeTypes, defaultValue: nodeTypes[0] });
    expect(definition().instance_pool_id).toEqual({ type: "forbidden", hidden: true });
  });

  it("bounds autoscaling by the configured workers", () => {
    const { minWorkers, maxWorkers } = CONFIGS[environment].pipeline.cluster;
    expect(definition()["autoscale.min_workers"]).toMatchObject({ type: "range", minValue: minWorkers, maxValue: maxWorkers });
    expect(definition()["autoscale.max_workers"]).toMatchObject({ type: "range", minValue: minWorkers, maxValue: maxWorkers });
  });

  it("requires the environment and cost centre tags", () => {
    expect(definition()["custom_tags.environment"]).toEqual({ type: "fixed", value: environment });
    expect(definition()["custom_tags.cost-centre"]).toEqual({ type: "fixed", value: CONFIGS[environment].costCentre });
  });

  it("lets only the job's service principal use the policy", () => {
    expect(resourceAt(synthEnvironment(environment), "databricks_permissions", "/pipeline/job/cluster-policy-permissions").access_control).toEqual([
      { service_principal_name: CONFIGS[environment].pipeline.jobServicePrincipal.name, permission_level: "CAN_USE" },
    ]);
  });
});

describe.each(ENVIRONMENTS)("the %s quarterly job", (environment) => {
  const config = CONFIGS[environment].pipeline;

  it("runs on the first day of each quarter in the configured time zone", () => {
    expect(jobOf(environment).schedule).toMatchObject({ quartz_cron_expression: "0 0 2 1 1,4,7,10 ?", timezone_id: config.schedule?.timezoneId });
  });

  it(`is ${environment === "dev" ? "paused" : "not paused"} in ${environment}`, () => {
    expect((jobOf(environment).schedule as Body).pause_status).toBe(environment === "dev" ? "PAUSED" : "UNPAUSED");
  });

  it("runs one at a time as the configured service principal", () => {
    expect(jobOf(environment)).toMatchObject({ max_concurrent_runs: 1, run_as: { service_principal_name: config.jobServicePrincipal.name } });
  });

  it("runs on a job cluster under the policy, with the configured autoscale and the pinned runtime", () => {
    const synthesized = synthEnvironment(environment);
    const policy = logicalNameAt(synthesized, "databricks_cluster_policy", "/pipeline/job/cluster-policy");
    const [cluster] = jobOf(environment).job_cluster as Body[];
    expect(cluster.new_cluster).toMatchObject({
      policy_id: ref("databricks_cluster_policy", policy),
      apply_policy_default_values: true,
      spark_version: DATABRICKS_RUNTIME,
      node_type_id: config.cluster.nodeTypeIds[0],
      data_security_mode: "SINGLE_USER",
      single_user_name: config.jobServicePrincipal.name,
      autoscale: { min_workers: config.cluster.minWorkers, max_workers: config.cluster.maxWorkers },
      custom_tags: { environment, "cost-centre": CONFIGS[environment].costCentre },
    });
    expect(taskOf(environment).job_cluster_key).toBe(cluster.job_cluster_key);
  });

  it("runs the uploaded entry script from the workspace", () => {
    const synthesized = synthEnvironment(environment);
    const entry = logicalNameAt(synthesized, "databricks_workspace_file", "/pipeline/job/code-run_etl-py");
    expect(taskOf(environment).spark_python_task).toMatchObject({ python_file: ref("databricks_workspace_file", entry, "workspace_path"), source: "WORKSPACE" });
  });

  it("reads the newest landing file and writes the lake through the {container} template", () => {
    expect(parameter(environment, "--input")).toBe(`abfss://landing@${lakeAccountName(environment)}.dfs.core.windows.net/bank/transactions/`);
    expect(parameter(environment, "--lake")).toBe(`abfss://{container}@${lakeAccountName(environment)}.dfs.core.windows.net/`);
  });

  it("loads the sink over verified TLS as the loader login, with its credentials from the secret scope, not from a literal", () => {
    const synthesized = synthEnvironment(environment);
    const server = logicalNameAt(synthesized, "azurerm_postgresql_flexible_server", "/database/server");
    const pgUrl = `postgresql://${ref("azurerm_postgresql_flexible_server", server, "fqdn")}:5432/bank?sslmode=verify-full&sslrootcert=/etc/ssl/certs/ca-certificates.crt`;
    expect(parameter(environment, "--pg-url")).toBe(pgUrl);
    expect(parameter(environment, "--pg-url", "migrate")).toBe(pgUrl);
    expect(parameter(environment, "--schema")).toBe("bank");
    expect(parameter(environment, "--secret-scope")).toBe(`bank-${environment}-kv`);
    expect(parameter(environment, "--catalog")).toBe(`bank_${environment}`);
    // The load logs in as bank_etl, whose password the migrate task sets from the same secret.
    expect(parameter(environment, "--etl-role", "migrate")).toBe("bank_etl");
    expect(parameter(environment, "--pg-password-key")).toBe(parameter(environment, "--etl-password-key", "migrate"));
    expect(parameter(environment, "--pg-user-key")).not.toBe(parameter(environment, "--admin-user-key", "migrate"));
    expect(parameter(environment, "--admin-user-key", "migrate")).toBeTruthy();
    for (const key of ["check", "migrate", "load"]) expect(parametersOf(environment, key).join(" ")).not.toMatch(/password=|:\/\/[^/]*:[^/]*@/i);
  });

  it("computes the default quarter in the schedule's time zone", () => {
    for (const key of ["check", "load"]) expect(parameter(environment, "--timezone", key)).toBe(config.schedule?.timezoneId);
  });

  it("runs check (never retried), then load, then maintain after a load that succeeded; no task of it holds the server administrator's credential", () => {
    const tasks = jobOf(environment).task as Array<{ task_key: string; max_retries: number; run_if?: string; depends_on?: Array<{ task_key: string }>; spark_python_task: { parameters: string[] } }>;
    expect(tasks.map((task) => [task.task_key, task.max_retries, task.depends_on?.[0]?.task_key])).toEqual([
      ["check", 0, undefined],
      ["load", config.maxRetries, "check"],
      ["maintain", config.maxRetries, "load"],
    ]);
    // Unset run_if is ALL_SUCCESS (Jobs API): maintain never runs after a failed load, whose undo needs the old files.
    expect(tasks.find((task) => task.task_key === "maintain")?.run_if ?? "ALL_SUCCESS").toBe("ALL_SUCCESS");
    for (const task of tasks) expect(task.spark_python_task.parameters.filter((parameter) => parameter.startsWith("--admin-"))).toEqual([]);
  });

  it("migrates PostgreSQL in a job of its own: never scheduled, owned by the deploy identity, which nobody else may run", () => {
    const synthesized = synthEnvironment(environment);
    const migrate = migrateJobOf(environment);
    expect(migrate).toMatchObject({ name: `bank-${environment}-quarterly-etl-migrate`, max_concurrent_runs: 1, run_as: { service_principal_name: config.jobServicePrincipal.name } });
    expect(migrate.schedule).toBeUndefined();
    expect((migrate.task as Body[]).map((task) => task.task_key)).toEqual(["migrate"]);
    expect(resourceAt(synthesized, "databricks_permissions", "/pipeline/job/deploy-job-permissions").access_control).toEqual([{ service_principal_name: config.deployer!.name, permission_level: "IS_OWNER" }]);
    // Its cluster is the quarterly cluster at its smallest: a migration needs no more.
    const cluster = ((migrate.job_cluster as Body[])[0].new_cluster as Body).autoscale;
    expect(cluster).toEqual({ min_workers: config.cluster.minWorkers, max_workers: config.cluster.minWorkers });
  });

  it("uploads deployment.json beside the code: where the credentials may go and which secrets each entry file may read", () => {
    const synthesized = synthEnvironment(environment);
    const file = resourceAt(synthesized, "databricks_workspace_file", "/pipeline/job/deployment-settings");
    expect(file.path).toBe(`/jobs/bank-${environment}-quarterly-etl/deployment.json`);
    const settings = String(file.content_base64);
    expect(settings).toMatch(/^\$\{base64encode\(jsonencode\(\{"schema_version" = 1, "postgres" = \{"host" = azurerm_postgresql_flexible_server\.[^.]+\.fqdn, "port" = 5432, "database" = "bank", "sslmode" = "verify-full"\}/);
    expect(settings).toContain(`"secret_scope" = "bank-${environment}-kv"`);
    expect(settings).toContain(`"run_etl.py" = ["psql-bank-${environment}-01-bank-etl-user", "psql-bank-${environment}-01-bank-etl-password"]`);
    expect(settings).toContain(`"run_check.py" = []`);
    expect(settings).toMatch(new RegExp(`"run_migrate.py" = \\["psql-bank-${environment}-01-admin-user", "psql-bank-${environment}-01-admin-password"`));
    // The quarterly job waits for it, so no run starts without it.
    expect(jobOf(environment).depends_on).toContain(`databricks_workspace_file.${logicalNameAt(synthesized, "databricks_workspace_file", "/pipeline/job/deployment-settings")}`);
  });

  it("leaves the quarter to the ETL, which loads the last quarter that ended", () => {
    for (const key of ["check", "migrate", "load"]) expect(parametersOf(environment, key)).not.toContain("--quarter");
    expect(parametersOf(environment)).not.toContain("--all");
  });

  it("retries after a pause, stops a run at its timeout and warns before then", () => {
    expect(taskOf(environment)).toMatchObject({
      max_retries: config.maxRetries,
      min_retry_interval_millis: config.minRetryIntervalMillis,
      timeout_seconds: config.timeoutSeconds,
    });
    expect(jobOf(environment).health).toEqual({ rules: [{ metric: "RUN_DURATION_SECONDS", op: "GREATER_THAN", value: config.runDurationWarningSeconds }] });
  });

  it("e-mails the configured addresses on failure and on long runs", () => {
    expect(jobOf(environment).email_notifications).toMatchObject({
      on_failure: config.notificationAddresses,
      on_duration_warning_threshold_exceeded: config.notificationAddresses,
    });
  });

  it("installs each pinned line of spark/requirements.txt as a PyPI library", () => {
    const libraries = (taskOf(environment).library as Array<{ pypi: { package: string } }>).map((library) => library.pypi.package);
    expect(libraries.length).toBeGreaterThan(0);
    for (const requirement of libraries) expect(requirement).toMatch(/^[A-Za-z0-9._[\]-]+==\S+$/);
  });

  it(environment === "prod" ? "lets data engineers only view the job and its runs" : "lets data engineers run the job but not change it", () => {
    expect(resourceAt(synthEnvironment(environment), "databricks_permissions", "/pipeline/job/job-permissions").access_control).toContainEqual(
      { group_name: config.dataEngineers.name, permission_level: environment === "prod" ? "CAN_VIEW" : "CAN_MANAGE_RUN" },
    );
  });

  it("names the deploying identity as the job's owner, so a refresh by the drift check's identity sees no drift", () => {
    expect(resourceAt(synthEnvironment(environment), "databricks_permissions", "/pipeline/job/job-permissions").access_control).toEqual([
      { service_principal_name: config.deployer!.name, permission_level: "IS_OWNER" },
      expect.objectContaining({ group_name: config.dataEngineers.name }),
    ]);
  });

  it("makes the drift check's identity a workspace admin, and nothing else in the workspace", () => {
    const synthesized = synthEnvironment(environment);
    const assignments = resourcesOf(synthesized, "databricks_permission_assignment").map(([, body]) => body);
    expect(assignments.filter((body) => (body.permissions as string[]).includes("ADMIN"))).toEqual([expect.objectContaining({ service_principal_name: config.driftChecker!.name, permissions: ["ADMIN"] })]);
  });
});

describe.each(ENVIRONMENTS)("the %s job code", (environment) => {
  it("uploads the entry script, the package's .py and .sql files and the requirements under the environment's folder", () => {
    const paths = resourcesOf(synthEnvironment(environment), "databricks_workspace_file").map(([, body]) => body.path as string);
    const folder = `/jobs/bank-${environment}-quarterly-etl`;
    expect(paths).toEqual(expect.arrayContaining([`${folder}/run_etl.py`, `${folder}/requirements.txt`, `${folder}/bank_etl/config.py`]));
    // Every task's entry script is uploaded: the job never runs a file the stack does not upload.
    for (const task of jobOf(environment).task as Array<{ spark_python_task: { python_file: string } }>) {
      expect(task.spark_python_task.python_file).toMatch(/^\$\{databricks_workspace_file\.[^.]+\.workspace_path\}$/);
    }
    expect(paths.some((path) => path.endsWith(".sql"))).toBe(true);
    for (const path of paths) {
      expect(path.startsWith(`${folder}/`)).toBe(true);
      expect(path.slice(folder.length)).not.toMatch(/\/tests?\/|__pycache__|\.pyc$|\/\.data\/|venv/);
    }
  });

  it("keeps the code outside /Shared, readable by the job's service principal and the data engineers only", () => {
    const synthesized = synthEnvironment(environment);
    expect(resourceAt(synthesized, "databricks_directory", "/pipeline/job/code-folder").path).toBe(`/jobs/bank-${environment}-quarterly-etl`);
    expect(resourceAt(synthesized, "databricks_permissions", "/pipeline/job/code-folder-permissions").access_control).toEqual([
      { service_principal_name: CONFIGS[environment].pipeline.jobServicePrincipal.name, permission_level: "CAN_READ" },
      { group_name: CONFIGS[environment].pipeline.dataEngineers.name, permission_level: "CAN_READ" },
    ]);
  });
});

describe("the application's read-only login", () => {
  it.each(["dev", "test", "prod"] as const)("is issued in %s as bank_app, its password written only to the vault, and created by migrate as a member of bank_reader", (environment) => {
    const synthesized = synthEnvironment(environment);
    const migrate = parametersOf(environment, "migrate");
    const after = (name: string) => migrate[migrate.indexOf(name) + 1];
    expect({ login: after("--reader-login"), role: after("--reader-role") }).toEqual({ login: "bank_app", role: "bank_reader" });
    const secrets = resourcesOf(synthesized, "azurerm_key_vault_secret").map(([, body]) => body);
    const password = secrets.find((secret) => secret.name === after("--reader-password-key"));
    expect(password).toMatchObject({ content_type: "text/plain; postgres-password", value_wo_version: 1 });
    expect(password?.value).toBeUndefined();
    expect(String(password?.value_wo)).toMatch(/^\$\{ephemeral\.random_password\./);
  });
});
