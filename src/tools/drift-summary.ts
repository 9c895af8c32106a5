/**
 * Reads the outcome of the weekly drift check (`.azure-devops/drift.yml`): one stack's
 * `terraform plan -detailed-exitcode` exit code and its `terraform show -json` plan, plus the
 * checked-in list of accepted drift, and reports one of
 *
 * - `no-drift`: Terraform plans no change (exit 0);
 * - `accepted`: every change is an in-place update of attributes an unexpired acceptance names;
 * - `drift`: resources changed outside Terraform (`resource_drift`, and the planned change that
 *   would undo it) or changes the configuration makes that were never applied;
 * - `expired`: an acceptance for the stack has passed its expiry date;
 * - `error`: the plan did not run to the end (exit 1, no exit code, an inconsistent plan), so the
 *   estate was not checked at all.
 *
 * The tool exits like `terraform plan -detailed-exitcode`: 0 no drift (or only accepted drift),
 * 1 error, 2 drift (or an expired acceptance). Values are masked where Terraform marks them
 * sensitive, with plan-redact's masking; the paths of wholly sensitive values are cut at the
 * sensitive attribute, so not even the keys inside a sensitive map are printed.
 *
 * CLI (from the repository root, after `npm ci`, which builds lib/):
 *   node lib/tools/drift-summary.js --exit-code <n> [--accepted <accepted-drift.yaml>]
 *     [--title <text>] [--json <report.json>] [<stack>=]<plan.json>
 * prints the Markdown summary to stdout and exits 0, 1 or 2 as above.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { parse as parseYaml } from "yaml";
import { REDACTED, maskSensitive } from "./plan-redact";
import {
  MAX_LISTED_PER_KIND,
  runFooter,
  readPlanFile,
  classifyActions,
  parsePlanArgument,
  summarizePlan,
  type ChangeKind,
  type StackPlanSummary,
  type TerraformPlanJson,
} from "./plan-summary";

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

/** A change body as `terraform show -json` writes it for `resource_changes` and `resource_drift`. */
export interface ChangeBodyJson {
  readonly actions: readonly string[];
  readonly before?: Json;
  readonly after?: Json;
  readonly after_unknown?: Json;
  readonly before_sensitive?: Json;
  readonly after_sensitive?: Json;
}

export interface DriftResourceChangeJson {
  readonly address: string;
  readonly mode?: "managed" | "data";
  readonly type?: string;
  readonly action_reason?: string;
  readonly change: ChangeBodyJson;
}

/** The parts of a JSON plan the drift check reads, on top of what the plan summary reads. */
export interface DriftPlanJson extends TerraformPlanJson {
  readonly resource_changes?: readonly DriftResourceChangeJson[];
  /** Objects that changed outside Terraform since the last apply, as the plan's refresh found them. */
  readonly resource_drift?: readonly DriftResourceChangeJson[];
  readonly output_changes?: Readonly<Record<string, ChangeBodyJson>>;
}

// --- attribute paths ------------------------------------------------------------------------

type Segment = string | number;

const isObject = (value: Json | undefined): value is JsonObject => typeof value === "object" && value !== null && !Array.isArray(value);
const isNothing = (value: Json | undefined): boolean => value === undefined || value === null;

function sameJson(a: Json | undefined, b: Json | undefined): boolean {
  if (isNothing(a) && isNothing(b)) return true;
  return JSON.stringify(a) === JSON.stringify(b);
}

/** `tags.CostCenter`, `network_rules[0].default_action`, `tags["hidden-link:/x"]`. */
export function formatPath(path: readonly Segment[]): string {
  return path
    .map((segment, index) => {
      if (typeof segment === "number") return `[${segment}]`;
      if (/^[A-Za-z_][\w-]*$/.test(segment)) return index === 0 ? segment : `.${segment}`;
      return `[${JSON.stringify(segment)}]`;
    })
    .join("");
}

/**
 * The paths at which two attribute values differ. Objects are compared key by key, so a tag added
 * to `tags` is `tags.CostCenter`, not `tags`; lists of the same length position by position
 * (`network_rules[0].default_action`); a list that grew or shrank is one change of the whole list
 * (`security_rule`), since positions mean nothing once elements come and go. A path `unknown`
 * (Terraform's `after_unknown`) marks as known only after apply counts as changed.
 */
