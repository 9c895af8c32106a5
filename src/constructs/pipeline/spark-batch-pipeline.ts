import * as path from "node:path";
import { Annotations } from "cdktf";
import { AzurermProvider } from "@cdktf/provider-azurerm/lib/provider";
import { Construct } from "constructs";
import { DatabricksProvider } from "@cdktf/provider-databricks/lib/provider";
import { addedJobTagNames, BatchJob, BatchJobTask, JobClusterOptions, MAX_JOB_TAGS } from "../databricks/batch-job";
import { checkDatabricksPrincipal } from "../databricks/databricks-checks";
import { DatabricksWorkspace, DatabricksWorkspaceSubnets, DbfsCustomerManagedKey } from "../databricks/databricks-workspace";
import { BANK_ETL_CODE_PATHS } from "../databricks/job-code";
import { DEFAULT_QUARTERLY_CRON, isQuarterlyCron, QUARTERLY_CRON_RULE, yearAlreadyPast } from "../databricks/job-schedule";
import { LakehouseCatalog } from "../databricks/lakehouse-catalog";
import { ILakeStorage } from "../storage/lake-storage";
import { lakeEndpointTargets, NetworkConnectivity } from "../databricks/network-connectivity";
import { IObservability } from "../monitoring/observability";
import { DataEngineerAccess } from "../databricks/pipeline-grants";
import { checkPlacement, Placement } from "../core/placement";
import { checkObjectId, IDatabricksPrincipal } from "../core/principal";
import { claimName, placeInNetwork, useDatabricksProvider } from "../core/consistency";
import { DatabaseCredential, IRelationalSink } from "../postgres/relational-sink";
import { ISecretStore } from "../key-vault/secret-store";
import { ISecureNetwork } from "../network/secure-network";
import { checkDerivedName, isUnresolved, PropValidator } from "../core/validation";
import { useAzurermProvider } from "../core/providers";
import { notePipelineIdentity, notePrincipal } from "../core/stack-notes";
import { checkProviderType } from "../core/provider-setup";
import { requireNetworkSubscription, WORKSPACE_VNET_SUBSCRIPTION_RULE } from "../core/subscription-placement";

export type { JobClusterOptions } from "../databricks/batch-job";
export type { DatabricksWorkspaceSubnets, DbfsCustomerManagedKey } from "../databricks/databricks-workspace";

/** What data engineers may do with a pipeline's job. */
export const DATA_ENGINEER_JOB_ACCESS = ["run", "view"] as const;
export type DataEngineerJobAccess = (typeof DATA_ENGINEER_JOB_ACCESS)[number];

/** The lake areas the bank ETL writes, each to the container of the same name. */
const ETL_WRITTEN_AREAS = ["curated", "features", "quarantine"] as const;
const QUARTER = /^\d{4}-Q[1-4]$/;
/** The CA bundle Databricks Runtime ships, which verifies the Azure PostgreSQL server certificate. */
export const CLUSTER_CA_BUNDLE = "/etc/ssl/certs/ca-certificates.crt";
/** The bank ETL's code, in the installed package (`lib/constructs/pipeline/../../../spark` and `src/constructs/pipeline/../../../spark`). */
export const BANK_ETL_CODE_DIRECTORY = path.resolve(__dirname, "..", "..", "..", "spark");

/** When the quarterly job runs. */
export interface JobScheduleOptions {
  /**
   * Quartz cron expression; must fire once a quarter (see QUARTERLY_CRON_RULE).
   * @default DEFAULT_QUARTERLY_CRON ("0 0 2 1 1,4,7,10 ?", 02:00 on the first day of each quarter)
   */
  readonly quartzCronExpression?: string;
  /**
   * IANA time zone of the cron expression, such as `Europe/Amsterdam`; the job computes its
   * default quarter in it too.
   * @default "UTC"
   */
  readonly timezoneId?: string;
  /**
   * Create the schedule paused, so the job only runs when started by hand (synth warns of it in
   * a prod environment).
   * @default false
   */
  readonly paused?: boolean;
}

/** A sink that can issue its own login credentials, such as {@link RelationalSink}. */
export interface ILoginCredentialIssuer {
  addLoginCredential(id: string, options: { readonly login: string; readonly userSecretName?: string; readonly passwordSecretName?: string; readonly passwordVersion?: number }): DatabaseCredential;
}

function canIssueLogins(sink: IRelationalSink | undefined): sink is IRelationalSink & ILoginCredentialIssuer {
  return typeof (sink as Partial<ILoginCredentialIssuer> | undefined)?.addLoginCredential === "function";
}

