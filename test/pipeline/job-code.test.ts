import { mkdirSync, mkdtempSync, rmSync, unlinkSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { collectJobCode, parseRequirements } from "../../src/constructs/databricks/job-code";
import { BANK_ETL_CODE_PATHS } from "../../src/constructs/pipeline/bank-etl-job";
import { validationProblems } from "../../src/constructs/core/validation";
import { SparkBatchPipeline } from "../../src/constructs/pipeline/spark-batch-pipeline";
import { synthStack, SynthesizedStack } from "../helpers/synth";
import { buildPipelineStack, copyFixturePackage, problemKeys, synthPipeline } from "./pipeline-stack";

type Body = Record<string, unknown>;

/** Uploaded files as path -> content_base64. */
function uploads(synthesized: SynthesizedStack): Record<string, string> {
  return Object.fromEntries(Object.values(synthesized.resource.databricks_workspace_file ?? {}).map((body) => [body.path as string, body.content_base64 as string]));
}

function jobOf(synthesized: SynthesizedStack): Body {
  return Object.values(synthesized.resource.databricks_job)[0];
}

function warningsOf(pipeline: SparkBatchPipeline): string[] {
  return pipeline.job.node.metadata.filter((entry) => entry.type === "@cdktf/warn").map((entry) => String(entry.data));
}

const temporaryDirectories: string[] = [];
function fixtureCopy(): string {
  const directory = copyFixturePackage();
  temporaryDirectories.push(directory);
  return directory;
}
afterAll(() => {
  for (const directory of temporaryDirectories) rmSync(directory, { recursive: true, force: true });
});

describe("the uploaded job code", () => {
  it("changes the synthesized workspace file, and only that one, when a job file changes", () => {
    const codeDirectory = fixtureCopy();
    const before = synthPipeline({ codeDirectory });
    writeFileSync(join(codeDirectory, "bank_etl", "job.py"), 'def main() -> None:\n    print("fixture job, version 2")\n');
    const after = synthPipeline({ codeDirectory });

    const changed = Object.keys(uploads(after)).filter((path) => uploads(before)[path] !== uploads(after)[path]);
    expect(changed).toEqual(["/jobs/analytics-dev-quarterly-etl/bank_etl/job.py"]);
    expect(Buffer.from(uploads(after)["/jobs/analytics-dev-quarterly-etl/bank_etl/job.py"], "base64").toString("utf8")).toContain("version 2");
    expect((jobOf(after).tags as Record<string, string>)["code-version"]).not.toBe((jobOf(before).tags as Record<string, string>)["code-version"]);
  });

  it("synthesizes the same resources twice from unchanged code", () => {
    const codeDirectory = fixtureCopy();
    expect(synthPipeline({ codeDirectory }).resource.databricks_workspace_file).toEqual(synthPipeline({ codeDirectory }).resource.databricks_workspace_file);
  });

  it("uploads the entry script, the package's .py and .sql files and the requirements, in sorted order", () => {
    expect(Object.keys(uploads(synthPipeline({ codeDirectory: fixtureCopy() })))).toEqual([
      // Entry files that are not the package's own run through the launchers the package generates.
      "/jobs/analytics-dev-quarterly-etl/_guarded_check.py",
      "/jobs/analytics-dev-quarterly-etl/_guarded_load.py",
      "/jobs/analytics-dev-quarterly-etl/_guarded_maintain.py",
      "/jobs/analytics-dev-quarterly-etl/_guarded_migrate.py",
      "/jobs/analytics-dev-quarterly-etl/bank_etl/__init__.py",
      "/jobs/analytics-dev-quarterly-etl/bank_etl/job.py",
      "/jobs/analytics-dev-quarterly-etl/bank_etl/sql/V001__create_schema.sql",
      // The package's guard and provisioning task, beside code that is not the package's own.
      "/jobs/analytics-dev-quarterly-etl/deployment_guard.py",
      "/jobs/analytics-dev-quarterly-etl/quarterly_provision.py",
      "/jobs/analytics-dev-quarterly-etl/quarterly_roles.py",
      "/jobs/analytics-dev-quarterly-etl/requirements.txt",
      "/jobs/analytics-dev-quarterly-etl/run_check.py",
      "/jobs/analytics-dev-quarterly-etl/run_etl.py",
      "/jobs/analytics-dev-quarterly-etl/run_maintain.py",
      "/jobs/analytics-dev-quarterly-etl/run_migrate.py",
      // Not code: what the deploy decided about where the job's credentials may go.
      "/jobs/analytics-dev-quarterly-etl/deployment.json",
    ]);
  });

  it("leaves out tests, caches, hidden folders, local data, virtual environments and other file types", () => {
    const codeDirectory = fixtureCopy();
    const add = (relativePath: string) => {
      mkdirSync(join(codeDirectory, relativePath, ".."), { recursive: true });
      writeFileSync(join(codeDirectory, relativePath), "x = 1\n");
    };
    for (const path of ["bank_etl/tests/test_job.py", "bank_etl/__pycache__/job.cpython-311.pyc", "bank_etl/.data/rows.py", "bank_etl/venv/lib.py", "bank_etl/notes.md", "tests/test_run.py", "setup.py"]) add(path);
    expect(collectJobCode(codeDirectory, BANK_ETL_CODE_PATHS).map((file) => file.relativePath)).toEqual([
      "bank_etl/__init__.py",
      "bank_etl/job.py",
      "bank_etl/sql/V001__create_schema.sql",
      "requirements.txt",
      "run_check.py",
      "run_etl.py",
      "run_maintain.py",
      "run_migrate.py",
    ]);
    // Without a list, the whole directory's .py and .sql files ship (tests and caches still left out).
    expect(collectJobCode(codeDirectory).map((file) => file.relativePath)).toContain("setup.py");
  });

  it("runs the uploaded entry script from the configured workspace folder", () => {
    const synthesized = synthPipeline({ codeDirectory: fixtureCopy(), codeFolder: "/Applications/analytics-etl" });
    expect(Object.keys(uploads(synthesized))).toContain("/Applications/analytics-etl/run_etl.py");
    for (const task of jobOf(synthesized).task as Array<{ spark_python_task: { python_file: string } }>) {
      expect(task.spark_python_task.python_file).toMatch(/^\$\{databricks_workspace_file\..*\.workspace_path\}$/);
    }
  });
});

describe("the job's cluster libraries", () => {
  it("installs each pinned requirement as a PyPI library and warns about the rest", () => {
    const { stack, pipeline } = buildPipelineStack({ codeDirectory: fixtureCopy() });
    const [task] = jobOf(synthStack(stack)).task as Array<{ library: Array<{ pypi: { package: string } }> }>;
    expect(task.library).toEqual([{ pypi: { package: "psycopg[binary]==3.3.9" } }, { pypi: { package: "python-calamine==0.9.1" } }]);
    expect(warningsOf(pipeline)).toEqual([expect.stringContaining('requirement "requests>=2"')]);
  });

  it("parses pins with extras, comments and blank lines", () => {
    expect(parseRequirements("# libraries\n\npsycopg[binary] == 3.3.9\nnumpy==2.1.0 # pinned\n-r other.txt\nfoo; python_version<'3.12'\n")).toEqual({
      pinned: ["psycopg[binary]==3.3.9", "numpy==2.1.0"],
      skipped: ["-r other.txt", "foo; python_version<'3.12'"],
    });
  });

  it("synthesizes without libraries, with a warning, when requirements.txt is missing", () => {
    const codeDirectory = fixtureCopy();
    unlinkSync(join(codeDirectory, "requirements.txt"));
    const { stack, pipeline } = buildPipelineStack({ codeDirectory });
    const [task] = jobOf(synthStack(stack)).task as Body[];
    expect(task.library).toBeUndefined();
    expect(warningsOf(pipeline)).toEqual([expect.stringContaining("requirements.txt not found")]);
  });

  it("refuses a code directory that does not exist, as an error", () => {
    const missing = join(mkdtempSync(join(tmpdir(), "no-code-")), "spark");
    temporaryDirectories.push(join(missing, ".."));
    const { stack } = buildPipelineStack({ codeDirectory: missing });
    expect(problemKeys(validationProblems(stack))).toContainEqual({ construct: "BatchJob", prop: "codeDirectory" });
    expect(() => synthStack(stack)).toThrow(/codeDirectory/);
  });

  it("refuses a code directory that lacks a task's entry file, so the job never runs a file it does not upload", () => {
    const codeDirectory = fixtureCopy();
    unlinkSync(join(codeDirectory, "run_migrate.py"));
    const { stack } = buildPipelineStack({ codeDirectory });
    expect(problemKeys(validationProblems(stack))).toEqual([{ construct: "BatchJob", prop: "deployTasks[0].entryFile" }]);
  });
});
