/**
 * Mistakes across subscriptions and at Azure's limits (issue 30), run against the package as it
 * is shipped (lib/index.js), the way a platteam spreading an estate over a hub and spoke
 * subscriptions would make them. Each case asserts every problem (construct, path, prop, value);
 * each class has valid controls that must synthesize with no problem and no warning; the last
 * tests read every message the suite produced.
 */
import { TerraformStack, Testing } from "cdktf";
import { AzurermProvider } from "@cdktf/provider-azurerm/lib/provider";
import { DatabricksProvider } from "@cdktf/provider-databricks/lib/provider";
import { auditMessages } from "../helpers/message-audit";
import {
  emptyStack,
  estate,
  estateWithPipeline,
  FUTURE,
  HUB_NETWORK,
  HUB_ZONES,
  hubSubnet,
  hubVnet,
  JOB_SP,
  jobProps,
  METASTORE,
  networkProps,
  networkStack as network,
  problemLine,
  problemsOnce,
  pipelineProps,
  PLACEMENT,
  shippedPackage,
  SUBSCRIPTION,
  TENANT,
  warningsOf,
  WORKSPACE_ATTRIBUTES,
} from "./estate";

type Problem = import("../../src/index").PropProblem;
type Lib = typeof import("../../src/index");

const lib = (): Lib => shippedPackage();
const group = (name: string) => lib().DatabricksPrincipal.group(name);
const servicePrincipal = (id: string) => lib().DatabricksPrincipal.servicePrincipal(id);

/** The hub's subscription is the one of the hub ids in ./estate; the spoke has its own. */
const HUB = SUBSCRIPTION;
const SPOKE = "5d0a4a8e-3a4f-4b8e-9c1e-2f6b7a8c9d0e";
const STORAGE_FEATURES = [{ storage: [{ dataPlaneAvailable: false }] }];
const spokeSubnet = (name: string) => `/subscriptions/${SPOKE}/resourceGroups/rg-analytics/providers/Microsoft.Network/virtualNetworks/vnet-spoke/subnets/${name}`;

/** A stack with the spoke's default azurerm provider and the hub's aliased one (`spokeSubscription` null: ARM_SUBSCRIPTION_ID). */
function hubAndSpoke(id: string, spokeSubscription: string | null = SPOKE) {
  const stack = new TerraformStack(Testing.app(), id);
  new AzurermProvider(stack, "azurerm", { subscriptionId: spokeSubscription ?? undefined, features: STORAGE_FEATURES });
  const hub = new AzurermProvider(stack, "hub", { alias: "hub", subscriptionId: HUB, features: STORAGE_FEATURES });
  return { stack, hub };
}

/** A vault, lake and sink placed in `network`, made with `provider`. */
function dataStores(stack: TerraformStack, network: import("../../src/index").ISecureNetwork, provider?: AzurermProvider) {
  const vault = new (lib().SecretStore)(stack, "vault", { ...PLACEMENT, provider, vaultName: "kv-analytics-dev", tenantId: TENANT, network, skuName: "premium", deletionProtection: false });
  const lake = new (lib().LakeStorage)(stack, "lake", { ...PLACEMENT, provider, accountName: "stanalyticsdev01", network, deletionProtection: false });
  const sink = new (lib().RelationalSink)(stack, "sink", {
    ...PLACEMENT,
    provider,
    serverName: "psql-analytics-dev",
    tenantId: TENANT,
    network,
    secretStore: vault,
    credentialExpirationDate: FUTURE,
    skuName: "B_Standard_B1ms",
    highAvailability: "Disabled",
    deletionProtection: false,
  });
  return { vault, lake, sink };
}

/** The Databricks providers and a pipeline on stores in `network`. */
function pipelineIn(stack: TerraformStack, network: import("../../src/index").ISecureNetwork, stores: ReturnType<typeof dataStores>, overrides: Partial<import("../../src/index").SparkBatchPipelineProps> = {}) {
  const databricks = new DatabricksProvider(stack, "databricks", { alias: "analytics" });
  const account = new DatabricksProvider(stack, "databricks-account", { alias: "account", host: lib().AZURE_ACCOUNTS_HOST, accountId: "6e1c7c52-9b1a-4e55-8f61-2b8d3c9a7e10" });
  const on = { stack, network, ...stores, databricks, account } as unknown as Parameters<typeof pipelineProps>[0];
  return new (lib().SparkBatchPipeline)(stack, "pipeline", pipelineProps(on, { workspaceSubnets: undefined, ...overrides }));
}


