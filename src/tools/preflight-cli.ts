#!/usr/bin/env node
/**
 * `npm run preflight -- <stack>`: refuses a stack's configuration that still holds placeholder
 * identities or addresses, credentials or keys expiring within 30 days, a peered VNet's CIDR
 * overlapping the estate's, or a VNet that another environment also links its own private DNS zones
 * to (every environment's config is loaded for that check). Exits 0 when the configuration is ready, 1 with one line per problem,
 * 2 on a usage error. Real values come from the config files or the ESTATE_* environment
 * variables (src/stacks/placeholders.ts).
 */
import { ENVIRONMENTS, EnvironmentConfig, EnvironmentName, stackName } from "../stacks/config";
import { estateEnvironmentVariables } from "../stacks/placeholders";
import { formatReport, preflight } from "./preflight";

function environmentOf(stack: string): EnvironmentName | undefined {
  return ENVIRONMENTS.find((environment) => stackName(environment) === stack || environment === stack);
}

/** Loads an environment's config (after the environment variables are read). */
function loadConfig(environment: EnvironmentName): EnvironmentConfig {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const module = require(`../stacks/${environment}`) as Record<string, EnvironmentConfig>;
  return module[environment];
}

export function main(argv: readonly string[]): number {
  const stacks = argv.filter((arg) => !arg.startsWith("-"));
  if (stacks.length === 0 || argv.includes("--help") || argv.includes("-h")) {
    process.stderr.write(
      `usage: npm run preflight -- <stack>...   (${ENVIRONMENTS.map(stackName).join(", ")})\n` +
        `real values: in src/stacks/{shared,dev,test,prod}.ts or the environment variables ${estateEnvironmentVariables().join(", ")}\n`,
    );
    return 2;
  }
  let failed = false;
  const unknown = stacks.find((stack) => environmentOf(stack) === undefined);
  if (unknown !== undefined) {
    process.stderr.write(`preflight: unknown stack ${unknown}; one of ${ENVIRONMENTS.map(stackName).join(", ")}\n`);
    return 2;
  }
  // Every environment's config, for the checks across environments (DNS zone links).
  const configs = ENVIRONMENTS.map(loadConfig);
  for (const stack of stacks) {
    const environment = environmentOf(stack) as EnvironmentName;
    const config = configs[ENVIRONMENTS.indexOf(environment)];
    const problems = preflight(config, { otherEnvironments: configs.filter((other) => other !== config) });
    (problems.length > 0 ? process.stderr : process.stdout).write(formatReport(stackName(environment), problems));
    failed ||= problems.length > 0;
  }
  return failed ? 1 : 0;
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));
