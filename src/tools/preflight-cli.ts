#!/usr/bin/env node
/**
 * `npm run preflight -- <stack>... [--vm-usage <file>]`: refuses a stack's configuration that still
 * holds placeholder identities or addresses, credentials or keys expiring within 30 days, a peered
 * VNet's CIDR overlapping the estate's, or a VNet that another environment also links its own
 * private DNS zones to (every environment's config is loaded for that check); then synthesizes the
 * stack and refuses a peering whose remote side would land outside its VNet's subscription (with
 * the ARM_SUBSCRIPTION_ID it runs with) and, given `az vm list-usage --location <region> -o json`
 * output, vCPU quota that cannot hold the job clusters at their largest. Exits 0 when the stack is
 * ready, 1 with one line per problem, 2 on a usage error. Real values come from the config files or
 * the ESTATE_* environment variables (src/stacks/placeholders.ts).
 */
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { ENVIRONMENTS, EnvironmentName, stackName } from "../stacks/config";
import { estateEnvironmentVariables } from "../stacks/placeholders";
import { environmentOf, loadConfig, synthesizeEstateStack } from "./estate-stacks";
import { formatReport, preflight, PreflightProblem } from "./preflight";
import { parseVmUsage, peeringSubscriptionProblems, quotaProblems, SynthesizedStackJson, VmUsage } from "./preflight-stack";

const USAGE =
  `usage: npm run preflight -- <stack>... [--vm-usage <az vm list-usage --location <region> -o json output>]   (${ENVIRONMENTS.map(stackName).join(", ")})\n` +
  `real values: in src/stacks/{shared,dev,test,prod}.ts or the environment variables ${estateEnvironmentVariables().join(", ")}\n`;

export function main(argv: readonly string[]): number {
  let parsed: ReturnType<typeof parseArgs<{ options: { "vm-usage": { type: "string" }; help: { type: "boolean"; short: "h" } }; allowPositionals: true }>>;
  try {
    parsed = parseArgs({ args: [...argv], options: { "vm-usage": { type: "string" }, help: { type: "boolean", short: "h" } }, allowPositionals: true, strict: true });
  } catch (error) {
    process.stderr.write(`preflight: ${(error as Error).message}\n${USAGE}`);
    return 2;
  }
  const stacks = parsed.positionals;
  if (stacks.length === 0 || parsed.values.help) {
    process.stderr.write(USAGE);
    return 2;
  }
  const unknown = stacks.find((stack) => environmentOf(stack) === undefined);
  if (unknown !== undefined) {
    process.stderr.write(`preflight: unknown stack ${unknown}; one of ${ENVIRONMENTS.map(stackName).join(", ")}\n`);
    return 2;
  }
  let usage: VmUsage[] | undefined;
  const usageFile = parsed.values["vm-usage"];
  if (usageFile !== undefined) {
    try {
      usage = parseVmUsage(readFileSync(usageFile, "utf8"), usageFile);
    } catch (error) {
      process.stderr.write(`preflight: --vm-usage ${(error as NodeJS.ErrnoException).code === "ENOENT" ? `${usageFile} does not exist` : (error as Error).message}\n`);
      return 2;
    }
  }
  let failed = false;
  // Every environment's config, for the checks across environments (DNS zone links).
  const configs = ENVIRONMENTS.map(loadConfig);
  for (const stack of stacks) {
    const environment = environmentOf(stack) as EnvironmentName;
    const config = configs[ENVIRONMENTS.indexOf(environment)];
    const synthesized = synthesizeEstateStack<SynthesizedStackJson>(environment, config);
    const problems: PreflightProblem[] = [
      ...preflight(config, { otherEnvironments: configs.filter((other) => other !== config) }),
      ...peeringSubscriptionProblems(synthesized, config.subscriptionId ?? process.env.ARM_SUBSCRIPTION_ID),
      ...(usage ? quotaProblems(synthesized, usage) : []),
    ];
    (problems.length > 0 ? process.stderr : process.stdout).write(formatReport(stackName(environment), problems));
    failed ||= problems.length > 0;
  }
  return failed ? 1 : 0;
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));
