import { Construct } from "constructs";
import { DatabricksProvider } from "@cdktf/provider-databricks/lib/provider";
import { IRelationalSink } from "../postgres/relational-sink";
import { ISecureNetwork } from "../network/secure-network";
import { BANK_ETL_CODE_DIRECTORY, bankEtlJob, bankEtlJobProblems, BankEtlJobOptions } from "./bank-etl-job";
import { QuarterlyPipeline, QuarterlyPipelineProps } from "./quarterly-pipeline";

export { BANK_ETL_CODE_DIRECTORY };
export { CLUSTER_CA_BUNDLE, DATA_ENGINEER_JOB_ACCESS } from "./quarterly-pipeline";
export type { DataEngineerJobAccess, ILoginCredentialIssuer, JobClusterOptions, JobScheduleOptions, DatabricksWorkspaceSubnets, DbfsCustomerManagedKey } from "./quarterly-pipeline";

export interface SparkBatchPipelineProps extends Omit<QuarterlyPipelineProps, "job" | "sink" | "provider" | "accountProvider" | "network">, Omit<BankEtlJobOptions, "landingFolder"> {
  /**
   * Workspace-level Databricks provider of this pipeline's workspace (one per workspace; give
   * each its own alias when a stack holds several). Its host and workspace resource id are set
   * from the workspace when unset.
   * @default - the provider of `workspace`; required when the pipeline creates its workspace
   */
  readonly provider?: DatabricksProvider;
  /**
   * Account-level Databricks provider (alias, host https://accounts.azuredatabricks.net, account id), for the NCC.
   * @default - none; required when the pipeline creates its workspace
   */
  readonly accountProvider?: DatabricksProvider;
  /**
   * Network whose Databricks subnets host the clusters and whose endpoint subnet hosts the private endpoint.
   * @default - none; required when the pipeline creates its workspace
   */
  readonly network?: ISecureNetwork;
  /** PostgreSQL sink the job loads. */
  readonly sink: IRelationalSink;
  /**
   * The pipeline's database on the sink's server; a second bank pipeline on one server names its own.
   * @default - the sink's database
   */
  readonly databaseName?: string;
  /**
   * What the logins and reader role are named after.
   * @default - databaseName when set, else "bank": `bank_etl`, `bank_app`, `bank_reader`
   */
  readonly loginPrefix?: string;
}

/**
 * The quarterly bank ETL: a {@link QuarterlyPipeline} running {@link bankEtlJob}, whose options
 * (quarter, schema, retries, timeout, PostgreSQL's detail, maintenance retention, code directory)
 * it takes as props. Its quarterly job runs `check` (never retried), `load` (as the loader login)
 * and `maintain` (OPTIMIZE and VACUUM of the lake's tables); its migrate job,
 * which the deploy runs after each apply, migrates the schema and creates the roles as the server
 * administrator.
 */
export class SparkBatchPipeline extends QuarterlyPipeline {
  /** Id of the migrate job, which the deploy runs after each apply (`databricks jobs run-now`). */
  readonly migrateJobId: string;

  constructor(scope: Construct, id: string, props: SparkBatchPipelineProps) {
    const options: BankEtlJobOptions = {
      quarter: props?.quarter,
      databaseSchema: props?.databaseSchema,
      maxRetries: props?.maxRetries,
      minRetryIntervalMillis: props?.minRetryIntervalMillis,
      timeoutSeconds: props?.timeoutSeconds,
      pgDetail: props?.pgDetail,
      maintenanceRetainHours: props?.maintenanceRetainHours,
      codeDirectory: props?.codeDirectory,
    };
    // The options are this construct's props, and its problems name them so.
    const job = { ...bankEtlJob(options), problems: () => bankEtlJobProblems(options).map((problem) => ({ ...problem, prop: problem.option })) };
    super(scope, id, { ...props, job, databaseName: props?.databaseName ?? props?.sink?.databaseName, loginPrefix: props?.loginPrefix ?? props?.databaseName ?? "bank" });
    this.migrateJobId = this.deployJobId as string;
  }
}
