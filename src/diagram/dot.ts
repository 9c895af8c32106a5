/**
 * The diagram model as Graphviz DOT text. Pure and ordered: the same model always gives the
 * same text, so the layout (and the SVG) is the same too.
 */
import { EdgeKind } from "./catalog";
import { DiagramCluster, DiagramEdge, DiagramModel, DiagramNode } from "./model";
import { compareText } from "./terraform-json";

const FONT = "Helvetica";
/** Columns left to right: the network, then the stores it reaches privately, then the job. */
const RANKDIR = "LR";
/** Marks a box whose diagnostic settings send logs and metrics to Log Analytics. */
const LOG_MARK = "◆";
const LOG_MARK_COLOUR = "#8e24aa";

/** Fill and outline of each construct's boundary (outline also frames its boxes). */
export const CONSTRUCT_COLOURS: Readonly<Record<string, { fill: string; line: string }>> = {
  SecureNetwork: { fill: "#eef3fd", line: "#1967d2" },
  SecretStore: { fill: "#fef7e0", line: "#e37400" },
  LakeStorage: { fill: "#e6f4ea", line: "#188038" },
  RelationalSink: { fill: "#e8eaf6", line: "#3949ab" },
  SparkBatchPipeline: { fill: "#fce8e6", line: "#c5221f" },
  Observability: { fill: "#f3e8fd", line: "#8e24aa" },
};
const OTHER_CONSTRUCT = { fill: "#f1f3f4", line: "#5f6368" };

/** How each kind of arrow is drawn, and what the legend says about it. */
export const EDGE_STYLES: Readonly<Record<EdgeKind, { attributes: Record<string, string>; legend: string }>> = {
  "data-flow": { attributes: { color: "#1a73e8", fontcolor: "#1a73e8", penwidth: "2.6", style: "bold" }, legend: "data flow (job parameters referencing the lake and the server)" },
  secret: { attributes: { color: "#e37400", fontcolor: "#e37400", penwidth: "2.2", style: "bold" }, legend: "secrets (Key Vault → secret scope → job)" },
  "private-link": { attributes: { color: "#5f6368", fontcolor: "#5f6368", style: "dashed", penwidth: "1.4" }, legend: "private endpoint → its target (sub-resource)" },
  "serverless-private-link": {
    attributes: { color: "#c5221f", fontcolor: "#c5221f", style: "dashed", penwidth: "1.6" },
    legend: "serverless private endpoint (Databricks NCC) → its target; pending until approved there (the deploy pipeline approves)",
  },
  identity: { attributes: { color: "#188038", fontcolor: "#188038", style: "dashed", penwidth: "1.4" }, legend: "managed identity → role on a resource" },
  peering: { attributes: { color: "#1967d2", fontcolor: "#1967d2", penwidth: "2", style: "bold" }, legend: "VNet peering with a VNet outside the stack (arrowheads: the directions peered)" },
  egress: { attributes: { color: "#1967d2", fontcolor: "#1967d2", penwidth: "1.4" }, legend: "outbound internet through the NAT gateway" },
  diagnostics: { attributes: {}, legend: "sends diagnostics to Log Analytics (drawn as a mark, not an arrow)" },
  reference: { attributes: { color: "#9aa0a6", fontcolor: "#80868b", style: "dashed", arrowsize: "0.6" }, legend: "other reference (from the referring resource)" },
};
const EDGE_ORDER: readonly EdgeKind[] = ["data-flow", "secret", "private-link", "serverless-private-link", "identity", "peering", "egress", "diagnostics", "reference"];

/** Renders the model as DOT text. */
export function toDot(model: DiagramModel): string {
  return new DotWriter(model).write();
}

class DotWriter {
  private readonly lines: string[] = [];
  private readonly childClusters = new Map<string | undefined, DiagramCluster[]>();
  private readonly clusterNodes = new Map<string, DiagramNode[]>();
  private readonly childNodes = new Map<string, DiagramNode[]>();
  private readonly clusterNames = new Map<string, string>();
  private readonly byId: Map<string, DiagramNode>;
  private readonly clusterById: Map<string, DiagramCluster>;
  /** Boxes and boundaries with diagnostic settings: marked, instead of an arrow each to Log Analytics. */
  private readonly logSenders: Set<string>;
  private readonly logReceivers: Map<string, number>;
  /** Boxes that data flows into and out of (the job). */
  private readonly processingSteps: Set<string>;

