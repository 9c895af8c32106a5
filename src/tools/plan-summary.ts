/**
 * Summarises `terraform show -json <planfile>` output for reviewers: per stack, how many
 * resources a plan adds, changes, replaces and destroys, with every destroy and replace listed
 * by address. Used for the pull-request plan comment and the deploy run's summary tab.
 *
 * CLI: `node lib/tools/plan-summary.js [<stack>=]<plan.json>...` prints Markdown to stdout (see
 * parsePlanArgument for a path that holds `=`); JSON that is no plan is refused, naming what it is.
 */
import { existsSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { parseArgs } from "node:util";

/** The parts of Terraform's JSON plan representation (format 1.x) that the summary reads. */
export interface TerraformPlanJson {
  readonly format_version: string;
  readonly terraform_version?: string;
  readonly resource_changes?: readonly ResourceChangeJson[];
  readonly errored?: boolean;
}

export interface ResourceChangeJson {
  readonly address: string;
  readonly mode?: "managed" | "data";
  readonly type?: string;
  readonly action_reason?: string;
  readonly change: { readonly actions: readonly string[] };
}

/** How a plan treats one resource, as reviewers count it. A replace is counted once, not as an add plus a destroy. */
export type ChangeKind = "add" | "change" | "replace" | "destroy" | "forget";

export interface ListedChange {
  readonly address: string;
  /** Terraform's `action_reason`, e.g. `replace_because_cannot_update`, when it gives one. */
  readonly reason?: string;
}

export interface StackPlanSummary {
  readonly stack: string;
  readonly terraformVersion?: string;
  readonly counts: Readonly<Record<ChangeKind, number>>;
  readonly destroyed: readonly ListedChange[];
  readonly replaced: readonly ListedChange[];
}

/** Lists longer than this are cut short in the Markdown; the full list is in the plan artifact. */
export const MAX_LISTED_PER_KIND = 50;

/**
 * Maps a resource change's action list to what it means for the resource, or undefined when the
 * resource is left alone (`no-op`) or only read (`read`, a data source resolved at apply time).
 */
export function classifyActions(actions: readonly string[]): ChangeKind | undefined {
  const key = actions.join(",");
  switch (key) {
    case "no-op":
    case "read":
      return undefined;
    case "create":
      return "add";
    case "update":
      return "change";
    case "delete":
      return "destroy";
    // delete-then-create is Terraform's default replace; create-then-delete is create_before_destroy.
    case "delete,create":
    case "create,delete":
      return "replace";
    // A `removed` block with `destroy = false`: dropped from state, left running in Azure.
    case "forget":
      return "forget";
    default:
      throw new Error(`unrecognised Terraform plan actions [${key}]`);
  }
}

/**
 * Keys only a plan has: Terraform writes `planned_values`, `configuration`, `applyable`,
 * `complete` and `errored` in every JSON plan, and the change lists when there are changes
 * (internal/command/jsonplan/plan.go); the JSON of state has `values` instead.
 */
const PLAN_KEYS = ["planned_values", "resource_changes", "resource_drift", "output_changes", "prior_state", "configuration", "applyable", "complete", "errored"];

/** What a JSON document that is not a plan is, for the refusal. */
function whatItIs(document: Record<string, unknown>): string {
  if ("provider_schemas" in document) return "'terraform providers schema -json' output";
  if ("valid" in document && "diagnostics" in document) return "'terraform validate -json' output";
  if ("values" in document) return "a 'terraform show -json' of state (it has values, no planned_values or resource_changes)";
  if (Object.keys(document).every((key) => key === "format_version" || key === "terraform_version")) return "a 'terraform show -json' of an empty state (only format_version)";
  return `no plan (it has none of ${PLAN_KEYS.slice(0, 3).join(", ")})`;
}

/** Checks that a parsed document is a Terraform JSON plan this summary understands, naming what it is when it is not. */
export function assertTerraformPlan(document: unknown, source: string): asserts document is TerraformPlanJson {
  const candidate = document as Partial<TerraformPlanJson> | null;
  if (typeof candidate !== "object" || candidate === null || Array.isArray(candidate)) {
    throw new Error(`${source} is not a 'terraform show -json' plan: it is not a JSON object`);
  }
  if (typeof candidate.format_version !== "string") {
    const config = "resource" in candidate || "terraform" in candidate ? " (it looks like a Terraform configuration, such as cdk.tf.json)" : "";
    throw new Error(`${source} is not a 'terraform show -json' plan: it has no format_version${config}`);
  }
  if (!candidate.format_version.startsWith("1.")) {
    throw new Error(`${source} has plan format_version ${candidate.format_version}; only 1.x is supported`);
  }
  if (!PLAN_KEYS.some((key) => key in candidate)) {
    throw new Error(`${source} is ${whatItIs(candidate as Record<string, unknown>)}, not a plan: run terraform show -json <planfile> on the file terraform plan -out wrote`);
  }
  if (candidate.resource_changes !== undefined && !Array.isArray(candidate.resource_changes)) {
    throw new Error(`${source} has a resource_changes that is not a list`);
  }
}

/** Counts and lists one stack's planned changes. */
export function summarizePlan(stack: string, plan: TerraformPlanJson): StackPlanSummary {
  const counts: Record<ChangeKind, number> = { add: 0, change: 0, replace: 0, destroy: 0, forget: 0 };
  const destroyed: ListedChange[] = [];
  const replaced: ListedChange[] = [];
  for (const resource of plan.resource_changes ?? []) {
    let kind: ChangeKind | undefined;
    try {
      kind = classifyActions(resource.change.actions);
    } catch (error) {
      throw new Error(`${stack}: ${(error as Error).message} at ${resource.address}`);
    }
    if (kind === undefined) continue;
    counts[kind] += 1;
    const listed = resource.action_reason === undefined
      ? { address: resource.address }
      : { address: resource.address, reason: resource.action_reason };
    if (kind === "destroy") destroyed.push(listed);
    if (kind === "replace") replaced.push(listed);
  }
  const byAddress = (a: ListedChange, b: ListedChange) => a.address.localeCompare(b.address);
  return {
    stack,
    terraformVersion: plan.terraform_version,
    counts,
    destroyed: destroyed.sort(byAddress),
    replaced: replaced.sort(byAddress),
  };
}

/** True when a plan destroys or replaces anything, i.e. a reviewer must look closely. */
export function isDestructive(summary: StackPlanSummary): boolean {
  return summary.counts.destroy + summary.counts.replace > 0;
}

/** Terraform's reason codes, in words a reviewer reads at a glance. */
const REASON_TEXT: Readonly<Record<string, string>> = {
  replace_because_cannot_update: "an argument that cannot change in place changed",
  replace_because_tainted: "it is tainted",
  replace_by_request: "requested with -replace",
  replace_by_triggers: "replace_triggered_by fired",
  delete_because_no_resource_config: "removed from the configuration",
  delete_because_no_module: "its module was removed",
  delete_because_wrong_repetition: "its count/for_each style changed",
  delete_because_count_index: "its count index is out of range",
  delete_because_each_key: "its for_each key is gone",
  delete_because_no_move_target: "its moved target does not exist",
};

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? "" : "s"}`;
}

function renderList(heading: string, items: readonly ListedChange[]): string[] {
  if (items.length === 0) return [];
  const lines = [`**${heading}**`, ""];
  for (const item of items.slice(0, MAX_LISTED_PER_KIND)) {
    const reason = item.reason === undefined ? "" : ` (${REASON_TEXT[item.reason] ?? item.reason})`;
    lines.push(`- \`${item.address}\`${reason}`);
  }
  if (items.length > MAX_LISTED_PER_KIND) {
    lines.push(`- …and ${items.length - MAX_LISTED_PER_KIND} more: see plan.txt in the stack's plan artifact`);
  }
  lines.push("");
  return lines;
}

