#!/usr/bin/env node
/**
 * `npm run access -- <stack>... [--json] [--from <cdktf.out>]`: the access matrix of each stack,
 * every principal and every right it holds (access/access-matrix.ts), as Markdown or, with
 * `--json`, as `{ stacks: AccessMatrix[] }` (the shape docs/security.md documents). The stacks are
 * synthesized in this process, or read from the folder a synth wrote with `--from`. Exits 2 on a
 * usage error.
 */
import { parseArgs } from "node:util";
import { accessMatrix, AccessMatrix, renderAccessMatrix, StackJson } from "../access/access-matrix";
import { ENVIRONMENTS, EnvironmentName, stackName } from "../stacks/config";
import { environmentOf, readSynthesizedStack, synthesizeEstateStack } from "./estate-stacks";

const USAGE = `usage: npm run access -- <stack>... [--json] [--from <cdktf.out folder>]   (${ENVIRONMENTS.map(stackName).join(", ")}, or any stack of the folder)\n`;

export function main(argv: readonly string[]): number {
  let parsed;
  try {
    parsed = parseArgs({ args: [...argv], options: { json: { type: "boolean" }, from: { type: "string" }, help: { type: "boolean", short: "h" } }, allowPositionals: true, strict: true });
  } catch (error) {
    process.stderr.write(`access: ${(error as Error).message}\n${USAGE}`);
    return 2;
  }
  if (parsed.positionals.length === 0 || parsed.values.help) {
    process.stderr.write(USAGE);
    return 2;
  }
  const matrices: AccessMatrix[] = [];
  for (const stack of parsed.positionals) {
    const from = parsed.values.from;
    const environment: EnvironmentName | undefined = environmentOf(stack);
    const name = environment ? stackName(environment) : stack;
    const synthesized = from !== undefined ? readSynthesizedStack<StackJson>(from, name) : environment ? synthesizeEstateStack<StackJson>(environment) : undefined;
    if (!synthesized) {
      process.stderr.write(from !== undefined ? `access: ${from} holds no stack ${name} (no ${from}/stacks/${name}/cdk.tf.json)\n` : `access: unknown stack ${stack}; one of ${ENVIRONMENTS.map(stackName).join(", ")}, or give --from <cdktf.out>\n`);
      return 2;
    }
    matrices.push(accessMatrix(name, synthesized));
  }
  process.stdout.write(parsed.values.json ? `${JSON.stringify({ stacks: matrices }, null, 2)}\n` : `${matrices.map(renderAccessMatrix).join("\n\n")}\n`);
  return 0;
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));
