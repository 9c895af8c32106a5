/**
 * The tools refuse what they cannot read (issue 30): plan-summary and drift-summary given JSON
 * that is no plan, preflight given an option it does not know, and the lake CLI given a
 * container, prefix or path that would send a request outside the container it names, which a
 * local stub server proves by recording every request path. Each refusal exits non-zero with one
 * line that names the problem, never a stack trace; the last test reads every line they printed.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, Server } from "node:http";
import { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { auditMessages } from "../helpers/message-audit";
import { ensureBuilt, REPO_ROOT } from "../package/built-package";

const LIB = path.join(REPO_ROOT, "lib");
const PLAN = path.join(REPO_ROOT, "test", "fixtures", "plan", "estate-dev.plan.json");
/** Every line the tools printed to stderr, by the case that printed it. */
const printed: Array<{ source: string; line: string }> = [];
const keep = (source: string, text: string) => text.split("\n").filter((line) => line !== "").forEach((line) => printed.push({ source, line }));

let workDir: string;
beforeAll(() => {
  ensureBuilt();
  workDir = mkdtempSync(path.join(tmpdir(), "unreadable-input-"));
});
afterAll(() => rmSync(workDir, { recursive: true, force: true }));

/** Runs a built tool as a process, as the pipelines run it. */
function tool(name: string, args: string[], source: string) {
  const result = spawnSync(process.execPath, [path.join(LIB, "tools", `${name}.js`), ...args], { encoding: "utf8", cwd: workDir });
  keep(source, result.stderr);
  return result;
}

function file(name: string, content: unknown): string {
  const at = path.join(workDir, name);
  mkdirSync(path.dirname(at), { recursive: true });
  writeFileSync(at, typeof content === "string" ? content : JSON.stringify(content));
  return at;
}

const STATE = { format_version: "1.0", terraform_version: "1.11.4", values: { root_module: { resources: [{ address: "azurerm_resource_group.rg", mode: "managed", type: "azurerm_resource_group", name: "rg", values: {} }] } } };

describe("plan-summary and drift-summary refuse JSON that is not a plan", () => {
  it("plan-summary refuses the JSON of state, naming it, where it printed 0 add, 0 change", () => {
    const result = tool("plan-summary", [`estate-dev=${file("state.json", STATE)}`], "plan-summary of state");
    expect(result.status).toBe(1);
    expect(result.stdout).toBe("");
    expect(result.stderr.trim().split("\n")).toEqual([expect.stringContaining("is a 'terraform show -json' of state (it has values, no planned_values or resource_changes), not a plan")]);
  });

  it("plan-summary refuses the JSON of an empty state", () => {
    const result = tool("plan-summary", [`estate-dev=${file("empty-state.json", { format_version: "1.0", terraform_version: "1.11.4" })}`], "plan-summary of empty state");
    expect(result.status).toBe(1);
    expect(result.stderr).toContain("of an empty state (only format_version), not a plan");
  });

  it("drift-summary reports the JSON of state as an error, not as no drift", () => {
    const result = tool("drift-summary", ["--exit-code", "0", `estate-dev=${file("drift-state.json", STATE)}`], "drift-summary of state");
    expect(result.status).toBe(1);
    expect(result.stdout).toContain("a 'terraform show -json' of state");
    expect(result.stdout).not.toMatch(/no drift/i);
  });

  it("reads a real plan as before (control)", () => {
    const result = tool("plan-summary", [`estate-dev=${PLAN}`], "plan-summary of a plan");
    expect(result.status).toBe(0);
    expect(result.stdout).toContain("| estate-dev | 2 | 1 | **2** | **1** |");
  });
});

describe("plan paths that hold =", () => {
  it("reads plans/estate=dev.json as a path, its stack named by its folder", () => {
    const plan = file(path.join("plans", "estate=dev.json"), readFileSync(PLAN, "utf8"));
    const result = tool("plan-summary", [path.relative(workDir, plan)], "path with =");
    expect(result.status).toBe(0);
    expect(result.stdout).toContain("| plans | 2 | 1 |");
  });

  it("reads an existing file named like <stack>=<file> as that file", () => {
    file("estate-dev=copy.json", readFileSync(PLAN, "utf8"));
    const result = tool("plan-summary", ["estate-dev=copy.json"], "existing file with =");
    expect(result.status).toBe(0);
  });

  it("still takes <stack>=<file> when no such file exists (control)", () => {
    const result = tool("plan-summary", [`estate-prod=${PLAN}`], "stack=file");
    expect(result.status).toBe(0);
    expect(result.stdout).toContain("| estate-prod | 2 | 1 |");
  });
});