  constructor(private readonly model: DiagramModel) {
    this.byId = new Map(model.nodes.map((node) => [node.id, node]));
    this.clusterById = new Map(model.clusters.map((cluster) => [cluster.id, cluster]));
    const diagnostics = model.edges.filter((edge) => edge.kind === "diagnostics");
    this.logSenders = new Set(diagnostics.map((edge) => edge.from));
    this.logReceivers = new Map<string, number>();
    for (const edge of diagnostics) this.logReceivers.set(edge.to, (this.logReceivers.get(edge.to) ?? 0) + 1);
    const dataFlow = model.edges.filter((edge) => edge.kind === "data-flow");
    this.processingSteps = new Set(dataFlow.filter((edge) => dataFlow.some((other) => other.to === edge.from)).map((edge) => edge.from));
    const sortedClusters = [...model.clusters].sort((a, b) => compareText(a.id, b.id));
    sortedClusters.forEach((cluster, index) => {
      this.clusterNames.set(cluster.id, `cluster_${index}`);
      push(this.childClusters, cluster.parent, cluster);
    });
    const sortedNodes = [...model.nodes].sort((a, b) => compareText(a.id, b.id));
    // A box with boxes inside (an account with its containers) is drawn as a boundary of its own.
    sortedNodes.forEach((node, index) => this.clusterNames.set(node.id, `cluster_box_${index}`));
    for (const node of sortedNodes) {
      if (node.parent !== undefined) push(this.childNodes, node.parent, node);
      else push(this.clusterNodes, node.cluster, node);
    }
  }

  write(): string {
    this.lines.push("digraph architecture {");
    this.lines.push(`  graph [${attributes({ rankdir: RANKDIR, compound: "true", newrank: "true", fontname: FONT, fontsize: "11", labelloc: "t", labeljust: "l", nodesep: "0.3", ranksep: "0.6", pad: "0.3", bgcolor: "white" })} label=${html(this.heading())}];`);
    this.lines.push(`  node [${attributes({ fontname: FONT, fontsize: "11", shape: "box", style: "rounded,filled", fillcolor: "white", margin: "0.12,0.06" })}];`);
    this.lines.push(`  edge [${attributes({ fontname: FONT, fontsize: "9", arrowsize: "0.8" })}];`);
    for (const cluster of this.childClusters.get(undefined) ?? []) this.writeCluster(cluster, "  ");
    for (const edge of this.model.edges) this.writeEdge(edge);
    this.lines.push("}");
    return this.lines.join("\n") + "\n";
  }

  private writeCluster(cluster: DiagramCluster, indent: string): void {
    const colours = cluster.construct ? (CONSTRUCT_COLOURS[cluster.construct] ?? OTHER_CONSTRUCT) : OTHER_CONSTRUCT;
    const style: Record<string, string> = (() => {
      switch (cluster.kind) {
        case "resource-group":
          return { style: "rounded", color: "#5f6368", fillcolor: "white", penwidth: "1.2" };
        case "construct":
          return { style: "rounded,filled", color: colours.line, fillcolor: colours.fill, penwidth: "1.6" };
        case "construct-part":
          return { style: "rounded,filled,dashed", color: colours.line, fillcolor: colours.fill, penwidth: "1.4" };
        case "virtual-network":
          return { style: "filled", color: "#1967d2", fillcolor: "#f8fbff", penwidth: "2" };
        case "subnet":
          return { style: "filled,dashed", color: "#4285f4", fillcolor: "white", penwidth: "1.2" };
        case "external":
          return { style: "rounded,dashed", color: "#5f6368", fillcolor: "white", penwidth: "1.2" };
      }
    })();
    this.lines.push(`${indent}subgraph ${this.clusterNames.get(cluster.id)} {`);
    this.lines.push(`${indent}  graph [${attributes({ ...style, fontname: FONT, fontsize: cluster.kind === "resource-group" ? "13" : "12", labeljust: "l", margin: "12" })} label=${html(labelLines(cluster.label, this.logSenders.has(cluster.id)))}];`);
    for (const child of this.childClusters.get(cluster.id) ?? []) this.writeCluster(child, `${indent}  `);
    const nodes = this.clusterNodes.get(cluster.id) ?? [];
    for (const node of nodes) this.writeNode(node, `${indent}  `);
    this.writeColumn(nodes, `${indent}  `);
    this.lines.push(`${indent}}`);
  }

