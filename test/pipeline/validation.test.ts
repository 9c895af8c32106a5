import { PropValidationError } from "../../src/constructs/validation";
import { EnvironmentConfig } from "../../src/stacks/config";
import { CONFIGS, synthWithConfig } from "../helpers/synth";
import { BASE_PROPS, pipelineError, synthPipeline } from "./pipeline-stack";

describe("SparkBatchPipeline validation", () => {
  it("names the construct, its path, the prop, the bad value and the rule", () => {
    const message = pipelineError({ schedule: { quartzCronExpression: "0 0 2 1 * ?" } });
    expect(message).toContain("SparkBatchPipeline at 'their-stack/pipeline'");
    expect(message).toContain('schedule.quartzCronExpression "0 0 2 1 * ?" is not allowed: a Quartz expression that fires once a quarter');
  });

  it("refuses a timezone that is not an IANA zone", () => {
    expect(pipelineError({ schedule: { timezoneId: "CEST" } })).toContain('schedule.timezoneId "CEST" is not allowed: an IANA time zone');
  });

  it("refuses autoscale bounds in reverse order", () => {
    expect(pipelineError({ cluster: { ...BASE_PROPS.cluster, minWorkers: 4, maxWorkers: 2 } })).toContain("cluster.maxWorkers 2 is not allowed: at least cluster.minWorkers (4)");
  });

  it("refuses an empty VM size allow-list", () => {
    expect(pipelineError({ cluster: { ...BASE_PROPS.cluster, nodeTypeIds: [] } })).toContain("cluster.nodeTypeIds [] is not allowed: at least one VM size");
  });

  it("refuses a VM size that is not an Azure size name", () => {
    expect(pipelineError({ cluster: { ...BASE_PROPS.cluster, nodeTypeIds: ["m5.xlarge"] } })).toContain('cluster.nodeTypeIds[0] "m5.xlarge" is not allowed');
  });

  it("refuses a missing metastore id", () => {
    expect(pipelineError({ metastoreId: "" })).toContain('metastoreId "" is not allowed: the metastore\'s id');
  });

  it("refuses a group name with characters Databricks does not allow", () => {
    expect(pipelineError({ dataEngineersGroup: "engineers;DROP" })).toContain('dataEngineersGroup "engineers;DROP" is not allowed: a Databricks account group name');
  });

  it.each(["account users", "users"])("refuses to grant to %s, which means everyone", (group) => {
    expect(pipelineError({ mlConsumersGroup: group })).toContain(`mlConsumersGroup "${group}" is not allowed: a specific group`);
  });

  it("refuses a service principal application id that is not a GUID", () => {
    expect(pipelineError({ jobServicePrincipalApplicationId: "sp-bank-etl" })).toContain('jobServicePrincipalApplicationId "sp-bank-etl" is not allowed: a GUID');
  });

  it("refuses a public workspace without a reason", () => {
    expect(pipelineError({ publicNetworkAccess: true })).toContain("publicNetworkAccessReason (missing) is not allowed: a reason why the workspace stays public");
  });

  it("refuses a run-duration warning that comes after the timeout", () => {
    expect(pipelineError({ timeoutSeconds: 3600, runDurationWarningSeconds: 3600 })).toContain("runDurationWarningSeconds 3600 is not allowed: fewer seconds than timeoutSeconds (3600)");
  });

  it("refuses a code folder under /Shared, where every user may change the job's code", () => {
    expect(pipelineError({ codeFolder: "/Shared/bank-etl" })).toContain('codeFolder "/Shared/bank-etl" is not allowed: an absolute workspace folder outside /Shared');
  });

  it("refuses a quarter that is not YYYY-Qn", () => {
    expect(pipelineError({ quarter: "2022Q3" })).toContain('quarter "2022Q3" is not allowed: a quarter such as 2022-Q3');
  });

  it("refuses a DBFS key expiry that is not an RFC 3339 UTC timestamp", () => {
    expect(pipelineError({ dbfsCustomerManagedKey: { keyExpirationDate: "30/06/2027" } })).toContain('dbfsCustomerManagedKey.keyExpirationDate "30/06/2027" is not allowed: an RFC 3339 UTC timestamp');
  });

  it("refuses a DBFS customer-managed key in a standard vault, which has no HSM keys", () => {
    expect(pipelineError({ dbfsCustomerManagedKey: { keyExpirationDate: "2030-01-01T00:00:00Z" } })).toContain('a premium secretStore (it is "standard")');
  });

  it("reports every problem in one error", () => {
    const message = pipelineError({ metastoreId: "", schedule: { timezoneId: "Mars/Olympus" }, cluster: { ...BASE_PROPS.cluster, nodeTypeIds: [] } });
    expect(message).toContain("has 3 invalid props");
  });

  it("passes the quarter to the job when one is configured", () => {
    const [job] = Object.values(synthPipeline({ quarter: "2022-Q3" }).resource.databricks_job);
    const [task] = job.task as Array<{ spark_python_task: { parameters: string[] } }>;
    expect(task.spark_python_task.parameters.slice(-2)).toEqual(["--quarter", "2022-Q3"]);
  });
});

describe("the environment config's pipeline section", () => {
  function configError(pipeline: Partial<EnvironmentConfig["pipeline"]>): unknown {
    try {
      synthWithConfig({ ...CONFIGS.test, pipeline: { ...CONFIGS.test.pipeline, ...pipeline } });
    } catch (error) {
      return error;
    }
    return undefined;
  }

  it("fails synth when the metastore id is missing, naming the prop", () => {
    const error = configError({ metastoreId: "" });
    expect(error).toBeInstanceOf(PropValidationError);
    expect((error as Error).message).toMatch(/estate-test.*\n.*metastoreId "" is not allowed: .*metastore/);
  });

  it("fails synth when a custom schedule is not quarterly", () => {
    const error = configError({ schedule: { quartzCronExpression: "0 0 2 1 1,7 ?", timezoneId: "UTC", paused: false } });
    expect((error as Error).message).toContain('schedule.quartzCronExpression "0 0 2 1 1,7 ?" is not allowed');
  });
});
