/**
 * Reading the synthesized Terraform JSON (`cdktf.out/stacks/<stack>/cdk.tf.json`): resources with
 * their construct paths, and the references between them (`${azurerm_x.y.attr}`).
 */

/** The parts of a synthesized stack the diagram reads. */
export interface TerraformStackJson {
  readonly resource?: Record<string, Record<string, Record<string, unknown>>>;
  readonly ephemeral?: Record<string, Record<string, Record<string, unknown>>>;
  readonly [key: string]: unknown;
}

/** One resource of the stack. */
export interface TerraformResource {
  /** Terraform address, such as `azurerm_storage_account.lake_account_92054329`. */
  readonly address: string;
  readonly type: string;
  /** Construct path below the stack, such as `["lake", "account"]`. */
  readonly constructPath: readonly string[];
  readonly body: Readonly<Record<string, unknown>>;
}

/** A reference from one resource's body to another resource. */
export interface ResourceReference {
  /** Dotted field path inside the referring body, such as `private_service_connection.private_connection_resource_id`. */
  readonly field: string;
  /** Address of the referenced resource. */
  readonly target: string;
  /** Attribute read from it, such as `id`, `name` or `identity`. */
  readonly attribute: string;
}

/** The resources of a stack, with its ephemeral blocks as resources of type `ephemeral.<type>`, sorted by address. */
export function listResources(stack: TerraformStackJson): TerraformResource[] {
  const resources: TerraformResource[] = [];
  for (const [prefix, blocks] of [["", stack.resource], ["ephemeral.", stack.ephemeral]] as const) {
    for (const [kind, byName] of Object.entries(blocks ?? {})) {
      const type = `${prefix}${kind}`;
      for (const [name, body] of Object.entries(byName)) resources.push({ address: `${type}.${name}`, type, constructPath: constructPathOf(body), body });
    }
  }
  return resources.sort((a, b) => compareText(a.address, b.address));
}

/** The construct path of a resource below its stack, from cdktf's `//.metadata.path`. */
function constructPathOf(body: Record<string, unknown>): string[] {
  const metadata = (body["//"] as { metadata?: { path?: unknown } } | undefined)?.metadata;
  const path = typeof metadata?.path === "string" ? metadata.path : "";
  return path.split("/").slice(1);
}

/**
 * Every reference to a known resource in a body, found inside `${...}` expressions anywhere in it
 * (including function calls such as `${element(azurerm_x.y.ids, 0)}`). `depends_on` is left out:
 * it orders creation but carries no data. Sorted and without duplicates.
 */
export function findReferences(body: Readonly<Record<string, unknown>>, knownAddresses: ReadonlySet<string>): ResourceReference[] {
  const found = new Map<string, ResourceReference>();
  const visit = (value: unknown, field: string): void => {
    if (typeof value === "string") {
      for (const expression of interpolations(value)) {
        for (const match of expression.matchAll(/(?<![\w.])((?:ephemeral\.)?[a-z][a-z0-9_]*)\.([A-Za-z0-9_-]+)\.([A-Za-z0-9_]+)/g)) {
          const target = `${match[1]}.${match[2]}`;
          if (!knownAddresses.has(target)) continue;
          const reference = { field, target, attribute: match[3] };
          found.set(`${field}\u0000${target}\u0000${reference.attribute}`, reference);
        }
      }
    } else if (Array.isArray(value)) {
      value.forEach((item) => visit(item, field));
    } else if (value !== null && typeof value === "object") {
      for (const [key, child] of Object.entries(value)) {
        if (key === "//" || key === "depends_on") continue;
        visit(child, field === "" ? key : `${field}.${key}`);
      }
    }
  };
  visit(body, "");
  return [...found.values()].sort((a, b) => compareText(a.field, b.field) || compareText(a.target, b.target) || compareText(a.attribute, b.attribute));
}

/** The `${...}` expressions in a string, with nested braces kept whole. */
export function interpolations(text: string): string[] {
  const expressions: string[] = [];
  let start = text.indexOf("${");
  while (start >= 0) {
    let depth = 0;
    let end = start + 2;
    for (; end < text.length; end++) {
      if (text[end] === "{") depth++;
      else if (text[end] === "}") {
        if (depth === 0) break;
        depth--;
      }
    }
    expressions.push(text.slice(start + 2, end));
    start = text.indexOf("${", end);
  }
  return expressions;
}

/** A string value written literally in the configuration (no interpolation), else undefined. */
export function literal(value: unknown): string | undefined {
  return typeof value === "string" && !value.includes("${") ? value : undefined;
}

/** Every string in a body (keys excluded), for matching literal names such as a container's. */
export function stringsIn(value: unknown): string[] {
  if (typeof value === "string") return [value];
  if (Array.isArray(value)) return value.flatMap(stringsIn);
  if (value !== null && typeof value === "object") {
    return Object.entries(value)
      .filter(([key]) => key !== "//" && key !== "depends_on")
      .flatMap(([, child]) => stringsIn(child));
  }
  return [];
}

/** Reads a dotted path (`a.b.c`) from a body; arrays yield their first element. */
export function valueAt(body: unknown, path: string): unknown {
  let current: unknown = body;
  for (const key of path.split(".")) {
    if (Array.isArray(current)) current = current[0];
    if (current === null || typeof current !== "object") return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return Array.isArray(current) && current.length === 1 ? current[0] : current;
}

/** Locale-independent string order, so output never depends on the machine. */
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
