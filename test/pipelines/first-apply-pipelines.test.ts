import { expandTemplateFile, readPipelineYaml } from "./azure-pipelines";
import {
  agentPoolProblems,
  approvalProblems,
  ENVIRONMENTS,
  type Environment,
  isTerraformStep,
  PLAN_APPLY_PIPELINES,
  PLANNED_ENVIRONMENTS,
  poolParameter,
  preflightProblems,
  type Stage,
  stepsOf,
  vmImageProblems,
} from "./first-apply-rules";

type Mapping = Record<string, unknown>;
const stagesOf = (file: string, passed: Mapping = {}) => (expandTemplateFile(file, passed) as { stages: Stage[] }).stages;
const clone = <T>(value: T): T => structuredClone(value);
const stageNamed = (stages: Stage[], name: string): Stage => {
  const found = stages.find((s) => s.stage === name);
  if (found === undefined) throw new Error(`no stage ${name}`);
  return found;
};

/** The defaults of the pipeline's per-environment pool parameters, for the environments it has one for. */
function declaredPools(file: string): Partial<Record<Environment, string>> {
  const parameters = ((readPipelineYaml(file) as Mapping).parameters ?? []) as Array<{ name: string; default?: string }>;
  return Object.fromEntries(
    ENVIRONMENTS.flatMap((environment) => {
      const pool = parameters.find((p) => p.name === poolParameter(environment))?.default;
      return pool === undefined ? [] : [[environment, pool]];
    }),
  );
}

describe("rule 1: the plan and apply pipelines never use a Microsoft-hosted agent", () => {
  // The templates that hold each pipeline's jobs, which the walk must reach.
  const jobTemplates: Record<string, string[]> = {
    ".azure-devops/pr-plan.yml": ["synth.yml", "terraform-plan.yml"],
    ".azure-devops/deploy.yml": ["synth.yml", "terraform-plan.yml", "terraform-apply.yml"],
    ".azure-devops/drift.yml": ["synth.yml", "terraform-drift.yml"],
  };

  it.each(PLAN_APPLY_PIPELINES)("%s and every template it uses have no vmImage", (file) => {
    const { problems, files } = vmImageProblems(file);
    expect(problems).toEqual([]);
    expect(files).toEqual(expect.arrayContaining(jobTemplates[file].map((template) => `.azure-devops/templates/jobs/${template}`)));
  });

  it("catches a vmImage added to the pipeline itself", () => {
    const read = (file: string) => {
      const document = readPipelineYaml(file) as Mapping;
      return file === ".azure-devops/deploy.yml" ? { ...document, pool: { vmImage: "ubuntu-latest" } } : document;
    };
    expect(vmImageProblems(".azure-devops/deploy.yml", read).problems).toEqual([".azure-devops/deploy.yml: /pool/vmImage is 'ubuntu-latest', a Microsoft-hosted agent"]);
  });

  it("catches a vmImage in a template three references deep", () => {
    const apply = ".azure-devops/templates/jobs/terraform-apply.yml";
    const read = (file: string) => {
      const document = readPipelineYaml(file) as { jobs: Mapping[] };
      if (file !== apply) return document;
      const broken = clone(document);
      broken.jobs[0].pool = { vmImage: "ubuntu-latest" };
      return broken;
    };
    expect(vmImageProblems(".azure-devops/deploy.yml", read).problems).toEqual([`${apply}: /jobs/0/pool/vmImage is 'ubuntu-latest', a Microsoft-hosted agent`]);
  });

  it("lets CI, which only builds, tests and synthesizes, stay Microsoft-hosted", () => {
    expect(PLAN_APPLY_PIPELINES).not.toContain(".azure-devops/ci.yml");
    const ci = expandTemplateFile(".azure-devops/ci.yml") as { jobs: Array<Mapping & { steps: Mapping[] }> };
    expect(ci.jobs.flatMap((job) => job.steps).some((step) => isTerraformStep(step))).toBe(false);
  });
});

