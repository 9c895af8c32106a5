/**
 * hub-and-spoke: a new lake, PostgreSQL sink and quarterly pipeline in a spoke subscription, on a
 * spoke VNet peered with a hub that a platform team runs in a connectivity subscription. Everything
 * shared lives in the hub and is imported, never created: the hub VNet, the central private DNS
 * zones, the central Key Vault and the central Log Analytics workspace. What is made beside the
 * hub's resources (the spoke VNet's links to the hub's zones, the hub side of the peering) goes to
 * a provider of the hub's subscription; everything else to the spoke's.
 *
 * Compile it and run `node main.js` (or `cdktf synth`), see ../README.md; replace the ids below
 * with your own first.
 */
import { App, TerraformOutput, TerraformStack } from "cdktf";
import { DataAzurermClientConfig } from "@cdktf/provider-azurerm/lib/data-azurerm-client-config";
import { AzurermProvider } from "@cdktf/provider-azurerm/lib/provider";
import { DatabricksProvider } from "@cdktf/provider-databricks/lib/provider";
import {
  AZURE_ACCOUNTS_HOST,
  DatabricksPrincipal,
  LakeStorage,
  Observability,
  RelationalSink,
  SecretStore,
  SecureNetwork,
  SparkBatchPipeline,
} from "azure-quarterly-batch";

// The two subscriptions.
const spokeSubscriptionId = "5d0a4a8e-3a4f-4b8e-9c1e-2f6b7a8c9d0e";
const hubSubscriptionId = "72c96710-1b31-426c-97d1-6a79982b12a0";
const location = "westeurope";
const resourceGroupName = "rg-payments-weu-01";

// What the platform team runs in the connectivity subscription.
const hub = `/subscriptions/${hubSubscriptionId}/resourceGroups`;
const hubVnetId = `${hub}/rg-network-hub-weu/providers/Microsoft.Network/virtualNetworks/vnet-hub-weu-01`;
const dnsZones = `${hub}/rg-privatedns-global/providers/Microsoft.Network/privateDnsZones`;
const centralVaultId = `${hub}/rg-security-weu/providers/Microsoft.KeyVault/vaults/kv-central-weu-01`;
const centralLogsId = `${hub}/rg-management-weu/providers/Microsoft.OperationalInsights/workspaces/log-central-weu-01`;

// Databricks account-level settings, from the account console.
const databricksAccountId = "b6cd0606-cd72-4be1-bc78-9bd11128ff7c";
const westEuropeMetastoreId = "c12269a0-8b7f-4422-9ba2-39625c2be324";
// `az ad sp show --id 2ff814a6-3304-4ab8-85cb-cd0e6f879c1d --query id -o tsv` in your tenant.
const azureDatabricksObjectId = "bae6bc0a-0177-41b8-ac8f-4b6b8d343deb";
// Application ids: the job's service principal and the deploy pipeline's service connection.
const jobServicePrincipalApplicationId = "3e6f2a1b-8c4d-4e5f-9a0b-1c2d3e4f5a6b";
const deployerApplicationId = "4f7a3b2c-9d5e-4f6a-8b1c-2d3e4f5a6b7c";

const app = new App();
const stack = new TerraformStack(app, "payments-spoke-weu");
// The spoke: everything this stack creates, unless a construct is told otherwise.
new AzurermProvider(stack, "azurerm", {
  subscriptionId: spokeSubscriptionId,
  // The lake disables shared keys: data-plane calls use Entra ID.
  storageUseAzuread: true,
  // The lake is private: azurerm must manage storage accounts through ARM only.
  features: [{ keyVault: [{ purgeSoftDeleteOnDestroy: false, recoverSoftDeletedKeyVaults: true }], storage: [{ dataPlaneAvailable: false }] }],
});
// The hub: only for what is made beside the hub's own resources.
const connectivity = new AzurermProvider(stack, "connectivity", { alias: "connectivity", subscriptionId: hubSubscriptionId, features: [{}] });
const databricks = new DatabricksProvider(stack, "databricks", {});
const databricksAccount = new DatabricksProvider(stack, "databricks-account", { alias: "account", host: AZURE_ACCOUNTS_HOST, accountId: databricksAccountId });
const client = new DataAzurermClientConfig(stack, "client");

