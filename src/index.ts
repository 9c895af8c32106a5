// The construct library: import these into your own stacks.
//
// Only the public surface is exported, by name: the constructs, their props, the interfaces they
// accept (with the attributes their `fromExisting` takes), the principal abstraction grants take,
// and the error synthesis throws for bad props. Validation helpers, the private-endpoint helper,
// the allowed-value tables behind the types, and the estate's own stacks and dev/test/prod configs
// stay internal (test/foundation/entry-point.test.ts keeps it that way).

// Errors: every construct's prop problems, reported together at synth.
export { PropValidationError, throwIfProblems, validationProblems } from "./constructs/validation";
export type { PropProblem } from "./constructs/validation";

// Shared props.
export type { Placement } from "./constructs/placement";

// Principals, for grants and workspace assignments.
export { AzurePrincipal, DatabricksPrincipal } from "./constructs/principal";
export type { AzurePrincipalType, DatabricksPrincipalKind, IAzurePrincipal, IDatabricksPrincipal } from "./constructs/principal";

// Network.
export { SecureNetwork } from "./constructs/secure-network";
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
} from "./constructs/secure-network";

// Key Vault.
export { SecretStore } from "./constructs/secret-store";
export type { ISecretStore, KeyOptions, KeyVaultRole, KeyVaultSku, SecretOptions, SecretStoreAttributes, SecretStoreProps } from "./constructs/secret-store";

// ADLS Gen2 lake.
export { LakeStorage } from "./constructs/lake-storage";
export type {
  ILakeStorage,
  LakeContainerName,
  LakeCustomerManagedKey,
  LakeRole,
  LakeStorageAttributes,
  LakeStorageProps,
  LandingColdTier,
  ReplicationType,
} from "./constructs/lake-storage";

// PostgreSQL sink.
export { RelationalSink } from "./constructs/relational-sink";
export type { DatabaseCredential, EntraAdministrator, HighAvailabilityMode, IRelationalSink, LoginCredentialOptions, PostgresVersion, RelationalSinkProps } from "./constructs/relational-sink";

// Monitoring.
export { Observability } from "./constructs/observability";
export type { DiagnosticSignals, IObservability, ObservabilityAttributes, ObservabilityProps } from "./constructs/observability";

// Databricks: the workspace, its network connectivity, the catalog, the job, and their composite.
export { AZURE_ACCOUNTS_HOST } from "./constructs/databricks-checks";
export { DatabricksWorkspace } from "./constructs/databricks-workspace";
export type { DatabricksWorkspaceAttributes, DatabricksWorkspaceProps, DatabricksWorkspaceSubnets, DbfsCustomerManagedKey, IDatabricksWorkspace } from "./constructs/databricks-workspace";
export { NetworkConnectivity } from "./constructs/network-connectivity";
export type { NetworkConnectivityProps, PrivateEndpointTarget } from "./constructs/network-connectivity";
export { LakehouseCatalog } from "./constructs/lakehouse-catalog";
export type { CatalogPrincipals, LakehouseCatalogProps } from "./constructs/lakehouse-catalog";
export type { CatalogSchemaName, DataEngineerAccess, ExternalLocationArea, Grantee, GrantSet, Securable } from "./constructs/pipeline-grants";
export { BatchJob } from "./constructs/batch-job";
export type { BatchJobProps, BatchJobSchedule, BatchJobSecretScope, BatchJobTask, JobClusterOptions, OperatorPermission } from "./constructs/batch-job";
export type { DataSecurityMode } from "./constructs/cluster-policy";
export { SparkBatchPipeline } from "./constructs/spark-batch-pipeline";
export type { DataEngineerJobAccess, ILoginCredentialIssuer, JobScheduleOptions, SparkBatchPipelineProps } from "./constructs/spark-batch-pipeline";
