/**
 * The estate's stacks for the tools that read synthesized Terraform (preflight, the access matrix,
 * the generated docs): synthesized in this process, as `cdktf synth` writes them, or read from a
 * `cdktf.out` folder a synth already wrote (the pipelines' artifact).
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { App } from "cdktf";
import { ENVIRONMENTS, EnvironmentConfig, EnvironmentName, stackName } from "../stacks/config";
import { EstateStack } from "../stacks/estate-stack";

/** An environment named by its stack (`estate-prod`) or its short name (`prod`). */
export function environmentOf(stack: string): EnvironmentName | undefined {
  return ENVIRONMENTS.find((environment) => stackName(environment) === stack || environment === stack);
}

/** An environment's config, read when called (after the ESTATE_* variables are set). */
export function loadConfig(environment: EnvironmentName): EnvironmentConfig {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (require(`../stacks/${environment}`) as Record<string, EnvironmentConfig>)[environment];
}

/** An environment's stack synthesized into a throwaway folder, as cdk.tf.json holds it. */
export function synthesizeEstateStack<T = unknown>(environment: EnvironmentName, config: EnvironmentConfig = loadConfig(environment), context?: Record<string, unknown>): T {
  const outdir = mkdtempSync(path.join(tmpdir(), "estate-synth-"));
  try {
    const app = new App({ outdir, context });
    new EstateStack(app, stackName(environment), config);
    app.synth();
    return JSON.parse(readFileSync(path.join(outdir, "stacks", stackName(environment), "cdk.tf.json"), "utf8")) as T;
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

/** A stack a synth wrote into `outdir` (`<outdir>/stacks/<stack>/cdk.tf.json`), or undefined when it is not there. */
export function readSynthesizedStack<T = unknown>(outdir: string, stack: string): T | undefined {
  const file = path.join(outdir, "stacks", stack, "cdk.tf.json");
  return existsSync(file) ? (JSON.parse(readFileSync(file, "utf8")) as T) : undefined;
}
