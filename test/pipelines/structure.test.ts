import { expandTemplateFile } from "./azure-pipelines";

type Mapping = Record<string, unknown>;
interface Step extends Mapping {
  publish?: string;
  artifact?: string;
  displayName?: string;
  task?: string;
  script?: string;
  inputs?: Mapping;
  env?: Mapping;
  condition?: string;
}
interface Job extends Mapping {
  job?: string;
  deployment?: string;
  environment?: string;
  steps?: Step[];
  strategy?: { runOnce: { deploy: { steps: Step[] } } };
}
interface Stage extends Mapping {
  stage: string;
  dependsOn?: string | string[];
  condition?: string;
  jobs: Job[];
}

const stepsOf = (job: Job): Step[] => job.steps ?? job.strategy?.runOnce.deploy.steps ?? [];
const allSteps = (stages: Stage[]): Step[] => stages.flatMap((stage) => stage.jobs.flatMap(stepsOf));
/** The AzureCLI@2 steps that run Terraform (the endpoint approval is the other AzureCLI@2 step). */
const azureCliSteps = (steps: Step[]) =>
  steps.filter((step) => step.task === "AzureCLI@2" && step.inputs?.scriptPath === "$(Build.SourcesDirectory)/.azure-devops/scripts/terraform-stack.sh");

const deployStages = (expandTemplateFile(".azure-devops/deploy.yml") as { stages: Stage[] }).stages;
const prPlanStages = (expandTemplateFile(".azure-devops/pr-plan.yml") as { stages: Stage[] }).stages;
const driftPipeline = expandTemplateFile(".azure-devops/drift.yml") as Mapping & { stages: Stage[] };
const driftStages = driftPipeline.stages;
const ciJobs = (expandTemplateFile(".azure-devops/ci.yml") as { jobs: Job[] }).jobs;
const stage = (stages: Stage[], name: string): Stage => {
  const found = stages.find((s) => s.stage === name);
  if (found === undefined) throw new Error(`no stage ${name}`);
  return found;
};

describe("the deploy pipeline", () => {
  it("runs build, then plan and apply per environment, dev before test before prod", () => {
    expect(deployStages.map((s) => [s.stage, s.dependsOn])).toEqual([
      ["build", undefined],
      ["plan_dev", "build"],
      ["apply_dev", "plan_dev"],
      ["plan_test", "apply_dev"],
      ["apply_test", "plan_test"],
      ["plan_prod", "apply_test"],
      ["apply_prod", "plan_prod"],
    ]);
  });

  it("runs prod's stages only for the main branch", () => {
    for (const name of ["plan_prod", "apply_prod"]) {
      expect(stage(deployStages, name).condition).toBe("and(succeeded(), eq(variables['Build.SourceBranch'], 'refs/heads/main'))");
    }
    for (const name of ["plan_dev", "apply_dev", "plan_test", "apply_test"]) {
      expect(stage(deployStages, name).condition).not.toContain("refs/heads/main");
    }
  });

  it.each(["dev", "test", "prod"])("applies %s in a deployment job bound to its Azure DevOps environment", (environment) => {
    const jobs = stage(deployStages, `apply_${environment}`).jobs;
    expect(jobs).toHaveLength(1);
    expect(jobs[0].deployment).toBe("apply");
    expect(jobs[0].environment).toBe(`estate-${environment}`);
  });

  it.each(["dev", "test", "prod"])("applies exactly the plan artifact that %s's plan stage published", (environment) => {
    const stack = `estate-${environment}`;
    const planSteps = stepsOf(stage(deployStages, `plan_${environment}`).jobs[0]);
    const applySteps = stepsOf(stage(deployStages, `apply_${environment}`).jobs[0]);
    const planDirectory = `$(Pipeline.Workspace)/tfplan-${stack}`;

    expect(planSteps).toContainEqual(expect.objectContaining({ publish: planDirectory, artifact: `tfplan-${stack}` }));
    expect(applySteps).toContainEqual(expect.objectContaining({ download: "current", artifact: `tfplan-${stack}` }));
    // The whole run's artifacts are not downloaded: only this stack's plan and the job-run tool.
    expect(applySteps.filter((step) => "download" in step).map((step) => step.artifact)).toEqual([`tfplan-${stack}`, "plan-tools"]);
    // Apply publishes the lake's id for the approval of the NCC's private endpoints after it, then the migrate job runs.
    expect(applySteps[applySteps.length - 2].inputs?.scriptPath).toBe("$(Build.SourcesDirectory)/.azure-devops/scripts/approve-lake-endpoints.sh");
    expect(String(applySteps[applySteps.length - 1].inputs?.inlineScript)).toContain("run-databricks-job.js");

    const [plan] = azureCliSteps(planSteps);
    const [apply] = azureCliSteps(applySteps);
    expect(plan.inputs?.arguments).toBe(`plan "${planDirectory}"`);
    expect(apply.inputs?.arguments).toBe(`apply "${planDirectory}"`);
    expect(apply.inputs?.azureSubscription).toBe(plan.inputs?.azureSubscription);
  });

  it.each(["dev", "test", "prod"])("keeps the saved plan in %s's artifact and masks plan.json", (environment) => {
    const steps = stepsOf(stage(deployStages, `plan_${environment}`).jobs[0]);
    const drop = steps.find((step) => step.script?.startsWith("rm -f") && step.script.endsWith("/tfplan\""));
    expect(drop?.condition).toBe("and(succeeded(), eq('true', 'false'))");
    expect(steps.some((step) => step.script?.includes("plan-redact.js"))).toBe(true);
  });

  it("plans with the state lock held and a refresh, as the apply identity", () => {
    for (const step of azureCliSteps(allSteps(deployStages))) {
      expect(step.env).toMatchObject({ TF_PLAN_LOCK: "true", TF_PLAN_REFRESH: "true" });
      expect(step.inputs?.azureSubscription).toMatch(/^estate-(dev|test|prod)$/);
    }
  });

  it.each(["dev", "test", "prod"])("checks the region's vCPU quota with az vm list-usage in %s's preflight, as the deploy identity", (environment) => {
    const steps = stepsOf(stage(deployStages, `plan_${environment}`).jobs[0]);
    const quota = steps.find((step) => step.task === "AzureCLI@2" && String(step.inputs?.inlineScript ?? "").includes("az vm list-usage"));
    expect(quota?.inputs?.azureSubscription).toBe(`estate-${environment}`);
    expect(quota?.condition).toBe("and(succeeded(), eq('true', 'true'))");
    expect(String(quota?.inputs?.inlineScript)).toContain(`npm run preflight -- estate-${environment} --vm-usage "$(Agent.TempDirectory)/vm-usage.json"`);
    expect(steps.find((step) => step.script === `npm run preflight -- estate-${environment}`)?.condition).toBe("and(succeeded(), eq('true', 'false'))");
  });
});

