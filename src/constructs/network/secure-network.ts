import { Construct, IConstruct } from "constructs";
import { ITerraformDependable } from "cdktf";
import { AzurermProvider } from "@cdktf/provider-azurerm/lib/provider";
import { NatGateway } from "@cdktf/provider-azurerm/lib/nat-gateway";
import { NatGatewayPublicIpAssociation } from "@cdktf/provider-azurerm/lib/nat-gateway-public-ip-association";
import { NetworkSecurityGroup } from "@cdktf/provider-azurerm/lib/network-security-group";
import { NetworkSecurityRule } from "@cdktf/provider-azurerm/lib/network-security-rule";
import { PrivateDnsZone } from "@cdktf/provider-azurerm/lib/private-dns-zone";
import { PrivateDnsZoneVirtualNetworkLink } from "@cdktf/provider-azurerm/lib/private-dns-zone-virtual-network-link";
import { PublicIp } from "@cdktf/provider-azurerm/lib/public-ip";
import { Subnet, SubnetDelegation } from "@cdktf/provider-azurerm/lib/subnet";
import { SubnetNatGatewayAssociation } from "@cdktf/provider-azurerm/lib/subnet-nat-gateway-association";
import { SubnetNetworkSecurityGroupAssociation } from "@cdktf/provider-azurerm/lib/subnet-network-security-group-association";
import { SubnetRouteTableAssociation } from "@cdktf/provider-azurerm/lib/subnet-route-table-association";
import { VirtualNetwork } from "@cdktf/provider-azurerm/lib/virtual-network";
import { VirtualNetworkPeering } from "@cdktf/provider-azurerm/lib/virtual-network-peering";
import { IObservability } from "../monitoring/observability";
import { checkPlacement, Placement } from "../core/placement";
import { checkResourceId, ID_SEGMENT, idSegment, parentId, subscriptionOfId } from "../core/resource-id";
import { providerSubscription, requireTerraformVersion } from "../core/terraform-requirements";
import { checkDerivedName, checkName, deferCheck, isUnresolved, parseCidr, prefixLength, PropValidator } from "../core/validation";
import { useAzurermProvider } from "../core/providers";
import { registerNetwork, SubnetRole } from "../core/consistency";
import { checkProviderType } from "../core/provider-setup";
import { reservedRangeOverlapping } from "./reserved-addresses";
import { registerNetworkSubscription, requireSameSubscription } from "../core/subscription-placement";
import { noteNetwork } from "../core/stack-notes";

/** The four subnets of the estate, as CIDRs inside the VNet's address space. */
export interface SubnetCidrs {
  /** Databricks host (public) subnet; /26 or larger. */
  readonly databricksHost: string;
  /** Databricks container (private) subnet; /26 or larger. */
  readonly databricksContainer: string;
  /** Subnet delegated to PostgreSQL Flexible Server; /28 or larger. */
  readonly postgres: string;
  /** Subnet for private endpoints (vault, lake, workspace); /28 or larger. */
  readonly privateEndpoints: string;
}

/** The private DNS zones the estate's private endpoints and VNet-integrated services register in. */
export const PRIVATE_DNS_ZONE_KEYS = ["blob", "dfs", "vault", "postgres", "databricks"] as const;
export type PrivateDnsZoneKey = (typeof PRIVATE_DNS_ZONE_KEYS)[number];

/** A subnet that other constructs place resources in. */
export interface NetworkSubnet {
  /** Resource id of the subnet. */
  readonly id: string;
  /** Name of the subnet. */
  readonly name: string;
  /**
   * Id of the subnet's NSG association, which a VNet-injected Databricks workspace requires;
   * azurerm gives an association the id of its subnet.
   */
  readonly networkSecurityGroupAssociationId: string;
  /**
   * The subnet's associations (NSG, NAT gateway, route table) that a workspace injected into it
   * waits for: Databricks' network intent policy locks the subnet once the workspace exists.
   * @default - nothing beyond the NSG association the id names
   */
  readonly associations?: readonly ITerraformDependable[];
}

/**
 * A network the estate's constructs can be placed in: the one {@link SecureNetwork} creates, or an
 * existing (hub or spoke) network imported with {@link SecureNetwork.fromExisting}.
 */
export interface ISecureNetwork extends IConstruct {
  /** Resource id of the VNet. */
  readonly virtualNetworkId: string;
  /** Name of the VNet. */
  readonly virtualNetworkName: string;
  /** Databricks host (public) subnet, delegated to Microsoft.Databricks/workspaces. */
  readonly databricksHostSubnet: NetworkSubnet;
  /** Databricks container (private) subnet, delegated to Microsoft.Databricks/workspaces. */
  readonly databricksContainerSubnet: NetworkSubnet;
  /** Subnet delegated to Microsoft.DBforPostgreSQL/flexibleServers. */
  readonly postgresSubnet: NetworkSubnet;
  /** Subnet that hosts private endpoints. */
  readonly privateEndpointSubnet: NetworkSubnet;
  /** Ids of the private DNS zones, by zone. */
  readonly privateDnsZoneIds: Readonly<Record<PrivateDnsZoneKey, string>>;
  /**
   * What a resource that resolves a zone's names must wait for (the zone's VNet links); empty for
   * zones managed elsewhere.
   */
  readonly privateDnsZoneReady: Readonly<Record<PrivateDnsZoneKey, readonly ITerraformDependable[]>>;
  /**
   * What a caller in a peered network (the deployment agents) needs before it can reach this
   * network's private endpoints: the peerings and the DNS zone links to those networks.
   */
  readonly lineOfSight: readonly ITerraformDependable[];
}

/** The CIDRs of one more Databricks subnet pair; each /26 or larger, inside the address space. */
export interface WorkspaceSubnetCidrs {
  /** Host (public) subnet. */
  readonly host: string;
  /** Container (private) subnet. */
  readonly container: string;
}

/** A Databricks workspace's own host and container subnets. */
export interface WorkspaceSubnetPair {
  readonly host: NetworkSubnet;
  readonly container: NetworkSubnet;
}

/** Smallest subnet (largest prefix length) each role accepts. */
export const MIN_SUBNET_SIZE: Record<keyof SubnetCidrs, number> = {
  databricksHost: 26,
  databricksContainer: 26,
  postgres: 28,
  privateEndpoints: 28,
};

/** The names Azure gives each private DNS zone (postgres's can be changed by a prop). */
export const PRIVATE_DNS_ZONE_NAMES: Readonly<Record<PrivateDnsZoneKey, string>> = {
  blob: "privatelink.blob.core.windows.net",
  dfs: "privatelink.dfs.core.windows.net",
  vault: "privatelink.vaultcore.azure.net",
  postgres: "privatelink.postgres.database.azure.com",
  databricks: "privatelink.azuredatabricks.net",
};

