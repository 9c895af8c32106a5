import { jobFileProblems, normaliseWorkspacePath, SynthesizedStack } from "./job-files";

const upload = (path: string) => ({ path, content_base64: "cHJpbnQoMSkK" });
const job = (...tasks: Record<string, unknown>[]) => ({ name: "job", task: tasks });

describe("the job-runs-an-uploaded-file check", () => {
  it("normalises workspace paths", () => {
    expect(normaliseWorkspacePath("/Workspace//bank-etl/dev/run_etl.py")).toBe("/bank-etl/dev/run_etl.py");
    expect(normaliseWorkspacePath("/bank-etl/dev/")).toBe("/bank-etl/dev");
    expect(normaliseWorkspacePath("/Workspaces/x.py")).toBe("/Workspaces/x.py");
  });

  it("accepts references to a workspace file's workspace_path and literal /Workspace paths", () => {
    const stack: SynthesizedStack = {
      resource: {
        databricks_workspace_file: { entry: upload("/bank-etl/dev/run_etl.py"), check: upload("/bank-etl/dev/run_check.py") },
        databricks_job: {
          quarterly: job(
            { task_key: "load", spark_python_task: { python_file: "${databricks_workspace_file.entry.workspace_path}", source: "WORKSPACE" } },
            { task_key: "check", spark_python_task: { python_file: "/Workspace/bank-etl/dev//run_check.py" } },
            { task_key: "again", spark_python_task: { python_file: "/Workspace${databricks_workspace_file.entry.path}" } },
          ),
        },
      },
    };
    expect(jobFileProblems("s", stack)).toEqual([]);
  });

  it("refuses a job that runs a file the stack does not upload", () => {
    const stack: SynthesizedStack = {
      resource: {
        databricks_workspace_file: { entry: upload("/bank-etl/dev/run_etl.py") },
        databricks_job: { quarterly: job({ task_key: "migrate", spark_python_task: { python_file: "/Workspace/bank-etl/dev/run_migrate.py" } }) },
      },
    };
    expect(jobFileProblems("s", stack)).toEqual([expect.stringMatching(/task\[migrate\]\.spark_python_task\.python_file \/Workspace\/bank-etl\/dev\/run_migrate\.py is not uploaded/)]);
  });

  it("refuses references to workspace files of another stack, non-workspace sources and missing python_file", () => {
    const stack: SynthesizedStack = {
      resource: {
        databricks_workspace_file: { entry: upload("/x/run.py") },
        databricks_job: {
          j: job(
            { task_key: "a", spark_python_task: { python_file: "${databricks_workspace_file.elsewhere.workspace_path}" } },
            { task_key: "b", spark_python_task: { python_file: "run.py", source: "GIT" } },
            { task_key: "c", spark_python_task: {} },
            { task_key: "d", for_each_task: { task: [{ task_key: "inner", spark_python_task: { python_file: "/Workspace/x/other.py" } }] } },
          ),
        },
      },
    };
    const problems = jobFileProblems("s", stack);
    expect(problems).toHaveLength(4);
    expect(problems.join("\n")).toMatch(/elsewhere, which this stack does not define/);
    expect(problems.join("\n")).toMatch(/source GIT/);
    expect(problems.join("\n")).toMatch(/task\[c\]\.spark_python_task\.python_file is missing/);
    expect(problems.join("\n")).toMatch(/task\[inner\]\.spark_python_task\.python_file \/Workspace\/x\/other\.py is not uploaded/);
  });
});
