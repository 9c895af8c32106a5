/**
 * The examples, tested as users install the package (issue 11, section 7):
 *
 * 1. `npm pack` the project (lib/ rebuilt first when older than src/; `--ignore-scripts`, so that
 *    `prepack` does not run tsc a second time) into a temp dir.
 * 2. A temp cdktf app (package.json, tsconfig.json, cdktf.json) installs that tarball and the peer
 *    packages at this repo's locked versions with a real `npm install --prefer-offline`, as a user
 *    would: every version is already in the npm cache after this repo's `npm ci`, so the install takes
 *    about 20 s, well under the two minutes at which linking the peers from this repo's node_modules
 *    would have been worth its loss of fidelity.
 * 3. Every examples/<name>/main.ts, and the main.ts of docs/using-in-your-app.md, is copied in and
 *    compiled, with type checking, against the installed package's .d.ts by both TypeScript 5.9
 *    (this repo's typescript, which emits the JS beside each source, so `__dirname` keeps its
 *    meaning) and TypeScript 7 (tsgo of @typescript/native-preview, type checking only), each with
 *    the tsconfig.json of docs/using-in-your-app.md (`nodenext`), then run with CDKTF_OUTDIR set to
 *    a temp dir. A control with a type error must fail both compilers.
 * 4. Each synthesized stack is checked: at least one stack, and every databricks_job task's
 *    python_file is uploaded by a databricks_workspace_file of the same stack.
 * 5. The three examples the issue names must exist, and each is checked for what it is there to
 *    show: minimal-lake a storage account and a vault on an existing network (no VNet, subnet or
 *    DNS zone), bring-your-own-network the whole pipeline without creating a VNet, subnet or
 *    private DNS zone, two-pipelines two workspaces and two jobs, each on its own aliased provider.
 *
 * Two controls written by this test (never committed) run through the same steps: one that passes,
 * and one whose job runs a file the stack does not upload, which the check must catch.
 *
 * The tarball is installed without the optional peers (the lake CLI's Azure SDKs), as construct
 * users install it: the package must carry the docs and examples its README links to, and its
 * `lake` command must then say which SDKs to install and exit non-zero.
 */
import { spawnSync, SpawnSyncReturns } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, normalize, relative } from "node:path";
import { ensureBuilt, lockedVersion, REPO_ROOT } from "./built-package";
import { DependencyGraph, TerraformJson } from "../first-apply/graph";
import { dnsLinkSubscriptionViolations } from "../first-apply/rules";
import { terraformInitProblems } from "../helpers/terraform-init";
import { resourceSchemas, terraformValidateProblems } from "../helpers/terraform-validate";
import { secretsKeptInState } from "../security/secrets-in-state";
import { jobFileProblems, SynthesizedStack } from "./job-files";

const PACKAGE_NAME = "azure-quarterly-batch";
const PEERS = ["cdktf", "constructs", "@cdktf/provider-azurerm", "@cdktf/provider-databricks", "@cdktf/provider-random"];
/**
 * The CDK Terrain flavour's framework and providers, at the versions it is tested with; constructs
 * below 10.8, which cdktn 0.24 and two of its provider packages require.
 */
const CDKTN_PACKAGES: Record<string, string> = {
  cdktn: "0.24.0",
  "@cdktn/provider-azurerm": "16.1.0",
  "@cdktn/provider-databricks": "18.7.0",
  "@cdktn/provider-random": "15.0.1",
  constructs: "10.7.0",
};
const EXAMPLES_DIR = join(REPO_ROOT, "examples");
/** The lake CLI's Azure SDKs: optional peers, which the app does not install (nor do construct users). */
const OPTIONAL_PEERS = ["@azure/identity", "@azure/storage-blob"];
/** The two compilers every example must pass: TypeScript 5.9 (emits the JS) and TypeScript 7 (type checks). */
const COMPILERS = [
  { name: "TypeScript 5.9 (tsc)", packageName: "typescript", bin: join(REPO_ROOT, "node_modules", "typescript", "bin", "tsc"), emits: true },
  { name: "TypeScript 7 (tsgo)", packageName: "@typescript/native-preview", bin: join(REPO_ROOT, "node_modules", "@typescript", "native-preview", "bin", "tsgo"), emits: false },
] as const;
type CompilerName = (typeof COMPILERS)[number]["name"];
/** The page whose tsconfig.json the app uses and whose main.ts is compiled and synthesized like the examples. */
const USING_PAGE = join(REPO_ROOT, "docs", "using-in-your-app.md");

/** The first fenced block of `language` in a markdown page that contains `marker`. */
function codeBlock(page: string, language: string, marker: string): string {
  const blocks = [...readFileSync(page, "utf8").matchAll(/^```([a-z]*)\n([\s\S]*?)^```$/gm)].filter((block) => block[1] === language && block[2].includes(marker));
  if (blocks.length === 0) throw new Error(`${relative(REPO_ROOT, page)} has no \`\`\`${language} block with ${marker}`);
  return blocks[0][2];
}
/** The examples issue 11 section 7 asks for; each has its own checks below. */
const REQUIRED_EXAMPLES = ["bring-your-own-network", "hub-and-spoke", "minimal-lake", "own-job", "two-pipelines"] as const;

type Json = Record<string, unknown>;
/** A synthesized stack, as far as these checks read it. */
interface ExampleStack extends SynthesizedStack {
  readonly resource?: Record<string, Record<string, Json>>;
  readonly provider?: Record<string, Json[]>;
}

interface Example {
  readonly name: string;
  /** Relative to the temp app. */
  readonly dir: string;
  /** The broken control: its job runs a file the stack does not upload. */
  readonly broken?: boolean;
}

const CONTROL_SOURCE = (broken: boolean) => `// Written by test/package/examples.test.ts: a control for the harness, not an example.
import { App, TerraformStack } from "cdktf";
import { DatabricksProvider } from "@cdktf/provider-databricks/lib/provider";
import { Job } from "@cdktf/provider-databricks/lib/job";
import { WorkspaceFile } from "@cdktf/provider-databricks/lib/workspace-file";
import * as library from "${PACKAGE_NAME}";

const constructs: Array<keyof typeof library> = ["SecureNetwork", "SecretStore", "LakeStorage", "RelationalSink"];
for (const name of constructs) {
  if (typeof library[name] !== "function") throw new Error(\`${PACKAGE_NAME} does not export \${String(name)}\`);
}
const app = new App();
const stack = new TerraformStack(app, "harness-control");
new DatabricksProvider(stack, "databricks", { host: "https://adb-0000000000000000.0.azuredatabricks.net" });
const entry = new WorkspaceFile(stack, "entry", { path: "/harness/run.py", contentBase64: "cHJpbnQoMSkK" });
new Job(stack, "job", {
  name: "harness-control",
  task: [
    { taskKey: "by-reference", sparkPythonTask: { pythonFile: entry.workspacePath, source: "WORKSPACE" } },
    { taskKey: "by-path", sparkPythonTask: { pythonFile: "${broken ? "/Workspace/harness/not-uploaded.py" : "/Workspace/harness//run.py"}" } },
  ],
});
app.synth();
`;