/**
 * How a linked VNet resolves names of a `privatelink.*` zone that the zone does not hold
 * (azurerm `resolution_policy`, internal/services/privatedns/private_dns_zone_virtual_network_link_resource.go;
 * Azure DNS "Fallback to internet", https://learn.microsoft.com/azure/dns/private-dns-fallback).
 * The estate's own VNet resolves only its own endpoints (`Default`, set explicitly: the provider
 * reads the attribute back as computed, so an unset one never shows a switch to fallback as drift).
 * A VNet the estate does not own (the agents', a hub) also reaches other services' private
 * endpoints and public endpoints of the same zones: `NxDomainRedirect` retries a name this zone
 * lacks through public resolution instead of answering NXDOMAIN.
 */
const OWN_VNET_RESOLUTION = "Default";
const PEERED_VNET_RESOLUTION = "NxDomainRedirect";

/** Resource name limits Azure applies to the names SecureNetwork derives. */
const NAME_LIMITS = { virtualNetwork: 64, subnet: 80, networkSecurityGroup: 80, publicIp: 80, natGateway: 80, dnsZoneLink: 80, peering: 80 } as const;

/** The NAT gateway that gives the Databricks subnets their egress. */
export interface NatGatewayOptions {
  /**
   * Availability zone of the gateway and its public IP (a NAT gateway is zonal or regional).
   * @default - no zone pinning (regional)
   */
  readonly zones?: string[];
}

/**
 * A VNet that must reach and resolve this network's private endpoints, such as the VNet of the
 * deployment agents or a hub VNet. SecureNetwork peers with it and links every private DNS zone it
 * creates to it.
 */
export interface PeeredNetwork {
  /**
   * Short name of the remote network, used in the peering and DNS link names and construct ids,
   * such as `agents` or `hub` (1-30 lowercase letters, digits and hyphens, unique per network).
   */
  readonly name: string;
  /** Resource id of the remote VNet. */
  readonly virtualNetworkId: string;
  /** Address spaces of the remote VNet; none may overlap this network's address space. */
  readonly addressSpaces: string[];
  /**
   * Also create the remote side of the peering (in the remote VNet's resource group, whose name
   * and VNet name are parsed from `virtualNetworkId`). Turn it off when the hub team owns the
   * remote side; the peering only connects once they create it.
   * @default true
   */
  readonly createReversePeering?: boolean;
  /**
   * Provider for the remote side of the peering, when the remote VNet is in another subscription.
   * @default - the stack's default azurerm provider
   */
  readonly reversePeeringProvider?: AzurermProvider;
  /**
   * Accept traffic the remote network forwards (from a hub's firewall or VPN).
   * @default false
   */
  readonly allowForwardedTraffic?: boolean;
  /**
   * Use the remote (hub) network's gateway to reach on-premises networks.
   * @default false
   */
  readonly useRemoteGateways?: boolean;
}

export interface SecureNetworkProps extends Placement {
  /**
   * The azurerm provider of the subscription this construct's resources go to, when it is not
   * the stack's default (such as a spoke subscription's aliased provider).
   * @default - the stack's default azurerm provider
   */
  readonly provider?: AzurermProvider;
  /**
   * Suffix of every resource name, usually `<workload>-<environment>`, such as `bank-prod`; every
   * name derived from it must stay within its resource's length limit (a VNet's is 64).
   */
  readonly nameSuffix: string;
  /** Address space of the VNet, such as `10.30.0.0/16`. */
  readonly addressSpace: string;
  /** Subnet CIDRs; each inside the address space, none overlapping. */
  readonly subnets: SubnetCidrs;
  /**
   * The NAT gateway (with a static public IP) that carries the Databricks subnets' egress; the
   * clusters have no public IPs and the subnets no implicit outbound access. `false` creates no
   * NAT gateway and no public IP: egress then goes through the hub's firewall, along the route
   * table you give in `routeTableId` (a 0.0.0.0/0 route to the firewall); without one the
   * clusters have no egress at all, which synth refuses unless `egressProvidedElsewhere` is set.
   * @default - a regional NAT gateway
   */
  readonly natGateway?: false | NatGatewayOptions;
  /**
   * Egress of the Databricks subnets is provided outside this construct (a route table or firewall
   * association managed elsewhere, a NAT gateway another stack attaches). Without a NAT gateway
   * and without `routeTableId`, synth refuses the network unless this is set: the first job run
   * could not start a cluster or install its libraries.
   * @default false
   */
  readonly egressProvidedElsewhere?: boolean;
  /**
   * More Databricks host and container subnet pairs, by a short name such as `risk`, for further
   * workspaces in this network (Azure gives each VNet-injected workspace its own pair). Each pair is
   * delegated, guarded by its own NSGs and sent through the NAT gateway and route table like the
   * first; pass `workspaceSubnets[name]` to the workspace (SparkBatchPipeline `workspaceSubnets`).
   * @default - only the pair in `subnets`
   */
  readonly additionalWorkspaceSubnets?: Readonly<Record<string, WorkspaceSubnetCidrs>>;
  /**
   * Route table (resource id) to associate with the Databricks subnets, such as the hub's table
   * that sends 0.0.0.0/0 to its firewall; usually together with `natGateway: false`.
   * @default - no route table
   */
  readonly routeTableId?: string;
  /**
   * Existing private DNS zones to use instead of creating them, by zone (such as a hub's central
   * zones). An existing zone is not created and, unless `linkExistingDnsZones` is set, not linked to
   * this VNet or to the peered networks either: its owner links it to the VNets that resolve it.
   * @default - every zone is created and linked
   */
  readonly privateDnsZoneIds?: Partial<Record<PrivateDnsZoneKey, string>>;
  /**
   * Link the existing zones of `privateDnsZoneIds` to this VNet (the zone's resource group and name
   * are parsed from its id; the deploying identity needs rights on it).
   * @default false
   */
  readonly linkExistingDnsZones?: boolean;
  /**
   * Provider for the links to the existing zones of `privateDnsZoneIds` (`linkExistingDnsZones`),
   * when those zones live in another subscription than the stack's default azurerm provider's,
   * such as a hub's connectivity subscription: azurerm builds a link's id from its provider's
   * subscription, so on the default provider the link would be looked for, and created, in the
   * wrong one. Synth refuses zones in another subscription than the links' provider, where both
   * subscriptions are known.
   * @default - the stack's default azurerm provider
   */
  readonly privateDnsZoneProvider?: AzurermProvider;
  /**
   * VNets that must reach and resolve the private endpoints (the deployment agents' or a hub VNet):
   * each is peered both ways and every private DNS zone this construct creates is linked to it.
   * @default - none
   */
  readonly peeredNetworks?: PeeredNetwork[];
  /**
   * Name of the private DNS zone that PostgreSQL Flexible Server registers in. Must end in
   * `.postgres.database.azure.com`.
   * @default "privatelink.postgres.database.azure.com"
   */
  readonly postgresDnsZoneName?: string;
  /**
   * Where the VNet, NSGs, public IP and NAT gateway send logs and metrics.
   * @default - no diagnostic settings
   */
  readonly observability?: IObservability;
}

