// The construct library: import these into your own stacks.
//
// Only the public surface is exported, by name: the constructs, their props, the interfaces they
// accept (with the attributes their `fromExisting` takes), the principal abstraction grants take,
// and the error synthesis throws for bad props. Validation helpers, the private-endpoint helper,
// the allowed-value tables behind the types, and the estate's own stacks and dev/test/prod configs
// stay internal (test/foundation/entry-point.test.ts keeps it that way).

// Errors: every construct's prop problems, reported together at synth.
export { PropValidationError, throwIfProblems, validationProblems } from "./constructs/core/validation";
export type { PropProblem } from "./constructs/core/validation";

// Shared props.
export type { Placement } from "./constructs/core/placement";

// Principals, for grants and workspace assignments.
export { AzurePrincipal, DatabricksPrincipal } from "./constructs/core/principal";
export type { AzurePrincipalType, DatabricksPrincipalKind, IAzurePrincipal, IDatabricksPrincipal } from "./constructs/core/principal";

// Network.
export { SecureNetwork } from "./constructs/network/secure-network";
export type {
  EstateDnsZones,
  GuardedSubnet,
  ISecureNetwork,
  NatGatewayOptions,
  NetworkSubnet,
  PeeredNetwork,
  PrivateDnsZoneKey,
  SecureNetworkAttributes,
  SecureNetworkProps,
  SubnetCidrs,
} from "./constructs/network/secure-network";

// Key Vault.
export { SecretStore } from "./constructs/key-vault/secret-store";
export type { ISecretStore, KeyOptions, KeyVaultRole, KeyVaultSku, SecretOptions, SecretStoreAttributes, SecretStoreProps } from "./constructs/key-vault/secret-store";

// ADLS Gen2 lake.
export { LakeStorage } from "./constructs/storage/lake-storage";
export type { LakeArea } from "./constructs/storage/lake-layout";
export type {
  ILakeStorage,
  LakeContainerName,
  LakeCustomerManagedKey,
  LakeRole,
  LakeStorageAttributes,
  LakeStorageProps,
  LandingColdTier,
  ReplicationType,
} from "./constructs/storage/lake-storage";

// PostgreSQL sink.
export { RelationalSink } from "./constructs/postgres/relational-sink";
export type { DatabaseCredential, EntraAdministrator, HighAvailabilityMode, IRelationalSink, LoginCredentialOptions, PostgresVersion, RelationalSinkProps, SinkDatabase } from "./constructs/postgres/relational-sink";

// Monitoring.
export { Observability } from "./constructs/monitoring/observability";
export type { DiagnosticSignals, IObservability, ObservabilityAttributes, ObservabilityProps } from "./constructs/monitoring/observability";

// Databricks: the workspace, its network connectivity, the catalog, the job, and their composite.
export { AZURE_ACCOUNTS_HOST } from "./constructs/databricks/databricks-checks";
export { DatabricksWorkspace } from "./constructs/databricks/databricks-workspace";
export type { DatabricksWorkspaceAttributes, DatabricksWorkspaceProps, DatabricksWorkspaceSubnets, DbfsCustomerManagedKey, IDatabricksWorkspace } from "./constructs/databricks/databricks-workspace";
export { NetworkConnectivity } from "./constructs/databricks/network-connectivity";
export type { NetworkConnectivityProps, PrivateEndpointTarget } from "./constructs/databricks/network-connectivity";
export { LakehouseCatalog } from "./constructs/databricks/lakehouse-catalog";
export type { CatalogPrincipals, LakehouseCatalogProps } from "./constructs/databricks/lakehouse-catalog";
export type { CatalogSchemaName, DataEngineerAccess, ExternalLocationArea, Grantee, GrantSet, Securable } from "./constructs/databricks/pipeline-grants";
export { PublicationCredential } from "./constructs/databricks/publication-credential";
export type { PublicationCredentialProps } from "./constructs/databricks/publication-credential";
export { BatchJob } from "./constructs/databricks/batch-job";
export type { BatchJobProps, BatchJobSchedule, BatchJobSecretScope, BatchJobTask, JobClusterOptions, OperatorPermission } from "./constructs/databricks/batch-job";
export type { OperatorOptionKind } from "./constructs/databricks/task-launcher";
export type { DataSecurityMode } from "./constructs/databricks/cluster-policy";

// The pipeline: any team's quarterly job with what it needs, and the bank ETL as one such job.
export { QuarterlyPipeline } from "./constructs/pipeline/quarterly-pipeline";
export type { DataEngineerJobAccess, IDatabaseIssuer, ILoginCredentialIssuer, JobScheduleOptions, QuarterlyPipelineProps } from "./constructs/pipeline/quarterly-pipeline";
export type { QuarterlyJobContext, QuarterlyJobDatabase, QuarterlyJobDefinition, QuarterlyJobTasks } from "./constructs/pipeline/quarterly-job";
export { bankEtlJob } from "./constructs/pipeline/bank-etl-job";
export type { BankEtlJobOptions } from "./constructs/pipeline/bank-etl-job";
export { SparkBatchPipeline } from "./constructs/pipeline/spark-batch-pipeline";
export type { SparkBatchPipelineProps } from "./constructs/pipeline/spark-batch-pipeline";