/** A job on an imported workspace, in its own stack. */
function job(id: string, overrides: Partial<import("../../src/index").BatchJobProps> = {}): TerraformStack {
  const { stack } = emptyStack(id);
  const provider = new DatabricksProvider(stack, "databricks", { alias: "analytics" });
  const workspace = lib().DatabricksWorkspace.fromExisting(stack, "workspace", { ...WORKSPACE_ATTRIBUTES, provider });
  new (lib().BatchJob)(stack, "job", jobProps(provider, workspace, overrides));
  return stack;
}


/** A long value as a problem shows it: quoted, its two ends kept when it is longer than 120 characters. */
const shown = (value: string) => {
  const quoted = `"${value}"`;
  return quoted.length > 120 ? `${quoted.slice(0, 40)}...${quoted.slice(quoted.length - 77)}` : quoted;
};

/** A catalog on an imported workspace that assigns `assigned`, granting to the job's principal and two account groups. */
function catalogOnImportedWorkspace(id: string, assigned: import("../../src/index").IDatabricksPrincipal[]): TerraformStack {
  const { stack } = emptyStack(id);
  const provider = new DatabricksProvider(stack, "databricks", { alias: "analytics" });
  const workspace = lib().DatabricksWorkspace.fromExisting(stack, "workspace", { ...WORKSPACE_ATTRIBUTES, provider, metastoreId: METASTORE, assignedPrincipals: assigned });
  const lake = new (lib().LakeStorage)(stack, "lake", { ...PLACEMENT, accountName: "stanalyticsdev01", network: lib().SecureNetwork.fromExisting(stack, "hub", HUB_NETWORK), deletionProtection: false });
  new (lib().LakehouseCatalog)(stack, "catalog", {
    provider,
    workspace,
    lake,
    tenantId: TENANT,
    catalogName: "analytics",
    principals: { jobServicePrincipal: servicePrincipal(JOB_SP), dataEngineers: group("analytics-engineers"), mlConsumers: group("analytics-ml") },
  });
  return stack;
}

const tags = (count: number) => Object.fromEntries(Array.from({ length: count }, (_, index) => [`tag-${index}`, "x"]));

interface Expected {
  readonly construct: string;
  readonly path: string;
  readonly prop: string;
  /** The value as the problem shows it. */
  readonly value: string;
}

interface Case {
  readonly name: string;
  readonly build: () => TerraformStack;
  /** Every problem the stack must report, in order. */
  readonly problems: readonly Expected[];
  /** Words the first problem's `allowed` must contain. */
  readonly allowed?: readonly string[];
}

