import { Construct } from "constructs";
import { AzurermBackend, TerraformOutput, TerraformStack } from "cdktf";
import { AzurermProvider } from "@cdktf/provider-azurerm/lib/provider";
import { DataAzurermClientConfig } from "@cdktf/provider-azurerm/lib/data-azurerm-client-config";
import { ResourceGroup } from "@cdktf/provider-azurerm/lib/resource-group";
import { DatabricksProvider } from "@cdktf/provider-databricks/lib/provider";
import { RandomProvider } from "@cdktf/provider-random/lib/provider";
import { GEO_REDUNDANT_REPLICATION, LakeStorage } from "../constructs/lake-storage";
import { Observability } from "../constructs/observability";
import { RelationalSink } from "../constructs/relational-sink";
import { SecretStore } from "../constructs/secret-store";
import { PeeredNetwork, SecureNetwork } from "../constructs/secure-network";
import { AZURE_ACCOUNTS_HOST } from "../constructs/databricks-checks";
import { DatabricksPrincipal } from "../constructs/principal";
import { SparkBatchPipeline } from "../constructs/spark-batch-pipeline";
import { PropValidator } from "../constructs/validation";
import { ENVIRONMENTS, EnvironmentConfig, resourceNames } from "./config";

/**
 * One environment of the estate: providers, remote state, the resource group and the composed
 * constructs. It holds no resource details; everything that varies comes from its config.
 */
export class EstateStack extends TerraformStack {
  readonly config: EnvironmentConfig;
  readonly observability: Observability;
  readonly network: SecureNetwork;
  readonly secrets: SecretStore;
  readonly lake: LakeStorage;
  readonly database: RelationalSink;
  readonly pipeline: SparkBatchPipeline;

  constructor(scope: Construct, id: string, config: EnvironmentConfig) {
    super(scope, id);
    validateConfig(this.node.path, config);
    this.config = config;
    const names = resourceNames(config);
    const tags = {
      environment: config.environment,
      workload: config.workload,
      owner: config.owner,
      "cost-centre": config.costCentre,
      "managed-by": "cdktf",
    };

    new AzurermProvider(this, "azurerm", {
      subscriptionId: config.subscriptionId,
      // The lake and the state account disable shared keys: data-plane calls use Entra ID.
      storageUseAzuread: true,
      features: [
        {
          keyVault: [{ purgeSoftDeleteOnDestroy: false, recoverSoftDeletedKeyVaults: true }],
          resourceGroup: [{ preventDeletionIfContainsResources: true }],
        },
      ],
    });
    new RandomProvider(this, "random");
    new AzurermBackend(this, { ...config.backend, useAzureadAuth: true });

    const client = new DataAzurermClientConfig(this, "client");
    const resourceGroup = new ResourceGroup(this, "resource-group", { name: names.resourceGroup, location: config.location, tags });
    const placement = { resourceGroupName: resourceGroup.name, location: resourceGroup.location, tags };

    this.observability = new Observability(this, "observability", {
      ...placement,
      workspaceName: names.logAnalytics,
      retentionInDays: config.logs.retentionInDays,
    });

    this.network = new SecureNetwork(this, "network", {
      ...placement,
      nameSuffix: names.suffix,
      addressSpace: config.network.addressSpace,
      subnets: config.network.subnets,
      natGatewayZones: config.network.natGatewayZones,
      // The deployment agents' VNet (issue 12 rule 4), once the environment's config names it.
      peeredNetworks: (config.network as { readonly peeredNetworks?: PeeredNetwork[] }).peeredNetworks,
      observability: this.observability,
    });

    this.secrets = new SecretStore(this, "secrets", {
      ...placement,
      vaultName: names.keyVault,
      tenantId: client.tenantId,
      skuName: config.vault.skuName,
      softDeleteRetentionDays: config.vault.softDeleteRetentionDays,
      network: this.network,
      secretsOfficerPrincipalIds: [client.objectId, ...(config.vault.secretsOfficerPrincipalIds ?? [])],
      observability: this.observability,
      deletionProtection: config.deletionProtection,
    });

    this.lake = new LakeStorage(this, "lake", {
      ...placement,
      accountName: names.storageAccount,
      replicationType: config.lake.replicationType,
      blobSoftDeleteDays: config.lake.blobSoftDeleteDays,
      containerSoftDeleteDays: config.lake.containerSoftDeleteDays,
      landingCoolAfterDays: config.lake.landingCoolAfterDays,
      landingColdAfterDays: config.lake.landingColdAfterDays,
      landingColdTier: config.lake.landingColdTier,
      customerManagedKey: config.lake.customerManagedKey && { secretStore: this.secrets, keyExpirationDate: config.lake.customerManagedKey.keyExpirationDate },
      network: this.network,
      observability: this.observability,
      deletionProtection: config.deletionProtection,
    });

    this.database = new RelationalSink(this, "database", {
      ...placement,
      serverName: names.postgresServer,
      network: this.network,
      tenantId: client.tenantId,
      secretStore: this.secrets,
      credentialExpirationDate: config.database.credentialExpirationDate,
      passwordVersion: config.database.passwordVersion,
      skuName: config.database.skuName,
      version: config.database.version,
      storageMb: config.database.storageMb,
      backupRetentionDays: config.database.backupRetentionDays,
      geoRedundantBackup: config.database.geoRedundantBackup,
      highAvailability: config.database.highAvailability,
      observability: this.observability,
      deletionProtection: config.deletionProtection,
    });

    const pipeline = config.pipeline;
    // The workspace-level provider of the pipeline's Databricks resources (the workspace sets its
    // host and resource id) and the account-level one of the NCC; both authenticate from the
    // environment (ARM_* variables, Azure CLI or OIDC), never from credentials in code.
    const databricks = new DatabricksProvider(this, "databricks", {});
    const databricksAccount = new DatabricksProvider(this, "databricks-account", {
      alias: "account",
      host: AZURE_ACCOUNTS_HOST,
      accountId: pipeline.databricksAccountId,
    });
    this.pipeline = new SparkBatchPipeline(this, "pipeline", {
      ...placement,
      nameSuffix: names.suffix,
      workspaceName: names.databricksWorkspace,
      environmentName: config.environment,
      costCentre: config.costCentre,
      tenantId: client.tenantId,
      provider: databricks,
      accountProvider: databricksAccount,
      network: this.network,
      secretStore: this.secrets,
      lake: this.lake,
      sink: this.database,
      observability: this.observability,
      metastoreId: pipeline.metastoreId,
      azureDatabricksObjectId: pipeline.azureDatabricksObjectId,
      jobServicePrincipal: DatabricksPrincipal.servicePrincipal(pipeline.jobServicePrincipalApplicationId),
      dataEngineers: DatabricksPrincipal.group(pipeline.dataEngineersGroup),
      mlConsumers: DatabricksPrincipal.group(pipeline.mlConsumersGroup),
      dataEngineerAccess: pipeline.dataEngineerAccess,
      publicNetworkAccess: pipeline.publicNetworkAccess,
      publicNetworkAccessReason: pipeline.publicNetworkAccessReason,
      dbfsCustomerManagedKey: pipeline.dbfsCustomerManagedKey,
      cluster: pipeline.cluster,
      schedule: pipeline.schedule,
      quarter: pipeline.quarter,
      notificationAddresses: pipeline.notificationAddresses,
      maxRetries: pipeline.maxRetries,
      minRetryIntervalMillis: pipeline.minRetryIntervalMillis,
      timeoutSeconds: pipeline.timeoutSeconds,
      runDurationWarningSeconds: pipeline.runDurationWarningSeconds,
    });

    new TerraformOutput(this, "lake_account_name", { value: this.lake.accountName });
    new TerraformOutput(this, "lake_dfs_endpoint", { value: this.lake.dfsEndpoint });
    new TerraformOutput(this, "key_vault_uri", { value: this.secrets.vaultUri });
    new TerraformOutput(this, "postgres_fqdn", { value: this.database.fqdn });
    new TerraformOutput(this, "databricks_workspace_url", { value: this.pipeline.workspaceUrl });
    new TerraformOutput(this, "databricks_job_id", { value: this.pipeline.jobId });
  }
}

