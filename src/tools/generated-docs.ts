/**
 * The sections of docs/*.md that are generated from the estate's synthesized stacks and the
 * project's data, between `<!-- generated:<name>:begin -->` and `<!-- generated:<name>:end -->`
 * markers: `npm run docs:generated` writes them, and test/docs/generated-sections.test.ts fails
 * when one is stale. Nothing here is written by hand.
 */
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { accessMatrix, renderAccessMatrix, StackJson } from "../access/access-matrix";
import { PIPELINE_IDENTITIES, requiredRights } from "../access/pipeline-identities";
import { RESOURCE_RIGHTS } from "../access/resource-rights";
import { describeRight, Right, rightKey } from "../access/rights";
import { ENVIRONMENTS, EnvironmentName, stackName } from "../stacks/config";
import { synthesizeEstateStack } from "./estate-stacks";
import { SynthesizedStackJson, vcpuNeeds } from "./preflight-stack";

/** A generated section: the page it lives in and its Markdown. */
export interface GeneratedSection {
  readonly page: string;
  readonly name: string;
  readonly markdown: string;
}

/** Each environment's stack, synthesized in this process. */
export function synthesizedEstate(): Record<EnvironmentName, SynthesizedStackJson> {
  const stacks = {} as Record<EnvironmentName, SynthesizedStackJson>;
  for (const environment of ENVIRONMENTS) stacks[environment] = synthesizeEstateStack<SynthesizedStackJson>(environment);
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

const cell = (text: string) => text.replace(/\|/g, "\\|");
const rightsCell = (rights: readonly Right[]) => (rights.length === 0 ? "none" : rights.map(describeRight).join("; "));

/**
 * Reasons in a few lines: the identity's own (its baseline) as they are, then the types that need
 * the right, grouped by what needs it (`refresh: a, b; apply: c`), each type named with its kind
 * unless it is a resource.
 */
function groupReasons(reasons: readonly string[]): string {
  const own: string[] = [];
  const byOperation = new Map<string, string[]>();
  for (const reason of reasons) {
    const match = /^(resource|data|ephemeral):(\S+) \((.+)\)$/.exec(reason);
    if (!match) {
      own.push(reason);
      continue;
    }
    const [, kind, type, operation] = match;
    byOperation.set(operation, [...(byOperation.get(operation) ?? []), kind === "resource" ? type : `${kind} ${type}`]);
  }
  const order = ["read in every plan", "refresh", "apply"];
  const grouped = [...byOperation.entries()].sort(([a], [b]) => order.indexOf(a) - order.indexOf(b)).map(([operation, types]) => `${operation}: ${[...new Set(types)].sort().join(", ")}`);
  return [...own, ...grouped].join("; ");
}

/** Each pipeline identity's rights on the estate: the union over the stacks it serves, with why. */
function identitiesSection(stacks: Record<EnvironmentName, SynthesizedStackJson>): string {
  const lines: string[] = [];
  for (const identity of Object.values(PIPELINE_IDENTITIES)) {
    const byRight = new Map<string, { right: Right; because: Set<string> }>();
    for (const environment of ENVIRONMENTS.filter((candidate) => identity.environments.includes(candidate))) {
      for (const { right, because } of requiredRights(identity, stacks[environment])) {
        const entry = byRight.get(rightKey(right)) ?? { right, because: new Set<string>() };
        for (const reason of because) entry.because.add(reason);
        byRight.set(rightKey(right), entry);
      }
    }
    const connections = identity.environments.map((environment) => `\`${identity.serviceConnection(environment)}\``).join(", ");
    lines.push(`**${identity.name}** (${connections}; ${identity.pipelines.join(", ")}): ${identity.runs}.`, "", "| right | on | why |", "|---|---|---|");
    const sorted = [...byRight.values()].sort((a, b) => rightKey(a.right).localeCompare(rightKey(b.right)));
    for (const { right, because } of sorted) lines.push(`| ${cell(right.right)} | ${cell(right.on)} | ${cell(groupReasons([...because]))} |`);
    lines.push("");
  }
  return lines.join("\n").trimEnd();
}

/** Every resource type, data source and ephemeral resource the access model knows. */
function resourceTypesSection(): string {
  const rows = Object.entries(RESOURCE_RIGHTS)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([key, rights]) => {
      const [kind, type] = key.split(":");
      const refreshLabel = kind === "resource" ? rightsCell(rights.refresh.needs) : `${rightsCell(rights.refresh.needs)} (every plan)`;
      const decision = rights.decision ? ` ${rights.decision}.` : "";
      return `| \`${type}\`${kind === "resource" ? "" : ` (${kind})`} | ${cell(refreshLabel)} | ${rights.refresh.readOnly ? "yes" : `**no**.${cell(decision)}`} | ${cell(rightsCell(rights.apply?.needs ?? []))} | ${cell(rights.source.replace(/^\S+@(\S+) /, "$1 "))} |`;
    });
  return ["| type | refresh needs | read-only right? | apply needs | provider source |", "|---|---|---|---|---|", ...rows].join("\n");
}

/** Every generated section, computed now. */
export function generatedSections(): GeneratedSection[] {
  const stacks = synthesizedEstate();
  return [
    { page: "docs/estate/deploying.md", name: "quota", markdown: quotaSection(stacks) },
    { page: "docs/estate/cicd.md", name: "identities", markdown: identitiesSection(stacks) },
    { page: "docs/estate/cicd.md", name: "resource-types", markdown: resourceTypesSection() },
    { page: "docs/security.md", name: "access-prod", markdown: renderAccessMatrix(accessMatrix("estate-prod", stacks.prod as StackJson)) },
  ];
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