const classes: Record<string, { readonly cases: Case[]; readonly controls: Array<[string, () => TerraformStack]> }> = {
  "placement across subscriptions": {
    cases: [
      {
        name: "a pipeline on the spoke's provider whose workspace's VNet is in the hub's subscription",
        build: () => {
          const { stack, hub } = hubAndSpoke("workspace-vnet");
          const created = new (lib().SecureNetwork)(stack, "network", networkProps({ provider: hub, additionalWorkspaceSubnets: undefined }));
          pipelineIn(stack, created, dataStores(stack, created, hub));
          return stack;
        },
        problems: [{ construct: "SparkBatchPipeline", path: "workspace-vnet/pipeline", prop: "network", value: `"workspace-vnet/network (subscription ${HUB})"` }],
        allowed: [`one in subscription ${SPOKE}`, "VNet-injected Databricks workspace must be in its VNet's subscription"],
      },
      {
        name: "a route table of the hub associated with the spoke's subnets",
        build: () => {
          const { stack } = hubAndSpoke("route-table");
          new (lib().SecureNetwork)(stack, "network", networkProps({ additionalWorkspaceSubnets: undefined, natGateway: false, routeTableId: `/subscriptions/${HUB}/resourceGroups/rg-hub/providers/Microsoft.Network/routeTables/rt-firewall` }));
          return stack;
        },
        problems: [{ construct: "SecureNetwork", path: "route-table/network", prop: "routeTableId", value: `"its id (subscription ${HUB})"` }],
        allowed: ["route table is associated only with subnets in its own subscription"],
      },
      {
        name: "a workspace subnet whose NSG association id is in another subscription than the subnet",
        build: () => {
          const { stack, hub } = hubAndSpoke("nsg-association");
          const hubNetwork = lib().SecureNetwork.fromExisting(stack, "hub-network", HUB_NETWORK);
          const host = { id: hubSubnet("snet-dbw-2-host"), name: "snet-dbw-2-host", networkSecurityGroupAssociationId: spokeSubnet("snet-dbw-2-host") };
          const container = { id: hubSubnet("snet-dbw-2-container"), name: "snet-dbw-2-container", networkSecurityGroupAssociationId: hubSubnet("snet-dbw-2-container") };
          const provider = new DatabricksProvider(stack, "databricks", { alias: "analytics" });
          new (lib().DatabricksWorkspace)(stack, "workspace", { ...PLACEMENT, azurermProvider: hub, name: "dbw-analytics", provider, network: hubNetwork, subnets: { host, container } });
          return stack;
        },
        problems: [{ construct: "DatabricksWorkspace", path: "nsg-association/workspace", prop: "subnets.host.networkSecurityGroupAssociationId", value: `"${spokeSubnet("snet-dbw-2-host")}"` }],
        allowed: ["whose id is the subnet's", "only subnets of its own subscription"],
      },
      {
        name: "a lake made in the hub's subscription with its private endpoints on a spoke subnet",
        build: () => {
          const { stack, hub } = hubAndSpoke("endpoint-subnet");
          new (lib().LakeStorage)(stack, "lake", { ...PLACEMENT, provider: hub, accountName: "stanalyticsdev01", privateEndpointSubnetId: spokeSubnet("snet-pe"), blobDnsZoneId: HUB_ZONES.blob, dfsDnsZoneId: HUB_ZONES.dfs, deletionProtection: false });
          return stack;
        },
        problems: [{ construct: "LakeStorage", path: "endpoint-subnet/lake", prop: "privateEndpointSubnetId", value: `"its id (subscription ${SPOKE})"` }],
        allowed: [`one in subscription ${HUB}`, "private endpoint's network interface is made in its subnet's subscription"],
      },
      {
        name: "a network on the hub's provider with every construct placed in it on the spoke's: one problem, on the network",
        build: () => {
          const { stack, hub } = hubAndSpoke("network-provider");
          const created = new (lib().SecureNetwork)(stack, "network", networkProps({ provider: hub, additionalWorkspaceSubnets: undefined }));
          dataStores(stack, created);
          return stack;
        },
        problems: [{ construct: "SecureNetwork", path: "network-provider/network", prop: "provider", value: `"hub (subscription ${HUB})"` }],
        allowed: [`a provider of subscription ${SPOKE}`, "network-provider/vault, network-provider/lake and 1 more"],
      },
      {
        name: "an imported hub network used by constructs on the spoke's default provider: one problem, on the import",
        build: () => {
          const { stack } = hubAndSpoke("imported-hub");
          const hubNetwork = lib().SecureNetwork.fromExisting(stack, "hub-network", HUB_NETWORK);
          dataStores(stack, hubNetwork);
          return stack;
        },
        problems: [{ construct: "SecureNetwork.fromExisting", path: "imported-hub/hub-network", prop: "virtualNetworkId", value: `"vnet-hub (subscription ${HUB})"` }],
        allowed: [`a VNet of subscription ${SPOKE}`],
      },
    ],
    controls: [
      [
        "the spoke's network, vault, lake, sink and pipeline on its provider, linked to the hub's zones and peered with its VNet through the hub's provider",
        () => {
          const { stack, hub } = hubAndSpoke("control-hub-and-spoke");
          const created = new (lib().SecureNetwork)(stack, "network", networkProps({
            additionalWorkspaceSubnets: undefined,
            privateDnsZoneIds: HUB_ZONES,
            linkExistingDnsZones: true,
            privateDnsZoneProvider: hub,
            natGateway: false,
            routeTableId: `/subscriptions/${SPOKE}/resourceGroups/rg-analytics/providers/Microsoft.Network/routeTables/rt-to-hub-firewall`,
            peeredNetworks: [{ name: "hub", virtualNetworkId: hubVnet(), addressSpaces: ["10.0.0.0/16"], reversePeeringProvider: hub }],
          }));
          pipelineIn(stack, created, dataStores(stack, created));
          return stack;
        },
      ],
      [
        "a single-subscription stack (one azurerm provider, its subscription from ARM_SUBSCRIPTION_ID) on an imported network",
        () => {
          const { stack } = emptyStack("control-one-subscription");
          dataStores(stack, lib().SecureNetwork.fromExisting(stack, "hub-network", HUB_NETWORK));
          return stack;
        },
      ],
    ],
  },

  "provider set-ups Terraform refuses at init or validate": {
    cases: [
      {
        name: "two azurerm providers with the alias hub",
        build: () => {
          const { stack } = hubAndSpoke("same-alias");
          new AzurermProvider(stack, "hub-2", { alias: "hub", subscriptionId: SPOKE, features: [{}] });
          new (lib().SecureNetwork)(stack, "network", networkProps({ additionalWorkspaceSubnets: undefined }));
          return stack;
        },
        problems: [{ construct: "AzurermProvider", path: "same-alias/hub-2", prop: "alias", value: '"hub"' }],
        allowed: ["same-alias/hub has it too", "Duplicate provider configuration"],
      },
      {
        name: "two Databricks providers without an alias",
        build: () => {
          const on = estate("no-alias");
          const unaliased = new DatabricksProvider(on.stack, "databricks-default", {});
          new DatabricksProvider(on.stack, "databricks-other", {});
          new (lib().SparkBatchPipeline)(on.stack, "pipeline", pipelineProps(on, { provider: unaliased }));
          return on.stack;
        },
        problems: [{ construct: "DatabricksProvider", path: "no-alias/databricks-other", prop: "alias", value: '"(none)"' }],
        allowed: ["no-alias/databricks-default is the databricks provider without one"],
      },
      {
        name: "a Databricks provider given where the lake's azurerm provider goes",
        build: () => {
          const { stack } = emptyStack("wrong-type-lake");
          const databricks = new DatabricksProvider(stack, "databricks", { alias: "analytics" });
          new (lib().LakeStorage)(stack, "lake", { ...PLACEMENT, provider: databricks as unknown as AzurermProvider, accountName: "stanalyticsdev01", network: lib().SecureNetwork.fromExisting(stack, "hub", HUB_NETWORK), deletionProtection: false });
          return stack;
        },
        problems: [{ construct: "LakeStorage", path: "wrong-type-lake/lake", prop: "provider", value: '"analytics"' }],
        allowed: ["an AzurermProvider", "this is a databricks provider"],
      },
      {
        name: "an azurerm provider given as a pipeline's Databricks provider, reported once",
        build: () => {
          const on = estate("wrong-type-pipeline");
          const azurerm = new AzurermProvider(on.stack, "spoke", { alias: "spoke", features: [{}] });
          new (lib().SparkBatchPipeline)(on.stack, "pipeline", pipelineProps(on, { provider: azurerm as unknown as DatabricksProvider }));
          return on.stack;
        },
        problems: [{ construct: "SparkBatchPipeline", path: "wrong-type-pipeline/pipeline", prop: "provider", value: '"spoke"' }],
        allowed: ["a DatabricksProvider", "this is an azurerm provider"],
      },
    ],
    controls: [
      [
        "an azurerm and a Databricks provider sharing the alias hub, each type with one default",
        () => {
          const on = estateWithPipeline("control-aliases");
          new AzurermProvider(on.stack, "azurerm-hub", { alias: "hub", subscriptionId: HUB, features: [{}] });
          new DatabricksProvider(on.stack, "databricks-hub", { alias: "hub" });
          new DatabricksProvider(on.stack, "databricks-default", {});
          return on.stack;
        },
      ],
    ],
  },

  "peerings that cannot exist": {
    cases: [
      {
        name: "a network peered with its own VNet",
        build: () => network("self-peering", { peeredNetworks: [{ name: "self", virtualNetworkId: `/subscriptions/${SUBSCRIPTION}/resourceGroups/rg-analytics/providers/Microsoft.Network/virtualNetworks/vnet-analytics-dev`, addressSpaces: ["10.99.0.0/16"] }] }),
        problems: [{ construct: "SecureNetwork", path: "self-peering/network", prop: "peeredNetworks[0].virtualNetworkId", value: `"/subscriptions/${SUBSCRIPTION}/resourceGroups/rg-analytics/providers/Microsoft.Network/virtualNetworks/vnet-analytics-dev"` }],
        allowed: ["a VNet cannot be peered with itself"],
      },
      {
        name: "one hub VNet peered twice under two names",
        build: () =>
          network("double-peering", {
            peeredNetworks: [
              { name: "hub", virtualNetworkId: hubVnet(), addressSpaces: ["10.0.0.0/16"] },
              { name: "hub-again", virtualNetworkId: hubVnet().toUpperCase().replace("/SUBSCRIPTIONS/", "/subscriptions/"), addressSpaces: ["10.0.0.0/16"] },
            ],
          }),
        problems: [{ construct: "SecureNetwork", path: "double-peering/network", prop: "peeredNetworks[1].virtualNetworkId", value: `"${hubVnet().toUpperCase().replace("/SUBSCRIPTIONS/", "/subscriptions/")}"` }],
        allowed: ["peeredNetworks[0] (hub) peers with it already", "one peering per pair of VNets"],
      },
    ],
    controls: [
      [
        "a network peered with the hub and with the agents' VNet",
        () =>
          network("control-peerings", {
            peeredNetworks: [
              { name: "hub", virtualNetworkId: hubVnet(), addressSpaces: ["10.0.0.0/16"] },
              { name: "agents", virtualNetworkId: hubVnet("vnet-agents"), addressSpaces: ["10.250.0.0/24"] },
            ],
          }),
      ],
    ],
  },

  "Azure's limits and reserved values": {
    cases: [
      {
        name: "a resource group name ending in a period",
        build: () => network("group-period", { resourceGroupName: "rg-analytics." }),
        problems: [{ construct: "SecureNetwork", path: "group-period/network", prop: "resourceGroupName", value: '"rg-analytics."' }],
        allowed: ["not ending in a period"],
      },
      {
        name: "a resource group name of 91 characters, given to every construct, reported once",
        build: () => estateWithPipeline("group-long", () => ({ resourceGroupName: `rg-${"a".repeat(88)}` }), { resourceGroupName: `rg-${"a".repeat(88)}` }).stack,
        problems: [{ construct: "SecureNetwork", path: "group-long/network", prop: "resourceGroupName", value: shown(`rg-${"a".repeat(88)}`) }],
        allowed: ["1-90 letters", "group-long/pipeline"],
      },
      {
        name: "51 tags on a lake",
        build: () => {
          const { stack } = emptyStack("tag-count");
          new (lib().LakeStorage)(stack, "lake", { ...PLACEMENT, tags: tags(51), accountName: "stanalyticsdev01", network: lib().SecureNetwork.fromExisting(stack, "hub", HUB_NETWORK), deletionProtection: false });
          return stack;
        },
        problems: [{ construct: "LakeStorage", path: "tag-count/lake", prop: "tags", value: '"(51 tags)"' }],
        allowed: ["at most 50 tags"],
      },
      {
        name: "23 tags on a pipeline, whose job carries at most 25 with the three it adds",
        build: () => estateWithPipeline("job-tags", () => ({ tags: tags(23) })).stack,
        problems: [{ construct: "SparkBatchPipeline", path: "job-tags/pipeline", prop: "tags", value: '"(23 tags)"' }],
        allowed: ["at most 25 tags on its job", "environment, cost-centre, code-version"],
      },
      {
        name: "a job of 24 tags and a cluster tag, with code-version 26",
        build: () => job("job-tag-count", { tags: tags(24), clusterTags: { environment: "dev" } }),
        problems: [{ construct: "BatchJob", path: "job-tag-count/job", prop: "tags", value: '"(24 tags)"' }],
        allowed: ["at most 25 tags on the job (23 of yours with the 2 this library adds: environment, code-version)"],
      },
      {
        name: "a 129-character tag name, which storage accounts refuse",
        build: () => {
          const { stack } = emptyStack("storage-tag");
          const long = { [`cost-${"c".repeat(124)}`]: "x" };
          const hub = lib().SecureNetwork.fromExisting(stack, "hub", HUB_NETWORK);
          new (lib().SecretStore)(stack, "vault", { ...PLACEMENT, tags: long, vaultName: "kv-analytics-dev", tenantId: TENANT, network: hub, deletionProtection: false });
          new (lib().LakeStorage)(stack, "lake", { ...PLACEMENT, tags: long, accountName: "stanalyticsdev01", network: hub, deletionProtection: false });
          return stack;
        },
        problems: [{ construct: "LakeStorage", path: "storage-tag/lake", prop: `tags["cost-${"c".repeat(124)}"]`, value: shown(`cost-${"c".repeat(124)}`) }],
        allowed: ["at most 128 characters on a storage account"],
      },
      {
        name: "a link-local address space",
        build: () => network("link-local", { addressSpace: "169.254.0.0/16", subnets: { databricksHost: "169.254.0.0/24", databricksContainer: "169.254.1.0/24", postgres: "169.254.2.0/28", privateEndpoints: "169.254.2.64/26" } }),
        problems: [{ construct: "SecureNetwork", path: "link-local/network", prop: "addressSpace", value: '"169.254.0.0/16"' }],
        allowed: ["169.254.0.0/16 (link-local)"],
      },
      {
        name: "a multicast address space",
        build: () => network("multicast", { addressSpace: "224.0.0.0/20", subnets: { databricksHost: "224.0.0.0/24", databricksContainer: "224.0.1.0/24", postgres: "224.0.2.0/28", privateEndpoints: "224.0.2.64/26" } }),
        problems: [{ construct: "SecureNetwork", path: "multicast/network", prop: "addressSpace", value: '"224.0.0.0/20"' }],
        allowed: ["224.0.0.0/4 (multicast)"],
      },
      {
        name: "a peered network said to hold Azure's internal DNS address",
        build: () => network("azure-dns", { peeredNetworks: [{ name: "hub", virtualNetworkId: hubVnet(), addressSpaces: ["168.63.129.16/32"] }] }),
        problems: [{ construct: "SecureNetwork", path: "azure-dns/network", prop: "peeredNetworks[0].addressSpaces[0]", value: '"168.63.129.16/32"' }],
        allowed: ["168.63.129.16/32"],
      },
    ],
    controls: [
      ["a resource group name with periods and parentheses inside", () => network("control-group", { resourceGroupName: "rg-(analytics).dev_01" })],
      ["50 tags on a network", () => network("control-tags", { tags: tags(50) })],
      [
        "a 128-character tag name on a lake",
        () => {
          const { stack } = emptyStack("control-storage-tag");
          new (lib().LakeStorage)(stack, "lake", { ...PLACEMENT, tags: { [`cost-${"c".repeat(123)}`]: "x" }, accountName: "stanalyticsdev01", network: lib().SecureNetwork.fromExisting(stack, "hub", HUB_NETWORK), deletionProtection: false });
          return stack;
        },
      ],
      ["22 tags on a pipeline", () => estateWithPipeline("control-job-tags", () => ({ tags: tags(22) })).stack],
    ],
  },

  "Databricks settings that can never work": {
    cases: [
      {
        name: "a node type in the wrong case",
        build: () => job("node-case", { cluster: { nodeTypeIds: ["standard_d4ds_v5"], minWorkers: 1, maxWorkers: 2 } }),
        problems: [{ construct: "BatchJob", path: "node-case/job", prop: "cluster.nodeTypeIds[0]", value: '"standard_d4ds_v5"' }],
        allowed: ["exact case", "nearest: Standard_D4ds_v5"],
      },
      {
        name: "a node type Azure Databricks does not have, on a pipeline",
        build: () => estateWithPipeline("node-unknown", () => ({ cluster: { nodeTypeIds: ["Standard_D4dsv5"], minWorkers: 1, maxWorkers: 2 } })).stack,
        problems: [{ construct: "BatchJob", path: "node-unknown/pipeline/job", prop: "cluster.nodeTypeIds[0]", value: '"Standard_D4dsv5"' }],
        allowed: ["Standard_D4ds_v5", "cluster.vouchedNodeTypeIds"],
      },
      {
        name: "a job schedule whose year has passed",
        build: () => job("cron-past", { schedule: { quartzCronExpression: "0 0 1 * * ? 2020" } }),
        problems: [{ construct: "BatchJob", path: "cron-past/job", prop: "schedule.quartzCronExpression", value: '"0 0 1 * * ? 2020"' }],
        allowed: ["ends in 2020", "never run"],
      },
      {
        name: "a pipeline schedule whose years have passed, reported once",
        build: () => estateWithPipeline("pipeline-cron-past", () => ({ schedule: { quartzCronExpression: "0 0 2 1 1,4,7,10 ? 2019-2021" } })).stack,
        problems: [{ construct: "SparkBatchPipeline", path: "pipeline-cron-past/pipeline", prop: "schedule.quartzCronExpression", value: '"0 0 2 1 1,4,7,10 ? 2019-2021"' }],
        allowed: ["ends in 2021"],
      },
      {
        name: "a notification address with a mailto: prefix",
        build: () => estateWithPipeline("mailto", () => ({ notificationAddresses: ["mailto:oncall@analytics.contoso.com"] })).stack,
        problems: [{ construct: "BatchJob", path: "mailto/pipeline/job", prop: "notificationAddresses[0]", value: '"mailto:oncall@analytics.contoso.com"' }],
        allowed: ['without "mailto:"'],
      },
      {
        name: "a notification address with a trailing separator",
        build: () => job("trailing-separator", { notificationAddresses: ["oncall@analytics.contoso.com;"] }),
        problems: [{ construct: "BatchJob", path: "trailing-separator/job", prop: "notificationAddresses[0]", value: '"oncall@analytics.contoso.com;"' }],
        allowed: ['without the trailing ";"'],
      },
      {
        name: "two notification addresses in one string",
        build: () => job("address-list", { notificationAddresses: ["oncall@analytics.contoso.com, data@analytics.contoso.com"] }),
        problems: [{ construct: "BatchJob", path: "address-list/job", prop: "notificationAddresses[0]", value: '"oncall@analytics.contoso.com, data@analytics.contoso.com"' }],
        allowed: ["one address per entry", "holds 2"],
      },
    ],
    controls: [
      ["a node type newer than the list that the job vouches for", () => job("control-vouched", { cluster: { nodeTypeIds: ["Standard_D4ds_v9"], vouchedNodeTypeIds: ["Standard_D4ds_v9"], minWorkers: 1, maxWorkers: 2 } })],
      ["a schedule whose years are still to come", () => job("control-cron-years", { schedule: { quartzCronExpression: "0 0 1 * * ? 2030-2040" } })],
      ["plain addresses, with a plus and a subdomain", () => job("control-addresses", { notificationAddresses: ["oncall+etl@analytics.contoso.com", "data.platform@contoso.co.uk"] })],
    ],
  },

  "valid input once refused (Unity Catalog grants need no workspace assignment; workspace objects still do)": {
    cases: [
      {
        name: "a job on an imported workspace run as a service principal the workspace does not assign",
        build: () => {
          const { stack } = emptyStack("job-unassigned");
          const provider = new DatabricksProvider(stack, "databricks", { alias: "analytics" });
          const workspace = lib().DatabricksWorkspace.fromExisting(stack, "workspace", { ...WORKSPACE_ATTRIBUTES, provider, assignedPrincipals: [group("analytics-engineers")] });
          new (lib().BatchJob)(stack, "job", jobProps(provider, workspace));
          return stack;
        },
        problems: [{ construct: "BatchJob", path: "job-unassigned/job", prop: "runAs", value: `"service principal ${JOB_SP}"` }],
      },
    ],
    controls: [
      ["a catalog on an imported workspace granting to account groups the workspace has not assigned", () => catalogOnImportedWorkspace("control-catalog-grants", [servicePrincipal(JOB_SP)])],
      ["a catalog on an imported workspace that lists no assigned principal at all", () => catalogOnImportedWorkspace("control-catalog-none-assigned", [])],
    ],
  },

  "one mistake, one message": {
    cases: [
      {
        name: "a timeout that is not a number says so, and blames nothing else",
        build: () => estateWithPipeline("timeout-nan", () => ({ timeoutSeconds: Number.NaN })).stack,
        problems: [{ construct: "BatchJob", path: "timeout-nan/pipeline/job", prop: "tasks[1].timeoutSeconds", value: "NaN" }],
        allowed: ["this is not a number"],
      },
      {
        name: "a timeout below the minimum does not also blame runDurationWarningSeconds",
        build: () => estateWithPipeline("timeout-short", () => ({ timeoutSeconds: 100 })).stack,
        problems: [{ construct: "BatchJob", path: "timeout-short/pipeline/job", prop: "tasks[1].timeoutSeconds", value: "100" }],
      },
      {
        name: "an empty zone id of an imported network does not also blame the lake that takes it",
        build: () => {
          const { stack } = emptyStack("empty-zone");
          const hub = lib().SecureNetwork.fromExisting(stack, "hub", { ...HUB_NETWORK, privateDnsZoneIds: { ...HUB_ZONES, blob: "" } });
          new (lib().LakeStorage)(stack, "lake", { ...PLACEMENT, accountName: "stanalyticsdev01", network: hub, deletionProtection: false });
          return stack;
        },
        problems: [{ construct: "SecureNetwork.fromExisting", path: "empty-zone/hub", prop: "privateDnsZoneIds.blob", value: '""' }],
      },
      {
        name: "a 257-character tag value given to every construct",
        build: () => {
          const long = { ...PLACEMENT.tags, purpose: "p".repeat(257) };
          return estateWithPipeline("long-tag", () => ({ tags: long }), { tags: long }).stack;
        },
        problems: [{ construct: "SecureNetwork", path: "long-tag/network", prop: "tags.purpose", value: shown("p".repeat(257)) }],
        allowed: ["at most 256 characters", "long-tag/pipeline"],
      },
      {
        name: "a name suffix with a trailing space",
        build: () => estateWithPipeline("suffix-space", () => ({ nameSuffix: "analytics-dev " })).stack,
        problems: [{ construct: "SparkBatchPipeline", path: "suffix-space/pipeline", prop: "nameSuffix", value: '"analytics-dev "' }],
      },
      {
        name: "a zone provider of the wrong subscription for five hub zones",
        build: () => {
          const { stack } = hubAndSpoke("zone-provider");
          const spokeProvider = new AzurermProvider(stack, "spoke", { alias: "spoke", subscriptionId: SPOKE, features: [{}] });
          new (lib().SecureNetwork)(stack, "network", networkProps({ additionalWorkspaceSubnets: undefined, privateDnsZoneIds: HUB_ZONES, linkExistingDnsZones: true, privateDnsZoneProvider: spokeProvider }));
          return stack;
        },
        problems: [{ construct: "SecureNetwork", path: "zone-provider/network", prop: "privateDnsZoneProvider", value: `"(subscription ${SPOKE})"` }],
        allowed: ["(blob, dfs, vault, postgres, databricks)"],
      },
    ],
    controls: [["the estate with a pipeline, every setting valid", () => estateWithPipeline("control-messages").stack]],
  },
};

