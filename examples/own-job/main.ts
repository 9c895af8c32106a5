/**
 * own-job: a team's own quarterly job beside the bank ETL, on one data platform. The bank pipeline
 * creates the Databricks workspace; the cards team's pipeline joins it with a job of its own (the
 * few lines of PySpark in ./job), and both share one Key Vault, one lake (each under its own
 * folder) and one PostgreSQL server (each with its own database and logins).
 *
 * Compile it and run `node main.js` (or `cdktf synth`), see docs/using-in-your-app.md in the
 * package; replace the ids below with your own first.
 */
import * as path from "node:path";
import { App, TerraformOutput, TerraformStack } from "cdktf";
import { DataAzurermClientConfig } from "@cdktf/provider-azurerm/lib/data-azurerm-client-config";
import { AzurermProvider } from "@cdktf/provider-azurerm/lib/provider";
import { DatabricksProvider } from "@cdktf/provider-databricks/lib/provider";
import {
  AZURE_ACCOUNTS_HOST,
  AzurePrincipal,
  DatabricksPrincipal,
  LakeStorage,
  QuarterlyJobDefinition,
  QuarterlyPipeline,
  RelationalSink,
  SecretStore,
  SecureNetwork,
  SparkBatchPipeline,
} from "azure-quarterly-batch";

const subscriptionId = "92e70b67-9c63-42ee-a6af-3bda373f1bbc";
const location = "northeurope";
const resourceGroupName = "rg-data-platform-neu-01";
const vnetId = `/subscriptions/${subscriptionId}/resourceGroups/rg-network-neu-01/providers/Microsoft.Network/virtualNetworks/vnet-data-platform-neu-01`;
const dnsZones = "/subscriptions/72c96710-1b31-426c-97d1-6a79982b12a0/resourceGroups/rg-privatedns-global/providers/Microsoft.Network/privateDnsZones";

const databricksAccountId = "b6cd0606-cd72-4be1-bc78-9bd11128ff7c";
const northEuropeMetastoreId = "023daa6b-9940-430d-9c0e-146a12781847";
// `az ad sp show --id 2ff814a6-3304-4ab8-85cb-cd0e6f879c1d --query id -o tsv` in your tenant.
const azureDatabricksObjectId = "bae6bc0a-0177-41b8-ac8f-4b6b8d343deb";
// The deploying service connection (it owns the jobs and creates the catalogs).
const deployer = DatabricksPrincipal.servicePrincipal("5b8e4d3c-0a6f-4b7c-9d2e-3f4a5b6c7d8e");

const app = new App();
const stack = new TerraformStack(app, "data-platform-neu");
new AzurermProvider(stack, "azurerm", {
  subscriptionId,
  // The lake disables shared keys: data-plane calls use Entra ID.
  storageUseAzuread: true,
  // The lake is private: azurerm must manage storage accounts through ARM only.
  features: [{ storage: [{ dataPlaneAvailable: false }] }],
});
// One workspace, so one workspace-level provider: the bank pipeline's workspace sets its host.
const databricks = new DatabricksProvider(stack, "databricks", { alias: "platform" });
const databricksAccount = new DatabricksProvider(stack, "databricks-account", { alias: "account", host: AZURE_ACCOUNTS_HOST, accountId: databricksAccountId });
const client = new DataAzurermClientConfig(stack, "client");
const placement = { resourceGroupName, location, tags: { workload: "data-platform", "managed-by": "cdktf" } };