export function changedPaths(before: Json | undefined, after: Json | undefined, unknown?: Json, at: readonly Segment[] = []): Segment[][] {
  if (unknown === true) return [[...at]];
  if (sameJson(before, after) && !containsTrue(unknown)) return [];
  let paths: Segment[][] | undefined;
  if (Array.isArray(before) && Array.isArray(after) && before.length === after.length) {
    const u = Array.isArray(unknown) ? unknown : [];
    paths = before.flatMap((item, i) => changedPaths(item, after[i], u[i], [...at, i]));
  } else if ((isObject(before) || isObject(after)) && !Array.isArray(before) && !Array.isArray(after)) {
    const b = isObject(before) ? before : {};
    const a = isObject(after) ? after : {};
    const u = isObject(unknown) ? unknown : {};
    const keys = [...new Set([...Object.keys(b), ...Object.keys(a), ...Object.keys(u)])].sort();
    paths = keys.flatMap((key) => changedPaths(b[key], a[key], u[key], [...at, key]));
  }
  // Containers that differ only in null versus absent members do not differ.
  if (paths !== undefined) return paths;
  return sameJson(before, after) ? [] : [[...at]];
}

function containsTrue(shadow: Json | undefined): boolean {
  if (shadow === true) return true;
  if (Array.isArray(shadow)) return shadow.some(containsTrue);
  return isObject(shadow) && Object.values(shadow).some(containsTrue);
}

/** The shortest prefix of `path` that a sensitivity shadow marks wholly sensitive, if any. */
function sensitivePrefix(path: readonly Segment[], shadow: Json | undefined): Segment[] | undefined {
  let node = shadow;
  for (let depth = 0; depth <= path.length; depth += 1) {
    if (node === true) return path.slice(0, depth);
    if (depth === path.length || typeof node !== "object" || node === null) return undefined;
    node = (node as Record<string, Json>)[String(path[depth])];
  }
  return undefined;
}

type Shown = { readonly kind: "value"; readonly value: Json } | { readonly kind: "absent" } | { readonly kind: "sensitive" } | { readonly kind: "unknown" };

/** The value at `path` of an already masked value, or why there is none to show. */
function shownAt(masked: Json | undefined, path: readonly Segment[]): Shown {
  let node: Json | undefined = masked;
  for (const segment of path) {
    if (node === REDACTED) return { kind: "sensitive" };
    if (typeof node !== "object" || node === null) return { kind: "absent" };
    node = (node as Record<string, Json>)[String(segment)];
  }
  if (node === REDACTED) return { kind: "sensitive" };
  return isNothing(node) ? { kind: "absent" } : { kind: "value", value: node as Json };
}

function unknownAt(unknown: Json | undefined, path: readonly Segment[]): boolean {
  let node = unknown;
  for (const segment of path) {
    if (node === true) return true;
    if (typeof node !== "object" || node === null) return false;
    node = (node as Record<string, Json>)[String(segment)];
  }
  return node === true;
}

/** One attribute that differs, with its values masked as `terraform show` masks them. */
export interface AttributeChange {
  readonly path: string;
  /** JSON text of the value, or `(absent)`, `(sensitive value)`, `(known after apply)`. */
  readonly before: string;
  readonly after: string;
}

/** Longer values are cut in the summary; plan.txt in the artifact has them whole. */
export const MAX_VALUE_LENGTH = 80;

function describeValue(shown: Shown): string {
  switch (shown.kind) {
    case "absent":
      return "(absent)";
    case "sensitive":
      return REDACTED;
    case "unknown":
      return "(known after apply)";
    case "value": {
      const text = JSON.stringify(shown.value);
      if (text.length <= MAX_VALUE_LENGTH) return text;
      if (Array.isArray(shown.value)) return `[${shown.value.length} item${shown.value.length === 1 ? "" : "s"}]`;
      if (isObject(shown.value)) return `{${Object.keys(shown.value).length} attributes}`;
      return `${text.slice(0, MAX_VALUE_LENGTH - 1)}…`;
    }
  }
}

/**
 * The attributes one change touches. A path inside a value Terraform marks sensitive (before or
 * after) is cut at the sensitive attribute and shown as `(sensitive value)` on both sides.
 */
