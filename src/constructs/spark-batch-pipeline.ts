import * as path from "node:path";
import { existsSync, readFileSync } from "node:fs";
import { Construct } from "constructs";
import { Annotations, Token } from "cdktf";
import { DatabricksAccessConnector } from "@cdktf/provider-azurerm/lib/databricks-access-connector";
import { DatabricksWorkspace } from "@cdktf/provider-azurerm/lib/databricks-workspace";
import { DatabricksWorkspaceRootDbfsCustomerManagedKey } from "@cdktf/provider-azurerm/lib/databricks-workspace-root-dbfs-customer-managed-key";
import { RoleAssignment } from "@cdktf/provider-azurerm/lib/role-assignment";
import { Catalog } from "@cdktf/provider-databricks/lib/catalog";
import { ClusterPolicy } from "@cdktf/provider-databricks/lib/cluster-policy";
import { Directory } from "@cdktf/provider-databricks/lib/directory";
import { ExternalLocation } from "@cdktf/provider-databricks/lib/external-location";
import { Grants, GrantsGrant } from "@cdktf/provider-databricks/lib/grants";
import { Job, JobTaskLibrary } from "@cdktf/provider-databricks/lib/job";
import { MetastoreAssignment } from "@cdktf/provider-databricks/lib/metastore-assignment";
import { Permissions, PermissionsAccessControl } from "@cdktf/provider-databricks/lib/permissions";
import { Schema } from "@cdktf/provider-databricks/lib/schema";
import { SecretAcl } from "@cdktf/provider-databricks/lib/secret-acl";
import { SecretScope } from "@cdktf/provider-databricks/lib/secret-scope";
import { StorageCredential } from "@cdktf/provider-databricks/lib/storage-credential";
import { WorkspaceFile } from "@cdktf/provider-databricks/lib/workspace-file";
import { DATA_SECURITY_MODES, DATABRICKS_RUNTIME, DataSecurityMode, jobClusterPolicyDefinition } from "./cluster-policy";
import { codeVersion, collectJobCode, JOB_ENTRY_POINT, JOB_REQUIREMENTS, JobCodeFile, parseRequirements } from "./job-code";
import { DEFAULT_QUARTERLY_CRON, isIanaTimeZone, isQuarterlyCron, QUARTERLY_CRON_RULE } from "./job-schedule";
import { LakeStorage } from "./lake-storage";
import { Observability } from "./observability";
import {
  CATALOG_SCHEMAS,
  DATA_ENGINEER_ACCESS_LEVELS,
  DataEngineerAccess,
  EXTERNAL_LOCATION_AREAS,
  ExternalLocationArea,
  FORBIDDEN_PRINCIPALS,
  Grantee,
  GRANTEES,
  GrantSet,
  pipelineGrantSet,
  Securable,
  WORKSPACE_PERMISSIONS,
} from "./pipeline-grants";
import { Placement } from "./placement";
import { privateEndpoint } from "./private-endpoint";
import { RelationalSink } from "./relational-sink";
import { SecretStore } from "./secret-store";
import { SecureNetwork } from "./secure-network";
import { isRfc3339Utc, isUnresolved, PropValidator } from "./validation";

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const GUID_RULE = "a GUID such as 00000000-0000-0000-0000-000000000000";
/** Databricks account group names: letters, digits, spaces and `._@-`, no leading or trailing space. */
const GROUP_NAME = /^[A-Za-z0-9._@-](?:[A-Za-z0-9 ._@-]{0,253}[A-Za-z0-9._@-])?$/;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const QUARTER = /^\d{4}-Q[1-4]$/;

/** The job's cluster size and VM sizes. */
export interface JobClusterOptions {
  /** VM sizes the cluster policy allows, such as `Standard_D4ds_v5`; the first is the job's. */
  readonly nodeTypeIds: string[];
  /** Fewest workers the job cluster scales down to (1 or more). */
  readonly minWorkers: number;
  /** Most workers the job cluster scales up to; at least `minWorkers`. */
  readonly maxWorkers: number;
  /**
   * Databricks runtime of the policy and the cluster.
   * @default DATABRICKS_RUNTIME ("17.3.x-scala2.13", Spark 4.0.0 like spark/)
   */
  readonly sparkVersion?: string;
  /**
   * Access mode, pinned by the policy. `SINGLE_USER` runs as the job's service principal alone,
   * with the full Spark API and Unity Catalog.
   * @default "SINGLE_USER"
   */
  readonly dataSecurityMode?: DataSecurityMode;
}

