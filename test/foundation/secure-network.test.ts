import { Fn } from "cdktf";
import { Observability } from "../../src/constructs/observability";
import { SecureNetwork, SecureNetworkProps } from "../../src/constructs/secure-network";
import { PropValidationError } from "../../src/constructs/validation";
import { bareStack, logicalNameAt, ref, resourceAt, resourcesOf, synthEnvironment, synthStack } from "../helpers/synth";

const placement = { resourceGroupName: "rg-test", location: "westeurope" };
const validProps: SecureNetworkProps = {
  ...placement,
  nameSuffix: "bank-dev",
  addressSpace: "10.10.0.0/16",
  subnets: { databricksHost: "10.10.0.0/24", databricksContainer: "10.10.1.0/24", postgres: "10.10.2.0/28", privateEndpoints: "10.10.3.0/28" },
};

function errorFor(props: Partial<SecureNetworkProps>): PropValidationError {
  const { stack } = bareStack();
  try {
    new SecureNetwork(stack, "network", { ...validProps, ...props });
  } catch (error) {
    return error as PropValidationError;
  }
  throw new Error("expected a validation error");
}

describe("SecureNetwork", () => {
  const prod = synthEnvironment("prod");

  it("puts an NSG on every subnet", () => {
    const subnets = resourcesOf(prod, "azurerm_subnet");
    const associations = resourcesOf(prod, "azurerm_subnet_network_security_group_association");
    expect(subnets).toHaveLength(4);
    const associatedSubnets = associations.map(([, body]) => body.subnet_id);
    for (const [name] of subnets) expect(associatedSubnets).toContain(ref("azurerm_subnet", name));
  });

  it("delegates the Databricks subnets to Databricks and the database subnet to Flexible Server", () => {
    const delegationOf = (suffix: string) => (resourceAt(prod, "azurerm_subnet", suffix).delegation as Array<{ service_delegation: { name: string } }>)[0].service_delegation.name;
    expect(delegationOf("network/databricks-host-subnet")).toBe("Microsoft.Databricks/workspaces");
    expect(delegationOf("network/databricks-container-subnet")).toBe("Microsoft.Databricks/workspaces");
    expect(delegationOf("network/postgres-subnet")).toBe("Microsoft.DBforPostgreSQL/flexibleServers");
    expect(resourceAt(prod, "azurerm_subnet", "network/private-endpoints-subnet").delegation).toBeUndefined();
  });

  it("denies inbound traffic from the internet on every NSG", () => {
    const rules = resourcesOf(prod, "azurerm_network_security_rule").map(([, body]) => body);
    const nsgs = resourcesOf(prod, "azurerm_network_security_group");
    expect(rules).toHaveLength(nsgs.length);
    for (const rule of rules) {
      expect(rule).toMatchObject({ direction: "Inbound", access: "Deny", source_address_prefix: "Internet", destination_port_range: "*" });
    }
  });

  it("has no rule that allows inbound traffic", () => {
    const allowInbound = resourcesOf(prod, "azurerm_network_security_rule").filter(([, body]) => body.direction === "Inbound" && body.access === "Allow");
    expect(allowInbound).toEqual([]);
  });

  it("sends the Databricks subnets' egress through the NAT gateway", () => {
    const natGateway = logicalNameAt(prod, "azurerm_nat_gateway", "network/nat-gateway");
    const associations = resourcesOf(prod, "azurerm_subnet_nat_gateway_association").map(([, body]) => body);
    expect(associations.map((a) => a.subnet_id).sort()).toEqual(
      [ref("azurerm_subnet", logicalNameAt(prod, "azurerm_subnet", "databricks-container-subnet")), ref("azurerm_subnet", logicalNameAt(prod, "azurerm_subnet", "databricks-host-subnet"))].sort(),
    );
    for (const association of associations) expect(association.nat_gateway_id).toBe(ref("azurerm_nat_gateway", natGateway));
    expect(resourceAt(prod, "azurerm_public_ip", "network/nat-public-ip")).toMatchObject({ sku: "Standard", allocation_method: "Static" });
  });

  it("turns off Azure's implicit outbound access on every subnet", () => {
    for (const [, subnet] of resourcesOf(prod, "azurerm_subnet")) expect(subnet.default_outbound_access_enabled).toBe(false);
  });

  it("links the blob, dfs, vault, postgres and Databricks DNS zones to the VNet", () => {
    const vnet = ref("azurerm_virtual_network", logicalNameAt(prod, "azurerm_virtual_network", "network/vnet"));
    const zones = resourcesOf(prod, "azurerm_private_dns_zone").map(([name, body]) => [name, body.name] as const);
    expect(zones.map(([, zoneName]) => zoneName).sort()).toEqual(
      ["privatelink.azuredatabricks.net", "privatelink.blob.core.windows.net", "privatelink.dfs.core.windows.net", "privatelink.postgres.database.azure.com", "privatelink.vaultcore.azure.net"].sort(),
    );
    const links = resourcesOf(prod, "azurerm_private_dns_zone_virtual_network_link").map(([, body]) => body);
    for (const [logicalName] of zones) {
      const link = links.find((l) => l.private_dns_zone_name === ref("azurerm_private_dns_zone", logicalName, "name"));
      expect(link).toMatchObject({ virtual_network_id: vnet, registration_enabled: false });
    }
  });

  it("sends the VNet's and NSGs' logs to Log Analytics", () => {
    const { stack } = bareStack();
    const observability = new Observability(stack, "observability", { ...placement, workspaceName: "log-bank-dev" });
    new SecureNetwork(stack, "network", { ...validProps, observability });
    const synthesized = synthStack(stack);
    const workspace = ref("azurerm_log_analytics_workspace", logicalNameAt(synthesized, "azurerm_log_analytics_workspace", "observability/workspace"));
    const targets = resourcesOf(synthesized, "azurerm_monitor_diagnostic_setting").map(([, body]) => {
      expect(body.log_analytics_workspace_id).toBe(workspace);
      return body.target_resource_id;
    });
    expect(targets).toContain(ref("azurerm_virtual_network", logicalNameAt(synthesized, "azurerm_virtual_network", "network/vnet")));
    for (const [nsg] of resourcesOf(synthesized, "azurerm_network_security_group")) expect(targets).toContain(ref("azurerm_network_security_group", nsg));
  });

  it("refuses a subnet outside the VNet", () => {
    const error = errorFor({ subnets: { ...validProps.subnets, postgres: "10.99.2.0/28" } });
    expect(error.message).toContain("SecureNetwork");
    expect(error.message).toContain('subnets.postgres "10.99.2.0/28"');
    expect(error.message).toContain("inside the address space 10.10.0.0/16");
  });

  it("refuses overlapping subnets", () => {
    const error = errorFor({ subnets: { ...validProps.subnets, databricksContainer: "10.10.0.128/26" } });
    expect(error.message).toContain('subnets.databricksContainer "10.10.0.128/26"');
    expect(error.message).toContain("does not overlap subnets.databricksHost");
  });

  it("refuses a Databricks subnet smaller than /26", () => {
    const error = errorFor({ subnets: { ...validProps.subnets, databricksHost: "10.10.0.0/27" } });
    expect(error.message).toContain('subnets.databricksHost "10.10.0.0/27" is not allowed: a subnet of /26 or larger');
  });

  it("refuses a PostgreSQL subnet smaller than /28", () => {
    const error = errorFor({ subnets: { ...validProps.subnets, postgres: "10.10.2.0/29" } });
    expect(error.message).toContain('subnets.postgres "10.10.2.0/29" is not allowed: a subnet of /28 or larger');
  });

  it("refuses a malformed CIDR and one with host bits set", () => {
    const error = errorFor({ addressSpace: "10.10.0.0/33", subnets: { ...validProps.subnets, privateEndpoints: "10.10.3.5/28" } });
    expect(error.message).toContain('addressSpace "10.10.0.0/33" is not allowed: an IPv4 CIDR');
    expect(error.message).toContain('subnets.privateEndpoints "10.10.3.5/28" is not allowed: a CIDR whose address is the network address');
  });

  it("reports every problem in one error", () => {
    const error = errorFor({ nameSuffix: "Bank_Dev", subnets: { ...validProps.subnets, postgres: "10.99.2.0/29" } });
    expect(error).toBeInstanceOf(PropValidationError);
    expect(error.problems).toHaveLength(3);
  });

  it("skips CIDRs that are only known at deploy time", () => {
    const { stack } = bareStack();
    expect(() => new SecureNetwork(stack, "network", { ...validProps, addressSpace: Fn.cidrsubnet("10.0.0.0/8", 8, 10) })).not.toThrow();
  });
});