const network = SecureNetwork.fromExisting(stack, "network", {
  virtualNetworkId: vnetId,
  databricksHostSubnetId: `${vnetId}/subnets/snet-dbw-host`,
  databricksContainerSubnetId: `${vnetId}/subnets/snet-dbw-container`,
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

// Shared by both teams: one vault, one lake, one PostgreSQL server.
const vault = new SecretStore(stack, "vault", {
  ...placement,
  vaultName: "kv-dataplat-neu-01",
  tenantId: client.tenantId,
  network,
  secretsOfficers: [AzurePrincipal.servicePrincipal(client.objectId)],
});
const lake = new LakeStorage(stack, "lake", { ...placement, accountName: "stdataplatneu01", network });
const sink = new RelationalSink(stack, "sink", {
  ...placement,
  serverName: "psql-dataplat-neu-01",
  tenantId: client.tenantId,
  network,
  secretStore: vault,
  credentialExpirationDate: "2028-06-30T00:00:00Z",
});

const shared = {
  ...placement,
  environmentName: "prod",
  tenantId: client.tenantId,
  secretStore: vault,
  lake,
  sink,
  metastoreId: northEuropeMetastoreId,
  azureDatabricksObjectId,
  deployer,
  schedule: { timezoneId: "Europe/Dublin" },
};

// The bank ETL: it creates the workspace and its network connectivity, and loads the database `bank`.
const bank = new SparkBatchPipeline(stack, "bank", {
  ...shared,
  nameSuffix: "bank-neu",
  costCentre: "cc-bank",
  provider: databricks,
  accountProvider: databricksAccount,
  network,
  lakePathPrefix: "bank",
  landingPrefix: "transactions/",
  jobServicePrincipal: DatabricksPrincipal.servicePrincipal("abcc28c7-7c4a-4a5d-b7b8-c9ff7c4f3566"),
  dataEngineers: DatabricksPrincipal.group("bank-data-engineers"),
  mlConsumers: DatabricksPrincipal.group("bank-ml-consumers"),
  cluster: { nodeTypeIds: ["Standard_D8ds_v5"], minWorkers: 2, maxWorkers: 8 },
  notificationAddresses: ["bank-data@contoso.com"],
});

// The cards team's own job: its code in ./job, one quarterly task, and the package's provisioning
// task (schema `cards`, logins cards_etl and cards_app, role cards_reader) in its deploy job.
const cardsJob: QuarterlyJobDefinition = {
  name: "cards",
  codeDirectory: path.join(__dirname, "job"),
  landingFolder: "statements/",
  description: "Card spend per domain and city, each quarter.",
  tasks: (context) => {
    const loader = context.database!.loader;
    return {
      quarterly: [
        {
          key: "spend",
          entryFile: "run_spend.py",
          parameters: [
            "--input", context.landingUri,
            "--lake", context.lakeRoot,
            "--pg-url", context.database!.url,
            "--secret-scope", context.secretScopeName,
            "--user-key", loader.userSecretName,
            "--password-key", loader.passwordSecretName,
          ],
          secretKeys: [loader.userSecretName, loader.passwordSecretName],
          maxRetries: 1,
          timeoutSeconds: 3600,
        },
      ],
      deploy: [context.provisionTask("cards")],
    };
  },
};

const cards = new QuarterlyPipeline(stack, "cards", {
  ...shared,
  nameSuffix: "cards-neu",
  costCentre: "cc-cards",
  job: cardsJob,
  // Joins the bank pipeline's workspace: its principals are assigned to it, and it gets its own
  // access connector, storage credential, catalog, database and logins.
  workspace: bank.workspace,
  lakePathPrefix: "cards",
  jobServicePrincipal: DatabricksPrincipal.servicePrincipal("7ed109e6-57e3-45c9-94fc-0af11ede6483"),
  dataEngineers: DatabricksPrincipal.group("cards-data-engineers"),
  mlConsumers: DatabricksPrincipal.group("cards-ml-consumers"),
  cluster: { nodeTypeIds: ["Standard_D4ds_v5"], minWorkers: 1, maxWorkers: 2 },
  runDurationWarningSeconds: 1800,
  notificationAddresses: ["cards-data@contoso.com"],
});

new TerraformOutput(stack, "databricks_workspace_url", { value: bank.workspaceUrl });
new TerraformOutput(stack, "lake_account_id", { value: lake.accountId });
for (const [name, pipeline] of [["bank", bank], ["cards", cards]] as const) {
  new TerraformOutput(stack, `${name}_job_id`, { value: pipeline.jobId });
  new TerraformOutput(stack, `${name}_deploy_job_id`, { value: pipeline.deployJobId });
  new TerraformOutput(stack, `${name}_landing_uri`, { value: pipeline.landingUri });
}

app.synth();