function run(command: string, args: readonly string[], cwd: string, env: NodeJS.ProcessEnv = {}): SpawnSyncReturns<string> {
  return spawnSync(command, args, { cwd, env: { ...process.env, ...env }, encoding: "utf8", maxBuffer: 256 * 1024 * 1024, timeout: 170_000 });
}

function mustRun(what: string, command: string, args: readonly string[], cwd: string, env: NodeJS.ProcessEnv = {}): string {
  const result = run(command, args, cwd, env);
  if (result.status !== 0) throw new Error(`${what} failed (exit ${result.status ?? result.signal}):\n${result.stdout}\n${result.stderr}`);
  return result.stdout;
}

const realExamples: Example[] = (existsSync(EXAMPLES_DIR) ? readdirSync(EXAMPLES_DIR, { withFileTypes: true }) : [])
  .filter((entry) => entry.isDirectory() && existsSync(join(EXAMPLES_DIR, entry.name, "main.ts")))
  .map((entry) => ({ name: entry.name, dir: `examples/${entry.name}` }))
  .sort((a, b) => (a.name < b.name ? -1 : 1));
const controls: Example[] = [
  { name: "harness control (passes)", dir: "harness/control-ok" },
  { name: "harness control (job runs a file it does not upload)", dir: "harness/control-broken", broken: true },
];
/** docs/using-in-your-app.md's main.ts, checked like an example. */
const pageApp: Example = { name: "docs/using-in-your-app.md's main.ts", dir: "docs/using-in-your-app" };
const apps: Example[] = [...realExamples, pageApp];
/** A control that each compiler must reject: a prop of the wrong type, checked against the package's .d.ts. */
const TYPE_ERROR_CONTROL = "harness/control-type-error";
const TYPE_ERROR_SOURCE = `// Written by test/package/examples.test.ts: a control for the compilers, not an example.
import { TerraformStack, Testing } from "cdktf";
import { LakeStorage, LakeStorageProps } from "${PACKAGE_NAME}";

const props: LakeStorageProps = { resourceGroupName: "rg", location: "westeurope", accountName: 42 };
new LakeStorage(new TerraformStack(Testing.app(), "type-error"), "lake", props);
`;

