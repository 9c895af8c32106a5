/**
 * Runs the real `lake` CLI as a child process. The CLI is transpiled from src/lake with swc into a
 * temporary directory first, so the tests exercise the current source without a full `tsc` build.
 */
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { transformFileSync } from "@swc/core";

const repoRoot = resolve(__dirname, "..", "..");

export interface CliRun {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface BuiltCli {
  readonly script: string;
  run(args: readonly string[], options?: RunOptions): Promise<CliRun>;
  remove(): void;
}

export interface RunOptions {
  /** Extra environment; the parent's AZURE_* and proxy variables are never passed on. */
  readonly env?: NodeJS.ProcessEnv;
  /** Called with each stderr chunk and the child, e.g. to send SIGINT at the right moment. */
  readonly onStderr?: (text: string, child: ReturnType<typeof spawn>) => void;
  readonly timeoutMs?: number;
}

export function buildCli(): BuiltCli {
  const outDirectory = mkdtempSync(join(tmpdir(), "lake-cli-"));
  // src/lake, and the one module of the constructs it reads: the lake's layout.
  const sources: Array<[string, string]> = readdirSync(join(repoRoot, "src", "lake"))
    .filter((name) => name.endsWith(".ts"))
    .map((name) => [join("lake", name), join(repoRoot, "src", "lake", name)]);
  sources.push([join("constructs", "storage", "lake-layout.ts"), join(repoRoot, "src", "constructs", "storage", "lake-layout.ts")]);
  for (const [relative, source] of sources) {
    const { code } = transformFileSync(source, {
      jsc: { parser: { syntax: "typescript" }, target: "es2022" },
      module: { type: "commonjs" },
      swcrc: false,
      configFile: false,
    });
    mkdirSync(dirname(join(outDirectory, relative)), { recursive: true });
    writeFileSync(join(outDirectory, relative.replace(/\.ts$/, ".js")), code);
  }
  const script = join(outDirectory, "lake", "cli.js");
  return {
    script,
    run: (args, options = {}) => runScript(script, args, options),
    remove: () => rmSync(outDirectory, { recursive: true, force: true }),
  };
}

function cleanEnvironment(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!/^(AZURE_|IDENTITY_|MSI_|https?_proxy|HTTPS?_PROXY)/.test(key)) env[key] = value;
  }
  // The transpiled CLI lives outside the repository; let it find the repository's node_modules.
  env.NODE_PATH = join(repoRoot, "node_modules");
  return { ...env, ...extra };
}

function runScript(script: string, args: readonly string[], options: RunOptions): Promise<CliRun> {
  return new Promise((resolveRun, reject) => {
    const child = spawn(process.execPath, [script, ...args], { env: cleanEnvironment(options.env), stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => { stdout += chunk.toString(); });
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
      options.onStderr?.(chunk.toString(), child);
    });
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`lake ${args.join(" ")} did not finish within ${options.timeoutMs ?? 30000} ms; stderr: ${stderr}`));
    }, options.timeoutMs ?? 30000);
    child.once("error", reject);
    child.once("close", (code, signal) => {
      clearTimeout(timer);
      resolveRun({ code, signal, stdout, stderr });
    });
  });
}