/** When the job runs. */
export interface JobScheduleOptions {
  /**
   * Quartz cron expression; must fire once a quarter (see QUARTERLY_CRON_RULE).
   * @default DEFAULT_QUARTERLY_CRON ("0 0 2 1 1,4,7,10 ?", 02:00 on the first day of each quarter)
   */
  readonly quartzCronExpression?: string;
  /**
   * IANA time zone of the cron expression, such as `Europe/Amsterdam`.
   * @default "UTC"
   */
  readonly timezoneId?: string;
  /**
   * Create the schedule paused, so the job only runs when started by hand.
   * @default false
   */
  readonly paused?: boolean;
}

export interface SparkBatchPipelineProps extends Placement {
  /** Suffix of every resource name, usually `<workload>-<environment>`, such as `bank-prod`. */
  readonly nameSuffix: string;
  /** Environment name, such as `prod`: a required cluster tag and part of the code folder. */
  readonly environmentName: string;
  /** Cost centre: a required cluster tag, so compute cost is charged correctly. */
  readonly costCentre: string;
  /** Entra ID tenant of the access connector's identity (for the lake's trusted-resource rule). */
  readonly tenantId: string;
  /** Network whose Databricks subnets host the clusters and whose endpoint subnet hosts the private endpoint. */
  readonly network: SecureNetwork;
  /** Vault behind the secret scope; it holds the PostgreSQL credentials. */
  readonly secretStore: SecretStore;
  /** Lake the job reads (landing) and writes (curated, features, quarantine); its catalog container is the catalog root. */
  readonly lake: LakeStorage;
  /** PostgreSQL sink the job loads. */
  readonly sink: RelationalSink;
  /** Id of the region's Unity Catalog metastore (one per account and region, created once in the account console). */
  readonly metastoreId: string;
  /**
   * Object id, in this tenant, of the AzureDatabricks first-party service principal (application
   * id 2ff814a6-3304-4ab8-85cb-cd0e6f879c1d), which reads the vault for the secret scope. Find it
   * with `az ad sp show --id 2ff814a6-3304-4ab8-85cb-cd0e6f879c1d --query id -o tsv`.
   */
  readonly azureDatabricksObjectId: string;
  /** Application (client) id of the service principal the job runs as; it must be registered in the Databricks account and workspace. */
  readonly jobServicePrincipalApplicationId: string;
  /** Databricks account group of the data engineers. */
  readonly dataEngineersGroup: string;
  /** Databricks account group of the ML consumers, who read the features schema. */
  readonly mlConsumersGroup: string;
  /** Addresses that receive failure and long-run warnings. */
  readonly notificationAddresses: string[];
  /** VM sizes and autoscale bounds of the job cluster and its policy. */
  readonly cluster: JobClusterOptions;
  /**
   * What data engineers may do in the catalog: `all` privileges (dev) or `read`.
   * @default "read"
   */
  readonly dataEngineerAccess?: DataEngineerAccess;
  /**
   * Keep the workspace reachable from the internet. When false the workspace has a
   * `databricks_ui_api` private endpoint and no Azure Databricks NSG rules (back-end Private Link).
   * @default false
   */
  readonly publicNetworkAccess?: boolean;
  /**
   * Why the workspace stays public; required when `publicNetworkAccess` is true.
   * @default - none
   */
  readonly publicNetworkAccessReason?: string;
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
   * @default - none; the ETL loads the last quarter that ended before the run date
   */
  readonly quarter?: string;
  /**
   * Folder (under the landing container) whose newest CSV/XLSX file the job reads.
   * @default "bank/transactions/"
   */
  readonly landingPrefix?: string;
  /**
   * PostgreSQL schema the job loads.
   * @default "bank"
   */
  readonly databaseSchema?: string;
  /**
   * Retries of a failed run (0 to 10).
   * @default 2
   */
  readonly maxRetries?: number;
  /**
   * Wait before a retry, in milliseconds (at least one minute).
   * @default 900000 (15 minutes)
   */
  readonly minRetryIntervalMillis?: number;
  /**
   * Time after which a run attempt is stopped, in seconds.
   * @default 14400 (4 hours)
   */
  readonly timeoutSeconds?: number;
  /**
   * Run duration that triggers the health warning e-mail, in seconds; less than `timeoutSeconds`.
   * @default 7200 (2 hours)
   */
  readonly runDurationWarningSeconds?: number;
  /**
   * Local directory holding the job package (`run_etl.py`, `bank_etl/`, `requirements.txt`).
   * @default - the repository's `spark/` folder
   */
  readonly codeDirectory?: string;
  /**
   * Workspace folder the job package is uploaded to. Outside `/Shared` on purpose: every user
   * can change files in `/Shared`, and the job runs that code with the service principal's rights.
   * @default `/bank-etl/${environmentName}`
   */
  readonly codeFolder?: string;
  /**
   * Encrypt the workspace's root DBFS storage account with an HSM-backed key in `secretStore`
   * (which must be a premium vault). The key rotates itself; the workspace's storage identity
   * gets "Key Vault Crypto Service Encryption User" on it.
   * @default - Microsoft-managed keys for root DBFS
   */
  readonly dbfsCustomerManagedKey?: DbfsCustomerManagedKey;
  /**
   * Where the workspace's diagnostic logs go.
   * @default - no diagnostic settings
   */
  readonly observability?: Observability;
}

