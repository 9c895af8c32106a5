/**
 * The diagram model: a pure function from one synthesized stack to boxes, boundaries and arrows.
 * Nothing here is drawn by hand: boxes come from resources, boundaries from construct paths and
 * subnet references, arrows from `${...}` references (see `semanticEdges` for the few that are
 * reinterpreted as data flow).
 */
import { CONSTRUCT_SIGNATURES, EdgeKind, literalList, MEMBER_NOUNS, Presentation, presentationOf, serviceNameOfType } from "./catalog";
import { compareText, findReferences, literal, ResourceReference, stringsIn, TerraformResource, TerraformStackJson, valueAt, listResources } from "./terraform-json";
import { LANDING_CONTAINER } from "../constructs/storage/lake-layout";

export type ClusterKind = "resource-group" | "construct" | "construct-part" | "virtual-network" | "subnet" | "external";

/**
 * A boundary: the resource group, a construct, the VNet, a subnet, a construct's part inside a
 * subnet, or what lies outside the stack (resources it only references by id).
 */
export interface DiagramCluster {
  readonly id: string;
  readonly kind: ClusterKind;
  /** First line is the title; further lines are details. */
  readonly label: readonly string[];
  /** Construct kind (`LakeStorage`, ...) for construct clusters and their parts. */
  readonly construct?: string;
  readonly parent?: string;
  /** Terraform addresses this boundary shows (the VNet or subnet, with what folds into it). */
  readonly resources?: readonly string[];
}

/** A box: one Azure or Databricks resource with the resources folded into it. */
export interface DiagramNode {
  readonly id: string;
  /** Azure service name people know, such as `Key Vault`. */
  readonly service: string;
  /** The resource's name where it is a literal. */
  readonly name?: string;
  readonly details: readonly string[];
  readonly cluster: string;
  /** A box drawn inside another one (a container inside its storage account). */
  readonly parent?: string;
  readonly construct?: string;
  /** Terraform addresses shown by this box, its own first (none for a box outside the stack). */
  readonly resources: readonly string[];
  /** For a box outside the stack: the Azure resource id the stack's resources reference it by. */
  readonly externalId?: string;
}

/** An arrow between boxes or boundaries (a NAT gateway's egress goes to a subnet). */
export interface DiagramEdge {
  readonly from: string;
  readonly to: string;
  readonly kind: EdgeKind;
  readonly label?: string;
  /** Drawn with arrowheads at both ends (a VNet peering made in both directions). */
  readonly bidirectional?: boolean;
}

export interface DiagramModel {
  readonly stack: string;
  readonly title: string;
  readonly clusters: readonly DiagramCluster[];
  readonly nodes: readonly DiagramNode[];
  readonly edges: readonly DiagramEdge[];
}

/**
 * Lake containers the quarterly job reads; every other container it names is one it writes
 * (curated, features, quarantine). The Data contract names these areas.
 */
export const SOURCE_CONTAINERS: readonly string[] = [LANDING_CONTAINER];

const ROOT = "stack";
const EXTERNAL = "external";

/** An Azure VNet id: `/subscriptions/<s>/resourceGroups/<rg>/providers/Microsoft.Network/virtualNetworks/<name>`. */
const VNET_ID = /^\/subscriptions\/[^/]+\/resourceGroups\/([^/]+)\/providers\/Microsoft\.Network\/virtualNetworks\/([^/]+)$/i;

/** Builds the diagram model of one synthesized stack. */
export function buildDiagramModel(stackName: string, stack: TerraformStackJson): DiagramModel {
  return new ModelBuilder(stackName, listResources(stack)).build();
}

interface Entity {
  readonly id: string;
  readonly kind: "node" | "group" | "resource-group" | "virtual-network" | "subnet";
  readonly primary: TerraformResource;
  readonly presentation: Presentation;
}

class ModelBuilder {
  private readonly byAddress = new Map<string, TerraformResource>();
  private readonly references = new Map<string, ResourceReference[]>();
  private readonly referrers = new Map<string, string[]>();
  /** Resources listing another in `depends_on`: a weaker tie, used only to fold helpers (code files into their job). */
  private readonly dependents = new Map<string, string[]>();
  private readonly ownerCache = new Map<string, Entity>();
  private readonly constructKinds = new Map<string, string>();
  /** Per box: the sub-resources of serverless (NCC) private endpoints to it, which its owner must approve. */
  private readonly pendingApprovals = new Map<string, string[]>();

