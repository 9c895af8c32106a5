#!/usr/bin/env node
/**
 * `npm run preflight -- <stack>`: refuses a stack's configuration that still holds placeholder
 * identities or addresses, credentials or keys expiring within 30 days, or a peered VNet's CIDR
 * overlapping the estate's. Exits 0 when the configuration is ready, 1 with one line per problem,
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
  for (const stack of stacks) {
    const environment = environmentOf(stack);
    if (environment === undefined) {
      process.stderr.write(`preflight: unknown stack ${stack}; one of ${ENVIRONMENTS.map(stackName).join(", ")}\n`);
      return 2;
    }
    const problems = preflight(loadConfig(environment));
    (problems.length > 0 ? process.stderr : process.stdout).write(formatReport(stackName(environment), problems));
    failed ||= problems.length > 0;
  }
  return failed ? 1 : 0;
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));
