/**
 * The rules the plan and apply pipelines follow so that the first apply on a fresh subscription
 * works (docs/estate/cicd.md, docs/estate/deploying.md): no Microsoft-hosted agent anywhere in them, each
 * environment's jobs on that environment's pool, preflight before every plan, and the approval of
 * the NCC's private endpoints after every apply. Each check returns the problems it finds, so a
 * test can also feed it a deliberately broken pipeline and see the problem named.
 */
import * as path from "node:path";
import { readPipelineYaml, REPO_ROOT } from "./azure-pipelines";

type Mapping = Record<string, unknown>;
export interface Step extends Mapping {
  task?: string;
  script?: string;
  inputs?: Mapping;
  env?: Mapping;
}
export interface Job extends Mapping {
  job?: string;
  deployment?: string;
  pool?: unknown;
  steps?: Step[];
  strategy?: { runOnce: { deploy: { steps: Step[] } } };
}
export interface Stage extends Mapping {
  stage: string;
  jobs: Job[];
}

export const ENVIRONMENTS = ["dev", "test", "prod"] as const;
export type Environment = (typeof ENVIRONMENTS)[number];
/** The pipelines that plan or apply: everything in them must run on a self-hosted pool. */
export const PLAN_APPLY_PIPELINES = [".azure-devops/pr-plan.yml", ".azure-devops/deploy.yml", ".azure-devops/drift.yml"];
/**
 * The environments each pipeline plans. Pull requests never plan prod: no identity of prod runs a
 * pull request's code (docs/estate/cicd.md); the deploy pipeline plans prod after the merge.
 */
export const PLANNED_ENVIRONMENTS: Readonly<Record<string, readonly Environment[]>> = {
  ".azure-devops/pr-plan.yml": ["dev", "test"],
  ".azure-devops/deploy.yml": ENVIRONMENTS,
  ".azure-devops/drift.yml": ENVIRONMENTS,
};
/** The pipeline parameter that names an environment's agent pool. */
export const poolParameter = (environment: Environment) => `${environment}AgentPool`;

const isMapping = (node: unknown): node is Mapping => typeof node === "object" && node !== null && !Array.isArray(node);
export const stepsOf = (job: Job): Step[] => job.steps ?? job.strategy?.runOnce.deploy.steps ?? [];

const TERRAFORM_SCRIPT = "$(Build.SourcesDirectory)/.azure-devops/scripts/terraform-stack.sh";
const APPROVAL_SCRIPT = "$(Build.SourcesDirectory)/.azure-devops/scripts/approve-lake-endpoints.sh";

/** The AzureCLI@2 step that runs terraform-stack.sh with `command` (plan, apply or the drift check's plan), if any. */
export function isTerraformStep(step: Step, command?: "plan" | "apply" | "drift"): boolean {
  if (step.task !== "AzureCLI@2" || step.inputs?.scriptPath !== TERRAFORM_SCRIPT) return false;
  return command === undefined || String(step.inputs.arguments ?? "").startsWith(`${command} `);
}

/** The stack a Terraform step works on, from its stack directory `.../tfplan-<stack>`. */
function stackOf(step: Step): string | undefined {
  return /tfplan-([\w-]+)"?$/.exec(String(step.inputs?.arguments ?? ""))?.[1];
}

// --- 1. no vmImage in the plan/apply pipelines or any template they use ---------------------

/**
 * Every `vmImage` key in a pipeline file and in every template it references, recursively
 * (templates resolve relative to the file that names them). `read` returns a file's parsed YAML;
 * tests pass one that returns a broken copy. Returns the problems and the files walked.
 */
export function vmImageProblems(file: string, read: (file: string) => unknown = readPipelineYaml): { problems: string[]; files: string[] } {
  const problems: string[] = [];
  const files: string[] = [];
  const visit = (relativeFile: string) => {
    if (files.includes(relativeFile)) return;
    files.push(relativeFile);
    const walk = (node: unknown, at: string) => {
      if (Array.isArray(node)) node.forEach((item, index) => walk(item, `${at}/${index}`));
      else if (isMapping(node)) {
        for (const [key, value] of Object.entries(node)) {
          if (key === "vmImage") problems.push(`${relativeFile}: ${at}/vmImage is '${String(value)}', a Microsoft-hosted agent`);
          if (key === "template" && typeof value === "string") {
            visit(path.relative(REPO_ROOT, path.join(REPO_ROOT, path.dirname(relativeFile), value)));
          }
          walk(value, `${at}/${key}`);
        }
      }
    };
    walk(read(relativeFile), "");
  };
  visit(file);
  return { problems, files };
}

// --- 2. each environment's plan and apply jobs run on that environment's pool ------------------

const poolName = (pool: unknown): string | undefined =>
  typeof pool === "string" ? pool : isMapping(pool) && typeof pool.name === "string" ? pool.name : undefined;

/**
 * Every job of an expanded plan/apply pipeline names a pool (no job falls back to a default or
 * hosted pool), and the jobs of stages plan_<env> and apply_<env> run on `pools[env]`, the value
 * the pipeline's per-environment pool parameter was given.
 */
