import { Construct } from "constructs";
import { AzurermBackend, Fn, TerraformOutput, TerraformStack } from "cdktf";
import { AzurermProvider } from "@cdktf/provider-azurerm/lib/provider";
import { DataAzurermClientConfig } from "@cdktf/provider-azurerm/lib/data-azurerm-client-config";
import { ResourceGroup } from "@cdktf/provider-azurerm/lib/resource-group";
import { DatabricksProvider } from "@cdktf/provider-databricks/lib/provider";
import { RandomProvider } from "@cdktf/provider-random/lib/provider";
import { GEO_REDUNDANT_REPLICATION, LakeStorage } from "../constructs/storage/lake-storage";
import { Observability } from "../constructs/monitoring/observability";
import { RelationalSink } from "../constructs/postgres/relational-sink";
import { SecretStore } from "../constructs/key-vault/secret-store";
import { PeeredNetwork, SecureNetwork } from "../constructs/network/secure-network";
import { subscriptionOfId } from "../constructs/core/resource-id";
import { isAzureRegion } from "../constructs/core/azure-regions";
import { AZURE_ACCOUNTS_HOST } from "../constructs/databricks/databricks-checks";
import { AzurePrincipal } from "../constructs/core/principal";
import { SparkBatchPipeline } from "../constructs/pipeline/spark-batch-pipeline";
import { PropValidator } from "../constructs/core/validation";
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
    validateConfig(this, config);
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
          // The lake is private: manage storage accounts through ARM only (see requireArmOnlyStorage).
          storage: [{ dataPlaneAvailable: false }],
        },
      ],
    });
    new RandomProvider(this, "random");
    new AzurermBackend(this, { ...config.backend, useAzureadAuth: true });

    const client = new DataAzurermClientConfig(this, "client");
    const resourceGroup = new ResourceGroup(this, "resource-group", { name: names.resourceGroup, location: config.location, tags });
    const placement = { resourceGroupName: resourceGroup.name, location: resourceGroup.location, tags };

    this.observability = new Observability(this, "observability", { ...placement, ...config.logs, workspaceName: names.logAnalytics });
    // Every construct gets the same placement, log destination and deletion protection.
    const stackWide = { ...placement, observability: this.observability, deletionProtection: config.deletionProtection };

    const peeredNetworks = (config.network?.peeredNetworks ?? []).map((peer) => ({ ...peer, reversePeeringProvider: peer.reversePeeringProvider ?? this.peeredNetworkProvider(peer) }));
    this.network = new SecureNetwork(this, "network", { ...placement, observability: this.observability, ...config.network, peeredNetworks, nameSuffix: names.suffix });

    this.secrets = new SecretStore(this, "secrets", {
      ...stackWide,
      ...config.vault,
      vaultName: names.keyVault,
      tenantId: client.tenantId,
      network: this.network,
      // The deploying identity writes the generated credentials and keys.
      secretsOfficers: [AzurePrincipal.fromObjectId(client.objectId), ...(config.vault?.secretsOfficers ?? [])],
    });

    const lakeKey = config.lake?.customerManagedKey;
    this.lake = new LakeStorage(this, "lake", {
      ...stackWide,
      ...config.lake,
      accountName: names.storageAccount,
      network: this.network,
      customerManagedKey: lakeKey && { ...lakeKey, secretStore: this.secrets },
    });

    this.database = new RelationalSink(this, "database", {
      ...stackWide,
      ...config.database,
      serverName: names.postgresServer,
      network: this.network,
      tenantId: client.tenantId,
      secretStore: this.secrets,
    });

    const { databricksAccountId, ...pipeline } = config.pipeline ?? ({} as EnvironmentConfig["pipeline"]);
    // The workspace-level provider of the pipeline's Databricks resources (the workspace sets its
    // host and resource id) and the account-level one of the NCC; both authenticate from the
    // environment (ARM_* variables, Azure CLI or OIDC), never from credentials in code.
    const databricks = new DatabricksProvider(this, "databricks", {});
    const databricksAccount = new DatabricksProvider(this, "databricks-account", { alias: "account", host: AZURE_ACCOUNTS_HOST, accountId: databricksAccountId });
    this.pipeline = new SparkBatchPipeline(this, "pipeline", {
      ...placement,
      observability: this.observability,
      ...pipeline,
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
    });

    new TerraformOutput(this, "lake_account_id", { value: this.lake.accountId });
    // The NCC rules' endpoint names: approve-lake-endpoints.sh approves exactly these connections.
    // One string, since terraform-stack.sh reads outputs with `terraform output -raw`.
    new TerraformOutput(this, "lake_ncc_endpoint_names", {
      value: Fn.join(
        ",",
        Object.entries(this.pipeline.networkConnectivity?.privateEndpointRules ?? {})
          .filter(([key]) => key.startsWith("lake-"))
          .map(([, rule]) => rule.endpointName),
      ),
    });
    new TerraformOutput(this, "lake_account_name", { value: this.lake.accountName });
    new TerraformOutput(this, "lake_dfs_endpoint", { value: this.lake.dfsEndpoint });
    new TerraformOutput(this, "key_vault_uri", { value: this.secrets.vaultUri });
    new TerraformOutput(this, "postgres_fqdn", { value: this.database.fqdn });
    new TerraformOutput(this, "databricks_workspace_url", { value: this.pipeline.workspaceUrl });
    new TerraformOutput(this, "databricks_job_id", { value: this.pipeline.jobId });
    // The deploy pipeline runs the migrate job after each apply (it holds the server administrator's credential).
    new TerraformOutput(this, "databricks_migrate_job_id", { value: this.pipeline.migrateJobId });
  }

  /**
   * The provider of a peered VNet's subscription, for the remote side of the peering: azurerm builds
   * a peering's id from its provider's subscription (internal/services/network/virtual_network_peering_resource.go),
   * so with the stack's provider (whose subscription comes from ARM_SUBSCRIPTION_ID) the agents'
   * side would be looked for in the estate's subscription whenever the agents' VNet is in another
   * one. It only manages that peering, so it registers no resource providers there.
   */
  private peeredNetworkProvider(peer: PeeredNetwork): AzurermProvider | undefined {
    const subscriptionId = subscriptionOfId(peer.virtualNetworkId);
    if (subscriptionId === undefined || (peer.createReversePeering ?? true) === false) return undefined;
    return new AzurermProvider(this, `azurerm-${peer.name}`, { alias: peer.name, subscriptionId, resourceProviderRegistrations: "none", storageUseAzuread: true, features: [{}] });
  }
}

