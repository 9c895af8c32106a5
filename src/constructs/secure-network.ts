import { Construct } from "constructs";
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
import { VirtualNetwork } from "@cdktf/provider-azurerm/lib/virtual-network";
import { Observability } from "./observability";
import { Placement } from "./placement";
import { isUnresolved, parseCidr, prefixLength, PropValidator } from "./validation";

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

/** Smallest subnet (largest prefix length) each role accepts. */
export const MIN_SUBNET_SIZE: Record<keyof SubnetCidrs, number> = {
  databricksHost: 26,
  databricksContainer: 26,
  postgres: 28,
  privateEndpoints: 28,
};

export interface SecureNetworkProps extends Placement {
  /** Suffix of every resource name, usually `<workload>-<environment>`, such as `bank-prod`. */
  readonly nameSuffix: string;
  /** Address space of the VNet, such as `10.30.0.0/16`. */
  readonly addressSpace: string;
  /** Subnet CIDRs; each inside the address space, none overlapping. */
  readonly subnets: SubnetCidrs;
  /**
   * Availability zones of the NAT gateway's public IP and the gateway.
   * @default - no zone pinning (regional)
   */
  readonly natGatewayZones?: string[];
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
  readonly observability?: Observability;
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
}

/**
 * The estate's network: a VNet with subnets for the Databricks host and container (delegated to
 * Databricks), PostgreSQL (delegated to Flexible Server) and private endpoints; an NSG on every
 * subnet that denies inbound traffic from the internet; a NAT gateway for the clusters' egress
 * (they have no public IPs); and private DNS zones for blob, dfs, vault, postgres and Databricks
 * linked to the VNet.
 */
export class SecureNetwork extends Construct {
  readonly virtualNetwork: VirtualNetwork;
  /** Resource id of the VNet. */
  readonly virtualNetworkId: string;
  readonly databricksHost: GuardedSubnet;
  readonly databricksContainer: GuardedSubnet;
  readonly postgres: GuardedSubnet;
  readonly privateEndpoints: GuardedSubnet;
  readonly natGateway: NatGateway;
  readonly dnsZones: EstateDnsZones;
  /** The VNet link of each DNS zone, for resources that must wait for name resolution. */
  readonly dnsZoneLinks: Record<keyof EstateDnsZones, PrivateDnsZoneVirtualNetworkLink>;

