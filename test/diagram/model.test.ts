import { buildDiagramModel, DiagramModel, DiagramNode } from "../../src/diagram/model";
import { findReferences, listResources, TerraformStackJson } from "../../src/diagram/terraform-json";
import { synthEnvironment } from "../helpers/synth";
import { reversedKeys } from "./json";

const CONSTRUCTS = ["SecureNetwork", "SecretStore", "LakeStorage", "RelationalSink", "SparkBatchPipeline", "Observability"];

const prodJson = synthEnvironment("prod") as unknown as TerraformStackJson;
const prod = buildDiagramModel("estate-prod", prodJson);

/** The resources an edge end shows: a box's, or a boundary's (a subnet, the VNet). */
function resourcesAt(model: DiagramModel, id: string): readonly string[] {
  return model.nodes.find((node) => node.id === id)?.resources ?? model.clusters.find((cluster) => cluster.id === id)?.resources ?? [];
}

/** The box that shows a Terraform resource (its own box or the one it is folded into). */
function boxOf(model: DiagramModel, address: string): DiagramNode {
  const box = model.nodes.find((node) => node.resources.includes(address));
  if (!box) throw new Error(`no box shows ${address}`);
  return box;
}

function addressesOf(json: TerraformStackJson, type: string): string[] {
  return listResources(json)
    .filter((resource) => resource.type === type)
    .map((resource) => resource.address);
}

/** The quarterly job: the scheduled one (the migrate job has no schedule). */
function quarterlyJob(json: TerraformStackJson): string {
  const scheduled = listResources(json).filter((resource) => resource.type === "databricks_job" && resource.body.schedule !== undefined);
  if (scheduled.length !== 1) throw new Error(`expected one scheduled databricks_job, found ${scheduled.length}`);
  return scheduled[0].address;
}

function only(json: TerraformStackJson, type: string): string {
  const addresses = addressesOf(json, type);
  if (addresses.length !== 1) throw new Error(`expected one ${type}, found ${addresses.length}`);
  return addresses[0];
}

/** The boundaries around a box, innermost first. */
function boundariesAround(model: DiagramModel, box: DiagramNode): string[] {
  const parentOf = new Map(model.clusters.map((cluster) => [cluster.id, cluster.parent]));
  const chain: string[] = [];
  for (let id: string | undefined = box.cluster; id !== undefined; id = parentOf.get(id)) chain.push(id);
  return chain;
}

function hasEdge(model: DiagramModel, from: string, to: string, kind: string): boolean {
  return model.edges.some((edge) => edge.from === from && edge.to === to && edge.kind === kind);
}