  constructor(
    private readonly stackName: string,
    private readonly resources: readonly TerraformResource[],
  ) {
    for (const resource of resources) this.byAddress.set(resource.address, resource);
    const known = new Set(this.byAddress.keys());
    for (const resource of resources) {
      const found = findReferences(resource.body, known);
      this.references.set(resource.address, found);
      for (const reference of found) {
        const list = this.referrers.get(reference.target) ?? [];
        if (!list.includes(resource.address)) list.push(resource.address);
        this.referrers.set(reference.target, list);
      }
      const dependsOn = Array.isArray(resource.body.depends_on) ? resource.body.depends_on : [];
      for (const target of dependsOn) {
        if (typeof target !== "string" || !this.byAddress.has(target)) continue;
        this.dependents.set(target, [...(this.dependents.get(target) ?? []), resource.address]);
      }
    }
    for (const [constructId, members] of groupBy(resources.filter((r) => r.constructPath.length > 1), (r) => r.constructPath[0])) {
      const types = new Set(members.map((member) => member.type));
      const signature = CONSTRUCT_SIGNATURES.find(([, signatureTypes]) => signatureTypes.some((type) => types.has(type)));
      this.constructKinds.set(constructId, signature?.[0] ?? constructId);
    }
  }

  build(): DiagramModel {
    const entities = new Map<string, { entity: Entity; members: TerraformResource[] }>();
    for (const resource of this.resources) {
      const entity = this.ownerOf(resource.address);
      const entry = entities.get(entity.id) ?? { entity, members: [] };
      entry.members.push(resource);
      entities.set(entity.id, entry);
    }

    const clusters = new Map<string, DiagramCluster>();
    const addCluster = (cluster: DiagramCluster): string => {
      if (!clusters.has(cluster.id)) clusters.set(cluster.id, cluster);
      return cluster.id;
    };
    const resourceGroup = [...entities.values()].find(({ entity }) => entity.kind === "resource-group");
    addCluster({ id: ROOT, kind: "resource-group", label: this.resourceGroupLabel(resourceGroup?.entity.primary), resources: resourceGroup ? addressesOf(resourceGroup.entity, resourceGroup.members) : undefined });

    const constructCluster = (constructId: string | undefined): string => {
      if (constructId === undefined) return ROOT;
      const kind = this.constructKinds.get(constructId) ?? constructId;
      return addCluster({ id: `construct:${constructId}`, kind: "construct", construct: kind, label: [kind, `construct "${constructId}"`], parent: ROOT });
    };

    // The network boundaries: VNets inside their construct, subnets inside their VNet.
    const subnetParent = new Map<string, string>();
    for (const { entity, members } of entities.values()) {
      if (entity.kind === "virtual-network") {
        const label = present(["Virtual Network", literal(entity.primary.body.name), literalList(entity.primary, "address_space").join(", ")]);
        addCluster({ id: entity.id, kind: "virtual-network", label, parent: constructCluster(this.constructIdOf(entity.primary)), construct: this.constructKindOf(entity.primary), resources: addressesOf(entity, members) });
      }
    }
    for (const { entity } of entities.values()) {
      if (entity.kind !== "subnet") continue;
      const vnet = this.referencedEntity(entity.primary, (ref) => this.ownerOf(ref.target).kind === "virtual-network");
      subnetParent.set(entity.id, vnet?.id ?? constructCluster(this.constructIdOf(entity.primary)));
    }

    // Boxes, placed in their subnet (as a part of their construct) or in their construct.
    const nodes: DiagramNode[] = [];
    const nodeParent = new Map<string, string>();
    for (const { entity, members } of sortedValues(entities)) {
      if (entity.kind !== "node" && entity.kind !== "group") continue;
      const constructId = this.constructIdOf(entity.primary);
      const construct = constructId === undefined ? undefined : this.constructKinds.get(constructId);
      const subnets = unique(members.flatMap((member) => this.placementSubnets(member))).sort(compareText);
      let cluster = constructCluster(constructId);
      // The network's own boxes (NSGs) sit directly in the subnet; others in a part of their construct.
      const ownCluster = subnets.length > 0 && construct === this.constructKindOfSubnet(subnets[0]);
      if (subnets.length === 1) {
        cluster = ownCluster ? subnets[0] : addCluster({ id: `part:${constructId ?? ROOT}@${subnets[0]}`, kind: "construct-part", construct, label: [construct ?? "stack"], parent: subnets[0] });
      } else if (subnets.length > 1) {
        // A resource injected into several subnets (the Databricks workspace) gets a boundary of
        // its construct around those subnets.
        const vnet = subnetParent.get(subnets[0]) ?? ROOT;
        cluster = addCluster({ id: `part:${constructId ?? ROOT}@${vnet}`, kind: "construct-part", construct, label: [construct ?? "stack", "VNet injection"], parent: vnet });
        for (const subnet of subnets) subnetParent.set(subnet, cluster);
      }
      const presentation = entity.presentation;
      if (presentation.role === "node" && presentation.parentField) {
        const parent = this.referencedEntity(entity.primary, (ref) => presentation.parentField?.includes(ref.field) ?? false);
        if (parent) nodeParent.set(entity.id, parent.id);
      }
      nodes.push({
        id: entity.id,
        service: this.serviceOf(entity),
        name: entity.kind === "group" ? undefined : literal(entity.primary.body.name),
        details: this.detailsOf(entity, members),
        cluster,
        construct,
        resources: addressesOf(entity, members),
      });
    }
    for (const { entity, members } of entities.values()) {
      if (entity.kind === "subnet") addCluster({ id: entity.id, kind: "subnet", label: this.subnetLabel(entity.primary), parent: subnetParent.get(entity.id), construct: this.constructKindOf(entity.primary), resources: addressesOf(entity, members) });
    }
    const placedNodes = nodes.map((node) => {
      const parent = nodeParent.get(node.id);
      const parentNode = parent === undefined ? undefined : nodes.find((candidate) => candidate.id === parent);
      return parentNode ? { ...node, parent: parentNode.id, cluster: parentNode.cluster } : node;
    });

    const external = this.externalVirtualNetworks();
    if (external.nodes.length > 0) addCluster({ id: EXTERNAL, kind: "external", label: ["Outside this stack", "referenced by id"] });
    const edges = [...this.semanticEdges(this.referenceEdges(entities), placedNodes), ...external.edges];
    const allNodes = [...placedNodes, ...external.nodes].map((node) => {
      const pending = this.pendingApprovals.get(node.id);
      if (!pending) return node;
      return { ...node, details: [...node.details, `pending NCC endpoints: ${unique(pending).sort(compareText).join(", ")}`, "(the deploy pipeline approves)"] };
    });
    const keptClusters = pruneEmptyClusters([...clusters.values()], allNodes);
    return {
      stack: this.stackName,
      title: `${this.stackName}: architecture synthesized from the CDK for Terraform stack`,
      clusters: keptClusters.sort((a, b) => compareText(a.id, b.id)),
      nodes: allNodes.sort((a, b) => compareText(a.id, b.id)),
      edges: edges.sort((a, b) => compareText(a.from, b.from) || compareText(a.to, b.to) || compareText(a.kind, b.kind)),
    };
  }