export function attributeChanges(change: ChangeBodyJson): AttributeChange[] {
  const before = change.before ?? null;
  const after = change.after ?? null;
  const maskedBefore = maskSensitive(before, change.before_sensitive);
  const maskedAfter = maskSensitive(after, change.after_sensitive);
  const seen = new Map<string, AttributeChange>();
  for (const raw of changedPaths(before, after, change.after_unknown)) {
    const cut = [sensitivePrefix(raw, change.before_sensitive), sensitivePrefix(raw, change.after_sensitive)]
      .filter((prefix): prefix is Segment[] => prefix !== undefined)
      .sort((a, b) => a.length - b.length)[0];
    const path = cut ?? raw;
    const key = formatPath(path);
    if (seen.has(key)) continue;
    const shownBefore = cut !== undefined ? { kind: "sensitive" as const } : shownAt(maskedBefore, path);
    const shownAfter = cut !== undefined ? { kind: "sensitive" as const } : unknownAt(change.after_unknown, path) ? { kind: "unknown" as const } : shownAt(maskedAfter, path);
    seen.set(key, { path: key, before: describeValue(shownBefore), after: describeValue(shownAfter) });
  }
  return [...seen.values()];
}

// --- accepted drift ---------------------------------------------------------------------------

/** One entry of `.azure-devops/accepted-drift.yaml`. */
export interface Acceptance {
  /** Position in the file's `accepted` list, from 1, to name it in messages. */
  readonly entry: number;
  /** Resource address pattern: `*` matches within one dot-separated part, `**` across parts. */
  readonly address: string;
  /** Attribute path patterns; each also covers everything inside the attribute it names. */
  readonly attributes: readonly string[];
  readonly reason: string;
  /** Last day (UTC, YYYY-MM-DD) the acceptance holds; absent: until removed. */
  readonly expires?: string;
  /** Stacks it applies to; absent: every stack. */
  readonly stacks?: readonly string[];
}

const ENTRY_KEYS = new Set(["address", "attributes", "reason", "expires", "stacks"]);

function isCalendarDate(text: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(text)) return false;
  const date = new Date(`${text}T00:00:00Z`);
  return !Number.isNaN(date.getTime()) && date.toISOString().startsWith(text);
}

/**
 * Checks a parsed accepted-drift document (`accepted:` list of entries) and returns its entries.
 * Refuses unknown keys (a misspelt `expires` would otherwise accept drift for ever), entries
 * without a reason, expiry dates that are not calendar dates, and attribute patterns that do not
 * name a top-level attribute (`*`, `**.x`), which would accept any change to a resource.
 */
export function parseAcceptedDrift(document: unknown, source: string): Acceptance[] {
  if (document === null || document === undefined) return [];
  if (typeof document !== "object" || Array.isArray(document)) throw new Error(`${source}: expected a mapping with an 'accepted' list`);
  const unknownTop = Object.keys(document).filter((key) => key !== "accepted");
  if (unknownTop.length > 0) throw new Error(`${source}: unknown key(s) ${unknownTop.join(", ")}; only 'accepted' is allowed`);
  const list = (document as { accepted?: unknown }).accepted ?? [];
  if (!Array.isArray(list)) throw new Error(`${source}: 'accepted' must be a list`);
  return list.map((item: unknown, index) => {
    const at = `${source}: accepted entry ${index + 1}`;
    if (typeof item !== "object" || item === null || Array.isArray(item)) throw new Error(`${at} is not a mapping`);
    const entry = item as Record<string, unknown>;
    const unknownKeys = Object.keys(entry).filter((key) => !ENTRY_KEYS.has(key));
    if (unknownKeys.length > 0) throw new Error(`${at} has unknown key(s) ${unknownKeys.join(", ")} (allowed: ${[...ENTRY_KEYS].join(", ")})`);
    const text = (key: string): string => {
      const value = entry[key];
      if (typeof value !== "string" || value.trim() === "") throw new Error(`${at} needs a non-empty '${key}'`);
      return value.trim();
    };
    const address = text("address");
    const reason = text("reason");
    const attributes = entry.attributes;
    if (!Array.isArray(attributes) || attributes.length === 0 || attributes.some((a) => typeof a !== "string" || a.trim() === "")) {
      throw new Error(`${at} needs 'attributes': a list of attribute paths such as tags.CostCenter`);
    }
    for (const attribute of attributes as string[]) {
      if (!/^[A-Za-z_][\w-]*/.test(attribute)) {
        throw new Error(`${at}: attribute '${attribute}' must start with the attribute's name, not a wildcard`);
      }
    }
    let expires: string | undefined;
    if (entry.expires !== undefined) {
      const value = entry.expires instanceof Date ? entry.expires.toISOString().slice(0, 10) : String(entry.expires);
      if (!isCalendarDate(value)) throw new Error(`${at}: expires '${value}' is not a date (YYYY-MM-DD)`);
      expires = value;
    }
    let stacks: string[] | undefined;
    if (entry.stacks !== undefined) {
      if (!Array.isArray(entry.stacks) || entry.stacks.length === 0 || entry.stacks.some((s) => typeof s !== "string" || s === "")) {
        throw new Error(`${at}: 'stacks' must be a list of stack names`);
      }
      stacks = entry.stacks as string[];
    }
    return {
      entry: index + 1,
      address,
      attributes: (attributes as string[]).map((a) => a.trim()),
      reason,
      ...(expires === undefined ? {} : { expires }),
      ...(stacks === undefined ? {} : { stacks }),
    };
  });
}