/** Attributes of an existing network for {@link SecureNetwork.fromExisting}: resource ids as strings. */
export interface SecureNetworkAttributes {
  /** Resource id of the Databricks host (public) subnet, delegated to Microsoft.Databricks/workspaces, with an NSG. */
  readonly databricksHostSubnetId: string;
  /** Resource id of the Databricks container (private) subnet, delegated to Microsoft.Databricks/workspaces, with an NSG. */
  readonly databricksContainerSubnetId: string;
  /** Resource id of the subnet delegated to Microsoft.DBforPostgreSQL/flexibleServers. */
  readonly postgresSubnetId: string;
  /** Resource id of the subnet that hosts private endpoints. */
  readonly privateEndpointSubnetId: string;
  /** Resource ids of the existing private DNS zones, by zone. */
  readonly privateDnsZoneIds: Record<PrivateDnsZoneKey, string>;
  /**
   * Resource id of the VNet.
   * @default - parsed from `databricksHostSubnetId`
   */
  readonly virtualNetworkId?: string;
  /**
   * What a resource must wait for before the deployment agents can reach the endpoints (peerings
   * or links created elsewhere in this stack).
   * @default - nothing: the network's owner already gave the agents line of sight
   */
  readonly lineOfSight?: ITerraformDependable[];
}

/** Private DNS zones the estate's private endpoints and VNet-integrated services register in. */
export interface EstateDnsZones {
  readonly blob: PrivateDnsZone;
  readonly dfs: PrivateDnsZone;
  readonly vault: PrivateDnsZone;
  readonly postgres: PrivateDnsZone;
  readonly databricks: PrivateDnsZone;
}

const DATABRICKS_DELEGATION: SubnetDelegation = {
  name: "databricks",
  serviceDelegation: {
    name: "Microsoft.Databricks/workspaces",
    actions: [
      "Microsoft.Network/virtualNetworks/subnets/join/action",
      "Microsoft.Network/virtualNetworks/subnets/prepareNetworkPolicies/action",
      "Microsoft.Network/virtualNetworks/subnets/unprepareNetworkPolicies/action",
    ],
  },
};

const POSTGRES_DELEGATION: SubnetDelegation = {
  name: "postgres-flexible-server",
  serviceDelegation: {
    name: "Microsoft.DBforPostgreSQL/flexibleServers",
    actions: ["Microsoft.Network/virtualNetworks/subnets/join/action"],
  },
};

/** One subnet with its NSG and the association between them. */
export interface GuardedSubnet {
  readonly subnet: Subnet;
  readonly networkSecurityGroup: NetworkSecurityGroup;
  readonly networkSecurityGroupAssociation: SubnetNetworkSecurityGroupAssociation;
  /** Its NSG association, then the NAT gateway and route table associations as they are made. */
  readonly associations: ITerraformDependable[];
}

/** The subnets by role: construct id key and the name part. */
const SUBNETS = [
  { role: "databricksHost", key: "databricks-host", name: "dbw-host" },
  { role: "databricksContainer", key: "databricks-container", name: "dbw-container" },
  { role: "postgres", key: "postgres", name: "psql" },
  { role: "privateEndpoints", key: "private-endpoints", name: "pe" },
] as const;

/**
 * The estate's network: a VNet with subnets for the Databricks host and container (delegated to
 * Databricks), PostgreSQL (delegated to Flexible Server) and private endpoints; an NSG on every
 * subnet that denies inbound traffic from the internet; a NAT gateway for the clusters' egress
 * (they have no public IPs) unless egress goes through a hub firewall; private DNS zones for blob,
 * dfs, vault, postgres and Databricks linked to the VNet (or existing zones given by id); and
 * peerings and DNS links to the networks that must reach the private endpoints.
 */
export class SecureNetwork extends Construct implements ISecureNetwork {
  /**
   * An existing network (a hub or spoke VNet, its subnets and private DNS zones managed
   * elsewhere) for the constructs that take an {@link ISecureNetwork}. Nothing is created. The
   * subnet and VNet names are parsed from the subnet ids.
   */
  static fromExisting(scope: Construct, id: string, attributes: SecureNetworkAttributes): ISecureNetwork {
    return new ImportedSecureNetwork(scope, id, attributes);
  }

  readonly virtualNetwork: VirtualNetwork;
  /** Resource id of the VNet. */
  readonly virtualNetworkId: string;
  /** Name of the VNet. */
  readonly virtualNetworkName: string;
  readonly databricksHost: GuardedSubnet;
  readonly databricksContainer: GuardedSubnet;
  readonly postgres: GuardedSubnet;
  readonly privateEndpoints: GuardedSubnet;
  readonly databricksHostSubnet: NetworkSubnet;
  readonly databricksContainerSubnet: NetworkSubnet;
  readonly postgresSubnet: NetworkSubnet;
  readonly privateEndpointSubnet: NetworkSubnet;
  /** The pairs of `additionalWorkspaceSubnets`, by name. */
  readonly workspaceSubnets: Readonly<Record<string, WorkspaceSubnetPair>>;
  /** The NAT gateway, unless `natGateway` is `false`. */
  readonly natGateway?: NatGateway;
  /** The private DNS zones this construct created (not those given by id). */
  readonly dnsZones: Partial<EstateDnsZones>;
  /** The VNet link of each zone linked to this VNet, for resources that must wait for name resolution. */
  readonly dnsZoneLinks: Partial<Record<PrivateDnsZoneKey, PrivateDnsZoneVirtualNetworkLink>>;
  readonly privateDnsZoneIds: Readonly<Record<PrivateDnsZoneKey, string>>;
  readonly privateDnsZoneReady: Readonly<Record<PrivateDnsZoneKey, readonly ITerraformDependable[]>>;
  /** The peerings (both sides) to each peered network. */
  readonly peerings: readonly VirtualNetworkPeering[];
  readonly lineOfSight: readonly ITerraformDependable[];

