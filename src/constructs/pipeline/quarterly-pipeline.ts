import * as path from "node:path";
import { Annotations, ITerraformDependable } from "cdktf";
import { DatabricksAccessConnector } from "@cdktf/provider-azurerm/lib/databricks-access-connector";
import { AzurermProvider } from "@cdktf/provider-azurerm/lib/provider";
import { Construct, IConstruct } from "constructs";
import { DatabricksProvider } from "@cdktf/provider-databricks/lib/provider";
import { addedJobTagNames, BatchJob, BatchJobTask, JobClusterOptions, MAX_JOB_TAGS } from "../databricks/batch-job";
import { checkDatabricksPrincipal } from "../databricks/databricks-checks";
import { DatabricksWorkspace, DatabricksWorkspaceSubnets, DbfsCustomerManagedKey, IDatabricksWorkspace } from "../databricks/databricks-workspace";
import { DEFAULT_QUARTERLY_CRON, isQuarterlyCron, QUARTERLY_CRON_RULE, yearAlreadyPast } from "../databricks/job-schedule";
import { isRefusedLakePathPrefix, LakehouseCatalog } from "../databricks/lakehouse-catalog";
import { PublicationCredential } from "../databricks/publication-credential";
import { ILakeStorage } from "../storage/lake-storage";
import { LakeContainerName, LANDING_CONTAINER } from "../storage/lake-layout";
import { lakeEndpointTargets, NetworkConnectivity } from "../databricks/network-connectivity";
import { IObservability } from "../monitoring/observability";
import { DataEngineerAccess } from "../databricks/pipeline-grants";
import { checkPlacement, Placement } from "../core/placement";
import { checkObjectId, IDatabricksPrincipal } from "../core/principal";
import { claimName, placeInNetwork, useDatabricksProvider } from "../core/consistency";
import { DatabaseCredential, IRelationalSink, SinkDatabase } from "../postgres/relational-sink";
import { ISecretStore } from "../key-vault/secret-store";
import { ISecureNetwork } from "../network/secure-network";
import { checkDerivedName, isUnresolved, PropValidator } from "../core/validation";
import { useAzurermProvider } from "../core/providers";
import { notePipelineIdentity, notePrincipal } from "../core/stack-notes";
import { checkProviderType } from "../core/provider-setup";
import { requireNetworkSubscription, WORKSPACE_VNET_SUBSCRIPTION_RULE } from "../core/subscription-placement";
import { QuarterlyJobContext, QuarterlyJobDatabase, QuarterlyJobDefinition } from "./quarterly-job";
import { PACKAGE_SPARK_DIRECTORY } from "../core/package-code";

export type { JobClusterOptions } from "../databricks/batch-job";
export type { DatabricksWorkspaceSubnets, DbfsCustomerManagedKey } from "../databricks/databricks-workspace";

/** What data engineers may do with a pipeline's job. */
export const DATA_ENGINEER_JOB_ACCESS = ["run", "view"] as const;
export type DataEngineerJobAccess = (typeof DATA_ENGINEER_JOB_ACCESS)[number];

/** The CA bundle Databricks Runtime ships, which verifies the Azure PostgreSQL server certificate. */
export const CLUSTER_CA_BUNDLE = "/etc/ssl/certs/ca-certificates.crt";
/** The package's `spark/` folder (the nearest one above the constructs, in src/ or lib/). */
export { PACKAGE_SPARK_DIRECTORY };
/**
 * The package's files every job's code folder gets beside the job's own: the guard its entry
 * files call before reading a secret (it compares their parameters with deployment.json), and
 * the task that creates a pipeline's database roles.
 */
export const PLATFORM_FILES = ["deployment_guard.py", "quarterly_provision.py", "quarterly_roles.py"] as const;
const JOB_NAME = /^[a-z][a-z0-9_]{0,29}$/;

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

/** A sink whose server can hold a database per pipeline, such as {@link RelationalSink}. */
export interface IDatabaseIssuer {
  addDatabase(id: string, name: string): SinkDatabase;
}

function canIssueLogins(sink: IRelationalSink | undefined): sink is IRelationalSink & ILoginCredentialIssuer {
  return typeof (sink as Partial<ILoginCredentialIssuer> | undefined)?.addLoginCredential === "function";
}

function canAddDatabases(sink: IRelationalSink | undefined): sink is IRelationalSink & IDatabaseIssuer {
  return typeof (sink as Partial<IDatabaseIssuer> | undefined)?.addDatabase === "function";
}