/** Reads and checks an accepted-drift YAML file. */
export function loadAcceptedDrift(file: string): Acceptance[] {
  let document: unknown;
  try {
    document = parseYaml(readFileSync(file, "utf8"));
  } catch (error) {
    throw new Error(`cannot read accepted drift ${file}: ${(error as Error).message}`);
  }
  return parseAcceptedDrift(document, file);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.+?^${}()|[\]\\]/g, "\\$&");
}

function globSource(pattern: string, star: string): string {
  return pattern
    .split("**")
    .map((part) => part.split("*").map(escapeRegExp).join(star))
    .join(".*");
}

/** Whether a resource address matches an address pattern (`*` within one part, `**` across). */
export function addressMatches(pattern: string, address: string): boolean {
  return new RegExp(`^${globSource(pattern, "[^.]*")}$`).test(address);
}

/**
 * Whether an attribute path (as `formatPath` writes it) is covered by a pattern: the pattern
 * matches the path or a leading part of it that ends at an attribute boundary, so `tags` covers
 * `tags.CostCenter` and `security_rule` covers `security_rule[3].priority`. `*` matches within
 * one part (`tags.*`, `network_rules[*].default_action`), `**` across parts.
 */
export function attributeMatches(pattern: string, path: string): boolean {
  return new RegExp(`^${globSource(pattern, "[^.[\\]]*")}(?=$|[.[])`).test(path);
}

/** Whether an acceptance has passed its expiry date on `now` (it holds through the whole day, UTC). */
export function isExpired(acceptance: Acceptance, now: Date): boolean {
  return acceptance.expires !== undefined && now.toISOString().slice(0, 10) > acceptance.expires;
}

const appliesTo = (acceptance: Acceptance, stack: string) => acceptance.stacks === undefined || acceptance.stacks.includes(stack);

// --- the drift check ----------------------------------------------------------------------------

export type DriftStatus = "no-drift" | "accepted" | "drift" | "expired" | "error";

/** An attribute of a reported change, and the acceptance that covers it, if any. */
export interface ReportedAttribute extends AttributeChange {
  readonly acceptedBy?: number;
  /** An expired acceptance that would have covered it. */
  readonly expiredAcceptance?: number;
}

/** One resource in the report: what changed outside Terraform and/or what an apply would do. */
export interface ReportedResource {
  readonly address: string;
  /** What happened outside Terraform: `update`d in place or `delete`d; absent when nothing did. */
  readonly outside?: "update" | "delete";
  /** What an apply of the configuration would do about it; absent when nothing is planned. */
  readonly planned?: ChangeKind;
  /** Terraform's reason for the planned action, e.g. `replace_because_cannot_update`. */
  readonly reason?: string;
  /** The attributes that changed outside Terraform (`resource_drift`). */
  readonly outsideAttributes: readonly ReportedAttribute[];
  /** The attributes the planned in-place update changes. */
  readonly plannedAttributes: readonly ReportedAttribute[];
  /**
   * Every change is an in-place update whose attributes unexpired acceptances cover: those of the
   * planned update, or, when nothing is planned, those that changed outside Terraform.
   */
  readonly accepted: boolean;
}

