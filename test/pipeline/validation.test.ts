import { Testing, TerraformStack } from "cdktf";
import { DatabricksProvider } from "@cdktf/provider-databricks/lib/provider";
import { DatabricksPrincipal } from "../../src/constructs/core/principal";
import { SparkBatchPipeline } from "../../src/constructs/pipeline/spark-batch-pipeline";
import { PropValidationError, validationProblems } from "../../src/constructs/core/validation";
import { isReservedEmailDomain } from "../../src/constructs/databricks/databricks-checks";
import { synthStack } from "../helpers/synth";
import { BASE_PROPS, buildPipelineStack, FIXTURE_PACKAGE, pipelineProblems, problemKeys, sharedEstate } from "./pipeline-stack";

const at = (construct: string, prop: string) => ({ construct, prop });

describe("SparkBatchPipeline validation", () => {
  it("names the construct, its path, the prop, the bad value and the rule", () => {
    const [problem] = pipelineProblems({ schedule: { quartzCronExpression: "0 0 2 1 * ?" } });
    expect(problem).toMatchObject({ construct: "SparkBatchPipeline", path: "their-stack/pipeline", prop: "schedule.quartzCronExpression", value: '"0 0 2 1 * ?"' });
    expect(problem.allowed).toContain("once a quarter");
  });

  it("refuses a timezone that is not an IANA zone", () => {
    expect(problemKeys(pipelineProblems({ schedule: { timezoneId: "CEST" } }))).toEqual([at("BatchJob", "schedule.timezoneId")]);
  });

  it("refuses autoscale bounds in reverse order", () => {
    expect(problemKeys(pipelineProblems({ cluster: { ...BASE_PROPS.cluster, minWorkers: 4, maxWorkers: 2 } }))).toEqual([at("BatchJob", "cluster.maxWorkers")]);
  });

  it("refuses an empty VM size allow-list and a VM size that is not an Azure size", () => {
    expect(problemKeys(pipelineProblems({ cluster: { ...BASE_PROPS.cluster, nodeTypeIds: [] } }))).toEqual([at("BatchJob", "cluster.nodeTypeIds")]);
    expect(problemKeys(pipelineProblems({ cluster: { ...BASE_PROPS.cluster, nodeTypeIds: ["m5.xlarge"] } }))).toEqual([at("BatchJob", "cluster.nodeTypeIds[0]")]);
  });

  it("refuses the shared access mode, which blocks what the job needs", () => {
    const cluster = { ...BASE_PROPS.cluster, dataSecurityMode: "USER_ISOLATION" } as unknown as typeof BASE_PROPS.cluster;
    expect(problemKeys(pipelineProblems({ cluster }))).toEqual([at("BatchJob", "cluster.dataSecurityMode")]);
  });

  it("refuses a missing and an all-zero metastore id", () => {
    expect(problemKeys(pipelineProblems({ metastoreId: "" }))).toContainEqual(at("SparkBatchPipeline", "metastoreId"));
    expect(problemKeys(pipelineProblems({ metastoreId: "00000000-0000-0000-0000-000000000000" }))).toEqual([at("DatabricksWorkspace", "metastoreId")]);
  });

  it("refuses a group name with characters Databricks does not allow", () => {
    expect(problemKeys(pipelineProblems({ dataEngineers: DatabricksPrincipal.group("engineers;DROP") }))).toContainEqual(at("SparkBatchPipeline", "dataEngineers.name"));
  });

  it.each(["account users", "users"])("refuses to grant to %s, which means everyone", (group) => {
    expect(problemKeys(pipelineProblems({ mlConsumers: DatabricksPrincipal.group(group) }))).toContainEqual(at("SparkBatchPipeline", "mlConsumers.name"));
  });

  it.each(["sp-bank-etl", "<principal-object-id>", "00000000-0000-0000-0000-000000000000"])("refuses the placeholder-looking service principal id %s", (id) => {
    expect(problemKeys(pipelineProblems({ jobServicePrincipal: DatabricksPrincipal.servicePrincipal(id) }))).toContainEqual(at("SparkBatchPipeline", "jobServicePrincipal.name"));
  });

  it("refuses a group as the job's run-as principal", () => {
    expect(problemKeys(pipelineProblems({ jobServicePrincipal: DatabricksPrincipal.group("analytics-runner") }))).toContainEqual(at("SparkBatchPipeline", "jobServicePrincipal"));
  });

  it.each(["oncall@example.com", "ops@mail.example.org", "ops@example.net", "a@b.example", "a@b.invalid", "a@b.test", "root@localhost", "not-an-address"])(
    "refuses the notification address %s",
    (address) => {
      expect(problemKeys(pipelineProblems({ notificationAddresses: [address] }))).toEqual([at("BatchJob", "notificationAddresses[0]")]);
    },
  );

  it("accepts an address on a real-looking domain, and recognises reserved ones", () => {
    expect(isReservedEmailDomain("ops@contoso.com")).toBe(false);
    expect(isReservedEmailDomain("ops@examples.com")).toBe(false);
    expect(isReservedEmailDomain("ops@EXAMPLE.COM")).toBe(true);
  });

  it("refuses a public workspace without a reason", () => {
    expect(problemKeys(pipelineProblems({ publicNetworkAccess: true }))).toEqual([at("DatabricksWorkspace", "publicNetworkAccessReason")]);
  });

  it("refuses a run-duration warning that comes after the load's timeout", () => {
    expect(problemKeys(pipelineProblems({ timeoutSeconds: 3600, runDurationWarningSeconds: 3600 }))).toEqual([at("BatchJob", "runDurationWarningSeconds")]);
  });

  it("refuses a code folder under /Shared, where every user may change the job's code", () => {
    expect(problemKeys(pipelineProblems({ codeFolder: "/Shared/bank-etl" }))).toEqual([at("BatchJob", "codeFolder")]);
  });

  it("refuses a quarter that is not YYYY-Qn", () => {
    expect(problemKeys(pipelineProblems({ quarter: "2022Q3" }))).toEqual([at("SparkBatchPipeline", "quarter")]);
  });

  it.each(["30/06/2027", "2020-01-01T00:00:00Z"])("refuses the DBFS key expiry %s (not RFC 3339 UTC, or in the past)", (keyExpirationDate) => {
    expect(problemKeys(pipelineProblems({ dbfsCustomerManagedKey: { keyExpirationDate } }))).toContainEqual(at("DatabricksWorkspace", "dbfsCustomerManagedKey.keyExpirationDate"));
  });

  it("refuses a name suffix whose derived names break their limits (the NCC's 30 characters)", () => {
    const nameSuffix = "a".repeat(42);
    expect(problemKeys(pipelineProblems({ nameSuffix }))).toContainEqual(at("SparkBatchPipeline", "nameSuffix"));
    expect(problemKeys(pipelineProblems({ nameSuffix: "analytics-dev-x" }))).toEqual([]);
  });

  it("reports every problem of the stack together, in one error at synth", () => {
    const { stack } = buildPipelineStack({ metastoreId: "", schedule: { timezoneId: "Mars/Olympus" }, cluster: { ...BASE_PROPS.cluster, nodeTypeIds: [] } });
    const keys = problemKeys(validationProblems(stack));
    expect(keys).toEqual(expect.arrayContaining([at("SparkBatchPipeline", "metastoreId"), at("BatchJob", "schedule.timezoneId"), at("BatchJob", "cluster.nodeTypeIds")]));
    let message = "";
    try {
      synthStack(stack);
    } catch (error) {
      message = (error as Error).message;
    }
    for (const prop of ["metastoreId", "schedule.timezoneId", "cluster.nodeTypeIds"]) expect(message).toContain(prop);
  });

  it("records missing props of a JavaScript caller instead of crashing", () => {
    const stack = new TerraformStack(Testing.app(), "js-stack");
    const { placement, network, secretStore, lake, accountProvider } = sharedEstate(stack);
    const provider = new DatabricksProvider(stack, "databricks", { alias: "js" });
    const props = { ...placement, ...BASE_PROPS, codeDirectory: FIXTURE_PACKAGE, provider, accountProvider, network, lake } as Record<string, unknown>;
    delete props.cluster;
    expect(() => new SparkBatchPipeline(stack, "pipeline", props as never)).not.toThrow();
    const keys = problemKeys(validationProblems(stack));
    expect(keys).toEqual(expect.arrayContaining([at("SparkBatchPipeline", "cluster"), at("SparkBatchPipeline", "secretStore"), at("SparkBatchPipeline", "sink"), at("BatchJob", "cluster")]));
    expect(secretStore).toBeDefined();
  });

  it("passes the quarter to the check and load tasks when one is configured", () => {
    const { stack } = buildPipelineStack({ quarter: "2022-Q3" });
    const tasks = Object.values(synthStack(stack).resource.databricks_job).flatMap((job) => job.task as Array<{ task_key: string; spark_python_task: { parameters: string[] } }>);
    for (const key of ["check", "load"]) {
      const parameters = tasks.find((task) => task.task_key === key)!.spark_python_task.parameters;
      expect(parameters.slice(parameters.indexOf("--quarter"), parameters.indexOf("--quarter") + 2)).toEqual(["--quarter", "2022-Q3"]);
    }
    expect(tasks.find((task) => task.task_key === "migrate")?.spark_python_task.parameters).not.toContain("--quarter");
  });

  it("sends PostgreSQL only the aggregates when the job is told so, and the row-level detail by default", () => {
    const loadOf = (stack: TerraformStack) =>
      Object.values(synthStack(stack).resource.databricks_job)
        .flatMap((job) => job.task as Array<{ task_key: string; spark_python_task: { parameters: string[] } }>)
        .find((task) => task.task_key === "load")!.spark_python_task.parameters;
    const aggregates = loadOf(buildPipelineStack({ pgDetail: "aggregates" }).stack);
    expect(aggregates.slice(aggregates.indexOf("--pg-detail"), aggregates.indexOf("--pg-detail") + 2)).toEqual(["--pg-detail", "aggregates"]);
    expect(loadOf(buildPipelineStack().stack)).not.toContain("--pg-detail");
  });

  it("maintains the lake's tables with the retention it is given, and refuses one shorter than a failed run's undo needs", () => {
    const tasks = Object.values(synthStack(buildPipelineStack({ maintenanceRetainHours: 720 }).stack).resource.databricks_job)
      .flatMap((job) => job.task as Array<{ task_key: string; spark_python_task: { parameters: string[] } }>);
    expect(tasks.find((task) => task.task_key === "maintain")?.spark_python_task.parameters.slice(-2)).toEqual(["--retain-hours", "720"]);
    const problems = validationProblems(buildPipelineStack({ maintenanceRetainHours: 24, pgDetail: "everything" as never }).stack);
    expect(problems.map((problem) => [problem.prop, problem.value])).toEqual(expect.arrayContaining([["maintenanceRetainHours", "24"], ["pgDetail", "\"everything\""]]));
  });

  it("throws a PropValidationError listing the problems when a stack synthesizes", () => {
    const { stack } = buildPipelineStack({ quarter: "bad" });
    expect(validationProblems(stack)).toHaveLength(1);
    expect(() => synthStack(stack)).toThrow();
    expect(PropValidationError).toBeDefined();
  });
});
