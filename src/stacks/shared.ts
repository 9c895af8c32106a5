import { DatabricksPrincipal } from "../constructs/core/principal";
import { databricksAccountId, ESTATE_ENV_VARS, placeholder } from "./placeholders";

/**
 * Settings every environment shares: who owns the estate, where it runs, and the Databricks
 * account objects (one metastore per region, account-level groups). Each environment's config
 * spreads these and sets only what differs.
 */
export const ESTATE_IDENTITY = {
  workload: "bank",
  instance: "01",
  location: "westeurope",
  owner: placeholder("data-platform-owner@contoso.com", "owner tag (an accountable address)", ESTATE_ENV_VARS.owner),
  costCentre: placeholder("cc-1234", "cost centre tag", ESTATE_ENV_VARS.costCentre),
} as const;

/**
 * Placeholders: set ESTATE_METASTORE_ID and ESTATE_AZURE_DATABRICKS_OBJECT_ID (or replace the
 * stand-ins) with your account's metastore id and this tenant's AzureDatabricks object id (see
 * docs/estate/deploying.md, "3. Put real values into the config"); `npm run preflight -- <stack>`
 * names any left.
 */
export const DATABRICKS_ACCOUNT = {
  metastoreId: placeholder("00000000-0000-4000-8000-00000000a001", "Unity Catalog metastore id of the region", ESTATE_ENV_VARS.metastoreId),
  azureDatabricksObjectId: placeholder("00000000-0000-4000-8000-00000000a002", "object id of the AzureDatabricks service principal in this tenant", ESTATE_ENV_VARS.azureDatabricksObjectId),
  // The account-level provider's account id, for the workspace's network connectivity configuration.
  databricksAccountId: databricksAccountId(),
  dataEngineers: DatabricksPrincipal.group("bank-data-engineers"),
  mlConsumers: DatabricksPrincipal.group("bank-ml-consumers"),
} as const;
