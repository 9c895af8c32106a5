/** Ways to break synthesized JSON on purpose, so each first-apply check is seen to fail. */
import { cloneJson, DependencyGraph, TerraformJson } from "./graph";

type Json = TerraformJson & { resource: Record<string, Record<string, Record<string, unknown>>> };

function rewrite(value: unknown, target: string): unknown {
  if (typeof value === "string") return value.split(`\${${target}.`).join("${detached.");
  if (Array.isArray(value)) return value.map((item) => rewrite(item, target));
  if (typeof value === "object" && value !== null) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, rewrite(v, target)]));
  return value;
}

/**
 * A copy in which nothing waits for the given nodes any more: their `depends_on` entries are
 * removed and references to them point nowhere. The nodes themselves stay.
 */
export function detach(json: TerraformJson, ...targets: string[]): Json {
  const copy = cloneJson(json) as Json;
  for (const byName of Object.values(copy.resource)) {
    for (const [name, body] of Object.entries(byName)) {
      let next = body;
      for (const target of targets) {
        next = rewrite(next, target) as Record<string, unknown>;
        if (Array.isArray(next.depends_on)) next.depends_on = (next.depends_on as string[]).filter((entry) => entry !== target);
      }
      byName[name] = next;
    }
  }
  for (const [providerName, blocks] of Object.entries(copy.provider ?? {})) {
    copy.provider![providerName] = targets.reduce<unknown[]>((list, target) => rewrite(list, target) as unknown[], blocks);
  }
  return copy;
}

/** A copy without the given resources (`type.name`), and without the edges to them. */
export function remove(json: TerraformJson, ...targets: string[]): Json {
  const copy = detach(json, ...targets);
  for (const target of targets) {
    const [type, name] = target.split(".");
    delete copy.resource[type]?.[name];
    if (copy.resource[type] && Object.keys(copy.resource[type]).length === 0) delete copy.resource[type];
  }
  return copy;
}

/** A copy with one attribute of a resource changed (or deleted, with `undefined`). */
export function setAttribute(json: TerraformJson, target: string, attribute: string, value: unknown): Json {
  const copy = cloneJson(json) as Json;
  const [type, name] = target.split(".");
  const body = copy.resource[type][name];
  if (value === undefined) delete body[attribute];
  else body[attribute] = value;
  return copy;
}

/** A copy with a resource added. */
export function addResource(json: TerraformJson, type: string, name: string, body: Record<string, unknown>): Json {
  const copy = cloneJson(json) as Json;
  copy.resource[type] = { ...(copy.resource[type] ?? {}), [name]: body };
  return copy;
}

/** The ids of the resources of a type. */
export function idsOf(json: TerraformJson, type: string): string[] {
  return new DependencyGraph(json).resources(type).map((node) => node.id);
}