/** The customer-managed key of the workspace's root DBFS storage. */
export interface DbfsCustomerManagedKey {
  /** When the first key version expires (RFC 3339 UTC); automatic rotation moves it on. */
  readonly keyExpirationDate: string;
}

/**
 * The quarterly Spark pipeline: a premium Databricks workspace injected into SecureNetwork's
 * subnets without public IPs; an access connector whose identity may use the lake; Unity Catalog
 * (metastore assignment, storage credential, external locations, the environment's catalog and
 * schemas, least-privilege grants from {@link pipelineGrantSet}); a Key Vault-backed secret scope;
 * a job-only cluster policy; the job package uploaded from `spark/`; and the quarterly job that
 * runs it as a service principal.
 *
 * Its Databricks resources use the stack's default `databricks` provider, which the stack
 * configures from {@link workspaceUrl} and {@link workspaceResourceId}.
 */
export class SparkBatchPipeline extends Construct {
  readonly workspace: DatabricksWorkspace;
  /** The root DBFS encryption key's binding, when `dbfsCustomerManagedKey` is set. */
  readonly dbfsKey?: DatabricksWorkspaceRootDbfsCustomerManagedKey;
  /** Resource id of the workspace (the databricks provider's `azure_workspace_resource_id`). */
  readonly workspaceResourceId: string;
  /** `https://` URL of the workspace (the databricks provider's `host`). */
  readonly workspaceUrl: string;
  readonly accessConnector: DatabricksAccessConnector;
  readonly metastoreAssignment: MetastoreAssignment;
  readonly storageCredential: StorageCredential;
  /** External locations by lake container (the four data areas and the catalog root). */
  readonly externalLocations: Record<ExternalLocationArea | "catalog", ExternalLocation>;
  readonly catalog: Catalog;
  /** Name of the environment's catalog. */
  readonly catalogName: string;
  readonly schemas: Record<(typeof CATALOG_SCHEMAS)[number], Schema>;
  /** The grants this pipeline applies, by securable. */
  readonly grantSet: GrantSet;
  readonly secretScope: SecretScope;
  /** Name of the Key Vault-backed secret scope. */
  readonly secretScopeName: string;
  readonly clusterPolicy: ClusterPolicy;
  /** Uploaded job files, by path relative to the code directory. */
  readonly codeFiles: Record<string, WorkspaceFile>;
  /** Hash of every uploaded file; changes whenever the job package changes. */
  readonly codeVersion: string;
  /** Workspace path of the entry script the job runs. */
  readonly entryPointPath: string;
  /** PyPI packages installed on the job cluster, from `requirements.txt`. */
  readonly libraries: string[];
  readonly job: Job;
  /** Id of the quarterly job (for `databricks jobs run-now --job-id`). */
  readonly jobId: string;