export interface SparkBatchPipelineProps extends Placement {
  /**
   * The azurerm provider of the subscription this construct's resources go to, when it is not
   * the stack's default (such as a spoke subscription's aliased provider).
   * @default - the stack's default azurerm provider
   */
  readonly azurermProvider?: AzurermProvider;
  /** Suffix of every resource name, usually `<workload>-<environment>`, such as `bank-prod`. */
  readonly nameSuffix: string;
  /** Environment name, such as `prod`: a required cluster tag. */
  readonly environmentName: string;
  /** Cost centre: a required cluster tag, so compute cost is charged correctly. */
  readonly costCentre: string;
  /** Entra ID tenant of the access connector's identity (for the lake's trusted-resource rule). */
  readonly tenantId: string;
  /**
   * Workspace-level Databricks provider of this pipeline's workspace (one per workspace; give
   * each its own alias when a stack holds several). Its host and workspace resource id are set
   * from the workspace when unset.
   */
  readonly provider: DatabricksProvider;
  /** Account-level Databricks provider (alias, host https://accounts.azuredatabricks.net, account id), for the NCC. */
  readonly accountProvider: DatabricksProvider;
  /** Network whose Databricks subnets host the clusters and whose endpoint subnet hosts the private endpoint. */
  readonly network: ISecureNetwork;
  /**
   * The workspace's own host and container subnets, in `network`'s VNet and delegated to
   * Microsoft.Databricks/workspaces, each with an NSG. Azure gives every VNet-injected workspace a
   * pair of its own: the second pipeline on a network needs a second pair (existing subnets, as
   * `NetworkSubnet` values or another `SecureNetwork.fromExisting` view's Databricks subnets), and
   * synth refuses two workspaces on one subnet.
   * @default - the network's databricksHostSubnet and databricksContainerSubnet
   */
  readonly workspaceSubnets?: DatabricksWorkspaceSubnets;
  /** Vault behind the secret scope; it holds the PostgreSQL credentials. */
  readonly secretStore: ISecretStore;
  /** Lake the job reads (landing) and writes (curated, features, quarantine); its catalog container is the catalog root. */
  readonly lake: ILakeStorage;
  /** PostgreSQL sink the job loads. */
  readonly sink: IRelationalSink;
  /**
   * The login the load runs as (it owns the tables and nothing else); the migrate task creates it
   * with the password kept in the vault under `passwordSecretName`.
   * @default - `sink.addLoginCredential` issues `bank_etl` when the sink can, such as RelationalSink
   */
  readonly loaderCredential?: DatabaseCredential;
  /**
   * Version of the loader's generated password when the sink issues it; bump it to rotate.
   * @default 1
   */
  readonly loaderPasswordVersion?: number;
  /**
   * The machine-learning application's login: a member of `readerRole` and nothing else, which
   * the migrate task creates with the password kept in the vault under `passwordSecretName`.
   * `false` creates none.
   * @default - `sink.addLoginCredential` issues `bank_app` when the sink can, such as RelationalSink
   */
  readonly readerCredential?: DatabaseCredential | false;
  /**
   * Version of the reader login's generated password when the sink issues it; bump it to rotate.
   * @default 1
   */
  readonly readerPasswordVersion?: number;
  /** Id of the region's Unity Catalog metastore (one per account and region, created once in the account console). */
  readonly metastoreId: string;
  /**
   * Object id, in this tenant, of the AzureDatabricks first-party service principal (application
   * id 2ff814a6-3304-4ab8-85cb-cd0e6f879c1d), which reads the vault for the secret scope. Find it
   * with `az ad sp show --id 2ff814a6-3304-4ab8-85cb-cd0e6f879c1d --query id -o tsv`.
   */
  readonly azureDatabricksObjectId: string;
  /** Service principal the job runs as, registered in the Databricks account; assigned to the workspace here. */
  readonly jobServicePrincipal: IDatabricksPrincipal;
  /**
   * The principal that runs the deploy (the deploy pipeline's service connection, by application
   * id). It creates the catalog's storage credential, external locations and catalog, so it needs
   * CREATE STORAGE CREDENTIAL, CREATE EXTERNAL LOCATION and CREATE CATALOG on the metastore;
   * preflight checks that it is named and is not the job's principal. It is the workspace's admin
   * through its Azure role, so it is not assigned to the workspace.
   * @default - unnamed: nothing is granted, and preflight reports it
   */
  readonly deployer?: IDatabricksPrincipal;
  /**
   * Grant `deployer` the three metastore privileges it needs (a non-authoritative
   * `databricks_grant`), for a deployer that is a metastore admin without them.
   * @default false
   */
  readonly grantMetastorePrivileges?: boolean;
  /**
   * The identity of the weekly drift check (a plan that refreshes, run only from reviewed code on
   * `main`): assigned to the workspace as an admin and given MANAGE on the catalog's objects, which
   * refreshing secret ACLs, object permissions, permission assignments and grants needs (Databricks
   * has no read-only admin; docs/cicd.md, "Identities"). It must not be the job's principal.
   * @default - none: only the deploying identity can refresh the pipeline's Databricks objects
   */
  readonly driftChecker?: IDatabricksPrincipal;
  /** Databricks account group of the data engineers. */
  readonly dataEngineers: IDatabricksPrincipal;
  /**
   * What data engineers may do with the quarterly job: `run` it (CAN_MANAGE_RUN: run now with
   * other parameters, cancel) or only `view` it and its runs (CAN_VIEW). The job holds no
   * administrator credential and refuses a run aimed at another server or lake either way.
   * @default - "view" in a production environment (`environmentName` prod, production or prod-*), "run" elsewhere
   */
  readonly dataEngineerJobAccess?: DataEngineerJobAccess;
  /** Databricks account group of the ML consumers, who read the features schema. */
  readonly mlConsumers: IDatabricksPrincipal;
  /** Addresses that receive failure and long-run warnings. */
  readonly notificationAddresses: string[];
  /** VM sizes and autoscale bounds of the job cluster and its policy. */
  readonly cluster: JobClusterOptions;
  /**
   * What data engineers may do in the catalog: `all` privileges (dev) or `read` (synth warns of
   * `all` in a prod environment).
   * @default "read"
   */
  readonly dataEngineerAccess?: DataEngineerAccess;
  /**
   * Keep the workspace reachable from the internet.
   * @default false
   */
  readonly publicNetworkAccess?: boolean;
  /**
   * Why the workspace stays public; required when `publicNetworkAccess` is true.
   * @default - none
   */
  readonly publicNetworkAccessReason?: string;
  /**
   * Give the private workspace a `browser_authentication` private endpoint (see
   * {@link DatabricksWorkspaceProps.browserAuthentication}); one per region and DNS zone.
   * @default - true when the workspace is private
   */
  readonly browserAuthentication?: boolean;
  /**
   * Name of the workspace.
   * @default `dbw-${nameSuffix}`
   */
  readonly workspaceName?: string;
  /**
   * Resource group Azure creates for the workspace's own resources.
   * @default `rg-dbw-${nameSuffix}-managed`
   */
  readonly managedResourceGroupName?: string;
  /**
   * Name of the network connectivity configuration (3-30 characters).
   * @default `ncc-${nameSuffix}`
   */
  readonly networkConnectivityName?: string;
  /**
   * Unity Catalog catalog of the environment.
   * @default nameSuffix with `-` as `_`, such as `bank_prod`
   */
  readonly catalogName?: string;
  /**
   * Name of the Key Vault-backed secret scope.
   * @default `${nameSuffix}-kv`
   */
  readonly secretScopeName?: string;
  /**
   * When the job runs.
   * @default - quarterly at 02:00 UTC on the first day of each quarter, not paused
   */
  readonly schedule?: JobScheduleOptions;
  /**
   * Quarter the job loads, such as `2022-Q3`.
   * @default - none; the ETL loads the last quarter that ended before the run date in the schedule's time zone
   */
  readonly quarter?: string;
  /**
   * Folder, inside every lake container, that holds this pipeline's data: the catalog's external
   * locations and storage root, the landing folder the job reads and the curated, features and
   * quarantine paths it writes (`--lake abfss://{container}@<lake>.dfs.core.windows.net/<prefix>/`)
   * are all under it. Give each pipeline that shares a lake its own prefix: synth refuses two
   * pipelines claiming overlapping locations on one lake. Letters, digits, `.`, `_` and `-` in
   * `/`-separated segments, such as `payments`.
   * @default - none: the container roots, so the pipeline must be the lake's only one
   */
  readonly lakePathPrefix?: string;
  /**
   * Folder (under the landing container, inside `lakePathPrefix` when set) whose newest CSV/XLSX
   * file the job reads.
   * @default "bank/transactions/"
   */
  readonly landingPrefix?: string;
  /**
   * PostgreSQL schema the job loads.
   * @default "bank"
   */
  readonly databaseSchema?: string;
  /**
   * PostgreSQL role with USAGE and SELECT only, which the migrate task creates.
   * @default "bank_reader"
   */
  readonly readerRole?: string;
  /**
   * Retries of the migrate and load tasks (0 to 10); the check task is never retried.
   * @default 2
   */
  readonly maxRetries?: number;
  /**
   * Wait before a retry, in milliseconds (at least one minute).
   * @default 900000 (15 minutes)
   */
  readonly minRetryIntervalMillis?: number;
  /**
   * Time after which a load attempt is stopped, in seconds.
   * @default 14400 (4 hours)
   */
  readonly timeoutSeconds?: number;
  /**
   * Run duration that triggers the health warning e-mail, in seconds; less than `timeoutSeconds`.
   * @default 7200 (2 hours)
   */
  readonly runDurationWarningSeconds?: number;
  /**
   * Local directory holding the job package (`run_check.py`, `run_migrate.py`, `run_etl.py`,
   * `bank_etl/`, `requirements.txt`).
   * @default - the `spark/` folder of this package, wherever it is installed
   */
  readonly codeDirectory?: string;
  /**
   * Workspace folder the job package is uploaded to, outside `/Shared`.
   * @default `/jobs/${nameSuffix}-quarterly-etl`
   */
  readonly codeFolder?: string;
  /**
   * Encrypt the workspace's root DBFS with an HSM-backed key in `secretStore` (a premium vault).
   * @default - Microsoft-managed keys for root DBFS
   */
  readonly dbfsCustomerManagedKey?: DbfsCustomerManagedKey;
  /**
   * Where the workspace's diagnostic logs go.
   * @default - no diagnostic settings
   */
  readonly observability?: IObservability;
}

