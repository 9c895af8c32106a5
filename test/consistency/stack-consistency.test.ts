/**
 * The stack-wide consistency checks (issue 18), run against the package as it is shipped
 * (lib/index.js, rebuilt when src/ is newer): mistakes between constructs and in what
 * `fromExisting` is given, each of which used to synthesize and fail at plan or apply. Every case
 * asserts the structured problem (construct, path, prop, value) and that it is the only one; the
 * controls must synthesize with no problem and no warning; and the last test reads every message
 * the suite produced.
 */
import { TerraformStack, Testing } from "cdktf";
import { DatabricksProvider } from "@cdktf/provider-databricks/lib/provider";
import { ResourceGroup } from "@cdktf/provider-azurerm/lib/resource-group";
import {
  emptyStack,
  estate,
  estateWithPipeline,
  HUB_NETWORK,
  HUB_ZONES,
  hubVnet,
  JOB_SP,
  jobProps,
  METASTORE,
  networkProps,
  networkStack as network,
  problemLine,
  problemsOnce,
  PAST,
  pipelineProps,
  PLACEMENT,
  shippedPackage,
  SUBSCRIPTION,
  TENANT,
  warningsOf,
  WORKSPACE_ATTRIBUTES,
} from "./estate";

type Problem = import("../../src/index").PropProblem;
type Pipeline = import("../../src/index").SparkBatchPipelineProps;

interface Expected {
  readonly construct: string;
  readonly path: string;
  readonly prop: string;
  /** The value as the problem shows it. */
  readonly value?: string;
}

interface Case {
  readonly name: string;
  readonly build: () => TerraformStack;
  /** Every problem the stack must report, in order; the first is the one the case is about. */
  readonly problems: readonly Expected[];
  /** Words the first problem's `allowed` must contain. */
  readonly allowed?: readonly string[];
  /** Words it must not contain (advice that would lead into another mistake). */
  readonly notAllowed?: readonly string[];
}

const lib = () => shippedPackage();
const group = (name: string) => lib().DatabricksPrincipal.group(name);
const servicePrincipal = (id: string) => lib().DatabricksPrincipal.servicePrincipal(id);
const OTHER_SP = "1f0e2d3c-4b5a-4968-8776-a5b4c3d2e1f0";

/** A second pipeline on the estate that clashes with nothing: its own provider, sink, subnets and lake prefix. */
function secondPipeline(on: ReturnType<typeof estateWithPipeline>, id: string, overrides: Partial<Pipeline> = {}) {
  const sink = new (lib().RelationalSink)(on.stack, `${id}-sink`, {
    ...PLACEMENT,
    serverName: `psql-${id}-dev`,
    tenantId: TENANT,
    network: on.network,
    secretStore: on.vault,
    credentialExpirationDate: "2099-06-30T00:00:00Z",
    skuName: "B_Standard_B1ms",
    highAvailability: "Disabled",
    deletionProtection: false,
  });
  return new (lib().SparkBatchPipeline)(
    on.stack,
    id,
    pipelineProps(on, {
      nameSuffix: `${id}-dev`,
      provider: new DatabricksProvider(on.stack, `databricks-${id}`, { alias: id }),
      workspaceSubnets: on.network.workspaceSubnets.second,
      sink,
      lakePathPrefix: id,
      jobServicePrincipal: servicePrincipal(OTHER_SP),
      dataEngineers: group(`${id}-engineers`),
      mlConsumers: group(`${id}-ml`),
      ...overrides,
    }),
  );
}

/** A created workspace on the estate's network, for jobs and catalogs built by hand. */
function workspaceOn(on: ReturnType<typeof estate>, principals = [servicePrincipal(JOB_SP), group("analytics-engineers")]) {
  return new (lib().DatabricksWorkspace)(on.stack, "workspace", { ...PLACEMENT, name: "dbw-analytics", provider: on.databricks, network: on.network, metastoreId: METASTORE, principals });
}



