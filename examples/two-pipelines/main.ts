/**
 * two-pipelines: two quarterly pipelines (payments and risk) in one stack, sharing one Key Vault,
 * one ADLS Gen2 lake and one VNet, each with its own Databricks workspace, its own workspace-level
 * Databricks provider (aliases `payments` and `risk`), its own PostgreSQL sink and its own job. The
 * account-level provider (alias `account`) serves both pipelines' network connectivity configurations.
 *
 * Azure gives every VNet-injected workspace its own pair of host and container subnets: the network
 * is imported once with the payments workspace's pair, and the risk workspace is given its own
 * pair of existing subnets with `workspaceSubnets`. Both pipelines share the lake, each under its
 * own `lakePathPrefix` (`payments/`, `risk/`), so their Unity Catalog external locations and the
 * Delta paths their jobs write do not overlap.
 *
 * Compile it and run `node main.js` (or `cdktf synth`), see ../README.md; replace the ids
 * below with your own first.
 */
import { App, TerraformOutput, TerraformStack } from "cdktf";
import { DataAzurermClientConfig } from "@cdktf/provider-azurerm/lib/data-azurerm-client-config";
import { AzurermProvider } from "@cdktf/provider-azurerm/lib/provider";
import { DatabricksProvider } from "@cdktf/provider-databricks/lib/provider";
import {
  AZURE_ACCOUNTS_HOST,
  AzurePrincipal,
  DatabricksPrincipal,
  LakeStorage,
  NetworkSubnet,
  RelationalSink,
  SecretStore,
  SecureNetwork,
  SparkBatchPipeline,
} from "azure-quarterly-batch";

const subscriptionId = "92e70b67-9c63-42ee-a6af-3bda373f1bbc";
const location = "northeurope";
const resourceGroupName = "rg-finance-data-neu-01";
const vnetId = `/subscriptions/${subscriptionId}/resourceGroups/rg-network-finance-neu-01/providers/Microsoft.Network/virtualNetworks/vnet-finance-data-neu-01`;
const dnsZones = "/subscriptions/72c96710-1b31-426c-97d1-6a79982b12a0/resourceGroups/rg-privatedns-global/providers/Microsoft.Network/privateDnsZones";

const databricksAccountId = "b6cd0606-cd72-4be1-bc78-9bd11128ff7c";
const northEuropeMetastoreId = "023daa6b-9940-430d-9c0e-146a12781847";
// `az ad sp show --id 2ff814a6-3304-4ab8-85cb-cd0e6f879c1d --query id -o tsv` in your tenant.
const azureDatabricksObjectId = "bae6bc0a-0177-41b8-ac8f-4b6b8d343deb";

const app = new App();
const stack = new TerraformStack(app, "finance-pipelines-neu");
new AzurermProvider(stack, "azurerm", {
  subscriptionId,
  // The lake disables shared keys: data-plane calls use Entra ID.
  storageUseAzuread: true,
  // The lake is private: azurerm must manage storage accounts through ARM only.
  features: [{ storage: [{ dataPlaneAvailable: false }] }],
});
// One workspace-level provider per workspace, each with its own alias; each pipeline's workspace
// sets its provider's host and resource id.
const paymentsDatabricks = new DatabricksProvider(stack, "databricks-payments", { alias: "payments" });
const riskDatabricks = new DatabricksProvider(stack, "databricks-risk", { alias: "risk" });
// The account-level provider, for both network connectivity configurations.
const databricksAccount = new DatabricksProvider(stack, "databricks-account", {
  alias: "account",
  host: AZURE_ACCOUNTS_HOST,
  accountId: databricksAccountId,
});
const client = new DataAzurermClientConfig(stack, "client");

const placement = { resourceGroupName, location, tags: { workload: "finance-data", owner: "data-platform", "managed-by": "cdktf" } };

/**
 * An existing subnet of the VNet, delegated to Microsoft.Databricks/workspaces with an NSG; azurerm
 * gives a subnet's NSG association the id of the subnet.
 */
function existingSubnet(name: string): NetworkSubnet {
  const id = `${vnetId}/subnets/${name}`;
  return { id, name, networkSecurityGroupAssociationId: id };
}

/** The shared VNet; its Databricks subnet pair is the payments workspace's. */
const network = SecureNetwork.fromExisting(stack, "network", {
  virtualNetworkId: vnetId,
  databricksHostSubnetId: `${vnetId}/subnets/snet-payments-dbw-host`,
  databricksContainerSubnetId: `${vnetId}/subnets/snet-payments-dbw-container`,
  postgresSubnetId: `${vnetId}/subnets/snet-psql`,
  privateEndpointSubnetId: `${vnetId}/subnets/snet-pe`,
  privateDnsZoneIds: {
    blob: `${dnsZones}/privatelink.blob.core.windows.net`,
    dfs: `${dnsZones}/privatelink.dfs.core.windows.net`,
    vault: `${dnsZones}/privatelink.vaultcore.azure.net`,
    postgres: `${dnsZones}/privatelink.postgres.database.azure.com`,
    databricks: `${dnsZones}/privatelink.azuredatabricks.net`,
  },
});

