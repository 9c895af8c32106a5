import { EnvironmentConfig } from "./config";

/** Dev is cheap and disposable: it is rebuilt from code, so it trades resilience for cost. */
export const dev: EnvironmentConfig = {
  environment: "dev",
  workload: "bank",
  instance: "01",
  location: "westeurope",
  owner: "data-platform@example.com",
  costCentre: "cc-1234",
  backend: { resourceGroupName: "rg-tfstate", storageAccountName: "sttfstatebank01", containerName: "tfstate", key: "estate-dev.tfstate" },
  network: {
    addressSpace: "10.10.0.0/16",
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
  deletionProtection: false,
  relaxations: {
    "lake.replicationType": "LRS: dev data is regenerated from the landing file; a regional copy is enough.",
    "database.geoRedundantBackup": "Off: dev data is reloaded by the ETL; geo backups double the backup cost.",
    "database.highAvailability": "Disabled: the burstable SKU that keeps dev cheap offers no HA.",
    deletionProtection: "Off: dev is torn down and rebuilt from code.",
  },
};
