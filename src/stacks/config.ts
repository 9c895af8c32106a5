import type { HighAvailabilityMode, PostgresVersion } from "../constructs/relational-sink";
import type { KeyVaultSku } from "../constructs/secret-store";
import type { LandingColdTier, ReplicationType } from "../constructs/lake-storage";
import type { SubnetCidrs } from "../constructs/secure-network";

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
  /** `prevent_destroy` and CanNotDelete locks on the vault, lake and database. */
  readonly deletionProtection: boolean;
  /** Why this environment relaxes a secure default, by setting; shown in the README and policy config. */
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
