/**
 * The sections of docs/*.md that are generated from the estate's synthesized stacks and the
 * project's data, between `<!-- generated:<name>:begin -->` and `<!-- generated:<name>:end -->`
 * markers: `npm run docs:generated` writes them, and test/docs/generated-sections.test.ts fails
 * when one is stale. Nothing here is written by hand.
 */
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { Testing } from "cdktf";
import { ENVIRONMENTS, EnvironmentConfig, EnvironmentName, stackName } from "../stacks/config";
import { EstateStack } from "../stacks/estate-stack";
import { SynthesizedStackJson, vcpuNeeds } from "./preflight-stack";

/** A generated section: the page it lives in and its Markdown. */
export interface GeneratedSection {
  readonly page: string;
  readonly name: string;
  readonly markdown: string;
}

function loadConfig(environment: EnvironmentName): EnvironmentConfig {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (require(`../stacks/${environment}`) as Record<string, EnvironmentConfig>)[environment];
}

/** Each environment's stack, synthesized in this process. */
export function synthesizedEstate(): Record<EnvironmentName, SynthesizedStackJson> {
  const stacks = {} as Record<EnvironmentName, SynthesizedStackJson>;
  for (const environment of ENVIRONMENTS) {
    const stack = new EstateStack(Testing.app(), stackName(environment), loadConfig(environment));
    stacks[environment] = JSON.parse(Testing.synth(stack, true)) as SynthesizedStackJson;
  }
  return stacks;
}

/** The vCPU quota each environment's job cluster needs, per VM family and in total. */
function quotaSection(stacks: Record<EnvironmentName, SynthesizedStackJson>): string {
  const rows = ENVIRONMENTS.flatMap((environment) => {
    const { region, needs } = vcpuNeeds(stacks[environment]);
    return needs.map((need) => `| ${stackName(environment)} | ${region ?? "(the workspace's)"} | \`${need.quota}\` | ${need.atStart} | ${need.atMost} |`);
  });
  return ["| stack | region | quota (`az vm list-usage` name) | vCPUs at start | vCPUs at most |", "|---|---|---|---|---|", ...rows].join("\n");
}

/** Every generated section, computed now. */
export function generatedSections(): GeneratedSection[] {
  const stacks = synthesizedEstate();
  return [{ page: "docs/deploying.md", name: "quota", markdown: quotaSection(stacks) }];
}

/** The markers around a section. */
export function markers(name: string): { begin: string; end: string } {
  return { begin: `<!-- generated:${name}:begin -->`, end: `<!-- generated:${name}:end -->` };
}

/** `page`'s text with the section replaced; throws when the page lacks its markers. */
export function withSection(text: string, section: GeneratedSection): string {
  const { begin, end } = markers(section.name);
  const start = text.indexOf(begin);
  const stop = text.indexOf(end);
  if (start < 0 || stop < start) throw new Error(`${section.page} has no ${begin} ... ${end} markers`);
  return `${text.slice(0, start + begin.length)}\n${section.markdown}\n${text.slice(stop)}`;
}

/** Each page's current text and its text with every section regenerated, from the repository root. */
export function regeneratedPages(root: string): Array<{ page: string; current: string; generated: string }> {
  const byPage = new Map<string, GeneratedSection[]>();
  for (const section of generatedSections()) byPage.set(section.page, [...(byPage.get(section.page) ?? []), section]);
  return [...byPage.entries()].map(([page, sections]) => {
    const current = readFileSync(path.join(root, page), "utf8");
    return { page, current, generated: sections.reduce(withSection, current) };
  });
}
