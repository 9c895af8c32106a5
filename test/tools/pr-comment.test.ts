import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { synthEnvironment } from "../helpers/synth";
import {
  PLAN_SUMMARY_MARKER,
  ThreadStatus,
  commentContent,
  findMarkedThread,
  stackAccessChanges,
  pullRequestFromEnvironment,
  runFooter,
  upsertMarkedThread,
  type PullRequestRef,
} from "../../src/tools/pr-comment";

const pr: PullRequestRef = {
  collectionUri: "https://dev.azure.com/contoso/",
  project: "Data Platform",
  repositoryId: "estate-repo",
  pullRequestId: 42,
};
const threadsPath = "https://dev.azure.com/contoso/Data%20Platform/_apis/git/repositories/estate-repo/pullRequests/42/threads";
// A placeholder, not a credential: the stubbed fetch only checks it is passed through.
const accessToken = "pipeline-access-token-placeholder";

interface RecordedCall {
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: unknown;
}

/** A fetch stub that answers from a queue of canned responses and records every request. */
function stubFetch(responses: Array<{ status?: number; json?: unknown; text?: string }>) {
  const calls: RecordedCall[] = [];
  const fetchStub = (async (input: string | URL | Request, init?: RequestInit) => {
    const next = responses.shift();
    if (next === undefined) throw new Error(`unexpected request ${init?.method} ${String(input)}`);
    calls.push({
      method: init?.method ?? "GET",
      url: String(input),
      headers: init?.headers as Record<string, string>,
      body: init?.body === undefined ? undefined : JSON.parse(String(init.body)),
    });
    const status = next.status ?? 200;
    return new Response(next.text ?? JSON.stringify(next.json ?? {}), {
      status,
      headers: { "Content-Type": "application/json" },
    });
  }) as typeof fetch;
  return { fetchStub, calls };
}

const otherThread = { id: 7, status: "active", comments: [{ id: 1, content: "Please rename this variable." }] };
const summaryThread = {
  id: 9,
  status: "closed",
  comments: [
    { id: 1, content: `${PLAN_SUMMARY_MARKER}\n### Terraform plan\nold` },
    { id: 2, content: "Looks fine to me." },
  ],
};