export interface DriftReport {
  readonly stack: string;
  readonly status: DriftStatus;
  /** The exit code of `terraform plan -detailed-exitcode`, when one was recorded. */
  readonly terraformExitCode?: number;
  /** Why the check could not tell (status `error`). */
  readonly error?: string;
  /** Counts of the planned changes, as the plan summary counts them. */
  readonly counts?: StackPlanSummary["counts"];
  /** Resources changed outside Terraform (with the planned correction, if any), not accepted. */
  readonly drifted: readonly ReportedResource[];
  /** Planned changes no change outside Terraform explains: the configuration was never applied. */
  readonly unapplied: readonly ReportedResource[];
  /** Changes that acceptances cover. */
  readonly accepted: readonly ReportedResource[];
  /** Changes outside Terraform that the plan leaves alone (attributes it ignores or only reads). */
  readonly unmanaged: readonly ReportedResource[];
  /** Outputs whose value an apply would change. */
  readonly outputs: readonly string[];
  /** Acceptances for this stack whose expiry date has passed. */
  readonly expiredAcceptances: readonly Acceptance[];
  /** Unexpired acceptances for this stack that matched nothing in this plan. */
  readonly unusedAcceptances: readonly Acceptance[];
}

export interface DriftCheckInput {
  readonly stack: string;
  /** The exit code `terraform plan -detailed-exitcode` returned; undefined when none was recorded. */
  readonly terraformExitCode: number | undefined;
  /** The plan, when `terraform show -json` wrote one. */
  readonly plan?: DriftPlanJson;
  readonly acceptances?: readonly Acceptance[];
  /** Defaults to the current time. */
  readonly now?: Date;
}

const EMPTY = { drifted: [], unapplied: [], accepted: [], unmanaged: [], outputs: [], expiredAcceptances: [], unusedAcceptances: [] } as const;

function errorReport(stack: string, terraformExitCode: number | undefined, error: string): DriftReport {
  return { stack, status: "error", ...(terraformExitCode === undefined ? {} : { terraformExitCode }), error, ...EMPTY };
}

/** `terraform plan -detailed-exitcode`: 0 no changes, 1 error, 2 changes present. */
export function terraformExitMeaning(code: number | undefined): "no-changes" | "changes" | "error" {
  if (code === 0) return "no-changes";
  if (code === 2) return "changes";
  return "error";
}

/** The drift check's own exit code, in the same scheme: 0 nothing to do, 1 error, 2 drift. */
export function exitCodeFor(status: DriftStatus): 0 | 1 | 2 {
  switch (status) {
    case "no-drift":
    case "accepted":
      return 0;
    case "drift":
    case "expired":
      return 2;
    case "error":
      return 1;
  }
}

/** Decides what one stack's drift plan means; pure, so every case is tested on recorded plans. */
export function checkDrift(input: DriftCheckInput): DriftReport {
  const { stack, terraformExitCode: code, plan } = input;
  const meaning = terraformExitMeaning(code);
  if (code === undefined) return errorReport(stack, code, "terraform plan recorded no exit code: init or plan stopped before it finished (see the plan step's log)");
  if (meaning === "error") {
    return errorReport(stack, code, code === 1 ? "terraform plan failed (exit 1): see the plan step's log" : `terraform plan exited ${code}, which -detailed-exitcode never returns (killed or timed out?)`);
  }
  if (plan === undefined) return errorReport(stack, code, `terraform plan exited ${code} but left no JSON plan`);
  if (plan.errored === true) return errorReport(stack, code, "the plan says it errored: see the plan step's log");

  try {
    return analyse(stack, code, plan, input.acceptances ?? [], input.now ?? new Date());
  } catch (error) {
    // An action list the plan summary does not know, say: better an error than a wrong verdict.
    return errorReport(stack, code, (error as Error).message);
  }
}