const classes: Record<string, Case[]> = {
  "names Azure or Unity Catalog require to be unique": [
    {
      name: "two lakes with one account name",
      build: () => {
        const on = estate("two-lakes");
        new (lib().LakeStorage)(on.stack, "lake-2", { ...PLACEMENT, accountName: "stanalyticsdev01", network: on.network, deletionProtection: false });
        return on.stack;
      },
      problems: [{ construct: "LakeStorage", path: "two-lakes/lake-2", prop: "accountName", value: '"stanalyticsdev01"' }],
      allowed: ["two-lakes/lake makes", "unique across all of Azure", "synth checks this stack only"],
    },
    {
      name: "two vaults with one vault name",
      build: () => {
        const on = estate("two-vaults");
        new (lib().SecretStore)(on.stack, "vault-2", { ...PLACEMENT, vaultName: "kv-analytics-dev", tenantId: TENANT, network: on.network, deletionProtection: false });
        return on.stack;
      },
      problems: [{ construct: "SecretStore", path: "two-vaults/vault-2", prop: "vaultName", value: '"kv-analytics-dev"' }],
      allowed: ["Key Vault name", "two-vaults/vault makes"],
    },
    {
      name: "two sinks with one server name",
      build: () => {
        const on = estate("two-sinks");
        const other = new (lib().SecretStore)(on.stack, "vault-2", { ...PLACEMENT, vaultName: "kv-analytics-dev-2", tenantId: TENANT, network: on.network, deletionProtection: false });
        new (lib().RelationalSink)(on.stack, "sink-2", { ...PLACEMENT, serverName: "psql-analytics-dev", tenantId: TENANT, network: on.network, secretStore: other, credentialExpirationDate: "2099-06-30T00:00:00Z", skuName: "B_Standard_B1ms", highAvailability: "Disabled" });
        return on.stack;
      },
      problems: [{ construct: "RelationalSink", path: "two-sinks/sink-2", prop: "serverName", value: '"psql-analytics-dev"' }],
      allowed: ["PostgreSQL server name", "two-sinks/sink makes"],
    },
    {
      name: "two pipelines with one nameSuffix",
      build: () => {
        const on = estateWithPipeline("two-pipelines", () => ({ lakePathPrefix: "first" }));
        secondPipeline(on, "second", { nameSuffix: "analytics-dev" });
        return on.stack;
      },
      problems: [{ construct: "SparkBatchPipeline", path: "two-pipelines/second", prop: "nameSuffix", value: '"analytics-dev"' }],
      allowed: ["two-pipelines/pipeline makes the same workspace, managed resource group, access connector, NCC, catalog, storage credential names"],
    },
    ...(
      [
        ["job name", {}, "jobName", '"analytics-nightly"', "job"],
        ["cluster policy name", { jobName: "analytics-weekly", clusterPolicyName: "analytics-nightly-job" }, "clusterPolicyName", '"analytics-nightly-job"', "cluster policy"],
        ["code folder", { jobName: "analytics-weekly", codeFolder: "/jobs/analytics-nightly" }, "codeFolder", '"/jobs/analytics-nightly"', "workspace folder"],
      ] as const
    ).map(([what, overrides, prop, value, kind]) => ({
      name: `two jobs with one ${what} in one workspace`,
      build: () => {
        const { stack } = emptyStack(`shared-${prop}`);
        const provider = new DatabricksProvider(stack, "databricks", { alias: "analytics" });
        const workspace = lib().DatabricksWorkspace.fromExisting(stack, "workspace", { ...WORKSPACE_ATTRIBUTES, provider });
        new (lib().BatchJob)(stack, "job", jobProps(provider, workspace));
        new (lib().BatchJob)(stack, "other-job", jobProps(provider, workspace, overrides));
        return stack;
      },
      problems: [{ construct: "BatchJob", path: `shared-${prop}/other-job`, prop, value }],
      allowed: [kind, `shared-${prop}/job makes`],
    })),
    {
      name: "two jobs with one secret scope name in one workspace",
      build: () => {
        const { stack } = emptyStack("shared-scope");
        const provider = new DatabricksProvider(stack, "databricks", { alias: "analytics" });
        const workspace = lib().DatabricksWorkspace.fromExisting(stack, "workspace", { ...WORKSPACE_ATTRIBUTES, provider });
        const secretStore = lib().SecretStore.fromExisting(stack, "vault", { vaultId: `/subscriptions/${SUBSCRIPTION}/resourceGroups/rg-sec/providers/Microsoft.KeyVault/vaults/kv-central`, vaultName: "kv-central" });
        const secretScope = { name: "analytics", secretStore, azureDatabricksObjectId: OTHER_SP };
        new (lib().BatchJob)(stack, "job", jobProps(provider, workspace, { secretScope }));
        new (lib().BatchJob)(stack, "other-job", jobProps(provider, workspace, { jobName: "analytics-weekly", secretScope }));
        return stack;
      },
      problems: [{ construct: "BatchJob", path: "shared-scope/other-job", prop: "secretScope.name", value: '"analytics"' }],
      allowed: ["secret scope", "shared-scope/job makes"],
    },
  ],

  "imported resources that contradict themselves": [
    {
      name: "a vault name that is not the last segment of the vault id",
      build: () => {
        const { stack } = emptyStack("vault-name");
        lib().SecretStore.fromExisting(stack, "central-vault", { vaultId: `/subscriptions/${SUBSCRIPTION}/resourceGroups/rg-sec/providers/Microsoft.KeyVault/vaults/kv-central`, vaultName: "kv-centrl" });
        return stack;
      },
      problems: [{ construct: "SecretStore.fromExisting", path: "vault-name/central-vault", prop: "vaultName", value: '"kv-centrl"' }],
      allowed: ['"kv-central"'],
    },
    {
      name: "an account name that does not match the account id",
      build: () => {
        const { stack } = emptyStack("account-name");
        lib().LakeStorage.fromExisting(stack, "central-lake", { accountId: `/subscriptions/${SUBSCRIPTION}/resourceGroups/rg-data/providers/Microsoft.Storage/storageAccounts/stcentral01`, accountName: "stcentral02" });
        return stack;
      },
      problems: [{ construct: "LakeStorage.fromExisting", path: "account-name/central-lake", prop: "accountName", value: '"stcentral02"' }],
      allowed: ['"stcentral01"'],
    },
    {
      name: "a Databricks workspace id that is not a number",
      build: () => {
        const { stack } = emptyStack("workspace-id");
        lib().DatabricksWorkspace.fromExisting(stack, "workspace", { ...WORKSPACE_ATTRIBUTES, workspaceId: "dbw-analytics", provider: new DatabricksProvider(stack, "databricks", { alias: "analytics" }) });
        return stack;
      },
      problems: [{ construct: "DatabricksWorkspace.fromExisting", path: "workspace-id/workspace", prop: "workspaceId", value: '"dbw-analytics"' }],
      allowed: ["numeric id"],
    },
    {
      name: "a workspace URL of the wrong form, and one that names another workspace than the id",
      build: () => {
        const { stack } = emptyStack("workspace-url");
        lib().DatabricksWorkspace.fromExisting(stack, "workspace", { ...WORKSPACE_ATTRIBUTES, workspaceUrl: "adb-1234567890123456.7.azuredatabricks.net", provider: new DatabricksProvider(stack, "one", { alias: "one" }) });
        lib().DatabricksWorkspace.fromExisting(stack, "other", { ...WORKSPACE_ATTRIBUTES, workspaceId: "42", provider: new DatabricksProvider(stack, "two", { alias: "two" }) });
        return stack;
      },
      problems: [
        { construct: "DatabricksWorkspace.fromExisting", path: "workspace-url/workspace", prop: "workspaceUrl", value: '"adb-1234567890123456.7.azuredatabricks.net"' },
        { construct: "DatabricksWorkspace.fromExisting", path: "workspace-url/other", prop: "workspaceId", value: '"42"' },
      ],
      allowed: ["https://adb-"],
    },
    {
      name: "the blob zone given as the vault zone",
      build: () => {
        const { stack } = emptyStack("vault-zone");
        lib().SecureNetwork.fromExisting(stack, "hub", { ...HUB_NETWORK, privateDnsZoneIds: { ...HUB_ZONES, vault: HUB_ZONES.blob } });
        return stack;
      },
      problems: [{ construct: "SecureNetwork.fromExisting", path: "vault-zone/hub", prop: "privateDnsZoneIds.vault" }],
      allowed: ["privatelink.vaultcore.azure.net", "this is the blob zone"],
    },
    {
      name: "the blob and dfs zones swapped",
      build: () => {
        const { stack } = emptyStack("swapped-zones");
        new (lib().LakeStorage)(stack, "lake", { ...PLACEMENT, accountName: "stanalyticsdev01", privateEndpointSubnetId: HUB_NETWORK.privateEndpointSubnetId, blobDnsZoneId: HUB_ZONES.dfs, dfsDnsZoneId: HUB_ZONES.blob });
        return stack;
      },
      problems: [
        { construct: "LakeStorage", path: "swapped-zones/lake", prop: "blobDnsZoneId" },
        { construct: "LakeStorage", path: "swapped-zones/lake", prop: "dfsDnsZoneId" },
      ],
      allowed: ["this is the dfs zone", "swapped"],
    },
    {
      name: "an id of the wrong resource type for its slot",
      build: () => {
        const { stack } = emptyStack("wrong-type");
        lib().DatabricksWorkspace.fromExisting(stack, "workspace", { ...WORKSPACE_ATTRIBUTES, accessConnectorId: WORKSPACE_ATTRIBUTES.workspaceResourceId, provider: new DatabricksProvider(stack, "databricks", { alias: "analytics" }) });
        new (lib().SecretStore)(stack, "vault", { ...PLACEMENT, vaultName: "kv-analytics-dev", tenantId: TENANT, privateEndpointSubnetId: HUB_NETWORK.privateEndpointSubnetId, privateDnsZoneId: hubVnet() });
        return stack;
      },
      problems: [
        { construct: "DatabricksWorkspace.fromExisting", path: "wrong-type/workspace", prop: "accessConnectorId" },
        { construct: "SecretStore", path: "wrong-type/vault", prop: "privateDnsZoneId" },
      ],
      allowed: ["Microsoft.Databricks/accessConnectors resource id"],
    },
  ],

  "region and network consistency": [
    {
      name: "a pipeline in another region than its VNet",
      build: () => estateWithPipeline("pipeline-region", () => ({ location: "northeurope" })).stack,
      problems: [{ construct: "SparkBatchPipeline", path: "pipeline-region/pipeline", prop: "location", value: '"northeurope"' }],
      allowed: ["pipeline-region/network, westeurope"],
    },
    {
      name: "an NCC in another region than its workspace",
      build: () => {
        const on = estate("ncc-region");
        const workspace = lib().DatabricksWorkspace.fromExisting(on.stack, "workspace", { ...WORKSPACE_ATTRIBUTES, provider: on.databricks });
        new (lib().NetworkConnectivity)(on.stack, "ncc", { accountProvider: on.account, workspace, name: "ncc-analytics", region: "northeurope" });
        return on.stack;
      },
      problems: [{ construct: "NetworkConnectivity", path: "ncc-region/ncc", prop: "region", value: '"northeurope"' }],
      allowed: ["the workspace's region, westeurope"],
    },
    {
      name: "a lake in another region than its network",
      build: () => {
        const on = estate("lake-region");
        new (lib().LakeStorage)(on.stack, "lake-2", { ...PLACEMENT, location: "North Europe", accountName: "stanalyticsdev02", network: on.network, deletionProtection: false });
        return on.stack;
      },
      problems: [{ construct: "LakeStorage", path: "lake-region/lake-2", prop: "location", value: '"North Europe"' }],
      allowed: ["private endpoints"],
    },
    {
      name: "workspace subnets of another network of the stack, on a created network",
      build: () => {
        const on = estate("other-network");
        const other = new (lib().SecureNetwork)(on.stack, "other", networkProps({ nameSuffix: "other-dev", addressSpace: "10.21.0.0/20", additionalWorkspaceSubnets: undefined, subnets: { databricksHost: "10.21.0.0/24", databricksContainer: "10.21.1.0/24", postgres: "10.21.2.0/28", privateEndpoints: "10.21.2.64/26" } }));
        new (lib().SparkBatchPipeline)(on.stack, "pipeline", pipelineProps(on, { workspaceSubnets: { host: other.databricksHostSubnet, container: other.databricksContainerSubnet } }));
        return on.stack;
      },
      problems: [
        { construct: "DatabricksWorkspace", path: "other-network/pipeline/workspace", prop: "subnets.host", value: '"(the Databricks host subnet of other-network/other)"' },
        { construct: "DatabricksWorkspace", path: "other-network/pipeline/workspace", prop: "subnets.container", value: '"(the Databricks container subnet of other-network/other)"' },
      ],
      allowed: ["a subnet of the network's VNet (other-network/network)"],
    },
    {
      name: "the network's PostgreSQL subnet as a workspace subnet",
      build: () => {
        const on = estate("postgres-subnet");
        new (lib().DatabricksWorkspace)(on.stack, "workspace", { ...PLACEMENT, name: "dbw-analytics", provider: on.databricks, network: on.network, subnets: { host: on.network.workspaceSubnets.second.host, container: on.network.postgresSubnet } });
        return on.stack;
      },
      problems: [{ construct: "DatabricksWorkspace", path: "postgres-subnet/workspace", prop: "subnets.container", value: '"(the PostgreSQL subnet of postgres-subnet/network)"' }],
      allowed: ["this is its PostgreSQL subnet"],
    },
    {
      name: "peered networks that overlap each other",
      build: () =>
        network("peers-overlap", {
          peeredNetworks: [
            { name: "hub", virtualNetworkId: hubVnet(), addressSpaces: ["10.100.0.0/16"] },
            { name: "agents", virtualNetworkId: hubVnet("vnet-agents"), addressSpaces: ["10.100.8.0/24"] },
          ],
        }),
      problems: [{ construct: "SecureNetwork", path: "peers-overlap/network", prop: "peeredNetworks[1].addressSpaces[0]", value: '"10.100.8.0/24"' }],
      allowed: ["peeredNetworks[0] (hub)'s 10.100.0.0/16"],
    },
    {
      name: "two overlapping networks of the stack peered with one hub",
      build: () => {
        const { stack } = emptyStack("hub-overlap");
        const hub = [{ name: "hub", virtualNetworkId: hubVnet(), addressSpaces: ["10.0.0.0/16"] }];
        new (lib().SecureNetwork)(stack, "payments", networkProps({ nameSuffix: "payments-dev", additionalWorkspaceSubnets: undefined, peeredNetworks: hub }));
        new (lib().SecureNetwork)(stack, "risk", networkProps({ nameSuffix: "risk-dev", additionalWorkspaceSubnets: undefined, peeredNetworks: hub }));
        return stack;
      },
      problems: [{ construct: "SecureNetwork", path: "hub-overlap/risk", prop: "addressSpace", value: '"10.20.0.0/20"' }],
      allowed: ["hub-overlap/payments's 10.20.0.0/20", "vnet-hub"],
    },
  ],

  "providers in the wrong role": [
    {
      name: "the account-level provider as a pipeline's workspace provider",
      build: () => estateWithPipeline("account-as-workspace", (on) => ({ provider: on.account })).stack,
      problems: [{ construct: "SparkBatchPipeline", path: "account-as-workspace/pipeline", prop: "provider", value: '"account"' }],
      allowed: ["a workspace-level DatabricksProvider of its own", "no host or accountId", "only accountProvider takes"],
    },
    {
      name: "a workspace's provider as the pipeline's account provider",
      build: () => estateWithPipeline("workspace-as-account", (on) => ({ accountProvider: on.databricks })).stack,
      problems: [{ construct: "SparkBatchPipeline", path: "workspace-as-account/pipeline", prop: "accountProvider", value: '"analytics"' }],
      allowed: ["an account-level DatabricksProvider of its own", "which keeps it"],
      // Setting the accounts host or an account id on the workspace's provider would make it the other mistake.
      notAllowed: ["set host", "add accountId"],
    },
    {
      name: "a provider with an account id given to an imported workspace",
      build: () => {
        const { stack } = emptyStack("imported-account-provider");
        const account = new DatabricksProvider(stack, "databricks-account", { alias: "account", accountId: "6e1c7c52-9b1a-4e55-8f61-2b8d3c9a7e10" });
        lib().DatabricksWorkspace.fromExisting(stack, "workspace", { ...WORKSPACE_ATTRIBUTES, provider: account });
        return stack;
      },
      problems: [{ construct: "DatabricksWorkspace.fromExisting", path: "imported-account-provider/workspace", prop: "provider", value: '"account"' }],
      allowed: ["account has an accountId"],
    },
    {
      name: "a provider without the accounts host as an NCC's account provider",
      build: () => {
        const on = estate("ncc-provider");
        const workspace = lib().DatabricksWorkspace.fromExisting(on.stack, "workspace", { ...WORKSPACE_ATTRIBUTES, provider: on.databricks });
        new (lib().NetworkConnectivity)(on.stack, "ncc", { accountProvider: new DatabricksProvider(on.stack, "plain", { alias: "plain" }), workspace, name: "ncc-analytics" });
        return on.stack;
      },
      problems: [{ construct: "NetworkConnectivity", path: "ncc-provider/ncc", prop: "accountProvider.host", value: "(missing)" }],
      allowed: ["https://accounts.azuredatabricks.net"],
    },
  ],

  identities: [
    {
      name: "a job run as a principal the imported workspace never assigns",
      build: () => {
        const { stack } = emptyStack("unassigned-run-as");
        const provider = new DatabricksProvider(stack, "databricks", { alias: "analytics" });
        const workspace = lib().DatabricksWorkspace.fromExisting(stack, "workspace", { ...WORKSPACE_ATTRIBUTES, provider, assignedPrincipals: [servicePrincipal(OTHER_SP)] });
        new (lib().BatchJob)(stack, "job", jobProps(provider, workspace));
        return stack;
      },
      problems: [{ construct: "BatchJob", path: "unassigned-run-as/job", prop: "runAs", value: `"service principal ${JOB_SP}"` }],
      allowed: ["unassigned-run-as/workspace assigns", `service principal ${OTHER_SP}`],
    },
    {
      name: "a job operator the created workspace never assigns",
      build: () => {
        const on = estate("unassigned-operator");
        new (lib().BatchJob)(on.stack, "job", jobProps(on.databricks, workspaceOn(on), { operators: [group("night-shift")] }));
        return on.stack;
      },
      problems: [{ construct: "BatchJob", path: "unassigned-operator/job", prop: "operators[0]", value: '"group night-shift"' }],
      allowed: ["add it to the DatabricksWorkspace's principals"],
    },
    {
      name: "a vault and a sink tenant id that are not GUIDs",
      build: () => {
        const { stack } = emptyStack("tenant-ids");
        const vault = new (lib().SecretStore)(stack, "vault", { ...PLACEMENT, vaultName: "kv-analytics-dev", tenantId: "contoso.onmicrosoft.com", privateEndpointSubnetId: HUB_NETWORK.privateEndpointSubnetId, privateDnsZoneId: HUB_ZONES.vault });
        new (lib().RelationalSink)(stack, "sink", {
          ...PLACEMENT,
          serverName: "psql-analytics-dev",
          tenantId: "<tenant-id>",
          secretStore: vault,
          delegatedSubnetId: HUB_NETWORK.postgresSubnetId,
          privateDnsZoneId: HUB_ZONES.postgres,
          credentialExpirationDate: "2099-06-30T00:00:00Z",
        });
        return stack;
      },
      problems: [
        { construct: "SecretStore", path: "tenant-ids/vault", prop: "tenantId", value: '"contoso.onmicrosoft.com"' },
        { construct: "RelationalSink", path: "tenant-ids/sink", prop: "tenantId", value: '"<tenant-id>"' },
      ],
      allowed: ["a GUID"],
    },
    {
      name: "a pipeline tenant id that is not a GUID, reported once",
      build: () => estateWithPipeline("pipeline-tenant", () => ({ tenantId: "contoso" })).stack,
      problems: [{ construct: "SparkBatchPipeline", path: "pipeline-tenant/pipeline", prop: "tenantId", value: '"contoso"' }],
    },
  ],

  "a cluster with no way out": [
    {
      name: "no NAT gateway and no route table",
      build: () => network("no-egress", { natGateway: false }),
      problems: [{ construct: "SecureNetwork", path: "no-egress/network", prop: "natGateway", value: "false" }],
      allowed: ["routeTableId", "egressProvidedElsewhere: true", "cannot start a cluster or install its libraries"],
    },
    {
      name: "no NAT gateway, no route table and egress said not to be provided elsewhere",
      build: () => network("egress-not-elsewhere", { natGateway: false, egressProvidedElsewhere: false }),
      problems: [{ construct: "SecureNetwork", path: "egress-not-elsewhere/network", prop: "natGateway", value: "false" }],
    },
  ],

  "messages a person can act on": [
    {
      name: "a 27-character nameSuffix, which makes an NCC name over 30",
      build: () => estateWithPipeline("long-suffix", () => ({ nameSuffix: "analytics-quarterly-dev-eu1" })).stack,
      problems: [{ construct: "SparkBatchPipeline", path: "long-suffix/pipeline", prop: "nameSuffix", value: '"analytics-quarterly-dev-eu1"' }],
      allowed: ["at most 26 characters", "networkConnectivityName"],
    },
    {
      name: "a misspelt region on every construct, reported once with its nearest regions",
      build: () => estateWithPipeline("misspelt-region", () => ({ location: "westeruope" }), { location: "westeruope" }).stack,
      problems: [{ construct: "SecureNetwork", path: "misspelt-region/network", prop: "location", value: '"westeruope"' }],
      allowed: ["nearest: westeurope", "misspelt-region/pipeline"],
      notAllowed: ["koreacentral", "misspelt-region/pipeline/workspace"],
    },
    {
      name: "a sink credential that expired, reported once with its secrets' names",
      build: () => {
        const { stack } = emptyStack("expired");
        const vault = new (lib().SecretStore)(stack, "vault", { ...PLACEMENT, vaultName: "kv-analytics-dev", tenantId: TENANT, privateEndpointSubnetId: HUB_NETWORK.privateEndpointSubnetId, privateDnsZoneId: HUB_ZONES.vault });
        new (lib().RelationalSink)(stack, "sink", { ...PLACEMENT, serverName: "psql-analytics-dev", tenantId: TENANT, secretStore: vault, delegatedSubnetId: HUB_NETWORK.postgresSubnetId, privateDnsZoneId: HUB_ZONES.postgres, credentialExpirationDate: PAST });
        return stack;
      },
      problems: [{ construct: "RelationalSink", path: "expired/sink", prop: "credentialExpirationDate", value: `"${PAST}"` }],
      allowed: ["secret psql-analytics-dev-admin-user", "secret psql-analytics-dev-admin-password"],
    },
    {
      name: "a bad group name, reported once by the pipeline",
      build: () => estateWithPipeline("bad-group", () => ({ dataEngineers: group("analytics/engineers!") })).stack,
      problems: [{ construct: "SparkBatchPipeline", path: "bad-group/pipeline", prop: "dataEngineers.name", value: '"analytics/engineers!"' }],
    },
    {
      name: "a name built from a deploy-time value, shown as what Terraform will compute",
      build: () => {
        const { stack } = emptyStack("deploy-time");
        const resourceGroup = new ResourceGroup(stack, "rg", { name: "rg-analytics", location: "westeurope" });
        new (lib().LakeStorage)(stack, "lake", { ...PLACEMENT, accountName: `ST_${resourceGroup.name}`, privateEndpointSubnetId: HUB_NETWORK.privateEndpointSubnetId, blobDnsZoneId: HUB_ZONES.blob, dfsDnsZoneId: HUB_ZONES.dfs });
        return stack;
      },
      problems: [{ construct: "LakeStorage", path: "deploy-time/lake", prop: "accountName", value: '"ST_${azurerm_resource_group.rg.name}"' }],
      allowed: ['"S", "T", "_"'],
    },
  ],
};

