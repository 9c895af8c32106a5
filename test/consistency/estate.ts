/**
 * The package as it is shipped (lib/index.js, what the tarball holds), and a small estate built
 * from it the way another organisation's stack would: one network, vault, lake and sink, the
 * Databricks providers, and a quarterly pipeline on top. The consistency suite breaks one thing
 * at a time in it.
 */
import { cpSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { App, TerraformStack, Testing } from "cdktf";
import { AzurermProvider } from "@cdktf/provider-azurerm/lib/provider";
import { DatabricksProvider } from "@cdktf/provider-databricks/lib/provider";
import { ensureBuilt, LIB_ENTRY, REPO_ROOT } from "../package/built-package";

/** The package's public surface, typed from its sources and loaded from lib/. */
export type Package = typeof import("../../src/index");
type SparkBatchPipelineProps = import("../../src/index").SparkBatchPipelineProps;
type SecureNetworkProps = import("../../src/index").SecureNetworkProps;

let loaded: Package | undefined;

/** lib/index.js, rebuilt first when src/ is newer. */
export function shippedPackage(): Package {
  if (!loaded) {
    ensureBuilt();
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    loaded = require(LIB_ENTRY) as Package;
  }
  return loaded;
}

export const SUBSCRIPTION = "0b1c2d3e-4f5a-4b6c-8d7e-9f0a1b2c3d4e";
export const TENANT = "3f2504e0-4f89-41d3-9a0c-0305e82c3301";
export const ACCOUNT = "6e1c7c52-9b1a-4e55-8f61-2b8d3c9a7e10";
export const METASTORE = "9b2e4f6a-1c3d-4e5f-8a7b-6c5d4e3f2a1b";
export const AZURE_DATABRICKS = "5d7e9f1a-2b3c-4d5e-9f8a-7b6c5d4e3f2a";
export const JOB_SP = "8a3f1c2e-5b7d-4e9a-9c1f-0d2e3f4a5b6c";
export const FUTURE = "2099-06-30T00:00:00Z";
export const PAST = "2020-01-01T00:00:00Z";
let code: string | undefined;

/**
 * A copy of the pipeline tests' job package whose requirements are all pinned, so a valid stack
 * synthesizes without the warning an unpinned line gets.
 */
export function codeDirectory(): string {
  if (!code) {
    code = mkdtempSync(join(tmpdir(), "consistency-job-"));
    cpSync(join(REPO_ROOT, "test", "pipeline", "fixtures", "job-package"), code, { recursive: true });
    writeFileSync(join(code, "requirements.txt"), "psycopg[binary]==3.3.9\npython-calamine==0.9.1\n");
  }
  return code;
}
export const PLACEMENT = { resourceGroupName: "rg-analytics", location: "westeurope", tags: { owner: "analytics" } };

const HUB = `/subscriptions/${SUBSCRIPTION}/resourceGroups/rg-hub/providers/Microsoft.Network`;
export const hubVnet = (name = "vnet-hub"): string => `${HUB}/virtualNetworks/${name}`;
export const hubSubnet = (name: string, vnet = "vnet-hub"): string => `${hubVnet(vnet)}/subnets/${name}`;
export const zoneId = (name: string): string => `/subscriptions/${SUBSCRIPTION}/resourceGroups/rg-dns/providers/Microsoft.Network/privateDnsZones/${name}`;
export const HUB_ZONES = {
  blob: zoneId("privatelink.blob.core.windows.net"),
  dfs: zoneId("privatelink.dfs.core.windows.net"),
  vault: zoneId("privatelink.vaultcore.azure.net"),
  postgres: zoneId("privatelink.postgres.database.azure.com"),
  databricks: zoneId("privatelink.azuredatabricks.net"),
};
export const HUB_NETWORK = {
  databricksHostSubnetId: hubSubnet("snet-dbw-host"),
  databricksContainerSubnetId: hubSubnet("snet-dbw-container"),
  postgresSubnetId: hubSubnet("snet-psql"),
  privateEndpointSubnetId: hubSubnet("snet-pe"),
  privateDnsZoneIds: HUB_ZONES,
};
export const WORKSPACE_ATTRIBUTES = {
  workspaceResourceId: `/subscriptions/${SUBSCRIPTION}/resourceGroups/rg-analytics/providers/Microsoft.Databricks/workspaces/dbw-analytics`,
  workspaceUrl: "https://adb-1234567890123456.7.azuredatabricks.net",
  workspaceId: "1234567890123456",
  location: "westeurope",
  accessConnectorId: `/subscriptions/${SUBSCRIPTION}/resourceGroups/rg-analytics/providers/Microsoft.Databricks/accessConnectors/dbac-analytics`,
  accessConnectorPrincipalId: "7c6b5a49-3827-4615-9a4b-3c2d1e0f9a8b",
};

/** An empty stack with the providers a user's app has. */
export function emptyStack(id: string): { app: App; stack: TerraformStack } {
  const app = Testing.app();
  const stack = new TerraformStack(app, id);
  new AzurermProvider(stack, "azurerm", { features: [{ storage: [{ dataPlaneAvailable: false }] }] });
  return { app, stack };
}

/** The estate's network props: a created VNet with a second Databricks subnet pair. */
export function networkProps(overrides: Partial<SecureNetworkProps> = {}): SecureNetworkProps {
  return {
    ...PLACEMENT,
    nameSuffix: "analytics-dev",
    addressSpace: "10.20.0.0/20",
    subnets: { databricksHost: "10.20.0.0/24", databricksContainer: "10.20.1.0/24", postgres: "10.20.2.0/28", privateEndpoints: "10.20.2.64/26" },
    additionalWorkspaceSubnets: { second: { host: "10.20.4.0/24", container: "10.20.5.0/24" } },
    ...overrides,
  };
}

export interface Estate {
  readonly stack: TerraformStack;
  readonly network: InstanceType<Package["SecureNetwork"]>;
  readonly vault: InstanceType<Package["SecretStore"]>;
  readonly lake: InstanceType<Package["LakeStorage"]>;
  readonly sink: InstanceType<Package["RelationalSink"]>;
  readonly databricks: DatabricksProvider;
  readonly account: DatabricksProvider;
}

/** The shared estate of one stack: network, vault, lake, sink and the two Databricks providers. */
export function estate(id: string, network: Partial<SecureNetworkProps> = {}): Estate {
  const lib = shippedPackage();
  const { stack } = emptyStack(id);
  const created = new lib.SecureNetwork(stack, "network", networkProps(network));
  const vault = new lib.SecretStore(stack, "vault", { ...PLACEMENT, vaultName: "kv-analytics-dev", tenantId: TENANT, network: created, skuName: "premium", deletionProtection: false });
  const lake = new lib.LakeStorage(stack, "lake", { ...PLACEMENT, accountName: "stanalyticsdev01", network: created, deletionProtection: false });
  const sink = new lib.RelationalSink(stack, "sink", {
    ...PLACEMENT,
    serverName: "psql-analytics-dev",
    tenantId: TENANT,
    network: created,
    secretStore: vault,
    credentialExpirationDate: FUTURE,
    skuName: "B_Standard_B1ms",
    highAvailability: "Disabled",
    deletionProtection: false,
  });
  const databricks = new DatabricksProvider(stack, "databricks", { alias: "analytics" });
  const account = new DatabricksProvider(stack, "databricks-account", { alias: "account", host: shippedPackage().AZURE_ACCOUNTS_HOST, accountId: ACCOUNT });
  return { stack, network: created, vault, lake, sink, databricks, account };
}

/** The pipeline's props on an estate, with overrides. */
export function pipelineProps(on: Estate, overrides: Partial<SparkBatchPipelineProps> = {}): SparkBatchPipelineProps {
  const { DatabricksPrincipal } = shippedPackage();
  return {
    ...PLACEMENT,
    nameSuffix: "analytics-dev",
    environmentName: "dev",
    costCentre: "cc-42",
    tenantId: TENANT,
    provider: on.databricks,
    accountProvider: on.account,
    network: on.network,
    secretStore: on.vault,
    lake: on.lake,
    sink: on.sink,
    metastoreId: METASTORE,
    azureDatabricksObjectId: AZURE_DATABRICKS,
    jobServicePrincipal: DatabricksPrincipal.servicePrincipal(JOB_SP),
    dataEngineers: DatabricksPrincipal.group("analytics-engineers"),
    mlConsumers: DatabricksPrincipal.group("analytics-ml"),
    notificationAddresses: ["oncall@analytics.contoso.com"],
    cluster: { nodeTypeIds: ["Standard_D4ds_v5"], minWorkers: 1, maxWorkers: 2 },
    codeDirectory: codeDirectory(),
    ...overrides,
  };
}

/** An estate with one pipeline; `overrides` change the pipeline's props. */
export function estateWithPipeline(id: string, overrides: (on: Estate) => Partial<SparkBatchPipelineProps> = () => ({}), network: Partial<SecureNetworkProps> = {}) {
  const on = estate(id, network);
  const pipeline = new (shippedPackage().SparkBatchPipeline)(on.stack, "pipeline", pipelineProps(on, overrides(on)));
  return { ...on, pipeline };
}

/** The warnings recorded on any construct of a stack (cdktf annotations). */
export function warningsOf(stack: TerraformStack): string[] {
  return stack.node.findAll().flatMap((construct) => construct.node.metadata.filter((entry) => entry.type === "@cdktf/warn").map((entry) => String(entry.data)));
}

/** A one-task job's props on a workspace, run as the job's service principal. */
export function jobProps(provider: DatabricksProvider, workspace: import("../../src/index").IDatabricksWorkspace, overrides: Partial<import("../../src/index").BatchJobProps> = {}) {
  return {
    provider,
    workspace,
    jobName: "analytics-nightly",
    codeDirectory: codeDirectory(),
    tasks: [{ key: "load", entryFile: "run_etl.py" }],
    schedule: { quartzCronExpression: "0 0 1 * * ?" },
    cluster: { nodeTypeIds: ["Standard_D4ds_v5"], minWorkers: 1, maxWorkers: 2 },
    runAs: shippedPackage().DatabricksPrincipal.servicePrincipal(JOB_SP),
    notificationAddresses: ["oncall@analytics.contoso.com"],
    ...overrides,
  };
}

/** A plain network in its own stack, for the network-only cases. */
export function networkStack(stackId: string, overrides: Partial<SecureNetworkProps>): TerraformStack {
  const { stack } = emptyStack(stackId);
  new (shippedPackage().SecureNetwork)(stack, "network", networkProps({ additionalWorkspaceSubnets: undefined, ...overrides }));
  return stack;
}

const PROBLEMS = new Map<string, import("../../src/index").PropProblem[]>();

/** The problems a case's stack reports, built once per case name. */
export function problemsOnce(name: string, build: () => TerraformStack): import("../../src/index").PropProblem[] {
  let problems = PROBLEMS.get(name);
  if (!problems) {
    problems = shippedPackage().validationProblems(build());
    PROBLEMS.set(name, problems);
  }
  return problems;
}

/** The line synthesis prints for a problem: `[path] Construct: prop value is not allowed: ...`. */
export function problemLine(problem: import("../../src/index").PropProblem): string {
  return new (shippedPackage().PropValidationError)([problem]).message.split("\n")[1].replace(/^ {2}- /, "");
}
