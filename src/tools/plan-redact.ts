/**
 * Masks the values Terraform marks sensitive in `terraform show -json` output, so plan.json can be
 * published next to plan.txt (which Terraform already masks) without leaking, e.g., a generated
 * password read from state. `terraform show -json` prints such values in clear text; it only marks
 * them, in `*_sensitive` / `sensitive_values` shadow structures and `sensitive` output flags.
 *
 * CLI: `node lib/tools/plan-redact.js <plan.json>...` rewrites each file in place.
 */
import { readFileSync, writeFileSync } from "node:fs";

/** What a masked value is replaced with: the words `terraform show` prints for it. */
export const REDACTED = "(sensitive value)";

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

function isObject(value: Json | undefined): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * Masks `value` where its sensitivity shadow says so. Terraform's shadow is `true` for a wholly
 * sensitive value, and otherwise mirrors the value's objects and lists down to the sensitive parts.
 */
export function maskSensitive(value: Json, sensitivity: Json | undefined): Json {
  if (sensitivity === true) return value === null ? null : REDACTED;
  if (Array.isArray(value) && Array.isArray(sensitivity)) {
    return value.map((item, index) => maskSensitive(item, sensitivity[index]));
  }
  if (isObject(value) && isObject(sensitivity)) {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, maskSensitive(item, sensitivity[key])]));
  }
  return value;
}

/** A change object: `before`/`after` masked by `before_sensitive`/`after_sensitive`. */
function redactChangeBody(change: Json): Json {
  if (!isObject(change)) return change;
  return {
    ...change,
    before: maskSensitive(change.before ?? null, change.before_sensitive),
    after: maskSensitive(change.after ?? null, change.after_sensitive),
  };
}

/** A resource change (`resource_changes`, `resource_drift`, `deferred_changes[].resource_change`). */
function redactChange(resourceChange: Json): Json {
  if (!isObject(resourceChange) || !isObject(resourceChange.change)) return resourceChange;
  return { ...resourceChange, change: redactChangeBody(resourceChange.change) };
}

/** A module of `planned_values` or `prior_state.values`, with its child modules. */
function redactModule(module: Json): Json {
  if (!isObject(module)) return module;
  const redacted: JsonObject = { ...module };
  if (Array.isArray(module.resources)) {
    redacted.resources = module.resources.map((resource) =>
      isObject(resource) && resource.values !== undefined
        ? { ...resource, values: maskSensitive(resource.values, resource.sensitive_values) }
        : resource,
    );
  }
  if (Array.isArray(module.child_modules)) redacted.child_modules = module.child_modules.map(redactModule);
  return redacted;
}

/** `planned_values` or `prior_state.values`: outputs flagged `sensitive`, and the module tree. */
function redactValues(values: Json): Json {
  if (!isObject(values)) return values;
  const redacted: JsonObject = { ...values };
  if (isObject(values.outputs)) {
    redacted.outputs = Object.fromEntries(
      Object.entries(values.outputs).map(([name, output]) => [
        name,
        isObject(output) && output.sensitive === true ? { ...output, value: maskSensitive(output.value ?? null, true) } : output,
      ]),
    );
  }
  if (values.root_module !== undefined) redacted.root_module = redactModule(values.root_module);
  return redacted;
}

/** Names of root variables declared `sensitive = true` in the plan's configuration. */
function sensitiveVariables(plan: JsonObject): Set<string> {
  const configuration = plan.configuration;
  const rootModule = isObject(configuration) ? configuration.root_module : undefined;
  const variables = isObject(rootModule) ? rootModule.variables : undefined;
  if (!isObject(variables)) return new Set();
  return new Set(Object.entries(variables).filter(([, variable]) => isObject(variable) && variable.sensitive === true).map(([name]) => name));
}

/** A configuration module: defaults of `sensitive` variables, here and in called modules. */
function redactConfigurationModule(module: Json): Json {
  if (!isObject(module)) return module;
  const redacted: JsonObject = { ...module };
  if (isObject(module.variables)) {
    redacted.variables = Object.fromEntries(
      Object.entries(module.variables).map(([name, variable]) => [
        name,
        isObject(variable) && variable.sensitive === true && "default" in variable
          ? { ...variable, default: maskSensitive(variable.default, true) }
          : variable,
      ]),
    );
  }
  if (isObject(module.module_calls)) {
    redacted.module_calls = Object.fromEntries(
      Object.entries(module.module_calls).map(([name, call]) => [
        name,
        isObject(call) ? { ...call, module: redactConfigurationModule(call.module ?? null) } : call,
      ]),
    );
  }
  return redacted;
}

/** Returns a copy of a Terraform JSON plan with every value Terraform marks sensitive masked. */
export function redactPlan(plan: Json): Json {
  if (!isObject(plan)) throw new Error("a Terraform JSON plan is an object");
  const redacted: JsonObject = { ...plan };
  for (const key of ["resource_changes", "resource_drift"] as const) {
    const changes = plan[key];
    if (Array.isArray(changes)) redacted[key] = changes.map(redactChange);
  }
  if (Array.isArray(plan.deferred_changes)) {
    redacted.deferred_changes = plan.deferred_changes.map((deferred) =>
      isObject(deferred) ? { ...deferred, resource_change: redactChange(deferred.resource_change ?? null) } : deferred,
    );
  }
  if (isObject(plan.output_changes)) {
    redacted.output_changes = Object.fromEntries(
      Object.entries(plan.output_changes).map(([name, change]) => [name, redactChangeBody(change)]),
    );
  }
  if (plan.planned_values !== undefined) redacted.planned_values = redactValues(plan.planned_values);
  if (isObject(plan.prior_state)) redacted.prior_state = { ...plan.prior_state, values: redactValues(plan.prior_state.values ?? null) };
  if (isObject(plan.configuration)) {
    redacted.configuration = { ...plan.configuration, root_module: redactConfigurationModule(plan.configuration.root_module ?? null) };
  }
  const secretVariables = sensitiveVariables(plan);
  if (isObject(plan.variables) && secretVariables.size > 0) {
    redacted.variables = Object.fromEntries(
      Object.entries(plan.variables).map(([name, variable]) => [
        name,
        secretVariables.has(name) && isObject(variable) ? { ...variable, value: maskSensitive(variable.value ?? null, true) } : variable,
      ]),
    );
  }
  return redacted;
}

function main(files: readonly string[]): void {
  if (files.length === 0) throw new Error("usage: plan-redact <plan.json>...");
  for (const file of files) {
    let plan: Json;
    try {
      plan = JSON.parse(readFileSync(file, "utf8")) as Json;
    } catch (error) {
      throw new Error(`cannot read plan ${file}: ${(error as Error).message}`);
    }
    writeFileSync(file, JSON.stringify(redactPlan(plan)));
  }
}

if (require.main === module) {
  try {
    main(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`plan-redact: ${(error as Error).message}\n`);
    process.exitCode = 1;
  }
}
