/**
 * Posts the Terraform plan summary to an Azure DevOps pull request as ONE comment thread, and
 * updates that thread on every later push instead of adding new ones. The thread is recognised
 * by a hidden HTML marker in its first comment.
 *
 * All Azure DevOps REST calls live here (Git pull request threads, api-version 7.1), through an
 * injectable fetch so tests run without a network.
 *
 * The comment ends with the access changes the pull request makes (access/access-matrix.ts): for
 * each stack named with --access-stack, the rights its synthesized stack in --access-head grants or
 * takes away against the target branch's in --access-base. A stack without a plan (prod, which
 * pull requests never plan) is compared all the same.
 *
 * CLI (in a pull-request build, with SYSTEM_ACCESSTOKEN mapped into the step's env):
 *   node lib/tools/pr-comment.js [--access-base <cdktf.out> --access-head <cdktf.out> --access-stack <stack>...] [<stack>=]<plan.json>...
 */
import { existsSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { accessChanges, AccessChanges, accessMatrix, renderAccessChanges, StackJson } from "../access/access-matrix";
import { isDestructive, parsePlanArgument, renderMarkdown, runFooter, summarizePlanFiles } from "./plan-summary";

export { runFooter } from "./plan-summary";

/** Hidden marker that identifies the plan-summary thread among a pull request's threads. */
export const PLAN_SUMMARY_MARKER = "<!-- estate-plan-summary -->";

const API_VERSION = "7.1";

/** Azure DevOps comment thread statuses (CommentThreadStatus), as the REST API numbers them. */
export const ThreadStatus = { active: 1, closed: 4 } as const;
export type ThreadStatusName = keyof typeof ThreadStatus;

export interface PullRequestRef {
  /** Organisation URL, e.g. `https://dev.azure.com/contoso/` (the pipeline's System.CollectionUri). */
  readonly collectionUri: string;
  /** Project name or ID. */
  readonly project: string;
  /** Repository name or ID. */
  readonly repositoryId: string;
  readonly pullRequestId: number;
}

export interface ThreadClientOptions {
  /** The pipeline's System.AccessToken (or any bearer token allowed to contribute to pull requests). */
  readonly accessToken: string;
  /** Defaults to Node's global fetch; tests pass a stub. */
  readonly fetch?: typeof fetch;
}

export interface MarkedThreadContent {
  /** Markdown of the comment; the marker is prepended when missing. */
  readonly content: string;
  readonly marker: string;
  /** `active` asks reviewers to resolve the thread (e.g. a plan that destroys); `closed` is informational. */
  readonly status: ThreadStatusName;
}

export interface UpsertResult {
  readonly action: "created" | "updated";
  readonly threadId: number;
}

interface CommentJson {
  readonly id: number;
  readonly content?: string;
  readonly isDeleted?: boolean;
}

interface ThreadJson {
  readonly id: number;
  readonly status?: string | number;
  readonly isDeleted?: boolean;
  readonly comments?: readonly CommentJson[];
}

function threadsUrl(pr: PullRequestRef, suffix = ""): string {
  const base = pr.collectionUri.endsWith("/") ? pr.collectionUri : `${pr.collectionUri}/`;
  return (
    `${base}${encodeURIComponent(pr.project)}/_apis/git/repositories/${encodeURIComponent(pr.repositoryId)}` +
    `/pullRequests/${pr.pullRequestId}/threads${suffix}?api-version=${API_VERSION}`
  );
}

async function call<T>(options: ThreadClientOptions, method: string, url: string, body?: unknown): Promise<T> {
  const doFetch = options.fetch ?? fetch;
  const response = await doFetch(url, {
    method,
    headers: {
      Authorization: `Bearer ${options.accessToken}`,
      Accept: "application/json",
      ...(body === undefined ? {} : { "Content-Type": "application/json" }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!response.ok) {
    const detail = (await response.text()).replace(/\s+/g, " ").slice(0, 300);
    const where = url.replace(/\?.*$/, "");
    throw new Error(`Azure DevOps ${method} ${where} failed with HTTP ${response.status}: ${detail}`);
  }
  return (await response.json()) as T;
}

/** The first (opening) comment of a thread: the one with the lowest id. */
function firstComment(thread: ThreadJson): CommentJson | undefined {
  return [...(thread.comments ?? [])].sort((a, b) => a.id - b.id)[0];
}

function statusMatches(actual: string | number | undefined, wanted: ThreadStatusName): boolean {
  return actual === wanted || actual === ThreadStatus[wanted];
}

/** Finds the live thread whose first comment carries the marker, if any. */
export async function findMarkedThread(
  pr: PullRequestRef,
  marker: string,
  options: ThreadClientOptions,
): Promise<ThreadJson | undefined> {
  const { value } = await call<{ value: readonly ThreadJson[] }>(options, "GET", threadsUrl(pr));
  return value.find((thread) => {
    if (thread.isDeleted === true) return false;
    const comment = firstComment(thread);
    return comment !== undefined && comment.isDeleted !== true && (comment.content ?? "").includes(marker);
  });
}

/**
 * Creates the marked thread, or rewrites the first comment of the existing one (and sets its
 * status), so a pull request carries exactly one plan summary however often it is pushed.
 */
export async function upsertMarkedThread(
  pr: PullRequestRef,
  thread: MarkedThreadContent,
  options: ThreadClientOptions,
): Promise<UpsertResult> {
  const content = thread.content.includes(thread.marker) ? thread.content : `${thread.marker}\n${thread.content}`;
  const existing = await findMarkedThread(pr, thread.marker, options);
  if (existing === undefined) {
    const created = await call<ThreadJson>(options, "POST", threadsUrl(pr), {
      // commentType 1 = text; parentCommentId 0 = the thread's opening comment.
      comments: [{ parentCommentId: 0, content, commentType: 1 }],
      status: ThreadStatus[thread.status],
    });
    return { action: "created", threadId: created.id };
  }
  const comment = firstComment(existing) as CommentJson;
  await call(options, "PATCH", threadsUrl(pr, `/${existing.id}/comments/${comment.id}`), { content });
  if (!statusMatches(existing.status, thread.status)) {
    await call(options, "PATCH", threadsUrl(pr, `/${existing.id}`), { status: ThreadStatus[thread.status] });
  }
  return { action: "updated", threadId: existing.id };
}

/** Reads the pull request to comment on from the predefined variables of a pull-request build. */
export function pullRequestFromEnvironment(env: NodeJS.ProcessEnv): PullRequestRef & { accessToken: string } {
  const required = [
    "SYSTEM_COLLECTIONURI",
    "SYSTEM_TEAMPROJECTID",
    "BUILD_REPOSITORY_ID",
    "SYSTEM_PULLREQUEST_PULLREQUESTID",
    "SYSTEM_ACCESSTOKEN",
  ] as const;
  const missing = required.filter((name) => (env[name] ?? "") === "");
  if (missing.length > 0) {
    throw new Error(
      `not a pull-request build with System.AccessToken mapped to SYSTEM_ACCESSTOKEN: ${missing.join(", ")} unset`,
    );
  }
  const pullRequestId = Number(env.SYSTEM_PULLREQUEST_PULLREQUESTID);
  if (!Number.isInteger(pullRequestId) || pullRequestId <= 0) {
    throw new Error(`SYSTEM_PULLREQUEST_PULLREQUESTID is not a pull request number: ${env.SYSTEM_PULLREQUEST_PULLREQUESTID}`);
  }
  return {
    collectionUri: env.SYSTEM_COLLECTIONURI as string,
    project: env.SYSTEM_TEAMPROJECTID as string,
    repositoryId: env.BUILD_REPOSITORY_ID as string,
    pullRequestId,
    accessToken: env.SYSTEM_ACCESSTOKEN as string,
  };
}

/** A synthesized stack of a cdktf.out folder; undefined when the folder does not hold it (a new stack). */
function stackIn(outdir: string, stack: string): StackJson | undefined {
  const file = path.join(outdir, "stacks", stack, "cdk.tf.json");
  return existsSync(file) ? (JSON.parse(readFileSync(file, "utf8")) as StackJson) : undefined;
}

/** The access changes of each stack: its matrix in `head` against the one in `base`. */
export function stackAccessChanges(base: string, head: string, stacks: readonly string[]): AccessChanges[] {
  return stacks.map((stack) => {
    const after = stackIn(head, stack);
    if (!after) throw new Error(`${head} holds no stack ${stack}: there is no ${path.join(head, "stacks", stack, "cdk.tf.json")}`);
    const before = stackIn(base, stack);
    return accessChanges(before && accessMatrix(stack, before), accessMatrix(stack, after));
  });
}

/** The whole comment: the plan summary, then the access changes when there are any. */
export function commentContent(planSummary: string, changes: readonly AccessChanges[]): string {
  const access = renderAccessChanges(changes);
  return `${PLAN_SUMMARY_MARKER}\n${planSummary}${access ? `\n\n${access}` : ""}`;
}

async function main(argv: readonly string[]): Promise<void> {
  const usage = "usage: pr-comment [--access-base <cdktf.out> --access-head <cdktf.out> --access-stack <stack>...] [<stack>=]<plan.json>...";
  const { positionals, values } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    strict: true,
    options: { "access-base": { type: "string" }, "access-head": { type: "string" }, "access-stack": { type: "string", multiple: true } },
  });
  if (positionals.length === 0) throw new Error(usage);
  const accessStacks = values["access-stack"] ?? [];
  if (accessStacks.length > 0 && (values["access-base"] === undefined || values["access-head"] === undefined)) throw new Error(`--access-stack needs --access-base and --access-head; ${usage}`);
  const { accessToken, ...pr } = pullRequestFromEnvironment(process.env);
  const summaries = summarizePlanFiles(positionals.map(parsePlanArgument));
  const changes = accessStacks.length > 0 ? stackAccessChanges(values["access-base"] as string, values["access-head"] as string, accessStacks) : [];
  const content = commentContent(renderMarkdown(summaries, { footer: runFooter(process.env) }), changes);
  const status: ThreadStatusName = summaries.some(isDestructive) ? "active" : "closed";
  const result = await upsertMarkedThread(pr, { content, marker: PLAN_SUMMARY_MARKER, status }, { accessToken });
  process.stdout.write(`pr-comment: ${result.action} thread ${result.threadId} on pull request ${pr.pullRequestId} (${status})\n`);
}

if (require.main === module) {
  main(process.argv.slice(2)).catch((error: unknown) => {
    process.stderr.write(`pr-comment: ${(error as Error).message}\n`);
    process.exitCode = 1;
  });
}
