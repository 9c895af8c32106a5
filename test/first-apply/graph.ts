/**
 * The dependency graph of a synthesized stack, as Terraform builds it for a first apply: one node
 * per resource (`type.name`) and data source (`data.type.name`), an edge for every
 * `${type.name.attr}` reference anywhere in a body (nested blocks, lists, inside functions) and for
 * every `depends_on` entry, and the implicit edges through the provider a resource uses (its
 * `provider` key, or the default provider of its type): a resource waits for whatever its
 * provider's configuration references. Provider configurations are nodes too
 * (`provider.databricks`, `provider.databricks.account`).
 */

/** The parts of synthesized Terraform JSON the graph reads. */
export interface TerraformJson {
  readonly resource?: Record<string, Record<string, Record<string, unknown>>>;
  readonly data?: Record<string, Record<string, Record<string, unknown>>>;
  readonly provider?: Record<string, unknown[]>;
  readonly terraform?: Record<string, unknown>;
}

export type Body = Record<string, unknown>;

export interface GraphNode {
  /** `type.name`, `data.type.name` or `provider.name[.alias]`. */
  readonly id: string;
  readonly kind: "resource" | "data" | "provider";
  /** Resource or data source type (`azurerm_key_vault_secret`), or the provider's name. */
  readonly type: string;
  readonly name: string;
  readonly body: Body;
}

const INTERPOLATION = /\$\{/;
/** A `type.name` or `data.type.name` address inside an expression. */
const ADDRESS = /(?<![\w.-])(data\.)?([a-z][a-z0-9_]*)\.([A-Za-z_][\w-]*)/g;

/** Every string leaf of a value, skipping cdktf's `//` metadata. */
export function stringLeaves(value: unknown): string[] {
  if (typeof value === "string") return [value];
  if (Array.isArray(value)) return value.flatMap(stringLeaves);
  if (typeof value === "object" && value !== null) {
    return Object.entries(value)
      .filter(([key]) => key !== "//")
      .flatMap(([, item]) => stringLeaves(item));
  }
  return [];
}

/** The `type.name` / `data.type.name` addresses an expression string mentions. */
export function addressesIn(text: string): string[] {
  if (!INTERPOLATION.test(text)) return [];
  const found: string[] = [];
  for (const match of text.matchAll(ADDRESS)) found.push(`${match[1] ?? ""}${match[2]}.${match[3]}`);
  return found;
}

/** The provider name of a resource type: the part before the first underscore. */
export function providerOfType(type: string): string {
  const underscore = type.indexOf("_");
  return underscore < 0 ? type : type.slice(0, underscore);
}

/** The provider node a resource or data source uses. */
export function providerNodeOf(node: GraphNode): string {
  const explicit = node.body.provider;
  if (typeof explicit === "string") return `provider.${explicit.replace(/^\$\{(.*)\}$/, "$1")}`;
  return `provider.${providerOfType(node.type)}`;
}

export class DependencyGraph {
  readonly nodes = new Map<string, GraphNode>();
  private readonly edges = new Map<string, Set<string>>();
  private readonly closure = new Map<string, Set<string>>();

  constructor(readonly json: TerraformJson) {
    for (const [type, byName] of Object.entries(json.resource ?? {})) {
      for (const [name, body] of Object.entries(byName)) this.add({ id: `${type}.${name}`, kind: "resource", type, name, body });
    }
    for (const [type, byName] of Object.entries(json.data ?? {})) {
      for (const [name, body] of Object.entries(byName)) this.add({ id: `data.${type}.${name}`, kind: "data", type, name, body });
    }
    for (const [providerName, blocks] of Object.entries(json.provider ?? {})) {
      for (const block of blocks as Body[]) {
        const alias = typeof block.alias === "string" ? block.alias : undefined;
        const id = alias === undefined ? `provider.${providerName}` : `provider.${providerName}.${alias}`;
        this.add({ id, kind: "provider", type: providerName, name: alias ?? "default", body: block });
      }
    }
    for (const node of this.nodes.values()) {
      const targets = new Set<string>();
      for (const text of stringLeaves(node.body)) {
        for (const address of addressesIn(text)) if (this.nodes.has(address) && address !== node.id) targets.add(address);
      }
      const dependsOn = node.body.depends_on;
      if (Array.isArray(dependsOn)) {
        for (const entry of dependsOn) {
          const address = String(entry).replace(/^\$\{(.*)\}$/, "$1");
          if (this.nodes.has(address)) targets.add(address);
        }
      }
      if (node.kind !== "provider") {
        const provider = providerNodeOf(node);
        if (this.nodes.has(provider)) targets.add(provider);
      }
      this.edges.set(node.id, targets);
    }
  }

  private add(node: GraphNode): void {
    this.nodes.set(node.id, node);
  }

  /** The nodes a node references directly (references, depends_on, its provider). */
  direct(id: string): ReadonlySet<string> {
    return this.edges.get(id) ?? new Set();
  }

  /** Everything a node waits for, transitively. */
  dependencies(id: string): ReadonlySet<string> {
    const cached = this.closure.get(id);
    if (cached) return cached;
    const seen = new Set<string>();
    const stack = [...this.direct(id)];
    while (stack.length > 0) {
      const next = stack.pop() as string;
      if (seen.has(next)) continue;
      seen.add(next);
      stack.push(...this.direct(next));
    }
    this.closure.set(id, seen);
    return seen;
  }

  /** Whether `a` waits for `b` (directly or through other nodes) on an apply. */
  waitsFor(a: string, b: string): boolean {
    return this.dependencies(a).has(b);
  }

  /** Resource nodes of a type. */
  resources(type: string): GraphNode[] {
    return [...this.nodes.values()].filter((node) => node.kind === "resource" && node.type === type);
  }

  /** Resource nodes whose type matches. */
  resourcesWhere(predicate: (type: string) => boolean): GraphNode[] {
    return [...this.nodes.values()].filter((node) => node.kind === "resource" && predicate(node.type));
  }

  node(id: string): GraphNode {
    const node = this.nodes.get(id);
    if (node === undefined) throw new Error(`no node ${id}`);
    return node;
  }

  /** The nodes an attribute value (any nesting) references directly. */
  referencedBy(value: unknown, type?: string): string[] {
    const found = new Set<string>();
    for (const text of stringLeaves(value)) {
      for (const address of addressesIn(text)) {
        if (this.nodes.has(address) && (type === undefined || this.nodes.get(address)?.type === type)) found.add(address);
      }
    }
    return [...found];
  }

  /**
   * The literal behind a value: itself when literal, or the literal attribute an exact
   * `${type.name.attr}` reference points to (followed through further references).
   */
  resolveLiteral(value: unknown, depth = 0): unknown {
    if (typeof value !== "string" || depth > 10) return value;
    const exact = /^\$\{((?:data\.)?[a-z][a-z0-9_]*\.[A-Za-z_][\w-]*)\.(\w+)\}$/.exec(value);
    if (exact === null) return value;
    const target = this.nodes.get(exact[1]);
    if (target === undefined || !(exact[2] in target.body)) return value;
    return this.resolveLiteral(target.body[exact[2]], depth + 1);
  }
}

/** A deep copy of synthesized JSON, for tests that break a rule on purpose. */
export function cloneJson<T>(json: T): T {
  return JSON.parse(JSON.stringify(json)) as T;
}
