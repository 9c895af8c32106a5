import { transformFileSync } from "@swc/core";
import { spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { REPO_ROOT, expandTemplateFile } from "./azure-pipelines";

/**
 * Runs the drift pipeline's "Judge the <stack> drift" step, as expanded from drift.yml, with the
 * real drift-summary and plan-redact (compiled with swc into a stand-in checkout's lib/tools) over
 * the recorded plans, to see what a run reports, fails with and publishes.
 */
type Step = { script?: string; displayName?: string };
type Stage = { stage: string; jobs: Array<{ steps: Step[] }> };

const stages = (expandTemplateFile(".azure-devops/drift.yml") as { stages: Stage[] }).stages;
const judgeScript = (() => {
  const steps = stages.find((s) => s.stage === "plan_dev")?.jobs[0].steps ?? [];
  const step = steps.find((candidate) => candidate.displayName === "Judge the estate-dev drift");
  if (step?.script === undefined) throw new Error("drift.yml has no judging step for estate-dev");
  return step.script;
})();

const fixtures = path.join(REPO_ROOT, "test", "fixtures", "plan");
// The recorded plans mark every sensitive value with this prefix; none is a real secret.
const MARKER = "SENSITIVE-FIXTURE";

interface Run {
  status: number | null;
  stdout: string;
  report: string;
}

let root: string;
let checkout: string;

beforeAll(() => {
  root = mkdtempSync(path.join(tmpdir(), "drift-judge-"));
  checkout = path.join(root, "s");
  // The tools the step runs, and the modules they load (pr-comment loads the access matrix).
  const modules = [...["drift-summary", "plan-summary", "plan-redact", "pr-comment"].map((tool) => `tools/${tool}`), ...["access-matrix", "pipeline-identities", "resource-rights", "rights"].map((module) => `access/${module}`)];
  for (const module of modules) {
    const { code } = transformFileSync(path.join(REPO_ROOT, "src", `${module}.ts`), {
      jsc: { target: "es2022", parser: { syntax: "typescript" } },
      module: { type: "commonjs" },
    });
    mkdirSync(path.dirname(path.join(checkout, "lib", `${module}.js`)), { recursive: true });
    writeFileSync(path.join(checkout, "lib", `${module}.js`), code);
  }
  mkdirSync(path.join(checkout, ".azure-devops"));
});

afterAll(() => rmSync(root, { recursive: true, force: true }));

/**
 * Lays out what the earlier steps leave (plan.exitcode, plan.json, plan.txt in tfplan-estate-dev;
 * `undefined` leaves a file out) and runs the step in the stand-in checkout.
 */
function judge(files: { exitCode?: string; plan?: string; acceptedDrift?: string }): Run {
  const workspace = mkdtempSync(path.join(root, "w-"));
  const planDir = path.join(workspace, "tfplan-estate-dev");
  mkdirSync(planDir);
  if (files.exitCode !== undefined) writeFileSync(path.join(planDir, "plan.exitcode"), `${files.exitCode}\n`);
  if (files.plan !== undefined) {
    copyFileSync(path.join(fixtures, files.plan), path.join(planDir, "plan.json"));
    writeFileSync(path.join(planDir, "plan.txt"), "Terraform will perform the following actions:\n");
  }
  const acceptedDrift = files.acceptedDrift ?? path.join(REPO_ROOT, ".azure-devops", "accepted-drift.yaml");
  copyFileSync(acceptedDrift, path.join(checkout, ".azure-devops", "accepted-drift.yaml"));
  const script = judgeScript.split("$(Pipeline.Workspace)").join(workspace);
  expect(script).not.toMatch(/\$\([A-Za-z.]+\)/);
  const result = spawnSync("bash", ["-c", script], {
    cwd: checkout,
    encoding: "utf8",
    env: { PATH: process.env.PATH ?? "", HOME: root, NODE_PATH: path.join(REPO_ROOT, "node_modules") },
  });
  return { status: result.status, stdout: result.stdout, report: path.join(workspace, "drift-estate-dev") };
}

const read = (file: string) => readFileSync(file, "utf8");

describe("the drift pipeline's judging step", () => {
  it("passes when the plan found no drift", () => {
    const run = judge({ exitCode: "0", plan: "drift-none.plan.json" });
    expect(run.status).toBe(0);
    expect(read(path.join(run.report, "summary.md"))).toContain("**No drift.**");
    expect(run.stdout).not.toContain("##vso[build.addbuildtag]");
  });

  it("fails with exit 2, the build tag drift and an error naming the stack when the estate drifted", () => {
    const run = judge({ exitCode: "2", plan: "drift-attributes.plan.json" });
    expect(run.status).toBe(2);
    expect(run.stdout).toContain("##vso[build.addbuildtag]drift\n");
    expect(run.stdout).toContain("##vso[task.logissue type=error]Drift in estate-dev");
  });

  it("passes when every change is accepted in the checked-in file", () => {
    const run = judge({ exitCode: "2", plan: "drift-accepted.plan.json", acceptedDrift: path.join(fixtures, "accepted-drift.yaml") });
    expect(run.status).toBe(0);
    expect(read(path.join(run.report, "summary.md"))).toContain("**Only accepted drift.**");
  });

  it("fails the same plan as drift when nothing is accepted", () => {
    expect(judge({ exitCode: "2", plan: "drift-accepted.plan.json" }).status).toBe(2);
  });

  it("fails with exit 1 and the build tag drift-check-error, not as drift, when the plan left no exit code", () => {
    const run = judge({});
    expect(run.status).toBe(1);
    expect(run.stdout).toContain("##vso[build.addbuildtag]drift-check-error");
    expect(run.stdout).toContain("this is an error, not a drift result");
    expect(run.stdout).not.toContain("##vso[build.addbuildtag]drift\n");
    expect(read(path.join(run.report, "summary.md"))).toContain("recorded no exit code");
  });

  it("fails as an error when terraform plan failed", () => {
    const run = judge({ exitCode: "1" });
    expect(run.status).toBe(1);
    expect(read(path.join(run.report, "summary.md"))).toContain("terraform plan failed (exit 1)");
  });

  it("publishes the summary, the JSON report, plan.txt and plan.json with every sensitive value masked", () => {
    const run = judge({ exitCode: "2", plan: "drift-attributes.plan.json" });
    expect(read(path.join(fixtures, "drift-attributes.plan.json"))).toContain(MARKER);
    for (const file of ["summary.md", "drift.json", "plan.txt", "plan.json"]) {
      expect({ file, published: existsSync(path.join(run.report, file)) }).toEqual({ file, published: true });
      expect({ file, leaks: read(path.join(run.report, file)).includes(MARKER) }).toEqual({ file, leaks: false });
    }
    expect(JSON.parse(read(path.join(run.report, "drift.json"))).status).toBe("drift");
  });

  it("uploads the summary to the run's Extensions tab", () => {
    const run = judge({ exitCode: "0", plan: "drift-none.plan.json" });
    expect(run.stdout).toContain(`##vso[task.uploadsummary]${path.join(run.report, "summary.md")}`);
  });
});