  constructor(scope: Construct, id: string, props: SparkBatchPipelineProps) {
    super(scope, id);
    validate(this.node.path, props);

    const suffix = props.nameSuffix;
    const placement = { resourceGroupName: props.resourceGroupName, location: props.location, tags: props.tags };
    const workspaceName = props.workspaceName ?? `dbw-${suffix}`;
    const publicAccess = props.publicNetworkAccess ?? false;
    const servicePrincipal = props.jobServicePrincipalApplicationId;
    this.catalogName = props.catalogName ?? suffix.replace(/-/g, "_");
    this.secretScopeName = props.secretScopeName ?? `${suffix}-kv`;
    const principals: Record<Grantee, string> = {
      jobServicePrincipal: servicePrincipal,
      dataEngineers: props.dataEngineersGroup,
      mlConsumers: props.mlConsumersGroup,
    };

    // --- Workspace -------------------------------------------------------------------------
    this.workspace = new DatabricksWorkspace(this, "workspace", {
      ...placement,
      name: workspaceName,
      sku: "premium",
      managedResourceGroupName: props.managedResourceGroupName ?? `rg-dbw-${suffix}-managed`,
      publicNetworkAccessEnabled: publicAccess,
      customerManagedKeyEnabled: props.dbfsCustomerManagedKey !== undefined,
      // A private workspace reaches its control plane over back-end Private Link only.
      networkSecurityGroupRulesRequired: publicAccess ? "AllRules" : "NoAzureDatabricksRules",
      customParameters: {
        noPublicIp: true,
        virtualNetworkId: props.network.virtualNetworkId,
        publicSubnetName: props.network.databricksHost.subnet.name,
        privateSubnetName: props.network.databricksContainer.subnet.name,
        publicSubnetNetworkSecurityGroupAssociationId: props.network.databricksHost.networkSecurityGroupAssociation.id,
        privateSubnetNetworkSecurityGroupAssociationId: props.network.databricksContainer.networkSecurityGroupAssociation.id,
      },
    });
    this.workspaceResourceId = this.workspace.id;
    this.workspaceUrl = `https://${this.workspace.workspaceUrl}`;
    if (!publicAccess) {
      privateEndpoint(this, "ui-api-private-endpoint", {
        ...placement,
        name: `pe-${workspaceName}-ui-api`,
        subnetId: props.network.privateEndpoints.subnet.id,
        targetResourceId: this.workspaceResourceId,
        subresource: "databricks_ui_api",
        privateDnsZoneId: props.network.dnsZones.databricks.id,
      });
    }
    // Databricks emits logs only (no platform metrics).
    props.observability?.diagnose(this, "workspace-diagnostics", this.workspaceResourceId, { logs: true, metrics: false });
    if (props.dbfsCustomerManagedKey) {
      this.dbfsKey = this.encryptRootDbfs(props.secretStore, workspaceName, props.dbfsCustomerManagedKey);
    }

    // --- Identity and storage access ------------------------------------------------------------
    this.accessConnector = new DatabricksAccessConnector(this, "access-connector", {
      ...placement,
      name: `dbac-${suffix}`,
      identity: { type: "SystemAssigned" },
    });
    // Unity Catalog reads and writes lake files as the connector; file events (which would also
    // need queue and Event Grid roles) are not used by a quarterly batch job.
    const lakeRole = props.lake.grant("databricks-connector-blob-contributor", this.accessConnector.identity.principalId, "Storage Blob Data Contributor");
    props.lake.allowTrustedResource(this.accessConnector.id, props.tenantId);

    // --- Secrets ---------------------------------------------------------------------------
    // The Databricks service reads the vault on behalf of the scope.
    const vaultRole = props.secretStore.grant("azure-databricks-secrets-user", props.azureDatabricksObjectId, "Key Vault Secrets User");
    this.secretScope = new SecretScope(this, "secret-scope", {
      name: this.secretScopeName,
      keyvaultMetadata: { resourceId: props.secretStore.vaultId, dnsName: props.secretStore.vaultUri },
      dependsOn: [vaultRole],
    });
    new SecretAcl(this, "secret-scope-job-read", {
      scope: this.secretScope.name,
      principal: servicePrincipal,
      permission: WORKSPACE_PERMISSIONS.secretScope.jobServicePrincipal,
    });

    // --- Unity Catalog ---------------------------------------------------------------------
    this.metastoreAssignment = new MetastoreAssignment(this, "metastore-assignment", {
      metastoreId: props.metastoreId,
      workspaceId: Token.asNumber(this.workspace.workspaceId),
    });
    this.storageCredential = new StorageCredential(this, "storage-credential", {
      name: `${this.catalogName}_lake`,
      comment: `The ${workspaceName} access connector's identity on the lake.`,
      azureManagedIdentity: { accessConnectorId: this.accessConnector.id },
      // Usable from this workspace only, although the metastore serves every environment.
      isolationMode: "ISOLATION_MODE_ISOLATED",
      dependsOn: [this.metastoreAssignment, lakeRole],
    });
    const locations: Partial<Record<ExternalLocationArea | "catalog", ExternalLocation>> = {};
    for (const area of [...EXTERNAL_LOCATION_AREAS, "catalog"] as const) {
      locations[area] = new ExternalLocation(this, `external-location-${area}`, {
        name: `${this.catalogName}_${area}`,
        url: props.lake.abfssUri(area),
        credentialName: this.storageCredential.name,
        comment: area === "catalog" ? "Managed storage root of the catalog." : `The lake's ${area} area.`,
        // Landed files are written by the landing tool, never through Unity Catalog.
        readOnly: area === "landing" ? true : undefined,
        isolationMode: "ISOLATION_MODE_ISOLATED",
        dependsOn: [props.lake.containers[area]],
      });
    }
    this.externalLocations = locations as Record<ExternalLocationArea | "catalog", ExternalLocation>;
    this.catalog = new Catalog(this, "catalog", {
      name: this.catalogName,
      comment: `Quarterly bank batch, ${props.environmentName}.`,
      storageRoot: props.lake.abfssUri("catalog", `${this.catalogName}/`),
      // Bound to this workspace: other environments' workspaces share the metastore.
      isolationMode: "ISOLATED",
      dependsOn: [this.externalLocations.catalog],
    });
    const schemas: Partial<Record<(typeof CATALOG_SCHEMAS)[number], Schema>> = {};
    for (const name of CATALOG_SCHEMAS) {
      schemas[name] = new Schema(this, `schema-${name}`, { catalogName: this.catalog.name, name, comment: `The ${name} layer.` });
    }
    this.schemas = schemas as Record<(typeof CATALOG_SCHEMAS)[number], Schema>;

    this.grantSet = pipelineGrantSet(props.dataEngineerAccess ?? "read");
    for (const [securable, byGrantee] of Object.entries(this.grantSet) as Array<[Securable, GrantSet[Securable]]>) {
      const grant: GrantsGrant[] = GRANTEES.filter((grantee) => (byGrantee[grantee] ?? []).length > 0).map((grantee) => ({
        principal: principals[grantee],
        privileges: [...(byGrantee[grantee] ?? [])],
      }));
      new Grants(this, `grants-${securable.replace(":", "-")}`, { ...this.securableReference(securable), grant });
    }

    // --- Cluster policy --------------------------------------------------------------------
    const sparkVersion = props.cluster.sparkVersion ?? DATABRICKS_RUNTIME;
    const dataSecurityMode = props.cluster.dataSecurityMode ?? "SINGLE_USER";
    const requiredTags = { environment: props.environmentName, "cost-centre": props.costCentre };
    this.clusterPolicy = new ClusterPolicy(this, "job-cluster-policy", {
      name: `${suffix}-quarterly-job`,
      description: "Job clusters of the quarterly ETL: pinned runtime, access mode and tags; allow-listed VM sizes; bounded autoscale.",
      definition: JSON.stringify(
        jobClusterPolicyDefinition({
          sparkVersion,
          nodeTypeIds: props.cluster.nodeTypeIds,
          minWorkers: props.cluster.minWorkers,
          maxWorkers: props.cluster.maxWorkers,
          dataSecurityMode,
          requiredTags,
        }),
      ),
    });
    new Permissions(this, "job-cluster-policy-permissions", {
      clusterPolicyId: this.clusterPolicy.id,
      accessControl: accessControl(WORKSPACE_PERMISSIONS.clusterPolicy, principals),
    });

    // --- Code ------------------------------------------------------------------------------
    const codeDirectory = props.codeDirectory ?? path.resolve(__dirname, "..", "..", "spark");
    const codeFolder = props.codeFolder ?? `/bank-etl/${props.environmentName}`;
    const files = collectJobCode(codeDirectory);
    this.codeVersion = codeVersion(files);
    const folder = new Directory(this, "code-folder", { path: codeFolder });
    new Permissions(this, "code-folder-permissions", {
      directoryPath: folder.path,
      accessControl: accessControl(WORKSPACE_PERMISSIONS.codeFolder, principals),
    });
    this.codeFiles = {};
    for (const file of files) {
      this.codeFiles[file.relativePath] = new WorkspaceFile(this, `code-${file.relativePath.replace(/[^A-Za-z0-9_]/g, "-")}`, {
        path: `${codeFolder}/${file.relativePath}`,
        contentBase64: file.contentBase64,
        dependsOn: [folder],
      });
    }
    const entryPoint = this.codeFiles[JOB_ENTRY_POINT];
    this.entryPointPath = entryPoint ? entryPoint.workspacePath : `/Workspace${codeFolder}/${JOB_ENTRY_POINT}`;
    if (!entryPoint) Annotations.of(this).addWarning(`SparkBatchPipeline: ${path.join(codeDirectory, JOB_ENTRY_POINT)} not found; the job will fail until it is uploaded.`);
    this.libraries = this.readLibraries(codeDirectory, files);

    // --- Quarterly job ---------------------------------------------------------------------
    const schedule = props.schedule ?? {};
    const parameters = [
      "--input", props.lake.abfssUri("landing", props.landingPrefix ?? "bank/transactions/"),
      // The ETL puts each data area's container name in place of {container}.
      "--lake", `abfss://{container}@${props.lake.accountName}.dfs.core.windows.net/`,
      "--pg-url", props.sink.connectionUri,
      "--schema", props.databaseSchema ?? "bank",
      "--secret-scope", this.secretScopeName,
      "--pg-user-key", props.sink.adminUserSecretName,
      "--pg-password-key", props.sink.adminPasswordSecretName,
      ...(props.quarter === undefined ? [] : ["--quarter", props.quarter]),
    ];
    const libraries: JobTaskLibrary[] = this.libraries.map((requirement) => ({ pypi: { package: requirement } }));
    this.job = new Job(this, "quarterly-job", {
      name: `${suffix}-quarterly-etl`,
      description: "Quarterly bank batch: validate, quarantine, transform, write the lake and load PostgreSQL.",
      maxConcurrentRuns: 1,
      schedule: {
        quartzCronExpression: schedule.quartzCronExpression ?? DEFAULT_QUARTERLY_CRON,
        timezoneId: schedule.timezoneId ?? "UTC",
        pauseStatus: (schedule.paused ?? false) ? "PAUSED" : "UNPAUSED",
      },
      runAs: { servicePrincipalName: servicePrincipal },
      emailNotifications: {
        onFailure: props.notificationAddresses,
        onDurationWarningThresholdExceeded: props.notificationAddresses,
        noAlertForSkippedRuns: true,
      },
      health: { rules: [{ metric: "RUN_DURATION_SECONDS", op: "GREATER_THAN", value: props.runDurationWarningSeconds ?? 7200 }] },
      jobCluster: [
        {
          jobClusterKey: "etl",
          newCluster: {
            policyId: this.clusterPolicy.id,
            applyPolicyDefaultValues: true,
            sparkVersion,
            nodeTypeId: props.cluster.nodeTypeIds[0],
            driverNodeTypeId: props.cluster.nodeTypeIds[0],
            dataSecurityMode,
            singleUserName: dataSecurityMode === "SINGLE_USER" ? servicePrincipal : undefined,
            autoscale: { minWorkers: props.cluster.minWorkers, maxWorkers: props.cluster.maxWorkers },
            customTags: requiredTags,
          },
        },
      ],
      task: [
        {
          taskKey: "run-etl",
          jobClusterKey: "etl",
          sparkPythonTask: { pythonFile: this.entryPointPath, source: "WORKSPACE", parameters },
          library: libraries.length > 0 ? libraries : undefined,
          maxRetries: props.maxRetries ?? 2,
          minRetryIntervalMillis: props.minRetryIntervalMillis ?? 900_000,
          retryOnTimeout: false,
          timeoutSeconds: props.timeoutSeconds ?? 14_400,
        },
      ],
      // The code version shows in the job's tags which package a run used.
      tags: { ...props.tags, ...requiredTags, "code-version": this.codeVersion.slice(0, 12) },
      dependsOn: Object.values(this.codeFiles),
    });
    this.jobId = this.job.id;
    new Permissions(this, "job-permissions", {
      jobId: this.jobId,
      accessControl: accessControl(WORKSPACE_PERMISSIONS.job, principals),
    });
  }