  /** The box or boundary a resource is drawn as (itself, or the resource it folds into). */
  private ownerOf(address: string, visiting: Set<string> = new Set()): Entity {
    const cached = this.ownerCache.get(address);
    if (cached) return cached;
    const resource = this.byAddress.get(address);
    if (!resource) throw new Error(`Diagram: no resource ${address} in the stack.`);
    const own = (kind: Entity["kind"], presentation: Presentation, id = address): Entity => ({ id, kind, primary: resource, presentation });
    const presentation = presentationOf(resource.type);
    visiting.add(address);
    let owner: Entity | undefined;
    switch (presentation.role) {
      case "node":
        owner = own("node", presentation);
        break;
      case "group":
        owner = this.groupEntity(resource, presentation.group, presentation);
        break;
      case "resource-group":
      case "virtual-network":
      case "subnet":
        owner = own(presentation.role, presentation);
        break;
      case "fold": {
        const into = presentation.into
          .flatMap((field) => (this.references.get(address) ?? []).filter((ref) => ref.field === field))
          .find((ref) => !visiting.has(ref.target));
        const dependsOn = (Array.isArray(resource.body.depends_on) ? resource.body.depends_on : [])
          .filter((target): target is string => typeof target === "string" && this.byAddress.has(target) && !visiting.has(target))
          .sort(compareText)
          .find((target) => presentation.intoDependsOn?.includes(this.byAddress.get(target)?.type ?? "") ?? false);
        const target = into?.target ?? dependsOn;
        owner = target !== undefined ? this.ownerOf(target, visiting) : own("node", { role: "node", service: serviceNameOfType(resource.type) });
        break;
      }
      case "fold-into-referrer": {
        // Attachments of this resource (permissions on a folder) fold into it, so they cannot be its owner.
        const direct = (this.referrers.get(address) ?? []).filter((referrer) => !visiting.has(referrer) && !this.foldsInto(referrer, address));
        const referrers = direct.length > 0 ? direct : (this.dependents.get(address) ?? []).filter((dependent) => !visiting.has(dependent));
        // Prefer a referrer with its own box in the same construct (an identity folds into the
        // account that uses it, not into the role assignment that grants it a key).
        const sameConstruct = (referrer: string) => this.byAddress.get(referrer)?.constructPath[0] === resource.constructPath[0];
        const ownBox = (referrer: string) => presentationOf(this.byAddress.get(referrer)?.type ?? "").role === "node";
        const referrer = referrers.find((r) => sameConstruct(r) && ownBox(r)) ?? referrers.find(sameConstruct) ?? referrers[0];
        if (referrer) owner = this.ownerOf(referrer, visiting);
        else if (presentation.fallbackGroup) owner = this.groupEntity(resource, presentation.fallbackGroup, { role: "group", group: presentation.fallbackGroup, service: presentation.fallbackService ?? resource.type });
        else owner = own("node", { role: "node", service: serviceNameOfType(resource.type) });
        break;
      }
    }
    this.ownerCache.set(address, owner);
    return owner;
  }