  constructor(scope: Construct, id: string, props: SecureNetworkProps) {
    super(scope, id);
    // The library is tested with, and its write-only arguments need, Terraform 1.11 or later.
    requireTerraformVersion(this);
    useAzurermProvider(this, props?.provider);
    props = props ?? ({} as SecureNetworkProps);
    validate(this, props);
    register(this, props);

    const placement = { resourceGroupName: props.resourceGroupName, location: props.location, tags: props.tags };
    const suffix = props.nameSuffix;
    const cidrs: Partial<SubnetCidrs> = props.subnets ?? {};

    this.virtualNetwork = new VirtualNetwork(this, "vnet", {
      ...placement,
      name: `vnet-${suffix}`,
      addressSpace: [props.addressSpace],
    });
    this.virtualNetworkId = this.virtualNetwork.id;
    this.virtualNetworkName = this.virtualNetwork.name;
    props.observability?.diagnose(this, "vnet-diagnostics", this.virtualNetworkId, { logs: true, metrics: true });

    this.databricksHost = this.guardedSubnet(props, "databricks-host", "dbw-host", cidrs.databricksHost, { delegation: [DATABRICKS_DELEGATION] });
    this.databricksContainer = this.guardedSubnet(props, "databricks-container", "dbw-container", cidrs.databricksContainer, { delegation: [DATABRICKS_DELEGATION] });
    this.postgres = this.guardedSubnet(props, "postgres", "psql", cidrs.postgres, { delegation: [POSTGRES_DELEGATION] });
    this.privateEndpoints = this.guardedSubnet(props, "private-endpoints", "pe", cidrs.privateEndpoints, {
      // Lets the NSG and route tables apply to private endpoints too.
      privateEndpointNetworkPolicies: "Enabled",
    });
    const asNetworkSubnet = (guarded: GuardedSubnet): NetworkSubnet => ({
      id: guarded.subnet.id,
      name: guarded.subnet.name,
      networkSecurityGroupAssociationId: guarded.networkSecurityGroupAssociation.id,
      associations: guarded.associations,
    });
    this.databricksHostSubnet = asNetworkSubnet(this.databricksHost);
    this.databricksContainerSubnet = asNetworkSubnet(this.databricksContainer);
    this.postgresSubnet = asNetworkSubnet(this.postgres);
    this.privateEndpointSubnet = asNetworkSubnet(this.privateEndpoints);
    const databricksSubnets: Array<readonly [string, GuardedSubnet]> = [["databricks-host", this.databricksHost], ["databricks-container", this.databricksContainer]];
    const workspaceSubnets: Record<string, WorkspaceSubnetPair> = {};
    for (const [name, pair] of Object.entries(props.additionalWorkspaceSubnets ?? {})) {
      const host = this.guardedSubnet(props, `${name}-databricks-host`, `dbw-${name}-host`, pair?.host, { delegation: [DATABRICKS_DELEGATION] });
      const container = this.guardedSubnet(props, `${name}-databricks-container`, `dbw-${name}-container`, pair?.container, { delegation: [DATABRICKS_DELEGATION] });
      databricksSubnets.push([`${name}-databricks-host`, host], [`${name}-databricks-container`, container]);
      workspaceSubnets[name] = { host: asNetworkSubnet(host), container: asNetworkSubnet(container) };
    }
    this.workspaceSubnets = workspaceSubnets;

    this.natGateway = this.routeEgress(props, databricksSubnets);

    // Peerings with the networks that must reach the private endpoints (the deployment agents').
    // A repeated name is reported by validate(); only its first network is built.
    const peered = (Array.isArray(props.peeredNetworks) ? props.peeredNetworks : []).filter(
      (peer, index, all) => peer?.name !== undefined && all.findIndex((other) => other?.name === peer.name) === index,
    );
    this.peerings = this.peer(props, peered);
    const { zones, links, zoneIds, peeredLinks } = this.privateDnsZones(props, peered);
    this.dnsZones = zones;
    this.dnsZoneLinks = links;
    this.privateDnsZoneIds = zoneIds as Record<PrivateDnsZoneKey, string>;
    this.privateDnsZoneReady = Object.fromEntries(PRIVATE_DNS_ZONE_KEYS.map((key) => [key, links[key] ? [links[key]] : []])) as unknown as Record<PrivateDnsZoneKey, readonly ITerraformDependable[]>;
    this.lineOfSight = [...this.peerings, ...peeredLinks];

    const subnets = new Map<string, SubnetRole>([
      [this.databricksHostSubnet.id, "databricksHost"],
      [this.databricksContainerSubnet.id, "databricksContainer"],
      [this.postgresSubnet.id, "postgres"],
      [this.privateEndpointSubnet.id, "privateEndpoints"],
    ]);
    for (const pair of Object.values(workspaceSubnets)) {
      subnets.set(pair.host.id, "databricksHost");
      subnets.set(pair.container.id, "databricksContainer");
    }
    registerNetwork(this, {
      location: props.location,
      virtualNetworkId: this.virtualNetworkId,
      virtualNetworkName: typeof suffix === "string" ? `vnet-${suffix}` : undefined,
      resourceGroupName: props.resourceGroupName,
      subnets,
      addressSpace: props.addressSpace,
      peers: peered.map((peer) => ({ name: peer.name, virtualNetworkId: peer.virtualNetworkId })),
    });
    noteNetwork(this, { addressSpaces: [props.addressSpace], peers: peered });
  }

  /** One subnet with its own NSG, which denies inbound traffic from the internet. */
  private guardedSubnet(props: SecureNetworkProps, key: string, name: string, cidr: string | undefined, extra: Partial<ConstructorParameters<typeof Subnet>[2]>): GuardedSubnet {
    const placement = { resourceGroupName: props.resourceGroupName, location: props.location, tags: props.tags };
    const suffix = props.nameSuffix;
    const subnet = new Subnet(this, `${key}-subnet`, {
      name: `snet-${name}-${suffix}`,
      resourceGroupName: props.resourceGroupName,
      virtualNetworkName: this.virtualNetwork.name,
      addressPrefixes: cidr === undefined ? [] : [cidr],
      // Nothing leaves the VNet through Azure's implicit outbound IPs; egress is explicit.
      defaultOutboundAccessEnabled: false,
      ...extra,
    });
    const networkSecurityGroup = new NetworkSecurityGroup(this, `${key}-nsg`, { ...placement, name: `nsg-${name}-${suffix}` });
    // Rules are separate resources so the rules Databricks adds to its NSGs never show as drift.
    new NetworkSecurityRule(this, `${key}-deny-internet-inbound`, {
      name: "deny-internet-inbound",
      resourceGroupName: props.resourceGroupName,
      networkSecurityGroupName: networkSecurityGroup.name,
      priority: 4096,
      direction: "Inbound",
      access: "Deny",
      protocol: "*",
      sourceAddressPrefix: "Internet",
      sourcePortRange: "*",
      destinationAddressPrefix: "*",
      destinationPortRange: "*",
      description: "Nothing in the estate accepts connections from the internet.",
    });
    const networkSecurityGroupAssociation = new SubnetNetworkSecurityGroupAssociation(this, `${key}-nsg-association`, {
      subnetId: subnet.id,
      networkSecurityGroupId: networkSecurityGroup.id,
    });
    props.observability?.diagnose(this, `${key}-nsg-diagnostics`, networkSecurityGroup.id, { logs: true, metrics: false });
    return { subnet, networkSecurityGroup, networkSecurityGroupAssociation, associations: [networkSecurityGroupAssociation] };
    }

  /** Egress of the Databricks subnets: the NAT gateway (unless turned off) and the hub's route table, when given. */
  private routeEgress(props: SecureNetworkProps, databricksSubnets: ReadonlyArray<readonly [string, GuardedSubnet]>): NatGateway | undefined {
    const placement = { resourceGroupName: props.resourceGroupName, location: props.location, tags: props.tags };
    const suffix = props.nameSuffix;
    let natGateway: NatGateway | undefined;
    const nat = natGatewayOptions(props);
    if (nat) {
      const natPublicIp = new PublicIp(this, "nat-public-ip", {
        ...placement,
        name: `pip-ng-${suffix}`,
        sku: "Standard",
        allocationMethod: "Static",
        zones: nat.zones,
      });
      props.observability?.diagnose(this, "nat-public-ip-diagnostics", natPublicIp.id, { logs: true, metrics: true });
      natGateway = new NatGateway(this, "nat-gateway", {
        ...placement,
        name: `ng-${suffix}`,
        skuName: "Standard",
        idleTimeoutInMinutes: 4,
        zones: nat.zones,
      });
      new NatGatewayPublicIpAssociation(this, "nat-gateway-ip", { natGatewayId: natGateway.id, publicIpAddressId: natPublicIp.id });
      for (const [key, guarded] of databricksSubnets) {
        guarded.associations.push(new SubnetNatGatewayAssociation(this, `${key}-nat`, { subnetId: guarded.subnet.id, natGatewayId: natGateway.id }));
      }
    }
    if (props.routeTableId !== undefined) {
      for (const [key, guarded] of databricksSubnets) {
        guarded.associations.push(new SubnetRouteTableAssociation(this, `${key}-route-table`, { subnetId: guarded.subnet.id, routeTableId: props.routeTableId }));
      }
    }

    return natGateway;
  }