  constructor(scope: Construct, id: string, props: SecureNetworkProps) {
    super(scope, id);
    validate(this.node.path, props);

    const placement = { resourceGroupName: props.resourceGroupName, location: props.location, tags: props.tags };
    const suffix = props.nameSuffix;

    this.virtualNetwork = new VirtualNetwork(this, "vnet", {
      ...placement,
      name: `vnet-${suffix}`,
      addressSpace: [props.addressSpace],
    });
    this.virtualNetworkId = this.virtualNetwork.id;
    props.observability?.diagnose(this, "vnet-diagnostics", this.virtualNetworkId, { logs: true, metrics: true });

    const guardedSubnet = (key: string, name: string, cidr: string, extra: Partial<ConstructorParameters<typeof Subnet>[2]>): GuardedSubnet => {
      const subnet = new Subnet(this, `${key}-subnet`, {
        name: `snet-${name}-${suffix}`,
        resourceGroupName: props.resourceGroupName,
        virtualNetworkName: this.virtualNetwork.name,
        addressPrefixes: [cidr],
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
      return { subnet, networkSecurityGroup, networkSecurityGroupAssociation };
    };

    this.databricksHost = guardedSubnet("databricks-host", "dbw-host", props.subnets.databricksHost, { delegation: [DATABRICKS_DELEGATION] });
    this.databricksContainer = guardedSubnet("databricks-container", "dbw-container", props.subnets.databricksContainer, {
      delegation: [DATABRICKS_DELEGATION],
    });
    this.postgres = guardedSubnet("postgres", "psql", props.subnets.postgres, { delegation: [POSTGRES_DELEGATION] });
    this.privateEndpoints = guardedSubnet("private-endpoints", "pe", props.subnets.privateEndpoints, {
      // Lets the NSG and route tables apply to private endpoints too.
      privateEndpointNetworkPolicies: "Enabled",
    });

    const natPublicIp = new PublicIp(this, "nat-public-ip", {
      ...placement,
      name: `pip-ng-${suffix}`,
      sku: "Standard",
      allocationMethod: "Static",
      zones: props.natGatewayZones,
    });
    props.observability?.diagnose(this, "nat-public-ip-diagnostics", natPublicIp.id, { logs: true, metrics: true });
    this.natGateway = new NatGateway(this, "nat-gateway", {
      ...placement,
      name: `ng-${suffix}`,
      skuName: "Standard",
      idleTimeoutInMinutes: 4,
      zones: props.natGatewayZones,
    });
    new NatGatewayPublicIpAssociation(this, "nat-gateway-ip", { natGatewayId: this.natGateway.id, publicIpAddressId: natPublicIp.id });
    for (const [key, guarded] of [["databricks-host", this.databricksHost], ["databricks-container", this.databricksContainer]] as const) {
      new SubnetNatGatewayAssociation(this, `${key}-nat`, { subnetId: guarded.subnet.id, natGatewayId: this.natGateway.id });
    }

    const links: Partial<Record<keyof EstateDnsZones, PrivateDnsZoneVirtualNetworkLink>> = {};
    const zone = (key: keyof EstateDnsZones, name: string): PrivateDnsZone => {
      const dnsZone = new PrivateDnsZone(this, `${key}-dns-zone`, { name, resourceGroupName: props.resourceGroupName, tags: props.tags });
      links[key] = new PrivateDnsZoneVirtualNetworkLink(this, `${key}-dns-link`, {
        name: `link-${key}-${suffix}`,
        resourceGroupName: props.resourceGroupName,
        privateDnsZoneName: dnsZone.name,
        virtualNetworkId: this.virtualNetworkId,
        registrationEnabled: false,
        tags: props.tags,
      });
      return dnsZone;
    };
    this.dnsZones = {
      blob: zone("blob", "privatelink.blob.core.windows.net"),
      dfs: zone("dfs", "privatelink.dfs.core.windows.net"),
      vault: zone("vault", "privatelink.vaultcore.azure.net"),
      postgres: zone("postgres", props.postgresDnsZoneName ?? "privatelink.postgres.database.azure.com"),
      databricks: zone("databricks", "privatelink.azuredatabricks.net"),
    };
    this.dnsZoneLinks = links as Record<keyof EstateDnsZones, PrivateDnsZoneVirtualNetworkLink>;
  }
}

function validate(path: string, props: SecureNetworkProps): void {
  const v = new PropValidator("SecureNetwork", path);
  v.matches("nameSuffix", props.nameSuffix, /^[a-z0-9][a-z0-9-]{0,40}[a-z0-9]$/, "2-42 characters, lowercase letters, digits and hyphens, such as bank-prod");
  v.check("postgresDnsZoneName", props.postgresDnsZoneName, (name) => /^[a-z0-9.-]+\.postgres\.database\.azure\.com$/.test(name), "a DNS name ending in .postgres.database.azure.com");
  v.check("natGatewayZones", props.natGatewayZones, (zones) => zones.length === 1 && ["1", "2", "3"].includes(zones[0]), 'one zone of "1", "2" or "3" (a NAT gateway is zonal or regional)');

  const vnet = props.addressSpace === undefined || isUnresolved(props.addressSpace) ? undefined : parseCidr(props.addressSpace);
  if (typeof vnet === "string") v.fail("addressSpace", props.addressSpace, vnet);

  v.required("nameSuffix", props.nameSuffix, "2-42 characters, lowercase letters, digits and hyphens, such as bank-prod");
  v.required("addressSpace", props.addressSpace, "an IPv4 CIDR such as 10.30.0.0/16");
  v.required("subnets", props.subnets, "the CIDRs of the databricksHost, databricksContainer, postgres and privateEndpoints subnets");
  const parsed: Array<[keyof SubnetCidrs, ReturnType<typeof parseCidr>]> = [];
  for (const key of Object.keys(MIN_SUBNET_SIZE) as Array<keyof SubnetCidrs>) {
    if (props.subnets === undefined || props.subnets === null) break;
    const cidr = props.subnets[key];
    const prop = `subnets.${key}`;
    if (cidr === undefined) {
      v.fail(prop, cidr, "a CIDR inside the address space");
      continue;
    }
    if (isUnresolved(cidr)) continue;
    const range = parseCidr(cidr);
    if (typeof range === "string") {
      v.fail(prop, cidr, range);
      continue;
    }
    const minimum = MIN_SUBNET_SIZE[key];
    if (prefixLength(range) > minimum) v.fail(prop, cidr, `a subnet of /${minimum} or larger (prefix length ${minimum} or less)`);
    if (vnet !== undefined && typeof vnet !== "string" && !range.inside(vnet)) v.fail(prop, cidr, `a CIDR inside the address space ${props.addressSpace}`);
    parsed.push([key, range]);
  }
  for (let i = 0; i < parsed.length; i++) {
    for (let j = i + 1; j < parsed.length; j++) {
      const [keyA, a] = parsed[i];
      const [keyB, b] = parsed[j];
      if (typeof a !== "string" && typeof b !== "string" && a.isOverlapping(b)) {
        v.fail(`subnets.${keyB}`, props.subnets[keyB], `a CIDR that does not overlap subnets.${keyA} (${props.subnets[keyA]})`);
      }
    }
  }
  v.throwIfInvalid();
}