/** The problems a case's stack reports (built once). */
function problemsOf(badInput: Case): Problem[] {
  return problemsOnce(badInput.name, badInput.build);
}

const allCases = Object.values(classes).flat();

describe.each(Object.entries(classes))("refused: %s", (className, cases) => {
  it("has at least two cases", () => {
    expect({ className, cases: cases.length >= 2 }).toEqual({ className, cases: true });
  });

  it.each(cases.map((badInput) => [badInput.name, badInput] as const))("%s", (_name, badInput) => {
    const problems = problemsOf(badInput);
    expect(problems.map(({ construct, path, prop }) => ({ construct, path, prop }))).toEqual(badInput.problems.map(({ construct, path, prop }) => ({ construct, path, prop })));
    badInput.problems.forEach((expected, index) => {
      if (expected.value !== undefined) expect(problems[index].value).toBe(expected.value);
    });
    for (const words of badInput.allowed ?? []) expect(problems[0].allowed).toContain(words);
    for (const words of badInput.notAllowed ?? []) expect(problems[0].allowed).not.toContain(words);
  });
});

describe("a stack-wide problem at synth", () => {
  it("fails synthesis with the construct's path, the construct and the prop", () => {
    const stack = allCases.find((badInput) => badInput.name === "two lakes with one account name")?.build() as TerraformStack;
    expect(() => Testing.synth(stack, true)).toThrow(/\[two-lakes\/lake-2\] LakeStorage: accountName "stanalyticsdev01" is not allowed/);
  });

  it("is found by validationProblems on the construct it names, too", () => {
    const stack = allCases.find((badInput) => badInput.name === "two lakes with one account name")?.build() as TerraformStack;
    const lake = stack.node.findChild("lake-2");
    expect(lib().validationProblems(lake).map(({ path, prop }) => ({ path, prop }))).toEqual([{ path: "two-lakes/lake-2", prop: "accountName" }]);
  });
});

