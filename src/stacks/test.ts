import { EnvironmentConfig } from "./config";
import { DatabricksPrincipal } from "../constructs/core/principal";
import { agentNetwork, deployerApplicationId, driftApplicationId, jobServicePrincipalApplicationId, notificationEmail } from "./placeholders";
import { DATABRICKS_ACCOUNT, ESTATE_IDENTITY } from "./shared";

const TEST_PUBLIC_WORKSPACE_REASON =
  "Public: reviewers inspect test runs from their browsers without a VPN; clusters still have no public IPs and the lake, vault and database stay private.";

/**
 * Test mirrors prod's shape at lower cost (smaller SKUs, shorter retention, same-zone HA) but keeps
 * prod's geo-redundancy and customer-managed keys: only dev may relax the policy checks.
 */
export const test: EnvironmentConfig = {
  environment: "test",
  ...ESTATE_IDENTITY,
  backend: { resourceGroupName: "rg-tfstate", storageAccountName: "sttfstatebank01", containerName: "tfstate", key: "estate-test.tfstate" },
  network: {
    addressSpace: "10.20.0.0/16",
    // The agents' VNet (ESTATE_TEST_AGENT_VNET_ID, ESTATE_TEST_AGENT_VNET_CIDR): peered, and linked to the private DNS zones.
    peeredNetworks: [agentNetwork("test", "10.250.1.0/24")],
    subnets: { databricksHost: "10.20.0.0/24", databricksContainer: "10.20.1.0/24", postgres: "10.20.2.0/27", privateEndpoints: "10.20.3.0/27" },
    natGateway: { zones: ["1"] },
  },
  // Premium for the HSM-backed key that encrypts the lake; the vault's base price is the same.
  vault: { skuName: "premium", softDeleteRetentionDays: 30 },
  lake: {
    // GZRS: zone- and geo-redundant (CKV_AZURE_206); Cold rather than Archive, which GZRS lacks.
    replicationType: "GZRS",
    blobSoftDeleteDays: 14,
    containerSoftDeleteDays: 14,
    landingCoolAfterDays: 30,
    landingColdAfterDays: 90,
    landingColdTier: "Cold",
    customerManagedKey: { keyExpirationDate: "2027-06-30T00:00:00Z" },
  },
  database: {
    skuName: "GP_Standard_D2ds_v5",
    version: "16",
    storageMb: 32768,
    backupRetentionDays: 14,
    geoRedundantBackup: true,
    highAvailability: "SameZone",
    credentialExpirationDate: "2027-06-30T00:00:00Z",
    passwordVersion: 1,
  },
  logs: { retentionInDays: 60 },
  pipeline: {
    ...DATABRICKS_ACCOUNT,
    // Placeholder (ESTATE_TEST_JOB_SP_APPLICATION_ID): the application id of the service principal the job runs as here.
    jobServicePrincipal: DatabricksPrincipal.servicePrincipal(jobServicePrincipalApplicationId("test", "00000000-0000-4000-8000-00000000e001")),
    // Creates the catalog objects: needs CREATE STORAGE CREDENTIAL, CREATE EXTERNAL LOCATION and CREATE CATALOG on the metastore.
    deployer: DatabricksPrincipal.servicePrincipal(deployerApplicationId("test", "00000000-0000-4000-8000-00000000e002")),
    // The weekly drift check's identity: a workspace admin with MANAGE on the catalog's objects (Databricks has no read-only admin); it runs reviewed code from main only.
    driftChecker: DatabricksPrincipal.servicePrincipal(driftApplicationId("test", "00000000-0000-4000-8000-00000000e003")),
    dataEngineerAccess: "read",
    publicNetworkAccess: true,
    publicNetworkAccessReason: TEST_PUBLIC_WORKSPACE_REASON,
    dbfsCustomerManagedKey: { keyExpirationDate: "2027-06-30T00:00:00Z" },
    cluster: { nodeTypeIds: ["Standard_D4ds_v5"], minWorkers: 1, maxWorkers: 4 },
    schedule: { timezoneId: "UTC", paused: false },
    notificationAddresses: [notificationEmail()],
    maxRetries: 2,
    minRetryIntervalMillis: 900_000,
    timeoutSeconds: 14_400,
    runDurationWarningSeconds: 7200,
  },
  deletionProtection: true,
  relaxations: {
    "pipeline.publicNetworkAccess": TEST_PUBLIC_WORKSPACE_REASON,
  },
};
