import { EnvironmentConfig } from "./config";

/** Test mirrors prod's shape at lower cost: zone-redundant, but not geo-redundant. */
export const test: EnvironmentConfig = {
  environment: "test",
  workload: "bank",
  instance: "01",
  location: "westeurope",
  owner: "data-platform@example.com",
  costCentre: "cc-1234",
  backend: { resourceGroupName: "rg-tfstate", storageAccountName: "sttfstatebank01", containerName: "tfstate", key: "estate-test.tfstate" },
  network: {
    addressSpace: "10.20.0.0/16",
    subnets: { databricksHost: "10.20.0.0/24", databricksContainer: "10.20.1.0/24", postgres: "10.20.2.0/27", privateEndpoints: "10.20.3.0/27" },
    natGatewayZones: ["1"],
  },
  vault: { skuName: "standard", softDeleteRetentionDays: 30 },
  lake: {
    replicationType: "ZRS",
    blobSoftDeleteDays: 14,
    containerSoftDeleteDays: 14,
    landingCoolAfterDays: 30,
    landingColdAfterDays: 90,
    landingColdTier: "Cold",
  },
  database: {
    skuName: "GP_Standard_D2ds_v5",
    version: "16",
    storageMb: 32768,
    backupRetentionDays: 14,
    geoRedundantBackup: false,
    highAvailability: "SameZone",
    credentialExpirationDate: "2027-06-30T00:00:00Z",
    passwordVersion: 1,
  },
  logs: { retentionInDays: 60 },
  deletionProtection: true,
  relaxations: {
    "lake.replicationType": "ZRS: test survives a zone outage; a regional outage only delays testing.",
    "database.geoRedundantBackup": "Off: test data is reloaded by the ETL from the lake.",
  },
};
