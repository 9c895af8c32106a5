import { Fn, TerraformStack, Testing } from "cdktf";
import { AzurermProvider } from "@cdktf/provider-azurerm/lib/provider";
import { validationProblems } from "../../src/constructs/core/validation";
import { Observability } from "../../src/constructs/monitoring/observability";
import { SecureNetwork } from "../../src/constructs/network/secure-network";
import { bareStack, logicalNameAt, ref, resourceAt, resourcesOf, synthStack } from "../helpers/synth";
import { EXISTING_ZONES, network, NETWORK_PROPS, PLACEMENT, problemsOf, subnetId, vnetId } from "./fixtures";

const AGENTS = { name: "agents", virtualNetworkId: vnetId("vnet-agents-dev"), addressSpaces: ["10.200.0.0/24"] };

function problemsFor(props: Parameters<typeof network>[1]) {
  const { stack } = bareStack();
  network(stack, props);
  return problemsOf(stack);
}

function synthNetwork(props: Parameters<typeof network>[1] = {}) {
  const { stack } = bareStack();
  const net = network(stack, props);
  return { net, synthesized: synthStack(stack) };
}

describe("SecureNetwork", () => {
  const { synthesized } = synthNetwork();

  it("puts an NSG on every subnet", () => {
    const subnets = resourcesOf(synthesized, "azurerm_subnet");
    expect(subnets).toHaveLength(4);
    const associated = resourcesOf(synthesized, "azurerm_subnet_network_security_group_association").map(([, body]) => body.subnet_id);
    for (const [name] of subnets) expect(associated).toContain(ref("azurerm_subnet", name));
  });

  it("delegates the Databricks subnets to Databricks and the database subnet to Flexible Server", () => {
    const delegationOf = (suffix: string) => (resourceAt(synthesized, "azurerm_subnet", suffix).delegation as Array<{ service_delegation: { name: string } }>)[0].service_delegation.name;
    expect(delegationOf("network/databricks-host-subnet")).toBe("Microsoft.Databricks/workspaces");
    expect(delegationOf("network/databricks-container-subnet")).toBe("Microsoft.Databricks/workspaces");
    expect(delegationOf("network/postgres-subnet")).toBe("Microsoft.DBforPostgreSQL/flexibleServers");
    expect(resourceAt(synthesized, "azurerm_subnet", "network/private-endpoints-subnet").delegation).toBeUndefined();
  });

  it("denies inbound traffic from the internet on every NSG and allows none", () => {
    const rules = resourcesOf(synthesized, "azurerm_network_security_rule").map(([, body]) => body);
    expect(rules).toHaveLength(resourcesOf(synthesized, "azurerm_network_security_group").length);
    for (const rule of rules) expect(rule).toMatchObject({ direction: "Inbound", access: "Deny", source_address_prefix: "Internet" });
  });

  it("sends the Databricks subnets' egress through a NAT gateway by default", () => {
    const natGateway = ref("azurerm_nat_gateway", logicalNameAt(synthesized, "azurerm_nat_gateway", "network/nat-gateway"));
    const associations = resourcesOf(synthesized, "azurerm_subnet_nat_gateway_association").map(([, body]) => body);
    expect(associations).toHaveLength(2);
    for (const association of associations) expect(association.nat_gateway_id).toBe(natGateway);
  });

  it("turns off Azure's implicit outbound access on every subnet", () => {
    for (const [, subnet] of resourcesOf(synthesized, "azurerm_subnet")) expect(subnet.default_outbound_access_enabled).toBe(false);
  });

  it("creates the five private DNS zones and links each to the VNet", () => {
    const vnet = ref("azurerm_virtual_network", logicalNameAt(synthesized, "azurerm_virtual_network", "network/vnet"));
    const zones = resourcesOf(synthesized, "azurerm_private_dns_zone");
    expect(zones.map(([, body]) => body.name).sort()).toEqual(Object.values(EXISTING_ZONES).map((id) => id.split("/").pop()).sort());
    const links = resourcesOf(synthesized, "azurerm_private_dns_zone_virtual_network_link").map(([, body]) => body);
    for (const [logicalName] of zones) {
      expect(links.find((link) => link.private_dns_zone_name === ref("azurerm_private_dns_zone", logicalName, "name"))).toMatchObject({ virtual_network_id: vnet, registration_enabled: false });
    }
  });

  it("implements ISecureNetwork with the created subnets and zones", () => {
    const { stack } = bareStack();
    const net = network(stack);
    for (const key of ["blob", "dfs", "vault", "postgres", "databricks"] as const) expect(net.privateDnsZoneIds[key]).toEqual(expect.any(String));
    expect(net.privateDnsZoneReady.vault).toEqual([net.dnsZoneLinks.vault]);
    expect(net.lineOfSight).toEqual([]);
  });

  it("creates no NAT gateway or public IP when egress goes through the hub firewall", () => {
    const routeTableId = "/subscriptions/11111111-2222-4333-8444-555555555555/resourceGroups/rg-hub/providers/Microsoft.Network/routeTables/rt-to-firewall";
    const { synthesized: noNat } = synthNetwork({ natGateway: false, routeTableId });
    expect(resourcesOf(noNat, "azurerm_nat_gateway")).toEqual([]);
    expect(resourcesOf(noNat, "azurerm_public_ip")).toEqual([]);
    expect(resourcesOf(noNat, "azurerm_subnet_nat_gateway_association")).toEqual([]);
    const routes = resourcesOf(noNat, "azurerm_subnet_route_table_association").map(([, body]) => body);
    expect(routes).toHaveLength(2);
    for (const route of routes) expect(route.route_table_id).toBe(routeTableId);
  });

  it("pins the NAT gateway to a zone when asked", () => {
    const { synthesized: zonal } = synthNetwork({ natGateway: { zones: ["2"] } });
    expect(resourceAt(zonal, "azurerm_nat_gateway", "network/nat-gateway").zones).toEqual(["2"]);
    expect(resourceAt(zonal, "azurerm_public_ip", "network/nat-public-ip").zones).toEqual(["2"]);
  });

  it("uses existing private DNS zones by id and neither creates nor links them", () => {
    const { stack } = bareStack();
    const net = network(stack, { privateDnsZoneIds: { vault: EXISTING_ZONES.vault, blob: EXISTING_ZONES.blob } });
    const result = synthStack(stack);
    const created = resourcesOf(result, "azurerm_private_dns_zone").map(([, body]) => body.name);
    expect(created).not.toContain("privatelink.vaultcore.azure.net");
    expect(created).not.toContain("privatelink.blob.core.windows.net");
    expect(created).toHaveLength(3);
    expect(resourcesOf(result, "azurerm_private_dns_zone_virtual_network_link")).toHaveLength(3);
    expect(net.privateDnsZoneIds.vault).toBe(EXISTING_ZONES.vault);
    expect(net.privateDnsZoneReady.vault).toEqual([]);
  });

  it("links existing zones to the VNet when asked, in the zone's own resource group", () => {
    const { synthesized: linked } = synthNetwork({ privateDnsZoneIds: { vault: EXISTING_ZONES.vault }, linkExistingDnsZones: true });
    expect(resourceAt(linked, "azurerm_private_dns_zone_virtual_network_link", "network/vault-dns-link")).toMatchObject({
      resource_group_name: "rg-dns",
      private_dns_zone_name: "privatelink.vaultcore.azure.net",
    });
  });

  describe("with the zones in a hub subscription", () => {
    const SPOKE_SUBSCRIPTION = "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee";
    const hubStack = () => {
      const app = Testing.app();
      const stack = new TerraformStack(app, "spoke");
      new AzurermProvider(stack, "azurerm", { subscriptionId: SPOKE_SUBSCRIPTION, features: [{ storage: [{ dataPlaneAvailable: false }] }] });
      const hub = new AzurermProvider(stack, "hub", { alias: "hub", subscriptionId: "11111111-2222-4333-8444-555555555555", features: [{}] });
      return { stack, hub };
    };

    it("links the hub's zones with the hub's provider, so the links are made in the zones' subscription", () => {
      const { stack, hub } = hubStack();
      network(stack, { privateDnsZoneIds: EXISTING_ZONES, linkExistingDnsZones: true, privateDnsZoneProvider: hub });
      expect(problemsOf(stack)).toEqual([]);
      const links = resourcesOf(synthStack(stack), "azurerm_private_dns_zone_virtual_network_link").map(([, body]) => body);
      expect(links).toHaveLength(5);
      for (const link of links) expect(link).toMatchObject({ provider: "azurerm.hub", resource_group_name: "rg-dns" });
    });

    it("refuses links to zones of another subscription on the spoke's default provider, once, naming each zone", () => {
      const { stack } = hubStack();
      network(stack, { privateDnsZoneIds: { vault: EXISTING_ZONES.vault, dfs: EXISTING_ZONES.dfs }, linkExistingDnsZones: true });
      expect(problemsOf(stack)).toEqual([{ construct: "SecureNetwork", prop: "privateDnsZoneProvider" }]);
      expect(validationProblems(stack)[0].allowed).toContain("a provider of the zones' subscription 11111111-2222-4333-8444-555555555555 (vault, dfs)");
    });

    it("refuses the hub side of a peering on the spoke's provider when the hub VNet is in another subscription", () => {
      const { stack, hub } = hubStack();
      network(stack, { peeredNetworks: [AGENTS] });
      expect(problemsOf(stack)).toEqual([{ construct: "SecureNetwork", prop: "peeredNetworks[0].reversePeeringProvider" }]);
      const { stack: fixed } = hubStack();
      network(fixed, { peeredNetworks: [{ ...AGENTS, reversePeeringProvider: hub }] });
      expect(problemsOf(fixed)).toEqual([]);
      void hub;
    });
  });

  it("peers both ways with the agents' VNet, parsing the remote group and VNet name from its id", () => {
    const { synthesized: peered } = synthNetwork({ peeredNetworks: [AGENTS] });
    const vnet = ref("azurerm_virtual_network", logicalNameAt(peered, "azurerm_virtual_network", "network/vnet"));
    expect(resourceAt(peered, "azurerm_virtual_network_peering", "network/peering-to-agents")).toMatchObject({
      resource_group_name: "rg-test",
      remote_virtual_network_id: AGENTS.virtualNetworkId,
      allow_virtual_network_access: true,
    });
    expect(resourceAt(peered, "azurerm_virtual_network_peering", "network/peering-from-agents")).toMatchObject({
      resource_group_name: "rg-agents",
      virtual_network_name: "vnet-agents-dev",
      remote_virtual_network_id: vnet,
    });
  });

  it("parses the reverse peering's group and VNet name with Terraform functions when the remote id is a token", () => {
    const { stack } = bareStack();
    const remote = Fn.lower(AGENTS.virtualNetworkId);
    network(stack, { peeredNetworks: [{ ...AGENTS, virtualNetworkId: remote }] });
    const reverse = resourceAt(synthStack(stack), "azurerm_virtual_network_peering", "network/peering-from-agents");
    expect(reverse.resource_group_name).toMatch(/^\$\{element\(split\("\/", lower\(/);
    expect(reverse.virtual_network_name).toMatch(/, 8\)\}$/);
  });

  it("skips the reverse peering when the hub team owns it", () => {
    const { synthesized: oneWay } = synthNetwork({ peeredNetworks: [{ ...AGENTS, createReversePeering: false }] });
    expect(resourcesOf(oneWay, "azurerm_virtual_network_peering")).toHaveLength(1);
  });

  it("links every zone it creates to each peered VNet, and counts peerings and links as line of sight", () => {
    const { stack } = bareStack();
    const net = network(stack, { peeredNetworks: [AGENTS], privateDnsZoneIds: { databricks: EXISTING_ZONES.databricks } });
    const result = synthStack(stack);
    const toAgents = resourcesOf(result, "azurerm_private_dns_zone_virtual_network_link").filter(([, body]) => body.virtual_network_id === AGENTS.virtualNetworkId);
    expect(toAgents).toHaveLength(4);
    expect(net.lineOfSight).toHaveLength(2 + 4);
    expect(net.lineOfSight).toEqual(expect.arrayContaining([...net.peerings]));
  });

  it("lets a peered VNet it does not own fall back to public resolution for names its zones lack", () => {
    const { synthesized: peered } = synthNetwork({ peeredNetworks: [AGENTS] });
    const links = resourcesOf(peered, "azurerm_private_dns_zone_virtual_network_link").map(([, body]) => body);
    const toAgents = links.filter((body) => body.virtual_network_id === AGENTS.virtualNetworkId);
    expect(toAgents).toHaveLength(5);
    expect(new Set(toAgents.map((body) => body.resolution_policy))).toEqual(new Set(["NxDomainRedirect"]));
  });

  it("keeps its own VNet's resolution to the zones' records, set explicitly so a switch to fallback shows as drift", () => {
    const { synthesized: linked } = synthNetwork({ peeredNetworks: [AGENTS], privateDnsZoneIds: { databricks: EXISTING_ZONES.databricks }, linkExistingDnsZones: true });
    const own = resourcesOf(linked, "azurerm_private_dns_zone_virtual_network_link").map(([, body]) => body).filter((body) => body.virtual_network_id !== AGENTS.virtualNetworkId);
    expect(own).toHaveLength(5);
    expect(new Set(own.map((body) => body.resolution_policy))).toEqual(new Set(["Default"]));
  });

  it("sends the VNet's and NSGs' logs to Log Analytics", () => {
    const { stack } = bareStack();
    const observability = new Observability(stack, "observability", { ...PLACEMENT, workspaceName: "log-bank-dev" });
    network(stack, { observability });
    const result = synthStack(stack);
    const targets = resourcesOf(result, "azurerm_monitor_diagnostic_setting").map(([, body]) => body.target_resource_id);
    expect(targets).toContain(ref("azurerm_virtual_network", logicalNameAt(result, "azurerm_virtual_network", "network/vnet")));
    for (const [nsg] of resourcesOf(result, "azurerm_network_security_group")) expect(targets).toContain(ref("azurerm_network_security_group", nsg));
  });

  it("builds two networks in one stack", () => {
    const { stack } = bareStack();
    network(stack, {}, "network-a");
    network(stack, { nameSuffix: "bank-two", addressSpace: "10.20.0.0/16", subnets: { databricksHost: "10.20.0.0/24", databricksContainer: "10.20.1.0/24", postgres: "10.20.2.0/28", privateEndpoints: "10.20.3.0/28" } }, "network-b");
    expect(resourcesOf(synthStack(stack), "azurerm_virtual_network")).toHaveLength(2);
  });

  describe("fromExisting", () => {
    const attributes = {
      databricksHostSubnetId: subnetId("snet-dbw-host"),
      databricksContainerSubnetId: subnetId("snet-dbw-container"),
      postgresSubnetId: subnetId("snet-psql"),
      privateEndpointSubnetId: subnetId("snet-pe"),
      privateDnsZoneIds: EXISTING_ZONES,
    };

    it("creates no VNet, subnet or DNS zone and derives the names from the subnet ids", () => {
      const { stack } = bareStack();
      const net = SecureNetwork.fromExisting(stack, "hub", attributes);
      const result = synthStack(stack);
      expect(result.resource ?? {}).toEqual({});
      expect(net.virtualNetworkName).toBe("vnet-hub");
      expect(net.virtualNetworkId).toBe(subnetId("x").replace("/subnets/x", ""));
      expect(net.databricksHostSubnet).toEqual({ id: attributes.databricksHostSubnetId, name: "snet-dbw-host", networkSecurityGroupAssociationId: attributes.databricksHostSubnetId });
      expect(net.privateDnsZoneIds).toEqual(EXISTING_ZONES);
      expect(net.privateDnsZoneReady.vault).toEqual([]);
    });

    it("refuses subnets of different VNets and malformed ids", () => {
      const { stack } = bareStack();
      SecureNetwork.fromExisting(stack, "hub", { ...attributes, postgresSubnetId: subnetId("snet-psql", "vnet-other"), privateDnsZoneIds: { ...EXISTING_ZONES, blob: "blob-zone" } });
      expect(problemsOf(stack)).toEqual([
        { construct: "SecureNetwork.fromExisting", prop: "privateDnsZoneIds.blob" },
        { construct: "SecureNetwork.fromExisting", prop: "postgresSubnetId" },
      ]);
    });
  });

  describe("validation", () => {

    it("refuses a subnet outside the VNet", () => {
      expect(problemsFor({ subnets: { ...NETWORK_PROPS.subnets, postgres: "10.99.2.0/28" } })).toEqual([{ construct: "SecureNetwork", prop: "subnets.postgres" }]);
    });

    it("refuses overlapping subnets", () => {
      expect(problemsFor({ subnets: { ...NETWORK_PROPS.subnets, databricksContainer: "10.10.0.128/26" } })).toEqual([{ construct: "SecureNetwork", prop: "subnets.databricksContainer" }]);
    });

    it("refuses subnets smaller than their role needs", () => {
      expect(problemsFor({ subnets: { ...NETWORK_PROPS.subnets, databricksHost: "10.10.0.0/27", postgres: "10.10.2.0/29" } })).toEqual([
        { construct: "SecureNetwork", prop: "subnets.databricksHost" },
        { construct: "SecureNetwork", prop: "subnets.postgres" },
      ]);
    });

    it("refuses a malformed CIDR and one with host bits set", () => {
      expect(problemsFor({ addressSpace: "10.10.0.0/33", subnets: { ...NETWORK_PROPS.subnets, privateEndpoints: "10.10.3.5/28" } })).toEqual([
        { construct: "SecureNetwork", prop: "addressSpace" },
        { construct: "SecureNetwork", prop: "subnets.privateEndpoints" },
      ]);
    });

    it("refuses a peered network whose address space overlaps the VNet's", () => {
      expect(problemsFor({ peeredNetworks: [{ ...AGENTS, addressSpaces: ["10.10.128.0/24"] }] })).toEqual([{ construct: "SecureNetwork", prop: "peeredNetworks[0].addressSpaces[0]" }]);
    });

    it("refuses two peered networks with the same name", () => {
      expect(problemsFor({ peeredNetworks: [AGENTS, { ...AGENTS, virtualNetworkId: vnetId("vnet-hub"), addressSpaces: ["10.201.0.0/24"] }] })).toEqual([{ construct: "SecureNetwork", prop: "peeredNetworks[1].name" }]);
    });

    it("refuses a region that is not an Azure region and accepts a display name", () => {
      expect(problemsFor({ location: "mars" })).toEqual([{ construct: "SecureNetwork", prop: "location" }]);
      expect(problemsFor({ location: "West Europe" })).toEqual([]);
    });

    it("refuses an empty tag name and one with a slash", () => {
      expect(problemsFor({ tags: { "": "x", "cost/centre": "42" } })).toEqual([
        { construct: "SecureNetwork", prop: 'tags[""]' },
        { construct: "SecureNetwork", prop: 'tags["cost/centre"]' },
      ]);
    });

    it("refuses a name suffix whose derived names break Azure's length limits, naming nameSuffix", () => {
      const problems = problemsFor({ nameSuffix: "a".repeat(60) });
      expect(problems.length).toBeGreaterThan(0);
      expect(new Set(problems.map((p) => p.prop))).toEqual(new Set(["nameSuffix"]));
    });

    it("checks the literal part of a name suffix built from a token", () => {
      expect(problemsFor({ nameSuffix: `Bank_${Fn.lower("x")}` })).toEqual([{ construct: "SecureNetwork", prop: "nameSuffix" }]);
    });

    it("reports missing props of a JavaScript caller without crashing", () => {
      const { stack } = bareStack();
      expect(() => new SecureNetwork(stack, "network", {} as never)).not.toThrow();
      expect(problemsOf(stack).map((p) => p.prop)).toEqual(expect.arrayContaining(["resourceGroupName", "location", "nameSuffix", "addressSpace", "subnets"]));
    });

    it("reports every problem at synth in one error", () => {
      const { stack } = bareStack();
      network(stack, { nameSuffix: "Bank_Dev", subnets: { ...NETWORK_PROPS.subnets, postgres: "10.99.2.0/29" } });
      expect(() => synthStack(stack)).toThrow(/nameSuffix[\s\S]*subnets\.postgres/);
    });

    it("skips CIDRs that are only known at deploy time", () => {
      expect(problemsFor({ addressSpace: Fn.cidrsubnet("10.0.0.0/8", 8, 10) })).toEqual([]);
    });
  });

  describe("additional workspace subnets", () => {
    const RISK = { risk: { host: "10.10.4.0/24", container: "10.10.5.0/24" } };

    it("builds each extra pair like the first: delegated, guarded by its own NSGs and sent through the NAT gateway", () => {
      const { net, synthesized } = synthNetwork({ additionalWorkspaceSubnets: RISK });
      for (const role of ["host", "container"]) {
        const subnet = resourceAt(synthesized, "azurerm_subnet", `network/risk-databricks-${role}-subnet`);
        expect(subnet).toMatchObject({ address_prefixes: [RISK.risk[role as "host" | "container"]], default_outbound_access_enabled: false });
        expect((subnet.delegation as Array<{ service_delegation: { name: string } }>)[0].service_delegation.name).toBe("Microsoft.Databricks/workspaces");
        const subnetRef = ref("azurerm_subnet", logicalNameAt(synthesized, "azurerm_subnet", `network/risk-databricks-${role}-subnet`));
        expect(resourceAt(synthesized, "azurerm_subnet_network_security_group_association", `network/risk-databricks-${role}-nsg-association`).subnet_id).toBe(subnetRef);
        expect(resourceAt(synthesized, "azurerm_subnet_nat_gateway_association", `network/risk-databricks-${role}-nat`).subnet_id).toBe(subnetRef);
      }
      expect(Object.keys(net.workspaceSubnets)).toEqual(["risk"]);
      expect(net.workspaceSubnets.risk.host.id).not.toBe(net.databricksHostSubnet.id);
    });

    it("refuses an extra pair that overlaps the estate's subnets or is too small", () => {
      expect(problemsFor({ additionalWorkspaceSubnets: { risk: { host: "10.10.0.0/25", container: "10.10.5.0/27" } } })).toEqual(
        expect.arrayContaining([
          { construct: "SecureNetwork", prop: "additionalWorkspaceSubnets.risk.host" },
          { construct: "SecureNetwork", prop: "additionalWorkspaceSubnets.risk.container" },
        ]),
      );
    });

    it("refuses an extra pair outside the address space", () => {
      expect(problemsFor({ additionalWorkspaceSubnets: { risk: { host: "10.99.4.0/24", container: "10.10.5.0/24" } } })).toEqual([
        { construct: "SecureNetwork", prop: "additionalWorkspaceSubnets.risk.host" },
      ]);
    });
  });
});