describe("rule 2: each environment's plan and apply jobs run on that environment's agent pool", () => {
  it.each(PLAN_APPLY_PIPELINES)("%s declares one pool parameter per environment it plans, with distinct defaults", (file) => {
    const pools = declaredPools(file);
    expect(Object.keys(pools)).toEqual([...PLANNED_ENVIRONMENTS[file]]);
    for (const environment of PLANNED_ENVIRONMENTS[file]) expect({ environment, pool: pools[environment] }).toEqual({ environment, pool: expect.stringMatching(/\S/) });
    expect(new Set(Object.values(pools)).size).toBe(PLANNED_ENVIRONMENTS[file].length);
  });

  it("pr-plan, deploy and drift default to the same pools", () => {
    const { dev, test } = declaredPools(".azure-devops/deploy.yml");
    expect(declaredPools(".azure-devops/pr-plan.yml")).toEqual({ dev, test });
    expect(declaredPools(".azure-devops/drift.yml")).toEqual(declaredPools(".azure-devops/deploy.yml"));
  });

  it.each(PLAN_APPLY_PIPELINES)("%s runs each environment's jobs on its pool parameter's default", (file) => {
    expect(agentPoolProblems(stagesOf(file), declaredPools(file), PLANNED_ENVIRONMENTS[file])).toEqual([]);
  });

  it.each(PLAN_APPLY_PIPELINES)("%s follows pools given at queue time", (file) => {
    const given = { dev: "pool-a", test: "pool-b", prod: "pool-c" };
    const passed = Object.fromEntries(PLANNED_ENVIRONMENTS[file].map((environment) => [poolParameter(environment), given[environment]]));
    const stages = stagesOf(file, passed);
    expect(agentPoolProblems(stages, given, PLANNED_ENVIRONMENTS[file])).toEqual([]);
    const last = PLANNED_ENVIRONMENTS[file][PLANNED_ENVIRONMENTS[file].length - 1];
    expect(stageNamed(stages, `plan_${last}`).jobs[0].pool).toEqual({ name: given[last] });
  });

  it("pr-plan never plans prod: no stage, no pool, no identity of prod runs a pull request's code", () => {
    const stages = stagesOf(".azure-devops/pr-plan.yml");
    expect(stages.map((s) => s.stage)).not.toContain("plan_prod");
    expect(JSON.stringify(stages)).not.toMatch(/estate-prod-(plan|drift|agents)|"estate-prod"/);
  });

  it("catches an environment's job on another environment's pool", () => {
    const stages = clone(stagesOf(".azure-devops/deploy.yml"));
    stageNamed(stages, "apply_prod").jobs[0].pool = { name: "estate-dev-agents" };
    expect(agentPoolProblems(stages, declaredPools(".azure-devops/deploy.yml"))).toEqual(["apply_prod/apply runs on pool 'estate-dev-agents', not prodAgentPool's 'estate-prod-agents'"]);
  });

  it("catches a job that names no pool, or a hosted image", () => {
    const stages = clone(stagesOf(".azure-devops/pr-plan.yml"));
    delete stageNamed(stages, "plan_test").jobs[0].pool;
    stageNamed(stages, "build").jobs[0].pool = { vmImage: "ubuntu-latest" };
    expect(agentPoolProblems(stages, declaredPools(".azure-devops/pr-plan.yml"), PLANNED_ENVIRONMENTS[".azure-devops/pr-plan.yml"])).toEqual([
      "build/synth names no agent pool",
      "build/synth asks for vmImage 'ubuntu-latest'",
      "plan_test/plan names no agent pool",
    ]);
  });
});

