import { cpSync, mkdtempSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { Testing, TerraformStack } from "cdktf";
import { AzurermProvider } from "@cdktf/provider-azurerm/lib/provider";
import { DatabricksProvider } from "@cdktf/provider-databricks/lib/provider";
import { RandomProvider } from "@cdktf/provider-random/lib/provider";
import { LakeStorage } from "../../src/constructs/lake-storage";
import { RelationalSink } from "../../src/constructs/relational-sink";
import { SecretStore } from "../../src/constructs/secret-store";
import { SecureNetwork } from "../../src/constructs/secure-network";
import { SparkBatchPipeline, SparkBatchPipelineProps } from "../../src/constructs/spark-batch-pipeline";
import { synthStack, SynthesizedStack } from "../helpers/synth";

/** The fixture job package: an entry script, a package with .py and .sql files, requirements. */
export const FIXTURE_PACKAGE = join(__dirname, "fixtures", "job-package");

/** Copies the fixture job package into a fresh temporary directory and returns its path. */
export function copyFixturePackage(): string {
  const directory = mkdtempSync(join(tmpdir(), "job-package-"));
  cpSync(FIXTURE_PACKAGE, directory, { recursive: true });
  return directory;
}

/** Props of the pipeline that the caller may override; the other constructs come from the stack. */
export type PipelineOverrides = Partial<Omit<SparkBatchPipelineProps, "network" | "secretStore" | "lake" | "sink">>;

export const BASE_PROPS = {
  nameSuffix: "analytics-dev",
  environmentName: "dev",
  costCentre: "cc-42",
  tenantId: "00000000-0000-4000-8000-0000000000aa",
  metastoreId: "00000000-0000-4000-8000-0000000000bb",
  azureDatabricksObjectId: "00000000-0000-4000-8000-0000000000cc",
  jobServicePrincipalApplicationId: "00000000-0000-4000-8000-0000000000dd",
  dataEngineersGroup: "analytics-engineers",
  mlConsumersGroup: "analytics-ml",
  notificationAddresses: ["oncall@example.org"],
  cluster: { nodeTypeIds: ["Standard_D4ds_v5"], minWorkers: 1, maxWorkers: 3 },
} satisfies PipelineOverrides;

/**
 * Another organisation's stack: its own network, vault, lake and sink, and the pipeline on top,
 * built only from the construct library. Returns the stack and the pipeline without synthesizing.
 */
export function buildPipelineStack(overrides: PipelineOverrides = {}): { stack: TerraformStack; pipeline: SparkBatchPipeline } {
  const stack = new TerraformStack(Testing.app(), "their-stack");
  new AzurermProvider(stack, "azurerm", { features: [{}] });
  new RandomProvider(stack, "random");
  const placement = { resourceGroupName: "rg-analytics", location: "northeurope", tags: { owner: "analytics" } };
  const network = new SecureNetwork(stack, "network", {
    ...placement,
    nameSuffix: "analytics-dev",
    addressSpace: "172.16.0.0/20",
    subnets: { databricksHost: "172.16.0.0/26", databricksContainer: "172.16.0.64/26", postgres: "172.16.1.0/28", privateEndpoints: "172.16.1.16/28" },
  });
  const secretStore = new SecretStore(stack, "secrets", {
    ...placement,
    vaultName: "kv-analytics-dev",
    tenantId: BASE_PROPS.tenantId,
    privateEndpointSubnetId: network.privateEndpoints.subnet.id,
    privateDnsZoneId: network.dnsZones.vault.id,
    deletionProtection: false,
  });
  const lake = new LakeStorage(stack, "lake", {
    ...placement,
    accountName: "stanalyticsdev",
    privateEndpointSubnetId: network.privateEndpoints.subnet.id,
    blobDnsZoneId: network.dnsZones.blob.id,
    dfsDnsZoneId: network.dnsZones.dfs.id,
    deletionProtection: false,
  });
  const sink = new RelationalSink(stack, "sink", {
    ...placement,
    serverName: "psql-analytics-dev",
    delegatedSubnetId: network.postgres.subnet.id,
    privateDnsZoneId: network.dnsZones.postgres.id,
    tenantId: BASE_PROPS.tenantId,
    secretStore,
    credentialExpirationDate: "2030-01-01T00:00:00Z",
    deletionProtection: false,
  });
  const pipeline = new SparkBatchPipeline(stack, "pipeline", {
    ...placement,
    ...BASE_PROPS,
    codeDirectory: FIXTURE_PACKAGE,
    ...overrides,
    network,
    secretStore,
    lake,
    sink,
  });
  new DatabricksProvider(stack, "databricks", { host: pipeline.workspaceUrl, azureWorkspaceResourceId: pipeline.workspaceResourceId });
  return { stack, pipeline };
}

/** Builds and synthesizes another organisation's pipeline stack. */
export function synthPipeline(overrides: PipelineOverrides = {}): SynthesizedStack {
  return synthStack(buildPipelineStack(overrides).stack);
}

/** The message of the error thrown while building a pipeline with the given overrides. */
export function pipelineError(overrides: PipelineOverrides): string {
  try {
    buildPipelineStack(overrides);
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error("expected the pipeline to refuse its props");
}