  private securableReference(securable: Securable): { catalog?: string; schema?: string; externalLocation?: string } {
    if (securable === "catalog") return { catalog: this.catalog.name };
    const [kind, name] = securable.split(":");
    if (kind === "schema") return { schema: this.schemas[name as (typeof CATALOG_SCHEMAS)[number]].id };
    return { externalLocation: this.externalLocations[name as ExternalLocationArea].id };
  }

  private readLibraries(codeDirectory: string, files: readonly JobCodeFile[]): string[] {
    const requirementsFile = path.join(codeDirectory, JOB_REQUIREMENTS);
    if (!files.some((file) => file.relativePath === JOB_REQUIREMENTS) || !existsSync(requirementsFile)) {
      Annotations.of(this).addWarning(`SparkBatchPipeline: ${requirementsFile} not found; the job cluster gets no extra libraries.`);
      return [];
    }
    const requirements = parseRequirements(readFileSync(requirementsFile, "utf8"));
    for (const line of requirements.skipped) {
      Annotations.of(this).addWarning(`SparkBatchPipeline: requirement "${line}" in ${requirementsFile} is not pinned with == and is not installed.`);
    }
    return requirements.pinned;
  }

  /** Root DBFS encryption: an HSM key, the workspace storage identity's role on it, and the binding. */
  private encryptRootDbfs(secretStore: SecretStore, workspaceName: string, options: DbfsCustomerManagedKey) {
    const key = secretStore.addKey("dbfs-cmk", { name: `cmk-${workspaceName}-dbfs`, expirationDate: options.keyExpirationDate });
    const keyAccess = new RoleAssignment(this, "dbfs-key-access", {
      scope: key.resourceVersionlessId,
      principalId: this.workspace.storageAccountIdentity.get(0).principalId,
      roleDefinitionName: "Key Vault Crypto Service Encryption User",
    });
    // The binding names a key version: after an automatic rotation the next apply moves it to the
    // new version, and the old version stays usable until then.
    return new DatabricksWorkspaceRootDbfsCustomerManagedKey(this, "dbfs-key", {
      workspaceId: this.workspaceResourceId,
      keyVaultKeyId: key.id,
      dependsOn: [keyAccess],
    });
  }
}