export interface QuarterlyPipelineProps extends Placement {
  /**
   * The azurerm provider of the subscription this construct's resources go to, when it is not
   * the stack's default (such as a spoke subscription's aliased provider).
   * @default - the stack's default azurerm provider
   */
  readonly azurermProvider?: AzurermProvider;
  /** Suffix of every resource name, usually `<workload>-<environment>`, such as `cards-prod`. */
  readonly nameSuffix: string;
  /** Environment name, such as `prod`: a required cluster tag. */
  readonly environmentName: string;
  /** Cost centre: a required cluster tag, so compute cost is charged correctly. */
  readonly costCentre: string;
  /** Entra ID tenant of the access connector's identity (for the lake's trusted-resource rule). */
  readonly tenantId: string;
  /** The job the pipeline runs: its code, its tasks and what it needs (the bank ETL is {@link bankEtlJob}). */
  readonly job: QuarterlyJobDefinition;
  /**
   * A workspace to join instead of creating one: created by another pipeline of the stack
   * (`otherPipeline.workspace`) or imported (`DatabricksWorkspace.fromExisting`). The pipeline
   * assigns its principals to it and gets an access connector and storage credential of its own;
   * an imported workspace's network connectivity must already reach the lake.
   * @default - a workspace of the pipeline's own, with its network connectivity configuration
   */
  readonly workspace?: IDatabricksWorkspace;
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
  /**
   * The workspace's own host and container subnets, in `network`'s VNet and delegated to
   * Microsoft.Databricks/workspaces, each with an NSG. Azure gives every VNet-injected workspace a
   * pair of its own: the second pipeline on a network needs a second pair (existing subnets, as
   * `NetworkSubnet` values or another `SecureNetwork.fromExisting` view's Databricks subnets), and
   * synth refuses two workspaces on one subnet.
   * @default - the network's databricksHostSubnet and databricksContainerSubnet
   */
  readonly workspaceSubnets?: DatabricksWorkspaceSubnets;
  /** Vault behind the secret scope; it holds the database credentials. */
  readonly secretStore: ISecretStore;
  /** Lake the job reads (landing) and writes; its catalog container is the catalog root. */
  readonly lake: ILakeStorage;
  /**
   * PostgreSQL sink the job loads: the pipeline loads a database of its own on its server.
   * @default - none; required when the job uses a database
   */
  readonly sink?: IRelationalSink;
  /**
   * The pipeline's database on the sink's server. The sink's own database when the names match;
   * otherwise the pipeline adds it (`RelationalSink.addDatabase`). Two pipelines never share one.
   * @default - the job's name, such as `bank`
   */
  readonly databaseName?: string;
  /**
   * What the pipeline's logins and reader role are named after: `<loginPrefix>_etl`,
   * `<loginPrefix>_app`, `<loginPrefix>_reader`. Logins are server-wide, so two pipelines on one
   * server need different ones (synth refuses a login the server has already).
   * @default - databaseName
   */
  readonly loginPrefix?: string;
  /**
   * The login the job loads as (it owns the job's schema and nothing else).
   * @default - `sink.addLoginCredential` issues `<loginPrefix>_etl` when the sink can, such as RelationalSink
   */
  readonly loaderCredential?: DatabaseCredential;
  /**
   * Version of the loader's generated password when the sink issues it; bump it to rotate.
   * @default 1
   */
  readonly loaderPasswordVersion?: number;
  /**
   * The application's login: a member of `readerRole` and nothing else. `false` creates none.
   * @default - `sink.addLoginCredential` issues `<loginPrefix>_app` when the sink can, such as RelationalSink
   */
  readonly readerCredential?: DatabaseCredential | false;
  /**
   * Version of the reader login's generated password when the sink issues it; bump it to rotate.
   * @default 1
   */
  readonly readerPasswordVersion?: number;
  /**
   * PostgreSQL role with USAGE and SELECT only on the job's schema.
   * @default `<loginPrefix>_reader`
   */
  readonly readerRole?: string;
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
   * CREATE STORAGE CREDENTIAL, CREATE EXTERNAL LOCATION and CREATE CATALOG on the metastore (and
   * CREATE SERVICE CREDENTIAL for a job that `publishes`, as the bank ETL does);
   * preflight checks that it is named and is not the job's principal. It is the workspace's admin
   * through its Azure role, so it is not assigned to the workspace.
   * @default - unnamed: nothing is granted, and preflight reports it
   */
  readonly deployer?: IDatabricksPrincipal;
  /**
   * Grant `deployer` the metastore privileges it needs (a non-authoritative
   * `databricks_grant`), for a deployer that is a metastore admin without them.
   * @default false
   */
  readonly grantMetastorePrivileges?: boolean;
  /**
   * The identity of the weekly drift check (a plan that refreshes, run only from reviewed code on
   * the main branch): assigned to the workspace as an admin and given MANAGE on the catalog's
   * objects, which refreshing secret ACLs, object permissions, permission assignments and grants
   * needs (Databricks has no read-only admin). It must not be the job's principal.
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
   * @default - true when the workspace is private and no other workspace of the app holds the region's
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
   * Unity Catalog catalog of the pipeline.
   * @default nameSuffix with `-` as `_`, such as `cards_prod`
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
   * Folder, inside every lake container, that holds this pipeline's data: the catalog's external
   * locations and storage root, the landing folder and every path the job writes are all under it.
   * Give each pipeline that shares a lake its own prefix: synth refuses two pipelines claiming
   * overlapping locations on one lake, and each pipeline's lake roles are conditioned to its
   * prefix. Letters, digits, `.`, `_` and `-` in `/`-separated segments, such as `payments`.
   * @default - none: the container roots, so the pipeline must be the lake's only one
   */
  readonly lakePathPrefix?: string;
  /**
   * Folder of the landing container, under `lakePathPrefix`, where the pipeline's files are landed
   * (`landingUri`): `transactions/` with the prefix `payments` is
   * `abfss://landing@<lake>.dfs.core.windows.net/payments/transactions/`. Synth refuses one that
   * starts with the prefix's last folder again (`payments/transactions/`).
   * @default - the job's `landingFolder`, or the pipeline's folder of the landing container
   */
  readonly landingPrefix?: string;
  /**
   * Run duration that triggers the health warning e-mail, in seconds; less than the longest task timeout.
   * @default 7200 (2 hours)
   */
  readonly runDurationWarningSeconds?: number;
  /**
   * Workspace folder the job's code is uploaded to, outside `/Shared`.
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

/** The network connectivity each workspace a pipeline created reaches the lake through, to add a joining pipeline's lake to. */
const CONNECTIVITY = new WeakMap<IConstruct, { readonly connectivity: NetworkConnectivity; readonly lakes: Set<ILakeStorage> }>();

/**
 * A quarterly job on Databricks with everything it needs, composed of a {@link DatabricksWorkspace}
 * (or a workspace it joins), a {@link NetworkConnectivity} bound to it with private-endpoint rules
 * to the lake's `dfs` and `blob`, a {@link LakehouseCatalog} with its own storage credential, the
 * pipeline's database and logins on the sink, and a {@link BatchJob} of the job definition's tasks
 * (the tasks that hold an administrator's credential in a job of their own, which the deploy runs).
 */
export class QuarterlyPipeline extends Construct {
  readonly workspace: IDatabricksWorkspace;
  /** The network connectivity configuration, when the pipeline created its workspace. */
  readonly networkConnectivity?: NetworkConnectivity;
  readonly catalog: LakehouseCatalog;
  /** The service credential whose identity may write the job's `publishes` folder, when its definition has one. */
  readonly publicationCredential?: PublicationCredential;
  readonly job: BatchJob;
  /** Resource id of the workspace. */
  readonly workspaceResourceId: string;
  /** `https://` URL of the workspace. */
  readonly workspaceUrl: string;
  /** Name of the pipeline's catalog. */
  readonly catalogName: string;
  /** Name of the Key Vault-backed secret scope. */
  readonly secretScopeName: string;
  /** The `abfss://` folder the pipeline's files are landed in. */
  readonly landingUri: string;
  /** The pipeline's database, when its job uses one. */
  readonly databaseName?: string;
  /** The login the job loads as. */
  readonly loaderCredential?: DatabaseCredential;
  /** The application's read-only login, when there is one. */
  readonly readerCredential?: DatabaseCredential;
  /** The role with USAGE and SELECT only. */
  readonly readerRole?: string;
  /** Hash of every uploaded file. */
  readonly codeVersion: string;
  /** Id of the quarterly job. */
  readonly jobId: string;
  /** Id of the job the deploy runs after each apply (the tasks that hold an administrator's credential), when the job has any. */
  readonly deployJobId?: string;