function validateConfig(stack: TerraformStack, config: EnvironmentConfig): void {
  const v = new PropValidator("EstateStack", stack.node.path);
  v.oneOf("config.environment", config.environment, ENVIRONMENTS);
  for (const field of ["workload", "instance", "location"] as const) {
    v.required(`config.${field}`, config[field], "a value (see EnvironmentConfig)");
  }
  // A missing section would otherwise surface as a TypeError deep inside a construct.
  for (const section of ["backend", "network", "vault", "lake", "database", "logs", "pipeline", "relaxations"] as const) {
    v.required(`config.${section}`, config[section], `the ${section} section of the environment's settings (see EnvironmentConfig)`);
  }
  v.required("config.pipeline.databricksAccountId", config.pipeline?.databricksAccountId, "the id (a GUID) of the Databricks account, for the account-level provider");
  // Secure defaults are relaxed only with a justification, which docs/security.md and the policy config repeat.
  // An unset prop keeps the construct's secure default, so only explicit values can relax one.
  const relaxations = config.relaxations ?? {};
  const relaxed = (setting: string, isRelaxed: boolean, secure: string) => {
    if (isRelaxed && !(relaxations[setting] ?? "").trim()) v.fail(`config.${setting}`, "(relaxed)", `${secure}, or a justification in config.relaxations["${setting}"]`);
  };
  relaxed("lake.replicationType", config.lake?.replicationType !== undefined && !GEO_REDUNDANT_REPLICATION.includes(config.lake.replicationType), `a geo-redundant replication type (${GEO_REDUNDANT_REPLICATION.join(", ")})`);
  relaxed("lake.customerManagedKey", config.lake !== undefined && config.lake.customerManagedKey === undefined, "a customer-managed key for the lake");
  relaxed("pipeline.dbfsCustomerManagedKey", config.pipeline !== undefined && config.pipeline.dbfsCustomerManagedKey === undefined, "a customer-managed key for the workspace's root DBFS");
  relaxed("database.geoRedundantBackup", config.database?.geoRedundantBackup === false, "geo-redundant backups");
  v.matches("config.workload", config.workload, /^[a-z][a-z0-9]{1,9}$/, "2-10 lowercase letters and digits, starting with a letter (it appears in every resource name)");
  v.matches("config.instance", config.instance, /^[0-9]{2}$/, "two digits, such as 01");
  // Constructs see the resource group's location as a token, so the region is checked here.
  v.check("config.location", config.location, isAzureRegion, 'an Azure region name or display name, such as westeurope or "West Europe"');
  v.required("config.owner", config.owner, "a non-empty owner (team or address) for the owner tag");
  v.required("config.costCentre", config.costCentre, "a non-empty cost centre for the cost-centre tag");
  v.check("config.subscriptionId", config.subscriptionId, (id) => /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(id), "a subscription GUID, or leave it unset to use ARM_SUBSCRIPTION_ID");
  v.matches("config.backend.storageAccountName", config.backend?.storageAccountName, /^[a-z0-9]{3,24}$/, "3-24 lowercase letters and digits");
  v.matches("config.backend.key", config.backend?.key, /^[A-Za-z0-9._/-]+\.tfstate$/, "a blob name ending in .tfstate");
  v.report(stack);
}
