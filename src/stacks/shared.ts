/**
 * Settings every environment shares: who owns the estate, where it runs, and the Databricks
 * account objects (one metastore per region, account-level groups). Each environment's config
 * spreads these and sets only what differs.
 */
export const ESTATE_IDENTITY = {
  workload: "bank",
  instance: "01",
  location: "westeurope",
  owner: "data-platform@example.com",
  costCentre: "cc-1234",
} as const;

/**
 * Placeholders: replace with your account's metastore id and this tenant's AzureDatabricks object
 * id (see README.md, "What must exist first").
 */
export const DATABRICKS_ACCOUNT = {
  metastoreId: "00000000-0000-4000-8000-00000000a001",
  azureDatabricksObjectId: "00000000-0000-4000-8000-00000000a002",
  dataEngineersGroup: "bank-data-engineers",
  mlConsumersGroup: "bank-ml-consumers",
} as const;
