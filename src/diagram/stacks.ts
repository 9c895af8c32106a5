/**
 * Finding the synthesized stacks: `cdktf.out/manifest.json` and each stack's `cdk.tf.json`,
 * synthesizing first (with the project's own `lib/main.js`) when they are missing or older than
 * the compiled code.
 */
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { TerraformStackJson } from "./terraform-json";

export interface SynthesizedStackFile {
  readonly name: string;
  readonly json: TerraformStackJson;
}

interface Manifest {
  readonly stacks: Record<string, { readonly synthesizedStackPath: string }>;
}

/** The project root: `lib/diagram/` and `src/diagram/` both sit two levels below it. */
export const PROJECT_ROOT = resolve(__dirname, "..", "..");

/**
 * True when the synthesized output is missing or older than any compiled module `lib/main.js`
 * loads (the stacks and constructs, not just main.js: an incremental build rewrites only the
 * files that changed).
 */
export function synthIsStale(synthDir: string, libDir: string): boolean {
  const manifest = join(synthDir, "manifest.json");
  if (!existsSync(manifest)) return true;
  const synthesizedAt = statSync(manifest).mtimeMs;
  return newestModule(libDir) > synthesizedAt;
}

function newestModule(dir: string): number {
  if (!existsSync(dir)) return 0;
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    // The diagram's own code does not change what is synthesized.
    if (entry.isDirectory() && entry.name === "diagram") continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestModule(path));
    else if (entry.name.endsWith(".js")) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

/** Runs the project's synth (`node lib/main.js`) into `synthDir`. */
export function synthesize(synthDir: string, projectRoot: string = PROJECT_ROOT): void {
  const main = join(projectRoot, "lib", "main.js");
  if (!existsSync(main)) throw new Error(`Cannot synthesize: ${main} is missing; run \`npm run build\` first.`);
  const run = spawnSync(process.execPath, [main], { cwd: projectRoot, env: { ...process.env, CDKTF_OUTDIR: resolve(synthDir) }, encoding: "utf8" });
  if (run.status !== 0) throw new Error(`Synth failed (node lib/main.js exited ${run.status ?? run.signal}): ${(run.stderr || run.stdout).trim().split("\n").slice(-5).join(" | ")}`);
}

/** Reads the stacks listed in the manifest, sorted by name; `only` picks one. */
export function readSynthesizedStacks(synthDir: string, only?: string): SynthesizedStackFile[] {
  const manifestPath = join(synthDir, "manifest.json");
  if (!existsSync(manifestPath)) throw new Error(`No synthesized stacks: ${manifestPath} is missing.`);
  const manifest = JSON.parse(readFileSync(manifestPath, "utf8")) as Manifest;
  const names = Object.keys(manifest.stacks).sort();
  if (only !== undefined && !names.includes(only)) throw new Error(`Unknown stack "${only}"; the synthesized stacks are: ${names.join(", ")}.`);
  return names
    .filter((name) => only === undefined || name === only)
    .map((name) => ({ name, json: JSON.parse(readFileSync(join(synthDir, manifest.stacks[name].synthesizedStackPath), "utf8")) as TerraformStackJson }));
}

/** `estate-prod` → `prod`: the file is `docs/architecture-prod.svg`. */
export function diagramFileName(stackName: string): string {
  return `architecture-${stackName.replace(/^estate-/, "")}.svg`;
}