describe("preflight", () => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const cli = () => require(path.join(LIB, "tools", "preflight-cli.js")) as typeof import("../../src/tools/preflight-cli");

  /** Runs preflight in this process, with its stderr and stdout captured. */
  function preflight(args: string[], env: NodeJS.ProcessEnv, source: string) {
    let stderr = "";
    let stdout = "";
    const err = jest.spyOn(process.stderr, "write").mockImplementation((chunk: string | Uint8Array) => ((stderr += String(chunk)), true));
    const out = jest.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => ((stdout += String(chunk)), true));
    try {
      const status = cli().main(args, env);
      return { status, stderr, stdout };
    } finally {
      err.mockRestore();
      out.mockRestore();
      keep(source, stderr);
    }
  }

  it("refuses an option it does not know, where it ignored it", () => {
    const result = preflight(["--stak", "estate-dev"], {}, "preflight unknown option");
    expect(result.status).toBe(2);
    expect(result.stderr).toContain("error: unknown option '--stak'");
  });

  it("refuses an option to which it gave no value", () => {
    const result = preflight(["--app"], {}, "preflight option without value");
    expect(result.status).toBe(2);
    expect(result.stderr).toContain("argument missing");
  });

  describe("--app: the subscriptions synth could not check, with the ARM_SUBSCRIPTION_ID it runs with", () => {
    const HUB = "0b1c2d3e-4f5a-4b6c-8d7e-9f0a1b2c3d4e";
    const SPOKE = "5d0a4a8e-3a4f-4b8e-9c1e-2f6b7a8c9d0e";
    let source: string;
    /** The app in a file of its own per test: jest's module registry loads a file once. */
    const app = (name: string) => file(`app/${name}.js`, source);
    beforeAll(() => {
      const requireFrom = (request: string) => JSON.stringify(require.resolve(request, { paths: [REPO_ROOT] }));
      source = (
        `const { App, TerraformStack } = require(${requireFrom("cdktf")});
const { AzurermProvider } = require(${requireFrom("@cdktf/provider-azurerm/lib/provider")});
const { LakeStorage, SecureNetwork } = require(${JSON.stringify(path.join(LIB, "index.js"))});
const app = new App();
const stack = new TerraformStack(app, "spoke");
const features = [{ storage: [{ dataPlaneAvailable: false }] }];
new AzurermProvider(stack, "azurerm", { features });
const hub = new AzurermProvider(stack, "hub", { alias: "hub", subscriptionId: "${HUB}", features });
const placement = { resourceGroupName: "rg-analytics", location: "westeurope" };
const network = new SecureNetwork(stack, "network", { ...placement, nameSuffix: "analytics-dev", addressSpace: "10.20.0.0/20", subnets: { databricksHost: "10.20.0.0/24", databricksContainer: "10.20.1.0/24", postgres: "10.20.2.0/28", privateEndpoints: "10.20.2.64/26" } });
new LakeStorage(stack, "lake", { ...placement, provider: hub, accountName: "stanalyticsdev01", network, deletionProtection: false });
app.synth();
`
      );
    });

    it("names the construct in another subscription than its network", () => {
      const result = preflight(["--app", app("spoke")], { ARM_SUBSCRIPTION_ID: SPOKE }, "preflight --app, spoke");
      expect(result.status).toBe(1);
      expect(result.stderr).toContain("spoke/lake network");
      expect(result.stderr).toMatch(/preflight spoke: 1 problem\(s\) \(1 placement\)/);
    });

    it("names what it cannot check without ARM_SUBSCRIPTION_ID", () => {
      const result = preflight(["--app", app("unset")], {}, "preflight --app, unset");
      expect(result.status).toBe(1);
      expect(result.stderr).toContain("spoke/lake");
      expect(result.stderr).toContain("ARM_SUBSCRIPTION_ID unset");
    });

    it("passes when the deploy's subscription is the lake's (control)", () => {
      const result = preflight(["--app", app("hub")], { ARM_SUBSCRIPTION_ID: HUB }, "preflight --app, hub");
      expect(result.status).toBe(0);
      expect(result.stdout).toContain("preflight spoke: ok");
    });
  });
});