function analyse(stack: string, code: number, plan: DriftPlanJson, acceptances: readonly Acceptance[], now: Date): DriftReport {
  const meaning = terraformExitMeaning(code);
  const counts = summarizePlan(stack, plan).counts;

  const scoped = acceptances.filter((a) => appliesTo(a, stack));
  const active = scoped.filter((a) => !isExpired(a, now));
  const expiredAcceptances = scoped.filter((a) => isExpired(a, now));
  const used = new Set<number>();

  const attributesOf = (address: string, change: ChangeBodyJson): ReportedAttribute[] =>
    attributeChanges(change).map((attribute) => {
      const covers = (a: Acceptance) => addressMatches(a.address, address) && a.attributes.some((pattern) => attributeMatches(pattern, attribute.path));
      const by = active.find(covers);
      if (by !== undefined) return { ...attribute, acceptedBy: by.entry };
      const expired = expiredAcceptances.find(covers);
      return expired === undefined ? attribute : { ...attribute, expiredAcceptance: expired.entry };
    });

  const driftByAddress = new Map<string, DriftResourceChangeJson>();
  for (const drift of plan.resource_drift ?? []) {
    if (drift.mode === "data") continue;
    const actions = drift.change.actions.join(",");
    if (actions === "update" || actions === "delete") driftByAddress.set(drift.address, drift);
  }
  const plannedByAddress = new Map<string, { kind: ChangeKind; change: DriftResourceChangeJson }>();
  for (const change of plan.resource_changes ?? []) {
    const kind = classifyActions(change.change.actions);
    if (kind !== undefined) plannedByAddress.set(change.address, { kind, change });
  }

  const drifted: ReportedResource[] = [];
  const unapplied: ReportedResource[] = [];
  const accepted: ReportedResource[] = [];
  const unmanaged: ReportedResource[] = [];
  const addresses = [...new Set([...driftByAddress.keys(), ...plannedByAddress.keys()])].sort((a, b) => a.localeCompare(b));
  for (const address of addresses) {
    const drift = driftByAddress.get(address);
    const planned = plannedByAddress.get(address);
    const outside = drift === undefined ? undefined : drift.change.actions.join(",") === "delete" ? "delete" : "update";
    const outsideAttributes = drift !== undefined && outside === "update" ? attributesOf(address, drift.change) : [];
    const plannedAttributes = planned !== undefined && planned.kind === "change" ? attributesOf(address, planned.change.change) : [];
    // Only in-place updates can be accepted: a deleted, replaced or re-created resource never is.
    const inPlace = outside !== "delete" && (planned === undefined || planned.kind === "change");
    const decisive = planned === undefined ? outsideAttributes : plannedAttributes;
    const isAccepted = inPlace && decisive.length > 0 && decisive.every((attribute) => attribute.acceptedBy !== undefined);
    if (isAccepted) for (const attribute of decisive) used.add(attribute.acceptedBy as number);
    const resource: ReportedResource = {
      address,
      ...(outside === undefined ? {} : { outside }),
      ...(planned === undefined ? {} : { planned: planned.kind }),
      ...(planned?.change.action_reason === undefined ? {} : { reason: planned.change.action_reason }),
      outsideAttributes,
      plannedAttributes,
      accepted: isAccepted,
    };
    if (isAccepted) accepted.push(resource);
    else if (planned === undefined) unmanaged.push(resource);
    else if (drift !== undefined) drifted.push(resource);
    else unapplied.push(resource);
  }

  const outputs = Object.entries(plan.output_changes ?? {})
    .filter(([, change]) => classifyActions(change.actions) !== undefined)
    .map(([name]) => name)
    .sort();
  if (meaning === "no-changes" && plannedByAddress.size > 0) {
    return errorReport(stack, code, `terraform plan exited 0 (no changes) but the plan lists ${plannedByAddress.size} planned resource change(s)`);
  }
  if (meaning === "changes" && plannedByAddress.size + outputs.length === 0) {
    return errorReport(stack, code, "terraform plan exited 2 (changes) but the plan lists no resource or output change: read plan.txt");
  }

  // Output changes are never accepted: they are configuration not yet applied, or follow drift.
  const failing = drifted.length + unapplied.length + outputs.length > 0;
  const status: DriftStatus = failing ? "drift" : expiredAcceptances.length > 0 ? "expired" : accepted.length > 0 ? "accepted" : "no-drift";
  return {
    stack,
    status,
    terraformExitCode: code,
    counts,
    drifted,
    unapplied,
    accepted,
    unmanaged,
    outputs,
    expiredAcceptances,
    unusedAcceptances: active.filter((a) => !used.has(a.entry)),
  };
}

// --- Markdown ---------------------------------------------------------------------------------