  /** Peerings both ways with the networks that must reach the private endpoints (the deployment agents'). */
  private peer(props: SecureNetworkProps, peered: readonly PeeredNetwork[]): VirtualNetworkPeering[] {
    const suffix = props.nameSuffix;
    const peerings: VirtualNetworkPeering[] = [];
    for (const peer of peered) {
      peerings.push(
        new VirtualNetworkPeering(this, `peering-to-${peer.name}`, {
          name: `peer-${suffix}-to-${peer.name}`,
          resourceGroupName: props.resourceGroupName,
          virtualNetworkName: this.virtualNetwork.name,
          remoteVirtualNetworkId: peer.virtualNetworkId,
          allowVirtualNetworkAccess: true,
          allowForwardedTraffic: peer.allowForwardedTraffic ?? false,
          allowGatewayTransit: false,
          useRemoteGateways: peer.useRemoteGateways ?? false,
        }),
      );
      if (peer.createReversePeering ?? true) {
        peerings.push(
          new VirtualNetworkPeering(this, `peering-from-${peer.name}`, {
            provider: peer.reversePeeringProvider,
            name: `peer-${peer.name}-to-${suffix}`,
            resourceGroupName: idSegment(peer.virtualNetworkId ?? "", ID_SEGMENT.resourceGroupName),
            virtualNetworkName: idSegment(peer.virtualNetworkId ?? "", ID_SEGMENT.name),
            remoteVirtualNetworkId: this.virtualNetworkId,
            allowVirtualNetworkAccess: true,
            allowForwardedTraffic: false,
            allowGatewayTransit: peer.useRemoteGateways ?? false,
            useRemoteGateways: false,
          }),
        );
      }
    }
    return peerings;
  }

  /** The private DNS zones: created and linked here (and to the peered networks), or existing ones given by id. */
  private privateDnsZones(props: SecureNetworkProps, peered: readonly PeeredNetwork[]) {
    const suffix = props.nameSuffix;
    const existing = props.privateDnsZoneIds ?? {};
    const zones: { -readonly [K in keyof EstateDnsZones]?: PrivateDnsZone } = {};
    const links: Partial<Record<PrivateDnsZoneKey, PrivateDnsZoneVirtualNetworkLink>> = {};
    const zoneIds: Partial<Record<PrivateDnsZoneKey, string>> = {};
    const peeredLinks: PrivateDnsZoneVirtualNetworkLink[] = [];
    const zoneNames = { ...PRIVATE_DNS_ZONE_NAMES, postgres: props.postgresDnsZoneName ?? PRIVATE_DNS_ZONE_NAMES.postgres };
    for (const key of PRIVATE_DNS_ZONE_KEYS) {
      const existingId = existing[key];
      if (existingId !== undefined) {
        zoneIds[key] = existingId;
        if (props.linkExistingDnsZones ?? false) {
          links[key] = new PrivateDnsZoneVirtualNetworkLink(this, `${key}-dns-link`, {
            provider: props.privateDnsZoneProvider,
            name: `link-${key}-${suffix}`,
            resourceGroupName: idSegment(existingId, ID_SEGMENT.resourceGroupName),
            privateDnsZoneName: idSegment(existingId, ID_SEGMENT.name),
            virtualNetworkId: this.virtualNetworkId,
            registrationEnabled: false,
            resolutionPolicy: OWN_VNET_RESOLUTION,
            tags: props.tags,
          });
        }
        continue;
      }
      const zone = new PrivateDnsZone(this, `${key}-dns-zone`, { name: zoneNames[key], resourceGroupName: props.resourceGroupName, tags: props.tags });
      zones[key] = zone;
      zoneIds[key] = zone.id;
      links[key] = new PrivateDnsZoneVirtualNetworkLink(this, `${key}-dns-link`, {
        name: `link-${key}-${suffix}`,
        resourceGroupName: props.resourceGroupName,
        privateDnsZoneName: zone.name,
        virtualNetworkId: this.virtualNetworkId,
        registrationEnabled: false,
        resolutionPolicy: OWN_VNET_RESOLUTION,
        tags: props.tags,
      });
      for (const peer of peered) {
        peeredLinks.push(
          new PrivateDnsZoneVirtualNetworkLink(this, `${key}-dns-link-${peer.name}`, {
            name: `link-${key}-${peer.name}-${suffix}`,
            resourceGroupName: props.resourceGroupName,
            privateDnsZoneName: zone.name,
            virtualNetworkId: peer.virtualNetworkId,
            registrationEnabled: false,
            resolutionPolicy: PEERED_VNET_RESOLUTION,
            tags: props.tags,
          }),
        );
      }
    }
    return { zones, links, zoneIds, peeredLinks };
  }
}

/** An existing network, imported by {@link SecureNetwork.fromExisting}. */
class ImportedSecureNetwork extends Construct implements ISecureNetwork {
  readonly virtualNetworkId: string;
  readonly virtualNetworkName: string;
  readonly databricksHostSubnet: NetworkSubnet;
  readonly databricksContainerSubnet: NetworkSubnet;
  readonly postgresSubnet: NetworkSubnet;
  readonly privateEndpointSubnet: NetworkSubnet;
  readonly privateDnsZoneIds: Readonly<Record<PrivateDnsZoneKey, string>>;
  readonly privateDnsZoneReady: Readonly<Record<PrivateDnsZoneKey, readonly ITerraformDependable[]>>;
  readonly lineOfSight: readonly ITerraformDependable[];