function validateConfig(path: string, config: EnvironmentConfig): void {
  const v = new PropValidator("EstateStack", path);
  v.oneOf("config.environment", config.environment, ENVIRONMENTS);
  for (const field of ["workload", "instance", "location"] as const) {
    v.required(`config.${field}`, config[field], "a value (see EnvironmentConfig)");
  }
  // A missing section would otherwise surface as a TypeError deep inside a construct.
  for (const section of ["backend", "network", "vault", "lake", "database", "logs", "pipeline", "relaxations"] as const) {
    v.required(`config.${section}`, config[section], `the ${section} section of the environment's settings (see EnvironmentConfig)`);
  }
  v.required("config.pipeline.metastoreId", config.pipeline?.metastoreId, "the id (a GUID) of the region's Unity Catalog metastore");
  v.required("config.pipeline.cluster", config.pipeline?.cluster, "the job cluster's node types and autoscale bounds");
  v.required("config.pipeline.schedule", config.pipeline?.schedule, "the quarterly schedule's time zone and paused flag");
  // Secure defaults are relaxed only with a justification, which the README and policy config repeat.
  const relaxations = config.relaxations ?? {};
  const relaxed = (setting: string, isRelaxed: boolean, secure: string) => {
    if (isRelaxed && !(relaxations[setting] ?? "").trim()) v.fail(`config.${setting}`, "(relaxed)", `${secure}, or a justification in config.relaxations["${setting}"]`);
  };
  relaxed("lake.replicationType", config.lake !== undefined && !GEO_REDUNDANT_REPLICATION.includes(config.lake.replicationType), `a geo-redundant replication type (${GEO_REDUNDANT_REPLICATION.join(", ")})`);
  relaxed("lake.customerManagedKey", config.lake !== undefined && config.lake.customerManagedKey === undefined, "a customer-managed key for the lake");
  relaxed("pipeline.dbfsCustomerManagedKey", config.pipeline !== undefined && config.pipeline.dbfsCustomerManagedKey === undefined, "a customer-managed key for the workspace's root DBFS");
  relaxed("database.geoRedundantBackup", config.database !== undefined && !config.database.geoRedundantBackup, "geo-redundant backups");
  v.matches("config.workload", config.workload, /^[a-z][a-z0-9]{1,9}$/, "2-10 lowercase letters and digits, starting with a letter (it appears in every resource name)");
  v.matches("config.instance", config.instance, /^[0-9]{2}$/, "two digits, such as 01");
  v.matches("config.location", config.location, /^[a-z]+[a-z0-9]*$/, "an Azure region name such as westeurope");
  v.required("config.owner", config.owner, "a non-empty owner (team or address) for the owner tag");
  v.required("config.costCentre", config.costCentre, "a non-empty cost centre for the cost-centre tag");
  v.check("config.subscriptionId", config.subscriptionId, (id) => /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(id), "a subscription GUID, or leave it unset to use ARM_SUBSCRIPTION_ID");
  v.matches("config.backend.storageAccountName", config.backend?.storageAccountName, /^[a-z0-9]{3,24}$/, "3-24 lowercase letters and digits");
  v.matches("config.backend.key", config.backend?.key, /^[A-Za-z0-9._/-]+\.tfstate$/, "a blob name ending in .tfstate");
  v.throwIfInvalid();
}