export interface RenderOptions {
  /** First line of the Markdown. */
  readonly title?: string;
  /** Lines appended at the end, e.g. a link to the pipeline run. */
  readonly footer?: readonly string[];
}

/** Renders stack summaries as Markdown for an Azure DevOps pull-request comment or run summary. */
export function renderMarkdown(summaries: readonly StackPlanSummary[], options: RenderOptions = {}): string {
  const lines: string[] = [`### ${options.title ?? "Terraform plan"}`, ""];
  const destructive = summaries.filter(isDestructive);
  if (destructive.length > 0) {
    const parts = destructive.map((s) => {
      const what = [
        s.counts.destroy > 0 ? `destroys ${plural(s.counts.destroy, "resource")}` : undefined,
        s.counts.replace > 0 ? `replaces ${plural(s.counts.replace, "resource")}` : undefined,
      ].filter((part) => part !== undefined);
      return `**${s.stack}** ${what.join(" and ")}`;
    });
    lines.push(`> ⚠️ **Destructive changes:** ${parts.join("; ")}. Check every address below before approving.`, "");
  } else {
    lines.push("No resource is destroyed or replaced.", "");
  }

  const showForget = summaries.some((s) => s.counts.forget > 0);
  lines.push(
    `| Stack | Add | Change | Replace | Destroy |${showForget ? " Forget |" : ""}`,
    `|---|---:|---:|---:|---:|${showForget ? "---:|" : ""}`,
  );
  for (const s of summaries) {
    const c = s.counts;
    const cell = (count: number) => (count > 0 ? `**${count}**` : "0");
    lines.push(
      `| ${s.stack} | ${c.add} | ${c.change} | ${cell(c.replace)} | ${cell(c.destroy)} |${showForget ? ` ${c.forget} |` : ""}`,
    );
  }
  lines.push("", "_Replace = destroyed and re-created; counted once, not also under Add and Destroy._", "");

  for (const s of destructive) {
    lines.push(`#### ${s.stack}`, "");
    lines.push(...renderList("Destroy", s.destroyed));
    lines.push(...renderList("Replace", s.replaced));
  }
  if (options.footer !== undefined && options.footer.length > 0) lines.push(...options.footer, "");
  return lines.join("\n").trimEnd() + "\n";
}