  constructor(scope: Construct, id: string, attributes: SecureNetworkAttributes) {
    super(scope, id);
    attributes = attributes ?? ({} as SecureNetworkAttributes);
    const v = new PropValidator("SecureNetwork.fromExisting", this.node.path);
    const subnetProps = ["databricksHostSubnetId", "databricksContainerSubnetId", "postgresSubnetId", "privateEndpointSubnetId"] as const;
    // A blank id is one problem (required), not also a malformed one.
    for (const prop of subnetProps) {
      v.required(prop, attributes[prop], "a subnet resource id");
      if (attributes[prop] !== "") checkResourceId(v, prop, attributes[prop], "subnet");
    }
    checkResourceId(v, "virtualNetworkId", attributes.virtualNetworkId, "virtualNetwork");
    v.required("privateDnsZoneIds", attributes.privateDnsZoneIds, `the ids of the ${PRIVATE_DNS_ZONE_KEYS.join(", ")} private DNS zones`);
    for (const key of PRIVATE_DNS_ZONE_KEYS) {
      if (!attributes.privateDnsZoneIds) break;
      v.required(`privateDnsZoneIds.${key}`, attributes.privateDnsZoneIds[key], `the id of the ${PRIVATE_DNS_ZONE_NAMES[key]} zone`);
      if (attributes.privateDnsZoneIds[key] !== "") checkResourceId(v, `privateDnsZoneIds.${key}`, attributes.privateDnsZoneIds[key], "privateDnsZone");
      checkDnsZoneSlot(v, `privateDnsZoneIds.${key}`, attributes.privateDnsZoneIds[key], key);
    }
    const hostId = attributes.databricksHostSubnetId ?? "";
    const vnetId = attributes.virtualNetworkId ?? parentId(hostId);
    // Every subnet must belong to the one VNet (the workspace takes one VNet and two subnet names).
    for (const prop of subnetProps) {
      const subnetId = attributes[prop];
      if (subnetId === undefined || isUnresolved(subnetId) || isUnresolved(vnetId)) continue;
      if (parentId(subnetId).toLowerCase() !== vnetId.toLowerCase()) v.fail(prop, subnetId, `a subnet of the VNet ${vnetId}`);
    }
    v.report(this);

    const subnet = (subnetId: string | undefined): NetworkSubnet => ({
      id: subnetId ?? "",
      name: idSegment(subnetId ?? "", ID_SEGMENT.childName),
      // azurerm gives a subnet's NSG association the id of the subnet.
      networkSecurityGroupAssociationId: subnetId ?? "",
    });
    this.virtualNetworkId = vnetId;
    this.virtualNetworkName = idSegment(vnetId, ID_SEGMENT.name);
    this.databricksHostSubnet = subnet(attributes.databricksHostSubnetId);
    this.databricksContainerSubnet = subnet(attributes.databricksContainerSubnetId);
    this.postgresSubnet = subnet(attributes.postgresSubnetId);
    this.privateEndpointSubnet = subnet(attributes.privateEndpointSubnetId);
    this.privateDnsZoneIds = { ...(attributes.privateDnsZoneIds ?? ({} as Record<PrivateDnsZoneKey, string>)) };
    this.privateDnsZoneReady = Object.fromEntries(PRIVATE_DNS_ZONE_KEYS.map((key) => [key, []])) as unknown as Record<PrivateDnsZoneKey, readonly ITerraformDependable[]>;
    this.lineOfSight = [...(attributes.lineOfSight ?? [])];
    const roles: Array<[string | undefined, SubnetRole]> = [
      [attributes.databricksHostSubnetId, "databricksHost"],
      [attributes.databricksContainerSubnetId, "databricksContainer"],
      [attributes.postgresSubnetId, "postgres"],
      [attributes.privateEndpointSubnetId, "privateEndpoints"],
    ];
    registerNetwork(this, {
      virtualNetworkId: vnetId,
      subnets: new Map(roles.filter((entry): entry is [string, SubnetRole] => typeof entry[0] === "string" && entry[0] !== "")),
      peers: [],
    });
    registerNetworkSubscription(this, { id: vnetId });
  }
}

/** True when a zone name is the one a slot needs (PostgreSQL's may be any `*.postgres.database.azure.com`). */
function isZoneOf(zoneName: string, key: PrivateDnsZoneKey): boolean {
  const zone = zoneName.toLowerCase();
  return key === "postgres" ? zone.endsWith(".postgres.database.azure.com") : zone === PRIVATE_DNS_ZONE_NAMES[key];
}

/**
 * Checks that a literal private DNS zone id names the zone its slot needs (the vault's zone for
 * the vault, not the blob zone), saying which zone it is when it is another slot's (zones swapped).
 * Ids that are tokens, or not private DNS zone ids at all (checked elsewhere), are skipped.
 */
export function checkDnsZoneSlot(v: PropValidator, prop: string, zoneId: string | undefined, key: PrivateDnsZoneKey): void {
  if (typeof zoneId !== "string" || isUnresolved(zoneId) || !/\/providers\/Microsoft\.Network\/privateDnsZones\/[^/]+$/i.test(zoneId)) return;
  const zone = zoneId.slice(zoneId.lastIndexOf("/") + 1);
  if (isZoneOf(zone, key)) return;
  const wanted = key === "postgres" ? "a *.postgres.database.azure.com" : `the ${PRIVATE_DNS_ZONE_NAMES[key]}`;
  const actually = PRIVATE_DNS_ZONE_KEYS.find((other) => other !== key && isZoneOf(zone, other));
  v.fail(prop, zoneId, `the id of ${wanted} zone${actually ? `: this is the ${actually} zone (${zone}); are two zones swapped?` : ` (this one is ${zone})`}`);
}

/** The NAT gateway's options, or undefined when there is none. */
function natGatewayOptions(props: SecureNetworkProps): NatGatewayOptions | undefined {
  if (props.natGateway === false) return undefined;
  return { zones: props.natGateway?.zones };
}

const SUFFIX_RULE = {
  pattern: /^[a-z0-9][a-z0-9-]*[a-z0-9]$/,
  rule: "at least 2 characters, lowercase letters, digits and hyphens, not starting or ending with a hyphen, such as bank-prod",
  chars: /[a-z0-9-]/,
  minLength: 2,
  maxLength: 59,
};
const PEER_NAME = /^[a-z0-9](?:[a-z0-9-]{0,28}[a-z0-9])?$/;

/**
 * Resources made beside existing ones in another subscription go to a provider of that
 * subscription: azurerm builds a child's id from its provider's subscription and the parent's
 * resource group and name (internal/services/privatedns/private_dns_zone_virtual_network_link_resource.go,
 * internal/services/network/virtual_network_peering_resource.go), so on the spoke's provider a hub
 * zone's link or a hub VNet's peering is created in, or looked for in, the wrong subscription.
 * Checked at synth, when the providers exist, wherever both subscriptions are literal.
 */
function checkSubscriptions(scope: Construct, props: SecureNetworkProps): void {
  deferCheck(scope, () => {
    const v = new PropValidator("SecureNetwork", scope.node.path);
    if (props.linkExistingDnsZones ?? false) {
      const linkSubscription = providerSubscription(scope, props.privateDnsZoneProvider ?? props.provider);
      // One problem per subscription the zones are in: one provider cannot be wrong five times.
      const zonesBySubscription = new Map<string, string[]>();
      for (const [key, zoneId] of Object.entries(props.privateDnsZoneIds ?? {})) {
        const zoneSubscription = subscriptionOfId(zoneId);
        if (zoneSubscription === undefined || linkSubscription === undefined || zoneSubscription === linkSubscription) continue;
        zonesBySubscription.set(zoneSubscription, [...(zonesBySubscription.get(zoneSubscription) ?? []), key]);
      }
      for (const [zoneSubscription, keys] of zonesBySubscription) {
        const given = props.privateDnsZoneProvider !== undefined;
        v.fail(
          "privateDnsZoneProvider",
          given ? `(subscription ${linkSubscription})` : `(unset: the network's provider, subscription ${linkSubscription})`,
          `a provider of the zones' subscription ${zoneSubscription} (${keys.join(", ")}): their links would be made in ${linkSubscription}`,
        );
      }
    }
    (props.peeredNetworks ?? []).forEach((peer, index) => {
      if (!peer || !(peer.createReversePeering ?? true)) return;
      const peerSubscription = subscriptionOfId(peer.virtualNetworkId);
      const providerSub = providerSubscription(scope, peer.reversePeeringProvider ?? props.provider);
      if (peerSubscription === undefined || providerSub === undefined || peerSubscription === providerSub) return;
      v.fail(
        `peeredNetworks[${index}].reversePeeringProvider`,
        peer.reversePeeringProvider ? `(subscription ${providerSub})` : "(the default provider)",
        `a provider of the remote VNet's subscription ${peerSubscription}, or createReversePeering: false: the remote side would be made in ${providerSub}`,
      );
    });
    return v.takeProblems();
  });
}