/**
 * The quarterly bank ETL on Databricks, composed of a {@link DatabricksWorkspace} (with the
 * job's principal and groups assigned), a {@link NetworkConnectivity} bound to it with
 * private-endpoint rules to the lake's `dfs` and `blob`, a {@link LakehouseCatalog} and a
 * {@link BatchJob} of three tasks on one job cluster: `check` (never retried), `migrate` (as
 * the server administrator: schema and roles) and `load` (as the loader login).
 */
export class SparkBatchPipeline extends Construct {
  readonly workspace: DatabricksWorkspace;
  readonly networkConnectivity: NetworkConnectivity;
  readonly catalog: LakehouseCatalog;
  readonly job: BatchJob;
  /** Resource id of the workspace. */
  readonly workspaceResourceId: string;
  /** `https://` URL of the workspace. */
  readonly workspaceUrl: string;
  /** Name of the environment's catalog. */
  readonly catalogName: string;
  /** Name of the Key Vault-backed secret scope. */
  readonly secretScopeName: string;
  /** The login the load runs as. */
  readonly loaderCredential?: DatabaseCredential;
  /** The application's read-only login, when there is one. */
  readonly readerCredential?: DatabaseCredential;
  /** Hash of every uploaded file. */
  readonly codeVersion: string;
  /** Id of the quarterly job. */
  readonly jobId: string;
  /** Id of the migrate job, which the deploy runs after each apply (`databricks jobs run-now`). */
  readonly migrateJobId: string;