export interface PlanInput {
  readonly stack: string;
  readonly file: string;
}

/** A stack name, as the `<stack>=` of a plan argument: no path separator, dot or `=` in it. */
const STACK_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]*$/;

/**
 * Parses a CLI plan argument: `estate-dev=path/plan.json` names the stack explicitly; a bare path
 * takes the stack name from the directory holding the plan (`cdktf.out/stacks/estate-dev/plan.json`).
 * A path may hold `=`: the part before the first `=` names a stack only when it is a stack name
 * (no `/`, `.` or `\`) and the whole argument is not an existing file, so `plans/a=b.json` is a
 * path; `./` before a path always makes it one.
 */
export function parsePlanArgument(argument: string): PlanInput {
  const separator = argument.indexOf("=");
  if (separator > 0 && STACK_NAME.test(argument.slice(0, separator)) && !existsSync(argument)) {
    return { stack: argument.slice(0, separator), file: argument.slice(separator + 1) };
  }
  return { stack: path.basename(path.dirname(path.resolve(argument))), file: argument };
}

/** Reads a `terraform show -json` plan file and checks that it is one. */
export function readPlanFile(file: string): TerraformPlanJson {
  let document: unknown;
  try {
    document = JSON.parse(readFileSync(file, "utf8"));
  } catch (error) {
    throw new Error(`cannot read plan ${file}: ${(error as Error).message}`);
  }
  assertTerraformPlan(document, file);
  return document;
}

/** Reads, checks and summarises plan files in the order given. */
export function summarizePlanFiles(inputs: readonly PlanInput[]): StackPlanSummary[] {
  return inputs.map(({ stack, file }) => summarizePlan(stack, readPlanFile(file)));
}

function main(argv: readonly string[]): void {
  const { values, positionals } = parseArgs({
    args: [...argv],
    options: { title: { type: "string" } },
    allowPositionals: true,
  });
  if (positionals.length === 0) {
    throw new Error("usage: plan-summary [--title <text>] [<stack>=]<plan.json>...");
  }
  const summaries = summarizePlanFiles(positionals.map(parsePlanArgument));
  process.stdout.write(renderMarkdown(summaries, { title: values.title }));
}

/** A footer pointing at the run and commit the plan came from, when the pipeline variables are there. */
export function runFooter(env: NodeJS.ProcessEnv): string[] {
  const collection = env.SYSTEM_COLLECTIONURI ?? "";
  const project = env.SYSTEM_TEAMPROJECT ?? "";
  const buildId = env.BUILD_BUILDID ?? "";
  const commit = env.SYSTEM_PULLREQUEST_SOURCECOMMITID ?? env.BUILD_SOURCEVERSION ?? "";
  const parts: string[] = [];
  if (collection !== "" && project !== "" && buildId !== "") {
    const base = collection.endsWith("/") ? collection : `${collection}/`;
    parts.push(`[pipeline run ${buildId}](${base}${encodeURIComponent(project)}/_build/results?buildId=${buildId})`);
  }
  if (commit !== "") parts.push(`commit \`${commit.slice(0, 8)}\``);
  return parts.length === 0 ? [] : [`Planned by ${parts.join(" for ")}. Plans and \`terraform show\` output are in the run's artifacts.`];
}

if (require.main === module) {
  try {
    main(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`plan-summary: ${(error as Error).message}\n`);
    process.exitCode = 1;
  }
}