  /** True when `address` is a `fold` resource whose parent field references `target`. */
  private foldsInto(address: string, target: string): boolean {
    const resource = this.byAddress.get(address);
    const presentation = resource ? presentationOf(resource.type) : undefined;
    if (presentation?.role !== "fold") return false;
    return (this.references.get(address) ?? []).some((ref) => ref.target === target && presentation.into.includes(ref.field));
  }

  private groupEntity(resource: TerraformResource, group: string, presentation: Presentation): Entity {
    const constructId = this.constructIdOf(resource) ?? ROOT;
    const id = `${constructId}/${group}`;
    // The group's primary is its first resource by address, so its choice never depends on order.
    const primary = this.resources.find((candidate) => this.constructIdOf(candidate) === this.constructIdOf(resource) && groupOf(candidate) === group) ?? resource;
    return { id, kind: "group", primary, presentation };
  }

  private constructIdOf(resource: TerraformResource): string | undefined {
    return resource.constructPath.length > 1 ? resource.constructPath[0] : undefined;
  }

  private constructKindOf(resource: TerraformResource): string | undefined {
    const id = this.constructIdOf(resource);
    return id === undefined ? undefined : this.constructKinds.get(id);
  }

  private constructKindOfSubnet(subnetAddress: string): string | undefined {
    const subnet = this.byAddress.get(subnetAddress);
    return subnet ? this.constructKindOf(subnet) : undefined;
  }

  private referencedEntity(resource: TerraformResource, accept: (reference: ResourceReference) => boolean): Entity | undefined {
    const reference = (this.references.get(resource.address) ?? []).find(accept);
    return reference ? this.ownerOf(reference.target) : undefined;
  }

  /** Subnets a resource sits in, from its placement fields (`subnet_id`, `delegated_subnet_id`, ...). */
  private placementSubnets(resource: TerraformResource): string[] {
    const fields = presentationOf(resource.type).placementFields ?? [];
    return (this.references.get(resource.address) ?? [])
      .filter((ref) => fields.includes(ref.field) && this.ownerOf(ref.target).kind === "subnet")
      .map((ref) => this.ownerOf(ref.target).id);
  }