/** Its subscription and its route table's, for the stack-wide pass, registered as it is constructed. */
function register(scope: Construct, props: SecureNetworkProps): void {
  registerNetworkSubscription(scope, { provider: props.provider });
  if (typeof props.routeTableId === "string") {
    requireSameSubscription(scope, {
      construct: "SecureNetwork",
      prop: "routeTableId",
      kind: "route-table",
      here: { provider: props.provider },
      there: { id: props.routeTableId },
      because: "a route table is associated only with subnets in its own subscription",
    });
  }
}

function validate(scope: Construct, props: SecureNetworkProps): void {
  checkSubscriptions(scope, props);
  const v = new PropValidator("SecureNetwork", scope.node.path);
  checkProviderType(v, scope, "provider", props.provider, "azurerm");
  checkProviderType(v, scope, "privateDnsZoneProvider", props.privateDnsZoneProvider, "azurerm");
  (Array.isArray(props.peeredNetworks) ? props.peeredNetworks : []).forEach((peer, index) =>
    checkProviderType(v, scope, `peeredNetworks[${index}].reversePeeringProvider`, peer?.reversePeeringProvider, "azurerm"),
  );
  checkPlacement(v, props);
  v.required("nameSuffix", props.nameSuffix, SUFFIX_RULE.rule);
  checkName(v, "nameSuffix", props.nameSuffix, SUFFIX_RULE);
  v.check("postgresDnsZoneName", props.postgresDnsZoneName, (name) => /^[a-z0-9.-]+\.postgres\.database\.azure\.com$/.test(name), "a DNS name ending in .postgres.database.azure.com");
  const zones = props.natGateway === false ? undefined : props.natGateway?.zones;
  v.check("natGateway.zones", zones, (list) => Array.isArray(list) && list.length === 1 && ["1", "2", "3"].includes(list[0]), 'one zone of "1", "2" or "3" (a NAT gateway is zonal or regional)');
  checkResourceId(v, "routeTableId", props.routeTableId, "routeTable");
  if (props.natGateway === false && props.routeTableId === undefined && props.egressProvidedElsewhere !== true) {
    v.fail(
      "natGateway",
      false,
      "a NAT gateway, or false with a routeTableId (a 0.0.0.0/0 route to your firewall), or egressProvidedElsewhere: true if egress is set up outside this construct: without egress the first run cannot start a cluster or install its libraries",
    );
  }

  // Names derived from nameSuffix, each within its resource's limit.
  const suffix = props.nameSuffix;
  if (typeof suffix === "string") {
    const value = { value: suffix };
    checkDerivedName(v, "nameSuffix", `vnet-${suffix}`, "VNet", NAME_LIMITS.virtualNetwork, value);
    for (const { name } of SUBNETS) {
      checkDerivedName(v, "nameSuffix", `snet-${name}-${suffix}`, "subnet", NAME_LIMITS.subnet, value);
      checkDerivedName(v, "nameSuffix", `nsg-${name}-${suffix}`, "network security group", NAME_LIMITS.networkSecurityGroup, value);
    }
    if (props.natGateway !== false) {
      checkDerivedName(v, "nameSuffix", `pip-ng-${suffix}`, "public IP", NAME_LIMITS.publicIp, value);
      checkDerivedName(v, "nameSuffix", `ng-${suffix}`, "NAT gateway", NAME_LIMITS.natGateway, value);
    }
    for (const key of PRIVATE_DNS_ZONE_KEYS) checkDerivedName(v, "nameSuffix", `link-${key}-${suffix}`, "private DNS zone link", NAME_LIMITS.dnsZoneLink, value);
  }

  for (const key of Object.keys(props.privateDnsZoneIds ?? {})) {
    if (!(PRIVATE_DNS_ZONE_KEYS as readonly string[]).includes(key)) v.fail(`privateDnsZoneIds.${key}`, key, `a zone key of ${PRIVATE_DNS_ZONE_KEYS.join(", ")}`);
    else {
      checkResourceId(v, `privateDnsZoneIds.${key}`, props.privateDnsZoneIds?.[key as PrivateDnsZoneKey], "privateDnsZone");
      checkDnsZoneSlot(v, `privateDnsZoneIds.${key}`, props.privateDnsZoneIds?.[key as PrivateDnsZoneKey], key as PrivateDnsZoneKey);
    }
  }

  const vnet = props.addressSpace === undefined || props.addressSpace === null || isUnresolved(props.addressSpace) ? undefined : parseCidr(props.addressSpace);
  if (typeof vnet === "string") v.fail("addressSpace", props.addressSpace, vnet);
  const reservedSpace = vnet !== undefined && typeof vnet !== "string" ? reservedRangeOverlapping(vnet) : undefined;
  if (reservedSpace) v.fail("addressSpace", props.addressSpace, `an address space clear of the ranges Azure reserves: it overlaps ${reservedSpace}`);
  v.required("addressSpace", props.addressSpace, "an IPv4 CIDR such as 10.30.0.0/16");
  v.required("subnets", props.subnets, "the CIDRs of the databricksHost, databricksContainer, postgres and privateEndpoints subnets");
  // Every subnet: the four roles and each additional workspace pair, checked alike.
  const wanted: Array<{ prop: string; cidr: string | undefined; minimum: number }> = [];
  if (props.subnets !== undefined && props.subnets !== null) {
    for (const key of Object.keys(MIN_SUBNET_SIZE) as Array<keyof SubnetCidrs>) wanted.push({ prop: `subnets.${key}`, cidr: props.subnets[key], minimum: MIN_SUBNET_SIZE[key] });
  }
  for (const [name, pair] of Object.entries(props.additionalWorkspaceSubnets ?? {})) {
    v.matches(`additionalWorkspaceSubnets.${name}`, name, PEER_NAME, "a name of 1-30 lowercase letters, digits and hyphens, such as risk");
    if (typeof suffix === "string") checkDerivedName(v, `additionalWorkspaceSubnets.${name}`, `snet-dbw-${name}-container-${suffix}`, "subnet", NAME_LIMITS.subnet, { value: name });
    wanted.push({ prop: `additionalWorkspaceSubnets.${name}.host`, cidr: pair?.host, minimum: MIN_SUBNET_SIZE.databricksHost });
    wanted.push({ prop: `additionalWorkspaceSubnets.${name}.container`, cidr: pair?.container, minimum: MIN_SUBNET_SIZE.databricksContainer });
  }
  const parsed: Array<{ prop: string; cidr: string; range: Exclude<ReturnType<typeof parseCidr>, string> }> = [];
  for (const { prop, cidr, minimum } of wanted) {
    if (cidr === undefined || cidr === null) {
      v.fail(prop, cidr, "a CIDR inside the address space");
      continue;
    }
    if (isUnresolved(cidr)) continue;
    const range = parseCidr(cidr);
    if (typeof range === "string") {
      v.fail(prop, cidr, range);
      continue;
    }
    if (prefixLength(range) > minimum) v.fail(prop, cidr, `a subnet of /${minimum} or larger (prefix length ${minimum} or less)`);
    if (vnet !== undefined && typeof vnet !== "string" && !range.inside(vnet)) v.fail(prop, cidr, `a CIDR inside the address space ${props.addressSpace}`);
    else if (vnet === undefined && reservedRangeOverlapping(range)) v.fail(prop, cidr, `a CIDR clear of the ranges Azure reserves: it overlaps ${reservedRangeOverlapping(range)}`);
    parsed.push({ prop, cidr, range });
  }
  for (let i = 0; i < parsed.length; i++) {
    for (let j = i + 1; j < parsed.length; j++) {
      if (parsed[i].range.isOverlapping(parsed[j].range)) v.fail(parsed[j].prop, parsed[j].cidr, `a CIDR that does not overlap ${parsed[i].prop} (${parsed[i].cidr})`);
    }
  }

  // Peered networks: unique short names, real VNet ids, address spaces that do not overlap ours.
  const peers = props.peeredNetworks ?? [];
  if (!Array.isArray(peers)) v.fail("peeredNetworks", peers, "an array of peered networks");
  const seen = new Set<string>();
  const peerRanges: Array<{ index: number; name: string; space: string; range: Exclude<ReturnType<typeof parseCidr>, string> }> = [];
  (Array.isArray(peers) ? peers : []).forEach((peer, index) => {
    const at = `peeredNetworks[${index}]`;
    v.required(`${at}.name`, peer?.name, "a short name such as agents or hub");
    v.matches(`${at}.name`, peer?.name, PEER_NAME, "1-30 lowercase letters, digits and hyphens, not starting or ending with a hyphen");
    if (peer?.name !== undefined && seen.has(peer.name)) v.fail(`${at}.name`, peer.name, "a name no other peered network of this network has");
    if (peer?.name !== undefined) seen.add(peer.name);
    v.required(`${at}.virtualNetworkId`, peer?.virtualNetworkId, "the resource id of the remote VNet");
    checkResourceId(v, `${at}.virtualNetworkId`, peer?.virtualNetworkId, "virtualNetwork");
    checkPeeredVnet(v, scope, props, peers, index);
    if (typeof suffix === "string" && typeof peer?.name === "string") {
      checkDerivedName(v, `${at}.name`, `peer-${peer.name}-to-${suffix}`, "VNet peering", NAME_LIMITS.peering, { value: peer.name });
      for (const key of PRIVATE_DNS_ZONE_KEYS) checkDerivedName(v, `${at}.name`, `link-${key}-${peer.name}-${suffix}`, "private DNS zone link", NAME_LIMITS.dnsZoneLink, { value: peer.name });
    }
    v.required(`${at}.addressSpaces`, peer?.addressSpaces, "the remote VNet's address spaces, such as [\"10.99.0.0/24\"]");
    // A VNet peered twice is one mistake, reported on its id: its ranges overlap themselves.
    if (peers.slice(0, index).some((other) => sameVnetId(other?.virtualNetworkId, peer?.virtualNetworkId))) return;
    (peer?.addressSpaces ?? []).forEach((space, spaceIndex) => {
      const prop = `${at}.addressSpaces[${spaceIndex}]`;
      if (isUnresolved(space)) return;
      const range = parseCidr(space);
      if (typeof range === "string") v.fail(prop, space, range);
      else if (reservedRangeOverlapping(range)) v.fail(prop, space, `the remote VNet's real address space: Azure reserves ${reservedRangeOverlapping(range)}, which no VNet has`);
      else if (vnet !== undefined && typeof vnet !== "string" && range.isOverlapping(vnet)) {
        v.fail(prop, space, `an address space that does not overlap this network's ${props.addressSpace} (peered networks' ranges must be disjoint)`);
      } else {
        // The peered networks must not overlap each other either: a VNet's peerings must be disjoint.
        const other = peerRanges.find((earlier) => earlier.index !== index && earlier.range.isOverlapping(range));
        if (other) v.fail(prop, space, `an address space that does not overlap peeredNetworks[${other.index}] (${other.name})'s ${other.space}: a VNet cannot be peered with two networks whose ranges overlap`);
        peerRanges.push({ index, name: String(peer?.name), space, range });
      }
    });
  });
  v.report(scope);
}

