/**
 * What of a synthesized stack would put a secret in Terraform state: a `random_password` resource
 * (its `result` is state), or a value given to an argument the provider marks sensitive that is
 * not write-only (sensitive values are masked in plans, but kept in state in clear). Read against
 * the pinned providers' own schemas, so every sensitive argument of every resource type counts.
 */
import type { ResourceSchemas } from "../helpers/terraform-validate";

type Json = Record<string, unknown>;

/**
 * The one sensitive, state-kept argument the library sets on purpose: a vault secret holding a
 * login name (`publicValue` of SecretStore.addSecret), which is not a secret; its content type says so.
 */
function isLoginName(type: string, attribute: string, body: Json): boolean {
  return type === "azurerm_key_vault_secret" && attribute === "value" && typeof body.content_type === "string" && body.content_type.includes("postgres-login") && typeof body.value === "string" && !body.value.includes("${");
}

function setArguments(value: unknown, prefix = ""): string[] {
  if (typeof value !== "object" || value === null) return [];
  const objects = Array.isArray(value) ? value : [value];
  return objects.flatMap((object) =>
    typeof object !== "object" || object === null
      ? []
      : Object.entries(object as Json).flatMap(([key, item]) => (key === "//" || item === null || item === undefined ? [] : [`${prefix}${key}`, ...setArguments(item, `${prefix}${key}.`)])),
  );
}

/** Every `type.name: argument` of the stack that would keep a secret in state; empty when none does. */
export function secretsKeptInState(stack: { resource?: Record<string, Record<string, Json>> }, schemas: ResourceSchemas): string[] {
  const found: string[] = [];
  for (const [type, byName] of Object.entries(stack.resource ?? {})) {
    const schema = schemas[type];
    for (const [name, body] of Object.entries(byName)) {
      if (type === "random_password") {
        found.push(`${type}.${name}: a random_password resource keeps its result in state`);
        continue;
      }
      if (!schema) {
        found.push(`${type}.${name}: no schema for ${type} in the pinned providers`);
        continue;
      }
      for (const argument of setArguments(body)) {
        const attribute = schema[argument];
        if (attribute?.sensitive && !attribute.write_only && !isLoginName(type, argument, body)) found.push(`${type}.${name}: ${argument} is sensitive and kept in state (not write-only)`);
      }
    }
  }
  return found;
}