describe("rule 3: preflight runs before every plan", () => {
  it.each(PLAN_APPLY_PIPELINES)("%s runs npm run preflight -- <stack> before planning the stack", (file) => {
    const stages = stagesOf(file);
    expect(preflightProblems(stages)).toEqual([]);
    for (const environment of PLANNED_ENVIRONMENTS[file]) {
      const steps = stepsOf(stageNamed(stages, `plan_${environment}`).jobs[0]);
      const preflight = steps.findIndex((step) => step.script === `npm run preflight -- estate-${environment}` || String(step.inputs?.inlineScript ?? "").includes(`npm run preflight -- estate-${environment}`));
      // npm ci first: preflight runs the project's own code.
      expect(preflight).toBeGreaterThan(steps.findIndex((step) => step.script === "npm ci --no-audit --no-fund"));
    }
  });

  it("catches a plan without preflight", () => {
    const stages = clone(stagesOf(".azure-devops/pr-plan.yml"));
    const job = stageNamed(stages, "plan_dev").jobs[0];
    job.steps = stepsOf(job).filter((step) => !step.script?.startsWith("npm run preflight"));
    expect(preflightProblems(stages)).toEqual(["plan_dev: no 'npm run preflight -- estate-dev' step before the plan"]);
  });

  it("catches preflight moved after the plan", () => {
    const stages = clone(stagesOf(".azure-devops/deploy.yml"));
    const job = stageNamed(stages, "plan_prod").jobs[0];
    const steps = stepsOf(job);
    // The deploy's preflight is the AzureCLI@2 step that also checks the vCPU quota.
    const [preflight] = steps.splice(steps.findIndex((step) => String(step.inputs?.inlineScript ?? "").includes("npm run preflight")), 1);
    steps.push(preflight);
    expect(preflightProblems(stages)).toEqual(["plan_prod: 'npm run preflight -- estate-prod' runs after the plan"]);
  });

  it("counts no preflight whose condition the template makes false", () => {
    const stages = clone(stagesOf(".azure-devops/deploy.yml"));
    const job = stageNamed(stages, "plan_dev").jobs[0];
    job.steps = stepsOf(job).filter((step) => !String(step.inputs?.inlineScript ?? "").includes("npm run preflight"));
    expect(preflightProblems(stages)).toEqual(["plan_dev: no 'npm run preflight -- estate-dev' step before the plan"]);
  });

  it("catches a drift check's plan without preflight", () => {
    const stages = clone(stagesOf(".azure-devops/drift.yml"));
    const job = stageNamed(stages, "plan_prod").jobs[0];
    job.steps = stepsOf(job).filter((step) => !step.script?.startsWith("npm run preflight"));
    expect(preflightProblems(stages)).toEqual(["plan_prod: no 'npm run preflight -- estate-prod' step before the plan"]);
  });

  it("catches preflight of the wrong stack", () => {
    const stages = clone(stagesOf(".azure-devops/deploy.yml"));
    const step = stepsOf(stageNamed(stages, "plan_test").jobs[0]).find((s) => String(s.inputs?.inlineScript ?? "").includes("npm run preflight"));
    if (step === undefined || step.inputs === undefined) throw new Error("no preflight step");
    step.inputs.inlineScript = String(step.inputs.inlineScript).replace("npm run preflight -- estate-test", "npm run preflight -- estate-dev");
    expect(preflightProblems(stages)).toEqual(["plan_test: no 'npm run preflight -- estate-test' step before the plan"]);
  });
});

/** Where the endpoint approval step is among a job's steps. */
const approvalIndex = (steps: ReturnType<typeof stepsOf>) => steps.findIndex((step) => String((step.inputs as Mapping | undefined)?.scriptPath ?? "").endsWith("approve-lake-endpoints.sh"));