describe("the packed package, installed into a fresh cdktf app", () => {
  let work: string;
  let app: string;
  let packedFiles: string[];
  /** Each compiler's diagnostics, one line each (`<file>(<line>,<col>): error TS<code>: ...`). */
  const diagnostics = {} as Record<CompilerName, string[]>;
  const versions = {} as Record<CompilerName, string>;

  beforeAll(() => {
    ensureBuilt();
    work = mkdtempSync(join(tmpdir(), "package-examples-"));
    app = join(work, "app");
    mkdirSync(app);

    // `npm pack --json` lists the same files as `npm pack --dry-run --json`, and also writes the tarball.
    const pack = JSON.parse(mustRun("npm pack", "npm", ["pack", "--ignore-scripts", "--json", "--pack-destination", work], REPO_ROOT)) as { filename: string; files: { path: string }[] }[];
    packedFiles = pack[0].files.map((file) => file.path);
    const tarball = join(work, pack[0].filename);

    writeFileSync(join(app, "package.json"), JSON.stringify({ name: "examples-app", version: "0.0.0", private: true }, null, 2));
    writeFileSync(join(app, "cdktf.json"), JSON.stringify({ language: "typescript", app: "node main.js", projectId: "examples-app", sendCrashReports: "false" }, null, 2));
    // The page's tsconfig.json as it stands: it must serve both compilers (TypeScript 7 refuses
    // `moduleResolution: node`, which this app used before).
    writeFileSync(join(app, "tsconfig.json"), codeBlock(USING_PAGE, "json", '"compilerOptions"'));

    const started = Date.now();
    const packages = [tarball, ...PEERS.map((name) => `${name}@${lockedVersion(name)}`), `@types/node@${lockedVersion("@types/node")}`];
    mustRun("npm install", "npm", ["install", "--prefer-offline", "--no-audit", "--no-fund", "--loglevel=error", ...packages], app);
    console.log(`installed ${relative(work, tarball)} and its peers in ${((Date.now() - started) / 1000).toFixed(1)} s`);

    for (const example of realExamples) {
      cpSync(join(REPO_ROOT, example.dir), join(app, example.dir), { recursive: true, filter: (source) => !/[\\/](node_modules|cdktf\.out|\.gen)$/.test(source) });
    }
    for (const control of controls) {
      mkdirSync(join(app, control.dir), { recursive: true });
      writeFileSync(join(app, control.dir, "main.ts"), CONTROL_SOURCE(control.broken === true));
    }
    mkdirSync(join(app, pageApp.dir), { recursive: true });
    writeFileSync(join(app, pageApp.dir, "main.ts"), codeBlock(USING_PAGE, "ts", "app.synth()"));
    mkdirSync(join(app, TYPE_ERROR_CONTROL), { recursive: true });
    writeFileSync(join(app, TYPE_ERROR_CONTROL, "main.ts"), TYPE_ERROR_SOURCE);

    // One program for every example (type checked against the installed .d.ts) per compiler; tsc
    // emits JS even when one of them has type errors, which then fail that example's test only.
    const known = [...apps, ...controls].map((example) => `${example.dir}/`).concat(`${TYPE_ERROR_CONTROL}/`);
    for (const compiler of COMPILERS) {
      versions[compiler.name] = mustRun(`${compiler.name} --version`, process.execPath, [compiler.bin, "--version"], app).trim();
      const compiled = run(process.execPath, [compiler.bin, "-p", "tsconfig.json", "--pretty", "false", ...(compiler.emits ? [] : ["--noEmit"])], app);
      diagnostics[compiler.name] = `${compiled.stdout}${compiled.stderr}`.split("\n").filter((line) => line.trim() !== "");
      const unattributed = diagnostics[compiler.name].filter((line) => !known.some((dir) => line.startsWith(dir)));
      if (unattributed.length) throw new Error(`${compiler.name} failed in the example app (exit ${compiled.status}):\n${diagnostics[compiler.name].join("\n")}`);
    }
  }, 240_000);

  afterAll(() => {
    if (work && !process.env.KEEP_PACKAGE_TEST_DIR) rmSync(work, { recursive: true, force: true });
  });

  it("packs lib/ and all of the job's code, without tests, dev tools or scripts", () => {
    const sparkInRepo = (folder: string): string[] =>
      readdirSync(join(REPO_ROOT, folder), { withFileTypes: true }).flatMap((entry) =>
        entry.isDirectory() ? (entry.name === "__pycache__" ? [] : sparkInRepo(`${folder}/${entry.name}`)) : /\.(py|sql)$/.test(entry.name) ? [`${folder}/${entry.name}`] : [],
      );
    // The bank ETL's entry files, and the guard and provisioning task every job's code folder gets.
    const entryScripts = readdirSync(join(REPO_ROOT, "spark")).filter((name) => /\.py$/.test(name)).map((name) => `spark/${name}`);
    expect(entryScripts).toEqual(expect.arrayContaining(["spark/run_etl.py", "spark/deployment_guard.py", "spark/quarterly_provision.py", "spark/quarterly_roles.py"]));
    expect(packedFiles).toEqual(
      expect.arrayContaining(["package.json", "lib/index.js", "lib/index.d.ts", "spark/requirements.txt", "spark/pyproject.toml", ...entryScripts, ...sparkInRepo("spark/bank_etl")]),
    );
    expect(packedFiles.filter((file) => file.startsWith("spark/bank_etl/")).length).toBeGreaterThan(0);
    expect(packedFiles.filter((file) => /^(src|test|scripts|spark\/(tests|devtools|bin))\//.test(file) || /\.tsbuildinfo$|__pycache__|\.pyc$/.test(file))).toEqual([]);
  });

  it("packs the docs and examples its README links to: every page and diagram of docs/, every example's main.ts and README, nothing built", () => {
    const docs = readdirSync(join(REPO_ROOT, "docs")).filter((name) => /\.(md|svg)$/.test(name)).map((name) => `docs/${name}`);
    expect(docs).toEqual(expect.arrayContaining(["docs/constructs.md", "docs/props.md", "docs/using-in-your-app.md", "docs/architecture-prod.svg"]));
    const examples = ["examples/README.md", ...realExamples.flatMap((example) => [`${example.dir}/main.ts`, `${example.dir}/README.md`].filter((file) => existsSync(join(REPO_ROOT, file))))];
    expect(examples.length).toBeGreaterThan(REQUIRED_EXAMPLES.length * 2);
    expect(packedFiles).toEqual(expect.arrayContaining([...docs, ...examples]));
    // Only the sources and pages of the examples (and an example job's own Python): no JS, declarations, synth output or node_modules.
    expect(packedFiles.filter((file) => file.startsWith("examples/") && !/^examples\/([^/]+\/)?(main\.ts|README\.md)$/.test(file) && !/^examples\/[^/]+\/job\/(.+\.py|requirements\.txt)$/.test(file))).toEqual([]);
    expect(packedFiles).toEqual(expect.arrayContaining(["examples/own-job/job/run_spend.py", "examples/own-job/job/requirements.txt"]));
  });

  it("carries every file that README.md and the packed docs and examples link to", () => {
    const packed = new Set(packedFiles);
    const pages = packedFiles.filter((file) => file.endsWith(".md"));
    expect(pages).toEqual(expect.arrayContaining(["README.md", "docs/using-in-your-app.md", "examples/README.md"]));
    const broken = pages.flatMap((page) => {
      const text = readFileSync(join(REPO_ROOT, page), "utf8").replace(/^```[\s\S]*?^```$/gm, "");
      return [...text.matchAll(/\]\(([^)\s]+)\)/g)]
        .map((match) => match[1])
        .filter((target) => !/^[a-z][a-z0-9+.-]*:/i.test(target) && !target.startsWith("#"))
        .map((target) => normalize(join(dirname(page), target.replace(/#.*$/, ""))).replace(/\/$/, ""))
        .filter((target) => !packed.has(target) && !packedFiles.some((file) => file.startsWith(`${target}/`)))
        .map((target) => `${page} -> ${target}`);
    });
    expect(broken).toEqual([]);
  });

  it("names no src/ or test/ path on any packed page: a package user has neither", () => {
    const pages = packedFiles.filter((file) => file.endsWith(".md"));
    const named = pages.flatMap((page) =>
      readFileSync(join(REPO_ROOT, page), "utf8")
        .split("\n")
        .flatMap((line, index) => ([...line.matchAll(/(?:^|[\s`(["'[])((?:src|test)\/[\w./*<>-]*)/g)].map((match) => `${page}:${index + 1} ${match[1]}`))),
    );
    expect(named).toEqual([]);
  });

  it("installs the tarball under its package name, with the locked peer versions and without the optional ones", () => {
    const installed = JSON.parse(readFileSync(join(app, "node_modules", PACKAGE_NAME, "package.json"), "utf8")) as {
      version: string;
      peerDependencies: Record<string, string>;
      peerDependenciesMeta?: Record<string, { optional?: boolean }>;
    };
    expect(installed.version).toBe((JSON.parse(readFileSync(join(REPO_ROOT, "package.json"), "utf8")) as { version: string }).version);
    // @cdktn/provider-azurerm cannot be declared (see test/docs/using-in-your-app.test.ts): npm would refuse every install.
    const cdktnPeers = Object.keys(CDKTN_PACKAGES).filter((name) => name !== "constructs" && name !== "@cdktn/provider-azurerm");
    expect(Object.keys(installed.peerDependencies).sort()).toEqual([...PEERS, ...cdktnPeers, ...OPTIONAL_PEERS].sort());
    // Each framework's packages are needed by its flavour only; constructs by both.
    expect(Object.entries(installed.peerDependenciesMeta ?? {}).filter(([, meta]) => meta.optional === true).map(([name]) => name).sort()).toEqual(
      [...PEERS.filter((name) => name !== "constructs"), ...cdktnPeers, ...OPTIONAL_PEERS].sort(),
    );
    for (const peer of cdktnPeers) expect([peer, existsSync(join(app, "node_modules", peer))]).toEqual([peer, false]);
    for (const peer of PEERS) {
      expect((JSON.parse(readFileSync(join(app, "node_modules", peer, "package.json"), "utf8")) as { version: string }).version).toBe(lockedVersion(peer));
    }
    for (const peer of OPTIONAL_PEERS) expect([peer, existsSync(join(app, "node_modules", peer))]).toEqual([peer, false]);
    expect(existsSync(join(app, "node_modules", PACKAGE_NAME, "spark", "run_etl.py"))).toBe(true);
  });

  it("compiles with the pinned TypeScript 5.9 and TypeScript 7, and each rejects a prop of the wrong type from the package's .d.ts", () => {
    expect(versions["TypeScript 5.9 (tsc)"]).toBe(`Version ${lockedVersion("typescript")}`);
    expect(lockedVersion("typescript")).toMatch(/^5\.9\./);
    expect(versions["TypeScript 7 (tsgo)"]).toBe(`Version ${lockedVersion("@typescript/native-preview")}`);
    expect(lockedVersion("@typescript/native-preview")).toMatch(/^7\./);
    for (const compiler of COMPILERS) {
      expect({ compiler: compiler.name, errors: diagnostics[compiler.name].filter((line) => line.startsWith(`${TYPE_ERROR_CONTROL}/main.ts(`)).map((line) => line.replace(/^.*?: error (TS\d+).*$/, "$1")) }).toEqual({
        compiler: compiler.name,
        errors: ["TS2322"],
      });
    }
  });

  /** Each example's synthesized stacks by name, synthesized once (the checks below reuse them). */
  const synthesized = new Map<string, Record<string, ExampleStack>>();
  function synthesize(example: Example): Record<string, ExampleStack> {
    const done = synthesized.get(example.dir);
    if (done) return done;
    // cdktf creates CDKTF_OUTDIR itself but not its parents; the cdktf CLI passes an existing dir.
    const outdir = join(work, "out", example.dir);
    mkdirSync(outdir, { recursive: true });
    const synth = run(process.execPath, [join(example.dir, "main.js")], app, { CDKTF_OUTDIR: outdir });
    if (synth.status !== 0) throw new Error(`${example.dir}/main.js exited ${synth.status ?? synth.signal}:\n${synth.stdout}\n${synth.stderr}`);
    const manifest = JSON.parse(readFileSync(join(outdir, "manifest.json"), "utf8")) as { stacks: Record<string, { synthesizedStackPath: string }> };
    const stacks = Object.fromEntries(
      Object.entries(manifest.stacks).map(([name, stack]) => [name, JSON.parse(readFileSync(join(outdir, stack.synthesizedStackPath), "utf8")) as ExampleStack]),
    );
    synthesized.set(example.dir, stacks);
    return stacks;
  }

  it.each([...apps, ...controls])("$name compiles against the installed package with TypeScript 5.9 and 7, synthesizes, and every job runs a file its stack uploads", (example) => {
    for (const compiler of COMPILERS) {
      expect({ compiler: compiler.name, diagnostics: diagnostics[compiler.name].filter((line) => line.startsWith(`${example.dir}/`)) }).toEqual({ compiler: compiler.name, diagnostics: [] });
    }

    const stacks = Object.entries(synthesize(example));
    expect(stacks.length).toBeGreaterThanOrEqual(1);
    const problems = stacks.flatMap(([name, stack]) => jobFileProblems(name, stack));
    if (example.broken) {
      expect(problems).toEqual([expect.stringMatching(/task\[by-path\]\.spark_python_task\.python_file \/Workspace\/harness\/not-uploaded\.py is not uploaded/)]);
    } else {
      expect(problems).toEqual([]);
    }
  }, 120_000);

  it.each(apps)("$name passes terraform init (configuration checks, empty provider mirror) and requires Terraform 1.11", (example) => {
    for (const [name, stack] of Object.entries(synthesize(example))) {
      expect({ stack: name, problems: terraformInitProblems(stack) }).toEqual({ stack: name, problems: [] });
      expect({ stack: name, required_version: (stack as { terraform?: Json }).terraform?.required_version }).toEqual({ stack: name, required_version: ">= 1.11.0" });
    }
  }, 120_000);

  it.each(apps.filter((example) => !example.broken))("$name passes real terraform validate with the pinned providers, ephemeral blocks included", (example) => {
    for (const [name, stack] of Object.entries(synthesize(example))) {
      expect({ stack: name, problems: terraformValidateProblems(stack) }).toEqual({ stack: name, problems: [] });
    }
  }, 180_000);

  it.each(apps.filter((example) => !example.broken))("$name keeps no secret in state: no random_password resource, every sensitive argument write-only", (example) => {
    for (const [name, stack] of Object.entries(synthesize(example))) {
      expect({ stack: name, secrets: secretsKeptInState(stack as never, resourceSchemas(stack)) }).toEqual({ stack: name, secrets: [] });
    }
  }, 180_000);

  it.each(apps.filter((example) => !example.broken && !example.dir.startsWith("harness")))("$name holds only block types the package's access model knows", (example) => {
    // The installed package's own model, as a user's `npm run access` would read it.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { blockTypesOf, RESOURCE_RIGHTS } = require(join(app, "node_modules", PACKAGE_NAME, "lib", "access", "resource-rights.js")) as typeof import("../../src/access/resource-rights");
    for (const [name, stack] of Object.entries(synthesize(example))) {
      expect({ stack: name, unknown: blockTypesOf(stack as object).filter((key) => RESOURCE_RIGHTS[key] === undefined) }).toEqual({ stack: name, unknown: [] });
    }
  });

  it.each(realExamples)("$name passes the installed quarterly-preflight command", (example) => {
    synthesize(example);
    const preflight = run(join(app, "node_modules", ".bin", "quarterly-preflight"), ["--out", join(work, "out", example.dir)], app, { ARM_SUBSCRIPTION_ID: "" });
    expect({ status: preflight.status, stderr: preflight.stderr }).toEqual({ status: 0, stderr: "" });
  });

  it("refuses a placeholder with the installed quarterly-preflight command, naming where it is", () => {
    const example = realExamples.find((candidate) => candidate.name === "bring-your-own-network") as Example;
    synthesize(example);
    const planted = join(work, "out", "planted");
    cpSync(join(work, "out", example.dir), planted, { recursive: true });
    const manifest = JSON.parse(readFileSync(join(planted, "manifest.json"), "utf8")) as { stacks: Record<string, { synthesizedStackPath: string }> };
    const [stackName, entry] = Object.entries(manifest.stacks)[0];
    const file = join(planted, entry.synthesizedStackPath);
    const stack = JSON.parse(readFileSync(file, "utf8")) as { resource: Record<string, Record<string, Json>> };
    const [vault] = Object.values(stack.resource.azurerm_key_vault);
    vault.tenant_id = "00000000-0000-4000-8000-000000000000";
    writeFileSync(file, JSON.stringify(stack));
    const preflight = run(join(app, "node_modules", ".bin", "quarterly-preflight"), ["--out", planted], app, { ARM_SUBSCRIPTION_ID: "" });
    expect(preflight.status).toBe(1);
    expect(preflight.stderr).toMatch(/tenant_id +placeholder GUID 00000000-0000-4000-8000-000000000000/);
    expect(preflight.stderr).toContain(`preflight ${stackName}: 1 problem(s) (1 placeholder); fix them before planning`);
  });

  it("own-job runs the team's own code in the bank pipeline's workspace, on the shared server, with roles of its own", () => {
    const stacks = synthesize(realExamples.find((candidate) => candidate.name === "own-job") as Example);
    const [stack] = Object.values(stacks) as Array<{ resource: Record<string, Record<string, Json>> }>;
    const byPipeline = (type: string, pipeline: string) => Object.values(stack.resource[type] ?? {}).filter((body) => String(((body["//"] as Json)?.metadata as Json)?.path).startsWith(`data-platform-neu/${pipeline}/`));
    expect(Object.keys(stack.resource.azurerm_databricks_workspace)).toHaveLength(1);
    expect(Object.keys(stack.resource.azurerm_postgresql_flexible_server)).toHaveLength(1);
    // The cards job uploads its own folder and the package's guard, its launcher and provisioning task, none of the bank ETL.
    const cardsFiles = byPipeline("databricks_workspace_file", "cards").map((body) => String(body.path).replace(/^\/jobs\/cards-neu-quarterly-etl\//, ""));
    expect(cardsFiles.sort()).toEqual(["_guarded_spend.py", "deployment.json", "deployment_guard.py", "quarterly_provision.py", "quarterly_roles.py", "requirements.txt", "run_spend.py"]);
    // The team's entry file starts only through the launcher; the bank ETL's own entry files need none.
    const pythonFiles = (pipeline: string) => byPipeline("databricks_job", pipeline).flatMap((job) => (job.task as Json[]).map((task) => String((task.spark_python_task as Json).python_file)));
    expect(pythonFiles("cards").filter((file) => !file.includes("quarterly_provision"))).toEqual([expect.stringMatching(/guarded_spend/)]);
    expect(pythonFiles("bank").some((file) => file.includes("guarded"))).toBe(false);
    expect(byPipeline("databricks_workspace_file", "bank").some((body) => String(body.path).endsWith("/bank_etl/job.py"))).toBe(true);
    // Each pipeline its own database and logins on the shared server.
    expect(Object.values(stack.resource.azurerm_postgresql_flexible_server_database).map((body) => body.name).sort()).toEqual(["bank", "cards"]);
    const logins = (pipeline: string) => byPipeline("databricks_job", pipeline).flatMap((job) => (job.task as Json[]).flatMap((task) => ((task.spark_python_task as Json).parameters as string[]).filter((_, index, all) => /^--(etl-role|owner-login|reader-role|reader-login)$/.test(all[index - 1] ?? ""))));
    expect(logins("bank").sort()).toEqual(["bank_app", "bank_etl", "bank_reader"]);
    expect(logins("cards").sort()).toEqual(["cards_app", "cards_etl", "cards_reader"]);
    // Two storage credentials, two access connectors: each pipeline reaches only its folder of the lake;
    // the bank job's manifests have a third connector (its publication credential), the cards job publishes nothing.
    expect(Object.values(stack.resource.databricks_storage_credential)).toHaveLength(2);
    expect(Object.values(stack.resource.azurerm_databricks_access_connector).map((body) => body.name).sort()).toEqual(["dbac-bank-neu", "dbac-bank-neu-pub", "dbac-cards-neu"]);
    expect(Object.values(stack.resource.databricks_credential ?? {}).map((body) => body.name)).toEqual(["bank_neu_publication"]);
  });

  it("has the examples of issues 11 and 20", () => {
    expect(realExamples.map((example) => example.name)).toEqual(expect.arrayContaining([...REQUIRED_EXAMPLES]));
  });

  /** The example's resources of one type, across its stacks, by `<stack>.<name>`. */
  function resourcesOf(name: (typeof REQUIRED_EXAMPLES)[number], type: string): Record<string, Json> {
    const example = realExamples.find((candidate) => candidate.name === name);
    if (!example) throw new Error(`examples/${name}/main.ts is missing`);
    return Object.fromEntries(
      Object.entries(synthesize(example)).flatMap(([stackName, stack]) => Object.entries(stack.resource?.[type] ?? {}).map(([resource, body]) => [`${stackName}.${resource}`, body])),
    );
  }
  const countOf = (name: (typeof REQUIRED_EXAMPLES)[number], type: string): number => Object.keys(resourcesOf(name, type)).length;

  it("hub-and-spoke imports everything shared in the hub and creates none of it", () => {
    for (const type of ["azurerm_private_dns_zone", "azurerm_key_vault", "azurerm_log_analytics_workspace"]) expect([type, countOf("hub-and-spoke", type)]).toEqual([type, 0]);
    expect(countOf("hub-and-spoke", "azurerm_virtual_network")).toBe(1);
    for (const type of ["azurerm_storage_account", "azurerm_postgresql_flexible_server", "azurerm_databricks_workspace"]) expect([type, countOf("hub-and-spoke", type)]).toEqual([type, 1]);
    // The quarterly job and the migrate job the deploy runs.
    expect(countOf("hub-and-spoke", "databricks_job")).toBe(2);
    const settings = Object.values(resourcesOf("hub-and-spoke", "azurerm_monitor_diagnostic_setting"));
    expect(settings.length).toBeGreaterThan(5);
    for (const setting of settings) expect(setting.log_analytics_workspace_id).toMatch(/^\/subscriptions\/72c96710-.*\/workspaces\/log-central-weu-01$/);
  });

  it("hub-and-spoke makes the zone links and the hub side of the peering with the connectivity provider, and everything else with the spoke's", () => {
    const links = resourcesOf("hub-and-spoke", "azurerm_private_dns_zone_virtual_network_link");
    expect(Object.keys(links)).toHaveLength(5);
    for (const [address, link] of Object.entries(links)) expect({ address, provider: link.provider, group: link.resource_group_name }).toEqual({ address, provider: "azurerm.connectivity", group: "rg-privatedns-global" });
    const peerings = Object.values(resourcesOf("hub-and-spoke", "azurerm_virtual_network_peering"));
    expect(Object.fromEntries(peerings.map((peering) => [peering.name, peering.provider ?? "(default)"]))).toEqual({ "peer-payments-prod-to-hub": "(default)", "peer-hub-to-payments-prod": "azurerm.connectivity" });
    const example = realExamples.find((candidate) => candidate.name === "hub-and-spoke")!;
    const [stack] = Object.values(synthesize(example));
    const others = Object.entries(stack.resource ?? {})
      .filter(([type]) => type.startsWith("azurerm_") && type !== "azurerm_private_dns_zone_virtual_network_link" && type !== "azurerm_virtual_network_peering")
      .flatMap(([type, byName]) => Object.entries(byName).map(([name, body]) => [`${type}.${name}`, body.provider]));
    expect(others.length).toBeGreaterThan(40);
    expect(others.filter(([, provider]) => provider !== undefined)).toEqual([]);
  });

  it("hub-and-spoke passes the first-apply rule for zone links across subscriptions, and a link moved to the spoke's provider is caught", () => {
    const example = realExamples.find((candidate) => candidate.name === "hub-and-spoke")!;
    const [stack] = Object.values(synthesize(example));
    const zones = Object.fromEntries(
      ["blob.core.windows.net", "dfs.core.windows.net", "vaultcore.azure.net", "postgres.database.azure.com", "azuredatabricks.net"].map((zone) => [`rg-privatedns-global/privatelink.${zone}`, "72c96710-1b31-426c-97d1-6a79982b12a0"]),
    );
    expect(dnsLinkSubscriptionViolations(new DependencyGraph(stack as TerraformJson), zones)).toEqual([]);
    const broken = JSON.parse(JSON.stringify(stack)) as ExampleStack;
    const [first] = Object.values(broken.resource!.azurerm_private_dns_zone_virtual_network_link);
    delete first.provider;
    expect(dnsLinkSubscriptionViolations(new DependencyGraph(broken as TerraformJson), zones)).toEqual([expect.stringMatching(/in subscription 72c96710-.* through provider\.azurerm, whose subscription is 5d0a4a8e-/)]);
  });

  it("minimal-lake creates a storage account and a key vault, grants a group read on the lake, and creates no network", () => {
    expect(countOf("minimal-lake", "azurerm_storage_account")).toBe(1);
    expect(countOf("minimal-lake", "azurerm_key_vault")).toBe(1);
    for (const type of ["azurerm_virtual_network", "azurerm_subnet", "azurerm_private_dns_zone"]) expect([type, countOf("minimal-lake", type)]).toEqual([type, 0]);
    const grants = Object.values(resourcesOf("minimal-lake", "azurerm_role_assignment")).filter((grant) => grant.principal_type === "Group");
    expect(grants).toEqual([expect.objectContaining({ role_definition_name: "Storage Blob Data Reader", scope: expect.stringMatching(/^\$\{azurerm_storage_account\.[^.]+\.id\}$/) })]);
  });

  it("bring-your-own-network builds the whole pipeline on the existing VNet and creates no VNet, subnet or private DNS zone", () => {
    for (const type of ["azurerm_virtual_network", "azurerm_subnet", "azurerm_private_dns_zone"]) expect([type, countOf("bring-your-own-network", type)]).toEqual([type, 0]);
    for (const type of ["azurerm_key_vault", "azurerm_storage_account", "azurerm_postgresql_flexible_server", "azurerm_databricks_workspace"]) {
      expect([type, countOf("bring-your-own-network", type)]).toEqual([type, 1]);
    }
    expect(countOf("bring-your-own-network", "databricks_job")).toBe(2);
    // Injected into the existing VNet, given by id: a literal id, not a reference to a created VNet.
    const [workspace] = Object.values(resourcesOf("bring-your-own-network", "azurerm_databricks_workspace"));
    const parameters = (workspace.custom_parameters ?? {}) as Json;
    expect(parameters.virtual_network_id).toMatch(/^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/Microsoft\.Network\/virtualNetworks\/[^/$]+$/);
  });

  it("two-pipelines has two workspaces and two pipelines' jobs, each job's resources on its own aliased workspace provider, sharing one lake and one vault", () => {
    expect(countOf("two-pipelines", "azurerm_databricks_workspace")).toBe(2);
    expect(countOf("two-pipelines", "azurerm_storage_account")).toBe(1);
    expect(countOf("two-pipelines", "azurerm_key_vault")).toBe(1);
    const jobs = Object.values(resourcesOf("two-pipelines", "databricks_job")).filter((job) => job.schedule !== undefined);
    expect(jobs).toHaveLength(2);
    expect(countOf("two-pipelines", "databricks_job")).toBe(4);
    const jobProviders = jobs.map((job) => job.provider);
    for (const provider of jobProviders) expect(provider).toMatch(/^databricks\.[A-Za-z0-9_-]+$/);
    expect(new Set(jobProviders).size).toBe(2);

    // Each alias is a workspace-level provider whose host is a different workspace of the stack.
    const example = realExamples.find((candidate) => candidate.name === "two-pipelines") as Example;
    const declared = Object.values(synthesize(example)).flatMap((stack) => stack.provider?.databricks ?? []);
    const hosts = jobProviders.map((provider) => declared.find((candidate) => `databricks.${String(candidate.alias)}` === provider)?.host);
    for (const host of hosts) expect(host).toMatch(/^https:\/\/\$\{azurerm_databricks_workspace\.[^.]+\.workspace_url\}$/);
    expect(new Set(hosts).size).toBe(2);

    // Every workspace-level object goes to one of the two aliases (never the default provider), and
    // each job's uploaded files go to the job's own provider.
    const files = resourcesOf("two-pipelines", "databricks_workspace_file");
    for (const job of jobs) {
      const referenced = [...JSON.stringify(job.task).matchAll(/\$\{databricks_workspace_file\.([^.}]+)\./g)].map((match) => match[1]);
      expect(referenced.length).toBeGreaterThan(0);
      for (const file of referenced) expect([file, Object.entries(files).find(([key]) => key.endsWith(`.${file}`))?.[1].provider]).toEqual([file, job.provider]);
    }
    // Each workspace in its own subnet pair, and each pipeline's external locations under its own
    // folder of the shared lake (Unity Catalog refuses overlapping locations in one metastore).
    const injected = Object.values(resourcesOf("two-pipelines", "azurerm_databricks_workspace")).flatMap((workspace) => {
      const parameters = (workspace.custom_parameters ?? {}) as Json;
      return [parameters.public_subnet_name, parameters.private_subnet_name];
    });
    expect(injected).toHaveLength(4);
    expect(new Set(injected).size).toBe(4);
    const urls = Object.values(resourcesOf("two-pipelines", "databricks_external_location")).map((location) => String(location.url));
    expect(urls).toHaveLength(10);
    for (const url of urls) expect(url).toMatch(/^abfss:\/\/[a-z0-9-]+@[^/]+\.dfs\.core\.windows\.net\/(payments|risk)\/$/);
    expect(new Set(urls).size).toBe(10);
    const lakeRoots = jobs.map((job) => {
      const load = (job.task as Array<{ task_key: string; spark_python_task: { parameters: string[] } }>).find((task) => task.task_key === "load")!.spark_python_task.parameters;
      return load[load.indexOf("--lake") + 1];
    });
    expect(new Set(lakeRoots).size).toBe(2);
    for (const root of lakeRoots) expect(root).toMatch(/^abfss:\/\/\{container\}@[^/]+\.dfs\.core\.windows\.net\/(payments|risk)\/$/);

    // Each pipeline's access connector holds data roles on the lake's containers, under its own
    // prefix only (an ABAC condition): neither can write the other's data through its credential.
    const allConnectors = Object.keys(resourcesOf("two-pipelines", "azurerm_databricks_access_connector")).map((key) => key.slice(key.indexOf(".") + 1));
    const connectors = allConnectors.filter((connector) => !connector.includes("publication-credential"));
    expect(connectors).toHaveLength(2);
    const roles = Object.values(resourcesOf("two-pipelines", "azurerm_role_assignment"));
    const prefixes = connectors.map((connector) => {
      const held = roles.filter((role) => role.principal_id === `\${azurerm_databricks_access_connector.${connector}.identity[0].principal_id}`);
      expect(held.map((role) => String(role.scope).replace(/^.*\/containers\//, "")).sort()).toEqual(["catalog", "curated", "features", "landing", "quarantine"]);
      const prefix = /StringStartsWith '([a-z]+)\/'/.exec(String(held[0].condition))?.[1];
      for (const role of held) expect({ condition: role.condition, version: role.condition_version }).toEqual({ condition: expect.stringContaining(`StringStartsWith '${prefix}/'`), version: "2.0" });
      return prefix;
    });
    expect(prefixes.sort()).toEqual(["payments", "risk"]);
    // Each publication credential's connector may write its own pipeline's manifests' folder, and nothing else.
    const published = allConnectors.filter((connector) => connector.includes("publication-credential")).map((connector) => {
      const held = roles.filter((role) => role.principal_id === `\${azurerm_databricks_access_connector.${connector}.identity[0].principal_id}`);
      expect(held.map((role) => String(role.scope).replace(/^.*\/containers\//, ""))).toEqual(["features"]);
      return /StringLike '([^']+)'/.exec(String(held[0].condition))?.[1];
    });
    expect(published.sort()).toEqual(["payments/export/_manifests/*", "risk/export/_manifests/*"]);

    const workspaceLevel = ["databricks_workspace_file", "databricks_directory", "databricks_cluster_policy", "databricks_secret_scope", "databricks_catalog", "databricks_external_location", "databricks_grants"];
    for (const type of workspaceLevel) {
      const providers = Object.values(resourcesOf("two-pipelines", type)).map((resource) => resource.provider);
      expect([type, [...new Set(providers)].sort()]).toEqual([type, [...new Set(jobProviders)].sort()]);
    }
  });

  it("runs its lake command, without the Azure SDKs, only to name them and the command that installs them, and exits 2", () => {
    const cli = join(app, "node_modules", PACKAGE_NAME, "lib", "lake", "cli.js");
    // `npx lake` is the bin npm links to lib/lake/cli.js.
    expect(realpathSync(join(app, "node_modules", ".bin", "lake"))).toBe(realpathSync(cli));
    const ranges = (JSON.parse(readFileSync(join(REPO_ROOT, "package.json"), "utf8")) as { peerDependencies: Record<string, string> }).peerDependencies;
    const install = `npm install @azure/storage-blob@${ranges["@azure/storage-blob"]} @azure/identity@${ranges["@azure/identity"]}`;
    // NODE_PATH cleared: the SDKs must not be found anywhere but in the app.
    const env = { NODE_PATH: "", AZURE_STORAGE_CONNECTION_STRING: "UseDevelopmentStorage=true" };
    for (const args of [["verify", "--container", "landing"], ["land", "transactions.csv"], ["--help"]]) {
      const lake = run(process.execPath, [cli, ...args], app, env);
      expect({ args, status: lake.status, stdout: lake.stdout }).toEqual({ args, status: 2, stdout: "" });
      expect(lake.stderr).toContain("lake: @azure/storage-blob and @azure/identity are not installed");
      expect(lake.stderr).toContain(`optional peer dependencies`);
      expect(lake.stderr).toContain(`\n  ${install}\n`);
      expect(lake.stderr).not.toMatch(/Cannot find module|at Object\.<anonymous>|node:internal/);
    }
    // The construct entry still loads without them.
    const entry = run(process.execPath, ["-e", `require(${JSON.stringify(PACKAGE_NAME)})`], app, env);
    expect({ status: entry.status, stderr: entry.stderr }).toEqual({ status: 0, stderr: "" });
  });

  // Last: it changes the app's node_modules.
  it("runs its lake command once the printed install command has installed the SDKs", () => {
    const cli = join(app, "node_modules", PACKAGE_NAME, "lib", "lake", "cli.js");
    const missing = run(process.execPath, [cli, "--help"], app, { NODE_PATH: "" });
    const command = /^ {2}(npm install .*)$/m.exec(missing.stderr)?.[1];
    expect(command).toMatch(/^npm install @azure\/storage-blob@\S+ @azure\/identity@\S+$/);
    const specs = (command as string).split(" ").slice(2);
    mustRun("npm install (the SDKs)", "npm", ["install", "--prefer-offline", "--no-audit", "--no-fund", "--loglevel=error", ...specs], app);
    const lake = run(process.execPath, [cli, "--help"], app, { NODE_PATH: "" });
    expect({ status: lake.status, stderr: lake.stderr }).toEqual({ status: 0, stderr: "" });
    expect(lake.stdout).toContain("Usage: lake");
  }, 120_000);

  describe("on CDK Terrain, from the same tarball", () => {
    let cdktnApp: string;
    let cdktnDiagnostics: string[];
    const cdktnSynthesized = new Map<string, Record<string, ExampleStack>>();

    /** An app's source as its CDK Terrain version: the framework's and the providers' twins, and the package's cdktn entry. */
    const toCdktn = (source: string) =>
      source
        .replace(/from "cdktf"/g, 'from "cdktn"')
        .replace(/from "@cdktf\/provider-(azurerm|databricks|random)\//g, 'from "@cdktn/provider-$1/')
        .replace(/from "azure-quarterly-batch"/g, 'from "azure-quarterly-batch/cdktn"');

    beforeAll(() => {
      cdktnApp = join(work, "cdktn-app");
      mkdirSync(cdktnApp);
      // @cdktn/provider-azurerm 16.1.0 still declares cdktn ^0.23.0: the override docs/using-in-your-app.md states.
      writeFileSync(
        join(cdktnApp, "package.json"),
        JSON.stringify({ name: "cdktn-app", version: "0.0.0", private: true, dependencies: { cdktn: CDKTN_PACKAGES.cdktn }, overrides: { "@cdktn/provider-azurerm": { cdktn: "$cdktn" } } }, null, 2),
      );
      writeFileSync(join(cdktnApp, "cdktf.json"), JSON.stringify({ language: "typescript", app: "node main.js", projectId: "cdktn-app", sendCrashReports: "false" }, null, 2));
      writeFileSync(join(cdktnApp, "tsconfig.json"), codeBlock(USING_PAGE, "json", '"compilerOptions"'));
      const tarball = readdirSync(work).find((name) => name.endsWith(".tgz")) as string;
      const started = Date.now();
      mustRun(
        "npm install (CDK Terrain)",
        "npm",
        ["install", "--prefer-offline", "--no-audit", "--no-fund", "--loglevel=error", join(work, tarball), ...Object.entries(CDKTN_PACKAGES).map(([name, version]) => `${name}@${version}`), `@types/node@${lockedVersion("@types/node")}`],
        cdktnApp,
      );
      console.log(`installed the tarball with CDK Terrain in ${((Date.now() - started) / 1000).toFixed(1)} s`);
      for (const example of realExamples) {
        cpSync(join(REPO_ROOT, example.dir), join(cdktnApp, example.dir), { recursive: true, filter: (source) => !/[\\/](node_modules|cdktf\.out|\.gen)$/.test(source) });
        writeFileSync(join(cdktnApp, example.dir, "main.ts"), toCdktn(readFileSync(join(REPO_ROOT, example.dir, "main.ts"), "utf8")));
      }
      const compiled = run(process.execPath, [COMPILERS[0].bin, "-p", "tsconfig.json", "--pretty", "false"], cdktnApp);
      cdktnDiagnostics = `${compiled.stdout}${compiled.stderr}`.split("\n").filter((line) => line.trim() !== "");
    }, 240_000);

    function synthesizeOnCdktn(example: Example): Record<string, ExampleStack> {
      const done = cdktnSynthesized.get(example.dir);
      if (done) return done;
      const outdir = join(work, "out-cdktn", example.dir);
      mkdirSync(outdir, { recursive: true });
      // Node reports every module it loads with NODE_DEBUG=module; none may be cdktf's.
      const synth = run(process.execPath, [join(example.dir, "main.js")], cdktnApp, { CDKTF_OUTDIR: outdir, NODE_DEBUG: "module" });
      if (synth.status !== 0) throw new Error(`${example.dir}/main.js exited ${synth.status ?? synth.signal} on CDK Terrain:\n${synth.stdout}\n${synth.stderr.slice(-4000)}`);
      const loaded = synth.stderr.split("\n").filter((line) => /node_modules[\\/](cdktf|@cdktf)[\\/]/.test(line));
      if (loaded.length > 0) throw new Error(`${example.dir} loaded cdktf on CDK Terrain:\n${loaded.slice(0, 5).join("\n")}`);
      const manifest = JSON.parse(readFileSync(join(outdir, "manifest.json"), "utf8")) as { stacks: Record<string, { synthesizedStackPath: string }> };
      const stacks = Object.fromEntries(Object.entries(manifest.stacks).map(([name, stack]) => [name, JSON.parse(readFileSync(join(outdir, stack.synthesizedStackPath), "utf8")) as ExampleStack]));
      cdktnSynthesized.set(example.dir, stacks);
      return stacks;
    }

    /** Each block type of a stack (resource, data source, ephemeral resource) with how many there are. */
    const blockCounts = (stack: ExampleStack) => {
      const body = stack as unknown as Record<string, Record<string, Record<string, unknown>> | undefined>;
      return Object.fromEntries(
        (["resource", "data", "ephemeral"] as const).flatMap((kind) => Object.entries(body[kind] ?? {}).map(([type, blocks]) => [`${kind}.${type}`, Object.keys(blocks).length])),
      );
    };

    it("installs CDK Terrain without cdktf or any @cdktf package", () => {
      expect(existsSync(join(cdktnApp, "node_modules", "cdktn"))).toBe(true);
      expect(existsSync(join(cdktnApp, "node_modules", "cdktf"))).toBe(false);
      expect(existsSync(join(cdktnApp, "node_modules", "@cdktf"))).toBe(false);
    });

    it.each(realExamples)("$name compiles against azure-quarterly-batch/cdktn and synthesizes, loading no cdktf module", (example) => {
      expect(cdktnDiagnostics.filter((line) => line.startsWith(`${example.dir}/`))).toEqual([]);
      expect(Object.keys(synthesizeOnCdktn(example)).length).toBeGreaterThanOrEqual(1);
    }, 120_000);

    it.each(realExamples)("$name has the same resources on CDK Terrain as on cdktf, type by type", (example) => {
      const onCdktf = synthesize(example);
      const onCdktn = synthesizeOnCdktn(example);
      expect(Object.keys(onCdktn).sort()).toEqual(Object.keys(onCdktf).sort());
      for (const name of Object.keys(onCdktf)) expect({ stack: name, blocks: blockCounts(onCdktn[name]) }).toEqual({ stack: name, blocks: blockCounts(onCdktf[name]) });
    }, 120_000);

    it.each(realExamples)("$name passes terraform init on CDK Terrain (configuration checks, empty provider mirror)", (example) => {
      for (const [name, stack] of Object.entries(synthesizeOnCdktn(example))) {
        expect({ stack: name, problems: terraformInitProblems(stack) }).toEqual({ stack: name, problems: [] });
      }
    }, 120_000);

    it("pins the provider versions its provider packages wrap, and the library's own time binding", () => {
      const [stack] = Object.values(synthesizeOnCdktn(realExamples.find((example) => example.name === "own-job") as Example)) as Array<{ terraform: { required_providers: Record<string, { version: string; source: string }> } }>;
      const pins = Object.fromEntries(Object.entries(stack.terraform.required_providers).map(([name, provider]) => [name, provider.version]));
      expect(pins).toEqual({ azurerm: "4.73.0", databricks: "1.132.0", random: "3.9.1", time: "0.13.1" });
    });

    it("refuses the same bad input as on cdktf, at synth", () => {
      const script = (entry: string, framework: string) => `
const { TerraformStack, Testing } = require("${framework}");
const { LakeStorage, SecureNetwork, SparkBatchPipeline, validationProblems } = require("${entry}");
const stack = new TerraformStack(Testing.app(), "bad");
const placement = { resourceGroupName: "rg-bad", location: "westeurope" };
new SecureNetwork(stack, "network", { ...placement, nameSuffix: "Bad Suffix", addressSpace: "10.0.0.0/16", subnets: { databricksHost: "10.1.0.0/26", databricksContainer: "10.0.0.64/26", postgres: "10.0.1.0/28", privateEndpoints: "10.0.1.0/28" } });
new LakeStorage(stack, "lake", { ...placement, accountName: "St_Bad", privateEndpointSubnetId: "not-an-id", blobDnsZoneId: "x", dfsDnsZoneId: "y", replicationType: "ZRS" });
new LakeStorage(stack, "lake-2", { ...placement, accountName: "St_Bad" });
new SparkBatchPipeline(stack, "pipeline", {});
process.stdout.write(JSON.stringify(validationProblems(stack).map((problem) => [problem.construct, problem.path, problem.prop, problem.allowed])));
`;
      writeFileSync(join(app, "bad-input.js"), script("azure-quarterly-batch", "cdktf"));
      writeFileSync(join(cdktnApp, "bad-input.js"), script("azure-quarterly-batch/cdktn", "cdktn"));
      const onCdktf = JSON.parse(mustRun("bad input on cdktf", process.execPath, ["bad-input.js"], app)) as string[][];
      const onCdktn = JSON.parse(mustRun("bad input on CDK Terrain", process.execPath, ["bad-input.js"], cdktnApp)) as string[][];
      expect(onCdktf.length).toBeGreaterThan(10);
      expect(onCdktn).toEqual(onCdktf);
    });

    it("type checks the library's own source against the @cdktn packages' typings", () => {
      // Every argument the constructs set, checked against the CDK Terrain provider packages' types.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { rewrite } = require(join(REPO_ROOT, "scripts", "build-cdktn.js")) as { rewrite: (text: string, file: string) => string };
      const target = join(cdktnApp, "library-source");
      const copy = (from: string, to: string) => {
        mkdirSync(to, { recursive: true });
        for (const entry of readdirSync(from, { withFileTypes: true })) {
          if (entry.isDirectory()) copy(join(from, entry.name), join(to, entry.name));
          else if (entry.name.endsWith(".ts")) writeFileSync(join(to, entry.name), rewrite(readFileSync(join(from, entry.name), "utf8"), entry.name));
        }
      };
      copy(join(REPO_ROOT, "src", "constructs"), join(target, "constructs"));
      writeFileSync(join(target, "index.ts"), rewrite(readFileSync(join(REPO_ROOT, "src", "index.ts"), "utf8"), "index.ts"));
      writeFileSync(
        join(target, "tsconfig.json"),
        JSON.stringify({ compilerOptions: { target: "ES2022", module: "commonjs", moduleResolution: "node", strict: true, noEmit: true, skipLibCheck: true, types: ["node"], esModuleInterop: true }, include: ["**/*.ts"] }),
      );
      const checked = run(process.execPath, [COMPILERS[0].bin, "-p", join(target, "tsconfig.json"), "--pretty", "false"], target);
      expect(`${checked.stdout}${checked.stderr}`.split("\n").filter((line) => line.trim() !== "")).toEqual([]);
    }, 120_000);
  });
});