describe("upsertMarkedThread", () => {
  it("creates a thread with the marker when the pull request has none", async () => {
    const { fetchStub, calls } = stubFetch([{ json: { value: [otherThread], count: 1 } }, { json: { id: 11 } }]);
    const result = await upsertMarkedThread(
      pr,
      { content: "### Terraform plan\nnew", marker: PLAN_SUMMARY_MARKER, status: "closed" },
      { accessToken, fetch: fetchStub },
    );
    expect(result).toEqual({ action: "created", threadId: 11 });
    expect(calls.map((c) => `${c.method} ${c.url}`)).toEqual([
      `GET ${threadsPath}?api-version=7.1`,
      `POST ${threadsPath}?api-version=7.1`,
    ]);
    expect(calls[1].body).toEqual({
      comments: [{ parentCommentId: 0, content: `${PLAN_SUMMARY_MARKER}\n### Terraform plan\nnew`, commentType: 1 }],
      status: ThreadStatus.closed,
    });
  });

  it("updates the first comment of the marked thread instead of creating another", async () => {
    const { fetchStub, calls } = stubFetch([{ json: { value: [otherThread, summaryThread] } }, { json: { id: 1 } }]);
    const content = `${PLAN_SUMMARY_MARKER}\n### Terraform plan\nnew`;
    const result = await upsertMarkedThread(pr, { content, marker: PLAN_SUMMARY_MARKER, status: "closed" }, {
      accessToken,
      fetch: fetchStub,
    });
    expect(result).toEqual({ action: "updated", threadId: 9 });
    expect(calls.map((c) => `${c.method} ${c.url}`)).toEqual([
      `GET ${threadsPath}?api-version=7.1`,
      `PATCH ${threadsPath}/9/comments/1?api-version=7.1`,
    ]);
    expect(calls[1].body).toEqual({ content });
  });

  it("reopens the thread when the new plan needs attention", async () => {
    const { fetchStub, calls } = stubFetch([{ json: { value: [summaryThread] } }, { json: {} }, { json: {} }]);
    await upsertMarkedThread(pr, { content: "destroys", marker: PLAN_SUMMARY_MARKER, status: "active" }, {
      accessToken,
      fetch: fetchStub,
    });
    expect(calls[2].method).toBe("PATCH");
    expect(calls[2].url).toBe(`${threadsPath}/9?api-version=7.1`);
    expect(calls[2].body).toEqual({ status: ThreadStatus.active });
  });

  it("sends the access token as a bearer token on every request", async () => {
    const { fetchStub, calls } = stubFetch([{ json: { value: [] } }, { json: { id: 3 } }]);
    await upsertMarkedThread(pr, { content: "x", marker: PLAN_SUMMARY_MARKER, status: "closed" }, {
      accessToken,
      fetch: fetchStub,
    });
    for (const call of calls) expect(call.headers.Authorization).toBe(`Bearer ${accessToken}`);
  });

  it("reports a failed call with its status and path, without the query or the token", async () => {
    const { fetchStub } = stubFetch([{ status: 403, text: '{"message":"TF401027: You need the Git \'PullRequestContribute\' permission"}' }]);
    const attempt = upsertMarkedThread(pr, { content: "x", marker: PLAN_SUMMARY_MARKER, status: "closed" }, {
      accessToken,
      fetch: fetchStub,
    });
    await expect(attempt).rejects.toThrow(`Azure DevOps GET ${threadsPath} failed with HTTP 403: `);
    await expect(attempt).rejects.toThrow("PullRequestContribute");
    await expect(attempt).rejects.not.toThrow(accessToken);
  });
});

describe("findMarkedThread", () => {
  it("skips deleted threads and threads whose opening comment was deleted", async () => {
    const deletedThread = { ...summaryThread, id: 1, isDeleted: true };
    const deletedComment = { id: 2, comments: [{ id: 1, content: PLAN_SUMMARY_MARKER, isDeleted: true }] };
    const { fetchStub } = stubFetch([{ json: { value: [deletedThread, deletedComment, summaryThread] } }]);
    const found = await findMarkedThread(pr, PLAN_SUMMARY_MARKER, { accessToken, fetch: fetchStub });
    expect(found?.id).toBe(9);
  });

  it("ignores a marker quoted in a reply rather than the opening comment", async () => {
    const quoted = { id: 5, comments: [{ id: 1, content: "question" }, { id: 2, content: PLAN_SUMMARY_MARKER }] };
    const { fetchStub } = stubFetch([{ json: { value: [quoted] } }]);
    expect(await findMarkedThread(pr, PLAN_SUMMARY_MARKER, { accessToken, fetch: fetchStub })).toBeUndefined();
  });
});

describe("pullRequestFromEnvironment", () => {
  const env = {
    SYSTEM_COLLECTIONURI: "https://dev.azure.com/contoso/",
    SYSTEM_TEAMPROJECTID: "6ce954b1-ce1f-45d1-b94d-e6bf2464ba2c",
    BUILD_REPOSITORY_ID: "d3c1ba2e-6b1f-4b3b-8a2b-6f0e2f1b2c3d",
    SYSTEM_PULLREQUEST_PULLREQUESTID: "42",
    SYSTEM_ACCESSTOKEN: accessToken,
  };

  it("reads the pull request and token from the build's variables", () => {
    expect(pullRequestFromEnvironment(env)).toEqual({
      collectionUri: env.SYSTEM_COLLECTIONURI,
      project: env.SYSTEM_TEAMPROJECTID,
      repositoryId: env.BUILD_REPOSITORY_ID,
      pullRequestId: 42,
      accessToken,
    });
  });

  it("names every missing variable in one message", () => {
    expect(() => pullRequestFromEnvironment({ ...env, SYSTEM_ACCESSTOKEN: "", SYSTEM_PULLREQUEST_PULLREQUESTID: undefined })).toThrow(
      "SYSTEM_PULLREQUEST_PULLREQUESTID, SYSTEM_ACCESSTOKEN unset",
    );
  });

  it("rejects a pull request id that is not a number", () => {
    expect(() => pullRequestFromEnvironment({ ...env, SYSTEM_PULLREQUEST_PULLREQUESTID: "$(System.PullRequest.PullRequestId)" })).toThrow(
      "is not a pull request number",
    );
  });
});