  /** Arrows from references, between the boxes the two resources are drawn in. */
  private referenceEdges(entities: Map<string, { entity: Entity; members: TerraformResource[] }>): DiagramEdge[] {
    const edges: DiagramEdge[] = [];
    const formats = new Map<string, string>();
    for (const { entity, members } of sortedValues(entities)) {
      if (entity.kind === "resource-group") continue;
      const isBoundary = entity.kind === "subnet" || entity.kind === "virtual-network";
      for (const member of members) {
        const presentation = presentationOf(member.type);
        for (const reference of this.references.get(member.address) ?? []) {
          const target = this.ownerOf(reference.target);
          const special = presentation.edgeFields?.[reference.field];
          if (target.id === entity.id || target.kind === "resource-group") continue;
          // A boundary's own references (a subnet naming its VNet) are its nesting; only its diagnostics are drawn.
          if (isBoundary && special?.kind !== "diagnostics") continue;
          // Subnet associations only say which NSG or NAT gateway guards a subnet, which the nesting shows.
          if (this.byAddress.get(reference.target)?.type.endsWith("_association") && !special) continue;
          // A container names its account, which the nesting shows too.
          if (entity.presentation.role === "node" && entity.presentation.parentField?.includes(reference.field)) continue;
          // Subnet and VNet references place boxes (drawn as nesting), except where an edge kind says otherwise.
          if ((target.kind === "subnet" || target.kind === "virtual-network") && !special) continue;
          // Every private endpoint and delegated server references its DNS zone: the zone box lists them instead.
          if (target.kind === "group" && target.presentation.role === "group" && target.presentation.group === "private-dns-zones" && !special) continue;
          const label = special?.label ?? (special?.labelField ? literalList(member, special.labelField).join(", ") || undefined : undefined);
          const edge: DiagramEdge = special?.reversed
            ? { from: target.id, to: entity.id, kind: special.kind, label }
            : { from: entity.id, to: target.id, kind: special?.kind ?? "reference", label };
          if (special?.labelFormat) formats.set(edgeKey(edge), special.labelFormat);
          if (special?.kind === "serverless-private-link" && label) this.pendingApprovals.set(edge.to, [...(this.pendingApprovals.get(edge.to) ?? []), ...label.split(", ")]);
          edges.push(edge);
        }
      }
    }
    const formatted = dedupeEdges(edges).map((edge) => {
      const format = formats.get(edgeKey(edge));
      return format && edge.label ? { ...edge, label: format.replace("{}", edge.label) } : edge;
    });
    return withoutShadowedReferences(formatted);
  }

  /**
   * VNets outside the stack that it peers with or links DNS zones to, found by their resource id
   * (`remote_virtual_network_id`, `virtual_network_id`) or, for the peering made on their side, by
   * their literal name and resource group. Each is one box outside the resource group, named by the
   * id's last segment; the peerings fold into this stack's VNet and draw one arrow to it.
   */
  private externalVirtualNetworks(): { nodes: DiagramNode[]; edges: DiagramEdge[] } {
    const key = (resourceGroup: string, name: string) => `${resourceGroup}/${name}`.toLowerCase();
    const found = new Map<string, { id: string; resourceGroup: string; name: string; outbound: Set<string>; inbound: Set<string>; zones: Set<string> }>();
    const remember = (text: string) => {
      const match = VNET_ID.exec(text);
      if (!match) return undefined;
      const entry = found.get(key(match[1], match[2])) ?? { id: text, resourceGroup: match[1], name: match[2], outbound: new Set(), inbound: new Set(), zones: new Set() };
      found.set(key(match[1], match[2]), entry);
      return entry;
    };
    for (const resource of this.resources) {
      if (resource.type === "azurerm_virtual_network_peering") {
        const remote = literal(resource.body.remote_virtual_network_id);
        if (remote !== undefined) remember(remote)?.outbound.add(this.ownerOf(resource.address).id);
      } else if (resource.type === "azurerm_private_dns_zone_virtual_network_link") {
        const vnet = literal(resource.body.virtual_network_id);
        const zone = (this.references.get(resource.address) ?? []).find((ref) => ref.field === "private_dns_zone_name" || ref.field === "private_dns_zone_id");
        if (vnet !== undefined) remember(vnet)?.zones.add(zone?.target ?? resource.address);
      }
    }
    // The peering back, made in the remote VNet: its name and resource group are literals there.
    for (const resource of this.resources.filter((r) => r.type === "azurerm_virtual_network_peering")) {
      const name = literal(resource.body.virtual_network_name);
      const resourceGroup = literal(resource.body.resource_group_name);
      const local = (this.references.get(resource.address) ?? []).find((ref) => ref.field === "remote_virtual_network_id");
      if (name === undefined || resourceGroup === undefined || !local) continue;
      found.get(key(resourceGroup, name))?.inbound.add(this.ownerOf(local.target).id);
    }
    const nodes: DiagramNode[] = [];
    const edges: DiagramEdge[] = [];
    for (const [, vnet] of [...found.entries()].sort(([a], [b]) => compareText(a, b))) {
      const id = `${EXTERNAL}:${vnet.id.toLowerCase()}`;
      const zones = vnet.zones.size;
      nodes.push({
        id,
        service: "Virtual Network (external)",
        name: vnet.name,
        details: present([`resource group ${vnet.resourceGroup}`, zones > 0 ? (zones === 1 ? "1 private DNS zone linked" : `${zones} private DNS zones linked`) : undefined]),
        cluster: EXTERNAL,
        resources: [],
        externalId: vnet.id,
      });
      for (const local of [...new Set([...vnet.outbound, ...vnet.inbound])].sort(compareText)) {
        const both = vnet.outbound.has(local) && vnet.inbound.has(local);
        const label = both ? "VNet peering (both directions)" : "VNet peering";
        // From the remote VNet, so it takes the column left of the network.
        edges.push(vnet.outbound.has(local) && !both ? { from: local, to: id, kind: "peering", label } : { from: id, to: local, kind: "peering", label, ...(both ? { bidirectional: true } : {}) });
      }
    }
    return { nodes, edges };
  }