  constructor(scope: Construct, id: string, props: SparkBatchPipelineProps) {
    super(scope, id);
    const v = new PropValidator("SparkBatchPipeline", this.node.path);
    validate(this, v, props);
    const suffix = props.nameSuffix ?? id;
    const placement = { resourceGroupName: props.resourceGroupName, location: props.location, tags: props.tags };
    const workspaceName = props.workspaceName ?? `dbw-${suffix}`;
    this.catalogName = props.catalogName ?? suffix.replace(/-/g, "_");
    this.secretScopeName = props.secretScopeName ?? `${suffix}-kv`;
    const jobName = `${suffix}-quarterly-etl`;

    this.loaderCredential = props.loaderCredential ?? (canIssueLogins(props.sink) ? props.sink.addLoginCredential(`${id}-loader`, { login: "bank_etl", passwordVersion: props.loaderPasswordVersion }) : undefined);
    this.readerCredential =
      props.readerCredential === false
        ? undefined
        : (props.readerCredential ?? (canIssueLogins(props.sink) ? props.sink.addLoginCredential(`${id}-reader`, { login: "bank_app", passwordVersion: props.readerPasswordVersion }) : undefined));
    if (!this.loaderCredential && props.sink) {
      v.fail("loaderCredential", undefined, "the loader's DatabaseCredential (login, userSecretName, passwordSecretName), required when the sink cannot issue one (RelationalSink.addLoginCredential)");
    }
    // Names derived from a refused nameSuffix are that one problem, not one more per part.
    if (v.refused("nameSuffix")) {
      v.cover([
        workspaceName,
        props.managedResourceGroupName ?? `rg-dbw-${suffix}-managed`,
        `dbac-${suffix}`,
        props.networkConnectivityName ?? `ncc-${suffix}`,
        this.catalogName,
        jobName,
        props.codeFolder ?? `/jobs/${jobName}`,
        `${suffix}-quarterly-job`,
        this.secretScopeName,
      ]);
    }
    v.report(this);
    this.register(props, { suffix, workspaceName });
    notePrincipal(this, props.jobServicePrincipal?.name, `the service principal ${jobName} runs as`);
    notePrincipal(this, props.deployer?.name, "the deploying identity (deploy pipeline)");
    notePrincipal(this, props.driftChecker?.name, "the drift check's identity (drift pipeline)");
    notePipelineIdentity(this, "deploy", props.deployer?.name);
    notePipelineIdentity(this, "drift", props.driftChecker?.name);
    notePrincipal(this, props.dataEngineers?.name, "the data engineers");
    notePrincipal(this, props.mlConsumers?.name, "the machine-learning consumers");
    warnOfProdSettings(this, props);

    useAzurermProvider(this, props.azurermProvider);
    this.workspace = new DatabricksWorkspace(this, "workspace", {
      ...placement,
      azurermProvider: props.azurermProvider,
      name: workspaceName,
      provider: props.provider,
      network: props.network,
      subnets: props.workspaceSubnets,
      principals: [props.jobServicePrincipal, props.dataEngineers, props.mlConsumers].filter((principal) => principal !== undefined),
      admins: props.driftChecker ? [props.driftChecker] : undefined,
      metastoreId: props.metastoreId,
      publicNetworkAccess: props.publicNetworkAccess,
      publicNetworkAccessReason: props.publicNetworkAccessReason,
      browserAuthentication: props.browserAuthentication,
      managedResourceGroupName: props.managedResourceGroupName ?? `rg-dbw-${suffix}-managed`,
      accessConnectorName: `dbac-${suffix}`,
      dbfsCustomerManagedKey: props.dbfsCustomerManagedKey && { ...props.dbfsCustomerManagedKey, secretStore: props.secretStore },
      observability: props.observability,
    });
    this.workspaceResourceId = this.workspace.workspaceResourceId;
    this.workspaceUrl = this.workspace.workspaceUrl;

    this.networkConnectivity = new NetworkConnectivity(this, "network-connectivity", {
      accountProvider: props.accountProvider,
      workspace: this.workspace,
      name: props.networkConnectivityName ?? `ncc-${suffix}`,
      privateEndpointTargets: props.lake ? lakeEndpointTargets(props.lake) : {},
    });

    this.catalog = new LakehouseCatalog(this, "catalog", {
      provider: props.provider,
      workspace: this.workspace,
      lake: props.lake,
      tenantId: props.tenantId,
      catalogName: this.catalogName,
      comment: `Quarterly batch, ${props.environmentName}.`,
      principals: { jobServicePrincipal: props.jobServicePrincipal, dataEngineers: props.dataEngineers, mlConsumers: props.mlConsumers },
      dataEngineerAccess: props.dataEngineerAccess,
      lakePathPrefix: props.lakePathPrefix,
      lakeReachable: [...this.networkConnectivity.ready],
      metastorePrivilegesFor: props.grantMetastorePrivileges ? props.deployer : undefined,
      driftChecker: props.driftChecker,
    });

    const schedule = props.schedule ?? {};
    const timezone = schedule.timezoneId ?? "UTC";
    const tasks = this.tasks(props, timezone);
    this.job = new BatchJob(this, "job", {
      provider: props.provider,
      workspace: this.workspace,
      jobName,
      clusterPolicyName: `${suffix}-quarterly-job`,
      description: "Quarterly batch: check the landed file, then validate, quarantine, transform, write the lake and load PostgreSQL (PostgreSQL's schema and roles are migrated by the deploy).",
      codeDirectory: props.codeDirectory ?? BANK_ETL_CODE_DIRECTORY,
      codePaths: [...BANK_ETL_CODE_PATHS],
      codeFolder: props.codeFolder ?? `/jobs/${jobName}`,
      tasks: tasks.quarterly,
      deployTasks: tasks.deploy,
      deployJobName: `${jobName}-migrate`,
      adminSecretKeys: [props.sink?.adminCredential?.userSecretName, props.sink?.adminCredential?.passwordSecretName].filter(isDefined),
      deploymentSettings: this.deploymentSettings(props),
      schedule: { quartzCronExpression: schedule.quartzCronExpression ?? DEFAULT_QUARTERLY_CRON, timezoneId: timezone, paused: schedule.paused },
      cluster: props.cluster,
      clusterTags: { environment: props.environmentName, "cost-centre": props.costCentre },
      runAs: props.jobServicePrincipal,
      operators: props.dataEngineers ? [props.dataEngineers] : [],
      operatorPermission: (props.dataEngineerJobAccess ?? (isProduction(props.environmentName) ? "view" : "run")) === "view" ? "CAN_VIEW" : "CAN_MANAGE_RUN",
      owner: props.deployer,
      notificationAddresses: props.notificationAddresses,
      secretScope: { name: this.secretScopeName, secretStore: props.secretStore, azureDatabricksObjectId: props.azureDatabricksObjectId },
      runDurationWarningSeconds: props.runDurationWarningSeconds,
      tags: props.tags,
    });
    this.codeVersion = this.job.codeVersion;
    this.jobId = this.job.jobId;
    this.migrateJobId = this.job.deployJobId as string;
  }

