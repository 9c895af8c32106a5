import { App, TerraformStack, Testing } from "cdktf";
import { AzurermProvider } from "@cdktf/provider-azurerm/lib/provider";
import { EnvironmentConfig, EnvironmentName, stackName } from "../../src/stacks/config";
import { dev } from "../../src/stacks/dev";
import { EstateStack } from "../../src/stacks/estate-stack";
import { prod } from "../../src/stacks/prod";
import { test as testEnvironment } from "../../src/stacks/test";

/** The synthesized Terraform JSON of one stack. */
export interface SynthesizedStack {
  readonly resource: Record<string, Record<string, Record<string, unknown>>>;
  readonly data?: Record<string, Record<string, Record<string, unknown>>>;
  readonly ephemeral?: Record<string, Record<string, Record<string, unknown>>>;
  readonly provider?: Record<string, unknown[]>;
  readonly terraform: Record<string, unknown>;
  readonly output?: Record<string, unknown>;
}

export const CONFIGS: Record<EnvironmentName, EnvironmentConfig> = { dev, test: testEnvironment, prod };

const cache = new Map<EnvironmentName, SynthesizedStack>();

/**
 * Synthesizes a stack the way `cdktf synth` does (aspects and validations run), keeping each
 * resource's construct path (`//.metadata.path`) so tests can find resources by construct.
 */
export function synthStack(stack: TerraformStack): SynthesizedStack {
  Testing.synth(stack, true);
  return JSON.parse(JSON.stringify(stack.toTerraform())) as SynthesizedStack;
}

/** Synthesizes an environment's stack in-process (cached per test file). */
export function synthEnvironment(environment: EnvironmentName): SynthesizedStack {
  let synthesized = cache.get(environment);
  if (!synthesized) {
    const stack = new EstateStack(Testing.app(), stackName(environment), CONFIGS[environment]);
    synthesized = synthStack(stack);
    cache.set(environment, synthesized);
  }
  return synthesized;
}

/** Synthesizes a stack built from a modified copy of an environment's config. */
export function synthWithConfig(config: EnvironmentConfig): SynthesizedStack {
  const stack = new EstateStack(Testing.app(), stackName(config.environment), config);
  return synthStack(stack);
}

/** A bare stack with an azurerm provider, for testing one construct on its own. */
export function bareStack(context?: Record<string, unknown>): { app: App; stack: TerraformStack } {
  const app = Testing.app(context ? { context } : undefined);
  const stack = new TerraformStack(app, "under-test");
  new AzurermProvider(stack, "azurerm", { features: [{ storage: [{ dataPlaneAvailable: false }] }] });
  return { app, stack };
}

/** Every resource of a type, as [logical name, body] pairs. */
export function resourcesOf(synthesized: SynthesizedStack, type: string): Array<[string, Record<string, unknown>]> {
  return Object.entries(synthesized.resource[type] ?? {});
}

/** The single resource of a type whose construct path ends with the given suffix. */
export function resourceAt(synthesized: SynthesizedStack, type: string, pathSuffix: string): Record<string, unknown> {
  const matches = resourcesOf(synthesized, type).filter(([, body]) => metadataPath(body).endsWith(pathSuffix));
  if (matches.length !== 1) throw new Error(`expected one ${type} at *${pathSuffix}, found ${matches.length}`);
  return matches[0][1];
}

/** The single ephemeral block of a type whose construct path ends with the given suffix, as [logical name, body]. */
export function ephemeralAt(synthesized: SynthesizedStack, type: string, pathSuffix: string): [string, Record<string, unknown>] {
  const matches = Object.entries(synthesized.ephemeral?.[type] ?? {}).filter(([, body]) => metadataPath(body).endsWith(pathSuffix));
  if (matches.length !== 1) throw new Error(`expected one ephemeral ${type} at *${pathSuffix}, found ${matches.length}`);
  return matches[0];
}

/** The Terraform reference to a resource attribute, as it appears in synthesized JSON. */
export function ref(type: string, logicalName: string, attribute = "id"): string {
  return `\${${type}.${logicalName}.${attribute}}`;
}

/** The logical name of the single resource of a type at a construct path suffix. */
export function logicalNameAt(synthesized: SynthesizedStack, type: string, pathSuffix: string): string {
  const matches = resourcesOf(synthesized, type).filter(([, body]) => metadataPath(body).endsWith(pathSuffix));
  if (matches.length !== 1) throw new Error(`expected one ${type} at *${pathSuffix}, found ${matches.length}`);
  return matches[0][0];
}

function metadataPath(body: Record<string, unknown>): string {
  const meta = body["//"] as { metadata?: { path?: string } } | undefined;
  return meta?.metadata?.path ?? "";
}