export function agentPoolProblems(stages: readonly Stage[], pools: Readonly<Partial<Record<Environment, string>>>, environments: readonly Environment[] = ENVIRONMENTS): string[] {
  const problems: string[] = [];
  const covered = new Set<Environment>();
  for (const stage of stages) {
    const environment = /^(?:plan|apply)_(\w+)$/.exec(stage.stage)?.[1] as Environment | undefined;
    for (const job of stage.jobs) {
      const name = poolName(job.pool);
      const label = `${stage.stage}/${job.job ?? job.deployment ?? "?"}`;
      if (name === undefined) problems.push(`${label} names no agent pool`);
      else if (environment !== undefined && name !== pools[environment]) {
        problems.push(`${label} runs on pool '${name}', not ${poolParameter(environment)}'s '${pools[environment]}'`);
      }
      if (isMapping(job.pool) && "vmImage" in job.pool) problems.push(`${label} asks for vmImage '${String(job.pool.vmImage)}'`);
    }
    if (environment !== undefined) covered.add(environment);
  }
  for (const environment of environments) if (!covered.has(environment)) problems.push(`no plan or apply stage for ${environment}`);
  return problems;
}

// --- 3. preflight runs before every plan -------------------------------------------------------

/** In every job that plans (a drift check plans too), `npm run preflight -- <the stack it plans>` runs before the plan step. */
export function preflightProblems(stages: readonly Stage[]): string[] {
  const problems: string[] = [];
  let plans = 0;
  for (const stage of stages) {
    for (const job of stage.jobs) {
      const steps = stepsOf(job);
      steps.forEach((step, index) => {
        if (!isTerraformStep(step, "plan") && !isTerraformStep(step, "drift")) return;
        plans += 1;
        const stack = stackOf(step);
        const preflight = steps.findIndex((candidate) => runsPreflight(candidate, stack));
        if (preflight === -1) problems.push(`${stage.stage}: no 'npm run preflight -- ${stack}' step before the plan`);
        else if (preflight > index) problems.push(`${stage.stage}: 'npm run preflight -- ${stack}' runs after the plan`);
      });
    }
  }
  if (plans === 0) problems.push("no plan step found");
  return problems;
}

/** A condition that the template makes false for good, such as `and(succeeded(), eq('true', 'false'))`. */
function neverRuns(step: Step): boolean {
  return [...String(step.condition ?? "").matchAll(/eq\('([^']*)', '([^']*)'\)/g)].some((match) => match[1] !== match[2]);
}

/** A step that runs preflight of `stack`: a script, or an AzureCLI@2 inline script (which adds the vCPU quota), that its condition lets run. */
function runsPreflight(step: Step, stack: string | undefined): boolean {
  if (neverRuns(step)) return false;
  const command = `npm run preflight -- ${stack}`;
  if (step.script?.trim() === command) return true;
  const inline = step.task === "AzureCLI@2" ? String(step.inputs?.inlineScript ?? "") : "";
  return inline.split("\n").some((line) => line.trim() === command || line.trim().startsWith(`${command} `));
}

// --- 4. the NCC's private endpoint connections are approved after every apply ------------------

/**
 * In every job that applies, an AzureCLI@2 step runs approve-lake-endpoints.sh after the apply,
 * as the same service connection, on the storage account id that the apply step exports from the
 * stack's `lake_account_id` output, also when the apply failed.
 */
export function approvalProblems(stages: readonly Stage[]): string[] {
  const problems: string[] = [];
  let applies = 0;
  for (const stage of stages) {
    for (const job of stage.jobs) {
      const steps = stepsOf(job);
      steps.forEach((step, index) => {
        if (!isTerraformStep(step, "apply")) return;
        applies += 1;
        const exported = String(step.env?.TF_EXPORT_OUTPUTS ?? "").split(/\s+/);
        if (!exported.includes("lake_account_id")) problems.push(`${stage.stage}: the apply step does not export the lake_account_id output`);
        if (!exported.includes("lake_ncc_endpoint_names")) problems.push(`${stage.stage}: the apply step does not export the lake_ncc_endpoint_names output`);
        const approval = steps.findIndex((candidate) => candidate.task === "AzureCLI@2" && candidate.inputs?.scriptPath === APPROVAL_SCRIPT);
        if (approval === -1) {
          problems.push(`${stage.stage}: no approval of the NCC's private endpoint connections`);
          return;
        }
        const approve = steps[approval];
        if (approval < index) problems.push(`${stage.stage}: the endpoint approval runs before the apply`);
        if (approve.inputs?.azureSubscription !== step.inputs?.azureSubscription) {
          problems.push(`${stage.stage}: the endpoint approval signs in as '${String(approve.inputs?.azureSubscription)}', not the apply's '${String(step.inputs?.azureSubscription)}'`);
        }
        if (!String(approve.env?.APPROVE_ENDPOINT_NAMES ?? "").includes("$(TF_OUTPUT_lake_ncc_endpoint_names)")) {
          problems.push(`${stage.stage}: the endpoint approval is not given the NCC rules' endpoint names (lake_ncc_endpoint_names)`);
        }
        if (!String(approve.inputs?.arguments ?? "").includes("$(TF_OUTPUT_lake_account_id)")) {
          problems.push(`${stage.stage}: the endpoint approval is not given the stack's lake_account_id output`);
        }
        // A first apply stopped by still-pending endpoints must get them approved all the same.
        if (approve.condition !== "succeededOrFailed()") {
          problems.push(`${stage.stage}: the endpoint approval is skipped when apply fails (condition '${String(approve.condition ?? "succeeded()")}')`);
        }
      });
    }
  }
  if (applies === 0) problems.push("no apply step found");
  return problems;
}