describe("warnings for prod settings that are legal but unwise", () => {
  it("warns of a paused schedule in prod", () => {
    const { stack } = estateWithPipeline("prod-paused", () => ({ environmentName: "prod", schedule: { paused: true } }));
    expect(lib().validationProblems(stack)).toEqual([]);
    expect(warningsOf(stack)).toEqual([expect.stringContaining("schedule.paused is true in prod")]);
  });

  it("warns of data engineers with every privilege in prod", () => {
    const { stack } = estateWithPipeline("prod-all", () => ({ environmentName: "prod", dataEngineerAccess: "all" }));
    expect(warningsOf(stack)).toEqual([expect.stringContaining('dataEngineerAccess "all" in prod')]);
  });

  it("does not warn of either outside prod", () => {
    const { stack } = estateWithPipeline("dev-paused", () => ({ environmentName: "dev", schedule: { paused: true }, dataEngineerAccess: "all" }));
    expect(warningsOf(stack)).toEqual([]);
  });
});

/** Valid stacks, which must synthesize with no problem and no warning. */
const controls: Array<[string, () => TerraformStack]> = [
  ["the estate with a pipeline on a created network", () => estateWithPipeline("control-estate", () => ({ environmentName: "prod" })).stack],
  [
    "two pipelines on one estate, each with its own names, provider, subnets, sink and lake prefix",
    () => {
      const on = estateWithPipeline("control-two", () => ({ lakePathPrefix: "first" }));
      secondPipeline(on, "second");
      return on.stack;
    },
  ],
  [
    "a spoke whose egress goes through the hub's firewall, and one whose egress is provided elsewhere",
    () => {
      const { stack } = emptyStack("control-egress");
      const routeTableId = `/subscriptions/${SUBSCRIPTION}/resourceGroups/rg-analytics/providers/Microsoft.Network/routeTables/rt-to-firewall`;
      new (lib().SecureNetwork)(stack, "spoke", networkProps({ natGateway: false, routeTableId, privateDnsZoneIds: HUB_ZONES, peeredNetworks: [{ name: "hub", virtualNetworkId: hubVnet(), addressSpaces: ["10.0.0.0/16"] }] }));
      new (lib().SecureNetwork)(stack, "other", networkProps({ nameSuffix: "other-dev", addressSpace: "10.21.0.0/20", additionalWorkspaceSubnets: undefined, subnets: { databricksHost: "10.21.0.0/24", databricksContainer: "10.21.1.0/24", postgres: "10.21.2.0/28", privateEndpoints: "10.21.2.64/26" }, natGateway: false, egressProvidedElsewhere: true }));
      return stack;
    },
  ],
  [
    "an imported network, workspace and lake with a job and a catalog",
    () => {
      const { stack } = emptyStack("control-imported");
      const provider = new DatabricksProvider(stack, "databricks", { alias: "analytics" });
      const hub = lib().SecureNetwork.fromExisting(stack, "hub", HUB_NETWORK);
      const workspace = lib().DatabricksWorkspace.fromExisting(stack, "workspace", {
        ...WORKSPACE_ATTRIBUTES,
        provider,
        metastoreId: METASTORE,
        assignedPrincipals: [servicePrincipal(JOB_SP), group("analytics-engineers"), group("analytics-ml")],
      });
      // An imported lake would warn that its owner must let the access connector in; this one is created.
      const lake = new (lib().LakeStorage)(stack, "lake", { ...PLACEMENT, accountName: "stanalyticsdev01", network: hub, deletionProtection: false });
      lib().LakeStorage.fromExisting(stack, "central-lake", {
        accountId: `/subscriptions/${SUBSCRIPTION}/resourceGroups/rg-data/providers/Microsoft.Storage/storageAccounts/stcentral01`,
        accountName: "stcentral01",
        dfsEndpoint: "https://stcentral01.dfs.core.windows.net/",
      });
      lib().SecretStore.fromExisting(stack, "vault", { vaultId: `/subscriptions/${SUBSCRIPTION}/resourceGroups/rg-sec/providers/Microsoft.KeyVault/vaults/kv-central`, vaultName: "kv-central", vaultUri: "https://kv-central.vault.azure.net/" });
      new (lib().BatchJob)(stack, "job", jobProps(provider, workspace, { operators: [group("analytics-engineers")] }));
      new (lib().LakehouseCatalog)(stack, "catalog", {
        provider,
        workspace,
        lake,
        tenantId: TENANT,
        catalogName: "analytics",
        principals: { jobServicePrincipal: servicePrincipal(JOB_SP), dataEngineers: group("analytics-engineers"), mlConsumers: group("analytics-ml") },
      });
      return stack;
    },
  ],
];