describe("the pull-request plan pipeline", () => {
  it("plans dev and test in parallel after synth, then comments once; never prod", () => {
    expect(prPlanStages.map((s) => [s.stage, s.dependsOn])).toEqual([
      ["build", undefined],
      ["plan_dev", "build"],
      ["plan_test", "build"],
      ["comment", ["plan_dev", "plan_test"]],
    ]);
  });

  it("plans as the -plan service connections, without refreshing and without taking the state lease", () => {
    const steps = azureCliSteps(allSteps(prPlanStages));
    expect(steps.map((step) => step.inputs?.azureSubscription)).toEqual(["estate-dev-plan", "estate-test-plan"]);
    for (const step of steps) expect(step.env).toMatchObject({ TF_PLAN_LOCK: "false", TF_PLAN_REFRESH: "false" });
  });

  it("synthesizes the pull request's code without reads of vault secrets, and the target branch for the access changes", () => {
    const steps = stepsOf(stage(prPlanStages, "build").jobs[0]);
    const synth = steps.find((step) => step.displayName === "npm run synth");
    expect(synth?.script).toContain(`if [ "true" = "true" ]; then`);
    expect(synth?.script).toContain(`export CDKTF_CONTEXT_JSON='{"azure-quarterly-batch:planWithoutSecrets":true}'`);
    const base = steps.find((step) => step.displayName === "Synthesize the target branch");
    expect(base?.condition).toBe("and(succeeded(), eq('true', 'true'), eq(variables['Build.Reason'], 'PullRequest'))");
    expect(base?.script).toContain('CDKTF_OUTDIR="$(Build.ArtifactStagingDirectory)/cdktf.base" npm run synth');
  });

  it("has no deployment job: a pull request never applies", () => {
    expect(prPlanStages.flatMap((s) => s.jobs).filter((job) => job.deployment !== undefined)).toEqual([]);
  });

  it("comments only on pull-request runs, with the job's access token, with the access changes of every stack", () => {
    const comment = stage(prPlanStages, "comment");
    expect(comment.condition).toBe("and(succeeded(), eq(variables['Build.Reason'], 'PullRequest'))");
    const post = stepsOf(comment.jobs[0]).find((step) => step.script?.includes("pr-comment.js"));
    expect(post?.env).toEqual({ SYSTEM_ACCESSTOKEN: "$(System.AccessToken)" });
    expect(post?.script).toContain("for stack in estate-dev estate-test; do");
    expect(post?.script).toContain("for stack in estate-dev estate-test estate-prod; do");
    expect(post?.script).toContain('--access-base "$(Pipeline.Workspace)/cdktf.base" --access-head "$(Pipeline.Workspace)/cdktf.out"');
  });

  it.each(["dev", "test"])("publishes the %s plan as text and masked JSON, without the saved plan", (environment) => {
    const steps = stepsOf(stage(prPlanStages, `plan_${environment}`).jobs[0]);
    const names = steps.map((step) => step.script ?? step.publish ?? step.task ?? step.download ?? step.checkout);
    const redact = names.findIndex((name) => String(name).includes("plan-redact.js"));
    const drop = steps.findIndex((step) => step.script === `rm -f "$(Pipeline.Workspace)/tfplan-estate-${environment}/tfplan"`);
    const publish = steps.findIndex((step) => step.publish === `$(Pipeline.Workspace)/tfplan-estate-${environment}`);
    expect(steps[drop].condition).toBe("and(succeeded(), eq('false', 'false'))");
    expect(steps[publish].artifact).toBe(`tfplan-estate-${environment}`);
    expect(redact).toBeGreaterThan(-1);
    expect(redact).toBeLessThan(publish);
    expect(drop).toBeLessThan(publish);
  });
});