describe("the diagram model of the prod stack", () => {
  it("draws a boundary for every construct of the estate", () => {
    const drawn = new Set(prod.clusters.filter((cluster) => cluster.kind === "construct" || cluster.kind === "construct-part").map((cluster) => cluster.construct));
    expect([...drawn].sort()).toEqual([...CONSTRUCTS].sort());
  });

  it("draws an edge from every private endpoint to the resource it connects to", () => {
    const endpoints = addressesOf(prodJson, "azurerm_private_endpoint");
    expect(endpoints.length).toBeGreaterThanOrEqual(4);
    const known = new Set(listResources(prodJson).map((resource) => resource.address));
    for (const endpoint of endpoints) {
      const body = listResources(prodJson).find((resource) => resource.address === endpoint)?.body ?? {};
      const target = findReferences(body, known).find((ref) => ref.field === "private_service_connection.private_connection_resource_id")?.target;
      expect(target).toBeDefined();
      expect(hasEdge(prod, boxOf(prod, endpoint).id, boxOf(prod, target as string).id, "private-link")).toBe(true);
    }
  });

  it("places every private endpoint inside the private endpoint subnet", () => {
    const subnet = listResources(prodJson).find((resource) => resource.constructPath.join("/") === "network/private-endpoints-subnet")?.address;
    for (const endpoint of addressesOf(prodJson, "azurerm_private_endpoint")) {
      expect(boundariesAround(prod, boxOf(prod, endpoint))).toContain(subnet);
    }
  });

  it("places the PostgreSQL server inside its delegated subnet, inside the VNet", () => {
    const server = boxOf(prod, only(prodJson, "azurerm_postgresql_flexible_server"));
    const around = boundariesAround(prod, server);
    const subnet = listResources(prodJson).find((resource) => resource.constructPath.join("/") === "network/postgres-subnet")?.address;
    expect(around).toContain(subnet);
    expect(around).toContain(only(prodJson, "azurerm_virtual_network"));
  });

  it("draws the Databricks workspace in a pipeline boundary around the host and container subnets", () => {
    const workspace = boxOf(prod, only(prodJson, "azurerm_databricks_workspace"));
    const boundary = prod.clusters.find((cluster) => cluster.id === workspace.cluster);
    expect(boundary).toMatchObject({ kind: "construct-part", construct: "SparkBatchPipeline" });
    const subnetsInside = prod.clusters.filter((cluster) => cluster.kind === "subnet" && cluster.parent === workspace.cluster).map((cluster) => cluster.label[1]);
    expect(subnetsInside).toEqual(["snet-dbw-container-bank-prod", "snet-dbw-host-bank-prod"]);
  });

  it("draws the data flow from landing through the quarterly job to curated, features and PostgreSQL", () => {
    const job = boxOf(prod, quarterlyJob(prodJson)).id;
    const container = (name: string) => prod.nodes.find((node) => node.service === "Container" && node.name === name)?.id as string;
    expect(hasEdge(prod, container("landing"), job, "data-flow")).toBe(true);
    expect(hasEdge(prod, job, container("curated"), "data-flow")).toBe(true);
    expect(hasEdge(prod, job, container("features"), "data-flow")).toBe(true);
    expect(hasEdge(prod, job, boxOf(prod, only(prodJson, "azurerm_postgresql_flexible_server")).id, "data-flow")).toBe(true);
  });

  it("draws secrets flowing from Key Vault through the secret scope to the job", () => {
    const vault = boxOf(prod, only(prodJson, "azurerm_key_vault")).id;
    const scope = boxOf(prod, only(prodJson, "databricks_secret_scope")).id;
    const job = boxOf(prod, quarterlyJob(prodJson)).id;
    expect(hasEdge(prod, vault, scope, "secret")).toBe(true);
    expect(hasEdge(prod, scope, job, "secret")).toBe(true);
  });

  it("takes every edge from a reference between the resources at its two ends", () => {
    const resources = listResources(prodJson);
    const known = new Set(resources.map((resource) => resource.address));
    const bodyOf = new Map(resources.map((resource) => [resource.address, resource.body]));
    const references = (from: readonly string[], to: readonly string[]) => from.some((address) => findReferences(bodyOf.get(address) ?? {}, known).some((ref) => to.includes(ref.target)));
    // A container's end includes its account: the job's parameters name the account and the container.
    const withAccount = (id: string) => [...resourcesAt(prod, id), ...resourcesAt(prod, prod.nodes.find((node) => node.id === id)?.parent ?? "")];
    // The jobs name their secret scope as a literal parameter, the one edge read from a name.
    const scope = boxOf(prod, only(prodJson, "databricks_secret_scope")).id;
    const jobs = addressesOf(prodJson, "databricks_job").map((address) => boxOf(prod, address).id);
    // A box outside the stack has no resources: the other end must name it by its id (or its name, for the peering made there).
    const externalOf = (id: string) => prod.nodes.find((node) => node.id === id && node.externalId !== undefined);
    const namesExternal = (addresses: readonly string[], external: DiagramNode) =>
      addresses.some((address) => (JSON.stringify(bodyOf.get(address) ?? {}).includes(external.externalId as string) || bodyOf.get(address)?.virtual_network_name === external.name));
    for (const edge of prod.edges) {
      const [from, to] = [withAccount(edge.from), withAccount(edge.to)];
      const [externalFrom, externalTo] = [externalOf(edge.from), externalOf(edge.to)];
      if (externalFrom || externalTo) {
        const external = (externalFrom ?? externalTo) as DiagramNode;
        expect({ edge, namesExternal: namesExternal(externalFrom ? to : from, external) }).toEqual({ edge, namesExternal: true });
        continue;
      }
      const fromReference = references(from, to) || references(to, from) || (edge.from === scope && jobs.includes(edge.to));
      expect({ edge, fromReference }).toEqual({ edge, fromReference: true });
    }
  });

  it("labels boxes with the Azure service names people know", () => {
    const services = new Set(prod.nodes.map((node) => node.service));
    for (const service of ["Key Vault", "Storage (ADLS Gen2)", "PostgreSQL Flexible Server", "Azure Databricks", "Private Endpoint", "Log Analytics", "NAT Gateway", "Private DNS Zone"]) {
      expect(services).toContain(service);
    }
    expect(prod.clusters.find((cluster) => cluster.kind === "virtual-network")?.label.slice(0, 2)).toEqual(["Virtual Network", "vnet-bank-prod"]);
  });

  it("folds rules, associations, diagnostics, locks, role assignments and DNS links into the box they belong to", () => {
    for (const type of ["azurerm_network_security_rule", "azurerm_subnet_network_security_group_association", "azurerm_monitor_diagnostic_setting", "azurerm_management_lock", "azurerm_role_assignment", "azurerm_private_dns_zone_virtual_network_link", "azurerm_virtual_network_peering", "databricks_permission_assignment", "databricks_mws_ncc_binding", "databricks_mws_ncc_private_endpoint_rule", "time_sleep"]) {
      for (const address of addressesOf(prodJson, type)) {
        const shownBy = [...prod.nodes, ...prod.clusters].find((shown) => shown.resources?.includes(address));
        expect(shownBy?.resources?.[0]).toBeDefined();
        expect(shownBy?.resources?.[0]).not.toBe(address);
      }
    }
  });

  it("draws each diagnosed resource's logs as one edge to Log Analytics", () => {
    const workspace = boxOf(prod, only(prodJson, "azurerm_log_analytics_workspace")).id;
    const diagnosed = prod.edges.filter((edge) => edge.kind === "diagnostics");
    expect(diagnosed.every((edge) => edge.to === workspace)).toBe(true);
    expect(new Set(diagnosed.map((edge) => edge.from)).size).toBe(diagnosed.length);
    expect(diagnosed.map((edge) => edge.from)).toContain(boxOf(prod, only(prodJson, "azurerm_key_vault")).id);
  });

  it("draws the Databricks network connectivity config in the pipeline, bound to the workspace", () => {
    const ncc = boxOf(prod, only(prodJson, "databricks_mws_network_connectivity_config"));
    expect(ncc).toMatchObject({ service: "Network connectivity config", name: "ncc-bank-prod", cluster: expect.stringContaining("pipeline") });
    expect(boundariesAround(prod, ncc).map((id) => prod.clusters.find((cluster) => cluster.id === id)?.construct)).toContain("SparkBatchPipeline");
    // The binding and the private endpoint rules fold into the NCC box.
    expect(boxOf(prod, only(prodJson, "databricks_mws_ncc_binding")).id).toBe(ncc.id);
    for (const rule of addressesOf(prodJson, "databricks_mws_ncc_private_endpoint_rule")) expect(boxOf(prod, rule).id).toBe(ncc.id);
    expect(prod.edges).toContainEqual({ from: ncc.id, to: boxOf(prod, only(prodJson, "azurerm_databricks_workspace")).id, kind: "reference", label: "bound to" });
  });

  it("draws the NCC's dfs and blob private endpoints to the lake, which must approve them", () => {
    const ncc = boxOf(prod, only(prodJson, "databricks_mws_network_connectivity_config")).id;
    const lake = boxOf(prod, only(prodJson, "azurerm_storage_account"));
    expect(prod.edges).toContainEqual({ from: ncc, to: lake.id, kind: "serverless-private-link", label: "private endpoint (blob, dfs)" });
    expect(lake.details).toEqual(expect.arrayContaining(["pending NCC endpoints: blob, dfs", "(the deploy pipeline approves)"]));
  });

  it("draws the deployment agents' VNet outside the stack, peered both ways, with the DNS zones linked to it", () => {
    const agents = prod.nodes.find((node) => node.externalId !== undefined);
    expect(agents).toMatchObject({ service: "Virtual Network (external)", name: "vnet-agents-prod", resources: [] });
    expect(agents?.externalId).toMatch(/\/virtualNetworks\/vnet-agents-prod$/);
    expect(agents?.details).toContain("5 private DNS zones linked");
    const outside = prod.clusters.find((cluster) => cluster.id === agents?.cluster);
    expect(outside).toMatchObject({ kind: "external" });
    expect(outside?.parent).toBeUndefined();
    const vnet = only(prodJson, "azurerm_virtual_network");
    expect(prod.edges).toContainEqual({ from: agents?.id, to: vnet, kind: "peering", label: "VNet peering (both directions)", bidirectional: true });
    // Both peerings fold into this stack's VNet; the agents' DNS links fold into the zone box.
    const vnetCluster = prod.clusters.find((cluster) => cluster.id === vnet);
    for (const peering of addressesOf(prodJson, "azurerm_virtual_network_peering")) expect(vnetCluster?.resources).toContain(peering);
    expect(addressesOf(prodJson, "azurerm_virtual_network_peering")).toHaveLength(2);
  });

  it("summarises the workspace's identity assignments and folds the propagation waits away", () => {
    const workspace = boxOf(prod, only(prodJson, "azurerm_databricks_workspace"));
    const assignments = addressesOf(prodJson, "databricks_permission_assignment");
    expect(assignments.length).toBeGreaterThan(0);
    for (const assignment of assignments) expect(workspace.resources).toContain(assignment);
    expect(workspace.details).toContain(`${assignments.length} principals assigned`);
    expect(workspace.details).toContain("root DBFS customer-managed key");
    expect(prod.nodes.map((node) => node.service)).not.toContain("time sleep");
    for (const wait of addressesOf(prodJson, "time_sleep")) expect(boxOf(prod, wait).resources[0]).not.toBe(wait);
  });

  it("gives every resource type of the stack a place the catalog chose (no box named after a raw type)", () => {
    const raw = prod.nodes.filter((node) => node.resources.length > 0 && /^[a-z0-9 ]+$/.test(node.service));
    expect(raw.map((node) => node.service)).toEqual([]);
  });

  it("does not depend on the order of the JSON", () => {
    expect(buildDiagramModel("estate-prod", reversedKeys(prodJson) as TerraformStackJson)).toEqual(prod);
  });
});