/**
 * Refuses a peering that cannot exist: to this network's own VNet (its resource group and
 * `vnet-<nameSuffix>`, in the provider's subscription when known), or to a remote VNet an earlier
 * entry already peers with under another name; Azure keeps one peering per pair of VNets and
 * refuses the second (AnotherPeeringAlreadyReferencesRemoteVnet, as reported in
 * Azure/bicep-registry-modules#3386).
 */
function checkPeeredVnet(v: PropValidator, scope: Construct, props: SecureNetworkProps, peers: readonly PeeredNetwork[], index: number): void {
  const id = peers[index]?.virtualNetworkId;
  if (typeof id !== "string" || id === "") return;
  const prop = `peeredNetworks[${index}].virtualNetworkId`;
  const earlier = peers.slice(0, index).findIndex((other) => sameVnetId(other?.virtualNetworkId, id));
  if (earlier >= 0) {
    v.fail(prop, id, `a VNet no other entry peers with: peeredNetworks[${earlier}] (${peers[earlier]?.name}) peers with it already, and Azure keeps one peering per pair of VNets`);
    return;
  }
  if (isUnresolved(id) || typeof props.nameSuffix !== "string" || typeof props.resourceGroupName !== "string" || isUnresolved(props.resourceGroupName)) return;
  const segments = id.split("/");
  const own = segments[ID_SEGMENT.name]?.toLowerCase() === `vnet-${props.nameSuffix}`.toLowerCase() && segments[ID_SEGMENT.resourceGroupName]?.toLowerCase() === props.resourceGroupName.toLowerCase();
  const ownSubscription = providerSubscription(scope, props.provider);
  if (own && (ownSubscription === undefined || ownSubscription === subscriptionOfId(id))) {
    v.fail(prop, id, "another VNet than this network's own: a VNet cannot be peered with itself");
  }
}

/** True when two VNet ids name one VNet (literal ids compare case-insensitively, tokens as they are). */
function sameVnetId(a: unknown, b: unknown): boolean {
  if (typeof a !== "string" || typeof b !== "string" || a === "" || b === "") return false;
  return isUnresolved(a) || isUnresolved(b) ? a === b : a.toLowerCase() === b.toLowerCase();
}