  /**
   * What the stack-wide pass needs: the names the pipeline's parts make (by the prop that decides
   * each, so a clash names nameSuffix or the override), its providers' roles and its network's region.
   */
  private register(props: SparkBatchPipelineProps, names: { readonly suffix: string; readonly workspaceName: string }): void {
    const { suffix, workspaceName } = names;
    const by = (override: keyof SparkBatchPipelineProps) => (props[override] === undefined ? { prop: "nameSuffix", value: props.nameSuffix } : { prop: override, value: props[override] });
    const group = typeof props.resourceGroupName === "string" ? props.resourceGroupName : "";
    const claim = (kind: Parameters<typeof claimName>[1]["kind"], name: string, decidedBy: { prop: string; value: unknown }, within?: string) =>
      claimName(this, { kind, name, within, construct: "SparkBatchPipeline", ...decidedBy });
    if (typeof suffix === "string") {
      claim("databricksWorkspace", workspaceName, by("workspaceName"), group);
      claim("managedResourceGroup", props.managedResourceGroupName ?? `rg-dbw-${suffix}-managed`, by("managedResourceGroupName"));
      claim("accessConnector", `dbac-${suffix}`, { prop: "nameSuffix", value: props.nameSuffix }, group);
      claim("networkConnectivity", props.networkConnectivityName ?? `ncc-${suffix}`, by("networkConnectivityName"));
      claim("catalog", this.catalogName, by("catalogName"), props.metastoreId ?? "");
      claim("storageCredential", `${this.catalogName}_lake`, by("catalogName"), props.metastoreId ?? "");
    }
    if (props.provider) useDatabricksProvider(this, { provider: props.provider, role: "workspace", construct: "SparkBatchPipeline", prop: "provider" });
    if (props.accountProvider) useDatabricksProvider(this, { provider: props.accountProvider, role: "account", construct: "SparkBatchPipeline", prop: "accountProvider" });
    placeInNetwork(this, {
      construct: "SparkBatchPipeline",
      location: props.location,
      network: props.network,
      subnetIds: [props.workspaceSubnets?.host?.id, props.workspaceSubnets?.container?.id],
      because: "its workspace is VNet-injected, and runs in its VNet's region",
    });
    requireNetworkSubscription(this, {
      construct: "SparkBatchPipeline",
      kind: "workspace-vnet",
      provider: props.azurermProvider,
      network: props.network,
      subnetId: props.workspaceSubnets?.host?.id,
      subnetProp: "workspaceSubnets.host",
      because: WORKSPACE_VNET_SUBSCRIPTION_RULE,
    });
  }

