#!/usr/bin/env node
/**
 * Preflight: the checks a stack must pass before its first plan, none of which needs Azure.
 *
 * For any app built with this package (the package's `quarterly-preflight` command):
 *   quarterly-preflight [--out cdktf.out] [--vm-usage <file>] [<stack>...]
 * reads the stacks `cdktf synth` wrote (all of them unless named) and refuses placeholder ids and
 * addresses, keys and secrets expiring within 30 days, peered CIDRs that overlap, a VNet two stacks
 * link their own DNS zones of one name to, an unnamed deployer, principals no workspace assignment
 * covers, peerings that would land outside their VNet's subscription (with ARM_SUBSCRIPTION_ID), and,
 * given `--vm-usage` (`az vm list-usage --location <region> -o json` output), vCPU quota that cannot
 * hold the job clusters at their largest (preflight-synth.ts).
 *
 * For this repository's environments, `npm run preflight -- <estate-stack>` checks the
 * environment's config (with the config paths and ESTATE_* variables to fix) and runs the same
 * checks on the stack it synthesizes. `--app <module>` checks the subscriptions of constructs
 * synth could not check in a cdktf app of your own (a provider without subscriptionId in a stack
 * of several azurerm providers), with the ARM_SUBSCRIPTION_ID preflight runs with.
 *
 * Exits 0 when everything is ready, 1 with one line per problem, 2 on a usage error (an unknown
 * stack or option, an output it cannot read).
 */
import { existsSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { Command, CommanderError } from "commander";
import { App, TerraformStack } from "cdktf";
import { ENVIRONMENTS, EnvironmentName, stackName } from "../stacks/config";
import { estateEnvironmentVariables } from "../stacks/placeholders";
import { environmentOf, loadConfig, synthesizeEstateStack } from "./estate-stacks";
import { formatReport, placementProblems, preflight, PreflightProblem } from "./preflight";
import { parseVmUsage, peeringSubscriptionProblems, quotaProblems, SynthesizedStackJson, VmUsage } from "./preflight-stack";
import { readSynthesizedStacks, SynthesizedOutputError, SynthesizedStack, synthesizedStackProblems } from "./preflight-synth";

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
    "usage: quarterly-preflight [--out cdktf.out] [--vm-usage <file>] [<stack>...]   (the stacks cdktf synth wrote; all unless named)",
    `       npm run preflight -- [--app <module>] [--vm-usage <file>] <stack>...   (this repository's ${ENVIRONMENTS.map(stackName).join(", ")})`,
    "--out <dir>: the folder cdktf synth wrote (default cdktf.out when no estate stack is named)",
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
    .option("--out <dir>", "the folder cdktf synth wrote")
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
  const options = program.opts<{ out?: string; app?: string; vmUsage?: string; help?: boolean }>();
  if (options.help) {
    process.stderr.write(usage());
    return 2;
  }
  // Estate stack names (or --app) mean this repository's environments; otherwise the stacks cdktf synth wrote.
  const synthesizedMode = options.app === undefined && (options.out !== undefined || stacks.length === 0 || stacks.some((stack) => environmentOf(stack) === undefined));
  const unknown = stacks.find((stack) => environmentOf(stack) === undefined);
  if (!synthesizedMode && unknown !== undefined) {
    process.stderr.write(`preflight: unknown stack ${unknown}; one of ${ENVIRONMENTS.map(stackName).join(", ")}\n`);
    return 2;
  }
  if (synthesizedMode && options.out === undefined && !existsSync("cdktf.out")) {
    process.stderr.write(
      unknown !== undefined
        ? `preflight: unknown stack ${unknown}; one of ${ENVIRONMENTS.map(stackName).join(", ")}, or a stack of the cdktf.out that cdktf synth writes (none here; --out <dir> names another)\n`
        : usage(),
    );
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
  if (synthesizedMode) {
    let synthesized: SynthesizedStack[];
    let all: SynthesizedStack[];
    try {
      all = readSynthesizedStacks(options.out ?? "cdktf.out");
      synthesized = stacks.length === 0 ? all : readSynthesizedStacks(options.out ?? "cdktf.out", stacks);
    } catch (error) {
      if (!(error instanceof SynthesizedOutputError)) throw error;
      process.stderr.write(`preflight: ${error.message}\n`);
      return 2;
    }
    for (const stack of synthesized) {
      report(stack.name, synthesizedStackProblems(stack, { armSubscriptionId: env.ARM_SUBSCRIPTION_ID, otherStacks: all, vmUsage }));
    }
    return failed ? 1 : 0;
  }
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
      // The checks of any synthesized stack that the config checks above do not already make.
      ...synthesizedStackProblems({ name: stackName(environment), json: synthesized }).filter((problem) => problem.kind === "unassigned"),
      ...peeringSubscriptionProblems(synthesized, config.subscriptionId ?? env.ARM_SUBSCRIPTION_ID),
      ...(vmUsage ? quotaProblems(synthesized, vmUsage) : []),
    ]);
  }
  return failed ? 1 : 0;
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));