describe("rule 4: after every apply, the NCC's private endpoint connections on the lake are approved", () => {
  const deployStages = stagesOf(".azure-devops/deploy.yml");

  it("holds for every apply in deploy", () => {
    expect(approvalProblems(deployStages)).toEqual([]);
    for (const environment of ENVIRONMENTS) {
      const steps = stepsOf(stageNamed(deployStages, `apply_${environment}`).jobs[0]);
      const approval = steps[approvalIndex(steps)];
      expect(approval).toMatchObject({
        task: "AzureCLI@2",
        condition: "succeededOrFailed()",
        inputs: { azureSubscription: `estate-${environment}`, scriptType: "bash", arguments: '"$(TF_OUTPUT_lake_account_id)"' },
      });
    }
  });

  it.each([".azure-devops/pr-plan.yml", ".azure-devops/drift.yml"])("%s applies nothing, so approves nothing", (file) => {
    expect(approvalProblems(stagesOf(file))).toEqual(["no apply step found"]);
  });

  it("catches an apply without the approval", () => {
    const stages = clone(deployStages);
    const job = stageNamed(stages, "apply_test").jobs[0];
    const steps = stepsOf(job);
    steps.splice(approvalIndex(steps), 1);
    expect(approvalProblems(stages)).toEqual(["apply_test: no approval of the NCC's private endpoint connections"]);
  });

  it("catches the approval moved before the apply", () => {
    const stages = clone(deployStages);
    const steps = stepsOf(stageNamed(stages, "apply_dev").jobs[0]);
    const [approval] = steps.splice(approvalIndex(steps), 1);
    if (approval === undefined) throw new Error("no steps");
    steps.splice(steps.findIndex((step) => isTerraformStep(step, "apply")), 0, approval);
    expect(approvalProblems(stages)).toEqual(["apply_dev: the endpoint approval runs before the apply"]);
  });

  it("catches an approval that is not given the NCC rules' endpoint names", () => {
    const stages = clone(deployStages);
    const steps = stepsOf(stageNamed(stages, "apply_prod").jobs[0]);
    delete steps[approvalIndex(steps)].env;
    expect(approvalProblems(stages)).toEqual(["apply_prod: the endpoint approval is not given the NCC rules' endpoint names (lake_ncc_endpoint_names)"]);
  });

  it("catches an approval as another identity, or without the lake's id", () => {
    const stages = clone(deployStages);
    const steps = stepsOf(stageNamed(stages, "apply_prod").jobs[0]);
    const approval = steps[approvalIndex(steps)];
    approval.inputs = { ...approval.inputs, azureSubscription: "estate-dev", arguments: "" };
    delete approval.condition;
    const apply = steps.find((step) => isTerraformStep(step, "apply"));
    if (apply === undefined) throw new Error("no apply");
    apply.env = { ...apply.env, TF_EXPORT_OUTPUTS: "" };
    expect(approvalProblems(stages)).toEqual([
      "apply_prod: the apply step does not export the lake_account_id output",
      "apply_prod: the apply step does not export the lake_ncc_endpoint_names output",
      "apply_prod: the endpoint approval signs in as 'estate-dev', not the apply's 'estate-prod'",
      "apply_prod: the endpoint approval is not given the stack's lake_account_id output",
      "apply_prod: the endpoint approval is skipped when apply fails (condition 'succeeded()')",
    ]);
  });
});

describe("rule 5: after every apply, the deploy runs the migrate job, which nobody else may start", () => {
  const deployStages = stagesOf(".azure-devops/deploy.yml");

  it.each(ENVIRONMENTS)("runs the %s migrate job after the apply and the endpoint approval, as the deploy identity", (environment) => {
    const steps = stepsOf(stageNamed(deployStages, `apply_${environment}`).jobs[0]);
    const apply = steps.findIndex((step) => isTerraformStep(step, "apply"));
    const migrate = steps.findIndex((step) => String((step.inputs as Mapping | undefined)?.inlineScript ?? "").includes("run-databricks-job.js"));
    expect(migrate).toBeGreaterThan(approvalIndex(steps));
    expect(approvalIndex(steps)).toBeGreaterThan(apply);
    const run = steps[migrate];
    expect((run.inputs as Mapping).azureSubscription).toBe(`estate-${environment}`);
    expect(String((run.inputs as Mapping).inlineScript)).toContain('--host "$(TF_OUTPUT_databricks_workspace_url)" --job-id "$(TF_OUTPUT_databricks_migrate_job_id)"');
    expect(String(steps[apply].env?.TF_EXPORT_OUTPUTS).split(" ")).toEqual(expect.arrayContaining(["databricks_workspace_url", "databricks_migrate_job_id"]));
    // A failed apply stops here: the default condition.
    expect(run.condition).toBeUndefined();
  });

  it("runs no migrate job in a pull request's plan or the drift check", () => {
    for (const file of [".azure-devops/pr-plan.yml", ".azure-devops/drift.yml"]) expect(JSON.stringify(stagesOf(file))).not.toMatch(/run-databricks-job\.js\\?" --host/);
  });
});