  /**
   * The explicit, small set of references read as data or secret flow (documented in
   * docs/architecture.md, "Legend"):
   * - a job referencing the lake account reads the source containers (`landing`) its parameters
   *   name (`abfss://landing@${account}...`) and writes the others they name; a templated lake
   *   root (`abfss://{container}@${account}...`) writes every other container except Unity
   *   Catalog storage roots; a job referencing a container directly does the same;
   * - a job referencing a PostgreSQL server (its fqdn) loads into it;
   * - a secret scope referencing a Key Vault receives its secrets, and a job referencing the
   *   scope, or naming it in a parameter or a `{{secrets/<scope>/<key>}}` reference, reads them.
   */
  private semanticEdges(edges: DiagramEdge[], nodes: DiagramNode[]): DiagramEdge[] {
    const node = new Map(nodes.map((n) => [n.id, n]));
    const typeOf = (id: string): string | undefined => this.byAddress.get(node.get(id)?.resources[0] ?? "")?.type;
    const isJob = (id: string) => typeOf(id) === "databricks_job";
    const textOf = (id: string) => (node.get(id)?.resources ?? []).flatMap((address) => stringsIn(this.byAddress.get(address)?.body));
    const catalogRoots = new Set(this.resources.filter((r) => r.type === "databricks_catalog").flatMap((r) => stringsIn(r.body.storage_root)).flatMap(abfssContainers));
    const containerFlow = (job: string, container: DiagramNode): DiagramEdge =>
      SOURCE_CONTAINERS.includes(container.name ?? "")
        ? { from: container.id, to: job, kind: "data-flow", label: "reads" }
        : { from: job, to: container.id, kind: "data-flow", label: "writes" };
    const lakeFlows = (job: string, account: string): DiagramEdge[] => {
      const text = textOf(job);
      const named = new Set(text.flatMap(abfssContainers));
      const templated = text.some((value) => /abfss:\/\/\{[^}]*\}@/.test(value));
      const containers = nodes.filter((n) => n.parent === account && n.name !== undefined);
      const flows = containers.filter((c) => named.has(c.name as string) || (templated && !SOURCE_CONTAINERS.includes(c.name as string) && !catalogRoots.has(c.name as string)));
      return flows.length > 0 ? flows.map((c) => containerFlow(job, c)) : [{ from: job, to: account, kind: "data-flow" }];
    };