describe("valid controls", () => {
  it.each(controls)("%s synthesizes with no problem and no warning", (_name, build) => {
    const stack = build();
    expect(lib().validationProblems(stack)).toEqual([]);
    expect(() => Testing.synth(stack, true)).not.toThrow();
    expect(warningsOf(stack)).toEqual([]);
  });
});

describe("every message the suite produces", () => {
  const everything = () => allCases.flatMap((badInput) => problemsOf(badInput).map((problem) => ({ badInput: badInput.name, problem })));
  const line = problemLine;

  it("holds no raw token", () => {
    const raw = everything().filter(({ problem }) => /TfToken\[|\$\{TfToken/.test(line(problem)));
    expect(raw).toEqual([]);
  });

  it("is under 400 characters", () => {
    const long = everything().filter(({ problem }) => line(problem).length >= 400).map(({ badInput, problem }) => ({ badInput, length: line(problem).length, line: line(problem) }));
    expect(long).toEqual([]);
  });

  it("reports no problem twice: neither one prop twice, nor one value and rule at two places", () => {
    const duplicates: string[] = [];
    for (const badInput of allCases) {
      const seen = new Map<string, string>();
      for (const problem of problemsOf(badInput)) {
        for (const key of [`${problem.path}|${problem.prop}|${problem.value}`, `${problem.value}|${problem.allowed}`]) {
          if (seen.has(key)) duplicates.push(`${badInput.name}: ${line(problem)} (also ${seen.get(key)})`);
          seen.set(key, `${problem.path} ${problem.prop}`);
        }
      }
    }
    expect(duplicates).toEqual([]);
  });

  it("covers every warning too: short and without raw tokens", () => {
    const { stack } = estateWithPipeline("warnings", () => ({ environmentName: "prod", schedule: { paused: true }, dataEngineerAccess: "all" }));
    for (const warning of warningsOf(stack)) {
      expect(warning.length).toBeLessThan(400);
      expect(warning).not.toMatch(/TfToken\[/);
    }
  });
});
