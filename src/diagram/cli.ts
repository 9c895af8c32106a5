#!/usr/bin/env node
/**
 * `npm run diagram [-- --stack <name>]`: draws each synthesized stack as
 * `docs/architecture-<env>.svg`. Details: docs/architecture.md.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { Command } from "commander";
import { buildDiagramModel } from "./model";
import { renderSvg } from "./render";
import { diagramFileName, PROJECT_ROOT, readSynthesizedStacks, synthesize, synthIsStale } from "./stacks";

interface Options {
  stack?: string;
  synthDir: string;
  outDir: string;
  synth: boolean;
}

/** Writes the diagrams and returns the paths written. */
export async function writeDiagrams(options: Options): Promise<string[]> {
  const synthDir = resolve(options.synthDir);
  if (options.synth || synthIsStale(synthDir, join(PROJECT_ROOT, "lib"))) synthesize(synthDir);
  mkdirSync(options.outDir, { recursive: true });
  const written: string[] = [];
  for (const stack of readSynthesizedStacks(synthDir, options.stack)) {
    const path = join(options.outDir, diagramFileName(stack.name));
    writeFileSync(path, await renderSvg(buildDiagramModel(stack.name, stack.json)));
    written.push(path);
  }
  return written;
}

async function main(argv: string[]): Promise<void> {
  const program = new Command()
    .name("diagram")
    .description("Draw the architecture of each synthesized stack as docs/architecture-<env>.svg.")
    .option("--stack <name>", "draw only this stack, such as estate-prod")
    .option("--synth-dir <dir>", "where the synthesized stacks are", process.env.CDKTF_OUTDIR ?? join(PROJECT_ROOT, "cdktf.out"))
    .option("--out-dir <dir>", "where to write the SVG files", join(PROJECT_ROOT, "docs"))
    .option("--synth", "synthesize first even if the output looks current", false)
    .parse(argv);
  for (const path of await writeDiagrams(program.opts<Options>())) process.stdout.write(`wrote ${path}\n`);
}

if (require.main === module) {
  main(process.argv).catch((error: unknown) => {
    process.stderr.write(`diagram: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  });
}