    const result: DiagramEdge[] = [];
    for (const edge of edges) {
      const to = node.get(edge.to);
      const toType = typeOf(edge.to);
      const isReference = edge.kind === "reference";
      if (isReference && isJob(edge.from) && toType === "azurerm_storage_account") {
        result.push(...lakeFlows(edge.from, edge.to));
      } else if (isReference && isJob(edge.from) && to?.parent !== undefined && typeOf(to.parent) === "azurerm_storage_account") {
        result.push(containerFlow(edge.from, to));
      } else if (isReference && isJob(edge.from) && toType === "azurerm_postgresql_flexible_server") {
        result.push({ ...edge, kind: "data-flow", label: "loads (JDBC)" });
      } else if (isReference && isJob(edge.from) && toType === "databricks_secret_scope") {
        result.push({ from: edge.to, to: edge.from, kind: "secret", label: "secrets" });
      } else if (isReference && typeOf(edge.from) === "databricks_secret_scope" && toType === "azurerm_key_vault") {
        result.push({ from: edge.to, to: edge.from, kind: "secret", label: "secrets" });
      } else {
        result.push(edge);
      }
    }
    // A job may name its scope only as a literal (a parameter, or `{{secrets/<scope>/<key>}}`),
    // which Terraform does not see as a reference.
    for (const job of nodes.filter((n) => isJob(n.id))) {
      const text = textOf(job.id);
      for (const scope of nodes.filter((n) => typeOf(n.id) === "databricks_secret_scope" && n.name !== undefined)) {
        if (text.some((value) => value === scope.name || value.includes(`{{secrets/${scope.name}/`))) result.push({ from: scope.id, to: job.id, kind: "secret", label: "secrets" });
      }
    }
    return dedupeEdges(result);
  }

  private serviceOf(entity: Entity): string {
    const presentation = entity.presentation;
    if (presentation.role === "node" || presentation.role === "group") {
      if (entity.primary.type === "azurerm_storage_account" && entity.primary.body.is_hns_enabled === true) return "Storage (ADLS Gen2)";
      return presentation.service;
    }
    return entity.primary.type;
  }

  private detailsOf(entity: Entity, members: TerraformResource[]): string[] {
    const presentation = entity.presentation;
    const details: string[] = [];
    if (presentation.role === "node" && presentation.details) details.push(...presentation.details(entity.primary).filter((line) => !line.startsWith("ADLS")));
    if (entity.kind === "group") details.push(...groupDetails(members.filter((m) => presentationOf(m.type).role === "group")));
    const folded = members.filter((m) => m.address !== entity.primary.address);
    const countOf = (type: string) => folded.filter((m) => m.type === type).length;
    const describe = (type: string, singular: string, plural: string) => {
      const count = countOf(type);
      if (count > 0) details.push(count === 1 ? `1 ${singular}` : `${count} ${plural}`);
    };
    const secretNames = folded.filter((m) => m.type === "azurerm_key_vault_secret").map((m) => literal(m.body.name)).filter((n): n is string => n !== undefined);
    if (secretNames.length > 0) details.push(`secrets: ${secretNames.sort(compareText).join(", ")}`);
    const databases = folded.filter((m) => m.type === "azurerm_postgresql_flexible_server_database").map((m) => literal(m.body.name)).filter((n): n is string => n !== undefined);
    if (databases.length > 0) details.push(`database: ${databases.sort(compareText).join(", ")}`);
    describe("azurerm_postgresql_flexible_server_configuration", "server parameter", "server parameters");
    const rules = folded.filter((m) => m.type === "azurerm_network_security_rule");
    if (rules.length > 0) details.push(...rules.map((rule) => `${literal(valueAt(rule.body, "access")) ?? "rule"} ${literal(rule.body.direction)?.toLowerCase() ?? ""} from ${literal(rule.body.source_address_prefix) ?? "?"}`.replace(/\s+/g, " ")).sort(compareText));
    const publicIps = folded.filter((m) => m.type === "azurerm_public_ip").map((m) => literal(m.body.name)).filter((n): n is string => n !== undefined);
    if (publicIps.length > 0) details.push(`public IP ${publicIps.sort(compareText).join(", ")}`);
    const policies = folded.filter((m) => m.type === "databricks_cluster_policy").map((m) => literal(m.body.name)).filter((n): n is string => n !== undefined);
    if (policies.length > 0) details.push(`cluster policy: ${policies.sort(compareText).join(", ")}`);
    const files = countOf("databricks_workspace_file");
    const folders = folded.filter((m) => m.type === "databricks_directory").map((m) => literal(m.body.path)).filter((p): p is string => p !== undefined);
    if (files > 0) details.push(`code: ${files} files${folders.length > 0 ? ` in ${folders.sort(compareText).join(", ")}` : ""}`);
    const principals = folded.filter((m) => m.type === "databricks_permission_assignment");
    if (principals.length > 0) {
      details.push(`${principals.length === 1 ? "1 principal" : `${principals.length} principals`} assigned`);
    }
    const acls = folded.filter((m) => m.type === "databricks_secret_acl").map((m) => literal(m.body.permission)).filter((p): p is string => p !== undefined);
    if (acls.length > 0) details.push(`ACL: ${unique(acls).sort(compareText).join(", ")}`);
    // Assignments to an identity that has its own box are drawn as identity edges instead.
    const drawnAsEdge = (assignment: TerraformResource) => (this.references.get(assignment.address) ?? []).some((ref) => ref.field === "principal_id" && this.ownerOf(ref.target).id !== entity.id);
    const assignments = folded.filter((m) => m.type === "azurerm_role_assignment" && !drawnAsEdge(m)).length;
    if (assignments > 0) details.push(assignments === 1 ? "1 role assignment" : `${assignments} role assignments`);
    for (const note of unique(folded.map((m) => presentationOf(m.type)).flatMap((p) => (p.role === "fold" && p.note ? [p.note] : []))).sort(compareText)) details.push(note);
    return details;
  }

  private subnetLabel(subnet: TerraformResource): string[] {
    const delegation = literal(valueAt(subnet.body, "delegation.service_delegation.name"));
    const delegatedTo = delegation === undefined ? undefined : `delegated to ${delegation.split("/")[0].replace(/^Microsoft\./, "")}`;
    return present(["Subnet", literal(subnet.body.name), literalList(subnet, "address_prefixes").join(", "), delegatedTo]);
  }

  private resourceGroupLabel(resourceGroup: TerraformResource | undefined): string[] {
    if (!resourceGroup) return [this.stackName];
    return present(["Resource group", literal(resourceGroup.body.name), literal(resourceGroup.body.location), `stack ${this.stackName}`]);
  }
}

