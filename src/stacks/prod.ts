import { EnvironmentConfig } from "./config";
import { DatabricksPrincipal } from "../constructs/core/principal";
import { agentNetwork, deployerApplicationId, driftApplicationId, jobServicePrincipalApplicationId, notificationEmail } from "./placeholders";
import { DATABRICKS_ACCOUNT, ESTATE_IDENTITY } from "./shared";

/** Prod is resilient: geo-redundant lake and backups, zone-redundant HA, delete protection. */
export const prod: EnvironmentConfig = {
  environment: "prod",
  ...ESTATE_IDENTITY,
  backend: { resourceGroupName: "rg-tfstate", storageAccountName: "sttfstatebank01", containerName: "tfstate", key: "estate-prod.tfstate" },
  network: {
    addressSpace: "10.30.0.0/16",
    // The agents' VNet (ESTATE_PROD_AGENT_VNET_ID, ESTATE_PROD_AGENT_VNET_CIDR): peered, and linked to the private DNS zones.
    peeredNetworks: [agentNetwork("prod", "10.250.2.0/24")],
    subnets: { databricksHost: "10.30.0.0/23", databricksContainer: "10.30.2.0/23", postgres: "10.30.4.0/27", privateEndpoints: "10.30.5.0/26" },
    natGateway: { zones: ["1"] },
  },
  vault: { skuName: "premium", softDeleteRetentionDays: 90 },
  lake: {
    // RAGRS rather than RAGZRS: it keeps the archive tier for landed files (not offered on zone-redundant accounts).
    replicationType: "RAGRS",
    blobSoftDeleteDays: 30,
    containerSoftDeleteDays: 30,
    landingCoolAfterDays: 30,
    landingColdAfterDays: 180,
    landingColdTier: "Archive",
    customerManagedKey: { keyExpirationDate: "2027-06-30T00:00:00Z" },
  },
  database: {
    skuName: "GP_Standard_D4ds_v5",
    version: "16",
    storageMb: 131072,
    backupRetentionDays: 35,
    geoRedundantBackup: true,
    highAvailability: "ZoneRedundant",
    credentialExpirationDate: "2027-06-30T00:00:00Z",
    passwordVersion: 1,
  },
  logs: { retentionInDays: 365 },
  pipeline: {
    ...DATABRICKS_ACCOUNT,
    // Placeholder (ESTATE_PROD_JOB_SP_APPLICATION_ID): the application id of the service principal the job runs as here.
    jobServicePrincipal: DatabricksPrincipal.servicePrincipal(jobServicePrincipalApplicationId("prod", "00000000-0000-4000-8000-00000000f001")),
    // Creates the catalog objects: needs CREATE STORAGE CREDENTIAL, CREATE EXTERNAL LOCATION and CREATE CATALOG on the metastore.
    deployer: DatabricksPrincipal.servicePrincipal(deployerApplicationId("prod", "00000000-0000-4000-8000-00000000f002")),
    // The weekly drift check's identity: a workspace admin with MANAGE on the catalog's objects (Databricks has no read-only admin); it runs reviewed code from main only.
    driftChecker: DatabricksPrincipal.servicePrincipal(driftApplicationId("prod", "00000000-0000-4000-8000-00000000f003")),
    // Data engineers see the job and its runs but cannot start it, nor with other parameters, in prod.
    dataEngineerJobAccess: "view",
    dataEngineerAccess: "read",
    // Private: a databricks_ui_api private endpoint and back-end Private Link only.
    publicNetworkAccess: false,
    dbfsCustomerManagedKey: { keyExpirationDate: "2027-06-30T00:00:00Z" },
    cluster: { nodeTypeIds: ["Standard_D8ds_v5", "Standard_D4ds_v5"], minWorkers: 2, maxWorkers: 8 },
    schedule: { timezoneId: "UTC", paused: false },
    notificationAddresses: [notificationEmail()],
    maxRetries: 2,
    minRetryIntervalMillis: 900_000,
    timeoutSeconds: 14_400,
    runDurationWarningSeconds: 7200,
  },
  deletionProtection: true,
  relaxations: {},
};