const HEADLINE: Readonly<Record<DriftStatus, string>> = {
  "no-drift": "✅ **No drift.** The estate matches the configuration.",
  accepted: "✅ **Only accepted drift.** Every change is covered by the accepted-drift file.",
  drift: "❌ **Drift.** The estate differs from the configuration: fix it or accept it (docs/estate/cicd.md, Drift detection).",
  expired: "⌛ **An acceptance has expired.** Renew it with a new reason and date, or remove it and fix the drift.",
  error: "⚠️ **Error: the drift check did not run to the end.** This is not a drift result: the estate was not checked.",
};

const OUTSIDE_TEXT = { update: "changed outside Terraform", delete: "deleted outside Terraform" } as const;
const PLANNED_TEXT: Readonly<Record<ChangeKind, string>> = {
  add: "an apply would create it",
  change: "an apply would update it in place",
  replace: "an apply would replace it",
  destroy: "an apply would destroy it",
  forget: "an apply would remove it from the state",
};

const code = (text: string) => `\`${text.replace(/`/g, "'")}\``;

function renderAttribute(attribute: ReportedAttribute, acceptances: ReadonlyMap<number, Acceptance>, prefix = ""): string {
  const by = attribute.acceptedBy === undefined ? undefined : acceptances.get(attribute.acceptedBy);
  const expired = attribute.expiredAcceptance === undefined ? undefined : acceptances.get(attribute.expiredAcceptance);
  const note = by !== undefined
    ? ` (accepted${by.expires === undefined ? "" : ` until ${by.expires}`}: ${by.reason})`
    : expired !== undefined
      ? ` (acceptance ${expired.entry} expired on ${expired.expires})`
      : "";
  return `  - ${prefix}${code(attribute.path)}: ${code(attribute.before)} → ${code(attribute.after)}${note}`;
}

function renderResources(heading: string, resources: readonly ReportedResource[], acceptances: ReadonlyMap<number, Acceptance>): string[] {
  if (resources.length === 0) return [];
  const lines = [`**${heading}**`, ""];
  for (const resource of resources.slice(0, MAX_LISTED_PER_KIND)) {
    const what = [
      resource.outside === undefined ? undefined : OUTSIDE_TEXT[resource.outside],
      resource.planned === undefined ? (resource.outside === undefined ? undefined : "no change planned") : PLANNED_TEXT[resource.planned],
    ].filter((part) => part !== undefined);
    const reason = resource.reason === undefined ? "" : ` (${resource.reason})`;
    lines.push(`- ${code(resource.address)}: ${what.join("; ")}${reason}`);
    // What changed outside Terraform; then what the planned update changes besides undoing that.
    const shownPaths = new Set(resource.outsideAttributes.map((attribute) => attribute.path));
    const extra = resource.plannedAttributes.filter((attribute) => !shownPaths.has(attribute.path));
    const attributes = [
      ...resource.outsideAttributes.map((attribute) => renderAttribute(attribute, acceptances)),
      ...extra.map((attribute) => renderAttribute(attribute, acceptances, resource.outside === undefined ? "" : "apply also changes ")),
    ];
    lines.push(...attributes.slice(0, MAX_LISTED_PER_KIND));
    if (attributes.length > MAX_LISTED_PER_KIND) lines.push(`  - …and ${attributes.length - MAX_LISTED_PER_KIND} more attributes: see plan.txt`);
  }
  if (resources.length > MAX_LISTED_PER_KIND) lines.push(`- …and ${resources.length - MAX_LISTED_PER_KIND} more: see plan.txt in the run's drift artifact`);
  lines.push("");
  return lines;
}

function describeAcceptance(a: Acceptance): string {
  return `entry ${a.entry} (${code(a.address)} ${a.attributes.map(code).join(", ")}${a.expires === undefined ? "" : `, expires ${a.expires}`}): ${a.reason}`;
}

export interface DriftRenderOptions {
  /** First line of the Markdown; defaults to `Drift check: <stack>`. */
  readonly title?: string;
  /** Where the acceptances came from, named in the summary. */
  readonly acceptedFile?: string;
  /** The acceptances the report refers to by entry number. */
  readonly acceptances?: readonly Acceptance[];
  readonly footer?: readonly string[];
}

