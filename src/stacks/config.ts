import type { LakeCustomerManagedKey, LakeStorageProps } from "../constructs/storage/lake-storage";
import type { ObservabilityProps } from "../constructs/monitoring/observability";
import type { Placement } from "../constructs/core/placement";
import type { RelationalSinkProps } from "../constructs/postgres/relational-sink";
import type { SecretStoreProps } from "../constructs/key-vault/secret-store";
import type { SecureNetworkProps } from "../constructs/network/secure-network";
import type { SparkBatchPipelineProps } from "../constructs/pipeline/spark-batch-pipeline";

export const ENVIRONMENTS = ["dev", "test", "prod"] as const;
export type EnvironmentName = (typeof ENVIRONMENTS)[number];

/** Props the stack sets on every construct itself: placement, logs and deletion protection. */
type StackWide = keyof Placement | "observability" | "deletionProtection" | "provider";
/** Props by which the stack wires constructs to each other (the network and the ids it provides). */
type Wiring = "network" | "privateEndpointSubnetId" | "privateDnsZoneId" | "dataPlaneDependencies";

/** What varies in the network: its addresses, egress and the agents' VNet it peers with. */
export type NetworkConfig = Omit<SecureNetworkProps, StackWide | "nameSuffix">;
/** What varies in the vault; the stack names it and adds the deploying identity as an officer. */
export type VaultConfig = Omit<SecretStoreProps, StackWide | Wiring | "vaultName" | "tenantId">;
/** What varies in the lake; its key lives in the environment's vault. */
export type LakeConfig = Omit<LakeStorageProps, StackWide | Wiring | "accountName" | "blobDnsZoneId" | "dfsDnsZoneId" | "customerManagedKey"> & {
  /**
   * Encrypt the lake with an HSM-backed key in the vault (needs a premium vault); absent means
   * Microsoft-managed keys, which the environment's relaxations must justify.
   */
  readonly customerManagedKey?: Omit<LakeCustomerManagedKey, "secretStore">;
};
/** What varies in the PostgreSQL sink; its credentials live in the environment's vault. */
export type DatabaseConfig = Omit<RelationalSinkProps, StackWide | Wiring | "serverName" | "tenantId" | "secretStore" | "delegatedSubnetId" | "privateDnsZoneLink">;
/** What varies in the Log Analytics workspace. */
export type LogsConfig = Omit<ObservabilityProps, keyof Placement | "workspaceName" | "provider">;
/** What varies in the Databricks pipeline, plus the account the stack's account-level provider signs in to. */
export type PipelineConfig = Omit<
  SparkBatchPipelineProps,
  StackWide | "nameSuffix" | "workspaceName" | "environmentName" | "costCentre" | "tenantId" | "azurermProvider" | "accountProvider" | "network" | "secretStore" | "lake" | "sink"
> & {
  /**
   * Id of the Databricks account (account console, top right), for the account-level provider
   * that creates the workspace's network connectivity configuration (NCC).
   */
  readonly databricksAccountId: string;
};

/**
 * Everything that differs between environments, in one typed object per environment
 * (`dev.ts`, `test.ts`, `prod.ts`). Each section is the props of one construct, less what the
 * stack wires itself; the stack spreads it into that construct, so a construct's defaults are
 * its own and constructs never read the environment themselves.
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
  /** Owner tag; required and non-empty. */
  readonly owner: string;
  /** Cost centre tag; required and non-empty. */
  readonly costCentre: string;
  /** Remote state: an existing storage account reached with Entra ID (no access keys). */
  readonly backend: {
    readonly resourceGroupName: string;
    readonly storageAccountName: string;
    readonly containerName: string;
    readonly key: string;
  };
  readonly network: NetworkConfig;
  readonly vault: VaultConfig;
  readonly lake: LakeConfig;
  readonly database: DatabaseConfig;
  readonly logs: LogsConfig;
  /** The Databricks workspace, Unity Catalog and the quarterly job (SparkBatchPipeline). */
  readonly pipeline: PipelineConfig;
  /** `prevent_destroy` and CanNotDelete locks on the vault, lake and database. */
  readonly deletionProtection: boolean;
  /** Why this environment relaxes a secure default, by setting; shown in docs/security.md and the policy config. */
  readonly relaxations: Readonly<Record<string, string>>;
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
