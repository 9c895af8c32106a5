/**
 * Real `terraform validate` with the providers the stacks pin, built from their tagged sources and
 * kept in `../shared/providers` (its `install` script unpacks them into a filesystem mirror):
 * Terraform then runs each provider's own schema and argument validation (ExactlyOneOf,
 * RequiredWith, write-only arguments, ephemeral blocks), which `terraform init` alone never does.
 * Nothing is downloaded. The providers are required: a machine without them fails these tests,
 * it never skips them.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createHash } from "node:crypto";

const REPO_ROOT = resolve(__dirname, "..", "..");

/** Where the pinned providers are: AQB_PROVIDERS_DIR, the repository's `../shared/providers`, or /work/shared/providers. */
export function providersDirectory(): string {
  const candidates = [process.env.AQB_PROVIDERS_DIR, join(REPO_ROOT, "..", "shared", "providers"), "/work/shared/providers"].filter((dir): dir is string => typeof dir === "string" && dir !== "");
  const found = candidates.find((dir) => existsSync(join(dir, "install")) && existsSync(join(dir, "SHA256SUMS")));
  if (!found) throw new Error(`the pinned Terraform providers are not on this machine (looked in ${candidates.join(", ")}); set AQB_PROVIDERS_DIR to the folder with their install script`);
  return found;
}

const MIRROR_DIR = join(homedir(), ".cache", "azure-quarterly-batch", "terraform-mirror");
let cliConfig: string | undefined;

/** The CLI config of the provider mirror, installed once per machine (checksums verified by the script). */
export function providerMirrorConfig(): string {
  if (cliConfig) return cliConfig;
  const result = spawnSync("bash", [join(providersDirectory(), "install"), MIRROR_DIR], { encoding: "utf8", timeout: 120_000 });
  if (result.status !== 0) throw new Error(`installing the provider mirror failed: ${result.stderr || result.error?.message}`);
  cliConfig = result.stdout.trim().split("\n").pop() as string;
  return cliConfig;
}

function terraform(args: readonly string[], cwd: string) {
  return spawnSync("terraform", args, {
    cwd,
    encoding: "utf8",
    timeout: 120_000,
    maxBuffer: 64 * 1024 * 1024,
    // No plugin cache: init links each provider from the unpacked mirror (no copy), and Terraform's
    // plugin cache is not safe for concurrent inits (its CLI docs say so), which the jest workers run.
    env: { ...process.env, TF_CLI_CONFIG_FILE: providerMirrorConfig(), TF_PLUGIN_CACHE_DIR: "", TF_IN_AUTOMATION: "1", CHECKPOINT_DISABLE: "1" },
  });
}

/**
 * A working directory holding `stack` as cdk.tf.json without its backend (nothing here reads state,
 * and commands other than validate refuse a backend that init skipped), initialised against the mirror.
 */
function initialised(stack: unknown): string {
  const work = mkdtempSync(join(tmpdir(), "tf-validate-"));
  const config = JSON.parse(typeof stack === "string" ? stack : JSON.stringify(stack)) as { terraform?: Record<string, unknown> };
  if (config.terraform) delete config.terraform.backend;
  writeFileSync(join(work, "cdk.tf.json"), JSON.stringify(config));
  const init = terraform(["init", "-backend=false", "-input=false", "-no-color"], work);
  if (init.status !== 0) {
    rmSync(work, { recursive: true, force: true });
    throw new Error(`terraform init with the provider mirror failed:\n${init.stdout}\n${init.stderr}`);
  }
  return work;
}

interface Diagnostic {
  readonly severity: string;
  readonly summary: string;
  readonly detail?: string;
  readonly address?: string;
  readonly range?: { readonly filename?: string };
}

/** The errors real `terraform validate` reports for a stack, each as `summary: detail [address]`; empty when valid. */
export function terraformValidateProblems(stack: unknown): string[] {
  const work = initialised(stack);
  try {
    const result = terraform(["validate", "-json", "-no-color"], work);
    const report = JSON.parse(result.stdout) as { valid: boolean; diagnostics: Diagnostic[] };
    const problems = report.diagnostics.filter((d) => d.severity === "error").map((d) => `${d.summary}: ${(d.detail ?? "").replace(/\s+/g, " ").trim()}${d.address ? ` [${d.address}]` : ""}`);
    if (!report.valid && problems.length === 0) problems.push(`terraform validate failed without a diagnostic: ${result.stderr}`);
    return problems;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** An attribute of a provider's schema, as `terraform providers schema -json` prints it. */
export interface SchemaAttribute {
  readonly sensitive?: boolean;
  readonly write_only?: boolean;
}

interface SchemaBlock {
  readonly attributes?: Record<string, SchemaAttribute>;
  readonly block_types?: Record<string, { readonly block: SchemaBlock }>;
}

/** Each resource type's attributes (nested blocks flattened to `block.attribute`), from every pinned provider. */
export type ResourceSchemas = Record<string, Record<string, SchemaAttribute>>;

function flatten(block: SchemaBlock, prefix = ""): Record<string, SchemaAttribute> {
  const attributes: Record<string, SchemaAttribute> = {};
  for (const [name, attribute] of Object.entries(block.attributes ?? {})) attributes[`${prefix}${name}`] = attribute;
  for (const [name, nested] of Object.entries(block.block_types ?? {})) Object.assign(attributes, flatten(nested.block, `${prefix}${name}.`));
  return attributes;
}

/**
 * The resource schemas of the pinned providers (`terraform providers schema -json` on a stack
 * that requires them all), cached per machine by the providers' checksums.
 */
export function resourceSchemas(stack: unknown): ResourceSchemas {
  const sums = createHash("sha256").update(readFileSync(join(providersDirectory(), "SHA256SUMS"))).digest("hex").slice(0, 16);
  const cached = join(MIRROR_DIR, `resource-schemas-${sums}.json`);
  if (existsSync(cached)) return JSON.parse(readFileSync(cached, "utf8")) as ResourceSchemas;
  const work = initialised(stack);
  try {
    const result = terraform(["providers", "schema", "-json"], work);
    if (result.status !== 0) throw new Error(`terraform providers schema failed: ${result.stderr}`);
    const providers = (JSON.parse(result.stdout) as { provider_schemas: Record<string, { resource_schemas?: Record<string, { block: SchemaBlock }> }> }).provider_schemas;
    const schemas: ResourceSchemas = {};
    for (const provider of Object.values(providers)) {
      for (const [type, schema] of Object.entries(provider.resource_schemas ?? {})) schemas[type] = flatten(schema.block);
    }
    writeFileSync(cached, JSON.stringify(schemas));
    return schemas;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