describe("the drift pipeline", () => {
  const driftSteps = (environment: string) => stepsOf(stage(driftStages, `plan_${environment}`).jobs[0]);
  const judge = (environment: string) => {
    const found = driftSteps(environment).find((step) => step.script?.includes("drift-summary.js"));
    if (found === undefined) throw new Error(`no drift-summary step for ${environment}`);
    return found;
  };

  it("runs every Monday on main, also when nothing was pushed", () => {
    expect(driftPipeline.schedules).toEqual([
      { cron: "0 5 * * 1", displayName: "Weekly drift check", branches: { include: ["main"] }, always: "true" },
    ]);
  });

  it("runs only on its schedule (or by hand): no push or pull-request trigger", () => {
    expect(driftPipeline.trigger).toBe("none");
    expect(driftPipeline.pr).toBe("none");
  });

  it("checks every environment in parallel after synth", () => {
    expect(driftStages.map((s) => [s.stage, s.dependsOn])).toEqual([
      ["build", undefined],
      ["plan_dev", "build"],
      ["plan_test", "build"],
      ["plan_prod", "build"],
    ]);
  });

  it("plans as the -drift service connections, which run only reviewed code, without the state lock", () => {
    const steps = azureCliSteps(allSteps(driftStages));
    expect(steps.map((step) => step.inputs?.azureSubscription)).toEqual(["estate-dev-drift", "estate-test-drift", "estate-prod-drift"]);
    for (const step of steps) expect(step.env?.TF_PLAN_LOCK).toBe("false");
  });

  it.each(["dev", "test", "prod"])("plans %s with the drift command, which uses -detailed-exitcode", (environment) => {
    const [plan] = azureCliSteps(driftSteps(environment));
    expect(plan.inputs?.arguments).toBe(`drift "$(Pipeline.Workspace)/tfplan-estate-${environment}"`);
  });

  it("has no deployment job and no apply: a drift check only reads", () => {
    const jobs = driftStages.flatMap((s) => s.jobs);
    expect(jobs.filter((job) => job.deployment !== undefined)).toEqual([]);
    expect(azureCliSteps(allSteps(driftStages)).filter((step) => String(step.inputs?.arguments).startsWith("apply"))).toEqual([]);
  });

  it.each(["dev", "test", "prod"])("judges the %s plan against the checked-in accepted drift, also after a failed plan", (environment) => {
    const step = judge(environment);
    expect(step.condition).toBe("succeededOrFailed()");
    expect(step.script).toContain('--accepted ".azure-devops/accepted-drift.yaml"');
    expect(step.script).toContain(`plan_dir="$(Pipeline.Workspace)/tfplan-estate-${environment}"`);
    expect(step.script).toContain(`"estate-${environment}=$plan_dir/plan.json"`);
    expect(step.script).toContain('--exit-code "$exit_code"');
  });

  it.each(["dev", "test", "prod"])("publishes the %s report directory after the judging step, even when the check fails", (environment) => {
    const steps = driftSteps(environment);
    const publish = steps.find((step) => step.publish === `$(Pipeline.Workspace)/drift-estate-${environment}`);
    expect(publish).toMatchObject({ artifact: `drift-estate-${environment}`, condition: "succeededOrFailed()" });
    expect(steps.indexOf(judge(environment))).toBeLessThan(steps.indexOf(publish as Step));
    // The stack directory itself (with .terraform and the state-derived files) is never published.
    expect(steps.filter((step) => step.publish !== undefined).map((step) => step.publish)).toEqual([`$(Pipeline.Workspace)/drift-estate-${environment}`]);
  });
});

