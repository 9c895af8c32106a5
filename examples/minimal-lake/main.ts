/**
 * minimal-lake: a Key Vault and an ADLS Gen2 lake in a resource group, subnet and private DNS zones
 * that already exist (a landing zone's spoke and the hub's central zones), with read access to the
 * lake for an analysts' Entra ID group. No VNet, subnet or DNS zone is created.
 *
 * Compile it and run `node main.js` (or `cdktf synth`), see ../README.md; replace the ids
 * below with your own first.
 */
import { App, TerraformOutput, TerraformStack } from "cdktf";
import { DataAzurermClientConfig } from "@cdktf/provider-azurerm/lib/data-azurerm-client-config";
import { AzurermProvider } from "@cdktf/provider-azurerm/lib/provider";
import { AzurePrincipal, LakeStorage, SecretStore } from "azure-quarterly-batch";

// The workload's subscription and the landing zone it was given.
const subscriptionId = "92e70b67-9c63-42ee-a6af-3bda373f1bbc";
const resourceGroupName = "rg-analytics-weu-01";
const location = "westeurope";
// The spoke's private endpoint subnet (network policies for private endpoints enabled).
const privateEndpointSubnetId =
  `/subscriptions/${subscriptionId}/resourceGroups/rg-network-weu-01/providers/Microsoft.Network/virtualNetworks/vnet-spoke-analytics-weu-01/subnets/snet-privateendpoints`;
// The hub's central private DNS zones, already linked to the spoke by the platform team.
const dnsZones = "/subscriptions/72c96710-1b31-426c-97d1-6a79982b12a0/resourceGroups/rg-privatedns-global/providers/Microsoft.Network/privateDnsZones";
// Object id of the Entra ID group "sg-analytics-readers".
const analystsGroupObjectId = "0951c5d7-30a9-4dec-a0eb-7b113be70a7b";

const app = new App();
const stack = new TerraformStack(app, "analytics-lake-weu");
new AzurermProvider(stack, "azurerm", {
  subscriptionId,
  // The lake disables shared keys: data-plane calls use Entra ID.
  storageUseAzuread: true,
  // The lake is private: azurerm must manage storage accounts through ARM only.
  features: [{ storage: [{ dataPlaneAvailable: false }] }],
});
// The identity that runs `cdktf deploy`: it trusts the vault's tenant and becomes its secrets officer.
const client = new DataAzurermClientConfig(stack, "client");

const placement = { resourceGroupName, location, tags: { workload: "analytics", owner: "data-platform", "managed-by": "cdktf" } };

const vault = new SecretStore(stack, "vault", {
  ...placement,
  vaultName: "kv-analytics-weu-01",
  tenantId: client.tenantId,
  privateEndpointSubnetId,
  privateDnsZoneId: `${dnsZones}/privatelink.vaultcore.azure.net`,
  secretsOfficers: [AzurePrincipal.servicePrincipal(client.objectId)],
});

const lake = new LakeStorage(stack, "lake", {
  ...placement,
  accountName: "stanalyticsweu01",
  // Zone-redundant instead of the geo-redundant default; zone-redundant accounts have no archive tier.
  replicationType: "ZRS",
  landingColdTier: "Cold",
  privateEndpointSubnetId,
  blobDnsZoneId: `${dnsZones}/privatelink.blob.core.windows.net`,
  dfsDnsZoneId: `${dnsZones}/privatelink.dfs.core.windows.net`,
});
lake.grant(stack, "analysts-read", AzurePrincipal.group(analystsGroupObjectId), "Storage Blob Data Reader");

new TerraformOutput(stack, "key_vault_uri", { value: vault.vaultUri });
new TerraformOutput(stack, "lake_dfs_endpoint", { value: lake.dfsEndpoint });
new TerraformOutput(stack, "landing_uri", { value: lake.abfssUri("landing") });

app.synth();