describe("the lake CLI never sends a request outside the container it names", () => {
  let server: Server;
  let requests: string[];
  let connectionString: string;
  beforeAll(async () => {
    requests = [];
    // Every request is recorded and answered as Azure answers one for a container that does not exist.
    server = createServer((request, response) => {
      requests.push(decodeURIComponent((request.url ?? "").split("?")[0]));
      response.writeHead(404, { "content-type": "application/xml", "x-ms-error-code": "ContainerNotFound" });
      response.end('<?xml version="1.0" encoding="utf-8"?><Error><Code>ContainerNotFound</Code><Message>The specified container does not exist.</Message></Error>');
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    // A SAS-style connection string with a stand-in signature: the stub checks nothing.
    connectionString = `BlobEndpoint=http://127.0.0.1:${port}/devstoreaccount1;SharedAccessSignature=sv=2022-11-02&sig=stub`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
  beforeEach(() => requests.splice(0));

  async function lake(args: string[], source: string) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { runCli } = require(path.join(LIB, "lake", "cli.js")) as typeof import("../../src/lake/cli");
    let stdout = "";
    let stderr = "";
    const stream = (append: (text: string) => void) => ({ write: (chunk: string) => (append(String(chunk)), true) }) as unknown as NodeJS.WritableStream;
    const status = await runCli(args, { stdout: stream((text) => (stdout += text)), stderr: stream((text) => (stderr += text)), env: { AZURE_STORAGE_CONNECTION_STRING: connectionString } });
    keep(source, stderr);
    return { status, stdout, stderr };
  }

  const csv = () => file("bank.csv", "id,amount\n1,2\n");

  const refused: Array<[string, () => string[], string]> = [
    ["land --prefix ../features/", () => ["land", csv(), "--prefix", "../features/"], "--prefix"],
    ["land --container ../features", () => ["land", csv(), "--container", "../features"], "--container"],
    ["land --prefix with a backslash", () => ["land", csv(), "--prefix", "bank\\transactions\\"], "--prefix"],
    ["verify --prefix that is absolute", () => ["verify", "--prefix", "/bank/transactions/"], "--prefix"],
    ["verify --runs-prefix with ..", () => ["verify", "--container", "curated", "--runs-prefix", "_runs/../../landing/"], "--runs-prefix"],
    ["pull --prefix with an empty folder", () => ["pull", "--container", "features", "--prefix", "export//year=2022/", "--to", path.join(workDir, "pulled")], "--prefix"],
    ["ready --lake-path-prefix ../payments/", () => ["ready", "2022-Q3", "--lake-path-prefix", "../payments/"], "--lake-path-prefix"],
    ["ready --features-container in capitals", () => ["ready", "2022-Q3", "--features-container", "Features"], "--features-container"],
    ["ready --runs-container with a slash", () => ["ready", "2022-Q3", "--runs-container", "curated/_runs"], "--runs-container"],
  ];

  it.each(refused)("refuses %s before any request", async (name, args, option) => {
    const result = await lake(args(), `lake ${name}`);
    expect({ status: result.status, requests }).toEqual({ status: 2, requests: [] });
    expect(result.stderr).toContain(`${option} `);
    expect(result.stderr).toMatch(/is invalid\. .+\./);
  });

  it("addresses only the container it names, and names it when it is missing (control)", async () => {
    const result = await lake(["verify", "--container", "landing", "--prefix", "bank/transactions/"], "lake verify landing");
    expect(result.status).toBe(4);
    expect(requests.length).toBeGreaterThan(0);
    expect(requests.every((request) => request.startsWith("/devstoreaccount1/landing"))).toBe(true);
    expect(result.stderr).toContain('Container "landing" does not exist');
  });

  it("names the container ready actually addressed", async () => {
    const result = await lake(["ready", "2022-Q3", "--features-container", "features-2"], "lake ready features-2");
    expect(result.status).toBe(4);
    expect(requests.every((request) => request.startsWith("/devstoreaccount1/features-2/"))).toBe(true);
    expect(result.stderr).toContain('Container "features-2" does not exist');
  });
});

describe("every line the tools printed", () => {
  it("is short, said once, and no stack trace", () => {
    expect(printed.length).toBeGreaterThan(10);
    expect(auditMessages(printed)).toEqual([]);
  });
});