  constructor(scope: Construct, id: string, props: QuarterlyPipelineProps) {
    super(scope, id);
    const constructName = new.target.name;
    const v = new PropValidator(constructName, this.node.path);
    validate(this, v, props, constructName);
    const suffix = props.nameSuffix ?? id;
    const placement = { resourceGroupName: props.resourceGroupName, location: props.location, tags: props.tags };
    const workspaceName = props.workspaceName ?? `dbw-${suffix}`;
    const job = props.job ?? ({} as QuarterlyJobDefinition);
    this.catalogName = props.catalogName ?? suffix.replace(/-/g, "_");
    this.secretScopeName = props.secretScopeName ?? `${suffix}-kv`;
    const jobName = `${suffix}-quarterly-etl`;

    const database = job.usesDatabase === false ? undefined : this.provideDatabase(v, id, props, job, constructName);
    this.databaseName = database?.name;
    this.loaderCredential = database?.loader;
    this.readerCredential = database?.reader;
    this.readerRole = database?.readerRole;
    // Names derived from a refused nameSuffix are that one problem, not one more per part.
    if (v.refused("nameSuffix")) {
      v.cover([
        workspaceName,
        props.managedResourceGroupName ?? `rg-dbw-${suffix}-managed`,
        `dbac-${suffix}`,
        `dbac-${suffix}-pub`,
        props.networkConnectivityName ?? `ncc-${suffix}`,
        this.catalogName,
        `${this.catalogName}_publication`,
        jobName,
        props.codeFolder ?? `/jobs/${jobName}`,
        `${suffix}-quarterly-job`,
        this.secretScopeName,
      ]);
    }
    v.report(this);
    this.register(props, { suffix, workspaceName }, constructName);
    notePrincipal(this, props.jobServicePrincipal?.name, `the service principal ${jobName} runs as`);
    notePrincipal(this, props.deployer?.name, "the deploying identity (deploy pipeline)");
    notePrincipal(this, props.driftChecker?.name, "the drift check's identity (drift pipeline)");
    notePipelineIdentity(this, "deploy", props.deployer?.name);
    notePipelineIdentity(this, "drift", props.driftChecker?.name);
    notePrincipal(this, props.dataEngineers?.name, "the data engineers");
    notePrincipal(this, props.mlConsumers?.name, "the machine-learning consumers");
    warnOfProdSettings(this, props, constructName);

    useAzurermProvider(this, props.azurermProvider);
    const principals = [props.jobServicePrincipal, props.dataEngineers, props.mlConsumers].filter((principal) => principal !== undefined);
    let accessConnector: { readonly id: string; readonly principalId: string } | undefined;
    let lakeReachable: readonly ITerraformDependable[] = [];
    if (props.workspace) {
      // A pipeline joining a workspace: its principals assigned, its own connector (so its lake
      // roles and storage credential reach its data only), and the workspace's NCC to its lake.
      this.workspace = props.workspace;
      this.workspace.assignPrincipals(this, [...principals, ...(props.driftChecker ? [props.driftChecker] : [])]);
      const connector = new DatabricksAccessConnector(this, "access-connector", { ...placement, provider: props.azurermProvider, name: `dbac-${suffix}`, identity: { type: "SystemAssigned" } });
      accessConnector = { id: connector.id, principalId: connector.identity.principalId };
      const owned = CONNECTIVITY.get(props.workspace);
      if (owned && props.lake && !owned.lakes.has(props.lake)) {
        owned.lakes.add(props.lake);
        owned.connectivity.addPrivateEndpointTargets(`${id}-lake`, lakeEndpointTargets(props.lake));
      }
      lakeReachable = owned ? owned.connectivity.ready : [];
    } else {
      const workspace = new DatabricksWorkspace(this, "workspace", {
        ...placement,
        azurermProvider: props.azurermProvider,
        name: workspaceName,
        provider: props.provider as DatabricksProvider,
        network: props.network as ISecureNetwork,
        subnets: props.workspaceSubnets,
        principals,
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
      this.workspace = workspace;
      this.networkConnectivity = new NetworkConnectivity(this, "network-connectivity", {
        accountProvider: props.accountProvider as DatabricksProvider,
        workspace,
        name: props.networkConnectivityName ?? `ncc-${suffix}`,
        privateEndpointTargets: props.lake ? lakeEndpointTargets(props.lake) : {},
      });
      CONNECTIVITY.set(workspace, { connectivity: this.networkConnectivity, lakes: new Set(props.lake ? [props.lake] : []) });
      lakeReachable = this.networkConnectivity.ready;
    }
    this.workspaceResourceId = this.workspace.workspaceResourceId;
    this.workspaceUrl = this.workspace.workspaceUrl;
    const provider = props.provider ?? this.workspace.provider;

    // A prefix the catalog refuses is that one problem, not one more for the folder under it.
    const publishes = job.publishes !== undefined && props.lake !== undefined && props.jobServicePrincipal !== undefined && !isRefusedLakePathPrefix(props.lakePathPrefix);
    this.catalog = new LakehouseCatalog(this, "catalog", {
      provider,
      workspace: this.workspace,
      lake: props.lake,
      tenantId: props.tenantId,
      catalogName: this.catalogName,
      comment: `Quarterly batch, ${props.environmentName}.`,
      principals: { jobServicePrincipal: props.jobServicePrincipal, dataEngineers: props.dataEngineers, mlConsumers: props.mlConsumers },
      dataEngineerAccess: props.dataEngineerAccess,
      lakePathPrefix: props.lakePathPrefix,
      lakeReachable: [...lakeReachable],
      metastorePrivilegesFor: props.grantMetastorePrivileges ? props.deployer : undefined,
      driftChecker: props.driftChecker,
      accessConnector,
      createsServiceCredential: publishes,
    });

    const folder = this.catalog.lakePathFolder;
    if (job.publishes && publishes) {
      this.publicationCredential = new PublicationCredential(this, "publication-credential", {
        ...placement,
        azurermProvider: props.azurermProvider,
        provider,
        lake: props.lake as ILakeStorage,
        container: job.publishes.container,
        folder: `${folder}${job.publishes.folder}`,
        name: `${this.catalogName}_publication`,
        accessConnectorName: `dbac-${suffix}-pub`,
        users: [props.jobServicePrincipal as IDatabricksPrincipal],
        driftChecker: props.driftChecker,
        dependsOn: this.catalog.metastoreReady,
      });
    }

    const schedule = props.schedule ?? {};
    const timezone = schedule.timezoneId ?? "UTC";
    this.landingUri = props.lake?.abfssUri(LANDING_CONTAINER, `${folder}${props.landingPrefix ?? job.landingFolder ?? ""}`);
    const lakeRoot = `abfss://{container}@${props.lake?.accountName}.dfs.core.windows.net/${folder}`;
    const context: QuarterlyJobContext = {
      nameSuffix: suffix,
      jobName,
      timezone,
      landingUri: this.landingUri,
      lakeRoot,
      lakeUri: (container: LakeContainerName, filePath = "") => props.lake?.abfssUri(container, `${folder}${filePath}`),
      catalogName: this.catalogName,
      secretScopeName: this.secretScopeName,
      database,
      provisionTask: (schema: string) => provisionTask(this.secretScopeName, schema, database),
      publicationCredentialName: this.publicationCredential?.credentialName,
    };
    const tasks = typeof job.tasks === "function" ? job.tasks(context) : { quarterly: [] };
    const codeDirectory = job.codeDirectory;
    this.job = new BatchJob(this, "job", {
      provider,
      workspace: this.workspace,
      jobName,
      clusterPolicyName: `${suffix}-quarterly-job`,
      description: job.description,
      codeDirectory,
      codePaths: job.codePaths ? [...job.codePaths] : undefined,
      requirementsFile: job.requirementsFile,
      // The package's guard and provisioning task, beside a team's own code (the bank ETL ships them).
      extraFiles: codeDirectory !== undefined && path.resolve(codeDirectory) === PACKAGE_SPARK_DIRECTORY ? undefined : PLATFORM_FILES.map((file) => ({ directory: PACKAGE_SPARK_DIRECTORY, path: file })),
      codeFolder: props.codeFolder ?? `/jobs/${jobName}`,
      tasks: tasks.quarterly,
      deployTasks: tasks.deploy && tasks.deploy.length > 0 ? tasks.deploy : undefined,
      deployJobName: `${jobName}-migrate`,
      adminSecretKeys: database ? [database.admin.userSecretName, database.admin.passwordSecretName].filter(isDefined) : undefined,
      deploymentSettings: {
        ...(database ? { postgres: { host: database.host, port: database.port, database: database.name, sslmode: "verify-full" } } : {}),
        lake: { account: props.lake?.accountName, root: lakeRoot },
        input: this.landingUri,
      },
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
    this.deployJobId = this.job.deployJobId;
  }

  /**
   * The pipeline's database on the sink's server (the sink's own when the names match) and its
   * logins, which the sink issues: `<database>_etl` and `<database>_app`, so two pipelines on one
   * server never share a login.
   */
  private provideDatabase(v: PropValidator, id: string, props: QuarterlyPipelineProps, job: QuarterlyJobDefinition, constructName: string): QuarterlyJobDatabase | undefined {
    const sink = props.sink;
    if (sink === undefined) {
      v.fail("sink", undefined, `the IRelationalSink the job loads: job ${String(job.name)} uses a database (set usesDatabase: false in its definition when it does not)`);
      return undefined;
    }
    const name = props.databaseName ?? job.name;
    let sinkDatabase: SinkDatabase = { databaseName: sink.databaseName, connectionUri: sink.connectionUri };
    if (typeof name === "string" && name !== sink.databaseName) {
      if (!canAddDatabases(sink)) {
        v.fail("databaseName", name, `the sink's database "${sink.databaseName}": this sink cannot add one (RelationalSink can)`);
        return undefined;
      }
      sinkDatabase = sink.addDatabase(`${id}-database`, name);
    }
    claimName(this, { kind: "database", name: sinkDatabase.databaseName, within: sink.node.path, construct: constructName, prop: props.databaseName === undefined ? "job.name" : "databaseName", value: name });
    const login = (suffix: string) => `${props.loginPrefix ?? sinkDatabase.databaseName}_${suffix}`;
    const issue = (credentialId: string, loginName: string, passwordVersion: number | undefined) =>
      canIssueLogins(sink) ? sink.addLoginCredential(`${id}-${credentialId}`, { login: loginName, passwordVersion }) : undefined;
    const loader = props.loaderCredential ?? issue("loader", login("etl"), props.loaderPasswordVersion);
    const reader = props.readerCredential === false ? undefined : (props.readerCredential ?? issue("reader", login("app"), props.readerPasswordVersion));
    if (!loader) {
      v.fail("loaderCredential", undefined, "the loader's DatabaseCredential (login, userSecretName, passwordSecretName), required when the sink cannot issue one (RelationalSink.addLoginCredential)");
      return undefined;
    }
    return {
      host: sink.fqdn,
      port: 5432,
      name: sinkDatabase.databaseName,
      // verify-full needs the CA bundle the cluster has; the URI already carries a query string.
      url: `${sinkDatabase.connectionUri}&sslrootcert=${CLUSTER_CA_BUNDLE}`,
      loader,
      reader,
      readerRole: props.readerRole ?? login("reader"),
      admin: sink.adminCredential,
    };
  }

  /**
   * What the stack-wide pass needs: the names the pipeline's parts make (by the prop that decides
   * each, so a clash names nameSuffix or the override), its providers' roles and its network's region.
   */
  private register(props: QuarterlyPipelineProps, names: { readonly suffix: string; readonly workspaceName: string }, constructName: string): void {
    const { suffix, workspaceName } = names;
    const by = (override: keyof QuarterlyPipelineProps) => (props[override] === undefined ? { prop: "nameSuffix", value: props.nameSuffix } : { prop: override, value: props[override] });
    const group = typeof props.resourceGroupName === "string" ? props.resourceGroupName : "";
    const claim = (kind: Parameters<typeof claimName>[1]["kind"], name: string, decidedBy: { prop: string; value: unknown }, within?: string) =>
      claimName(this, { kind, name, within, construct: constructName, ...decidedBy });
    if (typeof suffix === "string") {
      if (props.workspace === undefined) {
        claim("databricksWorkspace", workspaceName, by("workspaceName"), group);
        claim("managedResourceGroup", props.managedResourceGroupName ?? `rg-dbw-${suffix}-managed`, by("managedResourceGroupName"));
      }
      claim("accessConnector", `dbac-${suffix}`, { prop: "nameSuffix", value: props.nameSuffix }, group);
      if (props.workspace === undefined) claim("networkConnectivity", props.networkConnectivityName ?? `ncc-${suffix}`, by("networkConnectivityName"));
      claim("catalog", this.catalogName, by("catalogName"), props.metastoreId ?? "");
      claim("storageCredential", `${this.catalogName}_lake`, by("catalogName"), props.metastoreId ?? "");
    }
    if (props.provider) useDatabricksProvider(this, { provider: props.provider, role: "workspace", construct: constructName, prop: "provider" });
    if (props.accountProvider) useDatabricksProvider(this, { provider: props.accountProvider, role: "account", construct: constructName, prop: "accountProvider" });
    if (props.workspace === undefined) {
      placeInNetwork(this, {
        construct: constructName,
        location: props.location,
        network: props.network,
        subnetIds: [props.workspaceSubnets?.host?.id, props.workspaceSubnets?.container?.id],
        because: "its workspace is VNet-injected, and runs in its VNet's region",
      });
      requireNetworkSubscription(this, {
        construct: constructName,
        kind: "workspace-vnet",
        provider: props.azurermProvider,
        network: props.network,
        subnetId: props.workspaceSubnets?.host?.id,
        subnetProp: "workspaceSubnets.host",
        because: WORKSPACE_VNET_SUBSCRIPTION_RULE,
      });
    }
  }
}

/** The package's task that creates a pipeline's roles as the server administrator, in the deploy job. */
export function provisionTask(secretScopeName: string, schema: string, database: QuarterlyJobDatabase | undefined): BatchJobTask {
  const reader = database?.reader;
  return {
    key: "provision",
    entryFile: "quarterly_provision.py",
    parameters: [
      "--pg-url", database?.url ?? "",
      "--schema", schema,
      "--secret-scope", secretScopeName,
      "--admin-user-key", database?.admin.userSecretName ?? "",
      "--admin-password-key", database?.admin.passwordSecretName ?? "",
      "--owner-login", database?.loader.login ?? "",
      "--owner-password-key", database?.loader.passwordSecretName ?? "",
      "--reader-role", database?.readerRole ?? "",
      ...(reader ? ["--reader-login", reader.login, "--reader-password-key", reader.passwordSecretName] : []),
    ],
    secretKeys: [database?.admin.userSecretName, database?.admin.passwordSecretName, database?.loader.passwordSecretName, reader?.passwordSecretName].filter(isDefined),
    maxRetries: 2,
    minRetryIntervalMillis: 300_000,
    timeoutSeconds: 1800,
  };
}

/** Whether a runtime key such as `16.4.x-scala2.12` is at least `major.minor`. */
function runtimeAtLeast(version: string, major: number, minor: number): boolean {
  const [versionMajor, versionMinor] = version.split(".").map(Number);
  return versionMajor > major || (versionMajor === major && versionMinor >= minor);
}

export function isDefined<T>(value: T | undefined): value is T {
  return value !== undefined;
}

/** The cluster tags the pipeline gives its job, in the order BatchJob adds them. */
const PIPELINE_CLUSTER_TAGS = { environment: "", "cost-centre": "" };

function validate(scope: Construct, v: PropValidator, props: QuarterlyPipelineProps, constructName: string): void {
  checkProviderType(v, scope, "azurermProvider", props.azurermProvider, "azurerm");
  checkProviderType(v, scope, "provider", props.provider, "databricks");
  checkProviderType(v, scope, "accountProvider", props.accountProvider, "databricks");
  // Its tags go on its Azure resources and on its job, whose limit is the tighter.
  checkPlacement(v, props, { maxTags: MAX_JOB_TAGS, added: addedJobTagNames(PIPELINE_CLUSTER_TAGS), holder: "its job" });
  v.required("nameSuffix", props.nameSuffix, "2-42 characters, lowercase letters, digits and hyphens, such as bank-prod");
  v.matches("nameSuffix", props.nameSuffix, /^[a-z0-9][a-z0-9-]{0,40}[a-z0-9]$/, "2-42 characters, lowercase letters, digits and hyphens, such as bank-prod");
  const suffix = props.nameSuffix;
  const creating = props.workspace === undefined;
  if (typeof suffix === "string" && !isUnresolved(suffix)) {
    const value = { value: suffix };
    if (creating && props.networkConnectivityName === undefined) checkDerivedName(v, "nameSuffix", `ncc-${suffix}`, "network connectivity configuration", 30, { ...value, override: "networkConnectivityName" });
    if (creating && props.workspaceName === undefined) checkDerivedName(v, "nameSuffix", `pe-dbw-${suffix}-ui-api-nic`, "UI/API private endpoint's network interface", 80, { ...value, override: "workspaceName" });
    checkDerivedName(v, "nameSuffix", `dbac-${suffix}`, "access connector", 64, value);
    if (props.job?.publishes !== undefined) checkDerivedName(v, "nameSuffix", `dbac-${suffix}-pub`, "publication credential's access connector", 64, value);
    if (props.secretScopeName === undefined) checkDerivedName(v, "nameSuffix", `${suffix}-kv`, "secret scope", 128, { ...value, override: "secretScopeName" });
  }
  v.required("environmentName", props.environmentName, "1-20 lowercase letters, digits and hyphens, starting with a letter");
  v.matches("environmentName", props.environmentName, /^[a-z][a-z0-9-]{0,19}$/, "1-20 lowercase letters, digits and hyphens, starting with a letter");
  v.required("costCentre", props.costCentre, "a non-empty cost centre for the cluster tag");
  v.required("tenantId", props.tenantId, "the Entra ID tenant id");
  v.once(`tenant:${props.tenantId}`, () => checkObjectId(v, "tenantId", props.tenantId, "the Entra ID tenant id of the access connector's identity"));
  v.required("job", props.job, "a QuarterlyJobDefinition, such as bankEtlJob() or your own job's");
  if (props.job !== undefined) {
    v.matches("job.name", props.job.name, JOB_NAME, "1-30 lowercase letters, digits and underscores, starting with a letter (it names the database and its logins)");
    v.required("job.codeDirectory", props.job.codeDirectory, "the local directory of the job's code");
    for (const problem of props.job.problems?.() ?? []) v.fail(problem.prop ?? `job.${problem.option}`, problem.value, problem.allowed);
    // The job takes the publication credential's token with dbutils.credentials, which Databricks
    // Runtime has from 16.2 (Databricks: "Use Unity Catalog service credentials", requirements).
    if (props.job.publishes !== undefined) {
      v.check("cluster.sparkVersion", props.cluster?.sparkVersion, (version) => !/^\d+\.\d+\./.test(version) || runtimeAtLeast(version, 16, 2), "Databricks Runtime 16.2 or later, such as 17.3.x-scala2.13: the job publishes with a Unity Catalog service credential (dbutils.credentials)");
    }
  }
  const required: Array<keyof QuarterlyPipelineProps> = ["secretStore", "lake", "cluster", ...(creating ? (["provider", "accountProvider", "network"] as const) : [])];
  for (const prop of required) v.required(prop, props[prop], `the pipeline's ${prop} (see ${constructName}Props)`);
  if (!creating) {
    for (const prop of ["network", "workspaceSubnets", "accountProvider", "workspaceName", "managedResourceGroupName", "networkConnectivityName", "dbfsCustomerManagedKey", "publicNetworkAccess", "browserAuthentication"] as const) {
      if (props[prop] !== undefined) v.fail(prop, props[prop], `unset: the pipeline joins the workspace ${props.workspace?.node.path}, whose owner sets its ${prop}`);
    }
    if (props.provider !== undefined && props.workspace?.provider !== undefined && props.provider !== props.workspace.provider) {
      v.fail("provider", `databricks.${props.provider.alias ?? "(default)"}`, `unset, or the provider of the workspace it joins (databricks.${props.workspace.provider.alias ?? "(default)"}): one provider per workspace`);
    }
  }
  v.matches("loginPrefix", props.loginPrefix, /^[a-z][a-z0-9_]{0,50}$/, "1-51 lowercase letters, digits and underscores, starting with a letter");
  v.matches("databaseName", props.databaseName, /^[a-z_][a-z0-9_]{0,30}$/, "1-31 lowercase letters, digits and underscores, not starting with a digit (it names the logins too)");
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
  v.matches("readerRole", props.readerRole, /^[a-z_][a-z0-9_]{0,62}$/, "1-63 lowercase letters, digits and underscores, not starting with a digit");
  checkLandingPrefix(v, props);
  // A job that puts each data area's name in place of {container} writes to containers of those names.
  for (const area of props.job?.writesAreasByName ?? []) {
    const name = props.lake?.containerNames?.[area];
    if (name === undefined || isUnresolved(name) || name === area) continue;
    v.fail(`lake.containerNames.${area}`, name, `"${area}": the job (${props.job.name}) writes to containers named after its areas (${props.job.writesAreasByName?.join(", ")}), so a lake whose ${area} container has another name cannot hold this pipeline's data`);
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

/** The landing folder: a path under the pipeline's prefix, which must not name the prefix again. */
function checkLandingPrefix(v: PropValidator, props: QuarterlyPipelineProps): void {
  const landing = props.landingPrefix ?? props.job?.landingFolder;
  const prop = props.landingPrefix !== undefined ? "landingPrefix" : "job.landingFolder";
  if (landing === undefined || isUnresolved(landing)) return;
  if (!(landing === "" || /^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*\/$/.test(landing))) {
    v.fail(prop, landing, "a folder path ending in /, such as transactions/, or empty for the pipeline's folder");
    return;
  }
  const prefix = props.lakePathPrefix;
  if (typeof prefix !== "string" || prefix === "" || isUnresolved(prefix)) return;
  const last = prefix.replace(/\/+$/, "").split("/").pop() as string;
  if (landing.split("/")[0] === last) {
    const rest = landing.split("/").slice(1).join("/");
    v.fail(
      prop,
      landing,
      `a folder under lakePathPrefix "${prefix}", which it is applied inside: "${landing}" lands at ${prefix.replace(/\/+$/, "")}/${landing}; set landingPrefix to "${rest}" (or another folder that does not repeat ${last})`,
    );
  }
}

/** True for an environment name that means production (`prod`, `production`, `prod-eu`). */
export function isProduction(environmentName: unknown): boolean {
  return typeof environmentName === "string" && /^prod(uction)?($|-)/.test(environmentName);
}

/**
 * Warnings (not errors) for settings that are legal but unwise in production: a paused schedule
 * (the quarter's load never starts by itself) and data engineers with every privilege on the catalog.
 */
function warnOfProdSettings(pipeline: QuarterlyPipeline, props: QuarterlyPipelineProps, constructName: string): void {
  if (!isProduction(props.environmentName)) return;
  const warn = (message: string) => Annotations.of(pipeline).addWarning(`${constructName} ${pipeline.node.path}: ${message}`);
  if (props.schedule?.paused === true) {
    warn(`schedule.paused is true in ${props.environmentName}: the quarterly job only runs when started by hand; unset it (or false) unless the pause is deliberate.`);
  }
  if (props.dataEngineerAccess === "all") {
    warn(`dataEngineerAccess "all" in ${props.environmentName} gives the data engineers every privilege on the catalog (they can change or drop what the job wrote); "read" is the production setting.`);
  }
}