// Shared by both pipelines: one vault (each sink keeps its credentials under its own secret names)
// and one lake (in the shared private endpoint subnet).
const vault = new SecretStore(stack, "vault", {
  ...placement,
  vaultName: "kv-findata-neu-01",
  tenantId: client.tenantId,
  network,
  secretsOfficers: [AzurePrincipal.servicePrincipal(client.objectId)],
});
const lake = new LakeStorage(stack, "lake", {
  ...placement,
  accountName: "stfindataneu01",
  network,
});

// Application id of the deploying service connection: it creates the catalogs, so it needs CREATE
// STORAGE CREDENTIAL, CREATE EXTERNAL LOCATION and CREATE CATALOG on the metastore.
const deployerApplicationId = "5b8e4d3c-0a6f-4b7c-9d2e-3f4a5b6c7d8e";

interface PipelineSettings {
  readonly workload: string;
  /** The workspace's own host and container subnets; unset: the network's pair. */
  readonly workspaceSubnets?: { host: NetworkSubnet; container: NetworkSubnet };
  readonly provider: DatabricksProvider;
  readonly jobServicePrincipalApplicationId: string;
  readonly cluster: { nodeTypeIds: string[]; minWorkers: number; maxWorkers: number };
}

function pipeline(settings: PipelineSettings): SparkBatchPipeline {
  const { workload } = settings;
  const sink = new RelationalSink(stack, `${workload}-sink`, {
    ...placement,
    serverName: `psql-${workload}-neu-01`,
    tenantId: client.tenantId,
    network,
    secretStore: vault,
    credentialExpirationDate: "2028-06-30T00:00:00Z",
  });
  return new SparkBatchPipeline(stack, `${workload}-pipeline`, {
    ...placement,
    nameSuffix: `${workload}-neu`,
    environmentName: "prod",
    costCentre: `cc-${workload}`,
    tenantId: client.tenantId,
    provider: settings.provider,
    accountProvider: databricksAccount,
    network,
    workspaceSubnets: settings.workspaceSubnets,
    secretStore: vault,
    lake,
    // Each pipeline's external locations, catalog root, landing folder and Delta paths sit under
    // its own folder of the shared lake's containers.
    lakePathPrefix: workload,
    sink,
    metastoreId: northEuropeMetastoreId,
    azureDatabricksObjectId,
    jobServicePrincipal: DatabricksPrincipal.servicePrincipal(settings.jobServicePrincipalApplicationId),
    // The identity that deploys (the service connection), for both pipelines.
    deployer: DatabricksPrincipal.servicePrincipal(deployerApplicationId),
    dataEngineers: DatabricksPrincipal.group(`${workload}-data-engineers`),
    mlConsumers: DatabricksPrincipal.group("finance-ml-consumers"),
    // Under the prefix: abfss://landing@stfindataneu01.dfs.core.windows.net/<workload>/transactions/.
    landingPrefix: "transactions/",
    cluster: settings.cluster,
    schedule: { timezoneId: "Europe/Dublin" },
    notificationAddresses: [`${workload}-data@contoso.com`],
  });
}

const payments = pipeline({
  workload: "payments",
  provider: paymentsDatabricks,
  jobServicePrincipalApplicationId: "abcc28c7-7c4a-4a5d-b7b8-c9ff7c4f3566",
  cluster: { nodeTypeIds: ["Standard_D8ds_v5"], minWorkers: 2, maxWorkers: 8 },
});
const risk = pipeline({
  workload: "risk",
  workspaceSubnets: { host: existingSubnet("snet-risk-dbw-host"), container: existingSubnet("snet-risk-dbw-container") },
  provider: riskDatabricks,
  jobServicePrincipalApplicationId: "7ed109e6-57e3-45c9-94fc-0af11ede6483",
  cluster: { nodeTypeIds: ["Standard_D4ds_v5"], minWorkers: 1, maxWorkers: 4 },
});

for (const [name, instance] of [["payments", payments], ["risk", risk]] as const) {
  new TerraformOutput(stack, `${name}_workspace_url`, { value: instance.workspaceUrl });
  new TerraformOutput(stack, `${name}_job_id`, { value: instance.jobId });
  new TerraformOutput(stack, `${name}_migrate_job_id`, { value: instance.migrateJobId });
}

app.synth();
