/**
 * "The job runs a file the stack does not upload": every `spark_python_task.python_file` of every
 * `databricks_job` in a synthesized stack must be a `databricks_workspace_file` of the same stack.
 */

type Json = Record<string, unknown>;

/** One stack's cdk.tf.json, as far as this check reads it. */
export interface SynthesizedStack {
  readonly resource?: Record<string, Record<string, Json>>;
}

/** `a//b/` -> `a/b`; the optional `/Workspace` prefix of a workspace path is dropped. */
export function normaliseWorkspacePath(value: string): string {
  const collapsed = value.replace(/\/{2,}/g, "/").replace(/(.)\/$/, "$1");
  return collapsed === "/Workspace" ? "/" : collapsed.replace(/^\/Workspace(?=\/)/, "");
}

/** Every `spark_python_task` block under a job, at any depth (tasks, for-each tasks, the legacy top level). */
function sparkPythonTasks(node: unknown, where: string, found: { where: string; task: Json }[]): void {
  if (Array.isArray(node)) {
    node.forEach((item: unknown, index) => {
      const taskKey = item && typeof item === "object" ? (item as Json).task_key : undefined;
      sparkPythonTasks(item, `${where}[${typeof taskKey === "string" ? taskKey : index}]`, found);
    });
  } else if (node && typeof node === "object") {
    for (const [key, value] of Object.entries(node as Json)) {
      if (key === "spark_python_task") for (const task of [value].flat()) found.push({ where: `${where}.${key}`, task: task as Json });
      else sparkPythonTasks(value, `${where}.${key}`, found);
    }
  }
}

/**
 * The problems of one stack, one message each; empty when every job runs only uploaded files.
 * `python_file` may be a literal workspace path or a reference to a workspace file's
 * `workspace_path` (or `path`) attribute; references are resolved within the stack first.
 */
export function jobFileProblems(stackName: string, stack: SynthesizedStack): string[] {
  const files = stack.resource?.databricks_workspace_file ?? {};
  const jobs = stack.resource?.databricks_job ?? {};
  const uploaded = new Set(Object.values(files).map((file) => normaliseWorkspacePath(String(file.path))));
  const problems: string[] = [];
  for (const [jobName, job] of Object.entries(jobs)) {
    const tasks: { where: string; task: Json }[] = [];
    sparkPythonTasks(job, `${stackName}: databricks_job.${jobName}`, tasks);
    for (const { where, task } of tasks) {
      const pythonFile = task.python_file;
      if (typeof pythonFile !== "string" || pythonFile === "") {
        problems.push(`${where}.python_file is missing`);
        continue;
      }
      const unknown: string[] = [];
      const resolved = pythonFile.replace(/\$\{databricks_workspace_file\.([^.}]+)\.(workspace_path|path)\}/g, (reference, name: string, attribute: string) => {
        const file = files[name];
        if (!file) {
          unknown.push(name);
          return reference;
        }
        return attribute === "workspace_path" ? `/Workspace/${String(file.path)}` : String(file.path);
      });
      if (unknown.length) {
        problems.push(`${where}.python_file ${pythonFile} refers to databricks_workspace_file ${unknown.join(", ")}, which this stack does not define`);
      } else if (task.source !== undefined && task.source !== "WORKSPACE") {
        problems.push(`${where} runs ${pythonFile} from source ${String(task.source)}, not a file this stack uploads`);
      } else if (!uploaded.has(normaliseWorkspacePath(resolved))) {
        problems.push(`${where}.python_file ${pythonFile} is not uploaded by any databricks_workspace_file in ${stackName} (uploaded: ${[...uploaded].sort().join(", ") || "none"})`);
      }
    }
  }
  return problems;
}