  /** A box, or (when other boxes sit inside it, such as containers in an account) a boundary. */
  private writeNode(node: DiagramNode, indent: string): void {
    const colours = CONSTRUCT_COLOURS[node.construct ?? ""] ?? OTHER_CONSTRUCT;
    const children = this.childNodes.get(node.id) ?? [];
    if (children.length > 0) {
      this.lines.push(`${indent}subgraph ${this.clusterNames.get(node.id)} {`);
      this.lines.push(`${indent}  graph [${attributes({ style: "rounded,filled", color: colours.line, fillcolor: "white", penwidth: "1.4", fontname: FONT, fontsize: "11", labeljust: "l", margin: "10" })} label=${html(this.nodeLabel(node))}];`);
      for (const child of children) this.writeNode(child, `${indent}  `);
      this.writeColumn(children, `${indent}  `);
      this.lines.push(`${indent}}`);
      return;
    }
    this.lines.push(`${indent}${quote(node.id)} [${attributes({ color: colours.line, penwidth: "1.3" })} label=${html(this.nodeLabel(node))}];`);
  }

  /**
   * Boxes no ranking arrow touches would all fall into the leftmost column, stretching their
   * boundary across the page; they share the column of the first box beside them that is ranked.
   */
  private writeColumn(nodes: readonly DiagramNode[], indent: string): void {
    const drawn = nodes.filter((node) => !this.childNodes.has(node.id));
    const ranked = new Set(this.model.edges.filter((edge) => this.ranks(edge)).flatMap((edge) => [edge.from, edge.to]));
    const anchor = drawn.find((node) => ranked.has(node.id));
    const loose = drawn.filter((node) => !ranked.has(node.id));
    if (anchor && loose.length > 0) this.lines.push(`${indent}{ rank="same"; ${[anchor, ...loose].map((node) => quote(node.id)).join("; ")}; }`);
  }


  /** Graphviz joins nodes, not boundaries: an arrow to a boundary ends at its edge via lhead/ltail. */
  private endpoint(id: string): { node: string; boundary?: string } | undefined {
    const children = this.childNodes.get(id);
    const node = this.byId.get(id);
    if (node && !children) return { node: id };
    if (node && children) return { node: children[0].id, boundary: this.clusterNames.get(node.id) };
    const cluster = this.clusterById.get(id);
    if (!cluster) return undefined;
    const inside = this.firstNodeInside(id);
    return inside === undefined ? undefined : { node: inside, boundary: this.clusterNames.get(id) };
  }

  private firstNodeInside(clusterId: string): string | undefined {
    const own = this.clusterNodes.get(clusterId)?.[0];
    if (own) return (this.childNodes.get(own.id)?.[0] ?? own).id;
    for (const child of this.childClusters.get(clusterId) ?? []) {
      const found = this.firstNodeInside(child.id);
      if (found) return found;
    }
    return undefined;
  }

  /**
   * Which arrows order the columns (left to right): private endpoints before their targets, the
   * stores and secrets before the job. A job's outputs point back to stores that already have a
   * column, plain references and identities are context; letting them rank would stretch every
   * boundary across the page.
   */
  private ranks(edge: DiagramEdge): boolean {
    if (edge.kind === "reference" || edge.kind === "identity" || edge.kind === "diagnostics") return false;
    if (edge.kind === "data-flow") return !this.processingSteps.has(edge.from);
    return true;
  }