  /**
   * The bank ETL's tasks (issue 13's fixed interface of spark/run_check.py, run_migrate.py,
   * run_etl.py): the quarterly job checks and loads; migrate, which signs in as the server's
   * administrator, is the deploy job's alone, which the deploy runs after each apply and no data
   * engineer may start.
   */
  private tasks(props: SparkBatchPipelineProps, timezone: string): { readonly quarterly: BatchJobTask[]; readonly deploy: BatchJobTask[] } {
    const sink = props.sink;
    const loader = this.loaderCredential;
    const input = this.landingUri(props);
    // verify-full needs the CA bundle the cluster has; the URI already carries a query string.
    const pgUrl = `${sink?.connectionUri}&sslrootcert=${CLUSTER_CA_BUNDLE}`;
    const schema = props.databaseSchema ?? "bank";
    const quarter = props.quarter === undefined ? [] : ["--quarter", props.quarter];
    const retried = { maxRetries: props.maxRetries ?? 2, minRetryIntervalMillis: props.minRetryIntervalMillis ?? 900_000 };
    const defined = (task: BatchJobTask): BatchJobTask => ({ ...task, parameters: (task.parameters ?? []).map((parameter) => parameter ?? "") });
    const quarterly: BatchJobTask[] = [
      {
        // Failures a retry cannot fix (no file, a missing column, no rows in scope) fail here, at once.
        key: "check",
        entryFile: "run_check.py",
        parameters: ["--input", input, "--timezone", timezone, ...quarter],
        maxRetries: 0,
        timeoutSeconds: 3600,
      },
      {
        key: "load",
        entryFile: "run_etl.py",
        dependsOn: ["check"],
        parameters: [
          "--input", input,
          // The ETL puts each data area's name in place of {container} and its paths under the
          // root: curated/<folder>transactions, features/<folder>quarterly, quarantine/<folder>rows.
          "--lake", this.lakeRoot(props),
          "--catalog", this.catalogName,
          "--pg-url", pgUrl,
          "--schema", schema,
          "--secret-scope", this.secretScopeName,
          "--pg-user-key", loader?.userSecretName as string,
          "--pg-password-key", loader?.passwordSecretName as string,
          "--timezone", timezone,
          ...quarter,
        ],
        secretKeys: [loader?.userSecretName, loader?.passwordSecretName].filter(isDefined),
        ...retried,
        timeoutSeconds: props.timeoutSeconds ?? 14_400,
      },
    ];
    const deploy: BatchJobTask[] = [
      {
        key: "migrate",
        entryFile: "run_migrate.py",
        parameters: [
          "--pg-url", pgUrl,
          "--schema", schema,
          "--secret-scope", this.secretScopeName,
          "--admin-user-key", sink?.adminCredential?.userSecretName as string,
          "--admin-password-key", sink?.adminCredential?.passwordSecretName as string,
          "--etl-role", loader?.login ?? "bank_etl",
          "--etl-password-key", loader?.passwordSecretName as string,
          "--reader-role", props.readerRole ?? "bank_reader",
          ...(this.readerCredential ? ["--reader-login", this.readerCredential.login, "--reader-password-key", this.readerCredential.passwordSecretName] : []),
        ],
        secretKeys: [
          sink?.adminCredential?.userSecretName,
          sink?.adminCredential?.passwordSecretName,
          loader?.passwordSecretName,
          this.readerCredential?.passwordSecretName,
        ].filter(isDefined),
        ...retried,
        timeoutSeconds: 3600,
      },
    ];
    return { quarterly: quarterly.map(defined), deploy: deploy.map(defined) };
  }

