/**
 * The deploy pipeline's run of a migrate job (src/tools/run-databricks-job.ts), against a local stub
 * of the Jobs API 2.2 that records what it is asked.
 */
import { createServer, IncomingMessage, Server } from "node:http";
import { AddressInfo } from "node:net";
import { main, runJob } from "../../src/tools/run-databricks-job";

interface Recorded {
  method: string;
  url: string;
  body: unknown;
  authorization?: string;
}

/** A stub workspace whose run passes through `states`, one per runs/get. */
async function stubWorkspace(states: Array<{ life_cycle_state: string; result_state?: string; state_message?: string }>): Promise<{ host: string; requests: Recorded[]; server: Server }> {
  const requests: Recorded[] = [];
  let polled = 0;
  const server = createServer((request: IncomingMessage, response) => {
    let text = "";
    request.on("data", (chunk) => (text += chunk));
    request.on("end", () => {
      requests.push({ method: request.method ?? "", url: request.url ?? "", body: text ? JSON.parse(text) : undefined, authorization: request.headers.authorization });
      response.setHeader("Content-Type", "application/json");
      if (request.url === "/api/2.2/jobs/run-now") response.end(JSON.stringify({ run_id: 77 }));
      else if (request.url?.startsWith("/api/2.2/jobs/runs/get")) response.end(JSON.stringify({ state: states[Math.min(polled++, states.length - 1)], run_page_url: "https://adb-1.1.azuredatabricks.net/#job/5/run/77" }));
      else if (request.url === "/api/2.2/jobs/runs/cancel") response.end("{}");
      else {
        response.statusCode = 404;
        response.end("{}");
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { host: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests, server };
}

const noWait = () => Promise.resolve();

describe("running a Databricks job for the deploy", () => {
  it("starts the job, follows the run to SUCCESS and shows each state once", async () => {
    const stub = await stubWorkspace([{ life_cycle_state: "PENDING" }, { life_cycle_state: "RUNNING" }, { life_cycle_state: "RUNNING" }, { life_cycle_state: "TERMINATED", result_state: "SUCCESS" }]);
    const lines: string[] = [];
    try {
      expect(await runJob({ host: stub.host, jobId: 5, token: "stub-token", timeoutMinutes: 5, pollSeconds: 1, log: (line) => lines.push(line), sleep: noWait })).toBe(true);
    } finally {
      stub.server.close();
    }
    expect(stub.requests[0]).toEqual({ method: "POST", url: "/api/2.2/jobs/run-now", body: { job_id: 5 }, authorization: "Bearer stub-token" });
    expect(lines).toEqual(["job 5: run 77 started", "job 5: run 77 PENDING", "job 5: run 77 RUNNING", "job 5: run 77 TERMINATED SUCCESS"]);
  });

  it("reports a failed run with its message and page, and fails", async () => {
    const stub = await stubWorkspace([{ life_cycle_state: "TERMINATED", result_state: "FAILED", state_message: "Task migrate failed" }]);
    const lines: string[] = [];
    try {
      expect(await runJob({ host: stub.host, jobId: 5, token: "t", timeoutMinutes: 5, pollSeconds: 1, log: (line) => lines.push(line), sleep: noWait })).toBe(false);
    } finally {
      stub.server.close();
    }
    expect(lines).toEqual(["job 5: run 77 started", "job 5: run 77 TERMINATED FAILED: Task migrate failed", "job 5: run 77 did not succeed (https://adb-1.1.azuredatabricks.net/#job/5/run/77)"]);
  });

  it("cancels a run that outlasts its timeout, and fails", async () => {
    const stub = await stubWorkspace([{ life_cycle_state: "RUNNING" }]);
    const lines: string[] = [];
    try {
      expect(await runJob({ host: stub.host, jobId: 5, token: "t", timeoutMinutes: 0, pollSeconds: 1, log: (line) => lines.push(line), sleep: noWait })).toBe(false);
    } finally {
      stub.server.close();
    }
    expect(stub.requests.at(-1)).toMatchObject({ method: "POST", url: "/api/2.2/jobs/runs/cancel", body: { run_id: 77 } });
    expect(lines.at(-1)).toBe("job 5: run 77 still RUNNING after 0 minutes; cancelled");
  });

  it("refuses, with exit 2 and before any request, a missing token, a host that is not https and a job id that is not one", async () => {
    const errors: string[] = [];
    const spy = jest.spyOn(process.stderr, "write").mockImplementation((chunk) => (errors.push(String(chunk)), true));
    try {
      expect(await main(["--host", "https://adb-1.1.azuredatabricks.net", "--job-id", "5"], {})).toBe(2);
      expect(await main(["--host", "http://adb-1.1.azuredatabricks.net", "--job-id", "5"], { DATABRICKS_TOKEN: "t" })).toBe(2);
      expect(await main(["--host", "https://adb-1.1.azuredatabricks.net", "--job-id", "five"], { DATABRICKS_TOKEN: "t" })).toBe(2);
      expect(await main(["--job-id", "5", "--token", "t"], { DATABRICKS_TOKEN: "t" })).toBe(2);
    } finally {
      spy.mockRestore();
    }
    expect(errors.join("")).toContain("DATABRICKS_TOKEN is not set");
    expect(errors.join("")).toContain("--host http://adb-1.1.azuredatabricks.net is not an https:// workspace URL");
    expect(errors.join("")).toContain("--job-id five is not a job id");
  });
});
