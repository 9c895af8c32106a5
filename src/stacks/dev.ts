import { EnvironmentConfig } from "./config";
import { DatabricksPrincipal } from "../constructs/core/principal";
import { agentNetwork, deployerApplicationId, driftApplicationId, jobServicePrincipalApplicationId, notificationEmail } from "./placeholders";
import { DATABRICKS_ACCOUNT, ESTATE_IDENTITY } from "./shared";

const DEV_PUBLIC_WORKSPACE_REASON =
  "Public: engineers reach the dev workspace from their machines without a VPN; clusters still have no public IPs and the lake, vault and database stay private.";

/** Dev is cheap and disposable: it is rebuilt from code, so it trades resilience for cost. */
export const dev: EnvironmentConfig = {
  environment: "dev",
  ...ESTATE_IDENTITY,
  backend: { resourceGroupName: "rg-tfstate", storageAccountName: "sttfstatebank01", containerName: "tfstate", key: "estate-dev.tfstate" },
  network: {
    addressSpace: "10.10.0.0/16",
    // The agents' VNet (ESTATE_DEV_AGENT_VNET_ID, ESTATE_DEV_AGENT_VNET_CIDR): peered, and linked to the private DNS zones.
    peeredNetworks: [agentNetwork("dev", "10.250.0.0/24")],
    subnets: { databricksHost: "10.10.0.0/24", databricksContainer: "10.10.1.0/24", postgres: "10.10.2.0/27", privateEndpoints: "10.10.3.0/27" },
  },
  vault: { skuName: "standard", softDeleteRetentionDays: 7 },
  lake: {
    replicationType: "LRS",
    blobSoftDeleteDays: 7,
    containerSoftDeleteDays: 7,
    landingCoolAfterDays: 30,
    landingColdAfterDays: 90,
    landingColdTier: "Archive",
  },
  database: {
    skuName: "B_Standard_B1ms",
    version: "16",
    storageMb: 32768,
    backupRetentionDays: 7,
    geoRedundantBackup: false,
    highAvailability: "Disabled",
    credentialExpirationDate: "2027-06-30T00:00:00Z",
    passwordVersion: 1,
  },
  logs: { retentionInDays: 30 },
  pipeline: {
    ...DATABRICKS_ACCOUNT,
    // Placeholder (ESTATE_DEV_JOB_SP_APPLICATION_ID): the application id of the service principal the job runs as here.
    jobServicePrincipal: DatabricksPrincipal.servicePrincipal(jobServicePrincipalApplicationId("dev", "00000000-0000-4000-8000-00000000d001")),
    // Creates the catalog objects: needs CREATE STORAGE CREDENTIAL, CREATE EXTERNAL LOCATION and CREATE CATALOG on the metastore.
    deployer: DatabricksPrincipal.servicePrincipal(deployerApplicationId("dev", "00000000-0000-4000-8000-00000000d002")),
    // The weekly drift check's identity: a workspace admin with MANAGE on the catalog's objects (Databricks has no read-only admin); it runs reviewed code from main only.
    driftChecker: DatabricksPrincipal.servicePrincipal(driftApplicationId("dev", "00000000-0000-4000-8000-00000000d003")),
    dataEngineerAccess: "all",
    publicNetworkAccess: true,
    publicNetworkAccessReason: DEV_PUBLIC_WORKSPACE_REASON,
    cluster: { nodeTypeIds: ["Standard_D4ds_v5"], minWorkers: 1, maxWorkers: 2 },
    // Paused: dev runs only when started by hand.
    schedule: { timezoneId: "UTC", paused: true },
    notificationAddresses: [notificationEmail()],
    maxRetries: 1,
    minRetryIntervalMillis: 300_000,
    timeoutSeconds: 7200,
    runDurationWarningSeconds: 3600,
  },
  deletionProtection: false,
  relaxations: {
    "lake.replicationType": "LRS: dev data is regenerated from the landing file; a regional copy is enough.",
    "database.geoRedundantBackup": "Off: dev data is reloaded by the ETL; geo backups double the backup cost.",
    "database.highAvailability": "Disabled: the burstable SKU that keeps dev cheap offers no HA.",
    deletionProtection: "Off: dev is torn down and rebuilt from code.",
    "lake.customerManagedKey": "Microsoft-managed keys: dev holds only generated data, and a standard vault keeps it cheap.",
    "pipeline.dbfsCustomerManagedKey": "Microsoft-managed keys: dev's standard vault has no HSM keys, and its DBFS holds only generated data.",
    "pipeline.publicNetworkAccess": DEV_PUBLIC_WORKSPACE_REASON,
  },
};