  /** The `abfss://` URI of the folder whose newest CSV/XLSX file the job reads. */
  private landingUri(props: SparkBatchPipelineProps): string {
    return props.lake?.abfssUri("landing", `${this.catalog.lakePathFolder}${props.landingPrefix ?? "bank/transactions/"}`);
  }

  /** The lake root the ETL writes under, with `{container}` for each data area. */
  private lakeRoot(props: SparkBatchPipelineProps): string {
    return `abfss://{container}@${props.lake?.accountName}.dfs.core.windows.net/${this.catalog.lakePathFolder}`;
  }

  /**
   * What the deploy decided about where the job's credentials may go (deployment.json beside the
   * code, which only admins can write): the server, database and port, the lake account and root,
   * the secret scope, and the secret keys each entry file may read. The job refuses a run whose
   * parameters say otherwise before it reads a secret.
   */
  private deploymentSettings(props: SparkBatchPipelineProps): Record<string, unknown> {
    const sink = props.sink;
    return {
      postgres: { host: sink?.fqdn, port: 5432, database: sink?.databaseName },
      lake: { account: props.lake?.accountName, root: this.lakeRoot(props) },
      input: this.landingUri(props),
    };
  }
}

function isDefined<T>(value: T | undefined): value is T {
  return value !== undefined;
}

/** The cluster tags the pipeline gives its job, in the order BatchJob adds them. */
const PIPELINE_CLUSTER_TAGS = { environment: "", "cost-centre": "" };

