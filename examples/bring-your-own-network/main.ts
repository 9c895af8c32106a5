/**
 * bring-your-own-network: the whole quarterly pipeline (Key Vault, ADLS Gen2 lake, PostgreSQL sink
 * and the Databricks workspace, catalog and job) on a hub VNet, subnets and private DNS zones that
 * the platform team already manages. They are given by id through SecureNetwork.fromExisting; this
 * stack creates no VNet, subnet, NSG, NAT gateway or private DNS zone.
 *
 * Compile it and run `node main.js` (or `cdktf synth`), see ../README.md; replace the ids
 * below with your own first.
 */
import { App, TerraformOutput, TerraformStack } from "cdktf";
import { DataAzurermClientConfig } from "@cdktf/provider-azurerm/lib/data-azurerm-client-config";
import { AzurermProvider } from "@cdktf/provider-azurerm/lib/provider";
import { DatabricksProvider } from "@cdktf/provider-databricks/lib/provider";
import { AZURE_ACCOUNTS_HOST, AzurePrincipal, DatabricksPrincipal, LakeStorage, RelationalSink, SecretStore, SecureNetwork, SparkBatchPipeline } from "azure-quarterly-batch";

// The workload's subscription; the hub VNet is in it too (Databricks VNet injection needs the
// workspace and its VNet in one subscription and region).
const subscriptionId = "92e70b67-9c63-42ee-a6af-3bda373f1bbc";
const location = "westeurope";
const resourceGroupName = "rg-bank-weu-01";
// The hub VNet and the subnets the platform team prepared for this workload: the Databricks host and
// container subnets delegated to Microsoft.Databricks/workspaces (each with an NSG), the PostgreSQL
// subnet delegated to Microsoft.DBforPostgreSQL/flexibleServers, and the private endpoint subnet.
const hubVnetId = `/subscriptions/${subscriptionId}/resourceGroups/rg-network-hub-weu-01/providers/Microsoft.Network/virtualNetworks/vnet-hub-weu-01`;
// The connectivity subscription's central private DNS zones, linked to the hub VNet by their owner.
const dnsZones = "/subscriptions/72c96710-1b31-426c-97d1-6a79982b12a0/resourceGroups/rg-privatedns-global/providers/Microsoft.Network/privateDnsZones";

// Databricks account-level settings, from the account console.
const databricksAccountId = "b6cd0606-cd72-4be1-bc78-9bd11128ff7c";
const westEuropeMetastoreId = "c12269a0-8b7f-4422-9ba2-39625c2be324";
// `az ad sp show --id 2ff814a6-3304-4ab8-85cb-cd0e6f879c1d --query id -o tsv` in your tenant.
const azureDatabricksObjectId = "bae6bc0a-0177-41b8-ac8f-4b6b8d343deb";
// Application (client) id of the service principal the job runs as, registered in the Databricks account.
const jobServicePrincipalApplicationId = "abcc28c7-7c4a-4a5d-b7b8-c9ff7c4f3566";
// Application id of the identity that deploys (your pipeline's service connection): it creates the
// catalog, so it needs CREATE STORAGE CREDENTIAL, CREATE EXTERNAL LOCATION and CREATE CATALOG on the metastore.
const deployerApplicationId = "5b8e4d3c-0a6f-4b7c-9d2e-3f4a5b6c7d8e";

const app = new App();
const stack = new TerraformStack(app, "bank-pipeline-weu");
new AzurermProvider(stack, "azurerm", {
  subscriptionId,
  // The lake disables shared keys: data-plane calls use Entra ID.
  storageUseAzuread: true,
  // The lake is private: azurerm must manage storage accounts through ARM only.
  features: [{ keyVault: [{ purgeSoftDeleteOnDestroy: false, recoverSoftDeletedKeyVaults: true }], storage: [{ dataPlaneAvailable: false }] }],
});
// The workspace-level provider: the pipeline's workspace sets its host and resource id.
const databricks = new DatabricksProvider(stack, "databricks", {});
// The account-level provider, for the network connectivity configuration (NCC).
const databricksAccount = new DatabricksProvider(stack, "databricks-account", {
  alias: "account",
  host: AZURE_ACCOUNTS_HOST,
  accountId: databricksAccountId,
});
// The identity that runs `cdktf deploy`: it trusts the vault's tenant and writes the generated credentials.
const client = new DataAzurermClientConfig(stack, "client");

const placement = { resourceGroupName, location, tags: { workload: "bank", environment: "prod", owner: "data-platform", "managed-by": "cdktf" } };

const network = SecureNetwork.fromExisting(stack, "hub-network", {
  virtualNetworkId: hubVnetId,
  databricksHostSubnetId: `${hubVnetId}/subnets/snet-bank-dbw-host`,
  databricksContainerSubnetId: `${hubVnetId}/subnets/snet-bank-dbw-container`,
  postgresSubnetId: `${hubVnetId}/subnets/snet-bank-psql`,
  privateEndpointSubnetId: `${hubVnetId}/subnets/snet-bank-pe`,
  privateDnsZoneIds: {
    blob: `${dnsZones}/privatelink.blob.core.windows.net`,
    dfs: `${dnsZones}/privatelink.dfs.core.windows.net`,
    vault: `${dnsZones}/privatelink.vaultcore.azure.net`,
    postgres: `${dnsZones}/privatelink.postgres.database.azure.com`,
    databricks: `${dnsZones}/privatelink.azuredatabricks.net`,
  },
});

const vault = new SecretStore(stack, "vault", {
  ...placement,
  vaultName: "kv-bank-weu-01",
  tenantId: client.tenantId,
  network,
  secretsOfficers: [AzurePrincipal.servicePrincipal(client.objectId)],
});

const lake = new LakeStorage(stack, "lake", {
  ...placement,
  accountName: "stbankweu01",
  network,
});

const sink = new RelationalSink(stack, "sink", {
  ...placement,
  serverName: "psql-bank-weu-01",
  tenantId: client.tenantId,
  network,
  secretStore: vault,
  // Rotate the generated credentials (bump passwordVersion) before this date.
  credentialExpirationDate: "2028-06-30T00:00:00Z",
});

const pipeline = new SparkBatchPipeline(stack, "pipeline", {
  ...placement,
  nameSuffix: "bank-weu",
  environmentName: "prod",
  costCentre: "cc-4711",
  tenantId: client.tenantId,
  provider: databricks,
  accountProvider: databricksAccount,
  network,
  secretStore: vault,
  lake,
  sink,
  metastoreId: westEuropeMetastoreId,
  azureDatabricksObjectId,
  jobServicePrincipal: DatabricksPrincipal.servicePrincipal(jobServicePrincipalApplicationId),
  deployer: DatabricksPrincipal.servicePrincipal(deployerApplicationId),
  dataEngineers: DatabricksPrincipal.group("bank-data-engineers"),
  mlConsumers: DatabricksPrincipal.group("bank-ml-consumers"),
  cluster: { nodeTypeIds: ["Standard_D4ds_v5", "Standard_D8ds_v5"], minWorkers: 1, maxWorkers: 4 },
  schedule: { timezoneId: "Europe/Amsterdam" },
  notificationAddresses: ["bank-data-platform@contoso.com"],
});

new TerraformOutput(stack, "databricks_workspace_url", { value: pipeline.workspaceUrl });
new TerraformOutput(stack, "databricks_job_id", { value: pipeline.jobId });
new TerraformOutput(stack, "databricks_migrate_job_id", { value: pipeline.migrateJobId });
new TerraformOutput(stack, "postgres_fqdn", { value: sink.fqdn });

app.synth();
