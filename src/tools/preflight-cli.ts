#!/usr/bin/env node
/**
 * `npm run preflight -- <stack>`: refuses a stack's configuration that still holds placeholder
 * identities or addresses, credentials or keys expiring within 30 days, a peered VNet's CIDR
 * overlapping the estate's, or a VNet that another environment also links its own private DNS zones
 * to (every environment's config is loaded for that check); then synthesizes the stack and refuses a
 * peering whose remote side would land outside its VNet's subscription (with the ARM_SUBSCRIPTION_ID
 * it runs with) and, given `--vm-usage <file>` (`az vm list-usage --location <region> -o json`
 * output), vCPU quota that cannot hold the job clusters at their largest. `--app <module>` checks the stacks of
 * a cdktf app of your own instead: the subscriptions of constructs synth could not check (a
 * provider without subscriptionId in a stack of several azurerm providers), with the
 * ARM_SUBSCRIPTION_ID preflight runs with. Exits 0 when everything is ready, 1 with one line per
 * problem, 2 on a usage error (an unknown stack or option). Real values come from the config
 * files or the ESTATE_* environment variables (src/stacks/placeholders.ts).
 */
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { Command, CommanderError } from "commander";
import { App, TerraformStack } from "cdktf";
import { ENVIRONMENTS, EnvironmentName, stackName } from "../stacks/config";
import { estateEnvironmentVariables } from "../stacks/placeholders";
import { environmentOf, loadConfig, synthesizeEstateStack } from "./estate-stacks";
import { formatReport, placementProblems, preflight, PreflightProblem } from "./preflight";
import { parseVmUsage, peeringSubscriptionProblems, quotaProblems, SynthesizedStackJson, VmUsage } from "./preflight-stack";

/**
 * The stacks of a cdktf app module, built as `cdktf synth` would run it but without writing:
 * `App.synth` only records the app while the module loads.
 */
function appStacks(modulePath: string): TerraformStack[] {
  const apps: App[] = [];
  const synth = App.prototype.synth;
  App.prototype.synth = function record(this: App) {
    apps.push(this);
  };
  const resolved = require.resolve(path.resolve(modulePath));
  try {
    // Loaded afresh, so a second check in one process builds the app again.
    delete require.cache[resolved];
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    require(resolved);
  } finally {
    App.prototype.synth = synth;
  }
  return apps.flatMap((app) => app.node.findAll().filter((node): node is TerraformStack => TerraformStack.isStack(node)));
}

/** The usage, in lines of a readable length (the variables several to a line). */
function usage(): string {
  const variables = estateEnvironmentVariables();
  const rows: string[] = [];
  for (let index = 0; index < variables.length; index += 4) rows.push(`  ${variables.slice(index, index + 4).join(", ")}`);
  return [
    `usage: npm run preflight -- [--app <module>] [--vm-usage <file>] <stack>...   (${ENVIRONMENTS.map(stackName).join(", ")})`,
    "--app <module>: check the subscriptions of your cdktf app's stacks with this environment's ARM_SUBSCRIPTION_ID",
    "--vm-usage <file>: check the region's vCPU quota against az vm list-usage --location <region> -o json output",
    "real values: in src/stacks/{shared,dev,test,prod}.ts or the environment variables",
    ...rows,
    "",
  ].join("\n");
}

export function main(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): number {
  const program = new Command("preflight")
    .argument("[stacks...]")
    .option("--app <module>", "a cdktf app module whose stacks' subscriptions to check")
    .option("--vm-usage <file>", "az vm list-usage --location <region> -o json output, for the vCPU quota check")
    .helpOption(false)
    .option("-h, --help", "print the usage")
    .exitOverride()
    .configureOutput({ writeOut: (text) => process.stderr.write(text), writeErr: (text) => process.stderr.write(text) });
  try {
    program.parse([...argv], { from: "user" });
  } catch (error) {
    // Commander has printed what is wrong, such as an unknown option.
    if (error instanceof CommanderError) {
      process.stderr.write(usage());
      return 2;
    }
    throw error;
  }
  const stacks = program.args;
  const options = program.opts<{ app?: string; vmUsage?: string; help?: boolean }>();
  if ((stacks.length === 0 && options.app === undefined) || options.help) {
    process.stderr.write(usage());
    return 2;
  }
  const unknown = stacks.find((stack) => environmentOf(stack) === undefined);
  if (unknown !== undefined) {
    process.stderr.write(`preflight: unknown stack ${unknown}; one of ${ENVIRONMENTS.map(stackName).join(", ")}\n`);
    return 2;
  }
  let vmUsage: VmUsage[] | undefined;
  if (options.vmUsage !== undefined) {
    try {
      vmUsage = parseVmUsage(readFileSync(options.vmUsage, "utf8"), options.vmUsage);
    } catch (error) {
      process.stderr.write(`preflight: --vm-usage ${(error as NodeJS.ErrnoException).code === "ENOENT" ? `${options.vmUsage} does not exist` : (error as Error).message}\n`);
      return 2;
    }
  }
  let failed = false;
  const report = (name: string, problems: readonly PreflightProblem[], ok?: string) => {
    (problems.length > 0 ? process.stderr : process.stdout).write(problems.length === 0 && ok !== undefined ? ok : formatReport(name, problems));
    failed ||= problems.length > 0;
  };
  if (options.app !== undefined) {
    let found: TerraformStack[];
    try {
      found = appStacks(options.app);
    } catch (error) {
      process.stderr.write(`preflight: cannot load the app ${options.app}: ${(error as Error).message.split("\n")[0]}\n`);
      return 2;
    }
    for (const stack of found) report(stack.node.path, placementProblems(stack, env.ARM_SUBSCRIPTION_ID), `preflight ${stack.node.path}: ok, every construct is in the subscription of what it goes in\n`);
  }
  // Every environment's config, for the checks across environments (DNS zone links).
  const configs = stacks.length > 0 ? ENVIRONMENTS.map(loadConfig) : [];
  for (const stack of stacks) {
    const environment = environmentOf(stack) as EnvironmentName;
    const config = configs[ENVIRONMENTS.indexOf(environment)];
    const synthesized = synthesizeEstateStack<SynthesizedStackJson>(environment, config);
    report(stackName(environment), [
      ...preflight(config, { otherEnvironments: configs.filter((other) => other !== config) }),
      ...peeringSubscriptionProblems(synthesized, config.subscriptionId ?? env.ARM_SUBSCRIPTION_ID),
      ...(vmUsage ? quotaProblems(synthesized, vmUsage) : []),
    ]);
  }
  return failed ? 1 : 0;
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));
