import { cpSync, mkdtempSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { Construct } from "constructs";
import { Testing, TerraformStack } from "cdktf";
import { AzurermProvider } from "@cdktf/provider-azurerm/lib/provider";
import { DatabricksProvider } from "@cdktf/provider-databricks/lib/provider";
import { RandomProvider } from "@cdktf/provider-random/lib/provider";
import { AZURE_ACCOUNTS_HOST } from "../../src/constructs/databricks/databricks-checks";
import { LakeStorage } from "../../src/constructs/storage/lake-storage";
import { DatabricksPrincipal } from "../../src/constructs/core/principal";
import { DatabaseCredential, IRelationalSink } from "../../src/constructs/postgres/relational-sink";
import { SecretStore } from "../../src/constructs/key-vault/secret-store";
import { SecureNetwork } from "../../src/constructs/network/secure-network";
import { SparkBatchPipeline, SparkBatchPipelineProps } from "../../src/constructs/pipeline/spark-batch-pipeline";
import { PropProblem, validationProblems } from "../../src/constructs/core/validation";
import { synthStack, SynthesizedStack } from "../helpers/synth";

/** The fixture job package: three entry scripts, a package with .py and .sql files, requirements. */
export const FIXTURE_PACKAGE = join(__dirname, "fixtures", "job-package");

/** Copies the fixture job package into a fresh temporary directory and returns its path. */
export function copyFixturePackage(): string {
  const directory = mkdtempSync(join(tmpdir(), "job-package-"));
  cpSync(FIXTURE_PACKAGE, directory, { recursive: true });
  return directory;
}

/** Props of the pipeline that the caller may override; the other constructs come from the stack. */
export type PipelineOverrides = Partial<Omit<SparkBatchPipelineProps, "network" | "secretStore" | "lake" | "sink" | "provider" | "accountProvider">>;

export const TENANT_ID = "3f2504e0-4f89-41d3-9a0c-0305e82c3301";
export const ACCOUNT_ID = "6e1c7c52-9b1a-4e55-8f61-2b8d3c9a7e10";
export const JOB_SP = "8a3f1c2e-5b7d-4e9a-9c1f-0d2e3f4a5b6c";

export const BASE_PROPS = {
  nameSuffix: "analytics-dev",
  environmentName: "dev",
  costCentre: "cc-42",
  tenantId: TENANT_ID,
  metastoreId: "9b2e4f6a-1c3d-4e5f-8a7b-6c5d4e3f2a1b",
  azureDatabricksObjectId: "5d7e9f1a-2b3c-4d5e-9f8a-7b6c5d4e3f2a",
  jobServicePrincipal: DatabricksPrincipal.servicePrincipal(JOB_SP),
  dataEngineers: DatabricksPrincipal.group("analytics-engineers"),
  mlConsumers: DatabricksPrincipal.group("analytics-ml"),
  notificationAddresses: ["oncall@analytics.contoso.com"],
  cluster: { nodeTypeIds: ["Standard_D4ds_v5"], minWorkers: 1, maxWorkers: 3 },
} satisfies PipelineOverrides;

/**
 * A PostgreSQL sink known by its attributes only (the pipeline takes the interface): another
 * organisation's server, with an administrator and a loader login whose secrets are in the vault.
 */
export class ExistingSink extends Construct implements IRelationalSink {
  readonly serverId: string;
  readonly fqdn: string;
  readonly databaseName = "analytics";
  readonly connectionUri: string;
  readonly adminCredential: DatabaseCredential;
  readonly loaderCredential: DatabaseCredential;
  constructor(scope: Construct, id: string, serverName: string) {
    super(scope, id);
    this.serverId = `/subscriptions/0b1c2d3e-4f5a-4b6c-8d7e-9f0a1b2c3d4e/resourceGroups/rg-analytics/providers/Microsoft.DBforPostgreSQL/flexibleServers/${serverName}`;
    this.fqdn = `${serverName}.postgres.database.azure.com`;
    this.connectionUri = `postgresql://${this.fqdn}:5432/${this.databaseName}?sslmode=verify-full`;
    this.adminCredential = { login: "pgadmin", userSecretName: `${serverName}-admin-user`, passwordSecretName: `${serverName}-admin-password` };
    this.loaderCredential = { login: "bank_etl", userSecretName: `${serverName}-etl-user`, passwordSecretName: `${serverName}-etl-password` };
  }
}

/** The shared estate of another organisation's stack: one network, vault and lake. */
export function sharedEstate(stack: TerraformStack) {
  new AzurermProvider(stack, "azurerm", { features: [{ storage: [{ dataPlaneAvailable: false }] }] });
  new RandomProvider(stack, "random");
  const placement = { resourceGroupName: "rg-analytics", location: "northeurope", tags: { owner: "analytics" } };
  const network = new SecureNetwork(stack, "network", {
    ...placement,
    nameSuffix: "analytics-dev",
    addressSpace: "172.16.0.0/20",
    subnets: { databricksHost: "172.16.0.0/26", databricksContainer: "172.16.0.64/26", postgres: "172.16.1.0/28", privateEndpoints: "172.16.1.16/28" },
    // A second workspace gets its own pair from the same network.
    additionalWorkspaceSubnets: { fraud: { host: "172.16.2.0/26", container: "172.16.2.64/26" } },
  });
  const secretStore = new SecretStore(stack, "secrets", {
    ...placement,
    vaultName: "kv-analytics-dev",
    tenantId: TENANT_ID,
    skuName: "premium",
    privateEndpointSubnetId: network.privateEndpointSubnet.id,
    privateDnsZoneId: network.privateDnsZoneIds.vault,
    deletionProtection: false,
  });
  const lake = new LakeStorage(stack, "lake", {
    ...placement,
    accountName: "stanalyticsdev",
    privateEndpointSubnetId: network.privateEndpointSubnet.id,
    blobDnsZoneId: network.privateDnsZoneIds.blob,
    dfsDnsZoneId: network.privateDnsZoneIds.dfs,
    deletionProtection: false,
  });
  const accountProvider = new DatabricksProvider(stack, "databricks-account", { alias: "account", host: AZURE_ACCOUNTS_HOST, accountId: ACCOUNT_ID });
  return { placement, network, secretStore, lake, accountProvider };
}

/**
 * Another organisation's stack: its own network, vault, lake and sink, and the pipeline on top,
 * built only from the construct library. Returns the stack and the pipeline without synthesizing.
 */
export function buildPipelineStack(overrides: PipelineOverrides = {}): { stack: TerraformStack; pipeline: SparkBatchPipeline } {
  const stack = new TerraformStack(Testing.app(), "their-stack");
  const { placement, network, secretStore, lake, accountProvider } = sharedEstate(stack);
  const sink = new ExistingSink(stack, "sink", "psql-analytics-dev");
  const provider = new DatabricksProvider(stack, "databricks", { alias: "analytics" });
  const pipeline = new SparkBatchPipeline(stack, "pipeline", {
    ...placement,
    ...BASE_PROPS,
    codeDirectory: FIXTURE_PACKAGE,
    loaderCredential: sink.loaderCredential,
    ...overrides,
    provider,
    accountProvider,
    network,
    secretStore,
    lake,
    sink,
  });
  return { stack, pipeline };
}

/** Builds and synthesizes another organisation's pipeline stack. */
export function synthPipeline(overrides: PipelineOverrides = {}): SynthesizedStack {
  return synthStack(buildPipelineStack(overrides).stack);
}

/** The structured problems reported while building a pipeline with the given overrides. */
export function pipelineProblems(overrides: PipelineOverrides): PropProblem[] {
  return validationProblems(buildPipelineStack(overrides).stack);
}

/** The problems as {construct, prop} pairs, for `toContainEqual`. */
export function problemKeys(problems: readonly PropProblem[]): Array<{ construct: string; prop: string }> {
  return problems.map(({ construct, prop }) => ({ construct, prop }));
}

type Body = Record<string, unknown>;

/** The `depends_on` of a synthesized resource. */
export function dependsOn(body: Body): string[] {
  return (body.depends_on as string[] | undefined) ?? [];
}

/** The Terraform address (`type.name`) of every resource of a type whose construct path contains `fragment`. */
export function addressesAt(synthesized: SynthesizedStack, type: string, fragment: string): string[] {
  return Object.entries(synthesized.resource[type] ?? {})
    .filter(([, body]) => ((body["//"] as { metadata?: { path?: string } } | undefined)?.metadata?.path ?? "").includes(fragment))
    .map(([name]) => `${type}.${name}`);
}

/** Every synthesized resource as [address, body]. */
export function allResources(synthesized: SynthesizedStack): Array<[string, Body]> {
  return Object.entries(synthesized.resource).flatMap(([type, byName]) => Object.entries(byName).map(([name, body]) => [`${type}.${name}`, body] as [string, Body]));
}

/** The construct path of a synthesized resource. */
export function pathOf(body: Body): string {
  return (body["//"] as { metadata?: { path?: string } } | undefined)?.metadata?.path ?? "";
}
