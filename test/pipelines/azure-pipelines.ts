/**
 * Test helpers for the Azure Pipelines YAML in `.azure-devops/`: discovery, parsing, validation
 * against Azure Pipelines' own JSON schema, and a small template expander for structural tests.
 */
import Ajv, { type ErrorObject, type ValidateFunction } from "ajv";
import { readdirSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { parseDocument } from "yaml";

export const REPO_ROOT = path.resolve(__dirname, "..", "..");
export const PIPELINES_DIR = path.join(REPO_ROOT, ".azure-devops");
export const TEMPLATES_DIR = path.join(PIPELINES_DIR, "templates");
/** The schema microsoft/azure-pipelines-vscode ships (service-schema.json), copied with its licence. */
export const SCHEMA_FILE = path.join(REPO_ROOT, "test", "fixtures", "azure-pipelines.schema.json");

/** Every file under `dir`, recursively, relative to the repository root, sorted. */
export function listFiles(dir: string, predicate: (file: string) => boolean = () => true): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) found.push(...listFiles(full, predicate));
    else if (predicate(full)) found.push(path.relative(REPO_ROOT, full));
  }
  return found.sort();
}

/** YAML under `.azure-devops/` that is data, not a pipeline: the drift-summary tests check it. */
export const DATA_YAML_FILES = [".azure-devops/accepted-drift.yaml"];

/** The pipelines and templates under `.azure-devops/` (every .yml/.yaml but the data files). */
export function listYamlFiles(): string[] {
  return listFiles(PIPELINES_DIR, (file) => /\.ya?ml$/.test(file)).filter((file) => !DATA_YAML_FILES.includes(file));
}

/**
 * Parses pipeline YAML the way Azure Pipelines reads it: every scalar is text (YAML 1.2 failsafe
 * schema), and typed task inputs are converted when validated (ajv `coerceTypes`). Throws on
 * YAML syntax errors and duplicate keys.
 */
export function parsePipelineYaml(text: string, source: string): unknown {
  const document = parseDocument(text, { schema: "failsafe", uniqueKeys: true, prettyErrors: true });
  if (document.errors.length > 0) {
    throw new Error(`${source}: ${document.errors.map((error) => error.message).join("; ")}`);
  }
  return document.toJS();
}

export function readPipelineYaml(relativeFile: string): unknown {
  return parsePipelineYaml(readFileSync(path.join(REPO_ROOT, relativeFile), "utf8"), relativeFile);
}

export type SchemaTarget = "pipeline" | "stepsTemplate" | "jobsTemplate" | "stagesTemplate";

/** A template validates against the schema definition named after its top-level key. */
export function schemaTargetFor(relativeFile: string, document: unknown): SchemaTarget {
  const isTemplate = path.join(REPO_ROOT, relativeFile).startsWith(TEMPLATES_DIR + path.sep);
  if (!isTemplate) return "pipeline";
  const keys = typeof document === "object" && document !== null ? Object.keys(document) : [];
  if (keys.includes("steps")) return "stepsTemplate";
  if (keys.includes("jobs")) return "jobsTemplate";
  if (keys.includes("stages")) return "stagesTemplate";
  throw new Error(`${relativeFile}: a template needs a top-level steps, jobs or stages key`);
}

export interface PipelineValidators {
  validate(target: SchemaTarget, document: unknown): ErrorObject[];
}

/**
 * Compiles the schema once (about 2-3 s). Options follow the schema's README; `coerceTypes` makes
 * ajv read textual scalars as the booleans and numbers typed task inputs declare, as Azure
 * Pipelines does. Validation may coerce values in the document it is given.
 */
export function compilePipelineSchema(): PipelineValidators {
  const schema = JSON.parse(readFileSync(SCHEMA_FILE, "utf8")) as Record<string, unknown>;
  const ajv = new Ajv({ strict: false, allErrors: true, unicodeRegExp: false, coerceTypes: true });
  const id = "azure-pipelines";
  ajv.addSchema(schema, id);
  const compiled = new Map<SchemaTarget, ValidateFunction>();
  const compile = (target: SchemaTarget): ValidateFunction => {
    let validator = compiled.get(target);
    if (validator === undefined) {
      validator = ajv.getSchema(target === "pipeline" ? id : `${id}#/definitions/${target}`);
      if (validator === undefined) throw new Error(`the schema has no definition ${target}`);
      compiled.set(target, validator);
    }
    return validator;
  };
  return {
    validate(target, document) {
      const validator = compile(target);
      return validator(document) ? [] : [...(validator.errors ?? [])];
    },
  };
}