/** Renders one stack's drift report as Markdown for the run's summary tab and artifact. */
export function renderDriftMarkdown(report: DriftReport, options: DriftRenderOptions = {}): string {
  const acceptances = new Map((options.acceptances ?? []).map((a) => [a.entry, a]));
  const lines: string[] = [`### ${options.title ?? `Drift check: ${report.stack}`}`, "", HEADLINE[report.status], ""];
  if (report.status === "error") {
    lines.push(`**${report.stack}**: ${report.error ?? "unknown error"}`, "");
  } else {
    const c = report.counts;
    if (c !== undefined) {
      lines.push(`\`terraform plan -detailed-exitcode\` exited ${report.terraformExitCode}. An apply would add ${c.add}, change ${c.change}, replace ${c.replace} and destroy ${c.destroy}${c.forget > 0 ? ` and forget ${c.forget}` : ""}.`, "");
    }
    lines.push(...renderResources("Changed outside Terraform", report.drifted, acceptances));
    lines.push(...renderResources("Not applied yet (the configuration changed; nothing changed outside Terraform)", report.unapplied, acceptances));
    if (report.outputs.length > 0) lines.push(`**Outputs an apply would change:** ${report.outputs.map(code).join(", ")}`, "");
    if (report.expiredAcceptances.length > 0) {
      lines.push(`**Expired acceptances**${options.acceptedFile === undefined ? "" : ` in ${code(options.acceptedFile)}`}`, "");
      for (const a of report.expiredAcceptances) lines.push(`- ${describeAcceptance(a)}`);
      lines.push("");
    }
    lines.push(...renderResources(`Accepted${options.acceptedFile === undefined ? "" : ` (${options.acceptedFile})`}`, report.accepted, acceptances));
    lines.push(...renderResources("Changed outside Terraform, nothing planned (attributes the configuration ignores or does not set)", report.unmanaged, acceptances));
    if (report.unusedAcceptances.length > 0) {
      lines.push("**Acceptances that matched nothing** (remove them once the drift is gone for good)", "");
      for (const a of report.unusedAcceptances) lines.push(`- ${describeAcceptance(a)}`);
      lines.push("");
    }
  }
  if (options.footer !== undefined && options.footer.length > 0) lines.push(...options.footer, "");
  return lines.join("\n").trimEnd() + "\n";
}

// --- command line -------------------------------------------------------------------------------

/** Reads the plan a drift check left, tolerating a missing one (the report then says error). */
export function readDriftPlan(file: string): DriftPlanJson | undefined {
  return existsSync(file) ? (readPlanFile(file) as DriftPlanJson) : undefined;
}

/** Parses `--exit-code`: empty (nothing recorded) is undefined; anything but an integer is refused. */
export function parseExitCode(text: string | undefined): number | undefined {
  const trimmed = (text ?? "").trim();
  if (trimmed === "") return undefined;
  if (!/^\d+$/.test(trimmed)) throw new Error(`--exit-code '${trimmed}' is not a number`);
  return Number(trimmed);
}

const USAGE = "usage: drift-summary --exit-code <n> [--accepted <accepted-drift.yaml>] [--title <text>] [--json <report.json>] [<stack>=]<plan.json>";

function main(argv: readonly string[]): number {
  const { values, positionals } = parseArgs({
    args: [...argv],
    options: {
      "exit-code": { type: "string" },
      accepted: { type: "string" },
      title: { type: "string" },
      json: { type: "string" },
    },
    allowPositionals: true,
  });
  if (positionals.length !== 1 || values["exit-code"] === undefined) throw new Error(USAGE);
  const { stack, file } = parsePlanArgument(positionals[0]);
  const terraformExitCode = parseExitCode(values["exit-code"]);
  let acceptances: Acceptance[] = [];
  let report: DriftReport;
  try {
    acceptances = values.accepted === undefined ? [] : loadAcceptedDrift(values.accepted);
    const plan = terraformExitMeaning(terraformExitCode) === "error" ? undefined : readDriftPlan(file);
    report = checkDrift({ stack, terraformExitCode, plan, acceptances });
  } catch (error) {
    // A broken accepted-drift file or plan still gets a summary that says what is wrong.
    report = errorReport(stack, terraformExitCode, (error as Error).message);
  }
  if (values.json !== undefined) writeFileSync(values.json, `${JSON.stringify(report, null, 2)}\n`);
  process.stdout.write(renderDriftMarkdown(report, { title: values.title, acceptedFile: values.accepted, acceptances, footer: runFooter(process.env) }));
  return exitCodeFor(report.status);
}

if (require.main === module) {
  try {
    process.exitCode = main(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`drift-summary: ${(error as Error).message}\n`);
    process.exitCode = 1;
  }
}