/** One line per type in a merged box: the names where they fit, else a count. */
function groupDetails(members: TerraformResource[]): string[] {
  const lines: string[] = [];
  for (const [type, list] of [...groupBy(members, (m) => m.type)].sort(([a], [b]) => compareText(a, b))) {
    const names = list.map((m) => literal(m.body.name)).filter((name): name is string => name !== undefined).sort(compareText);
    // Zone names are what a reader looks for; they get a line each.
    if (type === "azurerm_private_dns_zone") {
      lines.push(...names);
      continue;
    }
    const [singular, plural] = MEMBER_NOUNS[type] ?? [serviceNameOfType(type), `${serviceNameOfType(type)}s`];
    const noun = list.length === 1 ? singular : plural;
    const listed = names.join(", ");
    lines.push(names.length === list.length && names.length > 0 && listed.length <= 40 ? `${noun}: ${listed}` : `${list.length} ${noun}`);
  }
  return lines;
}

/** The entity's own address first, then what folds into it. */
function addressesOf(entity: Entity, members: readonly TerraformResource[]): string[] {
  return [entity.primary.address, ...members.map((member) => member.address).filter((address) => address !== entity.primary.address)];
}

function groupOf(resource: TerraformResource): string | undefined {
  const presentation = presentationOf(resource.type);
  if (presentation.role === "group") return presentation.group;
  return undefined;
}

/** Containers named in ADLS URLs: `abfss://curated@st.dfs.core.windows.net/` names `curated`. */
function abfssContainers(text: string): string[] {
  return [...text.matchAll(/abfss:\/\/([a-z0-9-]+)@/g)].map((match) => match[1]);
}

/** A plain reference adds nothing where a more telling edge (identity, private link, ...) joins the same boxes. */
function withoutShadowedReferences(edges: DiagramEdge[]): DiagramEdge[] {
  const pair = (edge: DiagramEdge) => [edge.from, edge.to].sort(compareText).join("\u0000");
  const specific = new Set(edges.filter((edge) => edge.kind !== "reference").map(pair));
  return edges.filter((edge) => edge.kind !== "reference" || !specific.has(pair(edge)));
}

function present(lines: Array<string | undefined>): string[] {
  return lines.filter((line): line is string => line !== undefined && line.length > 0);
}

function unique<T>(items: T[]): T[] {
  return [...new Set(items)];
}

function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const list = groups.get(key(item)) ?? [];
    list.push(item);
    groups.set(key(item), list);
  }
  return groups;
}

function sortedValues<V>(map: Map<string, V>): V[] {
  return [...map.entries()].sort(([a], [b]) => compareText(a, b)).map(([, value]) => value);
}

function edgeKey(edge: DiagramEdge): string {
  return `${edge.from}\u0000${edge.to}\u0000${edge.kind}`;
}

function dedupeEdges(edges: DiagramEdge[]): DiagramEdge[] {
  const byKey = new Map<string, DiagramEdge>();
  for (const edge of edges) {
    const key = edgeKey(edge);
    const existing = byKey.get(key);
    if (!existing) byKey.set(key, edge);
    else if (edge.label && existing.label !== edge.label) {
      const labels = unique([...(existing.label?.split(", ") ?? []), ...edge.label.split(", ")]).sort(compareText);
      byKey.set(key, { ...existing, label: labels.join(", ") });
    }
  }
  return [...byKey.values()];
}

/** Drops boundaries with no box anywhere inside them (Graphviz would not draw them anyway). */
function pruneEmptyClusters(clusters: DiagramCluster[], nodes: DiagramNode[]): DiagramCluster[] {
  const occupied = new Set<string>();
  const parentOf = new Map(clusters.map((cluster) => [cluster.id, cluster.parent]));
  for (const node of nodes) {
    for (let id: string | undefined = node.cluster; id !== undefined && !occupied.has(id); id = parentOf.get(id)) occupied.add(id);
  }
  return clusters.filter((cluster) => occupied.has(cluster.id));
}