interface SchemaBranch {
  readonly firstProperty?: readonly string[];
  readonly required?: readonly string[];
  readonly properties?: {
    readonly task?: { readonly pattern?: string };
    readonly inputs?: { readonly properties?: Record<string, unknown>; readonly required?: readonly string[] };
  } & Record<string, unknown>;
}

type Data = Record<string, unknown>;
const isMapping = (node: unknown): node is Data => typeof node === "object" && node !== null && !Array.isArray(node);

/**
 * Keeps the errors that explain a failure. The schema describes a step as anyOf task, script,
 * bash, checkout..., and a task as anyOf ~260 task definitions, so one mistake is reported once
 * per alternative. An alternative applies to an object when the object has the alternative's
 * first property (`firstProperty` in the schema) and, for tasks, the task name matches; errors
 * that only inapplicable alternatives raise are dropped, and an unknown task name is reported once.
 */
export function explainErrors(errors: readonly ErrorObject[], document: unknown, schema: unknown): string[] {
  const definitions = (schema as { definitions: Record<string, { anyOf?: SchemaBranch[] }> }).definitions;
  const branches = Object.values(definitions).flatMap((definition) => definition.anyOf ?? []).filter((b) => b.firstProperty !== undefined);
  const taskBranches = definitions.task.anyOf ?? [];
  // Compiled once per pattern: a step is matched against ~260 task patterns for each of its errors.
  const taskPatterns = new Map<string, RegExp>();
  const taskPattern = (pattern: string) => taskPatterns.get(pattern) ?? taskPatterns.set(pattern, new RegExp(pattern, "i")).get(pattern)!;
  const matchesTask = (branch: SchemaBranch, name: string) =>
    branch.properties?.task?.pattern !== undefined && taskPattern(branch.properties.task.pattern).test(name);
  const at = (pointer: string): unknown =>
    pointer
      .split("/")
      .slice(1)
      .reduce<unknown>((node, key) => (typeof node === "object" && node !== null ? (node as Data)[key.replace(/~1/g, "/").replace(/~0/g, "~")] : undefined), document);

  /** The alternatives that describe this object, and for a task's `inputs`, the task's inputs schema. */
  const applicable = (pointer: string): Array<{ allowed: Set<string>; required: Set<string> }> => {
    const data = at(pointer);
    if (!isMapping(data)) return [];
    const parent = at(pointer.replace(/\/[^/]*$/, ""));
    if (pointer.endsWith("/inputs") && isMapping(parent) && typeof parent.task === "string") {
      return taskBranches.filter((b) => matchesTask(b, parent.task as string)).map((b) => ({
        allowed: new Set(Object.keys(b.properties?.inputs?.properties ?? {})),
        required: new Set(b.properties?.inputs?.required ?? []),
      }));
    }
    return branches
      .filter((b) => (b.firstProperty as string[]).some((key) => key in data))
      .filter((b) => typeof data.task !== "string" || b.properties?.task?.pattern === undefined || matchesTask(b, data.task))
      .map((b) => ({ allowed: new Set(Object.keys(b.properties ?? {})), required: new Set(b.required ?? []) }));
  };

  const unknownTasks = new Map<string, string>();
  const messages = new Set<string>();
  for (const error of errors) {
    const owner = error.instancePath;
    const step = at(owner.replace(/\/(task|inputs)(\/.*)?$/, ""));
    const stepPath = owner.replace(/\/(task|inputs)(\/.*)?$/, "");
    if (isMapping(step) && typeof step.task === "string" && !taskBranches.some((b) => matchesTask(b, step.task as string))) {
      unknownTasks.set(stepPath, `${stepPath}: unknown task '${step.task}'`);
      continue;
    }
    // Errors raised inside one task definition: keep them only for the step's own task.
    const taskBranch = /^#\/definitions\/task\/anyOf\/(\d+)\//.exec(error.schemaPath);
    if (taskBranch !== null && isMapping(step) && typeof step.task === "string" && !matchesTask(taskBranches[Number(taskBranch[1])], step.task)) {
      continue;
    }
    const alternatives = applicable(owner);
    if (error.keyword === "required" && alternatives.length > 0) {
      const missing = (error.params as { missingProperty: string }).missingProperty;
      if (!alternatives.some((a) => a.required.has(missing))) continue;
    }
    if (error.keyword === "additionalProperties" && alternatives.length > 0) {
      const extra = (error.params as { additionalProperty: string }).additionalProperty;
      if (alternatives.some((a) => a.allowed.has(extra))) continue;
    }
    if (error.keyword === "anyOf" || error.keyword === "oneOf") continue;
    const detail = error.keyword === "additionalProperties" ? ` '${(error.params as { additionalProperty: string }).additionalProperty}'` : "";
    messages.add(`${owner}: ${error.message ?? error.keyword}${detail}`);
  }
  const explained = [...unknownTasks.values(), ...messages];
  return explained.length > 0 ? explained : errors.map((e) => `${e.instancePath}: ${e.message ?? e.keyword}`);
}

