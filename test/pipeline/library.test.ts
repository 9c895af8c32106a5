import * as library from "../../src";
import { resourceAt } from "../helpers/synth";
import { synthPipeline } from "./pipeline-stack";

describe("SparkBatchPipeline in another organisation's stack", () => {
  const synthesized = synthPipeline();

  it("is exported from the package entry point with its grant set and schedule rules", () => {
    for (const name of ["SparkBatchPipeline", "pipelineGrantSet", "isQuarterlyCron", "jobClusterPolicyDefinition", "collectJobCode"]) {
      expect(library).toHaveProperty(name);
    }
  });

  it("keeps the workspace private by default, with a databricks_ui_api private endpoint", () => {
    expect(resourceAt(synthesized, "azurerm_databricks_workspace", "/pipeline/workspace")).toMatchObject({
      name: "dbw-analytics-dev",
      public_network_access_enabled: false,
      network_security_group_rules_required: "NoAzureDatabricksRules",
    });
    expect(resourceAt(synthesized, "azurerm_private_endpoint", "/pipeline/ui-api-private-endpoint").private_service_connection).toMatchObject({ subresource_names: ["databricks_ui_api"] });
  });

  it("names the catalog after the name suffix and gives data engineers read access by default", () => {
    expect(resourceAt(synthesized, "databricks_catalog", "/pipeline/catalog").name).toBe("analytics_dev");
    const grants = resourceAt(synthesized, "databricks_grants", "/pipeline/grants-catalog").grant as Array<{ principal: string; privileges: string[] }>;
    expect(grants.find((grant) => grant.principal === "analytics-engineers")?.privileges).toEqual(["USE_CATALOG", "USE_SCHEMA", "SELECT", "BROWSE"]);
  });

  it("schedules the job quarterly at 02:00 UTC and unpaused by default", () => {
    expect(resourceAt(synthesized, "databricks_job", "/pipeline/quarterly-job").schedule).toEqual({
      quartz_cron_expression: "0 0 2 1 1,4,7,10 ?",
      timezone_id: "UTC",
      pause_status: "UNPAUSED",
    });
  });
});