  private writeEdge(edge: DiagramEdge): void {
    if (edge.kind === "diagnostics") return;
    const from = this.endpoint(edge.from);
    const to = this.endpoint(edge.to);
    if (!from || !to) return;
    const extra: Record<string, string> = { ...EDGE_STYLES[edge.kind].attributes };
    if (from.boundary) extra.ltail = from.boundary;
    if (to.boundary) extra.lhead = to.boundary;
    // Plain references are context; letting them rank boxes would bend the data flow out of line.
    if (!this.ranks(edge)) extra.constraint = "false";
    if (edge.label) extra.label = ` ${edge.label} `;
    if (edge.bidirectional) extra.dir = "both";
    this.lines.push(`  ${quote(from.node)} -> ${quote(to.node)} [${attributes(extra)}];`);
  }

  /** The title and the legend, drawn as the graph's label above everything else. */
  private heading(): string {
    const used = new Set(this.model.edges.map((edge) => edge.kind));
    const rows = EDGE_ORDER.filter((kind) => used.has(kind) && kind !== "diagnostics").map((kind) => {
      const style = EDGE_STYLES[kind].attributes;
      const sample = style.style === "dashed" ? "– – –&gt;" : "——&gt;";
      return legendRow(`<font color="${style.color}"><b>${sample}</b></font>`, EDGE_STYLES[kind].legend);
    });
    if (used.has("diagnostics")) rows.push(legendRow(`<font color="${LOG_MARK_COLOUR}"><b>${LOG_MARK}</b></font>`, EDGE_STYLES.diagnostics.legend));
    const constructs = [...new Set(this.model.clusters.filter((c) => c.kind === "construct" || c.kind === "construct-part").map((c) => c.construct as string))].sort(compareText);
    const swatches = constructs.map((construct) => {
      const colours = CONSTRUCT_COLOURS[construct] ?? OTHER_CONSTRUCT;
      return `<td bgcolor="${colours.fill}" border="1" color="${colours.line}"><font point-size="10">${escape(construct)}</font></td>`;
    });
    const constructRow = `<tr><td colspan="2" align="left"><table border="0" cellspacing="3" cellpadding="3"><tr><td align="left"><font point-size="10">constructs (dashed: the part inside a subnet)</font></td>${swatches.join("")}</tr></table></td></tr>`;
    const title = `<tr><td colspan="2" align="left"><font point-size="20"><b>${escape(this.model.title)}</b></font></td></tr>`;
    return `<table border="0" cellborder="0" cellspacing="1" cellpadding="1">${title}${constructRow}${rows.join("")}</table>`;
  }

  private nodeLabel(node: DiagramNode): string {
    const service = `<b>${escape(node.service)}</b>${this.logSenders.has(node.id) ? ` <font color="${LOG_MARK_COLOUR}">${LOG_MARK}</font>` : ""}`;
    const lines = [service];
    if (node.name) lines.push(escape(node.name));
    const received = this.logReceivers.get(node.id);
    const details = received ? [...node.details, `diagnostics from ${received} resources`] : node.details;
    for (const detail of details) lines.push(`<font point-size="9" color="#5f6368">${escape(detail)}</font>`);
    return lines.join("<br/>");
  }
}

function legendRow(sample: string, text: string): string {
  return `<tr><td align="left">${sample}</td><td align="left"><font point-size="10">${escape(text)}</font></td></tr>`;
}

function labelLines(label: readonly string[], sendsLogs: boolean): string {
  const [title, ...rest] = label;
  const mark = sendsLogs ? ` <font color="${LOG_MARK_COLOUR}">${LOG_MARK}</font>` : "";
  return [`<b>${escape(title ?? "")}</b>${mark}`, ...rest.map((line) => `<font point-size="10" color="#5f6368">${escape(line)}</font>`)].join(`<br align="left"/>`) + `<br align="left"/>`;
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key) ?? [];
  list.push(value);
  map.set(key, list);
}

function attributes(values: Record<string, string>): string {
  return Object.keys(values)
    .sort(compareText)
    .map((key) => `${key}=${quote(values[key])}`)
    .join(" ");
}

function quote(text: string): string {
  return `"${text.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;
}

function html(text: string): string {
  return `<${text}>`;
}

function escape(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}