const placement = { resourceGroupName, location, tags: { workload: "payments", environment: "prod", owner: "payments-data", "managed-by": "cdktf" } };

// The central Log Analytics workspace: every diagnostic setting of the spoke sends to it.
const logs = Observability.fromExisting(stack, "central-logs", { workspaceId: centralLogsId });

const network = new SecureNetwork(stack, "network", {
  ...placement,
  nameSuffix: "payments-prod",
  addressSpace: "10.60.0.0/20",
  subnets: { databricksHost: "10.60.0.0/24", databricksContainer: "10.60.1.0/24", postgres: "10.60.2.0/28", privateEndpoints: "10.60.2.64/26" },
  // The hub's central zones, linked to the spoke VNet in the hub's subscription.
  privateDnsZoneIds: {
    blob: `${dnsZones}/privatelink.blob.core.windows.net`,
    dfs: `${dnsZones}/privatelink.dfs.core.windows.net`,
    vault: `${dnsZones}/privatelink.vaultcore.azure.net`,
    postgres: `${dnsZones}/privatelink.postgres.database.azure.com`,
    databricks: `${dnsZones}/privatelink.azuredatabricks.net`,
  },
  linkExistingDnsZones: true,
  privateDnsZoneProvider: connectivity,
  // Egress through the hub's firewall, along the spoke's own route table (Azure associates a route
  // table only with subnets of its own subscription).
  natGateway: false,
  routeTableId: `/subscriptions/${spokeSubscriptionId}/resourceGroups/${resourceGroupName}/providers/Microsoft.Network/routeTables/rt-payments-to-hub-firewall`,
  // Peered both ways with the hub, whose VNet also holds the deployment agents; the hub side in
  // the hub's subscription.
  peeredNetworks: [{ name: "hub", virtualNetworkId: hubVnetId, addressSpaces: ["10.0.0.0/16"], reversePeeringProvider: connectivity, allowForwardedTraffic: true }],
  observability: logs,
});

// The central vault: nothing is created for it; the sink's generated credentials are written to it.
const vault = SecretStore.fromExisting(stack, "central-vault", { vaultId: centralVaultId, skuName: "premium", network });

const lake = new LakeStorage(stack, "lake", { ...placement, accountName: "stpaymentsweu01", network, observability: logs });

const sink = new RelationalSink(stack, "sink", {
  ...placement,
  serverName: "psql-payments-weu-01",
  tenantId: client.tenantId,
  network,
  secretStore: vault,
  // Rotate the generated credentials (bump passwordVersion) before this date.
  credentialExpirationDate: "2028-06-30T00:00:00Z",
  observability: logs,
});

const pipeline = new SparkBatchPipeline(stack, "pipeline", {
  ...placement,
  nameSuffix: "payments-weu",
  environmentName: "prod",
  costCentre: "cc-8800",
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
  dataEngineers: DatabricksPrincipal.group("payments-data-engineers"),
  mlConsumers: DatabricksPrincipal.group("payments-ml-consumers"),
  cluster: { nodeTypeIds: ["Standard_D4ds_v5", "Standard_D8ds_v5"], minWorkers: 1, maxWorkers: 4 },
  schedule: { timezoneId: "Europe/Amsterdam" },
  notificationAddresses: ["payments-data@contoso.com"],
  observability: logs,
});

new TerraformOutput(stack, "databricks_workspace_url", { value: pipeline.workspaceUrl });
new TerraformOutput(stack, "databricks_job_id", { value: pipeline.jobId });
new TerraformOutput(stack, "databricks_migrate_job_id", { value: pipeline.migrateJobId });
new TerraformOutput(stack, "postgres_fqdn", { value: sink.fqdn });

app.synth();