/** Workspace access control entries from a permission table: groups by name, the job principal by application id. */
function accessControl(table: Partial<Record<Grantee, string>>, principals: Record<Grantee, string>): PermissionsAccessControl[] {
  return GRANTEES.filter((grantee) => table[grantee] !== undefined).map((grantee) =>
    grantee === "jobServicePrincipal"
      ? { servicePrincipalName: principals[grantee], permissionLevel: table[grantee] }
      : { groupName: principals[grantee], permissionLevel: table[grantee] },
  );
}

function validate(nodePath: string, props: SparkBatchPipelineProps): void {
  const v = new PropValidator("SparkBatchPipeline", nodePath);
  v.matches("nameSuffix", props.nameSuffix, /^[a-z0-9][a-z0-9-]{0,40}[a-z0-9]$/, "2-42 characters, lowercase letters, digits and hyphens, such as bank-prod");
  v.matches("environmentName", props.environmentName, /^[a-z][a-z0-9-]{0,19}$/, "1-20 lowercase letters, digits and hyphens, starting with a letter");
  v.check("costCentre", props.costCentre, (centre) => centre.trim().length > 0, "a non-empty cost centre for the cluster tag");
  v.check("metastoreId", props.metastoreId, (id) => GUID.test(id), `the metastore's id, ${GUID_RULE} (required: a region has one metastore per account)`);
  v.check("azureDatabricksObjectId", props.azureDatabricksObjectId, (id) => GUID.test(id), `${GUID_RULE} (the object id of the AzureDatabricks enterprise application in this tenant)`);
  v.check("jobServicePrincipalApplicationId", props.jobServicePrincipalApplicationId, (id) => GUID.test(id), `${GUID_RULE} (the service principal's application id)`);
  for (const prop of ["dataEngineersGroup", "mlConsumersGroup"] as const) {
    const group = props[prop];
    v.check(prop, group, (name) => GROUP_NAME.test(name), "a Databricks account group name: 1-255 letters, digits, spaces and . _ @ -, not starting or ending with a space");
    v.check(prop, group, (name) => !FORBIDDEN_PRINCIPALS.includes(name.trim().toLowerCase()), `a specific group, not ${FORBIDDEN_PRINCIPALS.join(" or ")}`);
  }
  if (!isUnresolved(props.dataEngineersGroup) && props.dataEngineersGroup === props.mlConsumersGroup) {
    v.fail("mlConsumersGroup", props.mlConsumersGroup, "a group other than dataEngineersGroup");
  }
  v.oneOf("dataEngineerAccess", props.dataEngineerAccess, DATA_ENGINEER_ACCESS_LEVELS);
  v.check("notificationAddresses", props.notificationAddresses, (addresses) => addresses.length > 0, "at least one e-mail address");
  (props.notificationAddresses ?? []).forEach((address, index) => v.matches(`notificationAddresses[${index}]`, address, EMAIL, "an e-mail address such as data-platform@example.com"));
  if ((props.publicNetworkAccess ?? false) && (props.publicNetworkAccessReason ?? "").trim() === "") {
    v.fail("publicNetworkAccessReason", props.publicNetworkAccessReason, "a reason why the workspace stays public, required when publicNetworkAccess is true");
  }
  v.matches("catalogName", props.catalogName, /^[a-z][a-z0-9_]{0,254}$/, "1-255 lowercase letters, digits and underscores, starting with a letter");
  v.matches("secretScopeName", props.secretScopeName, /^[A-Za-z0-9._-]{1,128}$/, "1-128 letters, digits, dashes, underscores and periods");
  v.matches("codeFolder", props.codeFolder, /^\/(?!Workspace\/)(?!Shared(\/|$))[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/, "an absolute workspace folder outside /Shared without the /Workspace prefix, such as /bank-etl/prod");
  v.check("dbfsCustomerManagedKey.keyExpirationDate", props.dbfsCustomerManagedKey?.keyExpirationDate, isRfc3339Utc, "an RFC 3339 UTC timestamp such as 2027-06-30T00:00:00Z");
  if (props.dbfsCustomerManagedKey && !isUnresolved(props.secretStore.skuName) && props.secretStore.skuName !== "premium") {
    v.fail("dbfsCustomerManagedKey", "(set)", `a premium secretStore (it is "${props.secretStore.skuName}"): DBFS keys are HSM-backed`);
  }
  v.matches("quarter", props.quarter, QUARTER, "a quarter such as 2022-Q3, or unset for the last finished quarter");
  v.matches("databaseSchema", props.databaseSchema, /^[a-z_][a-z0-9_]{0,62}$/, "1-63 lowercase letters, digits and underscores, not starting with a digit");
  v.check("landingPrefix", props.landingPrefix, (prefix) => prefix === "" || /^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*\/$/.test(prefix), "a folder path ending in /, such as bank/transactions/");

  const cluster = props.cluster;
  v.check("cluster.nodeTypeIds", cluster.nodeTypeIds, (ids) => ids.length > 0, "at least one VM size, such as Standard_D4ds_v5");
  (cluster.nodeTypeIds ?? []).forEach((nodeType, index) => v.matches(`cluster.nodeTypeIds[${index}]`, nodeType, /^Standard_[A-Za-z0-9_]+$/, "an Azure VM size such as Standard_D4ds_v5"));
  v.range("cluster.minWorkers", cluster.minWorkers, 1, 1000);
  v.range("cluster.maxWorkers", cluster.maxWorkers, 1, 1000);
  if (!isUnresolved(cluster.minWorkers) && !isUnresolved(cluster.maxWorkers) && cluster.minWorkers > cluster.maxWorkers) {
    v.fail("cluster.maxWorkers", cluster.maxWorkers, `at least cluster.minWorkers (${cluster.minWorkers})`);
  }
  v.matches("cluster.sparkVersion", cluster.sparkVersion, /^\d+\.\d+\.x-(?:[a-z0-9-]+-)?scala\d+\.\d+$/, "a Databricks runtime key such as 17.3.x-scala2.13");
  v.oneOf("cluster.dataSecurityMode", cluster.dataSecurityMode, DATA_SECURITY_MODES);

  const schedule = props.schedule ?? {};
  v.check("schedule.quartzCronExpression", schedule.quartzCronExpression, isQuarterlyCron, QUARTERLY_CRON_RULE);
  v.check("schedule.timezoneId", schedule.timezoneId, isIanaTimeZone, "an IANA time zone such as Europe/Amsterdam or UTC");
  v.range("maxRetries", props.maxRetries, 0, 10);
  v.range("minRetryIntervalMillis", props.minRetryIntervalMillis, 60_000, 86_400_000);
  v.range("timeoutSeconds", props.timeoutSeconds, 600, 172_800);
  v.range("runDurationWarningSeconds", props.runDurationWarningSeconds, 60, 172_800);
  const timeout = props.timeoutSeconds ?? 14_400;
  const warning = props.runDurationWarningSeconds ?? 7200;
  if (!isUnresolved(timeout) && !isUnresolved(warning) && warning >= timeout) {
    v.fail("runDurationWarningSeconds", warning, `fewer seconds than timeoutSeconds (${timeout}), so the warning comes before the run is stopped`);
  }
  v.throwIfInvalid();
}