// --- template expansion ---------------------------------------------------------------------

type Node = unknown;
type Mapping = Record<string, Node>;

interface ParameterDeclaration {
  name: string;
  default?: Node;
  values?: string[];
}

const WHOLE_EXPRESSION = /^\$\{\{\s*parameters\.([\w.]+)\s*\}\}$/;
const EMBEDDED_EXPRESSION = /\$\{\{\s*parameters\.([\w.]+)\s*\}\}/g;
const JOIN_EXPRESSION = /\$\{\{\s*join\('([^']*)',\s*parameters\.([\w.]+)\)\s*\}\}/g;

function lookup(parameters: Mapping, dotted: string, source: string): Node {
  return dotted.split(".").reduce<Node>((node, key) => {
    if (typeof node !== "object" || node === null || !(key in node)) {
      throw new Error(`${source}: \${{ parameters.${dotted} }} is not a declared parameter`);
    }
    return (node as Mapping)[key];
  }, parameters);
}

function substitute(node: Node, parameters: Mapping, source: string): Node {
  if (typeof node === "string") {
    const whole = WHOLE_EXPRESSION.exec(node);
    if (whole !== null) return lookup(parameters, whole[1], source);
    return node
      .replace(JOIN_EXPRESSION, (_, separator: string, dotted: string) => {
        const list = lookup(parameters, dotted, source);
        if (!Array.isArray(list)) throw new Error(`${source}: join() over parameters.${dotted}, which is not a list`);
        return list.join(separator);
      })
      .replace(EMBEDDED_EXPRESSION, (_, dotted: string) => String(lookup(parameters, dotted, source)));
  }
  if (Array.isArray(node)) return node.map((item) => substitute(item, parameters, source));
  if (typeof node === "object" && node !== null) {
    return Object.fromEntries(Object.entries(node).map(([key, value]) => [substitute(key, parameters, source) as string, substitute(value, parameters, source)]));
  }
  return node;
}

function bindParameters(declared: readonly ParameterDeclaration[], passed: Mapping, source: string): Mapping {
  const names = new Set(declared.map((parameter) => parameter.name));
  const unexpected = Object.keys(passed).filter((name) => !names.has(name));
  if (unexpected.length > 0) throw new Error(`${source}: unexpected parameter(s) ${unexpected.join(", ")}`);
  const bound: Mapping = {};
  for (const parameter of declared) {
    const value = parameter.name in passed ? passed[parameter.name] : parameter.default;
    if (value === undefined) throw new Error(`${source}: parameter ${parameter.name} is required`);
    if (parameter.values !== undefined && !parameter.values.includes(String(value))) {
      throw new Error(`${source}: parameter ${parameter.name} is '${String(value)}', not one of ${parameter.values.join(", ")}`);
    }
    bound[parameter.name] = value;
  }
  return bound;
}

/** Replaces `- template:` list items with the expanded template's items, recursively. */
function expandNode(node: Node, fromFile: string): Node {
  if (Array.isArray(node)) {
    return node.flatMap((item) => {
      if (typeof item === "object" && item !== null && typeof (item as Mapping).template === "string") {
        const { template, parameters } = item as { template: string; parameters?: Mapping };
        const file = path.join(path.dirname(fromFile), template);
        const expanded = expandTemplateFile(path.relative(REPO_ROOT, file), parameters ?? {}) as Mapping;
        const list = expanded.steps ?? expanded.jobs ?? expanded.stages;
        return list as Node[];
      }
      return [expandNode(item, fromFile)];
    });
  }
  if (typeof node === "object" && node !== null) {
    return Object.fromEntries(Object.entries(node).map(([key, value]) => [key, expandNode(value, fromFile)]));
  }
  return node;
}

/**
 * Expands a pipeline or template file the way Azure Pipelines does for the subset used here:
 * `template:` references, `${{ parameters.x }}` and `${{ join('sep', parameters.list) }}`. It fails, as queueing would, on
 * an undeclared, missing or out-of-range parameter. Other expressions are left as text.
 */
export function expandTemplateFile(relativeFile: string, passed: Mapping = {}): Node {
  const document = readPipelineYaml(relativeFile) as Mapping;
  const declared = (document.parameters ?? []) as ParameterDeclaration[];
  const bound = bindParameters(declared, passed, relativeFile);
  const body = Object.fromEntries(Object.entries(document).filter(([key]) => key !== "parameters"));
  const substituted = substitute(body, bound, relativeFile);
  return expandNode(substituted, path.join(REPO_ROOT, relativeFile));
}
