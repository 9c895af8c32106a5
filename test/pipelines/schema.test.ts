import { readFileSync } from "node:fs";
import * as path from "node:path";
import {
  DATA_YAML_FILES,
  PIPELINES_DIR,
  REPO_ROOT,
  SCHEMA_FILE,
  compilePipelineSchema,
  explainErrors,
  listFiles,
  listYamlFiles,
  parsePipelineYaml,
  readPipelineYaml,
  schemaTargetFor,
  type PipelineValidators,
} from "./azure-pipelines";

const yamlFiles = listYamlFiles();
const schema: unknown = JSON.parse(readFileSync(SCHEMA_FILE, "utf8"));
let validators: PipelineValidators;

beforeAll(() => {
  validators = compilePipelineSchema();
});

function validationProblems(document: unknown, target: ReturnType<typeof schemaTargetFor>): string[] {
  const errors = validators.validate(target, document);
  return errors.length === 0 ? [] : explainErrors(errors, document, schema);
}

describe("the .azure-devops YAML files", () => {
  it("include the four pipelines and their templates", () => {
    expect(yamlFiles).toEqual(
      expect.arrayContaining([
        ".azure-devops/ci.yml",
        ".azure-devops/pr-plan.yml",
        ".azure-devops/deploy.yml",
        ".azure-devops/drift.yml",
        ".azure-devops/templates/stages/drift.yml",
        ".azure-devops/templates/jobs/terraform-drift.yml",
        ".azure-devops/templates/stages/environment.yml",
        ".azure-devops/templates/jobs/terraform-plan.yml",
        ".azure-devops/templates/jobs/terraform-apply.yml",
        ".azure-devops/templates/steps/terraform-stack.yml",
      ]),
    );
  });

  it("leave out only the accepted-drift list, which is data, not a pipeline", () => {
    const allYaml = listFiles(PIPELINES_DIR, (file) => /\.ya?ml$/.test(file));
    expect(allYaml.filter((file) => !yamlFiles.includes(file))).toEqual(DATA_YAML_FILES);
    expect(DATA_YAML_FILES).toEqual([".azure-devops/accepted-drift.yaml"]);
  });

  it.each(yamlFiles)("%s validates against the Azure Pipelines schema", (file) => {
    const document = readPipelineYaml(file);
    const target = schemaTargetFor(file, document);
    expect({ file, target, problems: validationProblems(document, target) }).toEqual({ file, target, problems: [] });
  });
});

describe("the schema validation", () => {
  const validStep = `
steps:
  - task: AzureCLI@2
    inputs:
      azureSubscription: estate-dev
      scriptType: bash
      scriptLocation: inlineScript
      inlineScript: az account show
      addSpnToEnvironment: true
`;

  it("accepts a well-formed steps template", () => {
    expect(validationProblems(parsePipelineYaml(validStep, "valid"), "stepsTemplate")).toEqual([]);
  });

  it("catches a misspelt task input", () => {
    const misspelt = validStep.replace("addSpnToEnvironment", "addSpnToEnviroment");
    expect(validationProblems(parsePipelineYaml(misspelt, "misspelt"), "stepsTemplate")).toEqual([
      "/steps/0/inputs: must NOT have additional properties 'addSpnToEnviroment'",
    ]);
  });

  it("catches a misspelt task name", () => {
    const misspelt = validStep.replace("AzureCLI@2", "AzureCli2@2");
    expect(validationProblems(parsePipelineYaml(misspelt, "misspelt"), "stepsTemplate")).toEqual([
      "/steps/0: unknown task 'AzureCli2@2'",
    ]);
  });

  it("catches a value outside a task input's allowed values", () => {
    const wrong = validStep.replace("scriptType: bash", "scriptType: zsh");
    expect(validationProblems(parsePipelineYaml(wrong, "wrong"), "stepsTemplate")).toContain(
      "/steps/0/inputs/scriptType: must be equal to one of the allowed values",
    );
  });

  it("catches a job key in a steps template", () => {
    const wrong = `${validStep}    timeoutInMinutes: 5\n    pool: default\n`;
    expect(validationProblems(parsePipelineYaml(wrong, "wrong"), "stepsTemplate").length).toBeGreaterThan(0);
  });

  it("picks the template definition from the top-level key", () => {
    const template = ".azure-devops/templates/x.yml";
    expect(schemaTargetFor(template, { steps: [] })).toBe("stepsTemplate");
    expect(schemaTargetFor(template, { parameters: [], jobs: [] })).toBe("jobsTemplate");
    expect(schemaTargetFor(template, { stages: [] })).toBe("stagesTemplate");
    expect(schemaTargetFor(".azure-devops/ci.yml", { steps: [] })).toBe("pipeline");
    expect(() => schemaTargetFor(template, { variables: {} })).toThrow("a template needs a top-level steps, jobs or stages key");
  });

  it("refuses YAML with a duplicate key", () => {
    expect(() => parsePipelineYaml("steps: []\nsteps: []\n", "dup.yml")).toThrow("dup.yml:");
  });
});

describe("secrets in .azure-devops", () => {
  const allFiles = listFiles(PIPELINES_DIR);
  const read = (file: string) => readFileSync(path.join(REPO_ROOT, file), "utf8");

  it.each(allFiles)("%s never mentions ARM_CLIENT_SECRET or a client secret", (file) => {
    const text = read(file);
    expect(text).not.toMatch(/ARM_CLIENT_SECRET/i);
    expect(text).not.toMatch(/client[_\s-]?secret/i);
  });

  // Inputs and env names through which a task or Terraform would take a secret.
  const secretKey = /^(ARM_CLIENT_SECRET|ARM_CLIENT_CERTIFICATE_PASSWORD|servicePrincipalKey|clientSecret|client_secret|azure_client_secret|DATABRICKS_CLIENT_SECRET|DATABRICKS_TOKEN)$/i;

  function secretKeys(node: unknown, at: string): string[] {
    if (Array.isArray(node)) return node.flatMap((item, index) => secretKeys(item, `${at}/${index}`));
    if (typeof node !== "object" || node === null) return [];
    return Object.entries(node).flatMap(([key, value]) => [
      ...(secretKey.test(key) ? [`${at}/${key}`] : []),
      ...secretKeys(value, `${at}/${key}`),
    ]);
  }

  it.each(yamlFiles)("%s has no client-secret input or env", (file) => {
    expect(secretKeys(readPipelineYaml(file), "")).toEqual([]);
  });

  it("detects a client secret passed to a step", () => {
    const leaky = parsePipelineYaml("steps:\n  - script: terraform plan\n    env:\n      ARM_CLIENT_SECRET: $(sp-secret)\n", "leaky");
    expect(secretKeys(leaky, "")).toEqual(["/steps/0/env/ARM_CLIENT_SECRET"]);
  });
});