describe("every Terraform step", () => {
  const labelled = (pipeline: string, stages: Stage[]) =>
    stages.flatMap((s) => azureCliSteps(s.jobs.flatMap(stepsOf)).map((step) => [`${pipeline} ${s.stage}`, step] as const));
  const steps = [...labelled("deploy", deployStages), ...labelled("pr-plan", prPlanStages), ...labelled("drift", driftStages)];

  it("is one terraform-stack.sh AzureCLI@2 step per plan and apply stage", () => {
    expect(steps.map(([label]) => label)).toEqual([
      "deploy plan_dev", "deploy apply_dev", "deploy plan_test", "deploy apply_test", "deploy plan_prod", "deploy apply_prod",
      "pr-plan plan_dev", "pr-plan plan_test",
      "drift plan_dev", "drift plan_test", "drift plan_prod",
    ]);
  });

  it.each(steps)("signs in with workload identity federation in %s", (label, step) => {
    expect(step.inputs).toMatchObject({
      scriptType: "bash",
      scriptLocation: "scriptPath",
      scriptPath: "$(Build.SourcesDirectory)/.azure-devops/scripts/terraform-stack.sh",
      addSpnToEnvironment: "true",
    });
    expect(step.env).toMatchObject({
      ARM_USE_OIDC: "true",
      ARM_SUBSCRIPTION_ID: "$(ARM_SUBSCRIPTION_ID)",
      TF_EXPORT_OUTPUTS: label.includes("apply") ? "lake_account_id lake_ncc_endpoint_names databricks_workspace_url databricks_migrate_job_id" : "",
      SYSTEM_ACCESSTOKEN: "$(System.AccessToken)",
      SYSTEM_OIDCREQUESTURI: "$(System.OidcRequestUri)",
      DATABRICKS_AUTH_TYPE: "azure-cli",
    });
  });
});

describe("the CI pipeline", () => {
  const steps = stepsOf(ciJobs[0]);
  const scripts = steps.map((step) => step.script).filter((script) => script !== undefined);

  it("installs, lints, tests and synthesizes, in that order", () => {
    const order = ["npm ci --no-audit --no-fund", "npm run lint", "npm test", "npm run synth"].map((command) => scripts.indexOf(command));
    expect(order.every((index) => index >= 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
  });

  it("sets up Node 20, Python 3.11, Java 17, Go and PostgreSQL 15 for npm test", () => {
    const task = (name: string) => steps.find((step) => step.task === name)?.inputs;
    expect(task("NodeTool@0")?.versionSpec).toBe("20.x");
    expect(task("UsePythonVersion@0")?.versionSpec).toBe("3.11");
    expect(task("JavaToolInstaller@0")?.versionSpec).toBe("17");
    expect(task("GoTool@0")?.version).toMatch(/^1\.(2[6-9]|[3-9]\d)\.\d+$/);
    expect(scripts).toContain("bash .azure-devops/scripts/install-postgresql.sh 15");
  });

  it("publishes jest, pytest and policy-scan JUnit results even when tests fail", () => {
    const published = steps.filter((step) => step.task === "PublishTestResults@2");
    expect(published.map((step) => [step.inputs?.testResultsFiles, step.inputs?.testResultsFormat, step.condition])).toEqual([
      ["jest.xml", "JUnit", "succeededOrFailed()"],
      ["pytest.xml", "JUnit", "succeededOrFailed()"],
      ["policy.xml", "JUnit", "succeededOrFailed()"],
    ]);
    expect(published.every((step) => step.inputs?.searchFolder === "$(REPORTS_DIR)")).toBe(true);
  });

  it("publishes cdktf.out as a pipeline artifact", () => {
    expect(steps).toContainEqual(expect.objectContaining({ publish: "cdktf.out", artifact: "cdktf.out" }));
  });
});

describe("expandTemplateFile", () => {
  const stackStep = ".azure-devops/templates/steps/terraform-stack.yml";
  const valid = { command: "plan", stack: "estate-dev", stackDirectory: "/tmp/x", serviceConnection: "estate-dev" };

  it("rejects a parameter the template does not declare", () => {
    expect(() => expandTemplateFile(stackStep, { ...valid, stackDir: "/tmp/x" })).toThrow("unexpected parameter(s) stackDir");
  });

  it("rejects a missing required parameter", () => {
    const incomplete = Object.fromEntries(Object.entries(valid).filter(([name]) => name !== "serviceConnection"));
    expect(() => expandTemplateFile(stackStep, incomplete)).toThrow("parameter serviceConnection is required");
  });

  it("rejects a value outside the declared values", () => {
    expect(() => expandTemplateFile(stackStep, { ...valid, command: "destroy" })).toThrow("not one of plan, apply, drift");
  });
});