describe("runFooter", () => {
  it("links the pipeline run and names the source commit", () => {
    const footer = runFooter({
      SYSTEM_COLLECTIONURI: "https://dev.azure.com/contoso/",
      SYSTEM_TEAMPROJECT: "Data Platform",
      BUILD_BUILDID: "1234",
      SYSTEM_PULLREQUEST_SOURCECOMMITID: "0123456789abcdef",
    });
    expect(footer).toEqual([
      "Planned by [pipeline run 1234](https://dev.azure.com/contoso/Data%20Platform/_build/results?buildId=1234) for commit `01234567`. Plans and `terraform show` output are in the run's artifacts.",
    ]);
  });

  it("is empty outside a pipeline", () => {
    expect(runFooter({})).toEqual([]);
  });
});

describe("the access changes in the comment", () => {
  /** A cdktf.out folder holding the given stacks. */
  function outdir(stacks: Record<string, unknown>): string {
    const dir = mkdtempSync(join(tmpdir(), "cdktf-out-"));
    for (const [name, stack] of Object.entries(stacks)) {
      mkdirSync(join(dir, "stacks", name), { recursive: true });
      writeFileSync(join(dir, "stacks", name, "cdk.tf.json"), JSON.stringify(stack));
    }
    return dir;
  }

  it("adds the grant a pull request makes to prod, which it does not plan, below the plan summary", () => {
    const base = synthEnvironment("prod");
    const head = JSON.parse(JSON.stringify(base));
    const catalog = Object.values(head.resource.databricks_grants as Record<string, { catalog?: string; grant: Array<{ principal: string; privileges: string[] }> }>).find((body) => body.catalog !== undefined);
    catalog!.grant.push({ principal: "auditors", privileges: ["USE_CATALOG", "SELECT"] });
    const [baseDir, headDir] = [outdir({ "estate-prod": base }), outdir({ "estate-prod": head })];
    try {
      const content = commentContent("| plan summary |", stackAccessChanges(baseDir, headDir, ["estate-prod"]));
      expect(content.startsWith(`${PLAN_SUMMARY_MARKER}\n| plan summary |`)).toBe(true);
      expect(content).toContain("**estate-prod**");
      expect(content).toContain("+ group auditors: SELECT on catalog bank_prod");
    } finally {
      rmSync(baseDir, { recursive: true, force: true });
      rmSync(headDir, { recursive: true, force: true });
    }
  });

  it("leaves the section out when nothing changes, and counts every right of a new stack as added", () => {
    const stack = synthEnvironment("dev");
    const [baseDir, headDir] = [outdir({ "estate-dev": stack }), outdir({ "estate-dev": stack, "estate-new": stack })];
    try {
      expect(commentContent("summary", stackAccessChanges(baseDir, headDir, ["estate-dev"]))).toBe(`${PLAN_SUMMARY_MARKER}\nsummary`);
      const [added] = stackAccessChanges(baseDir, headDir, ["estate-new"]);
      expect(added.removed).toEqual([]);
      expect(added.added.length).toBeGreaterThan(10);
      expect(() => stackAccessChanges(baseDir, headDir, ["estate-gone"])).toThrow("holds no stack estate-gone");
    } finally {
      rmSync(baseDir, { recursive: true, force: true });
      rmSync(headDir, { recursive: true, force: true });
    }
  });
});