function validate(scope: Construct, v: PropValidator, props: SparkBatchPipelineProps): void {
  checkProviderType(v, scope, "azurermProvider", props.azurermProvider, "azurerm");
  checkProviderType(v, scope, "provider", props.provider, "databricks");
  checkProviderType(v, scope, "accountProvider", props.accountProvider, "databricks");
  // Its tags go on its Azure resources and on its job, whose limit is the tighter.
  checkPlacement(v, props, { maxTags: MAX_JOB_TAGS, added: addedJobTagNames(PIPELINE_CLUSTER_TAGS), holder: "its job" });
  v.required("nameSuffix", props.nameSuffix, "2-42 characters, lowercase letters, digits and hyphens, such as bank-prod");
  v.matches("nameSuffix", props.nameSuffix, /^[a-z0-9][a-z0-9-]{0,40}[a-z0-9]$/, "2-42 characters, lowercase letters, digits and hyphens, such as bank-prod");
  const suffix = props.nameSuffix;
  if (typeof suffix === "string" && !isUnresolved(suffix)) {
    const value = { value: suffix };
    if (props.networkConnectivityName === undefined) checkDerivedName(v, "nameSuffix", `ncc-${suffix}`, "network connectivity configuration", 30, { ...value, override: "networkConnectivityName" });
    if (props.workspaceName === undefined) checkDerivedName(v, "nameSuffix", `pe-dbw-${suffix}-ui-api-nic`, "UI/API private endpoint's network interface", 80, { ...value, override: "workspaceName" });
    checkDerivedName(v, "nameSuffix", `dbac-${suffix}`, "access connector", 64, value);
    if (props.secretScopeName === undefined) checkDerivedName(v, "nameSuffix", `${suffix}-kv`, "secret scope", 128, { ...value, override: "secretScopeName" });
  }
  v.required("environmentName", props.environmentName, "1-20 lowercase letters, digits and hyphens, starting with a letter");
  v.matches("environmentName", props.environmentName, /^[a-z][a-z0-9-]{0,19}$/, "1-20 lowercase letters, digits and hyphens, starting with a letter");
  v.required("costCentre", props.costCentre, "a non-empty cost centre for the cluster tag");
  v.required("tenantId", props.tenantId, "the Entra ID tenant id");
  v.once(`tenant:${props.tenantId}`, () => checkObjectId(v, "tenantId", props.tenantId, "the Entra ID tenant id of the access connector's identity"));
  for (const prop of ["provider", "accountProvider", "network", "secretStore", "lake", "sink", "cluster"] as const) {
    v.required(prop, props[prop], `the pipeline's ${prop} (see SparkBatchPipelineProps)`);
  }
  v.required("metastoreId", props.metastoreId, "the id (a GUID) of the region's Unity Catalog metastore");
  if (props.grantMetastorePrivileges) v.required("deployer", props.deployer, "the deploying principal, to which grantMetastorePrivileges grants the metastore privileges");
  if (props.deployer !== undefined) checkDatabricksPrincipal(v, "deployer", props.deployer);
  const [deployerName, jobName] = [props.deployer?.name, props.jobServicePrincipal?.name];
  if (typeof deployerName === "string" && !isUnresolved(deployerName) && typeof jobName === "string" && deployerName.toLowerCase() === jobName.toLowerCase()) {
    v.fail("deployer", deployerName, "a principal other than jobServicePrincipal: the job runs with no right to change the estate");
  }
  v.required("azureDatabricksObjectId", props.azureDatabricksObjectId, "the object id of the AzureDatabricks enterprise application in this tenant");
  checkDatabricksPrincipal(v, "jobServicePrincipal", props.jobServicePrincipal);
  const jobPrincipal = props.jobServicePrincipal;
  if (jobPrincipal && jobPrincipal.kind !== "servicePrincipal") {
    // The job's run-as: its BatchJob would refuse a group too, which this one report covers.
    v.once(`run-as-group:${jobPrincipal.name}`, () => v.fail("jobServicePrincipal", `${jobPrincipal.kind} ${jobPrincipal.name}`, "a service principal, DatabricksPrincipal.servicePrincipal(applicationId)"));
  }
  checkDatabricksPrincipal(v, "dataEngineers", props.dataEngineers);
  v.oneOf("dataEngineerJobAccess", props.dataEngineerJobAccess, DATA_ENGINEER_JOB_ACCESS);
  if (props.driftChecker !== undefined) checkDatabricksPrincipal(v, "driftChecker", props.driftChecker);
  const driftName = props.driftChecker?.name;
  if (typeof driftName === "string" && !isUnresolved(driftName) && typeof jobName === "string" && driftName.toLowerCase() === jobName.toLowerCase()) {
    v.fail("driftChecker", driftName, "a principal other than jobServicePrincipal: the drift check's identity is a workspace admin, which the job must never be");
  }
  checkDatabricksPrincipal(v, "mlConsumers", props.mlConsumers);
  if (props.dataEngineers && props.mlConsumers && !isUnresolved(props.dataEngineers.name) && props.dataEngineers.name === props.mlConsumers.name) {
    v.fail("mlConsumers", props.mlConsumers.name, "a principal other than dataEngineers");
  }
  v.matches("quarter", props.quarter, QUARTER, "a quarter such as 2022-Q3, or unset for the last finished quarter");
  v.matches("databaseSchema", props.databaseSchema, /^[a-z_][a-z0-9_]{0,62}$/, "1-63 lowercase letters, digits and underscores, not starting with a digit");
  v.matches("readerRole", props.readerRole, /^[a-z_][a-z0-9_]{0,62}$/, "1-63 lowercase letters, digits and underscores, not starting with a digit");
  v.check("landingPrefix", props.landingPrefix, (prefix) => prefix === "" || /^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*\/$/.test(prefix), "a folder path ending in /, such as bank/transactions/");
  // The ETL writes to containers named after its areas (it puts the area in place of {container}
  // in --lake); a lake whose written areas have other container names would get external
  // locations on those containers while the job writes elsewhere. The landing input is a full
  // URI, so a landing container of another name is honoured.
  for (const area of ETL_WRITTEN_AREAS) {
    const name = props.lake?.containerNames?.[area];
    if (name === undefined || isUnresolved(name) || name === area) continue;
    v.fail(`lake.containerNames.${area}`, name, `"${area}": the bank ETL writes to containers named after its areas (${ETL_WRITTEN_AREAS.join(", ")}), so a lake whose ${area} container has another name cannot hold this pipeline's data`);
  }
  const cron = props.schedule?.quartzCronExpression;
  // The job checks the expression too; this report speaks for both.
  v.once(`cron:${String(cron)}`, () => {
    const past = typeof cron === "string" ? yearAlreadyPast(cron) : undefined;
    if (past !== undefined) v.fail("schedule.quartzCronExpression", cron, `an expression that fires again, once a quarter: its year field ends in ${past}, so the job would never run`);
    else v.check("schedule.quartzCronExpression", cron, isQuarterlyCron, QUARTERLY_CRON_RULE);
  });
  // Retries, timeouts and the run-duration warning are checked by the BatchJob, per task.
}

/** True for an environment name that means production (`prod`, `production`, `prod-eu`). */
function isProduction(environmentName: unknown): boolean {
  return typeof environmentName === "string" && /^prod(uction)?($|-)/.test(environmentName);
}

/**
 * Warnings (not errors) for settings that are legal but unwise in production: a paused schedule
 * (the quarter's load never starts by itself) and data engineers with every privilege on the catalog.
 */
function warnOfProdSettings(pipeline: SparkBatchPipeline, props: SparkBatchPipelineProps): void {
  if (!isProduction(props.environmentName)) return;
  const warn = (message: string) => Annotations.of(pipeline).addWarning(`SparkBatchPipeline ${pipeline.node.path}: ${message}`);
  if (props.schedule?.paused === true) {
    warn(`schedule.paused is true in ${props.environmentName}: the quarterly job only runs when started by hand; unset it (or false) unless the pause is deliberate.`);
  }
  if (props.dataEngineerAccess === "all") {
    warn(`dataEngineerAccess "all" in ${props.environmentName} gives the data engineers every privilege on the catalog (they can change or drop what the job wrote); "read" is the production setting.`);
  }
}
