#!/usr/bin/env node
/**
 * Runs a Databricks job once and waits for it: the deploy pipeline runs a pipeline's migrate job
 * (its deploy job, the one that holds the server administrator's credential) after each apply.
 *
 *   DATABRICKS_TOKEN=<Entra token for 2ff814a6-3304-4ab8-85cb-cd0e6f879c1d> \
 *   node lib/tools/run-databricks-job.js --host https://adb-….azuredatabricks.net --job-id 123 [--timeout-minutes 60] [--poll-seconds 20]
 *
 * Jobs API 2.2: POST /api/2.2/jobs/run-now, then GET /api/2.2/jobs/runs/get until the run's
 * life-cycle state is terminal. Prints each state the run passes through; exits 0 when it
 * succeeded, 1 when it failed, was cancelled or timed out (the run is cancelled then), 2 on a
 * usage error. The token is read from the environment only, never from an argument. Plain Node.js
 * with no dependency, so the pipeline runs it from the plan-tools artifact.
 */
import { parseArgs } from "node:util";

/** The Azure Databricks application, whose Entra tokens the workspace accepts. */
export const AZURE_DATABRICKS_RESOURCE = "2ff814a6-3304-4ab8-85cb-cd0e6f879c1d";

const TERMINAL = new Set(["TERMINATED", "SKIPPED", "INTERNAL_ERROR"]);

interface RunState {
  readonly life_cycle_state?: string;
  readonly result_state?: string;
  readonly state_message?: string;
}

export interface RunJobOptions {
  readonly host: string;
  readonly jobId: number;
  readonly token: string;
  readonly timeoutMinutes: number;
  readonly pollSeconds: number;
  /** Where progress goes. */
  readonly log: (line: string) => void;
  /** Defaults to the global fetch; tests pass a stub server's address instead of a real host. */
  readonly fetch?: typeof fetch;
  /** Defaults to a real timer. */
  readonly sleep?: (milliseconds: number) => Promise<void>;
}

async function call<T>(options: RunJobOptions, method: "GET" | "POST", path: string, body?: unknown): Promise<T> {
  const response = await (options.fetch ?? fetch)(`${options.host.replace(/\/+$/, "")}${path}`, {
    method,
    headers: { Authorization: `Bearer ${options.token}`, Accept: "application/json", ...(body === undefined ? {} : { "Content-Type": "application/json" }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`${method} ${path} failed with HTTP ${response.status}: ${(await response.text()).replace(/\s+/g, " ").slice(0, 300)}`);
  return (await response.json()) as T;
}

/** Runs the job and resolves to whether it succeeded, logging each state the run passes through. */
export async function runJob(options: RunJobOptions): Promise<boolean> {
  const sleep = options.sleep ?? ((milliseconds: number) => new Promise<void>((resolve) => setTimeout(resolve, milliseconds)));
  const { run_id: runId } = await call<{ run_id: number }>(options, "POST", "/api/2.2/jobs/run-now", { job_id: options.jobId });
  options.log(`job ${options.jobId}: run ${runId} started`);
  const deadline = Date.now() + options.timeoutMinutes * 60_000;
  let last = "";
  for (;;) {
    const run = await call<{ state?: RunState; run_page_url?: string }>(options, "GET", `/api/2.2/jobs/runs/get?run_id=${runId}`);
    const state = run.state ?? {};
    const shown = [state.life_cycle_state, state.result_state].filter(Boolean).join(" ");
    if (shown !== last) {
      options.log(`job ${options.jobId}: run ${runId} ${shown}${state.state_message ? `: ${state.state_message}` : ""}`);
      last = shown;
    }
    if (TERMINAL.has(state.life_cycle_state ?? "")) {
      if (state.result_state === "SUCCESS") return true;
      options.log(`job ${options.jobId}: run ${runId} did not succeed${run.run_page_url ? ` (${run.run_page_url})` : ""}`);
      return false;
    }
    if (Date.now() >= deadline) {
      await call(options, "POST", "/api/2.2/jobs/runs/cancel", { run_id: runId });
      options.log(`job ${options.jobId}: run ${runId} still ${shown} after ${options.timeoutMinutes} minutes; cancelled`);
      return false;
    }
    await sleep(options.pollSeconds * 1000);
  }
}

const USAGE = "usage: DATABRICKS_TOKEN=<token> run-databricks-job --host <https://workspace URL> --job-id <id> [--timeout-minutes 60] [--poll-seconds 20]\n";

export async function main(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  let options: { host?: string; "job-id"?: string; "timeout-minutes"?: string; "poll-seconds"?: string };
  try {
    options = parseArgs({
      args: [...argv],
      strict: true,
      options: { host: { type: "string" }, "job-id": { type: "string" }, "timeout-minutes": { type: "string", default: "60" }, "poll-seconds": { type: "string", default: "20" } },
    }).values;
  } catch (error) {
    process.stderr.write(`run-databricks-job: ${(error as Error).message}\n${USAGE}`);
    return 2;
  }
  if (options.host === undefined || options["job-id"] === undefined) {
    process.stderr.write(`run-databricks-job: --host and --job-id are required\n${USAGE}`);
    return 2;
  }
  const jobId = Number(options["job-id"]);
  const numbers = [jobId, Number(options["timeout-minutes"]), Number(options["poll-seconds"])];
  const problem = !/^https:\/\/\S+$/.test(options.host)
    ? `--host ${options.host} is not an https:// workspace URL`
    : !Number.isInteger(jobId) || jobId <= 0
      ? `--job-id ${options["job-id"]} is not a job id (a positive whole number)`
      : numbers.slice(1).some((value) => !Number.isFinite(value) || value <= 0)
        ? "--timeout-minutes and --poll-seconds must be positive numbers"
        : !env.DATABRICKS_TOKEN
          ? `DATABRICKS_TOKEN is not set: an Entra token for the Azure Databricks application (az account get-access-token --resource ${AZURE_DATABRICKS_RESOURCE})`
          : undefined;
  if (problem) {
    process.stderr.write(`run-databricks-job: ${problem}\n`);
    return 2;
  }
  try {
    const succeeded = await runJob({
      host: options.host,
      jobId,
      token: env.DATABRICKS_TOKEN as string,
      timeoutMinutes: numbers[1],
      pollSeconds: numbers[2],
      log: (line) => process.stdout.write(`${line}\n`),
    });
    return succeeded ? 0 : 1;
  } catch (error) {
    process.stderr.write(`run-databricks-job: ${(error as Error).message}\n`);
    return 1;
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then((code) => (process.exitCode = code));
}
