import type { HighAvailabilityMode, PostgresVersion } from "../constructs/relational-sink";
import type { KeyVaultSku } from "../constructs/secret-store";
import type { LandingColdTier, ReplicationType } from "../constructs/lake-storage";
import type { SubnetCidrs } from "../constructs/secure-network";
import type { DataSecurityMode } from "../constructs/cluster-policy";
import type { DataEngineerAccess } from "../constructs/pipeline-grants";
import type { DbfsCustomerManagedKey } from "../constructs/databricks-workspace";

export const ENVIRONMENTS = ["dev", "test", "prod"] as const;
export type EnvironmentName = (typeof ENVIRONMENTS)[number];

/**
 * Everything that differs between environments, in one typed object per environment
 * (`dev.ts`, `test.ts`, `prod.ts`). The stack turns it into construct props; constructs never
 * read the environment themselves.
 */
export interface EnvironmentConfig {
  readonly environment: EnvironmentName;
  /** Short workload name used in every resource name, such as `bank`. */
  readonly workload: string;
  /** Two-digit instance number that keeps globally unique names (storage, vault, server) unique. */
  readonly instance: string;
  /** Azure region. */
  readonly location: string;
  /** Subscription to deploy to; when absent the azurerm provider reads ARM_SUBSCRIPTION_ID. */
  readonly subscriptionId?: string;
  /** Owner and cost centre tags; both required and non-empty. */
  readonly owner: string;
  readonly costCentre: string;
  /** Remote state: an existing storage account reached with Entra ID (no access keys). */
  readonly backend: {
    readonly resourceGroupName: string;
    readonly storageAccountName: string;
    readonly containerName: string;
    readonly key: string;
  };
  readonly network: {
    readonly addressSpace: string;
    readonly subnets: SubnetCidrs;
    readonly natGatewayZones?: string[];
  };
  readonly vault: {
    readonly skuName: KeyVaultSku;
    readonly softDeleteRetentionDays: number;
    /** Extra principals that manage secrets; the deploying identity always does. */
    readonly secretsOfficerPrincipalIds?: string[];
  };
  readonly lake: {
    readonly replicationType: ReplicationType;
    readonly blobSoftDeleteDays: number;
    readonly containerSoftDeleteDays: number;
    readonly landingCoolAfterDays: number;
    readonly landingColdAfterDays: number;
    readonly landingColdTier: LandingColdTier;
    /**
     * Encrypt the lake with an HSM-backed key in the vault (needs a premium vault); absent means
     * Microsoft-managed keys, which the environment's relaxations must justify.
     */
    readonly customerManagedKey?: { readonly keyExpirationDate: string };
  };
  readonly database: {
    readonly skuName: string;
    readonly version: PostgresVersion;
    readonly storageMb: number;
    readonly backupRetentionDays: number;
    readonly geoRedundantBackup: boolean;
    readonly highAvailability: HighAvailabilityMode;
    /** When the stored database credential expires; rotate (bump passwordVersion) before then. */
    readonly credentialExpirationDate: string;
    readonly passwordVersion: number;
  };
  readonly logs: {
    readonly retentionInDays: number;
  };
  /** The Databricks workspace, Unity Catalog and the quarterly job (SparkBatchPipeline). */
  readonly pipeline: PipelineConfig;
  /** `prevent_destroy` and CanNotDelete locks on the vault, lake and database. */
  readonly deletionProtection: boolean;
  /** Why this environment relaxes a secure default, by setting; shown in the README and policy config. */
  readonly relaxations: Readonly<Record<string, string>>;
}

/** What varies in the Databricks pipeline between environments. */
export interface PipelineConfig {
  /**
   * Unity Catalog metastore of the region (an account has one per region, shared by every
   * environment); create it once in the account console and copy its id here.
   */
  readonly metastoreId: string;
  /**
   * Id of the Databricks account (account console, top right), for the account-level provider
   * that creates the workspace's network connectivity configuration (NCC).
   */
  readonly databricksAccountId: string;
  /**
   * Object id, in this tenant, of the AzureDatabricks first-party service principal (application
   * id 2ff814a6-3304-4ab8-85cb-cd0e6f879c1d); it differs per tenant. It gets "Key Vault Secrets
   * User" on the vault for the secret scope. Find it with
   * `az ad sp show --id 2ff814a6-3304-4ab8-85cb-cd0e6f879c1d --query id -o tsv`.
   */
  readonly azureDatabricksObjectId: string;
  /** Application (client) id of the service principal the job runs as (registered in the Databricks account). */
  readonly jobServicePrincipalApplicationId: string;
  /** Databricks account groups. */
  readonly dataEngineersGroup: string;
  readonly mlConsumersGroup: string;
  /** `all` privileges in the catalog (dev) or `read`. */
  readonly dataEngineerAccess: DataEngineerAccess;
  /** Keep the workspace reachable from the internet; prod is private. */
  readonly publicNetworkAccess: boolean;
  /** Why the workspace stays public; required when `publicNetworkAccess` is true. */
  readonly publicNetworkAccessReason?: string;
  /** Encrypt root DBFS with an HSM key in the (premium) vault; unset needs a relaxation. */
  readonly dbfsCustomerManagedKey?: DbfsCustomerManagedKey;
  readonly cluster: {
    /** Allowed VM sizes; the first is the job's. */
    readonly nodeTypeIds: string[];
    readonly minWorkers: number;
    readonly maxWorkers: number;
    /** Pinned runtime; defaults to DBR 17.3 LTS (Spark 4.0.0, as spark/ is tested with). */
    readonly sparkVersion?: string;
    readonly dataSecurityMode?: DataSecurityMode;
  };
  readonly schedule: {
    /** Quartz cron that fires once a quarter; defaults to `0 0 2 1 1,4,7,10 ?`. */
    readonly quartzCronExpression?: string;
    /** IANA time zone of the cron expression. */
    readonly timezoneId: string;
    /** Create the schedule paused (dev), so the job runs only when started by hand. */
    readonly paused: boolean;
  };
  /** Quarter to load, such as `2022-Q3`; unset loads the last quarter that ended before the run. */
  readonly quarter?: string;
  /** Addresses that receive failure and long-run e-mails. */
  readonly notificationAddresses: string[];
  readonly maxRetries: number;
  readonly minRetryIntervalMillis: number;
  readonly timeoutSeconds: number;
  /** Run duration that triggers the health warning e-mail; less than `timeoutSeconds`. */
  readonly runDurationWarningSeconds: number;
}

/** Cloud Adoption Framework names for one environment, within each Azure name rule. */
export function resourceNames(config: EnvironmentConfig) {
  const base = `${config.workload}-${config.environment}`;
  return {
    suffix: base,
    resourceGroup: `rg-${base}`,
    logAnalytics: `log-${base}`,
    keyVault: `kv-${base}-${config.instance}`,
    storageAccount: `st${config.workload}${config.environment}${config.instance}`.toLowerCase(),
    postgresServer: `psql-${base}-${config.instance}`,
    databricksWorkspace: `dbw-${base}`,
  };
}

/** Stack name of an environment, as `cdktf deploy` and the pipelines use it. */
export function stackName(environment: EnvironmentName): string {
  return `estate-${environment}`;
}