/** The problems a case's stack reports (built once). */
function problemsOf(badInput: Case): Problem[] {
  return problemsOnce(badInput.name, badInput.build);
}

describe.each(Object.entries(classes))("%s", (className, { cases, controls }) => {
  it("has at least three cases with its controls, one of them a valid control", () => {
    expect({ className, enough: cases.length + controls.length >= 3, control: controls.length >= 1 }).toEqual({ className, enough: true, control: true });
  });

  if (cases.length > 0) {
    it.each(cases.map((badInput) => [badInput.name, badInput] as const))("refuses %s", (_name, badInput) => {
      const problems = problemsOf(badInput);
      expect(problems.map(({ construct, path, prop, value }) => ({ construct, path, prop, value }))).toEqual(badInput.problems);
      for (const words of badInput.allowed ?? []) expect(problems[0].allowed).toContain(words);
    });
  }

  it.each(controls)("synthesizes %s with no problem and no warning", (_name, build) => {
    const stack = build();
    expect(lib().validationProblems(stack)).toEqual([]);
    expect(() => Testing.synth(stack, true)).not.toThrow();
    expect(warningsOf(stack)).toEqual([]);
  });
});

describe("subscriptions not known at synth", () => {
  /** The spoke's default provider without subscriptionId, the hub's with one, and a lake of the hub's in the spoke's network. */
  const unknownSpoke = (id: string) => {
    const { stack, hub } = hubAndSpoke(id, null);
    const created = new (lib().SecureNetwork)(stack, "network", networkProps({ additionalWorkspaceSubnets: undefined }));
    new (lib().LakeStorage)(stack, "lake", { ...PLACEMENT, provider: hub, accountName: "stanalyticsdev01", network: created, deletionProtection: false });
    return stack;
  };

  it("warns once, naming the constructs whose placement cannot be checked, when a stack has several azurerm providers", () => {
    const stack = unknownSpoke("unknown-spoke");
    expect(lib().validationProblems(stack)).toEqual([]);
    lib().validationProblems(stack);
    expect(warningsOf(stack)).toEqual([expect.stringMatching(/^The subscription of unknown-spoke\/lake cannot be checked at synth: azurerm provider azurerm sets no subscriptionId .*Run npx quarterly-preflight --app/)]);
    expect(warningsOf(stack)[0].length).toBeLessThan(400);
  });

  it("is checked by preflight with the ARM_SUBSCRIPTION_ID it runs with", () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { placementProblems } = require("../../lib/tools/preflight") as typeof import("../../src/tools/preflight");
    const stack = unknownSpoke("preflight-spoke");
    expect(lib().validationProblems(stack)).toEqual([]);
    lib().validationProblems(stack);
    expect(placementProblems(stack, HUB)).toEqual([]);
    expect(placementProblems(stack, SPOKE)).toEqual([
      expect.objectContaining({ kind: "placement", path: "preflight-spoke/lake network", value: `preflight-spoke/network (subscription ${SPOKE})` }),
    ]);
    expect(placementProblems(stack, undefined)).toEqual([expect.objectContaining({ kind: "placement", path: "preflight-spoke/lake", value: "(ARM_SUBSCRIPTION_ID unset)" })]);
  });
});

describe("every message the suite produces", () => {
  const line = problemLine;

  it("is short, whole and said once", () => {
    const cases = Object.values(classes).flatMap(({ cases: list }) => list);
    const lines = cases.flatMap((badInput) => problemsOf(badInput).map((problem) => ({ source: badInput.name, line: line(problem) })));
    expect(lines.length).toBeGreaterThanOrEqual(cases.length);
    expect(auditMessages(lines)).toEqual([]);
  });
});

void estate;
